//! The labels do not depend on how tshark runs: one pass or two, with or without a display filter.
//! Two-pass runs add the connection verdicts; the handshake times agree with the frame times.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use tcpwave_tests::{
    captures, expected_column, expected_labels, kernel_capture, labelled_captures, name,
    nanoseconds, PrivateTshark,
};

/// Every per-packet tcpwave field, after the frame number.
const LABELS: &[&str] = &[
    "frame.number",
    "tcpwave.step",
    "tcpwave.handshake.step",
    "tcpwave.teardown.step",
    "tcpwave.repeat",
    "tcpwave.phase",
    "tcpwave.state.client",
    "tcpwave.state.server",
    "tcpwave.acks_frame",
    "tcpwave.expected_ack",
    "tcpwave.ack_ok",
    "tcpwave.handshake.rtt",
    "tcpwave.handshake.syn_to_synack",
    "tcpwave.handshake.synack_to_ack",
    "tcpwave.teardown.duration",
];

/// Every kernel capture's connection verdicts (all its connections have the same), from the README.
const VERDICTS: &[(&str, &str, &str)] = &[
    ("abort_with_rst.pcap", "complete", "reset"),
    ("client_closes_first.pcap", "complete", "three-way"),
    ("fast_open.pcap", "complete", "three-way"),
    ("half_close_then_data.pcap", "complete", "four-way"),
    ("ipv6_client_closes_first.pcap", "complete", "three-way"),
    ("port_reuse.pcap", "complete", "three-way"),
    ("refused.pcap", "refused", "reset"),
    ("server_closes_first.pcap", "complete", "four-way"),
    ("simultaneous_close.pcap", "complete", "simultaneous"),
    ("simultaneous_open.pcap", "simultaneous", "reset"),
    ("syn_retransmitted.pcap", "complete", "three-way"),
    ("syn_unanswered.pcap", "unanswered", "none"),
    ("synack_lost.pcap", "complete", "three-way"),
    ("partial_synack_first.pcap", "complete", "three-way"),
    ("partial_synack_repeated.pcap", "complete", "three-way"),
    ("partial_client_side_only.pcap", "complete", "one-way"),
    ("partial_server_side_only.pcap", "complete", "one-way"),
    ("partial_midstream_close.pcap", "midstream", "four-way"),
    ("partial_midstream_reset.pcap", "midstream", "reset"),
    ("partial_ends_mid_handshake.pcap", "incomplete", "none"),
    ("partial_ends_mid_teardown.pcap", "complete", "half-closed"),
];

/// Appends to `report` how `run`'s rows differ from `reference`'s, frame by frame.
fn compare_runs(
    capture: &str,
    reference_name: &str,
    reference: &[Vec<String>],
    run_name: &str,
    run: &[Vec<String>],
    report: &mut String,
) {
    let by_frame = |rows: &[Vec<String>]| -> BTreeMap<u64, Vec<String>> {
        rows.iter()
            .map(|row| (row[0].parse().expect("a frame number"), row.clone()))
            .collect()
    };
    let (reference, run) = (by_frame(reference), by_frame(run));
    for frame in reference.keys().filter(|frame| !run.contains_key(frame)) {
        writeln!(
            report,
            "{capture} frame {frame}: in the {reference_name} run, missing from the {run_name} run"
        )
        .unwrap();
    }
    for frame in run.keys().filter(|frame| !reference.contains_key(frame)) {
        writeln!(
            report,
            "{capture} frame {frame}: in the {run_name} run, not in the {reference_name} run"
        )
        .unwrap();
    }
    for (frame, want) in &reference {
        let Some(got) = run.get(frame) else { continue };
        for (field, (a, b)) in LABELS.iter().zip(want.iter().zip(got)) {
            if a != b {
                writeln!(
                    report,
                    "{capture} frame {frame} {field}: {reference_name} {a:?}, {run_name} {b:?}"
                )
                .unwrap();
            }
        }
    }
}

#[test]
fn two_passes_label_like_one() {
    let tshark = PrivateTshark::with_plugin();
    let mut report = String::new();
    for capture in labelled_captures() {
        let copy = tshark.readable_copy(&capture);
        let one_pass = tshark.fields(&copy, &[], LABELS);
        let two_pass = tshark.fields(&copy, &["-2"], LABELS);
        compare_runs(
            &name(&capture),
            "one-pass",
            &one_pass,
            "two-pass",
            &two_pass,
            &mut report,
        );
    }
    assert!(
        report.is_empty(),
        "a two-pass run labels differently from a one-pass run:\n{report}"
    );
}

