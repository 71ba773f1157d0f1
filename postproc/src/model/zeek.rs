//! Zeek's `conn_state` and `history` for one TCP connection.
//!
//! Zeek's conn.log documentation is the specification: the `conn_state` table (S0 … OTH) and the
//! `history` letters. Where the documentation leaves details to the implementation (when a side
//! counts as "established", how a repeated FIN is told from a new one, what a retransmission or a
//! content gap is), this module follows Zeek's TCP analyzer and reassembler, endpoint by endpoint.
//! Upper case is the originator's letter, lower case the responder's.
//!
//! Produced:
//!
//! - `s h f r`: a SYN, SYN/ACK, FIN or RST with exactly one of SYN, FIN, RST set; recorded again
//!   only when its sequence number differs from the side's last one of the same kind (a FIN's is
//!   the one after its data), so a retransmitted SYN or FIN adds nothing;
//! - `a d`: a pure ACK, a packet with payload (no SYN, FIN or RST); once per role;
//! - `i q`: FIN and RST together, or another pair of SYN, FIN, RST; once per role;
//! - `t`: payload that does not reach past the highest sequence number the side has sent (a
//!   retransmission), counted after the packet's own `s h f r a d i q w` letters;
//! - `w`: a zero window, unless the packet has RST, the peer has closed or the side has reset;
//! - `g`: a content gap, the data sender's letter: the peer acknowledges bytes of the sender that
//!   were never captured. Found as Zeek's reassembler finds it (it runs on every connection, as
//!   `dpd_reassemble_first_packets` is on by default): when an ACK moves past the sender's
//!   contiguous data, each hole below the acknowledged number is one gap. Counted only while both
//!   sides are established or closed after being established (so not on a RST, nor on a
//!   connection seen without its handshake), after the ACKing packet's own letters; an ACK of the
//!   FIN octet is not a gap; a side with more than 16 KiB above a hole and nothing acknowledged,
//!   or more than 10 MiB buffered, is given up on as Zeek gives up on it;
//! - `t w g` are logarithmic: at the 1st, 10th, 100th … event of that side;
//! - `^`: the roles were flipped. [`ZeekConnection::flip_roles`] records it for a caller that
//!   swaps the roles itself (Zeek's port heuristic for a connection that starts without a SYN
//!   flips them before its first packet, so `^` comes first); and a SYN answering a SYN/ACK seen
//!   first (Zeek's SYN/SYN-ACK reversal) flips them here, after that SYN's letter
//!   ([`ZeekConnection::roles_reversed`] tells the caller). Letters seen once per role stay with
//!   the role across a flip, as in Zeek.
//!
//! Not produced: `c` (tshark is not asked to verify checksums; local captures carry offloaded
//! checksums, so this matches running Zeek with `-C`), `x`/`X` (Zeek writes an upper-case `X`
//! when an application-layer or tunnel analyzer hits one of its configured limits: nothing a
//! TCP header shows), and gaps from payload cut short by the capture's snap length (a
//! [`ZeekSegment`] does not say how much of its payload was captured; every byte is taken as seen).

use std::collections::BTreeMap;

/// Every `conn_state` Zeek writes (its conn.log documentation's table).
pub const CONN_STATES: [&str; 13] = [
    "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH",
];

use tcpwave_core::Flags;

