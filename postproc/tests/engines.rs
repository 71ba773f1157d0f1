//! The specification of the native engine: on every corpus, each capture it reads gets the rows
//! the tshark engine gives it, every column, byte for byte in CSV, and the same failure message.
//! The captures it leaves to tshark (`--engine auto` reads those with tshark) are listed with
//! their reasons and counted.
//!
//! Corpora: the kernel captures, the hand-made partial ones, hostile ones written here, the
//! bundled sample, the benchmark generator's output (a small run of it, when the tests run as
//! root), and the tcpdump corpus (830 captures, many malformed or of link types the native
//! engine does not read).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use common::{captures_dir, csv_rows, plugin_tshark, tcpwave, workspace_root};

/// Zeek's conn_state values.
const ZEEK_STATES: [&str; 13] = [
    "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH",
];

/// A run's CSV rows and failure messages, by capture file.
#[derive(Debug, Default)]
struct ByFile {
    rows: BTreeMap<String, Vec<String>>,
    failures: BTreeMap<String, Vec<String>>,
    /// Captures the native engine left to tshark, with the reason.
    needs_tshark: BTreeMap<String, String>,
    /// Notes about captures read, not failures: no TCP at all, impossible timestamps.
    notes: BTreeMap<String, Vec<String>>,
}

/// Whether tcpwave's words about a capture are a note on a capture read, not a failure.
fn is_note(what: &str) -> bool {
    what == "no TCP packets in this capture" || what.starts_with("impossible timestamps: ")
}

fn csv_file(line: &str) -> String {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let record = reader.records().next().expect("a row").expect("a CSV row");
    record[0].to_owned()
}

fn by_file(output: &Output) -> ByFile {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "status {}: {stderr}",
        output.status
    );
    let mut result = ByFile::default();
    for row in csv_rows(&output.stdout) {
        assert!(ZEEK_STATES.contains(&row["conn_state"].as_str()), "{row:?}");
    }
    for line in stdout.lines().skip(1) {
        result
            .rows
            .entry(csv_file(line))
            .or_default()
            .push(line.to_owned());
    }
    for line in stderr.lines() {
        let message = line
            .strip_prefix("tcpwave: ")
            .unwrap_or_else(|| panic!("stray stderr line: {line}"));
        let Some((file, what)) = message.split_once(": ") else {
            continue;
        };
        match what.split_once("it holds ") {
            Some((_, reason)) => {
                let reason = reason.split(", which").next().unwrap_or(reason);
                result
                    .needs_tshark
                    .insert(file.to_owned(), reason.to_owned());
            }
            None if is_note(what) => result
                .notes
                .entry(file.to_owned())
                .or_default()
                .push(what.to_owned()),
            None => result
                .failures
                .entry(file.to_owned())
                .or_default()
                .push(what.to_owned()),
        }
    }
    result
}

/// Runs both engines over `paths` and compares; returns (captures compared: those with a row or
/// a failure, rows compared).
fn compare(corpus: &str, paths: &[&Path]) -> (usize, usize) {
    let tshark = plugin_tshark();
    let run = |engine: &str| {
        let mut args = vec![
            "report", "--format", "csv", "--jobs", "2", "--engine", engine,
        ];
        args.extend(paths.iter().map(|path| path.to_str().expect("UTF-8 paths")));
        by_file(&tcpwave(tshark, &args))
    };
    let native = run("native");
    let reference = run("tshark");
    let files: BTreeSet<&String> = native
        .rows
        .keys()
        .chain(reference.rows.keys())
        .chain(native.failures.keys())
        .chain(reference.failures.keys())
        .filter(|file| !native.needs_tshark.contains_key(*file))
        .collect();
    let mut differences = Vec::new();
    let mut rows = 0;
    for file in &files {
        let (ours, theirs) = (native.rows.get(*file), reference.rows.get(*file));
        if ours != theirs {
            let ours = ours.cloned().unwrap_or_default();
            let theirs = theirs.cloned().unwrap_or_default();
            let first = ours
                .iter()
                .zip(&theirs)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("\n    native: {a}\n    tshark: {b}"))
                .unwrap_or_default();
            differences.push(format!(
                "{file}: {} native rows, {} tshark rows{first}",
                ours.len(),
                theirs.len()
            ));
        }
        if native.failures.get(*file) != reference.failures.get(*file) {
            differences.push(format!(
                "{file}: native says {:?}, tshark says {:?}",
                native.failures.get(*file),
                reference.failures.get(*file)
            ));
        }
        rows += native.rows.get(*file).map_or(0, Vec::len);
    }
    // Both engines see the same packets, so they note the same captures alike.
    let noted: BTreeSet<&String> = native
        .notes
        .keys()
        .chain(reference.notes.keys())
        .filter(|file| !native.needs_tshark.contains_key(*file))
        .collect();
    for file in noted {
        if native.notes.get(file) != reference.notes.get(file) {
            differences.push(format!(
                "{file}: native notes {:?}, tshark notes {:?}",
                native.notes.get(file),
                reference.notes.get(file)
            ));
        }
    }
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for reason in native.needs_tshark.values() {
        *reasons.entry(reason).or_default() += 1;
    }
    eprintln!(
        "{corpus}: {} captures compared ({rows} rows), {} left to tshark: {reasons:?}",
        files.len(),
        native.needs_tshark.len()
    );
    assert!(
        differences.is_empty(),
        "{corpus}: the native engine differs from the tshark engine on {} captures:\n{}",
        differences.len(),
        differences.join("\n")
    );
    (files.len(), rows)
}

