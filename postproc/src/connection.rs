//! Folding a capture's packets into one [`Row`] per connection (one `tcp.stream`).
//!
//! Only per-connection state is kept, never the packets, so memory grows with the number of
//! connections in a capture, not with its packets. Connections stay open until the capture ends:
//! a packet after a close (a retransmitted FIN, a RST) still changes the Zeek state, the history
//! and the counts.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::fields::Packet;
use crate::row::{ActiveCloser, Row};
use crate::seconds::Seconds;
use tcpwave_core::{Anomaly, HandshakeVerdict, TeardownVerdict};
use crate::zeek::{Segment, ZeekConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub addr: IpAddr,
    pub port: u16,
}

#[derive(Debug, Clone)]
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
    bad_acks: u32,
    /// The sequence number of each side's latest SYN: a SYN with another one starts over.
    syn_seqs: [Option<u32>; 2],
    isn_changed: bool,
    handshake: Option<HandshakeVerdict>,
    teardown: Option<TeardownVerdict>,
    zeek: ZeekConnection,
}

impl Connection {
    /// The side seen first is the originator: it is the client (the first SYN's sender) when the
    /// connection opens with a SYN, and the side seen first of a midstream connection otherwise.
    fn new(first: &Packet) -> Self {
        Connection {
            orig: Endpoint { addr: first.src, port: first.src_port },
            resp: Endpoint { addr: first.dst, port: first.dst_port },
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
            bad_acks: 0,
            syn_seqs: [None, None],
            isn_changed: false,
            handshake: None,
            teardown: None,
            zeek: ZeekConnection::default(),
        }
    }

    fn add(&mut self, packet: &Packet) {
        let from_orig = packet.src == self.orig.addr && packet.src_port == self.orig.port;
        self.packets += 1;
        self.start = self.start.min(packet.time);
        self.last = self.last.max(packet.time);
        self.handshake_steps.extend_from_slice(&packet.handshake_steps);
        if packet.teardown_steps.contains(&1) && self.active_closer.is_none() {
            self.active_closer = Some(if from_orig { ActiveCloser::Orig } else { ActiveCloser::Resp });
        }
        self.teardown_steps.extend_from_slice(&packet.teardown_steps);
        self.handshake_rtt = self.handshake_rtt.or(packet.handshake_rtt);
        self.syn_to_synack = self.syn_to_synack.or(packet.syn_to_synack);
        self.synack_to_ack = self.synack_to_ack.or(packet.synack_to_ack);
        self.teardown_duration = self.teardown_duration.or(packet.teardown_duration);
        self.repeats += u32::from(packet.repeat);
        self.bad_acks += u32::from(!packet.ack_ok);
        if packet.flags.syn() {
            let latest = &mut self.syn_seqs[usize::from(!from_orig)];
            self.isn_changed |= latest.is_some_and(|seq| seq != packet.seq);
            *latest = Some(packet.seq);
        }
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
    }

    /// The expert kinds this connection would have raised, derived from the verdicts and labels.
    fn anomalies(&self) -> Vec<Anomaly> {
        let mut kinds = Vec::new();
        match self.handshake {
            Some(HandshakeVerdict::Refused) => kinds.push(Anomaly::Refused),
            Some(HandshakeVerdict::Unanswered) => kinds.push(Anomaly::Unanswered),
            Some(HandshakeVerdict::Simultaneous) => kinds.push(Anomaly::SimultaneousOpen),
            Some(HandshakeVerdict::Midstream) => kinds.push(Anomaly::Midstream),
            _ => {}
        }
        match self.teardown {
            Some(TeardownVerdict::Reset) if self.handshake != Some(HandshakeVerdict::Refused) => {
                kinds.push(Anomaly::Abort)
            }
            Some(TeardownVerdict::Simultaneous) => kinds.push(Anomaly::SimultaneousClose),
            Some(TeardownVerdict::HalfClosed) => kinds.push(Anomaly::HalfClose),
            _ => {}
        }
        if self.repeats > 0 {
            kinds.push(Anomaly::Retransmission);
        }
        if self.bad_acks > 0 {
            kinds.push(Anomaly::BadAck);
        }
        if self.isn_changed {
            kinds.push(Anomaly::IsnChanged);
        }
        kinds.sort();
        kinds
    }

    fn into_row(self, file: &str, stream: u64) -> Row {
        let anomalies = self.anomalies();
        Row {
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
            packets: self.packets,
            orig_bytes: self.zeek.orig_bytes(),
            resp_bytes: self.zeek.resp_bytes(),
            repeats: self.repeats,
            anomalies,
            conn_state: self.zeek.conn_state(),
            history: self.zeek.history().to_owned(),
        }
    }
}