#[test]
fn display_filter_shows_the_step_rows_unchanged() {
    let tshark = PrivateTshark::with_plugin();
    let mut report = String::new();
    for capture in labelled_captures() {
        let copy = tshark.readable_copy(&capture);
        let steps: Vec<Vec<String>> = tshark
            .fields(&copy, &[], LABELS)
            .into_iter()
            .filter(|row| !row[1].is_empty())
            .collect();
        // A capture whose expected labels have steps and whose run has none is missing its labels.
        let (header, expected) = expected_labels(&capture);
        let (handshake, teardown) = (
            expected_column(&header, "handshake_step"),
            expected_column(&header, "teardown_step"),
        );
        let expects_steps = expected
            .iter()
            .any(|row| !row[handshake].is_empty() || !row[teardown].is_empty());
        assert!(
            steps.is_empty() != expects_steps,
            "{}: the unfiltered run has {} step rows",
            name(&capture),
            steps.len()
        );
        for (what, options) in [
            ("-Y tcpwave.step", &["-Y", "tcpwave.step"][..]),
            ("-2 -Y tcpwave.step", &["-2", "-Y", "tcpwave.step"][..]),
        ] {
            let filtered = tshark.fields(&copy, options, LABELS);
            compare_runs(
                &name(&capture),
                "unfiltered (step rows)",
                &steps,
                what,
                &filtered,
                &mut report,
            );
        }
    }
    assert!(
        report.is_empty(),
        "filtered runs differ from the step rows of an unfiltered one-pass run:\n{report}"
    );
}

#[test]
fn verdicts_on_every_tcp_packet_of_two_pass_runs_only() {
    let tshark = PrivateTshark::with_plugin();
    let fields = [
        "frame.number",
        "tcp.stream",
        "tcpwave.conn.handshake",
        "tcpwave.conn.teardown",
    ];
    let mut report = String::new();
    for capture in labelled_captures() {
        let capture_name = name(&capture);
        let Some(&(_, handshake, teardown)) =
            VERDICTS.iter().find(|(name, _, _)| *name == capture_name)
        else {
            writeln!(
                report,
                "{capture_name}: no expected verdicts in VERDICTS (tests/passes.rs)"
            )
            .unwrap();
            continue;
        };
        let copy = tshark.readable_copy(&capture);
        for row in tshark.fields(&copy, &["-2"], &fields) {
            assert!(
                !row[1].is_empty(),
                "{capture_name} frame {}: not a TCP packet",
                row[0]
            );
            if row[2] != handshake || row[3] != teardown {
                writeln!(report, "{capture_name} frame {} (two-pass): {:?}/{:?} instead of {handshake}/{teardown}", row[0], row[2], row[3]).unwrap();
            }
        }
        // One pass cannot know how a connection ends (README: verdicts are for two-pass runs and the GUI).
        for row in tshark.fields(&copy, &[], &fields) {
            if !row[2].is_empty() || !row[3].is_empty() {
                writeln!(
                    report,
                    "{capture_name} frame {} (one-pass): verdicts {:?}/{:?}, expected none",
                    row[0], row[2], row[3]
                )
                .unwrap();
            }
        }
    }
    assert!(
        report.is_empty(),
        "tcpwave.conn.handshake/tcpwave.conn.teardown are wrong:\n{report}"
    );
}

#[test]
fn handshake_times_match_the_frame_times() {
    const TOLERANCE_NS: i128 = 1_000;
    let tshark = PrivateTshark::with_plugin();
    let fields = [
        "frame.number",
        "tcp.stream",
        "frame.time_epoch",
        "tcpwave.handshake.step",
        "tcpwave.handshake.rtt",
        "tcpwave.handshake.syn_to_synack",
        "tcpwave.handshake.synack_to_ack",
    ];
    let mut report = String::new();
    let mut checked = 0;
    for capture in captures("kernel") {
        let capture_name = name(&capture);
        let mut streams: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
        for row in tshark.fields(&tshark.readable_copy(&capture), &["-2"], &fields) {
            streams.entry(row[1].clone()).or_default().push(row);
        }
        for (stream, rows) in streams {
            let has_step = |row: &&Vec<String>, step: &str| row[3].split(',').any(|s| s == step);
            let (Some(syn), Some(ack)) = (
                rows.iter().find(|row| has_step(row, "1")),
                rows.iter().find(|row| has_step(row, "3")),
            ) else {
                continue;
            };
            checked += 1;
            let at = format!(
                "{capture_name} stream {stream}, first step 3 (frame {})",
                ack[0]
            );
            if ack[4].is_empty() || ack[5].is_empty() || ack[6].is_empty() {
                writeln!(
                    report,
                    "{at}: rtt {:?}, syn_to_synack {:?}, synack_to_ack {:?}: all three expected",
                    ack[4], ack[5], ack[6]
                )
                .unwrap();
                continue;
            }
            let [rtt, syn_to_synack, synack_to_ack] =
                [&ack[4], &ack[5], &ack[6]].map(|value| nanoseconds(value));
            let since_syn = nanoseconds(&ack[2]) - nanoseconds(&syn[2]);
            if (rtt - since_syn).abs() > TOLERANCE_NS {
                writeln!(report, "{at}: handshake.rtt {} but the first SYN (frame {}) was {since_syn} ns earlier", ack[4], syn[0]).unwrap();
            }
            if (rtt - syn_to_synack - synack_to_ack).abs() > TOLERANCE_NS {
                writeln!(
                    report,
                    "{at}: handshake.rtt {} is not syn_to_synack {} + synack_to_ack {}",
                    ack[4], ack[5], ack[6]
                )
                .unwrap();
            }
        }
    }
    assert!(
        checked > 0,
        "no kernel capture has a connection with handshake steps 1 and 3"
    );
    assert!(report.is_empty(), "handshake times are wrong:\n{report}");
}

