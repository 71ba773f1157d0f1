//! A CLI without surprises: nothing to read is said so, standard input is a capture, options
//! only tshark understands reach it, impossible timestamps are named, a ladder of a missing
//! stream lists the others. Captures are written by the tests (tests/src/pcap.rs) or are the
//! kernel captures.

mod common;

use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{captures_dir, csv_rows, plugin_tshark, tcpwave};
use tcpwave_tests::pcap::{ip_frame, PcapWriter, Segment, ACK, FIN, SYN};

/// A tshark that cannot exist: the runs that must not need tshark get it.
const NO_TSHARK: &str = "/nonexistent/tshark";

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A temporary folder the tshark user (nobody, in the harness) can read.
fn readable_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn make_readable(path: &Path) {
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).unwrap();
}

fn endpoints() -> (SocketAddr, SocketAddr) {
    (
        "10.0.0.1:40000".parse().unwrap(),
        "10.0.0.2:80".parse().unwrap(),
    )
}

/// The frames of one whole connection: SYN, SYN/ACK, ACK, FIN, ACK, FIN, ACK.
fn connection_frames() -> Vec<Vec<u8>> {
    let (client, server) = endpoints();
    [
        Segment::new(client, server, SYN, 100, 0),
        Segment::new(server, client, SYN | ACK, 500, 101),
        Segment::new(client, server, ACK, 101, 501),
        Segment::new(client, server, FIN | ACK, 101, 501),
        Segment::new(server, client, ACK, 501, 102),
        Segment::new(server, client, FIN | ACK, 501, 102),
        Segment::new(client, server, ACK, 102, 502),
    ]
    .iter()
    .map(Segment::frame)
    .collect()
}

/// A pcap of `frames`, frame i at `times[i]` seconds after the epoch.
fn write_pcap(path: &Path, frames: &[Vec<u8>], times: &[u64]) {
    let mut writer = PcapWriter::create(path);
    for (frame, seconds) in frames.iter().zip(times) {
        writer.write(seconds * 1_000_000_000, frame);
    }
    writer.finish();
    make_readable(path);
}

/// A UDP datagram (no checksum) from `src` to `dst` carrying `payload`, in an Ethernet frame.
fn udp_frame(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let mut udp = Vec::new();
    udp.extend(src.port().to_be_bytes());
    udp.extend(dst.port().to_be_bytes());
    udp.extend(u16::try_from(8 + payload.len()).unwrap().to_be_bytes());
    udp.extend([0, 0]);
    udp.extend(payload);
    ip_frame(src.ip(), dst.ip(), 17, &udp)
}

fn run(args: &[&str]) -> Output {
    tcpwave(Path::new(NO_TSHARK), args)
}

/// Runs tcpwave with `tshark` as TCPWAVE_TSHARK, `input` on its standard input and `temporary`
/// as its TMPDIR.
fn tcpwave_reading(tshark: &Path, args: &[&str], input: &[u8], temporary: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tcpwave"))
        .args(args)
        .env("TCPWAVE_TSHARK", tshark)
        .env("TMPDIR", temporary)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // tcpwave may refuse before reading: a broken pipe is then expected.
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn no_capture_found_is_said_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), "not a capture\n").unwrap();
    let folder = dir.path().to_str().unwrap();
    for command in ["report", "summary"] {
        let output = run(&[command, "--engine", "native", folder]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{command}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert!(
            message.contains(&format!(
                "tcpwave: no pcap or pcapng capture found in {folder}"
            )),
            "{command}: {message}"
        );
        assert!(
            message.contains("skipping"),
            "the text file is named: {message}"
        );
    }
}

