//! Folding a capture's packets into one [`Row`] per connection (one `tcp.stream`).
//!
//! Only per-connection state is kept, never the packets, and only while a connection is open:
//! once both sides have closed (or one has reset) and the capture has moved on by [`LINGER`]
//! without a packet of it, its row is handed out and its state dropped. That is what Zeek does
//! too (its `tcp_close_delay`), so the late ACKs, retransmitted FINs and RSTs that follow a close
//! still count. A packet of a connection after that (rare) is left out of its row. So memory grows
//! with the connections open at once, not with the capture's packets or connections (but for one
//! bit per stream number, to know those late packets).
//!
//! When asked, each connection also draws its [`Ladder`], which keeps the handshake and teardown
//! packets and counts the others.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::IpAddr;

use crate::fields::Packet;
use crate::ladder::Ladder;
use crate::row::{ActiveCloser, Row};
use crate::seconds::Seconds;
use crate::stream_set::StreamSet;
use crate::zeek::{Segment, ZeekConnection};
use tcpwave_core::roles::first_sender_side;
use tcpwave_core::{AnomalySet, Flags, HandshakeVerdict, Side, TeardownVerdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub addr: IpAddr,
    pub port: u16,
}

/// `10.0.0.1:80`, `[::1]:80`.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            IpAddr::V6(addr) => write!(f, "[{addr}]:{}", self.port),
            IpAddr::V4(addr) => write!(f, "{addr}:{}", self.port),
        }
    }
}

/// A connection handed out: its row, and its ladder when ladders were asked for.
#[derive(Debug)]
pub struct Finished {
    pub row: Row,
    pub ladder: Option<Ladder>,
}

