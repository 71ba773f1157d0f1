//! `tcpwave report --format parquet` read back by an independent reader, DuckDB (the `duckdb`
//! Python package, installed with pip into a cached environment, so only with
//! `TCPWAVE_SYSTEM_TESTS=1`), and by the parquet crate's own reader for the file's layout.
//!
//! The expected values come from the CSV report of the same captures, the separately tested
//! path: row counts, counts by handshake verdict and by conn_state, every row's start, ports,
//! durations, steps and anomalies, and one row group per capture.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{captures_dir, csv_rows, succeeded, workspace_root};
use parquet::file::reader::{FileReader, SerializedFileReader};
use tcpwave_tests::{python::python_with, system_tests_enabled};

const DUCKDB: &str = "duckdb==1.4.4";

type CsvRow = HashMap<String, String>;

fn kernel() -> PathBuf {
    captures_dir().join("kernel")
}

fn sample() -> PathBuf {
    workspace_root().join("tests/data/sample.pcap")
}

/// `tcpwave report --engine native ARGS` (the native engine needs no tshark), which must succeed.
fn report(args: &[&str]) -> Vec<u8> {
    succeeded(
        Command::new(env!("CARGO_BIN_EXE_tcpwave"))
            .args(["report", "--engine", "native"])
            .args(args),
    )
    .stdout
}

fn csv_report(captures: &[&Path]) -> Vec<CsvRow> {
    let mut args = vec!["--format", "csv"];
    args.extend(captures.iter().map(|path| path.to_str().unwrap()));
    let rows = csv_rows(&report(&args));
    assert!(!rows.is_empty(), "the captures have connections");
    rows
}

fn parquet_report(captures: &[&Path], out: &Path) {
    let mut args = vec![
        "--format",
        "parquet",
        "--jobs",
        "2",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(captures.iter().map(|path| path.to_str().unwrap()));
    report(&args);
}

/// Rows per value of `column` (an absent value is the empty string, as the CSV writes it).
fn counts_by(rows: &[CsvRow], column: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for row in rows {
        *counts.entry(row[column].clone()).or_default() += 1;
    }
    counts
}

fn files(rows: &[CsvRow]) -> BTreeSet<String> {
    rows.iter().map(|row| row["file"].clone()).collect()
}

/// Always runs (no install): the file is whole Parquet with one row group per capture, each the
/// capture's rows only, and nothing is left beside it.
#[test]
fn one_row_group_per_capture_and_no_leftovers() {
    let captures = [kernel(), sample()];
    let captures: Vec<&Path> = captures.iter().map(PathBuf::as_path).collect();
    let expected = csv_report(&captures);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.parquet");
    fs::write(&out, "an older report, replaced").unwrap();
    parquet_report(&captures, &out);

    let reader = SerializedFileReader::new(fs::File::open(&out).unwrap()).unwrap();
    let mut groups: Vec<u64> = reader
        .metadata()
        .row_groups()
        .iter()
        .map(|group| group.num_rows() as u64)
        .collect();
    groups.sort_unstable();
    let mut per_capture: Vec<u64> = counts_by(&expected, "file").into_values().collect();
    per_capture.sort_unstable();
    assert_eq!(groups, per_capture, "rows per row group, rows per capture");
    assert_eq!(
        files_in(dir.path()),
        ["report.parquet"],
        "no temporary file is left"
    );
}

/// The names of the files in `dir`.
fn files_in(dir: &std::path::Path) -> Vec<std::ffi::OsString> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect()
}

/// Ctrl-C writes no Parquet file: the file named keeps its older content, and the temporary one
/// is removed. The run reads the tcpdump corpus four times over, one capture at a time, seconds
/// of work, and is interrupted half a second in (after tcpwave installs its Ctrl-C handler).
#[test]
fn an_interrupted_run_leaves_no_parquet_file() {
    let corpus = captures_dir().join("tcpdump");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.parquet");
    fs::write(&out, "an older report, kept").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_tcpwave"))
        .args([
            "report", "--engine", "native", "--jobs", "1", "--format", "parquet", "-o",
        ])
        .arg(&out)
        .args([&corpus, &corpus, &corpus, &corpus])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tcpwave");
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -INT");
    let output = child.wait_with_output().expect("wait for tcpwave");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!("interrupted, so {} is not written", out.display())),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(&out).unwrap(), "an older report, kept");
    assert_eq!(
        files_in(dir.path()),
        ["report.parquet"],
        "no temporary file is left"
    );
}