/// One TCP segment as Zeek's analyzer sees it.
#[derive(Debug, Clone, Copy)]
pub struct ZeekSegment {
    pub from_orig: bool,
    pub flags: Flags,
    pub seq: u32,
    pub ack: u32,
    pub payload_len: u32,
    /// The window field as sent (unscaled): Zeek only asks whether it is zero.
    pub window: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EndpointState {
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

/// Zeek's "logarithmic" history entry: the letter is added at the 1st, 10th, 100th … event.
#[derive(Debug, Clone, Copy)]
struct ScaledCount {
    count: u32,
    threshold: u32,
}

impl ScaledCount {
    const fn new() -> Self {
        ScaledCount {
            count: 0,
            threshold: 1,
        }
    }

    /// Counts one event; true when it reaches the threshold. Past the last power of ten that a
    /// 32-bit counter holds, the threshold wraps as Zeek's does: while the wrapped product is
    /// still larger it is taken, otherwise the count starts again under the same threshold.
    fn bump(&mut self) -> bool {
        self.count = self.count.wrapping_add(1);
        if self.count != self.threshold {
            return false;
        }
        let next = self.threshold.wrapping_mul(10);
        if next <= self.threshold {
            self.count = 0;
        } else {
            self.threshold = next;
        }
        true
    }
}

/// The history letters a role has already recorded once (Zeek's `hist_seen` bits).
#[derive(Debug, Clone, Copy, Default)]
struct SeenLetters {
    syn: bool,
    fin: bool,
    rst: bool,
    fin_rst: bool,
    data: bool,
    ack: bool,
    multi_flag: bool,
}

/// Zeek's `tcp_max_initial_window`: data a side may send before any of it is acknowledged.
const MAX_INITIAL_WINDOW: u64 = 16_384;
/// Zeek's `tcp_max_above_hole_without_any_acks`.
const MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS: u64 = 16_384;
/// Zeek's `tcp_excessive_data_without_further_acks`.
const EXCESSIVE_DATA_WITHOUT_FURTHER_ACKS: u64 = 10 * 1024 * 1024;

/// What the reassembly of one side needs to know about the connection at that moment.
#[derive(Debug, Clone, Copy)]
struct GapContext {
    /// Both sides established, or closed after being established: only then is a gap recorded.
    report: bool,
    /// The connection was first seen without its handshake (Zeek's `is_partial`).
    partial: bool,
    /// None of the side's data has been acknowledged.
    no_data_acked: bool,
    /// Nothing acknowledged and more than an initial window sent: delivered data is let go at
    /// once, the peer's ACKs being presumably out of sight.
    trim_delivered: bool,
}

/// One side's stream as Zeek's reassembler tracks it, in relative sequence numbers (the first
/// byte after the SYN is 1). Only what decides the content gaps is kept: where the buffered
/// blocks lie, not their bytes.
#[derive(Debug, Clone)]
struct Reassembly {
    /// Buffered blocks, start → end: delivered ones waiting for their ACK, and ones above a hole.
    blocks: BTreeMap<u64, u64>,
    buffered: u64,
    /// Everything below this was delivered (or given up on as a gap).
    delivered: u64,
    /// Everything below this was acknowledged and dropped.
    trimmed: u64,
    /// Given up on: no more data is buffered and no more gaps are found.
    skipping: bool,
}

impl Reassembly {
    const fn new() -> Self {
        Reassembly {
            blocks: BTreeMap::new(),
            buffered: 0,
            delivered: 1,
            trimmed: 1,
            skipping: false,
        }
    }

    fn clear(&mut self) {
        self.blocks.clear();
        self.buffered = 0;
    }

    fn add_block(&mut self, start: u64, end: u64) {
        self.blocks.insert(start, end);
        self.buffered += end - start;
    }

    /// Data of the side, `[seq, seq + len)`; `acked` is how far the peer has acknowledged.
    fn data_sent(&mut self, seq: u64, len: u64, acked: u64, cx: &GapContext) {
        if self.skipping {
            return;
        }
        let end = seq.wrapping_add(len);
        let mut start = seq;
        if start < acked {
            if end <= acked {
                return;
            }
            start = acked;
        }
        self.new_block(start, end, cx);
        if cx.no_data_acked && self.undelivered_bytes() > MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS {
            self.clear();
            self.skipping = true;
        }
        if self.buffered > EXCESSIVE_DATA_WITHOUT_FURTHER_ACKS {
            self.clear();
            self.skipping = true;
        }
    }

    fn undelivered_bytes(&self) -> u64 {
        self.blocks
            .last_key_value()
            .map_or(0, |(_, &end)| end.wrapping_sub(self.delivered))
    }

    fn new_block(&mut self, start: u64, end: u64, cx: &GapContext) {
        if end <= start || end <= self.trimmed {
            return;
        }
        let start = start.max(self.trimmed);
        let first = self.insert(start, end);
        self.block_inserted(first, cx);
    }

    /// Buffers the parts of `[start, end)` not buffered yet, each as its own block; returns the
    /// block that holds `start`.
    fn insert(&mut self, start: u64, end: u64) -> u64 {
        let mut holder = None;
        let mut at = start;
        if let Some((&block_start, &block_end)) = self.blocks.range(..=start).next_back() {
            if block_end > start {
                holder = Some(block_start);
                at = block_end;
            }
        }
        while at < end {
            let next = self
                .blocks
                .range(at..)
                .next()
                .map(|(&block_start, &block_end)| (block_start, block_end))
                .filter(|&(block_start, _)| block_start < end);
            match next {
                Some((block_start, block_end)) => {
                    if block_start > at {
                        self.add_block(at, block_start);
                        holder.get_or_insert(at);
                    }
                    at = block_end;
                }
                None => {
                    self.add_block(at, end);
                    holder.get_or_insert(at);
                    at = end;
                }
            }
        }
        holder.unwrap_or(start)
    }

    /// Delivers what the block at `start` makes contiguous.
    fn block_inserted(&mut self, start: u64, cx: &GapContext) {
        let Some(&end) = self.blocks.get(&start) else {
            return;
        };
        if start > self.delivered || end <= self.delivered {
            return;
        }
        let mut cursor = start;
        while let Some((&block_start, &block_end)) = self.blocks.range(cursor..).next() {
            if block_start > self.delivered {
                break;
            }
            if block_start == self.delivered {
                self.delivered = block_end;
            }
            cursor = block_end;
        }
        if cx.trim_delivered {
            self.trim_to(self.delivered, cx);
        }
    }

    /// The peer acknowledged up to `seq`; returns the gaps recorded.
    fn ack_received(&mut self, seq: u64, fin_sent: Option<u64>, cx: &GapContext) -> u32 {
        let mut seq = seq;
        if let Some(fin_seq) = fin_sent {
            if seq >= fin_seq {
                // The FIN octet is not data.
                seq = fin_seq.wrapping_sub(1);
            }
        }
        if seq <= self.trimmed {
            return 0;
        }
        self.trim_to(seq, cx)
    }

    fn trim_to(&mut self, seq: u64, cx: &GapContext) -> u32 {
        let mut gaps = 0;
        if seq > self.delivered {
            gaps += self.undelivered(seq, cx);
        }
        while let Some((&start, &end)) = self.blocks.first_key_value() {
            if end > seq {
                break;
            }
            self.blocks.remove(&start);
            self.buffered -= end - start;
        }
        if let Some((&start, _)) = self.blocks.first_key_value() {
            if start == self.delivered {
                // Skipping the lost bytes may have made the next block deliverable.
                self.block_inserted(start, cx);
            }
        }
        self.trimmed = self.trimmed.max(seq);
        gaps
    }

    /// Bytes below `up_to` were acknowledged but never delivered: each hole is one gap.
    fn undelivered(&mut self, up_to: u64, cx: &GapContext) -> u32 {
        if up_to <= 2 && cx.partial {
            // A connection seen without its handshake numbers its first byte 1 as if a SYN had
            // come first; an ACK of 1 or 2 then says nothing about lost data.
            return 0;
        }
        let mut gaps = 0;
        if !self.skipping {
            while let Some(start) = self
                .blocks
                .range(self.delivered..)
                .next()
                .map(|(&start, _)| start)
                .filter(|&start| start < up_to)
            {
                gaps += u32::from(cx.report);
                self.delivered = start;
                self.block_inserted(start, cx);
            }
            if up_to > self.delivered {
                gaps += u32::from(cx.report);
            }
        }
        self.delivered = self.delivered.max(up_to);
        gaps
    }
}

#[derive(Debug, Clone)]
struct TcpEndpoint {
    state: EndpointState,
    prev_state: EndpointState,
    /// Signed, as in Zeek, so that a partial connection's `seq - 1` start can be represented.
    start_seq: i64,
    last_seq: u32,
    ack_seq: u32,
    seq_wraps: u32,
    ack_wraps: u32,
    fin_count: u32,
    /// Relative sequence number one past the latest FIN (its octet included).
    fin_seq: u64,
    hist_last_syn: u64,
    hist_last_fin: u64,
    hist_last_rst: u64,
    retransmissions: ScaledCount,
    zero_windows: ScaledCount,
    gaps: ScaledCount,
    reassembly: Reassembly,
}

const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;

fn seq_delta(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

fn full_seq(seq: u32, wraps: u32) -> u64 {
    (u64::from(wraps) << 32) + u64::from(seq)
}

impl TcpEndpoint {
    const fn new() -> Self {
        TcpEndpoint {
            state: EndpointState::Inactive,
            prev_state: EndpointState::Inactive,
            start_seq: 0,
            last_seq: 0,
            ack_seq: 0,
            seq_wraps: 0,
            ack_wraps: 0,
            fin_count: 0,
            fin_seq: 0,
            hist_last_syn: 0,
            hist_last_fin: 0,
            hist_last_rst: 0,
            retransmissions: ScaledCount::new(),
            zero_windows: ScaledCount::new(),
            gaps: ScaledCount::new(),
            reassembly: Reassembly::new(),
        }
    }

    fn set_state(&mut self, state: EndpointState) {
        if state != self.state {
            self.prev_state = self.state;
            self.state = state;
        }
    }

    fn start_seq_u32(&self) -> u32 {
        self.start_seq as u32
    }

    fn restart_at(&mut self, start: u32, last: u32) {
        self.start_seq = i64::from(start);
        self.ack_seq = start;
        self.last_seq = last;
    }

    fn update_last_seq(&mut self, seq: u32) {
        if seq < self.last_seq {
            self.seq_wraps += 1;
        }
        self.last_seq = seq;
    }

    fn update_ack_seq(&mut self, seq: u32) {
        if seq < self.ack_seq {
            self.ack_wraps += 1;
        }
        self.ack_seq = seq;
    }

    /// Zeek's `get_relative_seq`: `seq` relative to this side's start, as an unsigned 64-bit
    /// number (a sequence number before the start wraps to a huge value, as in Zeek), and
    /// whether it lies before the start.
    fn relative_seq(&self, seq: u32, last: u32, wraps: u32) -> (u64, bool) {
        let mut wraps = wraps;
        let delta = seq_delta(seq, last);
        if delta < 0 {
            if wraps > 0 && seq > last {
                wraps -= 1;
            }
        } else if delta > 0 && seq < last {
            wraps += 1;
        }
        if wraps == 0 {
            let delta = seq_delta(seq, self.start_seq_u32());
            return (i64::from(delta) as u64, delta < 0);
        }
        (self.to_relative(seq, wraps), false)
    }

    fn to_relative(&self, seq: u32, wraps: u32) -> u64 {
        (full_seq(seq, wraps) as i64).wrapping_sub(self.start_seq) as u64
    }

    /// How far the peer has acknowledged this side's data, relative to its start.
    fn relative_ack(&self) -> u64 {
        self.to_relative(self.ack_seq, self.ack_wraps)
    }

    fn no_data_acked(&self) -> bool {
        let ack = full_seq(self.ack_seq, self.ack_wraps) as i64;
        ack == self.start_seq || ack == self.start_seq + 1
    }

    /// Established, or closed after being established: Zeek's test for a trustworthy gap.
    fn is_clean(&self) -> bool {
        self.state == EndpointState::Established
            || (self.state == EndpointState::Closed
                && self.prev_state == EndpointState::Established)
    }

    fn gap_context(&self, peer: &TcpEndpoint, partial: bool) -> GapContext {
        let no_data_acked = self.no_data_acked();
        GapContext {
            report: self.is_clean() && peer.is_clean(),
            partial,
            no_data_acked,
            trim_delivered: no_data_acked && self.size(peer.state) > MAX_INITIAL_WINDOW,
        }
    }

    /// Payload bytes this side sent, measured in sequence space like Zeek's `orig_bytes`.
    fn size(&self, peer_state: EndpointState) -> u64 {
        if self.prev_state == EndpointState::SynSent
            && self.state == EndpointState::Reset
            && peer_state == EndpointState::Inactive
            && !self.no_data_acked()
        {
            return 0;
        }
        let last = full_seq(self.last_seq, self.seq_wraps) as i64;
        let ack = full_seq(self.ack_seq, self.ack_wraps) as i64;
        // Less the SYN octet, and the FIN octet if one was sent.
        let size = ((last.max(ack) - self.start_seq).max(0) as u64).saturating_sub(1);
        if self.fin_count > 0 {
            size.saturating_sub(1)
        } else {
            size
        }
    }
}

/// What a packet did to the roles or the partial status, besides the endpoints' states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transition {
    None,
    /// A pure ACK answering a SYN/ACK whose SYN was not seen: the connection is not partial.
    EstablishedWithoutSyn,
    /// A SYN answering the SYN/ACK seen first: the roles flip.
    Reversal,
}

/// Zeek's view of one TCP connection, fed packet by packet.
#[derive(Debug, Clone)]
pub struct ZeekConnection {
    orig: TcpEndpoint,
    resp: TcpEndpoint,
    /// Letters recorded once, by role (originator, responder): a flip does not move them.
    seen: [SeenLetters; 2],
    history: String,
    /// Zeek's `is_partial`: a side's first packet was not the handshake's.
    partial: bool,
    /// Whether each role's first packet was seen (Zeek's `first_packet_seen`).
    first_packet_seen: [bool; 2],
    /// The roles were flipped here (not by the caller) an odd number of times.
    reversed: bool,
}

impl Default for ZeekConnection {
    fn default() -> Self {
        ZeekConnection {
            orig: TcpEndpoint::new(),
            resp: TcpEndpoint::new(),
            seen: [SeenLetters::default(); 2],
            history: String::new(),
            partial: false,
            first_packet_seen: [false; 2],
            reversed: false,
        }
    }
}

impl ZeekConnection {
    pub fn history(&self) -> &str {
        &self.history
    }

    /// Swaps the originator and the responder and records `^`, as Zeek's `FlipRoles` does.
    ///
    /// For a caller that flips the roles itself (Zeek's port heuristic flips a connection that
    /// starts without a SYN before its first packet, so `^` is then the first letter): the
    /// caller swaps its own idea of the roles too, and every later [`ZeekSegment::from_orig`] is
    /// relative to the new ones.
    pub fn flip_roles(&mut self) {
        std::mem::swap(&mut self.orig, &mut self.resp);
        self.first_packet_seen.swap(0, 1);
        self.partial = false;
        self.history.push('^');
    }

    /// True when this module flipped the roles itself (Zeek's SYN/SYN-ACK reversal: a SYN
    /// answering the SYN/ACK seen first). The history, `conn_state` and byte counts are then
    /// those of the flipped roles: the caller's responder is the originator here, so a caller
    /// reporting addresses swaps them. [`ZeekSegment::from_orig`] stays relative to the caller's
    /// roles throughout.
    pub fn roles_reversed(&self) -> bool {
        self.reversed
    }

    /// Both sides closed, or one reset: what Zeek takes as the end of the connection.
    pub fn is_over(&self) -> bool {
        let states = [self.orig.state, self.resp.state];
        states == [EndpointState::Closed; 2] || states.contains(&EndpointState::Reset)
    }

    pub fn orig_bytes(&self) -> u64 {
        self.orig.size(self.resp.state)
    }

    pub fn resp_bytes(&self) -> u64 {
        self.resp.size(self.orig.state)
    }
    /// The `conn_state` column, from the two sides' final states (Zeek's `Conn::conn_state`).
    pub fn conn_state(&self) -> &'static str {
        let state = {
            use EndpointState::*;
            let (os, rs) = (self.orig.state, self.resp.state);
            let o_inactive = matches!(os, Inactive | Partial);
            let r_inactive = matches!(rs, Inactive | Partial);
            if rs == Reset {
                if os == SynSent
                    || os == SynAckSent
                    || (os == Reset && self.orig_bytes() == 0 && self.resp_bytes() == 0)
                {
                    "REJ"
                } else if o_inactive {
                    "RSTRH"
                } else {
                    "RSTR"
                }
            } else if os == Reset {
                if !r_inactive {
                    "RSTO"
                } else if history_is_syn_then_rst(&self.history) {
                    "RSTOS0"
                } else {
                    "OTH"
                }
            } else if rs == Closed && os == Closed {
                "SF"
            } else if os == Closed {
                if r_inactive {
                    "SH"
                } else {
                    "S2"
                }
            } else if rs == Closed {
                if o_inactive {
                    "SHR"
                } else {
                    "S3"
                }
            } else if os == SynSent && rs == Inactive {
                "S0"
            } else if os == Established && rs == Established {
                "S1"
            } else {
                "OTH"
            }
        };
        debug_assert!(CONN_STATES.contains(&state), "{state} is listed");
        state
    }

    pub fn observe(&mut self, segment: &ZeekSegment) {
        let is_orig = segment.from_orig != self.reversed;
        let flags = segment.flags;
        let len = segment.payload_len;
        self.set_partial_status(flags, is_orig);
        let history = &mut self.history;
        let seen = &mut self.seen[usize::from(!is_orig)];
        let (endpoint, peer) = if is_orig {
            (&mut self.orig, &mut self.resp)
        } else {
            (&mut self.resp, &mut self.orig)
        };

        let mut seg_len = len
            .wrapping_add(u32::from(flags.syn()))
            .wrapping_add(u32::from(flags.fin()));
        if flags.rst() {
            seg_len = seg_len.wrapping_sub(len);
        }
        let seq_one_past = segment.seq.wrapping_add(seg_len);
        init_endpoint(endpoint, flags, segment.seq, seq_one_past);

        let (rel_seq, seq_underflow) =
            endpoint.relative_seq(segment.seq, endpoint.last_seq, endpoint.seq_wraps);
        update_history(history, is_orig, seen, endpoint, flags, rel_seq, len);

        if segment.window == 0
            && !flags.rst()
            && peer.state != EndpointState::Closed
            && endpoint.state != EndpointState::Reset
            && endpoint.zero_windows.bump()
        {
            push_letter(history, is_orig, 'W');
        }

        if flags.fin() {
            endpoint.fin_count += 1;
            endpoint.fin_seq = rel_seq.wrapping_add(u64::from(seg_len));
        }

        // How far this packet acknowledges the peer's data, relative to the peer's start.
        let mut rel_ack = 0;
        if flags.ack() {
            if peer.state == EndpointState::Inactive {
                rel_ack = 1;
                let start = segment.ack.wrapping_sub(1);
                peer.restart_at(start, start);
            } else {
                let (relative, underflow) =
                    peer.relative_seq(segment.ack, peer.ack_seq, peer.ack_wraps);
                if !underflow {
                    rel_ack = relative;
                    if !flags.rst() {
                        let delta_ack = seq_delta(segment.ack, peer.ack_seq);
                        let looks_broken = segment.ack == 0 && delta_ack > TOO_LARGE_SEQ_DELTA;
                        if !looks_broken && delta_ack > 0 {
                            peer.update_ack_seq(segment.ack);
                        }
                    }
                }
            }
        }

        if update_last_seq(endpoint, seq_one_past, flags, len) {
            push_letter(history, is_orig, 'T');
        }

        let transition = update_state_machine(endpoint, peer, segment, is_orig);
        // The sender's role once the state machine is done with this packet.
        let mut sender_is_orig = is_orig;
        match transition {
            Transition::None => {}
            Transition::EstablishedWithoutSyn => {
                self.partial = false;
                self.first_packet_seen[usize::from(!is_orig)] = true;
            }
            Transition::Reversal => {
                self.flip_roles();
                self.reversed = !self.reversed;
                self.first_packet_seen[0] = true;
                sender_is_orig = !is_orig;
            }
        }

        // After the state machine, as in Zeek: a gap revealed by an ACK that comes with a RST
        // finds the connection no longer established and is not recorded.
        let partial = self.partial;
        if flags.ack() {
            let (sender, data_side) = self.sides_mut(sender_is_orig);
            let cx = data_side.gap_context(sender, partial);
            let fin_sent = (data_side.fin_count > 0).then_some(data_side.fin_seq);
            let gaps = data_side.reassembly.ack_received(rel_ack, fin_sent, &cx);
            let letters = (0..gaps).filter(|_| data_side.gaps.bump()).count();
            for _ in 0..letters {
                push_letter(&mut self.history, !sender_is_orig, 'G');
            }
        }
        // Zeek marks the first packet of the role the packet came from as it arrived.
        self.first_packet_seen[usize::from(!is_orig)] = true;

        if len > 0 && !flags.rst() && !seq_underflow {
            let data_seq = if flags.syn() {
                rel_seq.wrapping_add(1)
            } else {
                rel_seq
            };
            let (sender, peer) = self.sides_mut(sender_is_orig);
            let cx = sender.gap_context(peer, partial);
            let acked = sender.relative_ack();
            sender
                .reassembly
                .data_sent(data_seq, u64::from(len), acked, &cx);
        }
    }

    /// The side in role `is_orig` and its peer.
    fn sides_mut(&mut self, is_orig: bool) -> (&mut TcpEndpoint, &mut TcpEndpoint) {
        if is_orig {
            (&mut self.orig, &mut self.resp)
        } else {
            (&mut self.resp, &mut self.orig)
        }
    }

    /// Zeek's `SetPartialStatus`: decided by each role's first packet.
    fn set_partial_status(&mut self, flags: Flags, is_orig: bool) {
        if is_orig {
            if !self.first_packet_seen[0] {
                self.partial = !flags.syn() || flags.ack();
            }
        } else if !self.first_packet_seen[1] && !self.partial {
            self.partial = !flags.syn();
        }
    }
}

/// Zeek's RSTOS0 test: the history matches `^?S[^HAFGIQ]*R.*` as a whole.
fn history_is_syn_then_rst(history: &str) -> bool {
    let rest = history.strip_prefix('^').unwrap_or(history);
    let Some(after_syn) = rest.strip_prefix('S') else {
        return false;
    };
    for letter in after_syn.chars() {
        match letter {
            'R' => return true,
            'H' | 'A' | 'F' | 'G' | 'I' | 'Q' => return false,
            _ => {}
        }
    }
    false
}

fn push_letter(history: &mut String, is_orig: bool, letter: char) {
    history.push(if is_orig {
        letter
    } else {
        letter.to_ascii_lowercase()
    });
}

/// Records `letter` the first time this side shows it; true if it had been seen before.
fn seen_before(history: &mut String, is_orig: bool, seen: &mut bool, letter: char) -> bool {
    if *seen {
        return true;
    }
    *seen = true;
    push_letter(history, is_orig, letter);
    false
}

fn init_endpoint(endpoint: &mut TcpEndpoint, flags: Flags, seq: u32, seq_one_past: u32) {
    match endpoint.state {
        EndpointState::Inactive => {
            if flags.syn() {
                endpoint.restart_at(seq, seq_one_past);
            } else {
                // As if a SYN had come just before, so the first packet is not a retransmission.
                endpoint.restart_at(seq.wrapping_sub(1), seq);
            }
        }
        EndpointState::SynSent | EndpointState::SynAckSent => {
            if flags.syn() && seq != endpoint.start_seq_u32() {
                endpoint.restart_at(seq, seq_one_past);
            }
        }
        EndpointState::Established | EndpointState::Partial => {
            if flags.syn() {
                endpoint.restart_at(seq, seq_one_past);
            }
        }
        EndpointState::Reset => {
            if flags.syn() && endpoint.prev_state == EndpointState::Inactive {
                endpoint.restart_at(seq, seq_one_past);
            }
        }
        EndpointState::Closed => {}
    }
}

fn update_history(
    history: &mut String,
    is_orig: bool,
    seen: &mut SeenLetters,
    endpoint: &mut TcpEndpoint,
    flags: Flags,
    rel_seq: u64,
    len: u32,
) {
    let control_bits = u8::from(flags.syn()) + u8::from(flags.fin()) + u8::from(flags.rst());
    if control_bits > 1 {
        if flags.fin() && flags.rst() {
            seen_before(history, is_orig, &mut seen.fin_rst, 'I');
        } else {
            seen_before(history, is_orig, &mut seen.multi_flag, 'Q');
        }
    } else if control_bits == 1 {
        if flags.syn() {
            let letter = if flags.ack() { 'H' } else { 'S' };
            if seen_before(history, is_orig, &mut seen.syn, letter)
                && rel_seq != endpoint.hist_last_syn
            {
                push_letter(history, is_orig, letter);
            }
            endpoint.hist_last_syn = rel_seq;
        }
        if flags.fin() {
            // A FIN's sequence number is the one after its data.
            let fin_seq = rel_seq.wrapping_add(u64::from(len));
            if seen_before(history, is_orig, &mut seen.fin, 'F')
                && fin_seq != endpoint.hist_last_fin
            {
                push_letter(history, is_orig, 'F');
            }
            endpoint.hist_last_fin = fin_seq;
        }
        if flags.rst() {
            if seen_before(history, is_orig, &mut seen.rst, 'R')
                && rel_seq != endpoint.hist_last_rst
            {
                push_letter(history, is_orig, 'R');
            }
            endpoint.hist_last_rst = rel_seq;
        }
    } else if len > 0 {
        seen_before(history, is_orig, &mut seen.data, 'D');
    } else if flags.ack() {
        seen_before(history, is_orig, &mut seen.ack, 'A');
    }
}

/// Advances the highest sequence number sent; true when the packet counts as a retransmission
/// that crosses Zeek's next logarithmic threshold (so a `t` is due).
fn update_last_seq(endpoint: &mut TcpEndpoint, seq_one_past: u32, flags: Flags, len: u32) -> bool {
    let delta_last = seq_delta(seq_one_past, endpoint.last_seq);
    let implausible_jump = !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta_last);
    if (flags.syn() || flags.rst()) && implausible_jump {
        false
    } else if flags.fin() && endpoint.last_seq == endpoint.start_seq_u32().wrapping_add(1) {
        // Only the SYN and the FIN seen: trust the FIN, even across a 2 GB jump.
        endpoint.update_last_seq(seq_one_past);
        false
    } else if endpoint.state == EndpointState::Reset {
        false
    } else if delta_last > 0 {
        endpoint.update_last_seq(seq_one_past);
        false
    } else if len > 0 {
        endpoint.retransmissions.bump()
    } else {
        false
    }
}