/// All connections of one capture, keyed by `tcp.stream`.
#[derive(Debug, Default)]
pub struct Connections {
    by_stream: HashMap<u64, Connection>,
}

impl Connections {
    pub fn add(&mut self, packet: &Packet) {
        self.by_stream.entry(packet.stream).or_insert_with(|| Connection::new(packet)).add(packet);
    }

    /// The rows, in stream order.
    pub fn into_rows(self, file: &str) -> Vec<Row> {
        let mut connections: Vec<(u64, Connection)> = self.by_stream.into_iter().collect();
        connections.sort_unstable_by_key(|(stream, _)| *stream);
        connections.into_iter().map(|(stream, connection)| connection.into_row(file, stream)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::tests::{base, line};

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
        fields.iter().find(|(field, _)| *field == name).map(|(_, value)| *value).unwrap_or("")
    }

    const C: (&str, &str) = ("10.0.0.1", "40000");
    const S: (&str, &str) = ("10.0.0.2", "80");

    fn from<'a>(side: (&'a str, &'a str), to: (&'a str, &'a str), frame: &'a str, flags: &'a str) -> Vec<(&'static str, &'a str)> {
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
        let verdicts = [("tcpwave.conn.handshake", "complete"), ("tcpwave.conn.teardown", "three-way")];
        let script: Vec<Vec<(&str, &str)>> = vec![
            [from(C, S, "1", "0x0002"), vec![("tcpwave.handshake.step", "1"), ("tcp.seq_raw", "100")]].concat(),
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
                vec![("tcp.seq_raw", "101"), ("tcp.ack_raw", "501"), ("tcp.len", "10"), ("frame.time_epoch", "1700000000.001000000")],
            ]
            .concat(),
            [
                from(C, S, "5", "0x0011"),
                vec![("tcpwave.teardown.step", "1"), ("tcp.seq_raw", "111"), ("tcp.ack_raw", "501"), ("frame.time_epoch", "1700000000.002000000")],
            ]
            .concat(),
            [
                from(S, C, "6", "0x0011"),
                vec![("tcpwave.teardown.step", "2,3"), ("tcp.seq_raw", "501"), ("tcp.ack_raw", "112"), ("frame.time_epoch", "1700000000.002100000")],
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

    #[test]
    fn a_three_way_close_becomes_one_row() {
        let mut connections = Connections::default();
        for packet in three_way_close() {
            connections.add(&packet);
        }
        let rows = connections.into_rows("x.pcap");
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.file, "x.pcap");
        assert_eq!(row.orig, Endpoint { addr: "10.0.0.1".parse().unwrap(), port: 40000 });
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
    fn anomalies_come_from_verdicts_repeats_and_acks() {
        let mut connections = Connections::default();
        let syn = |frame| {
            packet(
                &[
                    from(C, S, frame, "0x0002"),
                    vec![
                        ("tcpwave.handshake.step", "1"),
                        ("tcpwave.conn.handshake", "refused"),
                        ("tcpwave.conn.teardown", "reset"),
                    ],
                ]
                .concat(),
            )
        };
        connections.add(&syn("1"));
        let mut repeated = syn("2");
        repeated.repeat = true;
        connections.add(&repeated);
        let rst = packet(
            &[
                from(S, C, "3", "0x0014"),
                vec![
                    ("tcp.ack_raw", "1001"),
                    ("tcpwave.ack_ok", "0"),
                    ("tcpwave.conn.handshake", "refused"),
                    ("tcpwave.conn.teardown", "reset"),
                ],
            ]
            .concat(),
        );
        connections.add(&rst);
        let row = connections.into_rows("r.pcap").remove(0);
        // A refused connection's RST is not also an abort.
        assert_eq!(row.anomalies, vec![Anomaly::Refused, Anomaly::Retransmission, Anomaly::BadAck]);
        assert_eq!(row.repeats, 1);
        assert_eq!(row.conn_state, "REJ");
        assert_eq!(row.history, "Sr");
    }

    #[test]
    fn rows_come_in_stream_order() {
        let mut connections = Connections::default();
        for stream in ["5", "1", "3"] {
            let mut fields = from(C, S, "1", "0x0002");
            fields.push(("tcp.stream", stream));
            connections.add(&packet(&fields));
        }
        let streams: Vec<u64> = connections.into_rows("f").iter().map(|row| row.stream).collect();
        assert_eq!(streams, vec![1, 3, 5]);
    }
}
