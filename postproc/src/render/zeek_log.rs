//! Rows as Zeek's conn.log: tab-separated with Zeek's header lines (`--format zeek`, as Zeek's
//! ASCII writer writes it) or one JSON object per line (`--format zeek-json`, as Zeek writes it
//! with `LogAscii::use_json=T`).
//!
//! [`FIELDS`] is the one list of the fields, their names and Zeek types, in order: Zeek's conn.log
//! fields first, then tcpwave's own under a `tcpwave.` prefix. [`values`] gives a row's values in
//! that order, and both writers take names and values from there, so they cannot disagree.
//!
//! What tcpwave does not know is unset (`-` in TSV, left out of JSON objects): `service`,
//! `local_orig`, `local_resp` (Zeek sets them only with `Site::local_nets`), `missed_bytes` (no
//! gap is measured) and `tunnel_parents`. As Zeek's `base/protocols/conn/main.zeek` does,
//! `duration`, `orig_bytes` and `resp_bytes` are set only when the duration is above zero, and
//! `history` only when it is not empty.
//!
//! The `uid` is tcpwave's own, not the one Zeek gave the connection: [`uid`] says how it is made.

use std::borrow::Cow;
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::row::Row;
use crate::vocab::calendar::UtcTime;
use crate::vocab::seconds::Seconds;

/// A field's type, as Zeek names it in the `#types` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZeekType {
    Time,
    Interval,
    String,
    Enum,
    Addr,
    Port,
    Count,
    Bool,
    StringSet,
    CountVector,
}

impl ZeekType {
    pub fn name(self) -> &'static str {
        match self {
            ZeekType::Time => "time",
            ZeekType::Interval => "interval",
            ZeekType::String => "string",
            ZeekType::Enum => "enum",
            ZeekType::Addr => "addr",
            ZeekType::Port => "port",
            ZeekType::Count => "count",
            ZeekType::Bool => "bool",
            ZeekType::StringSet => "set[string]",
            ZeekType::CountVector => "vector[count]",
        }
    }
}

/// The number of fields.
pub const FIELD_COUNT: usize = 35;

/// Every field's name and type, in order: Zeek's conn.log, then tcpwave's.
pub const FIELDS: [(&str, ZeekType); FIELD_COUNT] = [
    ("ts", ZeekType::Time),
    ("uid", ZeekType::String),
    ("id.orig_h", ZeekType::Addr),
    ("id.orig_p", ZeekType::Port),
    ("id.resp_h", ZeekType::Addr),
    ("id.resp_p", ZeekType::Port),
    ("proto", ZeekType::Enum),
    ("service", ZeekType::String),
    ("duration", ZeekType::Interval),
    ("orig_bytes", ZeekType::Count),
    ("resp_bytes", ZeekType::Count),
    ("conn_state", ZeekType::String),
    ("local_orig", ZeekType::Bool),
    ("local_resp", ZeekType::Bool),
    ("missed_bytes", ZeekType::Count),
    ("history", ZeekType::String),
    ("orig_pkts", ZeekType::Count),
    ("orig_ip_bytes", ZeekType::Count),
    ("resp_pkts", ZeekType::Count),
    ("resp_ip_bytes", ZeekType::Count),
    ("tunnel_parents", ZeekType::StringSet),
    ("tcpwave.file", ZeekType::String),
    ("tcpwave.stream", ZeekType::Count),
    ("tcpwave.handshake", ZeekType::String),
    ("tcpwave.handshake_steps", ZeekType::CountVector),
    ("tcpwave.handshake_rtt", ZeekType::Interval),
    ("tcpwave.syn_to_synack", ZeekType::Interval),
    ("tcpwave.synack_to_ack", ZeekType::Interval),
    ("tcpwave.teardown", ZeekType::String),
    ("tcpwave.teardown_steps", ZeekType::CountVector),
    ("tcpwave.active_closer", ZeekType::String),
    ("tcpwave.teardown_duration", ZeekType::Interval),
    ("tcpwave.packets", ZeekType::Count),
    ("tcpwave.repeats", ZeekType::Count),
    ("tcpwave.anomalies", ZeekType::StringSet),
];

