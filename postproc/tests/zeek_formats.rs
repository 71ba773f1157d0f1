//! `--format zeek` and `--format zeek-json` (Zeek's conn.log), and the types of `report`'s and
//! `summary`'s JSON, over the kernel captures and one capture made here (a lone IPv6 SYN, in a file
//! whose name holds a tab, a comma and UTF-8: a connection of zero duration, and a name to escape).
//!
//! Every expected value comes from the CSV report of the same captures (the separately tested
//! path) and Zeek's conventions as Zeek's sources state them, never from the Zeek output itself:
//! conn.log's fields and types as Zeek defines them (`base/protocols/conn/main.zeek`), `ts` the
//! connection's start, `duration`, `orig_bytes` and `resp_bytes` set only when the duration is
//! above zero and `history` only when not empty (`set_conn` there), `-` for an unset field,
//! `(empty)` for an empty set or vector, `,` between their elements, `\xNN` for the separator, a
//! backslash and control characters (the ASCII writer and its formatter).
//!
//! The files are read back as `zeek-cut` reads them (split on tabs, named by the `#fields` line),
//! needing nothing installed, and with zat (the Python package, `ZeekLogReader` and
//! `LogToDataFrame`) when `TCPWAVE_SYSTEM_TESTS=1`.

mod common;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{captures_dir, csv_rows, succeeded};
use tcpwave_tests::pcap::{PcapWriter, Segment, SYN};

/// zat, pinned: the version this test was written against.
const ZAT: &str = "zat==0.4.9";

/// conn.log's fields and types as Zeek defines them, in Zeek's order.
const ZEEK_CONN_FIELDS: [(&str, &str); 21] = [
    ("ts", "time"),
    ("uid", "string"),
    ("id.orig_h", "addr"),
    ("id.orig_p", "port"),
    ("id.resp_h", "addr"),
    ("id.resp_p", "port"),
    ("proto", "enum"),
    ("service", "string"),
    ("duration", "interval"),
    ("orig_bytes", "count"),
    ("resp_bytes", "count"),
    ("conn_state", "string"),
    ("local_orig", "bool"),
    ("local_resp", "bool"),
    ("missed_bytes", "count"),
    ("history", "string"),
    ("orig_pkts", "count"),
    ("orig_ip_bytes", "count"),
    ("resp_pkts", "count"),
    ("resp_ip_bytes", "count"),
    ("tunnel_parents", "set[string]"),
];

/// tcpwave's own fields after Zeek's: the CSV column each comes from and its Zeek type.
const TCPWAVE_FIELDS: [(&str, &str); 14] = [
    ("file", "string"),
    ("stream", "count"),
    ("handshake", "string"),
    ("handshake_steps", "vector[count]"),
    ("handshake_rtt", "interval"),
    ("syn_to_synack", "interval"),
    ("synack_to_ack", "interval"),
    ("teardown", "string"),
    ("teardown_steps", "vector[count]"),
    ("active_closer", "string"),
    ("teardown_duration", "interval"),
    ("packets", "count"),
    ("repeats", "count"),
    ("anomalies", "set[string]"),
];

/// Every field's name and type: Zeek's, then `tcpwave.<column>`.
fn expected_fields() -> Vec<(String, &'static str)> {
    ZEEK_CONN_FIELDS
        .iter()
        .map(|(name, kind)| (name.to_string(), *kind))
        .chain(
            TCPWAVE_FIELDS
                .iter()
                .map(|(column, kind)| (format!("tcpwave.{column}"), *kind)),
        )
        .collect()
}

/// The name of the capture made here.
const LONE_SYN_NAME: &str = "lone syn\t,ü.pcap";

/// The captures: a folder holding the kernel captures' paths (as arguments) and the lone SYN.
struct Inputs {
    _dir: tempfile::TempDir,
    args: Vec<String>,
}

fn inputs() -> Inputs {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let lone = dir.path().join(LONE_SYN_NAME);
    let client: SocketAddr = "[2001:db8::1]:40000".parse().unwrap();
    let server: SocketAddr = "[2001:db8::2]:80".parse().unwrap();
    let mut writer = PcapWriter::create(&lone);
    writer.write(
        1_700_000_000_123_456_000,
        &Segment::new(client, server, SYN, 1000, 0).frame(),
    );
    writer.finish();
    let kernel = captures_dir().join("kernel");
    let args = vec![
        kernel.to_str().unwrap().to_owned(),
        lone.to_str().unwrap().to_owned(),
    ];
    Inputs { _dir: dir, args }
}

