//! Captures made to be hostile, each written in-process for its test: tshark with tcpwave must exit
//! as it does without, leave every other protocol's dissection alone, say nothing on stderr and
//! report no internal error, and label what the specification (README) defines.

use std::fmt::Write as _;
use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use tcpwave_tests::pcap::{ip_frame, PcapWriter, Segment, ACK, FIN, PROTOCOL_TCP, PSH, RST, SYN};
use tcpwave_tests::{boolean_digits, fields_args, parse_fields, PrivateTshark, Run};
use tempfile::TempDir;

/// Columns compared with and without tcpwave.
const OTHERS: &[&str] = &[
    "frame.number",
    "tcp.stream",
    "_ws.col.Info",
    "_ws.malformed",
    "tcp.analysis.flags",
];
/// tcpwave's columns, after [`OTHERS`].
const LABELS: &[&str] = &[
    "tcpwave.handshake.step",
    "tcpwave.teardown.step",
    "tcpwave.repeat",
    "tcpwave.phase",
    "tcpwave.state.client",
    "tcpwave.state.server",
    "tcpwave.acks_frame",
    "tcpwave.expected_ack",
    "tcpwave.ack_ok",
    "tcpwave.conn.handshake",
    "tcpwave.conn.teardown",
    "tcpwave.expert.internal_error",
    "_ws.expert.message",
];
const CLIENT: &str = "10.0.0.1:40000";
const SERVER: &str = "10.0.0.2:80";
/// Capture times start here, in nanoseconds since the epoch.
const START_NS: u64 = 1_700_000_000_000_000_000;

fn address(text: &str) -> SocketAddr {
    text.parse().expect("a socket address")
}

/// A segment from the client to the server.
fn client(flags: u16, seq: u32, ack: u32) -> Segment {
    Segment::new(address(CLIENT), address(SERVER), flags, seq, ack)
}

/// A segment from the server to the client.
fn server(flags: u16, seq: u32, ack: u32) -> Segment {
    Segment::new(address(SERVER), address(CLIENT), flags, seq, ack)
}

/// One labelled frame of a tshark run with tcpwave.
struct Row {
    frame: String,
    stream: String,
    cells: Vec<String>,
}

impl Row {
    fn cell(&self, field: &str) -> &str {
        let index = LABELS
            .iter()
            .position(|label| *label == field)
            .expect("a label column");
        &self.cells[OTHERS.len() + index]
    }

    /// The labels in one line: steps (H handshake, T teardown), `repeat`, phase, client and server
    /// states, then what the step acknowledges: `1 H1 handshake SYN_SENT SYN_RECEIVED`,
    /// `3 H3 handshake ESTABLISHED ESTABLISHED acks 2 expect 4213878205 ok 1`, or `4 unlabelled`.
    fn labels(&self) -> String {
        if self.cell("tcpwave.phase").is_empty() {
            return format!("{} unlabelled", self.frame);
        }
        let numbered = |prefix: &str, field: &str| -> Vec<String> {
            let steps = self.cell(field);
            steps
                .split(',')
                .filter(|step| !step.is_empty())
                .map(|step| format!("{prefix}{step}"))
                .collect()
        };
        let mut steps = numbered("H", "tcpwave.handshake.step");
        steps.extend(numbered("T", "tcpwave.teardown.step"));
        let mut line = format!(
            "{} {}",
            self.frame,
            if steps.is_empty() {
                "-".to_owned()
            } else {
                steps.join(",")
            }
        );
        if !self.cell("tcpwave.repeat").is_empty() {
            line.push_str(" repeat");
        }
        for field in [
            "tcpwave.phase",
            "tcpwave.state.client",
            "tcpwave.state.server",
        ] {
            write!(line, " {}", self.cell(field)).unwrap();
        }
        if !self.cell("tcpwave.acks_frame").is_empty() {
            write!(
                line,
                " acks {} expect {} ok {}",
                self.cell("tcpwave.acks_frame"),
                self.cell("tcpwave.expected_ack"),
                boolean_digits(self.cell("tcpwave.ack_ok"))
            )
            .unwrap();
        }
        line
    }

    fn verdicts(&self) -> (&str, &str) {
        (
            self.cell("tcpwave.conn.handshake"),
            self.cell("tcpwave.conn.teardown"),
        )
    }

