//! Writing rows as a table, CSV, a JSON array, JSON lines or a Zeek conn.log (TSV or JSON, in
//! `zeek_log.rs`; the HTML page is `html/`, Parquet `parquet.rs`).
//!
//! Every row is formatted completely first (into a buffer kept for the next one) and then written
//! in one go, so an interrupted run leaves whole rows only. The output is buffered: the caller
//! flushes it whenever it has no more rows at hand (and at the end).

use std::io::{self, Write};
use std::time::SystemTime;

use clap::ValueEnum;

use crate::model::row::{Cell, Row, COLUMNS};
use crate::render::colour::paint_verdict;
use crate::render::zeek_log;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, one block per capture, for reading (a subset of the columns)
    Table,
    /// Comma-separated values with a header line: every column
    Csv,
    /// One JSON array of objects: every column (steps and anomalies as arrays, absent values null)
    Json,
    /// One JSON object per line: every column, as json
    Jsonl,
    /// One self-contained HTML page: summary charts, a sortable table of every column, a ladder
    /// diagram per connection (written once every capture is read)
    Html,
    /// Zeek's conn.log, tab-separated with Zeek's header lines: Zeek's fields, then tcpwave's as
    /// tcpwave.*
    Zeek,
    /// Zeek's conn.log as Zeek writes it in JSON: one object per line
    ZeekJson,
    /// Apache Parquet, typed columns for DuckDB, Polars, pandas or Spark (needs -o FILE or a
    /// redirected output): start a UTC timestamp (microseconds), ports and counts integers,
    /// durations and RTTs double seconds (Parquet has no duration type), steps lists of integers,
    /// anomalies a list of words, absent values null; one row group per capture
    Parquet,
}

impl Format {
    /// Whether each row is a line of its own that needs nothing of the rows before it, so that it
    /// can be formatted ([`record`]) where its connection ends, on the thread that read it, and
    /// the lines written one after another.
    pub fn is_line_per_row(self) -> bool {
        matches!(
            self,
            Format::Csv | Format::Jsonl | Format::Zeek | Format::ZeekJson
        )
    }
}

/// Appends `row`'s line in `format`, one of the formats [`Format::is_line_per_row`] names.
pub fn record(format: Format, row: &Row, line: &mut Vec<u8>) -> io::Result<()> {
    match format {
        Format::Csv => csv_record(line, row.cells()),
        Format::Jsonl => {
            json_object(line, row)?;
            line.push(b'\n');
            Ok(())
        }
        Format::Zeek => zeek_log::tsv_row(line, row),
        Format::ZeekJson => {
            zeek_log::json_row(line, row)?;
            line.push(b'\n');
            Ok(())
        }
        Format::Table | Format::Json | Format::Html | Format::Parquet => {
            unreachable!("{format:?} is not a line per row")
        }
    }
}

pub struct RowWriter<W: Write> {
    out: W,
    format: Format,
    /// Whether the table colours its verdicts (see `render::colour`).
    colour: bool,
    rows_written: u64,
    /// The row being written, reused for every row.
    line: Vec<u8>,
    /// When writing began: a Zeek log's `#open` time.
    opened: SystemTime,
}

impl<W: Write> RowWriter<W> {
    pub fn new(out: W, format: Format) -> Self {
        RowWriter {
            out,
            format,
            colour: false,
            rows_written: 0,
            line: Vec::new(),
            opened: SystemTime::now(),
        }
    }

    /// Colours the table's verdicts when `colour` (decided by `render::colour`); other formats
    /// are never coloured.
    pub fn coloured(self, colour: bool) -> Self {
        RowWriter {
            colour: colour && self.format == Format::Table,
            ..self
        }
    }

    /// Writes one capture's rows.
    pub fn write_batch(&mut self, rows: &[Row]) -> io::Result<()> {
        match self.format {
            Format::Table => {
                if !rows.is_empty() {
                    let block = table_block(rows, self.colour);
                    self.out.write_all(block.as_bytes())?;
                    self.out.flush()?;
                }
            }
            _ => {
                for row in rows {
                    self.line.clear();
                    self.serialize(row)?;
                    self.out.write_all(&self.line)?;
                    self.rows_written += 1;
                }
            }
        }
        Ok(())
    }

    /// Writes `rows` rows formatted by [`record`] already (their lines, one after another), after
    /// the header when they are the first.
    pub fn write_records(&mut self, records: &[u8], rows: u64) -> io::Result<()> {
        if rows == 0 {
            return Ok(());
        }
        if self.rows_written == 0 {
            self.line.clear();
            self.header(true)?;
            self.out.write_all(&self.line)?;
        }
        self.out.write_all(records)?;
        self.rows_written += rows;
        Ok(())
    }