/// Parquet to a terminal is a usage error (exit status 2) that says what to do. The terminal is
/// `script`'s (util-linux, in Debian's essential bsdutils).
#[test]
fn parquet_to_a_terminal_is_a_usage_error() {
    let command = format!(
        "'{}' report --engine native '{}' --format parquet",
        env!("CARGO_BIN_EXE_tcpwave"),
        sample().display()
    );
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("run script");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("--format parquet writes binary data: name a file with -o FILE"),
        "{shown}"
    );
}

/// Seconds with six decimals, as the CSV writes them, in microseconds.
fn micros(text: &str) -> i64 {
    let (whole, fraction) = text.split_once('.').expect("six decimals");
    whole.parse::<i64>().unwrap() * 1_000_000 + fraction.parse::<i64>().unwrap()
}

/// Reads the report and the directory with DuckDB and prints what it sees as JSON.
const READ_WITH_DUCKDB: &str = r#"
import json, sys, duckdb
report, directory = sys.argv[1], sys.argv[2]
assert "'" not in report + directory
con = duckdb.connect()
def rows(sql):
    return con.sql(sql).fetchall()
def counts(source, column):
    return {"" if key is None else key: n
            for key, n in rows(f"SELECT {column}, count(*) FROM {source} GROUP BY ALL")}
one = f"read_parquet('{report}')"
every = f"read_parquet('{directory}/*.parquet')"
print(json.dumps({
    "types": {name: kind for name, kind, *_ in rows(f"DESCRIBE SELECT * FROM {one}")},
    "rows": rows(f"SELECT count(*) FROM {one}")[0][0],
    "by_handshake": counts(one, "handshake"),
    "by_conn_state": counts(one, "conn_state"),
    "values": [list(row) for row in rows(
        f"SELECT file, stream, epoch_us(start), orig_p, resp_p, duration, handshake_rtt, "
        f"handshake_steps, teardown_steps, anomalies FROM {one}")],
    "row_groups": [list(row) for row in rows(
        f"SELECT row_group_num_rows, stats_min_value, stats_max_value "
        f"FROM parquet_metadata('{report}') WHERE path_in_schema = 'file'")],
    "directory_rows": rows(f"SELECT count(*) FROM {every}")[0][0],
    "directory_by_handshake": counts(every, "handshake"),
    "directory_row_groups": rows(
        f"SELECT count(*) FROM parquet_metadata('{directory}/*.parquet') "
        f"WHERE path_in_schema = 'file'")[0][0],
}))
"#;