#[test]
fn the_kernel_captures_and_the_sample_read_alike() {
    let kernel = captures_dir().join("kernel");
    let sample = workspace_root().join("tests/data/sample.pcap");
    let (captures, rows) = compare("kernel", &[&kernel, &sample]);
    assert!(
        captures >= 14 && rows >= 30,
        "{captures} captures, {rows} rows"
    );
}

/// A folder uid 65534 (tshark's user when the tests run as root) can read.
fn readable_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("tcpwave-engines.")
        .tempdir()
        .expect("a temporary folder");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn make_readable(dir: &Path) {
    for entry in fs::read_dir(dir).expect("the folder") {
        let path = entry.expect("a file").path();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    }
}

/// Hostile shapes: headers cut before and after their flags, a data offset of 0, an IP packet
/// with no TCP header, sequence numbers wrapping past 2^32, SYN+FIN and SYN+RST, FIN and RST on
/// connections never opened, SYNs with changing ISNs, a port pair reused many times, a header
/// quoted in an ICMP error.
fn write_hostile(dir: &Path) {
    use tcpwave_tests::pcap::{ip_frame, PcapWriter, Segment, ACK, FIN, PROTOCOL_TCP, RST, SYN};
    let (client, server): (std::net::SocketAddr, std::net::SocketAddr) = (
        "10.0.0.1:40000".parse().unwrap(),
        "10.0.0.2:80".parse().unwrap(),
    );
    let to_server = |flags, seq, ack| Segment::new(client, server, flags, seq, ack);
    let to_client = |flags, seq, ack| Segment::new(server, client, flags, seq, ack);
    let mut time = 1_700_000_000_000_000_000u64;
    let mut next = move || {
        time += 1_000_000;
        time
    };
    let mut pcap = PcapWriter::create(&dir.join("headers.pcap"));
    let established = to_server(ACK, 101, 501);
    let mut no_length = established.tcp_bytes();
    no_length[12] = 0;
    for segment in [
        to_server(SYN, 100, 0),
        to_client(SYN | ACK, 500, 101),
        established,
    ] {
        pcap.write(next(), &segment.frame());
    }
    pcap.write(
        next(),
        &ip_frame(client.ip(), server.ip(), PROTOCOL_TCP, &[]),
    );
    pcap.write(
        next(),
        &ip_frame(client.ip(), server.ip(), PROTOCOL_TCP, &no_length),
    );
    pcap.write_cut(next(), &established.frame(), 14 + 20 + 10);
    pcap.write_cut(next(), &established.frame(), 14 + 20 + 16);
    pcap.write_cut(
        next(),
        &established.with_payload(100).frame(),
        14 + 20 + 20 + 10,
    );
    for segment in [
        to_server(FIN | ACK, 101, 501),
        to_client(FIN | ACK, 501, 102),
        to_server(ACK, 102, 502),
    ] {
        pcap.write(next(), &segment.frame());
    }
    pcap.finish();

    let mut pcap = PcapWriter::create(&dir.join("wrap_and_odd_flags.pcap"));
    let top = u32::MAX - 1;
    for segment in [
        to_server(SYN, top, 0),
        to_client(SYN | ACK, u32::MAX, top.wrapping_add(1)),
        to_server(ACK, top.wrapping_add(1), 0),
        to_server(ACK, top.wrapping_add(1), 0).with_payload(10),
        to_server(FIN | ACK, top.wrapping_add(11), 0),
        to_client(FIN | ACK, 0, top.wrapping_add(12)),
        to_server(ACK, top.wrapping_add(12), 1),
    ] {
        pcap.write(next(), &segment.frame());
    }
    let other: std::net::SocketAddr = "10.0.0.3:5555".parse().unwrap();
    for (flags, seq) in [(SYN | FIN, 7), (SYN | RST, 9), (FIN | ACK, 11), (RST, 13)] {
        pcap.write(next(), &Segment::new(other, server, flags, seq, 0).frame());
    }
    for isn in [1000, 2000, 3000] {
        pcap.write(next(), &Segment::new(other, client, SYN, isn, 0).frame());
    }
    pcap.finish();

    let mut pcap = PcapWriter::create(&dir.join("port_reuse.pcap"));
    for round in 0..50u32 {
        let isn = round * 100_000;
        for segment in [
            to_server(SYN, isn, 0),
            to_client(SYN | ACK, isn + 7, isn + 1),
            to_server(ACK, isn + 1, isn + 8),
            to_server(FIN | ACK, isn + 1, isn + 8),
            to_client(FIN | ACK, isn + 8, isn + 2),
            to_server(ACK, isn + 2, isn + 9),
        ] {
            pcap.write(next(), &segment.frame());
        }
    }
    // An ICMP port unreachable quoting a SYN: Wireshark numbers the quoted header.
    let syn = to_server(SYN, 77, 0).frame();
    let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
    icmp.extend(&syn[14..]);
    pcap.write(next(), &ip_frame(server.ip(), client.ip(), 1, &icmp));
    pcap.write(next(), &to_server(SYN, 99_999_999, 0).frame());
    pcap.finish();
    make_readable(dir);
}