    fn has_expert(&self, text: &str) -> bool {
        self.cell("_ws.expert.message").contains(text)
    }
}

/// tshark with and without tcpwave, and a folder both can read for the captures.
struct Lab {
    dir: TempDir,
    with: PrivateTshark,
    without: PrivateTshark,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::Builder::new()
            .prefix("tcpwave-hostile.")
            .tempdir()
            .expect("a temporary folder");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .expect("a readable folder");
        Lab {
            dir,
            with: PrivateTshark::with_plugin(),
            without: PrivateTshark::without_plugin(),
        }
    }

    /// Writes `name`, whose frames `write` appends.
    fn capture(&self, name: &str, write: impl FnOnce(&mut PcapWriter)) -> PathBuf {
        let path = self.dir.path().join(name);
        let mut writer = PcapWriter::create(&path);
        write(&mut writer);
        writer.finish();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("a readable capture");
        path
    }

    /// A capture of whole frames, one microsecond apart.
    fn segments(&self, name: &str, segments: &[Segment]) -> PathBuf {
        self.capture(name, |pcap| {
            for (index, segment) in segments.iter().enumerate() {
                pcap.write(START_NS + index as u64 * 1_000, &segment.frame());
            }
        })
    }

    /// Runs tshark on `capture` with and without tcpwave (with `options` both times), asserts that
    /// tcpwave is harmless there, and returns its labels.
    fn labels(&self, capture: &Path, options: &[&str]) -> Vec<Row> {
        self.measured_labels(capture, options).0
    }

    /// [`Lab::labels`], and the two runs' peak memory.
    fn measured_labels(&self, capture: &Path, options: &[&str]) -> (Vec<Row>, PeakRss) {
        let args = |fields: &[&str]| {
            let mut args = vec!["-r".to_string(), capture.to_string_lossy().into_owned()];
            args.extend(options.iter().map(|option| option.to_string()));
            args.extend(fields_args(fields));
            args
        };
        let all: Vec<&str> = OTHERS.iter().chain(LABELS).copied().collect();
        let (plain, without_kib) = self.measured_run(&self.without, args(OTHERS));
        let (labelled, with_kib) = self.measured_run(&self.with, args(&all));
        let rows = assert_harmless(capture, &plain, &labelled, all.len());
        for row in &rows {
            assert!(
                row.cell("tcpwave.expert.internal_error").is_empty(),
                "{}: frame {} has an internal error: {}",
                capture.display(),
                row.frame,
                row.cell("_ws.expert.message")
            );
        }
        (
            rows,
            PeakRss {
                without_kib,
                with_kib,
            },
        )
    }

    /// Runs tshark under GNU time, which reports its peak resident memory in KiB.
    fn measured_run(&self, tshark: &PrivateTshark, args: Vec<String>) -> (Run, u64) {
        let report = self.dir.path().join("peak_rss");
        let report_arg = report.to_string_lossy();
        let run = tshark.run_with(
            &[],
            &["/usr/bin/time", "--format=%M", "--output", &report_arg],
            args,
        );
        let text = fs::read_to_string(&report)
            .unwrap_or_else(|e| panic!("/usr/bin/time wrote no report: {e}"));
        // A failed command gets a line saying so before the figure.
        let kib = text
            .lines()
            .last()
            .and_then(|line| line.trim().parse().ok());
        (
            run,
            kib.unwrap_or_else(|| panic!("/usr/bin/time reported {text:?}")),
        )
    }
}

/// The peak resident memory of tshark's runs without and with tcpwave.
struct PeakRss {
    without_kib: u64,
    with_kib: u64,
}

/// tcpwave changes neither the exit status, nor the other columns, nor stderr.
fn assert_harmless(capture: &Path, plain: &Run, labelled: &Run, width: usize) -> Vec<Row> {
    let name = capture.display();
    assert_eq!(
        labelled.outcome(),
        plain.outcome(),
        "{name}: exit status with tcpwave, and without"
    );
    assert_eq!(
        labelled.stderr, plain.stderr,
        "{name}: stderr with tcpwave, and without"
    );
    let others = parse_fields(&plain.stdout, OTHERS.len());
    let rows: Vec<Row> = parse_fields(&labelled.stdout, width)
        .into_iter()
        .map(|cells| Row {
            frame: cells[0].clone(),
            stream: cells[1].clone(),
            cells,
        })
        .collect();
    assert_eq!(
        rows.len(),
        others.len(),
        "{name}: frames with tcpwave, and without"
    );
    for (row, other) in rows.iter().zip(&others) {
        assert_eq!(
            &row.cells[..OTHERS.len()],
            &other[..],
            "{name}: frame {}'s other columns",
            row.frame
        );
    }
    rows
}