#[test]
fn duckdb_reads_typed_columns_and_a_directory_of_reports() {
    if !system_tests_enabled("duckdb_reads_typed_columns_and_a_directory_of_reports") {
        return;
    }
    let python = python_with(&[DUCKDB]);
    let (kernel, sample) = (kernel(), sample());
    let kernel_rows = csv_report(&[&kernel]);
    let sample_rows = csv_report(&[&sample]);
    let both: Vec<CsvRow> = kernel_rows.iter().chain(&sample_rows).cloned().collect();

    let dir = tempfile::tempdir().unwrap();
    let report_file = dir.path().join("both.parquet");
    parquet_report(&[&kernel, &sample], &report_file);
    let reports = dir.path().join("reports");
    fs::create_dir(&reports).unwrap();
    parquet_report(&[&kernel], &reports.join("kernel.parquet"));
    parquet_report(&[&sample], &reports.join("sample.parquet"));

    let output = succeeded(
        Command::new(&python)
            .arg("-c")
            .arg(READ_WITH_DUCKDB)
            .arg(&report_file)
            .arg(&reports),
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let types = &seen["types"];
    for (column, kind) in [
        // DuckDB's name for a UTC instant (Parquet's isAdjustedToUTC timestamp).
        ("start", "TIMESTAMP WITH TIME ZONE"),
        ("orig_p", "INTEGER"),
        ("resp_p", "INTEGER"),
        ("stream", "BIGINT"),
        ("packets", "BIGINT"),
        ("duration", "DOUBLE"),
        ("handshake_rtt", "DOUBLE"),
        ("handshake_steps", "INTEGER[]"),
        ("teardown_steps", "INTEGER[]"),
        ("anomalies", "VARCHAR[]"),
        ("orig_h", "VARCHAR"),
        ("file", "VARCHAR"),
    ] {
        assert_eq!(types[column], kind, "DuckDB's type of {column}");
    }
    assert_eq!(
        types.as_object().unwrap().len(),
        both[0].len(),
        "as many columns as the CSV"
    );

    assert_eq!(seen["rows"], both.len());
    let as_counts = |value: &serde_json::Value| -> BTreeMap<String, u64> {
        serde_json::from_value(value.clone()).unwrap()
    };
    assert_eq!(
        as_counts(&seen["by_handshake"]),
        counts_by(&both, "handshake")
    );
    assert_eq!(
        as_counts(&seen["by_conn_state"]),
        counts_by(&both, "conn_state")
    );

    // Every row's typed values against the CSV's text.
    let by_key: HashMap<(String, String), &CsvRow> = both
        .iter()
        .map(|row| ((row["file"].clone(), row["stream"].clone()), row))
        .collect();
    let values = seen["values"].as_array().unwrap();
    assert_eq!(values.len(), both.len());
    for value in values {
        let key = (value[0].as_str().unwrap().to_owned(), value[1].to_string());
        let row = by_key[&key];
        let what = format!("{} stream {}", key.0, key.1);
        assert_eq!(
            value[2].as_i64().unwrap(),
            micros(&row["start"]),
            "{what}: start"
        );
        assert_eq!(value[3].to_string(), row["orig_p"], "{what}: orig_p");
        assert_eq!(value[4].to_string(), row["resp_p"], "{what}: resp_p");
        let seconds = |value: &serde_json::Value, text: &str| match value.as_f64() {
            None => text.is_empty(),
            Some(seconds) => (seconds - text.parse::<f64>().unwrap()).abs() < 0.5e-6,
        };
        assert!(seconds(&value[5], &row["duration"]), "{what}: duration");
        assert!(
            seconds(&value[6], &row["handshake_rtt"]),
            "{what}: handshake_rtt"
        );
        let words = |list: &serde_json::Value| -> String {
            let items: Vec<String> = list
                .as_array()
                .unwrap()
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_owned)
                })
                .collect();
            items.join(" ")
        };
        assert_eq!(words(&value[7]), row["handshake_steps"], "{what}: steps");
        assert_eq!(words(&value[8]), row["teardown_steps"], "{what}: steps");
        assert_eq!(words(&value[9]), row["anomalies"], "{what}: anomalies");
    }

    // One row group per capture, holding that capture's rows alone.
    let per_capture = counts_by(&both, "file");
    let mut groups: BTreeMap<String, u64> = BTreeMap::new();
    for group in seen["row_groups"].as_array().unwrap() {
        assert_eq!(group[1], group[2], "one capture in a row group: {group}");
        let file = group[1].as_str().unwrap().to_owned();
        assert!(
            groups.insert(file, group[0].as_u64().unwrap()).is_none(),
            "one row group per capture: {group}"
        );
    }
    assert_eq!(groups, per_capture);

    // A directory of reports is one table.
    assert_eq!(seen["directory_rows"], both.len());
    assert_eq!(
        as_counts(&seen["directory_by_handshake"]),
        counts_by(&both, "handshake")
    );
    assert_eq!(
        seen["directory_row_groups"],
        files(&kernel_rows).len() + files(&sample_rows).len()
    );
}