/// A field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Unset,
    /// A time or an interval: seconds.
    Seconds(Seconds),
    /// A count or a port.
    Count(u64),
    /// A string, an enum or an address.
    Text(Cow<'a, str>),
    Counts(&'a [u8]),
    Texts(Vec<&'a str>),
}

fn optional<'a, T>(value: Option<T>, to: impl FnOnce(T) -> Value<'a>) -> Value<'a> {
    value.map_or(Value::Unset, to)
}

fn word(text: &'static str) -> Value<'static> {
    Value::Text(Cow::Borrowed(text))
}

/// `row`'s values in [`FIELDS`] order.
pub fn values(row: &Row) -> [Value<'_>; FIELD_COUNT] {
    // Zeek logs the duration and the byte counts only for connections that lasted.
    let lasted = row.duration > Seconds::default();
    let if_lasted = |count: u64| {
        if lasted {
            Value::Count(count)
        } else {
            Value::Unset
        }
    };
    [
        Value::Seconds(row.start),
        Value::Text(Cow::Owned(uid(&row.file, row.stream))),
        Value::Text(Cow::Owned(row.orig.addr.to_string())),
        Value::Count(row.orig.port.into()),
        Value::Text(Cow::Owned(row.resp.addr.to_string())),
        Value::Count(row.resp.port.into()),
        word("tcp"),
        Value::Unset,
        if lasted {
            Value::Seconds(row.duration)
        } else {
            Value::Unset
        },
        if_lasted(row.orig_bytes),
        if_lasted(row.resp_bytes),
        word(row.conn_state),
        Value::Unset,
        Value::Unset,
        Value::Unset,
        if row.history.is_empty() {
            Value::Unset
        } else {
            Value::Text(Cow::Borrowed(&row.history))
        },
        Value::Count(row.orig_pkts),
        Value::Count(row.orig_ip_bytes),
        Value::Count(row.resp_pkts),
        Value::Count(row.resp_ip_bytes),
        Value::Unset,
        Value::Text(Cow::Borrowed(&row.file)),
        Value::Count(row.stream),
        optional(row.handshake, |verdict| word(verdict.as_str())),
        Value::Counts(&row.handshake_steps),
        optional(row.handshake_rtt, Value::Seconds),
        optional(row.syn_to_synack, Value::Seconds),
        optional(row.synack_to_ack, Value::Seconds),
        optional(row.teardown, |verdict| word(verdict.as_str())),
        Value::Counts(&row.teardown_steps),
        optional(row.active_closer, |closer| word(closer.as_str())),
        optional(row.teardown_duration, Value::Seconds),
        Value::Count(row.packets),
        Value::Count(row.repeats.into()),
        Value::Texts(row.anomalies.iter().map(|kind| kind.as_str()).collect()),
    ]
}

/// Zeek's base 62 digits, in its order (`util::uitoa_n`).
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `value` in base 62, most significant digit first, without leading zeros (as Zeek's
/// `util::uitoa_n` writes it).
fn base62(mut value: u64, out: &mut String) {
    let mut digits = Vec::new();
    loop {
        digits.push(BASE62[(value % 62) as usize]);
        value /= 62;
        if value == 0 {
            break;
        }
    }
    out.extend(digits.iter().rev().map(|&digit| char::from(digit)));
}

/// The connection's uid, shaped as Zeek's (`C` and 96 bits in base 62 as Zeek writes them: 64
/// bits then 32, each without leading zeros, so 18 characters or a few fewer) and the same for the
/// same capture and stream in every run and on every machine: the 96 bits are the low 96 of
/// XXH3-128 (seed 0; its output is specified and does not change between versions) over
/// `tcpwave-uid`, a NUL byte, the length of the capture's name as the user named it (the rows'
/// `file`) as 8 bytes little-endian, that name in UTF-8, and the stream number as 8 bytes
/// little-endian.
pub fn uid(file: &str, stream: u64) -> String {
    let mut input = Vec::with_capacity(28 + file.len());
    input.extend_from_slice(b"tcpwave-uid\0");
    input.extend_from_slice(&(file.len() as u64).to_le_bytes());
    input.extend_from_slice(file.as_bytes());
    input.extend_from_slice(&stream.to_le_bytes());
    let hash = xxhash_rust::xxh3::xxh3_128(&input);
    let mut uid = String::with_capacity(18);
    uid.push('C');
    base62(hash as u64, &mut uid);
    base62((hash >> 64) as u32 as u64, &mut uid);
    uid
}

/// Zeek's TSV separators and markers.
const SEPARATOR: u8 = b'\t';
const SET_SEPARATOR: u8 = b',';
const EMPTY: &str = "(empty)";
const UNSET: &str = "-";

/// `time` (UTC) as Zeek's `#open` and `#close` lines show it: `2026-12-03-12-15-00`.
pub fn stamp(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let time = UtcTime::from_epoch_seconds(i64::try_from(seconds).unwrap_or(i64::MAX));
    format!(
        "{:04}-{:02}-{:02}-{:02}-{:02}-{:02}",
        time.year, time.month, time.day, time.hour, time.minute, time.second
    )
}

/// The header Zeek's ASCII writer writes before the first row.
pub fn tsv_header(out: &mut Vec<u8>, opened: SystemTime) {
    let join = |part: fn(&(&'static str, ZeekType)) -> &'static str| {
        FIELDS.iter().map(part).collect::<Vec<_>>().join("\t")
    };
    out.extend_from_slice(b"#separator \\x09\n");
    for (key, value) in [
        ("set_separator", ","),
        ("empty_field", EMPTY),
        ("unset_field", UNSET),
        ("path", "conn"),
    ] {
        out.extend_from_slice(format!("#{key}\t{value}\n").as_bytes());
    }
    out.extend_from_slice(format!("#open\t{}\n", stamp(opened)).as_bytes());
    out.extend_from_slice(format!("#fields\t{}\n", join(|field| field.0)).as_bytes());
    out.extend_from_slice(format!("#types\t{}\n", join(|field| field.1.name())).as_bytes());
}

/// The line Zeek's ASCII writer ends a log with.
pub fn tsv_close(out: &mut Vec<u8>, closed: SystemTime) {
    out.extend_from_slice(format!("#close\t{}\n", stamp(closed)).as_bytes());
}

/// Appends `text` as Zeek's ASCII writer writes a string: a backslash, the separator (and, in a
/// set, the set separator) and control characters as `\xNN`; UTF-8 as it is (Zeek's default
/// `LogAscii::enable_utf_8=T`); a value that reads as the unset or empty marker with its first
/// character escaped; an empty string as the empty marker.
fn tsv_text(out: &mut Vec<u8>, text: &str, in_set: bool) {
    if text.is_empty() {
        out.extend_from_slice(EMPTY.as_bytes());
        return;
    }
    let mut bytes = text.as_bytes();
    if text == UNSET || text == EMPTY {
        hex_escape(out, bytes[0]);
        bytes = &bytes[1..];
    }
    for &byte in bytes {
        let escaped = byte == b'\\'
            || byte == SEPARATOR
            || (in_set && byte == SET_SEPARATOR)
            || byte.is_ascii_control();
        if escaped {
            hex_escape(out, byte);
        } else {
            out.push(byte);
        }
    }
}

fn hex_escape(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(&[
        b'\\',
        b'x',
        HEX[usize::from(byte >> 4)],
        HEX[usize::from(byte & 0xf)],
    ]);
}

/// Appends `row` as one TSV line.
pub fn tsv_row(out: &mut Vec<u8>, row: &Row) -> io::Result<()> {
    for (index, value) in values(row).iter().enumerate() {
        if index > 0 {
            out.push(SEPARATOR);
        }
        match value {
            Value::Unset => out.extend_from_slice(UNSET.as_bytes()),
            Value::Seconds(seconds) => write!(out, "{seconds}")?,
            Value::Count(count) => write!(out, "{count}")?,
            Value::Text(text) => tsv_text(out, text, false),
            Value::Counts([]) => out.extend_from_slice(EMPTY.as_bytes()),
            Value::Counts(counts) => {
                for (index, count) in counts.iter().enumerate() {
                    if index > 0 {
                        out.push(SET_SEPARATOR);
                    }
                    write!(out, "{count}")?;
                }
            }
            Value::Texts(texts) if texts.is_empty() => out.extend_from_slice(EMPTY.as_bytes()),
            Value::Texts(texts) => {
                for (index, text) in texts.iter().enumerate() {
                    if index > 0 {
                        out.push(SET_SEPARATOR);
                    }
                    tsv_text(out, text, true);
                }
            }
        }
    }
    out.push(b'\n');
    Ok(())
}

/// Appends `row` as one JSON object (no line break), as Zeek's JSON writer writes it: keys in
/// field order, unset fields left out, times and intervals as numbers of seconds (six decimals,
/// never in exponent form), counts and ports as integers, sets and vectors as arrays.
pub fn json_row(out: &mut Vec<u8>, row: &Row) -> io::Result<()> {
    out.push(b'{');
    let mut first = true;
    for ((name, _), value) in FIELDS.iter().zip(values(row)) {
        if value == Value::Unset {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write!(out, "\"{name}\":")?;
        match value {
            Value::Unset => unreachable!("left out above"),
            Value::Seconds(seconds) => write!(out, "{seconds}")?,
            Value::Count(count) => write!(out, "{count}")?,
            Value::Text(text) => serde_json::to_writer(&mut *out, &text)?,
            Value::Counts(counts) => serde_json::to_writer(&mut *out, counts)?,
            Value::Texts(texts) => serde_json::to_writer(&mut *out, &texts)?,
        }
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::row::tests::sample;
    use std::time::Duration;

    #[test]
    fn every_value_has_its_fields_type() {
        let mut row = sample(3);
        row.teardown_duration = Some(Seconds::from_nanos(1));
        for ((name, kind), value) in FIELDS.iter().zip(values(&row)) {
            let fits = match value {
                Value::Unset => true,
                Value::Seconds(_) => matches!(kind, ZeekType::Time | ZeekType::Interval),
                Value::Count(_) => matches!(kind, ZeekType::Count | ZeekType::Port),
                Value::Text(_) => {
                    matches!(kind, ZeekType::String | ZeekType::Enum | ZeekType::Addr)
                }
                Value::Counts(_) => *kind == ZeekType::CountVector,
                Value::Texts(_) => *kind == ZeekType::StringSet,
            };
            assert!(fits, "{name} is a {} but holds {value:?}", kind.name());
        }
    }

    #[test]
    fn uids_are_zeek_shaped_stable_and_distinct() {
        let uid = uid("dir/a,b.pcap", 0);
        assert!(uid.starts_with('C'));
        assert!((12..=18).contains(&uid.len()), "{uid}");
        assert!(uid[1..].bytes().all(|byte| byte.is_ascii_alphanumeric()));
        let mut seen = std::collections::HashSet::new();
        for file in ["a.pcap", "b.pcap", "a.pcap1", "1a.pcap"] {
            for stream in 0..100 {
                assert!(seen.insert(super::uid(file, stream)), "{file} {stream}");
            }
        }
    }

    /// The hash is XXH3-128 as its specification defines it (the reference implementation's
    /// value for the empty input), and the uids written so far stay what they were: a change
    /// here changes every uid ever written.
    #[test]
    fn uids_do_not_change_between_versions() {
        assert_eq!(
            xxhash_rust::xxh3::xxh3_128(b""),
            0x99aa06d3014798d86001c324468d497f
        );
        assert_eq!(super::uid("sample.pcap", 0), "CFLZNuzV9JU6xShjC");
    }

    #[test]
    fn base62_is_most_significant_first_without_padding() {
        let digits = |value| {
            let mut out = String::new();
            base62(value, &mut out);
            out
        };
        assert_eq!(digits(0), "0");
        assert_eq!(digits(61), "z");
        assert_eq!(digits(62), "10");
        assert_eq!(digits(u64::MAX), "LygHa16AHYF");
        assert_eq!(digits(u64::from(u32::MAX)), "4gfFC3");
    }

    #[test]
    fn stamps_are_utc_dates_as_zeek_writes_them() {
        let at = |seconds| stamp(UNIX_EPOCH + Duration::from_secs(seconds));
        assert_eq!(at(0), "1970-01-01-00-00-00");
        assert_eq!(at(951_782_400), "2000-02-29-00-00-00");
        assert_eq!(at(1_795_247_214), "2026-11-21-07-46-54");
        assert_eq!(at(4_107_542_399), "2100-02-28-23-59-59");
    }

    #[test]
    fn strings_are_escaped_as_zeek_escapes_them() {
        let tsv = |text: &str, in_set| {
            let mut out = Vec::new();
            tsv_text(&mut out, text, in_set);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(tsv("a\tb", false), "a\\x09b");
        assert_eq!(tsv("line\nbreak\r", false), "line\\x0abreak\\x0d");
        assert_eq!(tsv("back\\slash", false), "back\\x5cslash");
        assert_eq!(tsv("a,b", false), "a,b");
        assert_eq!(tsv("a,b", true), "a\\x2cb");
        assert_eq!(tsv("-", false), "\\x2d");
        assert_eq!(tsv("--", false), "--");
        assert_eq!(tsv("(empty)", false), "\\x28empty)");
        assert_eq!(tsv("", false), "(empty)");
        assert_eq!(tsv("ünï \u{7f}", false), "ünï \\x7f");
    }

    #[test]
    fn a_tsv_row_has_every_field_in_order() {
        let mut row = sample(7);
        row.anomalies.clear();
        row.file = "tab\there.pcap".to_owned();
        let mut out = Vec::new();
        tsv_row(&mut out, &row).unwrap();
        let line = String::from_utf8(out).unwrap();
        let fields: Vec<&str> = line.strip_suffix('\n').unwrap().split('\t').collect();
        assert_eq!(fields.len(), FIELD_COUNT);
        assert_eq!(
            fields,
            [
                "1700000000.000001",
                uid("tab\there.pcap", 7).as_str(),
                "10.0.0.1",
                "40000",
                "::1",
                "80",
                "tcp",
                "-",
                "0.002500",
                "18",
                "37",
                "S2",
                "-",
                "-",
                "-",
                "ShADadF",
                "5",
                "298",
                "4",
                "357",
                "-",
                "tab\\x09here.pcap",
                "7",
                "complete",
                "1,1,2,3",
                "0.000045",
                "0.000015",
                "0.000030",
                "half-closed",
                "1,2",
                "orig",
                "-",
                "9",
                "1",
                "(empty)",
            ]
        );
    }

    #[test]
    fn zero_durations_leave_duration_and_bytes_unset_as_zeek_does() {
        let mut row = sample(0);
        row.duration = Seconds::default();
        row.history = String::new();
        let parsed: serde_json::Value = {
            let mut out = Vec::new();
            json_row(&mut out, &row).unwrap();
            serde_json::from_slice(&out).unwrap()
        };
        let object = parsed.as_object().unwrap();
        for unset in ["duration", "orig_bytes", "resp_bytes", "history", "service"] {
            assert!(!object.contains_key(unset), "{unset}");
        }
        assert_eq!(object["orig_pkts"], 5);
    }

    #[test]
    fn json_objects_have_zeek_keys_and_types() {
        let mut out = Vec::new();
        json_row(&mut out, &sample(2)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("{\"ts\":1700000000.000001,\"uid\":\"C"),
            "{text}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["id.orig_p"], 40000);
        assert_eq!(parsed["id.resp_h"], "::1");
        assert_eq!(parsed["proto"], "tcp");
        assert_eq!(
            parsed["tcpwave.handshake_steps"],
            serde_json::json!([1, 1, 2, 3])
        );
        assert_eq!(
            parsed["tcpwave.anomalies"],
            serde_json::json!(["retransmission", "half_close"])
        );
        assert_eq!(parsed["duration"], 0.0025);
        assert!(parsed.get("tcpwave.teardown_duration").is_none());
        assert!(parsed.get("tunnel_parents").is_none());
    }

    #[test]
    fn the_header_is_zeeks() {
        let mut out = Vec::new();
        let opened = UNIX_EPOCH + Duration::from_secs(1_795_247_214);
        tsv_header(&mut out, opened);
        tsv_close(&mut out, opened);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "#separator \\x09");
        assert_eq!(lines[1], "#set_separator\t,");
        assert_eq!(lines[2], "#empty_field\t(empty)");
        assert_eq!(lines[3], "#unset_field\t-");
        assert_eq!(lines[4], "#path\tconn");
        assert_eq!(lines[5], "#open\t2026-11-21-07-46-54");
        assert!(lines[6].starts_with("#fields\tts\tuid\tid.orig_h\tid.orig_p\t"));
        assert!(lines[7].starts_with("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\t"));
        assert_eq!(lines[6].split('\t').count(), FIELD_COUNT + 1);
        assert_eq!(lines[7].split('\t').count(), FIELD_COUNT + 1);
        assert_eq!(lines[8], "#close\t2026-11-21-07-46-54");
    }
}