    /// Appends to `self.line` what comes before the first row (`first`) or between rows: the CSV
    /// or Zeek header, the JSON array's opening or a comma.
    fn header(&mut self, first: bool) -> io::Result<()> {
        let line = &mut self.line;
        match self.format {
            Format::Csv if first => csv_record(line, COLUMNS.map(Cell::Text))?,
            Format::Zeek if first => zeek_log::tsv_header(line, self.opened),
            Format::Json => line.extend_from_slice(if first { b"[\n" } else { b",\n" }),
            _ => {}
        }
        Ok(())
    }

    /// Formats `row` (after the CSV header or the JSON array's opening) into `self.line`.
    fn serialize(&mut self, row: &Row) -> io::Result<()> {
        self.header(self.rows_written == 0)?;
        match self.format {
            Format::Json => json_object(&mut self.line, row),
            format if format.is_line_per_row() => record(format, row, &mut self.line),
            Format::Table => unreachable!("tables are written a capture at a time"),
            Format::Html => unreachable!("pages are written by html::Page"),
            _ => unreachable!("Parquet is written by parquet::ParquetRows"),
        }
    }

    /// Passes the rows written so far on to the output (a file, a pipe, a terminal).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Completes the document (closes the JSON array; a CSV with no rows still gets its header; a
    /// Zeek log gets its header if it has no rows, and its `#close` line).
    pub fn finish(mut self) -> io::Result<()> {
        match self.format {
            Format::Json => {
                let closing = if self.rows_written == 0 {
                    "[]\n"
                } else {
                    "\n]\n"
                };
                self.out.write_all(closing.as_bytes())?;
            }
            Format::Csv if self.rows_written == 0 => {
                let mut header = Vec::new();
                csv_record(&mut header, COLUMNS.map(Cell::Text))?;
                self.out.write_all(&header)?;
            }
            Format::Zeek => {
                let mut lines = Vec::new();
                if self.rows_written == 0 {
                    zeek_log::tsv_header(&mut lines, self.opened);
                }
                zeek_log::tsv_close(&mut lines, SystemTime::now());
                self.out.write_all(&lines)?;
            }
            _ => {}
        }
        self.out.flush()
    }
}

/// Appends one CSV record to `line`, quoting a field only when it holds a comma, a quote or a
/// line break (a quote in it doubled), as the csv crate writes them.
fn csv_record<'a>(line: &mut Vec<u8>, cells: impl IntoIterator<Item = Cell<'a>>) -> io::Result<()> {
    for (index, cell) in cells.into_iter().enumerate() {
        if index > 0 {
            line.push(b',');
        }
        let start = line.len();
        cell.push_to(line);
        // Only text can hold those bytes: numbers, times, addresses, steps and anomalies cannot.
        let needs_quotes = matches!(cell, Cell::Text(_))
            && line[start..]
                .iter()
                .any(|byte| matches!(byte, b',' | b'"' | b'\r' | b'\n'));
        if needs_quotes {
            let field = line.split_off(start);
            line.push(b'"');
            for byte in field {
                if byte == b'"' {
                    line.push(b'"');
                }
                line.push(byte);
            }
            line.push(b'"');
        }
    }
    line.push(b'\n');
    Ok(())
}

/// Appends `row` to `line` as one JSON object: steps as arrays of integers, anomalies as an array
/// of strings, absent values null.
fn json_object(line: &mut Vec<u8>, row: &Row) -> io::Result<()> {
    line.push(b'{');
    for (index, (name, cell)) in COLUMNS.iter().zip(row.cells()).enumerate() {
        if index > 0 {
            line.push(b',');
        }
        write!(line, "\"{name}\":")?;
        match cell {
            Cell::Absent => line.extend_from_slice(b"null"),
            // Six decimals, written as they read: a JSON number, never in exponent form.
            Cell::Count(_) | Cell::Time(_) => cell.push_to(line),
            Cell::Steps(steps) => serde_json::to_writer(&mut *line, steps)?,
            Cell::Anomalies(kinds) => serde_json::to_writer(
                &mut *line,
                &kinds.iter().map(|kind| kind.as_str()).collect::<Vec<_>>(),
            )?,
            text => serde_json::to_writer(&mut *line, &text.to_string())?,
        }
    }
    line.push(b'}');
    Ok(())
}

const TABLE_COLUMNS: [&str; 14] = [
    "stream",
    "orig",
    "resp",
    "handshake",
    "steps",
    "rtt",
    "teardown",
    "steps",
    "closer",
    "state",
    "history",
    "pkts o/r",
    "bytes o/r",
    "anomalies",
];

