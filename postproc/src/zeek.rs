//! Zeek's `conn_state` and `history` for one TCP connection.
//!
//! Zeek's conn.log documentation is the specification: the `conn_state` table (S0 … OTH) and the
//! `history` letters. Where the documentation leaves details to the implementation (when a side
//! counts as "established", how a repeated FIN is told from a new one, what a retransmission is),
//! this module follows Zeek's TCP analyzer, endpoint by endpoint:
//!
//! - `s h f r` are recorded again only when the sequence number differs from the last packet of
//!   the same kind from that side (a retransmitted SYN or FIN adds nothing);
//! - `a d i q` are recorded once per direction;
//! - `t w` are recorded logarithmically: at the 1st, 10th, 100th … occurrence;
//! - upper case for the originator, lower case for the responder.
//!
//! Not produced: `c` (tshark is not asked to verify checksums; local captures carry offloaded
//! checksums, so this matches running Zeek with `-C`), `g` (content gaps need Zeek's reassembler),
//! `^` and `x` (the originator is the plugin's client, never flipped by a heuristic).

use crate::fields::TcpFlags;

/// One TCP segment as Zeek's analyzer sees it.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    pub from_orig: bool,
    pub flags: TcpFlags,
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

    /// Counts one event; true when it crosses the next power of ten.
    fn bump(&mut self) -> bool {
        self.count = self.count.wrapping_add(1);
        if self.count != self.threshold {
            return false;
        }
        match self.threshold.checked_mul(10) {
            Some(next) => self.threshold = next,
            None => self.count = 0,
        }
        true
    }
}

/// The history letters a side has already recorded once (Zeek's `hist_seen` bits).
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

#[derive(Debug, Clone)]
struct Endpoint {
    state: EndpointState,
    prev_state: EndpointState,
    /// Signed, as in Zeek, so that a partial connection's `seq - 1` start can be represented.
    start_seq: i64,
    last_seq: u32,
    ack_seq: u32,
    seq_wraps: u32,
    ack_wraps: u32,
    fin_count: u32,
    seen: SeenLetters,
    hist_last_syn: u64,
    hist_last_fin: u64,
    hist_last_rst: u64,
    retransmissions: ScaledCount,
    zero_windows: ScaledCount,
}

const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;

