//! `tcpwave report`: one row per connection.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{CaptureArgs, ReportArgs};
use crate::output::{Format, RowWriter};
use crate::row::Row;
use crate::runner::{self, Event, Finish, Notes};
use crate::tshark::Tshark;
use crate::{inputs, open_output, stdout_is_terminal, Outcome};

/// What `report` and `summary` share before reading: a ready tshark and the captures found.
pub struct Prepared {
    pub tshark: Tshark,
    pub captures: Vec<PathBuf>,
    pub notes: Notes,
    /// Named paths that could not be read or are not captures (already reported on stderr).
    pub failed: usize,
    pub jobs: usize,
    pub filter: Option<String>,
}

pub fn prepare(args: &CaptureArgs) -> Result<Prepared> {
    let tshark = Tshark::locate()?;
    tshark.check_ready()?;
    if let Some(filter) = &args.display_filter {
        tshark.check_filter(filter)?;
    }
    let found = inputs::collect(&args.paths);
    let notes = Notes::new(found.captures.len());
    for (path, reason) in &found.skipped {
        notes.say(&format!("skipping {}: {reason}", path.display()));
    }
    for (path, reason) in &found.errors {
        notes.say(&format!("{}: {reason}", path.display()));
    }
    Ok(Prepared {
        tshark,
        captures: found.captures,
        notes,
        failed: found.errors.len(),
        jobs: args.jobs.map_or_else(runner::default_jobs, usize::from),
        filter: args.display_filter.clone(),
    })
}

pub fn outcome(finish: Finish, failed: usize) -> Outcome {
    match finish {
        Finish::Interrupted => Outcome::Interrupted,
        Finish::Completed if failed > 0 => Outcome::SomeFilesFailed,
        Finish::Completed => Outcome::Success,
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
    let mut writer = RowWriter::new(open_output(args.capture.output.as_deref())?, format);
    let mut failed = prepared.failed;
    let notes = prepared.notes.clone();
    // A table shows each capture as one aligned block, so its rows wait for the capture's end;
    // the other formats write each row as soon as its connection is over.
    let mut table_rows: HashMap<String, Vec<Row>> = HashMap::new();
    let finish = runner::run(
        &prepared.tshark,
        prepared.captures,
        prepared.filter,
        prepared.jobs,
        &prepared.notes,
        |event| {
            match event {
                Event::Row(row) if format == Format::Table => {
                    table_rows.entry(row.file.clone()).or_default().push(*row)
                }
                Event::Row(row) => writer.write_batch(std::slice::from_ref(row.as_ref()))?,
                Event::CaptureDone { path, problem } => {
                    let file = path.display().to_string();
                    if let Some(rows) = table_rows.remove(&file) {
                        writer.write_batch(&rows)?;
                    }
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
    writer.finish()?;
    Ok(outcome(finish, failed))
}