fn labels_of(rows: &[Row]) -> Vec<String> {
    rows.iter().map(Row::labels).collect()
}

#[test]
fn sequence_numbers_wrap_past_2_32_in_handshake_and_teardown() {
    let lab = Lab::new();
    // The server's SYN/ACK is sequence number 2^32 - 1, so its ack wraps to 0; the client's data
    // puts its FIN there too, so the FIN's ack wraps as well.
    let client_isn = u32::MAX - 15;
    let capture = lab.segments(
        "wrap.pcap",
        &[
            client(SYN, client_isn, 0),
            server(SYN | ACK, u32::MAX, client_isn + 1),
            client(ACK, client_isn + 1, 0),
            client(PSH | ACK, client_isn + 1, 0).with_payload(14),
            server(ACK, 0, u32::MAX),
            client(FIN | ACK, u32::MAX, 0),
            server(ACK, 0, 0),
            server(FIN | ACK, 0, 0),
            client(ACK, 0, 1),
        ],
    );
    let rows = lab.labels(&capture, &[]);
    assert_eq!(
        labels_of(&rows),
        [
            "1 H1 handshake SYN_SENT SYN_RECEIVED",
            "2 H2 handshake ESTABLISHED SYN_RECEIVED acks 1 expect 4294967281 ok 1",
            "3 H3 handshake ESTABLISHED ESTABLISHED acks 2 expect 0 ok 1",
            "4 - established ESTABLISHED ESTABLISHED",
            "5 - established ESTABLISHED ESTABLISHED",
            "6 T1 teardown FIN_WAIT_1 CLOSE_WAIT",
            "7 T2 teardown FIN_WAIT_2 CLOSE_WAIT acks 6 expect 0 ok 1",
            "8 T3 teardown TIME_WAIT LAST_ACK",
            "9 T4 teardown TIME_WAIT CLOSED acks 8 expect 1 ok 1",
        ]
    );
}

#[test]
fn fin_and_rst_on_connections_never_opened() {
    let lab = Lab::new();
    let stranger = |port: u16| SocketAddr::new(IpAddr::from([10, 0, 0, 3]), port);
    let capture = lab.segments(
        "never_opened.pcap",
        &[
            client(FIN | ACK, 5000, 9000),
            server(ACK, 9000, 5001),
            Segment::new(stranger(41000), address(SERVER), RST, 7, 0),
            Segment::new(stranger(42000), address(SERVER), FIN, 3, 0),
        ],
    );
    let rows = lab.labels(&capture, &["-2"]);
    // Midstream connections: the side seen first is the client, both start ESTABLISHED. A FIN
    // before any packet of its peer is no numbered step and leaves both states unknown (README,
    // "Captures that miss packets"); the peer's ACK of it shows the peer, and the states are known
    // again.
    assert_eq!(
        labels_of(&rows),
        [
            "1 - teardown  ",
            "2 T2 teardown FIN_WAIT_2 CLOSE_WAIT acks 1 expect 5001 ok 1",
            "3 - reset CLOSED CLOSED",
            "4 - teardown  ",
        ]
    );
    let verdicts: Vec<(&str, &str)> = rows.iter().map(Row::verdicts).collect();
    // Frame 4's lone FIN, whose peer never sends, is a one-way teardown.
    assert_eq!(
        verdicts,
        [
            ("midstream", "half-closed"),
            ("midstream", "half-closed"),
            ("midstream", "reset"),
            ("midstream", "one-way")
        ]
    );
    for frame in [0, 2, 3] {
        assert!(
            rows[frame].has_expert("without its handshake"),
            "frame {} is not flagged midstream",
            frame + 1
        );
    }
    assert!(
        rows[2].has_expert("Connection aborted"),
        "the RST on a connection never opened is an abort"
    );
    assert_eq!(
        labels_of(&lab.labels(&capture, &[])),
        labels_of(&rows),
        "one pass and two"
    );
}