/// `tshark -q -z tcpwave,tree` as counts by topic path ("Steps/Handshake 1 (SYN)").
fn statistics(tshark: &PrivateTshark, capture: &Path, options: &[&str]) -> BTreeMap<String, u64> {
    let mut args = vec![
        "-q",
        "-z",
        "tcpwave,tree",
        "-r",
        capture.to_str().expect("a UTF-8 path"),
    ];
    args.extend(options);
    let run = tshark.run(&args);
    let mut counts = BTreeMap::new();
    // Each item is indented one space deeper than its parent; columns are two or more spaces apart.
    let mut parents: Vec<String> = Vec::new();
    let rows = run
        .expect_clean()
        .lines()
        .skip_while(|line| !line.starts_with("Topic / Item"));
    for line in rows.skip(2).take_while(|line| !line.starts_with("---")) {
        let depth = line.len() - line.trim_start().len();
        let mut cells = line
            .trim_start()
            .split("  ")
            .filter(|cell| !cell.is_empty());
        let (Some(topic), Some(count)) = (cells.next(), cells.next()) else {
            continue;
        };
        parents.truncate(depth);
        parents.push(topic.trim().to_owned());
        let count = count
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("no count in {line:?}"));
        counts.insert(parents.join("/"), count);
    }
    assert!(
        !counts.is_empty(),
        "no statistics tree in:\n{}",
        run.expect_clean()
    );
    counts
}

/// The statistics tree's name for a step of the expected files ("handshake_step", "2").
fn step_topic(column: &str, number: &str) -> String {
    match (column, number) {
        ("handshake_step", "1") => "Handshake 1 (SYN)",
        ("handshake_step", "2") => "Handshake 2 (SYN/ACK)",
        ("handshake_step", "3") => "Handshake 3 (ACK)",
        ("teardown_step", "1") => "Teardown 1 (FIN)",
        ("teardown_step", "2") => "Teardown 2 (ACK of FIN)",
        ("teardown_step", "3") => "Teardown 3 (FIN)",
        ("teardown_step", "4") => "Teardown 4 (ACK of FIN)",
        _ => panic!("no step {column} {number}"),
    }
    .to_owned()
}

/// Steps and repeats counted from the hand-written expected labels; connections and their
/// verdicts from the tcp.stream numbers and [`VERDICTS`].
fn expected_statistics(tshark: &PrivateTshark, capture: &Path) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    let mut add = |topic: String| *counts.entry(topic).or_insert(0) += 1;
    let (header, rows) = expected_labels(capture);
    let column = |name: &str| expected_column(&header, name);
    for row in &rows {
        let repeated = row[column("repeat")] == "1";
        for kind in ["handshake_step", "teardown_step"] {
            for number in row[column(kind)].split(',').filter(|n| !n.is_empty()) {
                add("Steps".into());
                add(format!("Steps/{}", step_topic(kind, number)));
                if repeated {
                    add("Repeated steps".into());
                    add(format!("Repeated steps/{}", step_topic(kind, number)));
                }
            }
        }
    }
    let streams: std::collections::BTreeSet<String> = tshark
        .fields(capture, &[], &["tcp.stream"])
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    let capture_name = name(capture);
    let (_, handshake, teardown) = VERDICTS
        .iter()
        .find(|(name, _, _)| *name == capture_name)
        .unwrap_or_else(|| panic!("{capture_name}: no expected verdicts in VERDICTS"));
    let connections = streams.len() as u64;
    counts.insert("Connections".into(), connections);
    for (topic, verdict) in [("Handshake", handshake), ("Teardown", teardown)] {
        counts.insert(format!("Connections/{topic}"), connections);
        counts.insert(format!("Connections/{topic}/{verdict}"), connections);
    }
    counts
}