#[derive(Debug)]
struct Connection {
    orig: Endpoint,
    resp: Endpoint,
    start: Seconds,
    last: Seconds,
    packets: u64,
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

impl Connection {
    /// The originator is the plugin's client, which the first packet decides (a SYN's sender, a
    /// SYN/ACK's receiver, else Zeek's guess by port). When that is not the first packet's sender,
    /// the roles are flipped as Zeek flips them, and the history starts with `^`.
    fn new(first: &Packet, draw_ladder: bool) -> Self {
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
        Connection {
            orig,
            resp,
            start: first.time,
            last: first.time,
            packets: 0,
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

    fn add(&mut self, packet: &Packet) {
        let from_orig = packet.src == self.orig.addr && packet.src_port == self.orig.port;
        self.packets += 1;
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
        self.zeek.observe(&Segment {
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

    fn finish(self, file: &str, stream: u64) -> Finished {
        // Zeek's own role reversal (a SYN answering the SYN/ACK seen first) reports the other
        // side as the originator; the endpoints and the closer follow it.
        let (orig, resp, active_closer) = if self.zeek.roles_reversed() {
            let closer = self.active_closer.map(|closer| match closer {
                ActiveCloser::Orig => ActiveCloser::Resp,
                ActiveCloser::Resp => ActiveCloser::Orig,
            });
            (self.resp, self.orig, closer)
        } else {
            (self.orig, self.resp, self.active_closer)
        };
        let row = Row {
            file: file.to_owned(),
            stream,
            orig,
            resp,
            start: self.start,
            duration: self.last.saturating_sub(self.start),
            handshake: self.handshake,
            handshake_steps: self.handshake_steps,
            handshake_rtt: self.handshake_rtt,
            syn_to_synack: self.syn_to_synack,
            synack_to_ack: self.synack_to_ack,
            teardown: self.teardown,
            teardown_steps: self.teardown_steps,
            active_closer,
            teardown_duration: self.teardown_duration,
            packets: self.packets,
            orig_bytes: self.zeek.orig_bytes(),
            resp_bytes: self.zeek.resp_bytes(),
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
    open: HashMap<u64, Box<Connection>>,
    /// Connections seen closing, oldest first, with the time of the packet that closed them.
    closing: VecDeque<(Seconds, u64)>,
    /// Streams whose rows were handed out already.
    done: StreamSet,
}

impl Connections {
    pub fn new(file: &str, draw_ladders: bool) -> Self {
        Connections {
            file: file.to_owned(),
            draw_ladders,
            open: HashMap::new(),
            closing: VecDeque::new(),
            done: StreamSet::default(),
        }
    }

    /// Adds one packet; `emit` gets the connections that are over.
    pub fn add(&mut self, packet: &Packet, emit: &mut impl FnMut(Finished)) {
        self.emit_finished(packet.time, emit);
        if self.done.contains(packet.stream) {
            return;
        }
        let connection = self
            .open
            .entry(packet.stream)
            .or_insert_with(|| Box::new(Connection::new(packet, self.draw_ladders)));
        let was_over = connection.is_over();
        connection.add(packet);
        if connection.is_over() && !was_over {
            self.closing.push_back((packet.time, packet.stream));
        }
    }

    fn emit_finished(&mut self, now: Seconds, emit: &mut impl FnMut(Finished)) {
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
                emit(connection.finish(&self.file, stream));
            }
        }
    }

    /// The connections still open at the end of the capture, in stream order.
    pub fn finish(mut self, emit: &mut impl FnMut(Finished)) {
        let mut streams: Vec<u64> = self.open.keys().copied().collect();
        streams.sort_unstable();
        for stream in streams {
            if let Some(connection) = self.open.remove(&stream) {
                emit(connection.finish(&self.file, stream));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::tests::{base, line};
    use tcpwave_core::Anomaly;

    fn packet(fields: &[(&str, &str)]) -> Packet {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let (frame, src, sport, dst, dport, flags) = (
            lookup(fields, "frame.number"),
            lookup(fields, "ip.src"),
            lookup(fields, "tcp.srcport"),
            lookup(fields, "ip.dst"),
            lookup(fields, "tcp.dstport"),
            lookup(fields, "tcp.flags"),
        );
        all.extend(base(frame, src, sport, dst, dport, flags));
        Packet::parse_line(&line(&all)).unwrap()
    }

    fn lookup<'a>(fields: &[(&str, &'a str)], name: &str) -> &'a str {
        fields
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, value)| *value)
            .unwrap_or("")
    }

    const C: (&str, &str) = ("10.0.0.1", "40000");
    const S: (&str, &str) = ("10.0.0.2", "80");

    fn from<'a>(
        side: (&'a str, &'a str),
        to: (&'a str, &'a str),
        frame: &'a str,
        flags: &'a str,
    ) -> Vec<(&'static str, &'a str)> {
        vec![
            ("frame.number", frame),
            ("ip.src", side.0),
            ("tcp.srcport", side.1),
            ("ip.dst", to.0),
            ("tcp.dstport", to.1),
            ("tcp.flags", flags),
        ]
    }

    /// A three-way close as the plugin labels it, in a two-pass run.
    fn three_way_close() -> Vec<Packet> {
        let verdicts = [
            ("tcpwave.conn.handshake", "complete"),
            ("tcpwave.conn.teardown", "three-way"),
        ];
        let script: Vec<Vec<(&str, &str)>> = vec![
            [
                from(C, S, "1", "0x0002"),
                vec![("tcpwave.handshake.step", "1"), ("tcp.seq_raw", "100")],
            ]
            .concat(),
            [
                from(S, C, "2", "0x0012"),
                vec![
                    ("tcpwave.handshake.step", "2"),
                    ("tcp.seq_raw", "500"),
                    ("tcp.ack_raw", "101"),
                    ("frame.time_epoch", "1700000000.000010000"),
                ],
            ]
            .concat(),
            [
                from(C, S, "3", "0x0010"),
                vec![
                    ("tcpwave.handshake.step", "3"),
                    ("tcp.seq_raw", "101"),
                    ("tcp.ack_raw", "501"),
                    ("frame.time_epoch", "1700000000.000030000"),
                    ("tcpwave.handshake.rtt", "0.000030000"),
                    ("tcpwave.handshake.syn_to_synack", "0.000010000"),
                    ("tcpwave.handshake.synack_to_ack", "0.000020000"),
                ],
            ]
            .concat(),
            [
                from(C, S, "4", "0x0018"),
                vec![
                    ("tcp.seq_raw", "101"),
                    ("tcp.ack_raw", "501"),
                    ("tcp.len", "10"),
                    ("frame.time_epoch", "1700000000.001000000"),
                ],
            ]
            .concat(),
            [
                from(C, S, "5", "0x0011"),
                vec![
                    ("tcpwave.teardown.step", "1"),
                    ("tcp.seq_raw", "111"),
                    ("tcp.ack_raw", "501"),
                    ("frame.time_epoch", "1700000000.002000000"),
                ],
            ]
            .concat(),
            [
                from(S, C, "6", "0x0011"),
                vec![
                    ("tcpwave.teardown.step", "2,3"),
                    ("tcp.seq_raw", "501"),
                    ("tcp.ack_raw", "112"),
                    ("frame.time_epoch", "1700000000.002100000"),
                ],
            ]
            .concat(),
            [
                from(C, S, "7", "0x0010"),
                vec![
                    ("tcpwave.teardown.step", "4"),
                    ("tcp.seq_raw", "112"),
                    ("tcp.ack_raw", "502"),
                    ("frame.time_epoch", "1700000000.002200000"),
                    ("tcpwave.teardown.duration", "0.000200000"),
                ],
            ]
            .concat(),
        ];
        script
            .into_iter()
            .map(|mut fields| {
                fields.extend(verdicts);
                packet(&fields)
            })
            .collect()
    }

    fn rows_of(file: &str, packets: &[Packet]) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut connections = Connections::new(file, false);
        for packet in packets {
            connections.add(packet, &mut |finished| rows.push(finished.row));
        }
        connections.finish(&mut |finished| rows.push(finished.row));
        rows
    }

