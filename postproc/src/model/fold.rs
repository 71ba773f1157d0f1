//! Folding a capture's packets into one [`Row`] per connection (one `tcp.stream`).
//!
//! Only per-connection state is kept, never the packets, and only while a connection is open:
//! once both sides have closed (or one has reset) and the capture has moved on by [`LINGER`]
//! without a packet of it, its row is handed out and its state dropped. That is what Zeek does
//! too (its `tcp_close_delay`), so the late ACKs, retransmitted FINs and RSTs that follow a close
//! still count. A packet of a connection after that (rare) is left out of its row.
//!
//! Rows come out in stream order: a row waits for the rows of lower streams still open. So memory
//! grows with the connections open at once and the rows waiting behind the oldest of them, not
//! with the capture's packets (but for one bit per stream number, to know those late packets).
//! A capture where one connection stays open throughout keeps every later row until it ends.
//!
//! When asked, each connection also draws its [`Ladder`], which keeps the handshake and teardown
//! packets and counts the others.

use std::collections::VecDeque;
use std::mem;

use rustc_hash::FxHashMap;

use crate::model::finished::Finished;
use crate::model::in_order::InOrder;
use crate::model::ladder::Ladder;
use crate::model::packet::LabelledPacket;
use crate::model::row::{ActiveCloser, Endpoint, Row};
use crate::model::stream_set::StreamSet;
use crate::model::zeek::{ZeekConnection, ZeekSegment};
use crate::vocab::seconds::Seconds;
use tcpwave_core::roles::first_sender_side;
use tcpwave_core::{Anomaly, AnomalySet, Flags, HandshakeVerdict, Side, TeardownVerdict};

#[derive(Debug)]
struct OpenConnection {
    orig: Endpoint,
    resp: Endpoint,
    start: Seconds,
    last: Seconds,
    /// Packets and IP bytes (headers included) of the originator, then of the responder.
    orig_pkts: u64,
    resp_pkts: u64,
    orig_ip_bytes: u64,
    resp_ip_bytes: u64,
    handshake_steps: Vec<u8>,
    teardown_steps: Vec<u8>,
    handshake_rtt: Option<Seconds>,
    syn_to_synack: Option<Seconds>,
    synack_to_ack: Option<Seconds>,
    teardown_duration: Option<Seconds>,
    active_closer: Option<ActiveCloser>,
    repeats: u32,
    /// The plugin's expert items on the connection's packets.
    anomalies: AnomalySet,
    handshake: Option<HandshakeVerdict>,
    teardown: Option<TeardownVerdict>,
    zeek: ZeekConnection,
    ladder: Option<Ladder>,
}

impl OpenConnection {
    /// The originator is the plugin's client, which the first packet decides (a SYN's sender, a
    /// SYN/ACK's receiver, else Zeek's guess by port). When that is not the first packet's sender,
    /// the roles are flipped as Zeek flips them, and the history starts with `^`.
    fn new(first: &LabelledPacket, draw_ladder: bool) -> Self {
        let sender = Endpoint {
            addr: first.src,
            port: first.src_port,
        };
        let receiver = Endpoint {
            addr: first.dst,
            port: first.dst_port,
        };
        let flipped =
            first_sender_side(Flags(first.flags.0), first.src_port, first.dst_port) == Side::Server;
        let (orig, resp) = if flipped {
            (receiver, sender)
        } else {
            (sender, receiver)
        };
        let mut zeek = ZeekConnection::default();
        if flipped {
            zeek.flip_roles();
        }
        OpenConnection {
            orig,
            resp,
            start: first.time,
            last: first.time,
            orig_pkts: 0,
            resp_pkts: 0,
            orig_ip_bytes: 0,
            resp_ip_bytes: 0,
            handshake_steps: Vec::new(),
            teardown_steps: Vec::new(),
            handshake_rtt: None,
            syn_to_synack: None,
            synack_to_ack: None,
            teardown_duration: None,
            active_closer: None,
            repeats: 0,
            anomalies: AnomalySet::default(),
            handshake: None,
            teardown: None,
            zeek,
            ladder: draw_ladder.then(Ladder::default),
        }
    }