#[test]
fn statistics_tree_counts_the_expected_labels_in_one_pass_and_two() {
    let tshark = PrivateTshark::with_plugin();
    let mut report = String::new();
    for capture in labelled_captures() {
        let copy = tshark.readable_copy(&capture);
        let expected = expected_statistics(&tshark, &copy);
        for (what, options) in [("one-pass", &[][..]), ("two-pass", &["-2"][..])] {
            let actual = statistics(&tshark, &copy, options);
            // The tree lists every item with a count of 0 too; the anomalies are checked elsewhere.
            let shown: BTreeMap<&String, &u64> = actual
                .iter()
                .filter(|(topic, count)| **count > 0 && !topic.starts_with("Anomalies"))
                .collect();
            let wanted: BTreeMap<&String, &u64> = expected.iter().collect();
            if shown != wanted {
                writeln!(
                    report,
                    "{} ({what}):\n  expected {wanted:?}\n  actual   {shown:?}",
                    name(&capture)
                )
                .unwrap();
            }
        }
    }
    assert!(report.is_empty(), "tshark -z tcpwave,tree:\n{report}");
}

/// Without `-T fields` or `-V`, tshark's tree is not visible and the plugin adds its fields only
/// when something reads them: a display filter on them must still see every step, and the expert
/// infos must still be counted when nothing reads the fields.
#[test]
fn summary_mode_filters_on_the_fields_and_counts_the_expert_infos() {
    let tshark = PrivateTshark::with_plugin();
    let mut report = String::new();
    for capture in captures("kernel") {
        let copy = tshark.readable_copy(&capture);
        let (header, rows) = expected_labels(&capture);
        let column = |name: &str| expected_column(&header, name);
        let expected: Vec<String> = rows
            .iter()
            .filter(|row| {
                !row[column("handshake_step")].is_empty()
                    || !row[column("teardown_step")].is_empty()
            })
            .map(|row| row[column("frame")].clone())
            .collect();
        let run = tshark.run([
            "-r",
            copy.to_str().expect("a UTF-8 path"),
            "-Y",
            "tcpwave.step",
        ]);
        let shown: Vec<String> = run
            .expect_clean()
            .lines()
            .filter_map(|line| line.split_whitespace().next().map(String::from))
            .collect();
        if shown != expected {
            writeln!(
                report,
                "{}: -Y tcpwave.step shows frames {shown:?}, expected {expected:?}",
                name(&capture)
            )
            .unwrap();
        }
    }
    assert!(report.is_empty(), "summary mode:\n{report}");

    let copy = tshark.readable_copy(&kernel_capture("refused.pcap"));
    let run = tshark.run([
        "-q",
        "-r",
        copy.to_str().expect("a UTF-8 path"),
        "-z",
        "expert",
    ]);
    assert!(
        run.expect_clean()
            .lines()
            .any(|line| line.contains("tcpwave") && line.contains("Connection refused")),
        "`-z expert` lists no tcpwave expert info for refused.pcap:\n{}",
        run.expect_clean()
    );
}

/// `--disable-protocol tcpwave` (like unticking it under Enabled Protocols) leaves no trace: no
/// field, no expert info, nothing a filter on it matches, and no complaint on stderr.
#[test]
fn a_disabled_tcpwave_adds_nothing() {
    let tshark = PrivateTshark::with_plugin();
    let copy = tshark.readable_copy(&kernel_capture("refused.pcap"));
    let path = copy.to_str().expect("a UTF-8 path");
    let disabled = ["--disable-protocol", "tcpwave"];
    let rows = tshark.fields(&copy, &disabled, LABELS);
    assert!(!rows.is_empty(), "refused.pcap has packets");
    for row in &rows {
        assert!(
            row[1..].iter().all(String::is_empty),
            "frame {} has tcpwave fields while tcpwave is disabled: {row:?}",
            row[0]
        );
    }
    for options in [&["-Y", "tcpwave"][..], &["-2", "-Y", "tcpwave"]] {
        let run = tshark.run(["-r", path].iter().chain(&disabled).chain(options));
        assert_eq!(
            run.expect_clean(),
            "",
            "{options:?} matched packets while tcpwave is disabled"
        );
    }
    let run = tshark.run(["-q", "-r", path, "-z", "expert"].iter().chain(&disabled));
    assert!(
        !run.expect_clean().contains("tcpwave"),
        "`-z expert` lists tcpwave expert infos while tcpwave is disabled:\n{}",
        run.expect_clean()
    );
}