fn table_cells(row: &Row) -> [String; 14] {
    // An absent value shows as a dash.
    let shown = |cell: Cell<'_>| match cell.to_string() {
        text if text.is_empty() => "-".to_owned(),
        text => text,
    };
    let optional = |value: Option<&str>| shown(value.map_or(Cell::Absent, Cell::Text));
    [
        row.stream.to_string(),
        row.orig.to_string(),
        row.resp.to_string(),
        optional(row.handshake.map(|verdict| verdict.as_str())),
        shown(Cell::Steps(&row.handshake_steps)),
        shown(row.handshake_rtt.map_or(Cell::Absent, Cell::Time)),
        optional(row.teardown.map(|verdict| verdict.as_str())),
        shown(Cell::Steps(&row.teardown_steps)),
        optional(row.active_closer.map(|closer| closer.as_str())),
        row.conn_state.to_owned(),
        shown(Cell::Text(&row.history)),
        format!("{}/{}", row.orig_pkts, row.resp_pkts),
        format!("{}/{}", row.orig_bytes, row.resp_bytes),
        shown(Cell::Anomalies(&row.anomalies)),
    ]
}

/// The table's verdict columns (handshake, teardown), which may be coloured.
const VERDICT_COLUMNS: [usize; 2] = [3, 6];

