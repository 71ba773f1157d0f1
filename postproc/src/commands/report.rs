//! `tcpwave report`: one row per connection, or one HTML page of them.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Result;

use crate::commands::captures::{outcome, prepare};
use crate::commands::cli::ReportArgs;
use crate::commands::outcome::Outcome;
use crate::model::finished::Finished;
use crate::model::row::Row;
use crate::render::colour::colour_verdicts_here;
use crate::render::html::Page;
use crate::render::output_file::{open_output_beside, stdout_is_terminal};
use crate::render::rows::{Format, RowWriter};
use crate::run::jobs::{self, Event};

/// Where the connections go.
enum Destination {
    /// CSV and JSON: each row as soon as its connection is over.
    Rows(RowWriter<Box<dyn Write>>),
    /// A table shows each capture as one aligned block, so its rows wait for the capture's end.
    Table {
        writer: RowWriter<Box<dyn Write>>,
        held: HashMap<String, Vec<Row>>,
    },
    /// Boxed: a page is much larger than a row writer.
    Page(Box<Page<Box<dyn Write>>>),
}

impl Destination {
    fn new(
        out: Box<dyn Write>,
        format: Format,
        captures: &[PathBuf],
        colour: bool,
    ) -> io::Result<Self> {
        Ok(match format {
            Format::Html => Destination::Page(Box::new(Page::new(out, captures)?)),
            Format::Table => Destination::Table {
                writer: RowWriter::new(out, format).coloured(colour),
                held: HashMap::new(),
            },
            Format::Csv | Format::Json | Format::Jsonl => {
                Destination::Rows(RowWriter::new(out, format))
            }
            Format::Zeek | Format::ZeekJson => Destination::Rows(RowWriter::new(out, format)),
        })
    }

    fn connection(&mut self, finished: Finished) -> io::Result<()> {
        match self {
            Destination::Rows(writer) => writer.write_batch(std::slice::from_ref(&finished.row)),
            Destination::Table { held, .. } => {
                let rows = held.entry(finished.row.file.clone()).or_default();
                rows.push(finished.row);
                Ok(())
            }
            Destination::Page(page) => page.connection(finished),
        }
    }

    fn capture_done(&mut self, file: &str, problem: Option<&str>) -> io::Result<()> {
        match self {
            Destination::Rows(_) => Ok(()),
            Destination::Table { writer, held } => match held.remove(file) {
                Some(rows) => writer.write_batch(&rows),
                None => Ok(()),
            },
            Destination::Page(page) => {
                page.capture_done(file, problem);
                Ok(())
            }
        }
    }

    /// Passes on what was written so far.
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Destination::Rows(writer) | Destination::Table { writer, .. } => writer.flush(),
            // The page is written at the end.
            Destination::Page(_) => Ok(()),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Destination::Rows(writer) | Destination::Table { writer, .. } => writer.finish(),
            Destination::Page(page) => page.finish(),
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
    let prepared = prepare(&args.capture)?;
    let out = open_output_beside(args.capture.output.as_deref(), &prepared.notes)?;
    let colour = colour_verdicts_here(format == Format::Table, args.capture.output.as_deref());
    let mut destination = Destination::new(out, format, &prepared.captures, colour)?;
    let mut failed = prepared.failed;
    let notes = prepared.notes.clone();
    let finish = jobs::run(
        &prepared.engine,
        prepared.captures,
        prepared.filter,
        prepared.jobs,
        &prepared.notes,
        format == Format::Html,
        |event| {
            match event {
                Event::Connection(finished) => destination.connection(*finished)?,
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
    destination.finish()?;
    Ok(outcome(finish, failed))
}