fn seq_delta(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

fn full_seq(seq: u32, wraps: u32) -> u64 {
    (u64::from(wraps) << 32) + u64::from(seq)
}

impl Endpoint {
    const fn new() -> Self {
        Endpoint {
            state: EndpointState::Inactive,
            prev_state: EndpointState::Inactive,
            start_seq: 0,
            last_seq: 0,
            ack_seq: 0,
            seq_wraps: 0,
            ack_wraps: 0,
            fin_count: 0,
            seen: SeenLetters {
                syn: false,
                fin: false,
                rst: false,
                fin_rst: false,
                data: false,
                ack: false,
                multi_flag: false,
            },
            hist_last_syn: 0,
            hist_last_fin: 0,
            hist_last_rst: 0,
            retransmissions: ScaledCount::new(),
            zero_windows: ScaledCount::new(),
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
        ((full_seq(seq, wraps) as i64 - self.start_seq) as u64, false)
    }

    fn no_data_acked(&self) -> bool {
        let ack = full_seq(self.ack_seq, self.ack_wraps) as i64;
        ack == self.start_seq || ack == self.start_seq + 1
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

/// Zeek's view of one TCP connection, fed packet by packet.
#[derive(Debug, Clone)]
pub struct ZeekConnection {
    orig: Endpoint,
    resp: Endpoint,
    history: String,
}

impl Default for ZeekConnection {
    fn default() -> Self {
        ZeekConnection {
            orig: Endpoint::new(),
            resp: Endpoint::new(),
            history: String::new(),
        }
    }
}

impl ZeekConnection {
    pub fn history(&self) -> &str {
        &self.history
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
    }

    pub fn observe(&mut self, segment: &Segment) {
        let is_orig = segment.from_orig;
        let flags = segment.flags;
        let len = segment.payload_len;
        let (endpoint, peer) = if is_orig {
            (&mut self.orig, &mut self.resp)
        } else {
            (&mut self.resp, &mut self.orig)
        };

        let mut seg_len = len + u32::from(flags.syn()) + u32::from(flags.fin());
        if flags.rst() {
            seg_len -= len;
        }
        let seq_one_past = segment.seq.wrapping_add(seg_len);
        init_endpoint(endpoint, flags, segment.seq, seq_one_past);

        let (rel_seq, _) =
            endpoint.relative_seq(segment.seq, endpoint.last_seq, endpoint.seq_wraps);
        update_history(&mut self.history, is_orig, endpoint, flags, rel_seq, len);

        if segment.window == 0
            && !flags.rst()
            && peer.state != EndpointState::Closed
            && endpoint.state != EndpointState::Reset
            && endpoint.zero_windows.bump()
        {
            push_letter(&mut self.history, is_orig, 'W');
        }

        if flags.fin() {
            endpoint.fin_count += 1;
        }

        if flags.ack() {
            if peer.state == EndpointState::Inactive {
                let start = segment.ack.wrapping_sub(1);
                peer.restart_at(start, start);
            } else {
                let (_, underflow) = peer.relative_seq(segment.ack, peer.ack_seq, peer.ack_wraps);
                if !underflow && !flags.rst() {
                    let delta_ack = seq_delta(segment.ack, peer.ack_seq);
                    let looks_broken = segment.ack == 0 && delta_ack > TOO_LARGE_SEQ_DELTA;
                    if !looks_broken && delta_ack > 0 {
                        peer.update_ack_seq(segment.ack);
                    }
                }
            }
        }

        if update_last_seq(endpoint, seq_one_past, flags, len) {
            push_letter(&mut self.history, is_orig, 'T');
        }

        if is_orig {
            update_state_machine(&mut self.orig, &mut self.resp, segment);
        } else {
            update_state_machine(&mut self.resp, &mut self.orig, segment);
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

fn init_endpoint(endpoint: &mut Endpoint, flags: TcpFlags, seq: u32, seq_one_past: u32) {
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
    endpoint: &mut Endpoint,
    flags: TcpFlags,
    rel_seq: u64,
    len: u32,
) {
    let control_bits = u8::from(flags.syn()) + u8::from(flags.fin()) + u8::from(flags.rst());
    let seen = &mut endpoint.seen;
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
fn update_last_seq(endpoint: &mut Endpoint, seq_one_past: u32, flags: TcpFlags, len: u32) -> bool {
    let delta_last = seq_delta(seq_one_past, endpoint.last_seq);
    let implausible_jump = !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta_last);
    if (flags.syn() || flags.rst()) && implausible_jump {
        false
    } else if flags.fin() && i64::from(endpoint.last_seq) == endpoint.start_seq + 1 {
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

fn update_state_machine(endpoint: &mut Endpoint, peer: &mut Endpoint, segment: &Segment) {
    use EndpointState::*;
    let flags = segment.flags;
    match endpoint.state {
        Inactive => {
            if flags.syn() {
                if segment.from_orig {
                    endpoint.set_state(if flags.ack() { SynAckSent } else { SynSent });
                } else {
                    // A SYN without ACK answering the originator's SYN/ACK is Zeek's
                    // "SYN/SYN-ACK reversal": it flips the roles there; the roles here stay
                    // the plugin's, so only the states follow.
                    if !flags.ack()
                        && peer.state == SynAckSent
                        && segment.seq == endpoint.start_seq_u32()
                    {
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
                    !segment.from_orig && segment.payload_len == 0 && peer.state == SynSent;
                if early_ack_of_syn {
                    // Some stacks ACK a SYN before answering it: not a partial connection.
                } else if flags.ack() && peer.state == Established {
                    endpoint.set_state(Established);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIN: u16 = 0x01;
    const SYN: u16 = 0x02;
    const RST: u16 = 0x04;
    const PSH: u16 = 0x08;
    const ACK: u16 = 0x10;

    /// A small script of packets: (from originator?, flags, seq, ack, payload length).
    fn run(packets: &[(bool, u16, u32, u32, u32)]) -> ZeekConnection {
        let mut conn = ZeekConnection::default();
        for &(from_orig, flags, seq, ack, payload_len) in packets {
            conn.observe(&Segment {
                from_orig,
                flags: TcpFlags(flags),
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
        packets.extend(std::iter::repeat((O, ACK | PSH, 2, 10, 10)).take(100));
        let conn = run(&packets);
        assert_eq!(conn.history(), "ShDTTT");
        let mut packets = vec![
            (O, SYN, 1, 0, 0),
            (R, SYN | ACK, 9, 2, 0),
            (O, ACK | PSH, 2, 10, 10),
        ];
        packets.extend(std::iter::repeat((O, ACK | PSH, 2, 10, 10)).take(99));
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
            conn.observe(&Segment {
                from_orig: false,
                flags: TcpFlags(ACK),
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