#[test]
fn syn_fin_and_syn_rst() {
    let lab = Lab::new();
    let other_client = |port: u16| SocketAddr::new(IpAddr::from([10, 0, 0, 4]), port);
    let capture = lab.segments(
        "syn_fin_syn_rst.pcap",
        &[
            client(SYN | FIN, 100, 0),
            server(RST | ACK, 0, 102),
            Segment::new(other_client(41000), address(SERVER), SYN | RST, 200, 0),
            Segment::new(other_client(42000), address(SERVER), SYN, 300, 0),
            Segment::new(
                address(SERVER),
                other_client(42000),
                SYN | RST | ACK,
                900,
                301,
            ),
        ],
    );
    let rows = lab.labels(&capture, &["-2"]);
    // A SYN+FIN is the first SYN; its FIN comes before any packet of the peer, so it is no
    // numbered step and the states are unknown (README, "Captures that miss packets"). A RST is
    // never a step, whatever else it carries.
    assert_eq!(
        labels_of(&rows),
        [
            "1 H1 handshake  ",
            "2 - reset CLOSED CLOSED",
            "3 - reset CLOSED CLOSED",
            "4 H1 handshake SYN_SENT SYN_RECEIVED",
            "5 - reset CLOSED CLOSED",
        ]
    );
    assert!(
        rows[1].has_expert("Connection refused"),
        "a RST answering a SYN refuses it"
    );
    assert!(
        rows[2].has_expert("Connection aborted"),
        "a SYN+RST answers no SYN: an abort"
    );
    assert!(
        rows[4].has_expert("Connection refused"),
        "a SYN+RST+ACK answering a SYN refuses it"
    );
    let verdicts: Vec<(&str, &str)> = rows.iter().map(Row::verdicts).collect();
    assert_eq!(
        verdicts,
        [
            ("refused", "reset"),
            ("refused", "reset"),
            ("unanswered", "reset"),
            ("refused", "reset"),
            ("refused", "reset")
        ]
    );
    assert_eq!(
        labels_of(&lab.labels(&capture, &[])),
        labels_of(&rows),
        "one pass and two"
    );
}

#[test]
fn repeated_syns_with_changing_isns() {
    let lab = Lab::new();
    let capture = lab.segments(
        "isn_changes.pcap",
        &[
            client(SYN, 1000, 0),
            client(SYN, 2000, 0),
            client(SYN, 3000, 0),
            server(SYN | ACK, 7000, 3001),
            client(ACK, 3001, 7001),
        ],
    );
    let rows = lab.labels(&capture, &["-2"]);
    // Wireshark (4.0) starts a new tcp.stream at a SYN with a new initial sequence number, so
    // each SYN is the first of its own connection, and only the last one is answered.
    let streams: Vec<&str> = rows.iter().map(|row| row.stream.as_str()).collect();
    assert_eq!(streams, ["0", "1", "2", "2", "2"]);
    assert_eq!(
        labels_of(&rows),
        [
            "1 H1 handshake SYN_SENT SYN_RECEIVED",
            "2 H1 handshake SYN_SENT SYN_RECEIVED",
            "3 H1 handshake SYN_SENT SYN_RECEIVED",
            "4 H2 handshake ESTABLISHED SYN_RECEIVED acks 3 expect 3001 ok 1",
            "5 H3 handshake ESTABLISHED ESTABLISHED acks 4 expect 7001 ok 1",
        ]
    );
    let verdicts: Vec<(&str, &str)> = rows.iter().map(Row::verdicts).collect();
    assert_eq!(
        verdicts,
        [
            ("unanswered", "none"),
            ("unanswered", "none"),
            ("complete", "none"),
            ("complete", "none"),
            ("complete", "none")
        ]
    );
    assert!(rows[0].has_expert("SYN never answered") && rows[1].has_expert("SYN never answered"));
    assert_eq!(
        labels_of(&lab.labels(&capture, &[])),
        labels_of(&rows),
        "one pass and two"
    );
}