/// Runs `tcpwave report` natively (plain captures need no tshark) and returns its stdout.
fn report(inputs: &Inputs, format: &str, jobs: &str) -> Vec<u8> {
    succeeded(
        Command::new(env!("CARGO_BIN_EXE_tcpwave"))
            .args([
                "report", "--engine", "native", "--jobs", jobs, "--format", format,
            ])
            .args(&inputs.args),
    )
    .stdout
}

type CsvRow = HashMap<String, String>;

/// The CSV rows by (file, stream).
fn csv_by_connection(inputs: &Inputs) -> HashMap<(String, String), CsvRow> {
    let rows = csv_rows(&report(inputs, "csv", "2"));
    assert_eq!(rows.len(), 16, "15 kernel connections and the lone SYN");
    rows.into_iter()
        .map(|row| ((row["file"].clone(), row["stream"].clone()), row))
        .collect()
}

/// A string as Zeek's ASCII writer writes it (its rules, written here from Zeek's
/// `threading/formatters/Ascii.cc` and `Desc.cc`, not from tcpwave's code).
fn zeek_escaped(text: &str) -> String {
    match text {
        "" => "(empty)".to_owned(),
        "-" => "\\x2d".to_owned(),
        "(empty)" => "\\x28empty)".to_owned(),
        _ => text
            .chars()
            .map(|c| match c {
                '\\' | '\t' => format!("\\x{:02x}", c as u32),
                c if c.is_ascii_control() => format!("\\x{:02x}", c as u32),
                c => c.to_string(),
            })
            .collect(),
    }
}

