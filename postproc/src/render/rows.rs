//! Writing rows as a table, CSV, a JSON array or JSON lines (the HTML page is `html/`, Parquet
//! `parquet.rs`).
//!
//! Every row is formatted completely first (into a buffer kept for the next one) and then written
//! in one go, so an interrupted run leaves whole rows only. The output is buffered: the caller
//! flushes it whenever it has no more rows at hand (and at the end).

use std::io::{self, Write};

use clap::ValueEnum;

use crate::model::row::{Cell, Row, COLUMNS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, one block per capture, for reading (a subset of the columns)
    Table,
    /// Comma-separated values with a header line: every column
    Csv,
    /// One JSON array of objects: every column
    Json,
    /// One JSON object per line: every column
    Jsonl,
    /// One self-contained HTML page: summary charts, a sortable table of every column, a ladder
    /// diagram per connection (written once every capture is read)
    Html,
    /// Apache Parquet, typed columns for DuckDB, Polars, pandas or Spark (needs -o FILE or a
    /// redirected output): start a UTC timestamp (microseconds), ports and counts integers,
    /// durations and RTTs double seconds (Parquet has no duration type), steps lists of integers,
    /// anomalies a list of words, absent values null; one row group per capture
    Parquet,
}

pub struct RowWriter<W: Write> {
    out: W,
    format: Format,
    rows_written: u64,
    /// The row being written, reused for every row.
    line: Vec<u8>,
}

impl<W: Write> RowWriter<W> {
    pub fn new(out: W, format: Format) -> Self {
        RowWriter {
            out,
            format,
            rows_written: 0,
            line: Vec::new(),
        }
    }

    /// Writes one capture's rows.
    pub fn write_batch(&mut self, rows: &[Row]) -> io::Result<()> {
        match self.format {
            Format::Table => {
                if !rows.is_empty() {
                    let block = table_block(rows);
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

    /// Formats `row` (after the CSV header or the JSON array's opening) into `self.line`.
    fn serialize(&mut self, row: &Row) -> io::Result<()> {
        let first = self.rows_written == 0;
        let line = &mut self.line;
        match self.format {
            Format::Csv => {
                if first {
                    csv_record(line, COLUMNS.map(Cell::Text))?;
                }
                csv_record(line, row.cells())?;
            }
            Format::Jsonl => {
                json_object(line, row)?;
                line.push(b'\n');
            }
            Format::Json => {
                line.extend_from_slice(if first { b"[\n" } else { b",\n" });
                json_object(line, row)?;
            }
            Format::Table => unreachable!("tables are written a capture at a time"),
            Format::Html => unreachable!("pages are written by html::Page"),
            Format::Parquet => unreachable!("Parquet is written by parquet::ParquetRows"),
        }
        Ok(())
    }

    /// Passes the rows written so far on to the output (a file, a pipe, a terminal).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Completes the document (closes the JSON array; a CSV with no rows still gets its header).
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
        match cell {
            Cell::Text(text) => line.extend_from_slice(text.as_bytes()),
            _ => write!(line, "{cell}")?,
        }
        let needs_quotes = line[start..]
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

/// Appends `row` to `line` as one JSON object.
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
            Cell::Count(_) | Cell::Time(_) => write!(line, "{cell}")?,
            text => serde_json::to_writer(&mut *line, &text.to_string())?,
        }
    }
    line.push(b'}');
    Ok(())
}

const TABLE_COLUMNS: [&str; 12] = [
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
    "anomalies",
];

fn table_cells(row: &Row) -> [String; 12] {
    let cells = row.cells();
    let dash_if_empty = |text: String| {
        if text.is_empty() {
            "-".to_owned()
        } else {
            text
        }
    };
    [
        row.stream.to_string(),
        row.orig.to_string(),
        row.resp.to_string(),
        dash_if_empty(cells[8].to_string()),
        dash_if_empty(cells[9].to_string()),
        dash_if_empty(cells[10].to_string()),
        dash_if_empty(cells[13].to_string()),
        dash_if_empty(cells[14].to_string()),
        dash_if_empty(cells[15].to_string()),
        row.conn_state.to_owned(),
        dash_if_empty(row.history.clone()),
        dash_if_empty(cells[21].to_string()),
    ]
}

/// One capture as an aligned block: its name, a header, then one line per connection.
fn table_block(rows: &[Row]) -> String {
    let lines: Vec<[String; 12]> = rows.iter().map(table_cells).collect();
    let mut widths = TABLE_COLUMNS.map(str::len);
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let render = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        format!("  {}\n", padded.join("  ").trim_end())
    };
    let mut block = format!("{}\n", rows[0].file);
    block += &render(&TABLE_COLUMNS.map(str::to_owned));
    for line in &lines {
        block += &render(line);
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
             0.000045,0.000015,0.000030,half-closed,1 2,orig,,9,18,37,1,retransmission half_close,S2,ShADadF"
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
        assert_eq!(rows[0]["handshake_steps"], "1 1 2 3");
        assert!(text.contains("\"handshake_rtt\":0.000045,"));
        assert_eq!(written(Format::Json, &[]), "[]\n");
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
        let history_at = |line: &str| line.find("ShADadF").unwrap();
        assert_eq!(history_at(lines[2]), history_at(lines[3]));
        assert!(lines[3].contains(" -  "), "absent values show as a dash");
    }
}
