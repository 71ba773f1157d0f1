//! A capture's finished connections, handed out in stream order.
//!
//! A row waits here while a lower stream is still open. A connection that stays open across a
//! whole capture would keep every later row waiting, so past [`MEMORY_ROWS`] the waiting rows go
//! to disk as a sorted run (an anonymous temporary file), and the runs are merged back as rows
//! come out: memory stays bounded whatever the capture. Rows with ladders (the HTML page and
//! `ladder`) stay in memory: their pages keep every ladder anyway.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::mem;

use crate::model::finished::Finished;
use crate::model::row::Row;

/// Rows kept in memory before they are written to a run: about a megabyte (a few rows in unit
/// tests, which go through many runs). Fewer would mean more runs, and past [`MAX_RUNS`] a merge
/// that writes every row again.
const MEMORY_ROWS: usize = if cfg!(test) { 16 } else { 2048 };
/// Runs kept before they are merged into one, so that open files stay few.
const MAX_RUNS: usize = if cfg!(test) { 8 } else { 64 };

#[derive(Debug, Default)]
pub struct InOrder {
    memory: BTreeMap<u64, Finished>,
    runs: Vec<Run>,
    /// The lowest next row among `runs` (its stream, and which run holds it): asked for after
    /// every packet, so kept rather than searched for.
    lowest_in_runs: Option<(u64, usize)>,
    /// Set when a run could not be read back: the rows after it are lost, and the capture's
    /// report must say so.
    problem: Option<String>,
}

/// Rows sorted by stream in a temporary file, read back one at a time.
#[derive(Debug)]
struct Run {
    reader: BufReader<File>,
    /// The run's lowest row not handed out yet.
    next: Option<Row>,
    /// The record being read, reused.
    record: Vec<u8>,
}

impl Run {
    fn write(rows: impl Iterator<Item = impl Borrow<Row>>) -> io::Result<Run> {
        let mut writer = BufWriter::new(tempfile::tempfile()?);
        // One buffer for every record.
        let mut record = Vec::new();
        for row in rows {
            record.clear();
            record = postcard::to_extend(row.borrow(), record).map_err(io::Error::other)?;
            let length = u32::try_from(record.len()).map_err(io::Error::other)?;
            writer.write_all(&length.to_le_bytes())?;
            writer.write_all(&record)?;
        }
        let mut file = writer.into_inner().map_err(|error| error.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        let mut run = Run {
            reader: BufReader::new(file),
            next: None,
            record: Vec::new(),
        };
        run.advance()?;
        Ok(run)
    }

    /// Takes the run's next row and reads the one after it; a read that fails is recorded in
    /// `problem` and ends the run.
    fn take_next(&mut self, problem: &mut Option<String>) -> Option<Row> {
        let row = self.next.take();
        if let Err(error) = self.advance() {
            *problem = Some(format!("a temporary file could not be read back: {error}"));
        }
        row
    }

    /// Reads the next row into `next` (`None` at the run's end).
    fn advance(&mut self) -> io::Result<()> {
        let mut length = [0u8; 4];
        self.next = match self.reader.read_exact(&mut length) {
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => None,
            Err(error) => return Err(error),
            Ok(()) => {
                self.record.resize(u32::from_le_bytes(length) as usize, 0);
                self.reader.read_exact(&mut self.record)?;
                Some(postcard::from_bytes(&self.record).map_err(io::Error::other)?)
            }
        };
        Ok(())
    }
}

impl InOrder {
    pub fn insert(&mut self, finished: Finished) {
        let spill = finished.ladder.is_none();
        self.memory.insert(finished.row.stream, finished);
        if spill && self.memory.len() >= MEMORY_ROWS {
            // Where the disk refuses them, the rows stay in memory.
            if let Ok(run) = Run::write(self.memory.values().map(|finished| &finished.row)) {
                self.memory.clear();
                self.runs.push(run);
            }
            if self.runs.len() >= MAX_RUNS {
                self.merge_runs();
            }
            self.lowest_in_runs = lowest_run(&self.runs);
        }
    }

    /// The lowest stream waiting.
    pub fn lowest(&self) -> Option<u64> {
        let in_runs = self.lowest_in_runs.map(|(stream, _)| stream);
        in_runs
            .into_iter()
            .chain(self.memory.keys().next().copied())
            .min()
    }

    /// Takes the lowest stream's row.
    pub fn pop(&mut self) -> Option<Finished> {
        let lowest = self.lowest()?;
        if let Some(finished) = self.memory.remove(&lowest) {
            return Some(finished);
        }
        let (_, index) = self.lowest_in_runs?;
        let row = self.runs[index].take_next(&mut self.problem);
        if self.runs[index].next.is_none() {
            self.runs.swap_remove(index);
        }
        self.lowest_in_runs = lowest_run(&self.runs);
        row.map(|row| Finished { row, ladder: None })
    }

    /// What went wrong with the temporary files, if anything.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Merges every run into one.
    fn merge_runs(&mut self) {
        let mut runs = mem::take(&mut self.runs);
        let merged = std::iter::from_fn(|| {
            let (_, index) = lowest_run(&runs)?;
            runs[index].take_next(&mut self.problem)
        });
        match Run::write(merged) {
            Ok(run) => self.runs.push(run),
            Err(error) => self.problem = Some(format!("a temporary file failed: {error}")),
        }
    }
}

/// The stream of the lowest next row among `runs`, and which run holds it.
fn lowest_run(runs: &[Run]) -> Option<(u64, usize)> {
    runs.iter()
        .enumerate()
        .filter_map(|(index, run)| run.next.as_ref().map(|row| (row.stream, index)))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::finished::tests::finished;
    use crate::model::row::tests::sample;

    #[test]
    fn rows_come_out_in_stream_order_through_memory_and_runs() {
        let mut waiting = InOrder::default();
        // Enough rows, out of order, for many runs and a merge of runs.
        let count = MEMORY_ROWS * (MAX_RUNS + 3) + 17;
        let streams: Vec<u64> = (0..count as u64)
            .map(|i| (i * 7919) % count as u64)
            .collect();
        for &stream in &streams {
            waiting.insert(finished(stream));
        }
        assert!(!waiting.runs.is_empty() && waiting.runs.len() < MAX_RUNS);
        let mut out = Vec::new();
        while let Some(finished) = waiting.pop() {
            out.push(finished.row.stream);
            // A row read back from disk is the row written.
            if finished.row.stream == 123 {
                assert_eq!(finished.row, sample(123));
            }
        }
        assert_eq!(out, (0..count as u64).collect::<Vec<_>>());
        assert_eq!(waiting.problem(), None);
    }

    #[test]
    fn the_lowest_is_the_lowest_of_memory_and_runs() {
        let mut waiting = InOrder::default();
        for stream in (1..=MEMORY_ROWS as u64).rev() {
            waiting.insert(finished(stream * 2));
        }
        waiting.insert(finished(3));
        assert_eq!(waiting.lowest(), Some(2));
        assert_eq!(waiting.pop().unwrap().row.stream, 2);
        assert_eq!(waiting.lowest(), Some(3));
        assert_eq!(waiting.pop().unwrap().row.stream, 3);
        assert_eq!(waiting.lowest(), Some(4));
    }
}