fn update_state_machine(
    endpoint: &mut TcpEndpoint,
    peer: &mut TcpEndpoint,
    segment: &ZeekSegment,
    is_orig: bool,
) -> Transition {
    use EndpointState::*;
    let flags = segment.flags;
    let mut transition = Transition::None;
    match endpoint.state {
        Inactive => {
            if flags.syn() {
                if is_orig {
                    endpoint.set_state(if flags.ack() { SynAckSent } else { SynSent });
                } else {
                    if !flags.ack()
                        && peer.state == SynAckSent
                        && segment.seq == endpoint.start_seq_u32()
                    {
                        // Zeek's SYN/SYN-ACK reversal: the SYN/ACK seen first answered this
                        // SYN, so its sender is the responder.
                        transition = Transition::Reversal;
                        peer.set_state(Established);
                    }
                    if peer.state == SynSent {
                        peer.set_state(Established);
                    }
                    endpoint.set_state(Established);
                }
            }
            if flags.fin() {
                endpoint.set_state(Closed);
            }
            if flags.rst() {
                endpoint.set_state(Reset);
            }
            if endpoint.state == Inactive {
                let early_ack_of_syn =
                    !is_orig && segment.payload_len == 0 && peer.state == SynSent;
                if early_ack_of_syn {
                    // Some stacks ACK a SYN before answering it: not a partial connection.
                } else if flags.ack() && peer.state == Established {
                    endpoint.set_state(Established);
                    transition = Transition::EstablishedWithoutSyn;
                } else {
                    endpoint.set_state(Partial);
                }
            }
        }
        SynSent | SynAckSent => {
            if flags.fin() {
                endpoint.set_state(Closed);
            }
            if flags.rst() {
                endpoint.set_state(Reset);
            }
        }
        Established | Partial => {
            if flags.syn() && endpoint.state == Partial && peer.state == Inactive && !flags.ack() {
                endpoint.set_state(SynSent);
            }
            if flags.fin() && !flags.rst() {
                endpoint.set_state(Closed);
                if peer.state == Reset && peer.prev_state == Closed {
                    // The peer's FIN then RST was a normal close after all.
                    peer.set_state(Closed);
                }
            }
            if flags.rst() {
                endpoint.set_state(Reset);
            }
        }
        Closed => {
            if flags.rst() && peer.state != Closed {
                endpoint.set_state(Reset);
            }
        }
        Reset => {}
    }
    transition
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIN: u16 = Flags::FIN;
    const SYN: u16 = Flags::SYN;
    const RST: u16 = Flags::RST;
    const PSH: u16 = Flags::PSH;
    const ACK: u16 = Flags::ACK;

    /// A small script of packets: (from originator?, flags, seq, ack, payload length).
    fn run(packets: &[(bool, u16, u32, u32, u32)]) -> ZeekConnection {
        let mut conn = ZeekConnection::default();
        for &(from_orig, flags, seq, ack, payload_len) in packets {
            conn.observe(&ZeekSegment {
                from_orig,
                flags: Flags(flags),
                seq,
                ack,
                payload_len,
                window: 64,
            });
        }
        conn
    }

    const O: bool = true;
    const R: bool = false;

    #[test]
    fn s0_connection_attempt_seen_no_reply() {
        let conn = run(&[
            (O, SYN, 100, 0, 0),
            (O, SYN, 100, 0, 0),
            (O, SYN, 100, 0, 0),
        ]);
        assert_eq!(conn.conn_state(), "S0");
        // The retransmitted SYNs carry the same sequence number: one S.
        assert_eq!(conn.history(), "S");
    }

    #[test]
    fn rej_attempt_rejected() {
        let conn = run(&[(O, SYN, 100, 0, 0), (R, RST | ACK, 0, 101, 0)]);
        assert_eq!(conn.conn_state(), "REJ");
        assert_eq!(conn.history(), "Sr");
    }

    #[test]
    fn sf_normal_establishment_and_termination() {
        let conn = run(&[
            (O, SYN, 1000, 0, 0),
            (R, SYN | ACK, 5000, 1001, 0),
            (O, ACK, 1001, 5001, 0),
            (O, ACK | PSH, 1001, 5001, 18),
            (R, ACK, 5001, 1019, 0),
            (R, ACK | PSH, 5001, 1019, 37),
            (O, ACK, 1019, 5038, 0),
            (O, FIN | ACK, 1019, 5038, 0),
            (R, FIN | ACK, 5038, 1020, 0),
            (O, ACK, 1020, 5039, 0),
        ]);
        assert_eq!(conn.conn_state(), "SF");
        assert_eq!(conn.history(), "ShADadFf");
        assert_eq!(conn.orig_bytes(), 18);
        assert_eq!(conn.resp_bytes(), 37);
    }

    #[test]
    fn s1_established_not_terminated() {
        let conn = run(&[
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, ACK, 2, 10, 0),
        ]);
        assert_eq!(conn.conn_state(), "S1");
        assert_eq!(conn.history(), "ShA");
    }

    #[test]
    fn s2_close_attempt_by_originator_only() {
        let conn = run(&[
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, ACK, 2, 10, 0),
            (O, FIN | ACK, 2, 10, 0),
            (R, ACK, 10, 3, 0),
        ]);
        assert_eq!(conn.conn_state(), "S2");
        assert_eq!(conn.history(), "ShAFa");
    }

    #[test]
    fn s3_close_attempt_by_responder_only() {
        let conn = run(&[
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, ACK, 2, 10, 0),
            (R, FIN | ACK, 10, 2, 0),
        ]);
        assert_eq!(conn.conn_state(), "S3");
    }

    #[test]
    fn rsto_originator_aborted() {
        let conn = run(&[
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, ACK, 2, 10, 0),
            (O, ACK | PSH, 2, 10, 100),
            (R, ACK, 10, 102, 0),
            (O, RST | ACK, 102, 10, 0),
        ]);
        assert_eq!(conn.conn_state(), "RSTO");
        assert_eq!(conn.history(), "ShADaR");
    }

    #[test]
    fn rstr_responder_sent_rst() {
        let conn = run(&[
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, ACK, 2, 10, 0),
            (R, RST, 10, 0, 0),
        ]);
        assert_eq!(conn.conn_state(), "RSTR");
    }

    #[test]
    fn rstos0_syn_then_rst_without_synack() {
        let conn = run(&[(O, SYN, 1, 0, 0), (O, RST, 2, 0, 0)]);
        assert_eq!(conn.conn_state(), "RSTOS0");
        assert_eq!(conn.history(), "SR");
    }

    #[test]
    fn rstrh_responder_synack_then_rst_no_syn_seen() {
        // The first packet seen is the responder's SYN/ACK: here the side seen first is the
        // originator, so the capture is taken from the responder's SYN/ACK being the second.
        let conn = run(&[
            (O, ACK, 2, 10, 0),
            (R, SYN | ACK, 9, 2, 0),
            (R, RST, 10, 0, 0),
        ]);
        assert_eq!(conn.orig.state, EndpointState::Partial);
        assert_eq!(conn.conn_state(), "RSTRH");
    }

    #[test]
    fn sh_syn_then_fin_no_synack() {
        let conn = run(&[(O, SYN, 1, 0, 0), (O, FIN, 2, 0, 0)]);
        assert_eq!(conn.conn_state(), "SH");
        assert_eq!(conn.history(), "SF");
    }

    #[test]
    fn shr_responder_synack_then_fin_no_syn_seen() {
        let conn = run(&[
            (O, ACK, 2, 10, 0),
            (R, SYN | ACK, 9, 2, 0),
            (R, FIN | ACK, 10, 2, 0),
        ]);
        assert_eq!(conn.conn_state(), "SHR");
    }

    #[test]
    fn oth_midstream_traffic() {
        let conn = run(&[(O, ACK | PSH, 500, 900, 10), (R, ACK, 900, 510, 0)]);
        assert_eq!(conn.conn_state(), "OTH");
        assert_eq!(conn.history(), "Da");
    }

    #[test]
    fn a_and_d_are_recorded_once_per_direction() {
        let conn = run(&[
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, ACK, 2, 10, 0),
            (O, ACK, 2, 10, 0),
            (O, ACK | PSH, 2, 10, 5),
            (O, ACK | PSH, 7, 10, 5),
            (R, ACK, 10, 12, 0),
            (R, ACK, 10, 12, 0),
        ]);
        assert_eq!(conn.history(), "ShADa");
    }

    #[test]
    fn fin_recorded_again_only_with_a_new_sequence_number() {
        let retransmitted = run(&[
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, FIN | ACK, 2, 10, 0),
            (O, FIN | ACK, 2, 10, 0),
        ]);
        assert_eq!(retransmitted.history(), "ShF");
        let moved = run(&[
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, FIN | ACK, 2, 10, 0),
            (O, FIN | ACK, 5, 10, 0),
        ]);
        assert_eq!(moved.history(), "ShFF");
    }

    #[test]
    fn rst_with_a_new_sequence_number_is_recorded_again() {
        let conn = run(&[
            (O, SYN, 1, 0, 0),
            (O, RST, 2, 0, 0),
            (O, RST, 2, 0, 0),
            (O, RST, 50, 0, 0),
        ]);
        assert_eq!(conn.history(), "SRR");
    }

    #[test]
    fn a_syn_with_a_new_isn_restarts_the_sequence_space() {
        // Zeek re-initialises a side that sends a SYN with another ISN before relating the
        // sequence number, so the new SYN sits at relative 0 like the first: no second S.
        let conn = run(&[(O, SYN, 1, 0, 0), (O, SYN, 7000, 0, 0)]);
        assert_eq!(conn.history(), "S");
        assert_eq!(conn.conn_state(), "S0");
    }

    #[test]
    fn retransmissions_are_recorded_logarithmically() {
        let mut packets = vec![
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, ACK | PSH, 2, 10, 10),
        ];
        // 100 retransmissions of the same segment: letters at the 1st, 10th and 100th.
        packets.extend(std::iter::repeat_n((O, ACK | PSH, 2, 10, 10), 100));
        let conn = run(&packets);
        assert_eq!(conn.history(), "ShDTTT");
        let mut packets = vec![
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, ACK | PSH, 2, 10, 10),
        ];
        packets.extend(std::iter::repeat_n((O, ACK | PSH, 2, 10, 10), 99));
        assert_eq!(run(&packets).history(), "ShDTT");
    }

    #[test]
    fn zero_windows_are_recorded_logarithmically() {
        let mut conn = run(&[
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, ACK, 2, 10, 0),
        ]);
        for _ in 0..10 {
            conn.observe(&ZeekSegment {
                from_orig: false,
                flags: Flags(ACK),
                seq: 10,
                ack: 2,
                payload_len: 0,
                window: 0,
            });
        }
        // The ACK letter comes before the window letter of the same packet.
        assert_eq!(conn.history(), "ShAaww");
    }

    #[test]
    fn zero_windows_are_not_recorded_with_a_rst_or_after_the_peer_closed() {
        let mut conn = run(&[
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, FIN | ACK, 2, 10, 0),
        ]);
        let zero_window = |from_orig, flags| ZeekSegment {
            from_orig,
            flags: Flags(flags),
            seq: if from_orig { 3 } else { 10 },
            ack: if from_orig { 10 } else { 3 },
            payload_len: 0,
            window: 0,
        };
        // The responder's peer has closed: boring.
        conn.observe(&zero_window(R, ACK));
        // The originator closed itself but may still receive: recorded, after its `A`.
        conn.observe(&zero_window(O, ACK));
        // With a RST: boring.
        conn.observe(&zero_window(O, RST | ACK));
        assert_eq!(conn.history(), "ShFaAWR");
    }

    #[test]
    fn inconsistent_and_multi_flag_packets() {
        let conn = run(&[
            (O, SYN | FIN, 1, 0, 0),
            (O, SYN | FIN, 1, 0, 0),
            (R, FIN | RST, 9, 0, 0),
        ]);
        assert_eq!(conn.history(), "Qi");
    }

    #[test]
    fn fin_after_peer_fin_then_rst_is_a_normal_close() {
        let conn = run(&[
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, ACK, 2, 10, 0),
            (O, FIN | ACK, 2, 10, 0),
            (O, RST, 3, 0, 0),
            (R, FIN | ACK, 10, 3, 0),
        ]);
        assert_eq!(conn.conn_state(), "SF");
    }

    #[test]
    fn simultaneous_open_and_abort() {
        let conn = run(&[
            (O, SYN, 100, 0, 0),
            (R, SYN, 500, 0, 0),
            (R, SYN, 500, 0, 0),
            (O, SYN, 100, 0, 0),
            (O, SYN | ACK, 100, 501, 0),
            (R, SYN | ACK, 500, 101, 0),
            (R, ACK, 501, 101, 0),
            (O, ACK, 101, 501, 0),
            (O, ACK | PSH, 101, 501, 2),
            (R, ACK, 501, 103, 0),
            (R, ACK | PSH, 501, 103, 2),
            (O, ACK, 103, 503, 0),
            (O, RST | ACK, 103, 503, 0),
        ]);
        assert_eq!(conn.history(), "SsaADdR");
        assert_eq!(conn.conn_state(), "RSTO");
    }

    /// The handshake of the gap scripts: originator ISN 1, responder ISN 9.
    const HANDSHAKE: [(bool, u16, u32, u32, u32); 3] = [
        (O, SYN, 1, 0, 0),
        (R, SYN | ACK, 9, 2, 0),
        (O, ACK, 2, 10, 0),
    ];

    fn after_handshake(packets: &[(bool, u16, u32, u32, u32)]) -> ZeekConnection {
        let mut script = HANDSHAKE.to_vec();
        script.extend_from_slice(packets);
        run(&script)
    }

    #[test]
    fn gap_when_the_peer_acknowledges_bytes_never_captured() {
        // Originator bytes 1..=100 are seen, 101..=200 are not, and the responder acknowledges
        // all 200: one gap, the originator's letter, after the ACK's own `a`.
        let conn = run(&[
            (O, SYN, 1000, 0, 0),
            (R, SYN | ACK, 5000, 1001, 0),
            (O, ACK, 1001, 5001, 0),
            (O, ACK | PSH, 1001, 5001, 100),
            (R, ACK, 5001, 1201, 0),
        ]);
        assert_eq!(conn.history(), "ShADaG");
        assert_eq!(conn.orig_bytes(), 200);
    }

    #[test]
    fn gap_for_a_hole_below_data_that_was_captured() {
        // The responder's 51..=100 are lost between two captured segments; the originator's ACK
        // of everything reveals the hole: a responder gap.
        let conn = after_handshake(&[
            (O, ACK | PSH, 2, 10, 10),
            (R, ACK | PSH, 10, 12, 50),
            (R, ACK | PSH, 110, 12, 50),
            (O, ACK, 12, 160, 0),
        ]);
        assert_eq!(conn.history(), "ShADdg");
    }

    #[test]
    fn data_acknowledged_in_order_is_no_gap() {
        let conn = after_handshake(&[
            (O, ACK | PSH, 2, 10, 10),
            (O, ACK | PSH, 22, 10, 10),
            (O, ACK | PSH, 12, 10, 10),
            (R, ACK, 10, 32, 0),
        ]);
        // The segment that arrived late filled the hole before the ACK came: no gap. Lying below
        // the highest sequence number sent, it is a retransmission to Zeek (`T`).
        assert_eq!(conn.history(), "ShADTa");
    }

    #[test]
    fn no_gap_from_an_ack_in_a_rst() {
        // The RST makes its sender reset before its ACK is looked at: not clean, no gap.
        let conn = after_handshake(&[(O, ACK | PSH, 2, 10, 10), (R, RST | ACK, 10, 50, 0)]);
        assert_eq!(conn.history(), "ShADr");
        assert_eq!(conn.conn_state(), "RSTR");
    }

    #[test]
    fn no_gap_in_a_connection_seen_without_its_handshake() {
        let conn = run(&[(O, ACK | PSH, 500, 900, 10), (R, ACK, 900, 600, 0)]);
        assert_eq!(conn.history(), "Da");
    }

    #[test]
    fn the_ack_of_a_fin_is_no_gap_but_lost_data_before_it_is() {
        // 11..=20 are lost, the FIN (sequence 21) is seen, and its ACK covers the FIN octet.
        let conn = after_handshake(&[
            (O, ACK | PSH, 2, 10, 10),
            (O, FIN | ACK, 22, 10, 0),
            (R, ACK, 10, 23, 0),
        ]);
        assert_eq!(conn.history(), "ShADFaG");
        // Closed after being established still counts as clean.
        assert_eq!(conn.conn_state(), "S2");
    }

    #[test]
    fn gaps_are_recorded_logarithmically() {
        let mut packets = Vec::new();
        // Ten rounds: 10 bytes seen, 10 bytes lost, then an ACK of both.
        for round in 0..10u32 {
            let seq = 2 + 20 * round;
            packets.push((O, ACK | PSH, seq, 10, 10));
            packets.push((R, ACK, 10, seq + 20, 0));
        }
        assert_eq!(after_handshake(&packets).history(), "ShADaGG");
        packets.truncate(18);
        assert_eq!(after_handshake(&packets).history(), "ShADaG");
    }

    #[test]
    fn data_far_above_a_hole_with_nothing_acknowledged_is_given_up_on() {
        // 17000 bytes above a 10-byte hole, none of the side's data acknowledged yet: Zeek stops
        // reassembling that side, so the later ACK of it all finds no gap.
        let conn = after_handshake(&[
            (O, ACK | PSH, 2, 10, 10),
            (O, ACK | PSH, 22, 10, 17_000),
            (R, ACK, 10, 17_022, 0),
        ]);
        assert_eq!(conn.history(), "ShADa");
        // Below the limit the same hole is a gap.
        let conn = after_handshake(&[
            (O, ACK | PSH, 2, 10, 10),
            (O, ACK | PSH, 22, 10, 16_000),
            (R, ACK, 10, 16_022, 0),
        ]);
        assert_eq!(conn.history(), "ShADaG");
    }

    #[test]
    fn a_caller_flip_before_the_first_packet_puts_the_caret_first() {
        let mut conn = ZeekConnection::default();
        conn.flip_roles();
        for &(from_orig, flags, seq, ack, payload_len) in
            &[(O, ACK | PSH, 500, 900, 10), (R, ACK, 900, 510, 0)]
        {
            conn.observe(&ZeekSegment {
                from_orig,
                flags: Flags(flags),
                seq,
                ack,
                payload_len,
                window: 64,
            });
        }
        assert_eq!(conn.history(), "^Da");
        assert!(!conn.roles_reversed());
        assert_eq!(conn.orig_bytes(), 10);
    }

    #[test]
    fn a_syn_answering_the_synack_seen_first_flips_the_roles() {
        // The server's SYN/ACK is captured before the client's SYN: Zeek records the SYN as the
        // responder's, then flips (`^`); from then on the client is the originator, and the
        // letters seen once stay with the role (the server's `H` was the originator's SYN
        // letter, the client's ACK is still the originator's first `A`).
        let conn = run(&[
            (O, SYN | ACK, 9, 2, 0),
            (R, SYN, 1, 0, 0),
            (R, ACK, 2, 10, 0),
            (O, ACK | PSH, 10, 2, 5),
        ]);
        assert_eq!(conn.history(), "Hs^Ad");
        assert!(conn.roles_reversed());
        assert_eq!(conn.conn_state(), "S1");
        assert_eq!(conn.orig_bytes(), 0);
        assert_eq!(conn.resp_bytes(), 5);
    }

    #[test]
    fn retransmission_letters_follow_the_packets_own_letters() {
        let mut packets = vec![(O, ACK | PSH, 2, 10, 10)];
        packets.extend(std::iter::repeat_n((O, ACK | PSH, 2, 10, 10), 99));
        // The FIN sent with the retransmitted data reaches one octet past it: not a
        // retransmission, so only the repeat of that FIN segment is the 100th.
        packets.push((O, FIN | ACK | PSH, 2, 10, 10));
        packets.push((O, FIN | ACK | PSH, 2, 10, 10));
        assert_eq!(after_handshake(&packets).history(), "ShADTTFT");
    }

    #[test]
    fn a_syn_carrying_data_counts_as_a_retransmission() {
        // Zeek sets the side's highest sequence number past the SYN's data before asking
        // whether the data reaches past it (TCP Fast Open's SYN shows `T`).
        let conn = run(&[(O, SYN, 1, 0, 20), (R, SYN | ACK, 9, 22, 0)]);
        assert_eq!(conn.history(), "STh");
    }

    #[test]
    fn scaled_count_wraps_as_zeek_does() {
        let mut count = ScaledCount {
            count: 999_999_999,
            threshold: 1_000_000_000,
        };
        assert!(count.bump());
        // 10^10 wraps to 1_410_065_408, still larger: taken.
        assert_eq!(count.threshold, 1_410_065_408);
        count.count = 1_410_065_407;
        assert!(count.bump());
        // Wrapping again gives a smaller product: the count restarts under the same threshold.
        assert_eq!((count.count, count.threshold), (0, 1_410_065_408));
    }

    #[test]
    fn rstos0_pattern() {
        assert!(history_is_syn_then_rst("SR"));
        assert!(history_is_syn_then_rst("^SsR"));
        assert!(history_is_syn_then_rst("STR"));
        // The pattern is case-sensitive: only the originator's H A F G I Q rule it out.
        assert!(history_is_syn_then_rst("ShR"));
        assert!(!history_is_syn_then_rst("SHR"));
        assert!(!history_is_syn_then_rst("SAR"));
        assert!(!history_is_syn_then_rst("R"));
        assert!(!history_is_syn_then_rst("S"));
    }
}