    fn add(&mut self, packet: &LabelledPacket) {
        let from_orig = packet.src == self.orig.addr && packet.src_port == self.orig.port;
        if from_orig {
            self.orig_pkts += 1;
            self.orig_ip_bytes += u64::from(packet.ip_len);
        } else {
            self.resp_pkts += 1;
            self.resp_ip_bytes += u64::from(packet.ip_len);
        }
        self.start = self.start.min(packet.time);
        self.last = self.last.max(packet.time);
        self.handshake_steps
            .extend_from_slice(&packet.handshake_steps);
        if packet.teardown_steps.contains(&1) && self.active_closer.is_none() {
            self.active_closer = Some(if from_orig {
                ActiveCloser::Orig
            } else {
                ActiveCloser::Resp
            });
        }
        self.teardown_steps
            .extend_from_slice(&packet.teardown_steps);
        self.handshake_rtt = self.handshake_rtt.or(packet.handshake_rtt);
        self.syn_to_synack = self.syn_to_synack.or(packet.syn_to_synack);
        self.synack_to_ack = self.synack_to_ack.or(packet.synack_to_ack);
        self.teardown_duration = self.teardown_duration.or(packet.teardown_duration);
        self.repeats += u32::from(packet.repeat);
        self.anomalies.extend(packet.anomalies);
        self.handshake = packet.conn_handshake.or(self.handshake);
        self.teardown = packet.conn_teardown.or(self.teardown);
        self.zeek.observe(&ZeekSegment {
            from_orig,
            flags: packet.flags,
            seq: packet.seq,
            ack: packet.ack,
            payload_len: packet.payload_len,
            window: packet.window,
        });
        if let Some(ladder) = &mut self.ladder {
            ladder.add(packet, from_orig);
        }
    }

    /// Both sides sent a FIN, or one sent a RST: nothing more is expected.
    fn is_over(&self) -> bool {
        self.zeek.is_over()
    }

    /// The other side becomes the originator: endpoints, counts and closer follow.
    fn swap_roles(&mut self) {
        mem::swap(&mut self.orig, &mut self.resp);
        mem::swap(&mut self.orig_pkts, &mut self.resp_pkts);
        mem::swap(&mut self.orig_ip_bytes, &mut self.resp_ip_bytes);
        self.active_closer = self.active_closer.map(|closer| match closer {
            ActiveCloser::Orig => ActiveCloser::Resp,
            ActiveCloser::Resp => ActiveCloser::Orig,
        });
    }

    fn finish(mut self, file: &str, stream: u64) -> Finished {
        // Engines that see a verdict only at the connection's end leave this mark to the row.
        if self.handshake.is_some_and(|handshake| {
            Anomaly::marks_unanswered_syn(self.handshake_steps.contains(&1), handshake)
        }) {
            self.anomalies.insert(Anomaly::Unanswered);
        }
        // Zeek's own role reversal (a SYN answering the SYN/ACK seen first) reports the other
        // side as the originator; the endpoints and the closer follow it.
        if self.zeek.roles_reversed() {
            self.swap_roles();
        }
        let row = Row {
            file: file.to_owned(),
            stream,
            orig: self.orig,
            resp: self.resp,
            start: self.start,
            duration: self.last.saturating_sub(self.start),
            handshake: self.handshake,
            handshake_steps: self.handshake_steps,
            handshake_rtt: self.handshake_rtt,
            syn_to_synack: self.syn_to_synack,
            synack_to_ack: self.synack_to_ack,
            teardown: self.teardown,
            teardown_steps: self.teardown_steps,
            active_closer: self.active_closer,
            teardown_duration: self.teardown_duration,
            packets: self.orig_pkts + self.resp_pkts,
            orig_bytes: self.zeek.orig_bytes(),
            resp_bytes: self.zeek.resp_bytes(),
            orig_pkts: self.orig_pkts,
            resp_pkts: self.resp_pkts,
            orig_ip_bytes: self.orig_ip_bytes,
            resp_ip_bytes: self.resp_ip_bytes,
            repeats: self.repeats,
            anomalies: self.anomalies.iter().collect(),
            conn_state: self.zeek.conn_state(),
            history: self.zeek.history().to_owned(),
        };
        Finished {
            row,
            ladder: self.ladder,
        }
    }
}

/// How long a closed connection is kept for late packets, in capture time (Zeek's default
/// `tcp_close_delay`).
pub const LINGER: Seconds = Seconds::from_secs(5);