#[test]
fn hostile_captures_read_alike() {
    let dir = readable_dir();
    write_hostile(dir.path());
    let (captures, _) = compare("hostile", &[dir.path()]);
    assert_eq!(captures, 3);
}

/// A small run of the benchmark generator (`kernel_scenarios.py --bulk`: many short connections,
/// some refused or aborted), which needs root for its network namespace.
#[test]
fn the_benchmark_generators_output_reads_alike() {
    if !tcpwave_tests::running_as_root() {
        eprintln!("skipped: the benchmark generator needs root");
        return;
    }
    let dir = readable_dir();
    let generator = captures_dir().join("gen/kernel_scenarios.py");
    let status = std::process::Command::new("python3")
        .arg(&generator)
        .arg(dir.path())
        .args(["--bulk", "3000", "bulk.pcap"])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs");
    assert!(status.success(), "{} failed", generator.display());
    make_readable(dir.path());
    let (captures, rows) = compare("benchmark generator", &[dir.path()]);
    assert_eq!(captures, 1);
    // The generator gives tcpdump 0.8 s to start; on a loaded machine it may miss the first
    // connections (2958 rows were seen so).
    assert!(rows >= 2500, "{rows} rows");
    // One capture and two jobs: the engine reads on a thread of its own while the rows are
    // folded on another, with many batches of packets between them; one job folds as it reads.
    let native = |jobs: &str| {
        let output = tcpwave(
            plugin_tshark(),
            &[
                "report",
                "--format",
                "csv",
                "--engine",
                "native",
                "--jobs",
                jobs,
                dir.path().to_str().expect("UTF-8 path"),
            ],
        );
        assert!(output.status.success(), "--jobs {jobs} failed");
        output.stdout
    };
    assert!(
        native("1") == native("2"),
        "reading and folding on two threads changed the rows"
    );
}

#[test]
fn the_partial_captures_read_alike() {
    let dir = readable_dir();
    tcpwave_tests::partial::write_shapes(dir.path());
    make_readable(dir.path());
    let (captures, _) = compare("partial", &[dir.path()]);
    assert_eq!(captures, 8);
}

/// Also the corpus's robustness check for both engines: no panic, exit status 0 or 1, every
/// stderr line tcpwave's, every conn_state one Zeek knows.
#[test]
fn the_tcpdump_corpus_reads_alike() {
    let corpus = captures_dir().join("tcpdump");
    let (captures, rows) = compare("tcpdump", &[&corpus]);
    assert!(
        captures > 80 && rows > 150,
        "{captures} captures, {rows} rows"
    );
}