#[test]
fn a_fin_acknowledged_before_it_is_sent() {
    let lab = Lab::new();
    // Captured out of order: the server's ACK of the client's FIN comes before the FIN. It cannot
    // be step 2 (no FIN is known when it is labelled, and labels never change afterwards), so step
    // 2 is the first packet after the FIN that acknowledges it.
    let capture = lab.segments(
        "fin_acked_early.pcap",
        &[
            client(SYN, 100, 0),
            server(SYN | ACK, 500, 101),
            client(ACK, 101, 501),
            server(ACK, 501, 102),
            client(FIN | ACK, 101, 501),
            server(FIN | ACK, 501, 102),
            client(ACK, 102, 502),
        ],
    );
    let rows = lab.labels(&capture, &[]);
    assert_eq!(
        labels_of(&rows),
        [
            "1 H1 handshake SYN_SENT SYN_RECEIVED",
            "2 H2 handshake ESTABLISHED SYN_RECEIVED acks 1 expect 101 ok 1",
            "3 H3 handshake ESTABLISHED ESTABLISHED acks 2 expect 501 ok 1",
            "4 - established ESTABLISHED ESTABLISHED",
            "5 T1 teardown FIN_WAIT_1 CLOSE_WAIT",
            "6 T2,T3 teardown TIME_WAIT LAST_ACK acks 5 expect 102 ok 1",
            "7 T4 teardown TIME_WAIT CLOSED acks 6 expect 502 ok 1",
        ]
    );
}

#[test]
fn zero_length_and_truncated_tcp_headers() {
    let lab = Lab::new();
    let established = client(ACK, 101, 501);
    let mut no_header_length = established.tcp_bytes();
    no_header_length[12] = 0; // data offset 0: a header shorter than its fixed part
    let (client_ip, server_ip) = (address(CLIENT).ip(), address(SERVER).ip());
    // Ethernet and IPv4 headers, then this many bytes of the TCP header.
    let cut_at = |tcp_bytes: usize| 14 + 20 + tcp_bytes;
    let capture = lab.capture("bad_tcp_headers.pcap", |pcap| {
        let mut time = START_NS;
        let mut next_time = || {
            time += 1_000;
            time
        };
        for segment in [
            client(SYN, 100, 0),
            server(SYN | ACK, 500, 101),
            established,
        ] {
            pcap.write(next_time(), &segment.frame());
        }
        pcap.write(
            next_time(),
            &ip_frame(client_ip, server_ip, PROTOCOL_TCP, &[]),
        );
        pcap.write(
            next_time(),
            &ip_frame(client_ip, server_ip, PROTOCOL_TCP, &no_header_length),
        );
        // Cut before the flags, then after them but before the header's end.
        pcap.write_cut(next_time(), &established.frame(), cut_at(10));
        pcap.write_cut(next_time(), &established.frame(), cut_at(16));
        for segment in [
            client(FIN | ACK, 101, 501),
            server(FIN | ACK, 501, 102),
            client(ACK, 102, 502),
        ] {
            pcap.write(next_time(), &segment.frame());
        }
    });
    let rows = lab.labels(&capture, &[]);
    let labels = labels_of(&rows);
    assert_eq!(
        labels[..3],
        [
            "1 H1 handshake SYN_SENT SYN_RECEIVED",
            "2 H2 handshake ESTABLISHED SYN_RECEIVED acks 1 expect 101 ok 1",
            "3 H3 handshake ESTABLISHED ESTABLISHED acks 2 expect 501 ok 1",
        ]
    );
    // What Wireshark puts in the stream (here a header without length and one cut after its
    // flags) is a packet of the established connection; what it does not (no header at all, one
    // cut before the flags) is not labelled.
    for (row, label) in rows[3..7].iter().zip(&labels[3..7]) {
        let expected = if row.stream.is_empty() {
            "unlabelled"
        } else {
            "- established ESTABLISHED ESTABLISHED"
        };
        assert_eq!(*label, format!("{} {expected}", row.frame));
    }
    assert_eq!(
        labels[7..],
        [
            "8 T1 teardown FIN_WAIT_1 CLOSE_WAIT",
            "9 T2,T3 teardown TIME_WAIT LAST_ACK acks 8 expect 102 ok 1",
            "10 T4 teardown TIME_WAIT CLOSED acks 9 expect 502 ok 1",
        ]
    );
}

