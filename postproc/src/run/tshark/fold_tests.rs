//! The fold ([`crate::model::fold`]) fed with tshark's lines, as the tshark engine feeds it.

use super::field_line::parse_line;
use super::field_line::tests::{base, line};
use crate::model::fold::Connections;
use crate::model::packet::LabelledPacket;
use crate::model::row::{ActiveCloser, Endpoint, Row};
use crate::vocab::seconds::Seconds;
use tcpwave_core::Anomaly;
use tcpwave_core::{HandshakeVerdict, TeardownVerdict};

fn packet(fields: &[(&str, &str)]) -> LabelledPacket {
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
    parse_line(&line(&all)).unwrap()
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
fn three_way_close() -> Vec<LabelledPacket> {
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

fn rows_of(file: &str, packets: &[LabelledPacket]) -> Vec<Row> {
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
    let packets: Vec<LabelledPacket> = ["5", "1", "3"]
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
fn later(mut packet: LabelledPacket, seconds: i64, stream: u64) -> LabelledPacket {
    packet.time = Seconds::from_nanos(1_700_000_000_000_000_000 + seconds * 1_000_000_000);
    packet.stream = stream;
    packet
}

#[test]
fn closed_connections_are_handed_out_once_the_capture_moves_on() {
    let close = three_way_close();
    let mut packets: Vec<LabelledPacket> = close.iter().cloned().map(|p| later(p, 0, 0)).collect();
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

fn connections_open_after(packets: &[LabelledPacket]) -> usize {
    let mut connections = Connections::new("f", false);
    for packet in packets {
        connections.add(packet, &mut |_| {});
    }
    connections.open_count()
}

#[test]
fn a_row_waits_for_the_rows_of_lower_streams_still_open() {
    let close = three_way_close();
    // Stream 0 sends a SYN and nothing more; stream 1 opens and closes after it; the capture
    // moves on 20 s, past stream 1's linger, with stream 2, which closes too.
    let mut packets = vec![later(close[0].clone(), 0, 0)];
    packets.extend(close.iter().cloned().map(|p| later(p, 1, 1)));
    packets.extend(close.iter().cloned().map(|p| later(p, 20, 2)));
    let mut emitted = Vec::new();
    let mut connections = Connections::new("f", false);
    for packet in &packets {
        connections.add(packet, &mut |finished| emitted.push(finished.row.stream));
    }
    assert!(
        emitted.is_empty(),
        "stream 1 waits for stream 0: {emitted:?}"
    );
    connections.finish(&mut |finished| emitted.push(finished.row.stream));
    assert_eq!(emitted, vec![0, 1, 2]);

    // Without stream 0, stream 1 comes out as soon as its linger is over.
    let mut emitted = Vec::new();
    let mut connections = Connections::new("f", false);
    for packet in &packets[1..] {
        connections.add(packet, &mut |finished| emitted.push(finished.row.stream));
    }
    assert_eq!(emitted, vec![1]);
}
