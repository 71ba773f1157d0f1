//! Every kernel capture is labelled exactly as its expected file says. The expected files in
//! tests/expected/ are written by hand from the specification (README, "How packets are labelled"),
//! not from the plugin's output.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::fs;
use std::path::{Path, PathBuf};

use tcpwave_tests::{
    boolean_digits, expected_dir, expected_file, expected_labels, labelled_captures, name,
    PrivateTshark,
};

/// The expected files' columns, in order, and the field each one is.
const COLUMNS: &[(&str, &str)] = &[
    ("frame", "frame.number"),
    ("handshake_step", "tcpwave.handshake.step"),
    ("teardown_step", "tcpwave.teardown.step"),
    ("repeat", "tcpwave.repeat"),
    ("phase", "tcpwave.phase"),
    ("client", "tcpwave.state.client"),
    ("server", "tcpwave.state.server"),
    ("acks_frame", "tcpwave.acks_frame"),
    ("expected_ack", "tcpwave.expected_ack"),
    ("ack_ok", "tcpwave.ack_ok"),
];

/// An expected file's rows by frame number, checked for the columns of [`COLUMNS`].
fn read_expected(capture: &Path) -> BTreeMap<String, Vec<String>> {
    let path = expected_file(capture);
    let (header, lines) = expected_labels(capture);
    let columns: Vec<&str> = COLUMNS.iter().map(|(column, _)| *column).collect();
    assert_eq!(
        header,
        columns,
        "{}: the first non-comment line must be the header",
        path.display()
    );
    let mut rows = BTreeMap::new();
    for row in lines {
        assert_eq!(
            row.len(),
            COLUMNS.len(),
            "{}: line {row:?} does not have {} columns",
            path.display(),
            COLUMNS.len()
        );
        let frame = row[0].clone();
        assert!(
            rows.insert(frame.clone(), row).is_none(),
            "{}: frame {frame} is listed twice",
            path.display()
        );
    }
    rows
}

fn shown(value: &str) -> String {
    if value.is_empty() {
        "(absent)".into()
    } else {
        format!("{value:?}")
    }
}

/// Appends every difference between the expected and the actual rows to `report`.
fn compare(
    capture: &str,
    expected: &BTreeMap<String, Vec<String>>,
    actual: &BTreeMap<String, Vec<String>>,
    report: &mut String,
) {
    for frame in expected.keys().filter(|frame| !actual.contains_key(*frame)) {
        writeln!(
            report,
            "{capture} frame {frame}: expected, but tshark printed no such frame"
        )
        .unwrap();
    }
    for frame in actual.keys().filter(|frame| !expected.contains_key(*frame)) {
        writeln!(
            report,
            "{capture} frame {frame}: printed by tshark, but missing from the expected file"
        )
        .unwrap();
    }
    let mut frames: Vec<&String> = expected
        .keys()
        .filter(|frame| actual.contains_key(*frame))
        .collect();
    frames.sort_by_key(|frame| frame.parse::<u64>().unwrap_or(u64::MAX));
    for frame in frames {
        let (want, got) = (&expected[frame], &actual[frame]);
        for (column, (name, _)) in COLUMNS.iter().enumerate().skip(1) {
            if want[column] != got[column] {
                writeln!(
                    report,
                    "{capture} frame {frame} {name}: expected {}, actual {}",
                    shown(&want[column]),
                    shown(&got[column])
                )
                .unwrap();
            }
        }
    }
}

#[test]
fn every_kernel_and_partial_capture_is_labelled_as_its_expected_file_says() {
    let tshark = PrivateTshark::with_plugin();
    let fields: Vec<&str> = COLUMNS.iter().map(|(_, field)| *field).collect();
    let captures = labelled_captures();
    let mut report = String::new();
    for capture in &captures {
        let expected_path = expected_file(capture);
        if !expected_path.is_file() {
            writeln!(
                report,
                "{}: no expected file {}",
                name(capture),
                expected_path.display()
            )
            .unwrap();
            continue;
        }
        let expected = read_expected(capture);
        let actual = tshark
            .fields(&tshark.readable_copy(capture), &[], &fields)
            .into_iter()
            .map(|row| {
                let row: Vec<String> = row.iter().map(|cell| boolean_digits(cell)).collect();
                (row[0].clone(), row)
            })
            .collect();
        compare(&name(capture), &expected, &actual, &mut report);
    }
    assert!(
        report.is_empty(),
        "labels differ from tests/expected/ (capture, frame, column):\n{report}"
    );
}

#[test]
fn every_expected_file_has_its_capture() {
    let wanted: Vec<PathBuf> = labelled_captures()
        .iter()
        .map(|capture| expected_file(capture))
        .collect();
    for entry in fs::read_dir(expected_dir()).expect("tests/expected/ exists") {
        let path = entry.expect("readable folder entry").path();
        assert!(
            wanted.contains(&path),
            "{} belongs to no capture in ../shared/captures/kernel/ nor to a shape of tests/src/partial.rs",
            path.display()
        );
    }
}