/// What each field of the TSV row of `row` must hold, from the CSV row: `None` for unset (`-`).
fn expected_tsv(row: &CsvRow) -> Vec<(String, Option<String>)> {
    let set = |value: &str| Some(value.to_owned()).filter(|value| !value.is_empty());
    let lasted = row["duration"] != "0.000000";
    let if_lasted = |column: &str| set(&row[column]).filter(|_| lasted);
    let list = |column: &str| {
        Some(if row[column].is_empty() {
            "(empty)".to_owned()
        } else {
            row[column].split(' ').collect::<Vec<_>>().join(",")
        })
    };
    let mut expected = vec![
        ("ts", set(&row["start"])),
        // Checked apart: unique, Zeek-shaped, the same in every run.
        ("uid", None),
        ("id.orig_h", set(&row["orig_h"])),
        ("id.orig_p", set(&row["orig_p"])),
        ("id.resp_h", set(&row["resp_h"])),
        ("id.resp_p", set(&row["resp_p"])),
        ("proto", set("tcp")),
        ("service", None),
        ("duration", if_lasted("duration")),
        ("orig_bytes", if_lasted("orig_bytes")),
        ("resp_bytes", if_lasted("resp_bytes")),
        ("conn_state", set(&row["conn_state"])),
        ("local_orig", None),
        ("local_resp", None),
        ("missed_bytes", None),
        ("history", set(&row["history"])),
        ("orig_pkts", set(&row["orig_pkts"])),
        ("orig_ip_bytes", set(&row["orig_ip_bytes"])),
        ("resp_pkts", set(&row["resp_pkts"])),
        ("resp_ip_bytes", set(&row["resp_ip_bytes"])),
        ("tunnel_parents", None),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect::<Vec<_>>();
    for (column, kind) in TCPWAVE_FIELDS {
        let value = match kind {
            "vector[count]" | "set[string]" => list(column),
            "string" => set(&row[column]).map(|text| zeek_escaped(&text)),
            _ => set(&row[column]),
        };
        expected.push((format!("tcpwave.{column}"), value));
    }
    expected
}

/// A TSV log read as zeek-cut reads it: the header's lines by key, the rows as maps from field
/// name to value as written.
struct ZeekLog {
    header: Vec<(String, String)>,
    fields: Vec<String>,
    types: Vec<String>,
    rows: Vec<HashMap<String, String>>,
    close: Option<String>,
}

fn read_tsv(text: &str) -> ZeekLog {
    let mut log = ZeekLog {
        header: Vec::new(),
        fields: Vec::new(),
        types: Vec::new(),
        rows: Vec::new(),
        close: None,
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    assert!(
        lines.iter().all(|line| line.ends_with('\n')),
        "every line ends"
    );
    for line in lines {
        let line = line.strip_suffix('\n').unwrap();
        assert!(log.close.is_none(), "nothing after #close: {line}");
        if let Some(separator) = line.strip_prefix("#separator ") {
            log.header
                .push(("separator".to_owned(), separator.to_owned()));
        } else if let Some(meta) = line.strip_prefix('#') {
            let (key, value) = meta.split_once('\t').expect("#key<TAB>value");
            match key {
                "fields" => log.fields = value.split('\t').map(str::to_owned).collect(),
                "types" => log.types = value.split('\t').map(str::to_owned).collect(),
                "close" => log.close = Some(value.to_owned()),
                _ => {}
            }
            log.header.push((key.to_owned(), value.to_owned()));
        } else {
            assert!(!log.fields.is_empty(), "a row before #fields: {line}");
            let values: Vec<&str> = line.split('\t').collect();
            assert_eq!(values.len(), log.fields.len(), "{line}");
            log.rows.push(
                log.fields
                    .iter()
                    .cloned()
                    .zip(values.into_iter().map(str::to_owned))
                    .collect(),
            );
        }
    }
    log
}

fn is_zeek_stamp(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 6
        && parts
            .iter()
            .zip([4, 2, 2, 2, 2, 2])
            .all(|(part, width)| part.len() == width && part.bytes().all(|b| b.is_ascii_digit()))
}

fn is_zeek_uid(uid: &str) -> bool {
    uid.strip_prefix('C').is_some_and(|rest| {
        (10..=17).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// Every difference between the TSV rows and the CSV rows, one line each.
fn tsv_mismatches(log: &ZeekLog, csv: &HashMap<(String, String), CsvRow>) -> Vec<String> {
    let mut problems = Vec::new();
    for row in &log.rows {
        let file = unescape(&row["tcpwave.file"]);
        let key = (file, row["tcpwave.stream"].clone());
        let Some(expected) = csv.get(&key) else {
            problems.push(format!("{key:?}: no such CSV row"));
            continue;
        };
        for (name, value) in expected_tsv(expected) {
            let written = &row[&name];
            let want = value.unwrap_or_else(|| "-".to_owned());
            if name != "uid" && *written != want {
                problems.push(format!("{key:?}: {name} is `{written}`, expected `{want}`"));
            }
        }
    }
    problems
}

/// `\xNN` sequences back into their bytes.
fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index..].starts_with(b"\\x") && index + 4 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 2..index + 4]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
            index += 4;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn zeek_tsv_reads_back_as_zeek_cut_reads_it_with_every_field_from_the_csv() {
    let inputs = inputs();
    let csv = csv_by_connection(&inputs);
    let text = String::from_utf8(report(&inputs, "zeek", "2")).unwrap();
    let log = read_tsv(&text);

    // The header, as Zeek's ASCII writer writes it, once for all the captures.
    let keys: Vec<&str> = log.header.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "separator",
            "set_separator",
            "empty_field",
            "unset_field",
            "path",
            "open",
            "fields",
            "types",
            "close"
        ]
    );
    assert!(text.starts_with(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t"
    ));
    assert!(is_zeek_stamp(&log.header[5].1), "{}", log.header[5].1);
    assert!(is_zeek_stamp(log.close.as_deref().unwrap()));
    let (names, types): (Vec<String>, Vec<&str>) = expected_fields().into_iter().unzip();
    assert_eq!(log.fields, names);
    assert_eq!(log.types, types);

    // Every row, every field.
    assert_eq!(log.rows.len(), csv.len());
    let problems = tsv_mismatches(&log, &csv);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The lone SYN: no duration, so no duration or byte counts (as Zeek), its name escaped.
    let lone = log
        .rows
        .iter()
        .find(|row| row["id.orig_h"] == "2001:db8::1")
        .expect("the lone SYN's row");
    assert_eq!(lone["duration"], "-");
    assert_eq!(lone["orig_bytes"], "-");
    assert_eq!(lone["conn_state"], "S0");
    assert_eq!(lone["history"], "S");
    assert_eq!(lone["orig_pkts"], "1");
    assert_eq!(lone["id.orig_p"], "40000");
    assert!(lone["tcpwave.file"].ends_with("lone syn\\x09,ü.pcap"));

    // uids: Zeek-shaped, one per connection, the same in another run (another job count too).
    let uids: HashMap<(String, String), String> = log
        .rows
        .iter()
        .map(|row| {
            (
                (row["tcpwave.file"].clone(), row["tcpwave.stream"].clone()),
                row["uid"].clone(),
            )
        })
        .collect();
    assert!(uids.values().all(|uid| is_zeek_uid(uid)), "{uids:?}");
    assert_eq!(
        uids.values().collect::<HashSet<_>>().len(),
        log.rows.len(),
        "unique"
    );
    let again = read_tsv(&String::from_utf8(report(&inputs, "zeek", "1")).unwrap());
    for row in &again.rows {
        let key = (row["tcpwave.file"].clone(), row["tcpwave.stream"].clone());
        assert_eq!(uids[&key], row["uid"], "{key:?}");
    }
}

/// Zeek's JSON of a TSV value of type `kind`: `None` for an unset field (left out).
fn json_of_tsv(value: &str, kind: &str) -> Option<serde_json::Value> {
    if value == "-" {
        return None;
    }
    let elements = |value: &str| -> Vec<String> {
        if value == "(empty)" {
            Vec::new()
        } else {
            value.split(',').map(unescape).collect()
        }
    };
    Some(match kind {
        // Compared by their text: any number.
        "time" | "interval" => serde_json::json!(0),
        "count" | "port" => serde_json::json!(value.parse::<u64>().unwrap()),
        "vector[count]" => serde_json::json!(elements(value)
            .iter()
            .map(|count| count.parse::<u64>().unwrap())
            .collect::<Vec<_>>()),
        "set[string]" => serde_json::json!(elements(value)),
        "bool" => serde_json::json!(value == "T"),
        _ if value == "(empty)" => serde_json::json!(""),
        _ => serde_json::json!(unescape(value)),
    })
}

#[test]
fn zeek_json_lines_equal_the_tsv_rows() {
    let inputs = inputs();
    let tsv = read_tsv(&String::from_utf8(report(&inputs, "zeek", "1")).unwrap());
    let json = String::from_utf8(report(&inputs, "zeek-json", "1")).unwrap();
    let lines: Vec<&str> = json.lines().collect();
    assert_eq!(
        lines.len(),
        tsv.rows.len(),
        "one object per line, no header"
    );
    for (line, row) in lines.iter().zip(&tsv.rows) {
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let mut expected_keys = Vec::new();
        for (name, kind) in tsv.fields.iter().zip(&tsv.types) {
            let want = json_of_tsv(&row[name], kind);
            match (object.get(name), kind.as_str()) {
                // A number of seconds: the same microseconds.
                (Some(number), "time" | "interval") => {
                    assert_eq!(
                        format!("{:.6}", number.as_f64().unwrap()),
                        row[name],
                        "{name}"
                    )
                }
                (got, _) => assert_eq!(got, want.as_ref(), "{name} in {line}"),
            }
            if want.is_some() {
                expected_keys.push(name.as_str());
            }
        }
        assert_eq!(object.len(), expected_keys.len(), "{line}");
        // Keys in field order.
        let at: Vec<usize> = expected_keys
            .iter()
            .map(|key| line.find(&format!("\"{key}\":")).unwrap())
            .collect();
        assert!(at.windows(2).all(|pair| pair[0] < pair[1]), "{line}");
        assert!(line.starts_with("{\"ts\":"), "{line}");
    }
}

#[test]
fn report_json_and_jsonl_have_arrays_and_nulls() {
    let inputs = inputs();
    let csv = csv_by_connection(&inputs);
    let array: serde_json::Value = serde_json::from_slice(&report(&inputs, "json", "2")).unwrap();
    let jsonl = String::from_utf8(report(&inputs, "jsonl", "2")).unwrap();
    let from_lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    for objects in [array.as_array().unwrap(), &from_lines] {
        assert_eq!(objects.len(), csv.len());
        for object in objects {
            let object = object.as_object().unwrap();
            let key = (
                object["file"].as_str().unwrap().to_owned(),
                object["stream"].to_string(),
            );
            let row = &csv[&key];
            assert_eq!(object.len(), row.len(), "every CSV column: {key:?}");
            for (column, text) in row {
                let value = &object[column];
                let expected = match column.as_str() {
                    "handshake_steps" | "teardown_steps" => serde_json::json!(text
                        .split_whitespace()
                        .map(|step| step.parse::<u64>().unwrap())
                        .collect::<Vec<_>>()),
                    "anomalies" => {
                        serde_json::json!(text.split_whitespace().collect::<Vec<_>>())
                    }
                    _ if text.is_empty() => serde_json::Value::Null,
                    "stream" | "orig_p" | "resp_p" | "packets" | "orig_bytes" | "resp_bytes"
                    | "orig_pkts" | "resp_pkts" | "orig_ip_bytes" | "resp_ip_bytes" | "repeats" => {
                        serde_json::json!(text.parse::<u64>().unwrap())
                    }
                    "start" | "duration" | "handshake_rtt" | "syn_to_synack" | "synack_to_ack"
                    | "teardown_duration" => {
                        // A number with the same six decimals.
                        let number = value.as_f64().unwrap_or_else(|| panic!("{column}"));
                        assert_eq!(format!("{number:.6}"), *text, "{key:?} {column}");
                        continue;
                    }
                    _ => serde_json::json!(text),
                };
                assert_eq!(*value, expected, "{key:?} {column}");
            }
        }
    }
    assert!(!jsonl.contains("\"\""), "no empty strings: absent is null");
}

#[test]
fn summary_json_splits_endpoints_as_report_does() {
    let inputs = inputs();
    let csv = csv_by_connection(&inputs);
    let run = |format: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_tcpwave"))
            .args([
                "summary", "--engine", "native", "--top", "20", "--format", format,
            ])
            .args(&inputs.args)
            .output()
            .expect("run tcpwave");
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    let summary: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let slowest = summary["slowest_handshakes"].as_array().unwrap();
    let with_rtt = csv.values().filter(|row| !row["handshake_rtt"].is_empty());
    assert_eq!(slowest.len(), with_rtt.count());
    let text = run("text");
    for entry in slowest {
        let key = (
            entry["file"].as_str().unwrap().to_owned(),
            entry["stream"].to_string(),
        );
        let row = &csv[&key];
        assert!(entry.get("orig").is_none() && entry.get("resp").is_none());
        for column in ["orig_h", "resp_h"] {
            assert_eq!(entry[column], row[column].as_str(), "{key:?} {column}");
        }
        for column in ["orig_p", "resp_p"] {
            assert_eq!(entry[column].to_string(), row[column], "{key:?} {column}");
        }
        assert_eq!(
            format!("{:.6}", entry["rtt"].as_f64().unwrap()),
            row["handshake_rtt"]
        );
        // The text shows each endpoint as one, an IPv6 address in brackets.
        let endpoint = |host: &str, port: &str| {
            if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            }
        };
        let line = format!(
            "stream {}  {} -> {}",
            row["stream"],
            endpoint(&row["orig_h"], &row["orig_p"]),
            endpoint(&row["resp_h"], &row["resp_p"])
        );
        assert!(text.contains(&line), "`{line}` in\n{text}");
    }
    assert!(text.contains("[::1]:59984 -> [::1]:8089"), "{text}");
}

