//! The code path of `capture_to_rows`, shared by the fuzz target (`fuzz_targets/`) and the test
//! that replays the corpus and the regressions (`postproc/tests/fuzz_regressions.rs`): a capture
//! file read by the native engine (`run::native::packets`), its packets folded into rows
//! (`model::fold::Connections`, ladders drawn too) as `run::jobs` folds them, and the rows
//! written as CSV and as JSON lines (`render::rows::RowWriter`).
//!
//! Besides not panicking, it checks what must hold whatever the file: every connection is handed
//! out once, the CSV has the header's number of fields on every line, and every JSON line parses.

use std::collections::HashSet;
use std::path::Path;

use tcpwave_cli::model::finished::Finished;
use tcpwave_cli::model::fold::Connections;
use tcpwave_cli::render::rows::{Format, RowWriter};
use tcpwave_cli::run::native::{self, NativeRun};

/// What reading one capture gave.
#[allow(dead_code)] // The fuzz target only needs the checks.
pub struct Outcome {
    pub run: NativeRun,
    pub rows: usize,
    pub csv: Vec<u8>,
}

/// Reads the capture at `path` natively, folds its packets into rows and writes them; panics
/// when an invariant above does not hold.
pub fn capture_to_rows(path: &Path) -> Outcome {
    let mut connections = Connections::new(&path.display().to_string(), true);
    let mut finished: Vec<Finished> = Vec::new();
    let run = native::packets(path, |packet| {
        connections.add(&packet, &mut |done: Finished| finished.push(done))
    });
    connections.finish(&mut |done| finished.push(done));
    if let NativeRun::NeedsWireshark(_) = run {
        assert!(finished.is_empty(), "rows from a capture left to tshark");
    }

    let mut streams = HashSet::new();
    for done in &finished {
        assert!(
            streams.insert(done.row.stream),
            "stream {} handed out twice",
            done.row.stream
        );
    }
    let rows: Vec<_> = finished.into_iter().map(|done| done.row).collect();

    let mut csv = Vec::new();
    let mut writer = RowWriter::new(&mut csv, Format::Csv);
    writer.write_batch(&rows).expect("writing to a Vec");
    writer.finish().expect("writing to a Vec");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&csv[..]);
    let columns = reader.headers().expect("a CSV header").len();
    let mut records = 0;
    for record in reader.records() {
        let record = record.expect("a well-formed CSV record");
        assert_eq!(
            record.len(),
            columns,
            "a CSV record with {} fields",
            record.len()
        );
        records += 1;
    }
    assert_eq!(records, rows.len(), "CSV records for {} rows", rows.len());

    let mut jsonl = Vec::new();
    let mut writer = RowWriter::new(&mut jsonl, Format::Jsonl);
    writer.write_batch(&rows).expect("writing to a Vec");
    writer.finish().expect("writing to a Vec");
    let mut lines = 0;
    for line in jsonl
        .split(|&byte| byte == b'\n')
        .filter(|line| !line.is_empty())
    {
        let value: serde_json::Value = serde_json::from_slice(line).expect("a JSON line");
        assert!(value.is_object(), "a JSON line that is not an object");
        lines += 1;
    }
    assert_eq!(lines, rows.len(), "JSON lines for {} rows", rows.len());

    Outcome {
        run,
        rows: rows.len(),
        csv,
    }
}