/// The open connections of one capture, keyed by `tcp.stream`.
#[derive(Debug)]
pub struct Connections {
    file: String,
    draw_ladders: bool,
    /// Boxed: the map's table holds room for more entries than it has, and a connection is large.
    open: FxHashMap<u64, Box<OpenConnection>>,
    /// Connections seen closing, oldest first, with the time of the packet that closed them.
    closing: VecDeque<(Seconds, u64)>,
    /// Streams whose rows were handed out already.
    done: StreamSet,
    /// Rows of connections that are over, waiting for a lower stream's row: rows come out in
    /// stream order.
    waiting: InOrder,
    /// The lowest stream whose row has not come out yet.
    next_out: u64,
}

impl Connections {
    pub fn new(file: &str, draw_ladders: bool) -> Self {
        Connections {
            file: file.to_owned(),
            draw_ladders,
            open: FxHashMap::default(),
            closing: VecDeque::new(),
            done: StreamSet::default(),
            waiting: InOrder::default(),
            next_out: 0,
        }
    }

    /// Adds one packet; `emit` gets the connections that are over, in stream order. Returns the
    /// streams the fold follows no more after this packet, whose state a reader may drop: those
    /// whose rows were handed over (to go out, or to wait for a lower stream's), and the packet's
    /// own when it was left out (its connection's row was handed over already).
    pub fn add(&mut self, packet: &LabelledPacket, emit: &mut impl FnMut(Finished)) -> Vec<u64> {
        let mut followed_no_more = self.emit_finished(packet.time, emit);
        if self.done.contains(packet.stream) {
            followed_no_more.push(packet.stream);
            return followed_no_more;
        }
        let connection = self
            .open
            .entry(packet.stream)
            .or_insert_with(|| Box::new(OpenConnection::new(packet, self.draw_ladders)));
        let was_over = connection.is_over();
        connection.add(packet);
        if connection.is_over() && !was_over {
            self.closing.push_back((packet.time, packet.stream));
        }
        followed_no_more
    }

    /// Hands over the connections over for longer than [`LINGER`] at `now`; returns their streams.
    fn emit_finished(&mut self, now: Seconds, emit: &mut impl FnMut(Finished)) -> Vec<u64> {
        let mut handed_over = Vec::new();
        while let Some(&(closed_at, stream)) = self.closing.front() {
            if now.saturating_sub(closed_at) <= LINGER {
                break;
            }
            self.closing.pop_front();
            let Some(connection) = self.open.get(&stream) else {
                continue;
            };
            if now.saturating_sub(connection.last) <= LINGER {
                // Still sending after its close: look again later.
                self.closing.push_back((connection.last, stream));
                continue;
            }
            if let Some(connection) = self.open.remove(&stream) {
                self.done.insert(stream);
                self.waiting.insert(connection.finish(&self.file, stream));
                handed_over.push(stream);
            }
        }
        self.release_in_order(emit);
        handed_over
    }

    /// Hands out the waiting rows that no lower stream's row comes before. Streams are numbered
    /// in the order of their first frames, which the fold sees in capture order: a lower stream
    /// that is not open by now is over or never had a packet the fold takes (a TCP header quoted
    /// in an ICMP error has a stream number of its own), and holds nothing back.
    fn release_in_order(&mut self, emit: &mut impl FnMut(Finished)) {
        while let Some(lowest) = self.waiting.lowest() {
            while self.next_out < lowest && !self.open.contains_key(&self.next_out) {
                self.next_out += 1;
            }
            if self.next_out < lowest {
                break;
            }
            if let Some(finished) = self.waiting.pop() {
                emit(finished);
            }
            self.next_out = lowest + 1;
        }
    }

    /// Connections whose rows are not handed out yet.
    #[cfg(test)]
    pub(crate) fn open_count(&self) -> usize {
        self.open.len()
    }

    /// The rows not handed out yet (of the connections still open at the end of the capture,
    /// and those waiting for them), in stream order.
    /// Returns what went wrong with the rows waiting on disk, if anything.
    pub fn finish(mut self, emit: &mut impl FnMut(Finished)) -> Option<String> {
        for (stream, connection) in self.open.drain() {
            self.waiting.insert(connection.finish(&self.file, stream));
        }
        while let Some(finished) = self.waiting.pop() {
            emit(finished);
        }
        self.waiting.problem().map(str::to_owned)
    }
}