/// Reads a Zeek TSV log with zat and writes, as JSON into the file named second (zat prints on
/// stdout), every row as `ZeekLogReader(strict=True)`
/// and as `LogToDataFrame` read it: times as nanoseconds since the epoch (the reader's naive
/// local datetimes through `.timestamp()`), intervals as nanoseconds, counts as integers,
/// anything unset (NA) as null, the rest as strings.
const ZAT_SCRIPT: &str = r#"
import json, sys
import pandas as pd
from zat.zeek_log_reader import ZeekLogReader
from zat.log_to_dataframe import LogToDataFrame

path = sys.argv[1]

def plain(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return int(value.value)
    if isinstance(value, pd.Timedelta):
        return int(value.value)
    if hasattr(value, "timestamp") and hasattr(value, "year"):
        return round(value.timestamp() * 1e6) * 1000
    if hasattr(value, "total_seconds"):
        return round(value.total_seconds() * 1e6) * 1000
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) or hasattr(value, "item"):
        return value.item() if hasattr(value, "item") else value
    return str(value)

reader = ZeekLogReader(path, strict=True)
reader_rows = [{key: plain(value) for key, value in row.items()} for row in reader.readrows()]
frame = LogToDataFrame().create_dataframe(path, ts_index=False)
frame_rows = [
    {column: plain(row[column]) for column in frame.columns}
    for _, row in frame.iterrows()
]
types = {column: str(frame[column].dtype) for column in frame.columns}
with open(sys.argv[2], "w") as out:
    json.dump({"reader": reader_rows, "frame": frame_rows, "frame_types": types}, out)
