//! `tcpwave report`: one row per connection, or one HTML page of them.

use std::io::{self, Write};
use std::mem;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;

use crate::commands::captures::{outcome, prepare};
use crate::commands::cli::ReportArgs;
use crate::commands::outcome::Outcome;
use crate::model::finished::Finished;
use crate::model::row::Row;
use crate::render::colour::colour_verdicts_here;
use crate::render::html::Page;
use crate::render::output_file::{open_output_beside, stdout_is_terminal, PendingFile};
use crate::render::parquet::ParquetRows;
use crate::render::rows::{record, Format, RowWriter};
use crate::run::jobs::{self, Delivery, Event, Finish, Notes};
use crate::vocab::fatal::Fatal;

/// Where the connections go.
enum Destination {
    /// CSV and JSON: each row as soon as its connection is over.
    Rows(RowWriter<Box<dyn Write>>),
    /// A table shows each capture as one aligned block, so its rows wait for the capture's end
    /// (captures come one at a time).
    Table {
        writer: RowWriter<Box<dyn Write>>,
        held: Vec<Row>,
    },
    /// Boxed: a page is much larger than a row writer.
    Page(Box<Page<Box<dyn Write>>>),
    /// One row group per capture; a file is written under a temporary name, renamed at the end.
    Parquet {
        rows: Box<ParquetRows<Box<dyn Write + Send>>>,
        file: Option<PendingFile>,
    },
}

impl Destination {
    fn new(
        format: Format,
        output: Option<&Path>,
        captures: &[PathBuf],
        colour: bool,
        notes: &Notes,
    ) -> Result<Self> {
        let text = || open_output_beside(output, notes);
        Ok(match format {
            Format::Html => Destination::Page(Box::new(Page::new(text()?, captures)?)),
            Format::Table => Destination::Table {
                writer: RowWriter::new(text()?, format).coloured(colour),
                held: Vec::new(),
            },
            Format::Csv | Format::Json | Format::Jsonl | Format::Zeek | Format::ZeekJson => {
                Destination::Rows(RowWriter::new(text()?, format))
            }
            Format::Parquet => {
                let (out, file): (Box<dyn Write + Send>, _) = match output {
                    Some(path) => {
                        let file = PendingFile::create(path)?;
                        (Box::new(file.file()?), Some(file))
                    }
                    // Not a terminal: `run` refused that.
                    None => (Box::new(io::BufWriter::new(io::stdout())), None),
                };
                Destination::Parquet {
                    rows: Box::new(ParquetRows::new(out)?),
                    file,
                }
            }
        })
    }

    fn connection(&mut self, finished: Finished) -> io::Result<()> {
        match self {
            Destination::Rows(writer) => writer.write_batch(std::slice::from_ref(&finished.row)),
            Destination::Table { held, .. } => {
                held.push(finished.row);
                Ok(())
            }
            Destination::Page(page) => page.connection(finished),
            Destination::Parquet { rows, .. } => rows.connection(&finished.row),
        }
    }

    /// Rows formatted already, for the formats whose rows are lines of their own.
    fn records(&mut self, records: &[u8], rows: u64) -> io::Result<()> {
        match self {
            Destination::Rows(writer) => writer.write_records(records, rows),
            _ => unreachable!("only line-per-row formats get records"),
        }
    }

    fn capture_done(&mut self, file: &str, problem: Option<&str>) -> io::Result<()> {
        match self {
            Destination::Rows(_) => Ok(()),
            Destination::Table { writer, held } => writer.write_batch(&mem::take(held)),
            Destination::Page(page) => {
                page.capture_done(file, problem);
                Ok(())
            }
            Destination::Parquet { rows, .. } => rows.capture_done(),
        }
    }

    /// Passes on what was written so far.
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Destination::Rows(writer) | Destination::Table { writer, .. } => writer.flush(),
            // The page is written at the end; a row group when its capture ends.
            Destination::Page(_) | Destination::Parquet { .. } => Ok(()),
        }
    }

    fn finish(self, finish: &Finish) -> io::Result<()> {
        match self {
            Destination::Rows(writer) | Destination::Table { writer, .. } => writer.finish(),
            Destination::Page(page) => page.finish(),
            // Interrupted: no footer, so no file that passes for a whole report (the temporary
            // file is removed as `file` drops).
            Destination::Parquet { file, .. } if matches!(finish, Finish::Interrupted) => {
                if let Some(file) = file {
                    eprintln!(
                        "tcpwave: interrupted, so {} is not written",
                        file.path().display()
                    );
                }
                Ok(())
            }
            Destination::Parquet { rows, file } => {
                rows.finish()?;
                match file {
                    Some(file) => file.commit(),
                    None => Ok(()),
                }
            }
        }
    }
}

pub fn run(args: ReportArgs) -> Result<Outcome> {
    let format = args
        .format
        .unwrap_or(if stdout_is_terminal(args.capture.output.as_deref()) {
            Format::Table
        } else {
            Format::Csv
        });
    if format == Format::Parquet && stdout_is_terminal(args.capture.output.as_deref()) {
        return Err(Fatal::Usage(
            "--format parquet writes binary data: name a file with -o FILE, or redirect the output"
                .to_owned(),
        )
        .into());
    }
    let prepared = prepare(&args.capture)?;
    let colour = colour_verdicts_here(format == Format::Table, args.capture.output.as_deref());
    let mut destination = Destination::new(
        format,
        args.capture.output.as_deref(),
        &prepared.captures,
        colour,
        &prepared.notes,
    )?;
    // Rows that are lines of their own are formatted by the workers, which share that work.
    let delivery = if format.is_line_per_row() {
        Delivery::Records(Arc::new(move |row: &Row, line: &mut Vec<u8>| {
            record(format, row, line)
        }))
    } else {
        Delivery::Rows {
            ladders: format == Format::Html,
        }
    };
    let mut failed = prepared.failed;
    let notes = prepared.notes.clone();
    let finish = jobs::run(
        &prepared.engine,
        prepared.captures,
        prepared.filter,
        prepared.jobs,
        &prepared.notes,
        delivery,
        |event| {
            match event {
                Event::Connection(finished) => destination.connection(*finished)?,
                Event::Records { records, rows } => destination.records(&records, rows)?,
                Event::Idle => destination.flush()?,
                Event::CaptureDone { path, problem } => {
                    let file = path.display().to_string();
                    destination.capture_done(&file, problem.as_deref())?;
                    if let Some(problem) = problem {
                        failed += 1;
                        notes.say(&format!("{file}: {problem}"));
                    }
                }
            }
            Ok(())
        },
    )?;
    notes.done();
    destination.finish(&finish)?;
    Ok(outcome(finish, failed))
}