    #[test]
    fn a_three_way_close_becomes_one_row() {
        let rows = rows_of("x.pcap", &three_way_close());
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.file, "x.pcap");
        assert_eq!(
            row.orig,
            Endpoint {
                addr: "10.0.0.1".parse().unwrap(),
                port: 40000
            }
        );
        assert_eq!(row.resp.port, 80);
        assert_eq!(row.handshake, Some(HandshakeVerdict::Complete));
        assert_eq!(row.handshake_steps, vec![1, 2, 3]);
        assert_eq!(row.handshake_rtt, Some(Seconds::from_nanos(30_000)));
        assert_eq!(row.teardown, Some(TeardownVerdict::ThreeWay));
        assert_eq!(row.teardown_steps, vec![1, 2, 3, 4]);
        assert_eq!(row.active_closer, Some(ActiveCloser::Orig));
        assert_eq!(row.teardown_duration, Some(Seconds::from_nanos(200_000)));
        assert_eq!(row.duration, Seconds::from_nanos(2_200_000));
        assert_eq!(row.packets, 7);
        assert_eq!((row.orig_bytes, row.resp_bytes), (10, 0));
        assert!(row.anomalies.is_empty());
        assert_eq!(row.conn_state, "SF");
        assert_eq!(row.history, "ShADFf");
    }

    #[test]
    fn anomalies_are_the_expert_items_of_the_packets() {
        let syn = |frame, expert| {
            packet(
                &[
                    from(C, S, frame, "0x0002"),
                    vec![("tcpwave.handshake.step", "1"), (expert, "1")],
                ]
                .concat(),
            )
        };
        let rst = packet(
            &[
                from(S, C, "3", "0x0014"),
                vec![("tcp.ack_raw", "1001"), ("tcpwave.expert.refused", "1")],
            ]
            .concat(),
        );
        let mut repeated = syn("2", "tcpwave.expert.retransmission");
        repeated.repeat = true;
        let row = rows_of(
            "r.pcap",
            &[syn("1", "tcpwave.expert.unanswered"), repeated, rst],
        )
        .remove(0);
        assert_eq!(
            row.anomalies,
            vec![
                Anomaly::Refused,
                Anomaly::Unanswered,
                Anomaly::Retransmission
            ]
        );
        assert_eq!(row.repeats, 1);
        assert_eq!(row.conn_state, "REJ");
        assert_eq!(row.history, "Sr");
    }

    #[test]
    fn a_connection_opened_by_its_synack_is_flipped_to_its_client() {
        let synack = packet(&from(S, C, "1", "0x0012"));
        let ack = packet(
            &[
                from(C, S, "2", "0x0010"),
                vec![("tcp.seq_raw", "1001"), ("tcp.ack_raw", "5001")],
            ]
            .concat(),
        );
        let row = rows_of("f", &[synack, ack]).remove(0);
        assert_eq!(
            (row.orig.to_string(), row.resp.to_string()),
            ("10.0.0.1:40000".to_owned(), "10.0.0.2:80".to_owned())
        );
        assert!(row.history.starts_with('^'), "history {}", row.history);
    }

    #[test]
    fn open_connections_come_at_the_end_in_stream_order() {
        let packets: Vec<Packet> = ["5", "1", "3"]
            .into_iter()
            .map(|stream| {
                let mut fields = from(C, S, "1", "0x0002");
                fields.push(("tcp.stream", stream));
                packet(&fields)
            })
            .collect();
        let streams: Vec<u64> = rows_of("f", &packets)
            .iter()
            .map(|row| row.stream)
            .collect();
        assert_eq!(streams, vec![1, 3, 5]);
    }

    /// `packet` at `seconds` after the epoch used by the other tests, on `stream`.
    fn later(mut packet: Packet, seconds: i64, stream: u64) -> Packet {
        packet.time = Seconds::from_nanos(1_700_000_000_000_000_000 + seconds * 1_000_000_000);
        packet.stream = stream;
        packet
    }

    #[test]
    fn closed_connections_are_handed_out_once_the_capture_moves_on() {
        let close = three_way_close();
        let mut packets: Vec<Packet> = close.iter().cloned().map(|p| later(p, 0, 0)).collect();
        // A retransmitted FIN within the linger time still counts.
        packets.push(later(close[4].clone(), 3, 0));
        // Another connection, 20 s later: stream 0 is over by then.
        packets.push(later(close[0].clone(), 20, 1));
        // A straggler of stream 0 after it was handed out is left out.
        packets.push(later(close[6].clone(), 21, 0));

        let mut emitted = Vec::new();
        let mut connections = Connections::new("f", false);
        for (index, packet) in packets.iter().enumerate() {
            connections.add(packet, &mut |finished| emitted.push((index, finished.row)));
        }
        connections.finish(&mut |finished| emitted.push((usize::MAX, finished.row)));
        let summary: Vec<(usize, u64, u64)> = emitted
            .iter()
            .map(|(at, row)| (*at, row.stream, row.packets))
            .collect();
        assert_eq!(summary, vec![(8, 0, 8), (usize::MAX, 1, 1)]);
        assert_eq!(connections_open_after(&packets[..9]), 1);
    }

    fn connections_open_after(packets: &[Packet]) -> usize {
        let mut connections = Connections::new("f", false);
        for packet in packets {
            connections.add(packet, &mut |_| {});
        }
        connections.open.len()
    }
}