/// A capture of UDP only is named as having no TCP, not failed; the rows of the others stay.
#[test]
fn a_capture_without_tcp_is_named_and_others_reported() {
    let dir = tempfile::tempdir().unwrap();
    let udp = dir.path().join("udp.pcap");
    let (client, server) = endpoints();
    write_pcap(
        &udp,
        &[udp_frame(client, server, b"hello")],
        &[1_700_000_000],
    );
    let tcp = dir.path().join("tcp.pcap");
    write_pcap(&tcp, &connection_frames(), &[1_700_000_000; 7]);
    let output = run(&[
        "report",
        "--engine",
        "native",
        "--format",
        "csv",
        udp.to_str().unwrap(),
        tcp.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stderr(&output).trim(),
        format!("tcpwave: {}: no TCP packets in this capture", udp.display())
    );
    let rows = csv_rows(&output.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["file"], tcp.to_str().unwrap());
    assert_eq!(rows[0]["conn_state"], "SF");
}

/// `report --format csv` of `capture` with `engine`, which must succeed, and its one warning
/// about impossible timestamps.
fn report_with_clock_warning(engine: &str, capture: &Path) -> (Output, String) {
    let output = csv_report_by(engine, capture);
    let warning = clock_warning(&output, capture);
    (output, warning)
}

/// `report --format csv` of `capture` with `engine` (tshark from the harness), which must exit 0.
fn csv_report_by(engine: &str, capture: &Path) -> Output {
    let output = tcpwave(
        plugin_tshark(),
        &[
            "report",
            "--engine",
            engine,
            "--format",
            "csv",
            capture.to_str().unwrap(),
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{engine}: {}",
        stderr(&output)
    );
    output
}

/// The one warning about impossible timestamps of `capture`, from `output`'s stderr.
fn clock_warning(output: &Output, capture: &Path) -> String {
    let message = stderr(output);
    let lines: Vec<&str> = message
        .lines()
        .filter(|line| line.contains("impossible timestamps"))
        .collect();
    assert_eq!(lines.len(), 1, "one warning:\n{message}");
    assert!(
        lines[0].starts_with(&format!("tcpwave: {}: ", capture.display())),
        "{}",
        lines[0]
    );
    lines[0].to_owned()
}

/// Time going backwards: the SYN/ACK (frame 2) and the last ACK (frame 7) are stamped before
/// the frame each follows. Both engines warn once, naming those frames, and still report.
#[test]
fn time_going_backwards_is_warned_about_by_both_engines() {
    let dir = readable_dir();
    let capture = dir.path().join("backwards.pcap");
    let base = 1_700_000_000;
    let times = [
        base + 10,
        base + 9,
        base + 11,
        base + 12,
        base + 12,
        base + 13,
        base + 1,
    ];
    write_pcap(&capture, &connection_frames(), &times);
    for engine in ["native", "tshark"] {
        let (output, warning) = report_with_clock_warning(engine, &capture);
        assert!(
            warning.contains("frames 2, 7 timed earlier than the frame before"),
            "{engine}: {warning}"
        );
        assert!(!warning.contains("before 1970"), "{engine}: {warning}");
        assert_eq!(csv_rows(&output.stdout).len(), 1, "{engine}");
    }
    // The ladder warns the same way.
    let ladder = run(&[
        "ladder",
        "--engine",
        "native",
        capture.to_str().unwrap(),
        "--stream",
        "0",
    ]);
    assert_eq!(ladder.status.code(), Some(0), "{}", stderr(&ladder));
    assert!(clock_warning(&ladder, &capture).contains("frames 2, 7 timed earlier"));
}

/// A pcapng block: type, total length, `body` padded to 32 bits, total length again.
fn pcapng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let total = u32::try_from(12 + padded).unwrap();
    let mut block = Vec::new();
    block.extend(kind.to_le_bytes());
    block.extend(total.to_le_bytes());
    block.extend(body);
    block.resize(8 + padded, 0);
    block.extend(total.to_le_bytes());
    block
}

/// A pcapng file whose one Ethernet interface has `if_tsoffset` = `offset` seconds, with
/// `frames` at `micros[i]` microseconds (the default resolution) before that offset is added.
fn write_pcapng_with_offset(path: &Path, frames: &[Vec<u8>], micros: &[u64], offset: i64) {
    let mut file = Vec::new();
    let mut section = Vec::new();
    section.extend(0x1A2B_3C4Du32.to_le_bytes());
    section.extend(1u16.to_le_bytes());
    section.extend(0u16.to_le_bytes());
    section.extend((-1i64).to_le_bytes());
    file.extend(pcapng_block(0x0A0D_0D0A, &section));
    let mut interface = Vec::new();
    interface.extend(1u16.to_le_bytes()); // Ethernet
    interface.extend(0u16.to_le_bytes());
    interface.extend(262_144u32.to_le_bytes());
    interface.extend(14u16.to_le_bytes()); // if_tsoffset
    interface.extend(8u16.to_le_bytes());
    interface.extend(offset.to_le_bytes());
    interface.extend([0, 0, 0, 0]); // opt_endofopt
    file.extend(pcapng_block(1, &interface));
    for (frame, time) in frames.iter().zip(micros) {
        let mut packet = Vec::new();
        packet.extend(0u32.to_le_bytes());
        packet.extend(u32::try_from(time >> 32).unwrap().to_le_bytes());
        packet.extend(((time & 0xFFFF_FFFF) as u32).to_le_bytes());
        let length = u32::try_from(frame.len()).unwrap();
        packet.extend(length.to_le_bytes());
        packet.extend(length.to_le_bytes());
        packet.extend(frame);
        file.extend(pcapng_block(6, &packet));
    }
    fs::write(path, file).unwrap();
    make_readable(path);
}

/// Packets stamped before 1970 (an interface offset of minus a day, times of a few seconds):
/// one warning naming the first frames and counting the rest.
#[test]
fn times_before_1970_are_warned_about_by_both_engines() {
    let dir = readable_dir();
    let capture = dir.path().join("before_1970.pcapng");
    let micros: Vec<u64> = (1..=7).map(|second| second * 1_000_000).collect();
    write_pcapng_with_offset(&capture, &connection_frames(), &micros, -86_400);
    for engine in ["native", "tshark"] {
        let (_, warning) = report_with_clock_warning(engine, &capture);
        assert!(
            warning.contains("frames 1, 2, 3 and 4 more timed before 1970"),
            "{engine}: {warning}"
        );
        assert!(!warning.contains("earlier than"), "{engine}: {warning}");
    }
}

/// A ladder of a stream the capture lacks lists the streams it has, each with its first
/// packet's sender and receiver: two connections written here, streams 0 and 1 in order.
#[test]
fn a_missing_stream_lists_the_streams_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("two.pcap");
    let (client, server) = endpoints();
    let other: SocketAddr = "[2001:db8::3]:50000".parse().unwrap();
    let web: SocketAddr = "[2001:db8::2]:443".parse().unwrap();
    let mut frames = connection_frames();
    frames.push(Segment::new(other, web, SYN, 7, 0).frame());
    write_pcap(&capture, &frames, &[1_700_000_000; 8]);
    let path = capture.to_str().unwrap();
    let output = run(&["ladder", "--engine", "native", path, "--stream", "2"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let lines: Vec<String> = stderr(&output).lines().map(str::to_owned).collect();
    assert_eq!(
        lines,
        [
            format!(
                "tcpwave: {path} has no TCP connection with tcp.stream 2; its 2 streams are \
                 (first packet's sender -> receiver):"
            ),
            format!("  0      {client} -> {server}"),
            format!("  1      {other} -> {web}"),
        ]
    );
    assert!(output.stdout.is_empty());
}

/// A ladder is of one capture file: a directory, or two files, are usage errors that say so.
#[test]
fn a_ladder_wants_one_capture_file() {
    let kernel = captures_dir().join("kernel");
    let folder = kernel.to_str().unwrap();
    let output = run(&["ladder", "--engine", "native", folder, "--stream", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        format!(
            "tcpwave: {folder} is a directory: ladder draws one connection of one capture file \
             (`tcpwave report` lists the streams of every capture of a directory)"
        )
    );
    let one = kernel.join("refused.pcap");
    let two = kernel.join("fast_open.pcap");
    let output = run(&[
        "ladder",
        "--engine",
        "native",
        one.to_str().unwrap(),
        two.to_str().unwrap(),
        "--stream",
        "0",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("ladder draws one connection of one capture file, and 2 were given"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
}

/// A table written to a pipe is never coloured, even when asked for by `--format table`.
#[test]
fn a_piped_table_has_no_colour() {
    let sample = common::workspace_root().join("tests/data/sample.pcap");
    let output = run(&[
        "report",
        "--engine",
        "native",
        "--format",
        "table",
        sample.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("complete"), "{table}");
    assert!(!table.contains('\x1b'), "{table}");
}

/// `-` is a capture read from standard input, plain or gzipped, shown as `-` in the file
/// column, beside named captures; with tshark too (run as nobody by the harness, so the spool
/// must be readable by it). The rows are those of the same file named by its path.
#[test]
fn standard_input_is_a_capture_for_both_engines() {
    let refused = captures_dir().join("kernel/refused.pcap");
    let closes = captures_dir().join("kernel/client_closes_first.pcap");
    let bytes = fs::read(&closes).unwrap();
    let tshark = plugin_tshark();
    // The tshark user must reach the spool's folder in it.
    let temporary = readable_dir();
    for engine in ["native", "tshark"] {
        let by_path = csv_report_by(engine, &closes);
        let expected: Vec<_> = csv_rows(&by_path.stdout)
            .into_iter()
            .map(|mut row| {
                row.insert("file".to_owned(), "-".to_owned());
                row
            })
            .collect();
        assert_eq!(expected.len(), 1, "{engine}");
        for input in [bytes.clone(), gzip(&bytes)] {
            let args = [
                "report",
                "--engine",
                engine,
                "--format",
                "csv",
                "--jobs",
                "1",
                refused.to_str().unwrap(),
                "-",
            ];
            let output = tcpwave_reading(tshark, &args, &input, temporary.path());
            assert_eq!(
                output.status.code(),
                Some(0),
                "{engine}: {}",
                stderr(&output)
            );
            assert_eq!(
                fs::read_dir(temporary.path()).unwrap().count(),
                0,
                "{engine}: the spool of standard input is removed"
            );
            let rows = csv_rows(&output.stdout);
            let from_stdin: Vec<_> = rows
                .iter()
                .filter(|row| row["file"] == "-")
                .cloned()
                .collect();
            assert_eq!(from_stdin, expected, "{engine}");
            assert!(
                rows.iter()
                    .any(|row| row["file"] == refused.to_str().unwrap()),
                "{engine}: the named capture's row too"
            );
        }
    }
}

/// Standard input can be read once: `-` twice is a usage error; what is not a capture, or a
/// capture cut short, is named `-` (not the temporary file it was copied to).
#[test]
fn standard_input_once_and_only_a_capture() {
    let temporary = tempfile::tempdir().unwrap();
    let output = tcpwave_reading(
        Path::new(NO_TSHARK),
        &["report", "--engine", "native", "-", "-"],
        b"",
        temporary.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        "tcpwave: - (standard input) may be named only once"
    );
    let output = tcpwave_reading(
        Path::new(NO_TSHARK),
        &["report", "--engine", "native", "--format", "csv", "-"],
        b"hello\n",
        temporary.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("tcpwave: -: not a pcap or pcapng capture"),
        "{}",
        stderr(&output)
    );
    let whole = fs::read(captures_dir().join("kernel/client_closes_first.pcap")).unwrap();
    let output = tcpwave_reading(
        Path::new(NO_TSHARK),
        &["report", "--engine", "native", "--format", "csv", "-"],
        &whole[..700],
        temporary.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with(
            "tcpwave: -: The file \"-\" appears to have been cut short in the middle of a packet."
        ),
        "{}",
        stderr(&output)
    );
}

/// The connection's frames inside VXLAN on UDP port 9999, where Wireshark expects no VXLAN:
/// only `-d udp.port==9999,vxlan` shows the TCP inside.
fn write_vxlan_on_an_unusual_port(path: &Path) {
    let tunnel_client: SocketAddr = "192.0.2.1:50000".parse().unwrap();
    let tunnel_server: SocketAddr = "192.0.2.2:9999".parse().unwrap();
    let frames: Vec<Vec<u8>> = connection_frames()
        .iter()
        .map(|inner| {
            // VXLAN: the I flag, reserved bits, network identifier 42, reserved byte.
            let mut vxlan = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
            vxlan.extend(inner);
            udp_frame(tunnel_client, tunnel_server, &vxlan)
        })
        .collect();
    write_pcap(path, &frames, &[1_700_000_000; 7]);
}

/// -d reaches tshark: TCP tunnelled where only a decode-as finds it is reported with it, and
/// `--engine auto` reads the capture with tshark for it; without it there is no TCP; the native
/// engine refuses it.
#[test]
fn decode_as_reaches_tshark_and_chooses_it() {
    let dir = readable_dir();
    let capture = dir.path().join("vxlan_9999.pcap");
    write_vxlan_on_an_unusual_port(&capture);
    let path = capture.to_str().unwrap();
    let tshark = plugin_tshark();
    let (client, server) = endpoints();

    let output = tcpwave(
        tshark,
        &[
            "report",
            "--format",
            "csv",
            "-d",
            "udp.port==9999,vxlan",
            path,
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows = csv_rows(&output.stdout);
    assert_eq!(rows.len(), 1, "{}", String::from_utf8_lossy(&output.stdout));
    let expected = [
        ("orig_h", client.ip().to_string()),
        ("orig_p", client.port().to_string()),
        ("resp_h", server.ip().to_string()),
        ("resp_p", server.port().to_string()),
        ("handshake", "complete".to_owned()),
        // FIN, its ACK, the other FIN, its ACK: four packets.
        ("teardown", "four-way".to_owned()),
        ("conn_state", "SF".to_owned()),
    ];
    for (column, value) in expected {
        assert_eq!(rows[0][column], value, "{column}");
    }

    let without = tcpwave(tshark, &["report", "--format", "csv", path]);
    assert_eq!(without.status.code(), Some(0), "{}", stderr(&without));
    assert!(csv_rows(&without.stdout).is_empty());
    assert!(
        stderr(&without).contains("no TCP packets in this capture"),
        "{}",
        stderr(&without)
    );

    let native = tcpwave(
        tshark,
        &[
            "report",
            "--engine",
            "native",
            "-d",
            "udp.port==9999,vxlan",
            path,
        ],
    );
    assert_eq!(native.status.code(), Some(2));
    assert_eq!(
        stderr(&native).trim(),
        "tcpwave: -d and --preference are tshark's options: it needs tshark (--engine auto or \
         tshark)"
    );
}

/// --preference reaches tshark: one it does not know is a usage error in tshark's words,
/// before any capture is read; one it knows is applied, and the rows stay.
#[test]
fn preferences_reach_tshark() {
    let tshark = plugin_tshark();
    let capture = captures_dir().join("kernel/refused.pcap");
    let path = capture.to_str().unwrap();
    let bad = tcpwave(
        tshark,
        &[
            "report",
            "--format",
            "csv",
            "--preference",
            "no.such:1",
            path,
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    let message = stderr(&bad);
    assert!(
        message.starts_with("tcpwave: invalid -d or --preference; tshark says:\n"),
        "{message}"
    );
    assert!(message.contains("no.such:1"), "{message}");
    assert!(bad.stdout.is_empty(), "nothing read");

    let good = tcpwave(
        tshark,
        &[
            "report",
            "--format",
            "csv",
            "--preference",
            "tcp.analyze_sequence_numbers:TRUE",
            path,
        ],
    );
    assert_eq!(good.status.code(), Some(0), "{}", stderr(&good));
    let rows = csv_rows(&good.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["conn_state"], "REJ");
}

/// `-Y` reads standard input's capture too (its first tshark run finds the streams): the
/// sample's one connection to port 9 (refused), shown as `-`.
#[test]
fn a_display_filter_reads_standard_input() {
    let sample = fs::read(common::workspace_root().join("tests/data/sample.pcap")).unwrap();
    let temporary = readable_dir();
    let output = tcpwave_reading(
        plugin_tshark(),
        &["report", "--format", "csv", "-Y", "tcp.port == 9", "-"],
        &sample,
        temporary.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows = csv_rows(&output.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["file"], "-");
    assert_eq!(rows[0]["resp_p"], "9");
    assert_eq!(rows[0]["handshake"], "refused");
}