"#;

/// Nanoseconds from a CSV time with six decimals.
fn nanos(seconds: &str) -> i64 {
    let (whole, micros) = seconds.split_once('.').unwrap();
    whole.parse::<i64>().unwrap() * 1_000_000_000 + micros.parse::<i64>().unwrap() * 1000
}

/// A value as the zat script prints it, for a TSV value of type `kind`, microseconds for times;
/// `unset` is what the reader gives an unset field.
fn zat_value(value: Option<&str>, kind: &str, unset: serde_json::Value) -> serde_json::Value {
    let Some(value) = value else { return unset };
    match kind {
        "time" | "interval" => serde_json::json!(nanos(value) / 1000),
        "count" | "port" => serde_json::json!(value.parse::<u64>().unwrap()),
        _ => serde_json::json!(value),
    }
}

/// zat gives times to the nanosecond as float seconds give them: compared to the microsecond.
fn to_micros(value: &serde_json::Value, kind: &str) -> serde_json::Value {
    match (kind, value.as_i64()) {
        ("time" | "interval", Some(nanos)) => {
            serde_json::json!((nanos as f64 / 1000.0).round() as i64)
        }
        _ => value.clone(),
    }
}

#[test]
fn zat_reads_the_zeek_log_with_every_field_from_the_csv() {
    if !tcpwave_tests::system_tests_enabled("zat_reads_the_zeek_log_with_every_field_from_the_csv")
    {
        return;
    }
    let python = tcpwave_tests::python::python_with(&[ZAT]);
    let inputs = inputs();
    let csv = csv_by_connection(&inputs);
    let log_dir = tempfile::tempdir().unwrap();
    let path: PathBuf = log_dir.path().join("conn.log");
    std::fs::write(&path, report(&inputs, "zeek", "2")).unwrap();
    let output = zat(&python, &path);
    let read: serde_json::Value = serde_json::from_slice(&output).unwrap();
    let tsv = read_tsv(&std::fs::read_to_string(&path).unwrap());
    let kinds: HashMap<String, &str> = expected_fields().into_iter().collect();

    let mut problems = Vec::new();
    for (reader, rows) in [
        ("ZeekLogReader", &read["reader"]),
        ("LogToDataFrame", &read["frame"]),
    ] {
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), csv.len(), "{reader}: every row");
        for (row, written) in rows.iter().zip(&tsv.rows) {
            let file = unescape(row["tcpwave.file"].as_str().unwrap());
            let key = (file, row["tcpwave.stream"].to_string());
            let expected = &csv[&key];
            assert_eq!(
                row.as_object().unwrap().len(),
                kinds.len(),
                "{reader}: every field"
            );
            for (name, value) in expected_tsv(expected) {
                let kind = kinds[&name];
                let value = if name == "uid" {
                    Some(written["uid"].clone())
                } else {
                    value
                };
                // ZeekLogReader gives an unset field its type's default; LogToDataFrame NA.
                let unset = match (reader, kind) {
                    ("LogToDataFrame", _) => serde_json::Value::Null,
                    (_, "count" | "port") => serde_json::json!(0),
                    (_, "bool") => serde_json::json!(false),
                    (_, "interval") => serde_json::json!(0),
                    _ => serde_json::json!("-"),
                };
                let want = zat_value(value.as_deref(), kind, unset);
                let got = to_micros(&row[&name], kind);
                if got != want {
                    problems.push(format!(
                        "{reader} {key:?}: {name} is {got}, expected {want}"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let types = &read["frame_types"];
    assert_eq!(types["ts"], "datetime64[ns]");
    assert_eq!(types["orig_pkts"], "UInt64");
    assert_eq!(types["id.resp_p"], "UInt16");
}

/// Runs the zat script on `log` (UTC, so that the reader's local datetimes are UTC ones) and
/// returns what it read.
fn zat(python: &Path, log: &Path) -> Vec<u8> {
    let read = log.with_extension("json");
    succeeded(
        Command::new(python)
            .arg("-c")
            .arg(ZAT_SCRIPT)
            .arg(log)
            .arg(&read)
            .env("TZ", "UTC"),
    );
    std::fs::read(&read).expect("the zat script's output")
}