/// One capture as an aligned block: its name, a header, then one line per connection, with the
/// verdicts coloured when `colour`.
fn table_block(rows: &[Row], colour: bool) -> String {
    let lines: Vec<[String; 14]> = rows.iter().map(table_cells).collect();
    let mut widths = TABLE_COLUMNS.map(str::len);
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let render = |cells: &[String], paint: bool| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(column, (cell, width))| {
                // Padded after painting, so that the colour codes take no width.
                let gap = " ".repeat(width - cell.chars().count());
                if paint && VERDICT_COLUMNS.contains(&column) {
                    format!("{}{gap}", paint_verdict(cell))
                } else {
                    format!("{cell}{gap}")
                }
            })
            .collect();
        format!("  {}\n", padded.join("  ").trim_end())
    };
    let mut block = format!("{}\n", rows[0].file);
    block += &render(&TABLE_COLUMNS.map(str::to_owned), false);
    for line in &lines {
        block += &render(line, colour);
    }
    block + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::row::tests::sample;

    fn written(format: Format, rows: &[Row]) -> String {
        let mut out = Vec::new();
        let mut writer = RowWriter::new(&mut out, format);
        writer.write_batch(rows).unwrap();
        writer.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_has_every_column_and_quotes_when_needed() {
        let text = written(Format::Csv, &[sample(0)]);
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), COLUMNS.join(","));
        assert_eq!(
            lines.next().unwrap(),
            "\"dir/a,b.pcap\",0,10.0.0.1,40000,::1,80,1700000000.000001,0.002500,complete,1 1 2 3,\
             0.000045,0.000015,0.000030,half-closed,1 2,orig,,9,18,37,5,4,298,357,1,retransmission half_close,S2,ShADadF"
        );
        assert_eq!(lines.next(), None);
    }

    #[test]
    fn csv_fields_are_quoted_as_the_csv_crate_quotes_them() {
        let fields = [
            "plain",
            "",
            "a,b",
            "say \"hi\"",
            "\"",
            "line\nbreak",
            "carriage\rreturn",
            " spaced ",
            "tab\there",
            "semi;colon",
            "ünï",
        ];
        let mut ours = Vec::new();
        csv_record(&mut ours, fields.map(Cell::Text)).unwrap();
        let mut theirs = csv::Writer::from_writer(Vec::new());
        theirs.write_record(fields).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs.into_inner().unwrap()).unwrap()
        );
    }

    #[test]
    fn rows_after_the_first_reuse_the_line_without_leftovers() {
        let text = written(Format::Csv, &[sample(0), sample(1)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].starts_with("\"dir/a,b.pcap\",0,"));
        assert!(lines[2].starts_with("\"dir/a,b.pcap\",1,"));
        assert_eq!(lines[1].len(), lines[2].len());
    }

    #[test]
    fn csv_without_rows_is_just_the_header() {
        assert_eq!(
            written(Format::Csv, &[]),
            format!("{}\n", COLUMNS.join(","))
        );
    }

    #[test]
    fn json_numbers_keep_six_decimals_and_absent_values_are_null() {
        let text = written(Format::Json, &[sample(0), sample(1)]);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        let rows = parsed.as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["stream"], 1);
        assert_eq!(rows[0]["teardown_duration"], serde_json::Value::Null);
        assert_eq!(rows[0]["handshake_steps"], serde_json::json!([1, 1, 2, 3]));
        assert_eq!(rows[0]["teardown_steps"], serde_json::json!([1, 2]));
        assert_eq!(
            rows[0]["anomalies"],
            serde_json::json!(["retransmission", "half_close"])
        );
        assert!(text.contains("\"handshake_rtt\":0.000045,"));
        assert_eq!(written(Format::Json, &[]), "[]\n");
    }

    #[test]
    fn json_has_null_for_every_absent_value_and_empty_arrays_for_no_steps() {
        let mut bare = sample(4);
        bare.handshake = None;
        bare.handshake_steps.clear();
        bare.handshake_rtt = None;
        bare.syn_to_synack = None;
        bare.synack_to_ack = None;
        bare.teardown = None;
        bare.teardown_steps.clear();
        bare.active_closer = None;
        bare.anomalies.clear();
        bare.history.clear();
        let text = written(Format::Jsonl, &[bare]);
        let object: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        for absent in [
            "handshake",
            "handshake_rtt",
            "syn_to_synack",
            "synack_to_ack",
            "teardown",
            "active_closer",
            "teardown_duration",
            "history",
        ] {
            assert_eq!(object[absent], serde_json::Value::Null, "{absent}");
        }
        for empty in ["handshake_steps", "teardown_steps", "anomalies"] {
            assert_eq!(object[empty], serde_json::json!([]), "{empty}");
        }
        assert!(!text.contains("\"\""), "no empty string: {text}");
        let csv = written(Format::Csv, &[sample(4)]);
        assert!(csv.contains(",1 1 2 3,"), "CSV keeps steps space separated");
    }

    #[test]
    fn zeek_output_has_one_header_and_a_close_line() {
        let text = written(Format::Zeek, &[sample(0), sample(1)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 8 + 2 + 1);
        assert_eq!(lines[0], "#separator \\x09");
        assert_eq!(text.matches("#fields\t").count(), 1);
        assert!(lines[8].starts_with("1700000000.000001\t"));
        assert!(lines[10].starts_with("#close\t"));
        let empty = written(Format::Zeek, &[]);
        assert_eq!(
            empty.lines().count(),
            9,
            "header and close, no rows: {empty}"
        );
        let json = written(Format::ZeekJson, &[sample(0), sample(1)]);
        assert_eq!(json.lines().count(), 2);
        assert!(json.lines().all(|line| line.starts_with("{\"ts\":")));
    }

    #[test]
    fn jsonl_is_one_object_per_line() {
        let text = written(Format::Jsonl, &[sample(0), sample(1)]);
        let objects: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].as_object().unwrap().len(), COLUMNS.len());
        assert_eq!(objects[0]["conn_state"], "S2");
    }

    #[test]
    fn table_is_aligned_per_capture() {
        let mut without_closer = sample(12);
        without_closer.active_closer = None;
        let text = written(Format::Table, &[sample(0), without_closer]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "dir/a,b.pcap");
        assert!(lines[1].trim_start().starts_with("stream  orig"));
        assert!(lines[2].contains("10.0.0.1:40000  [::1]:80"));
        assert!(lines[1].contains("pkts o/r  bytes o/r"));
        assert!(lines[2].contains("5/4       18/37"));
        let history_at = |line: &str| line.find("ShADadF").unwrap();
        assert_eq!(history_at(lines[2]), history_at(lines[3]));
        assert!(lines[3].contains(" -  "), "absent values show as a dash");
    }

    #[test]
    fn a_coloured_table_paints_only_verdicts_and_stays_aligned() {
        let rows = [sample(0), sample(1)];
        let plain = table_block(&rows, false);
        let coloured = table_block(&rows, true);
        assert!(!plain.contains('\x1b'));
        let painted = coloured.lines().nth(2).unwrap();
        assert!(painted.contains("\x1b[32mcomplete\x1b[0m"), "{painted}");
        assert!(painted.contains("\x1b[33mhalf-closed\x1b[0m"), "{painted}");
        // Without its colour codes, the coloured table is the plain one.
        let stripped = coloured
            .replace("\x1b[32m", "")
            .replace("\x1b[33m", "")
            .replace("\x1b[0m", "");
        assert_eq!(stripped, plain);

        let mut csv = Vec::new();
        let mut writer = RowWriter::new(&mut csv, Format::Csv).coloured(true);
        writer.write_batch(&rows).unwrap();
        writer.finish().unwrap();
        assert!(!csv.contains(&0x1b), "CSV is never coloured");
    }
}