#[test]
fn a_syn_flood_of_200k_connections_costs_under_1_kib_each() {
    const CONNECTIONS: u32 = 200_000;
    let lab = Lab::new();
    let capture = lab.capture("syn_flood.pcap", |pcap| {
        for index in 0..CONNECTIONS {
            let ip = u32::from_be_bytes([10, 1, 0, 0]) + index / 50_000;
            let source = SocketAddr::new(
                IpAddr::from(ip.to_be_bytes()),
                10_000 + (index % 50_000) as u16,
            );
            let syn = Segment::new(
                source,
                address(SERVER),
                SYN,
                index.wrapping_mul(2_654_435_761),
                0,
            );
            pcap.write(START_NS + u64::from(index) * 1_000, &syn.frame());
        }
    });
    let started = Instant::now();
    let (rows, memory) = lab.measured_labels(&capture, &[]);
    let extra_kib = memory.with_kib.saturating_sub(memory.without_kib);
    let bytes_per_connection = extra_kib * 1024 / u64::from(CONNECTIONS);
    // Shown with --nocapture.
    eprintln!(
        "SYN flood: {CONNECTIONS} connections, peak RSS {} KiB without tcpwave, {} KiB with: \
         {bytes_per_connection} bytes per connection; both runs {:.1?}",
        memory.without_kib,
        memory.with_kib,
        started.elapsed()
    );
    assert_eq!(rows.len(), CONNECTIONS as usize);
    for (index, row) in rows.iter().enumerate() {
        assert_eq!(
            row.stream,
            index.to_string(),
            "every SYN opens its own stream"
        );
        assert_eq!(
            row.labels(),
            format!("{} H1 handshake SYN_SENT SYN_RECEIVED", index + 1)
        );
    }
    assert!(
        bytes_per_connection < 1024,
        "tcpwave costs {bytes_per_connection} bytes per connection"
    );
}

#[test]
fn sixty_five_thousand_connections_reuse_one_port_pair() {
    const CONNECTIONS: u32 = 65_535;
    let lab = Lab::new();
    // Each connection opens and closes in three ways on the same four-tuple, with its own ISNs:
    // Wireshark starts a new stream at each SYN.
    let isns = |index: u32| {
        (
            index.wrapping_mul(2_654_435_761),
            index.wrapping_mul(2_246_822_519) ^ 0x5555_5555,
        )
    };
    let capture = lab.capture("port_pair_reuse.pcap", |pcap| {
        let mut time = START_NS;
        for index in 0..CONNECTIONS {
            let (c, s) = isns(index);
            let (c1, s1) = (c.wrapping_add(1), s.wrapping_add(1));
            for segment in [
                client(SYN, c, 0),
                server(SYN | ACK, s, c1),
                client(ACK, c1, s1),
                client(FIN | ACK, c1, s1),
                server(FIN | ACK, s1, c1.wrapping_add(1)),
                client(ACK, c1.wrapping_add(1), s1.wrapping_add(1)),
            ] {
                time += 1_000;
                pcap.write(time, &segment.frame());
            }
        }
    });
    let started = Instant::now();
    let rows = lab.labels(&capture, &[]);
    eprintln!(
        "port pair reuse: {CONNECTIONS} connections, both runs {:.1?}",
        started.elapsed()
    );
    assert_eq!(rows.len(), 6 * CONNECTIONS as usize);
    for (index, connection) in rows.chunks(6).enumerate() {
        let (c, s) = isns(index as u32);
        let (c1, s1) = (c.wrapping_add(1), s.wrapping_add(1));
        let first = 6 * index + 1;
        let expected = [
            format!("{first} H1 handshake SYN_SENT SYN_RECEIVED"),
            format!(
                "{} H2 handshake ESTABLISHED SYN_RECEIVED acks {first} expect {c1} ok 1",
                first + 1
            ),
            format!(
                "{} H3 handshake ESTABLISHED ESTABLISHED acks {} expect {s1} ok 1",
                first + 2,
                first + 1
            ),
            format!("{} T1 teardown FIN_WAIT_1 CLOSE_WAIT", first + 3),
            format!(
                "{} T2,T3 teardown TIME_WAIT LAST_ACK acks {} expect {} ok 1",
                first + 4,
                first + 3,
                c1.wrapping_add(1)
            ),
            format!(
                "{} T4 teardown TIME_WAIT CLOSED acks {} expect {} ok 1",
                first + 5,
                first + 4,
                s1.wrapping_add(1)
            ),
        ];
        let streams: Vec<&str> = connection.iter().map(|row| row.stream.as_str()).collect();
        assert_eq!(
            streams,
            [index.to_string().as_str(); 6],
            "connection {index} is one stream of its own"
        );
        assert_eq!(labels_of(connection), expected, "connection {index}");
    }
}
