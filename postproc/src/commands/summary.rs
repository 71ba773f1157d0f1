//! `tcpwave summary`: totals per capture and overall.

use std::io::Write;
use std::mem;

use anyhow::Result;

use crate::commands::captures::{outcome, prepare};
use crate::commands::cli::{SummaryArgs, SummaryFormat};
use crate::commands::outcome::Outcome;
use crate::model::tally::{Slowest, Tally};
use crate::render::output_file::open_output_beside;
use crate::render::summary_text::{slowest_block, text_block};
use crate::run::jobs::{self, Delivery, Event};
use crate::vocab::words::plural;

pub fn run(args: SummaryArgs) -> Result<Outcome> {
    let prepared = prepare(&args.capture)?;
    let mut out = open_output_beside(args.capture.output.as_deref(), &prepared.notes)?;
    let capture_count = prepared.captures.len();
    let notes = prepared.notes.clone();
    let mut failed = prepared.failed;
    let mut overall = Tally::default();
    let mut slowest = Slowest::new(args.top);
    let mut per_capture = Vec::new();
    // The capture being read: captures come one at a time.
    let mut capture_tally = Tally::default();
    let finish = jobs::run(
        &prepared.engine,
        prepared.captures,
        prepared.filter,
        prepared.jobs,
        &prepared.notes,
        Delivery::Rows { ladders: false },
        |event| {
            match event {
                Event::Connection(finished) => {
                    let row = &finished.row;
                    slowest.add(row);
                    capture_tally.add(row);
                }
                Event::Idle => {}
                Event::Records { .. } => unreachable!("summary asks for rows"),
                Event::CaptureDone { path, problem } => {
                    let file = path.display().to_string();
                    let mut tally = mem::take(&mut capture_tally);
                    overall.merge(&tally);
                    let report = tally.report(args.top);
                    match args.format {
                        SummaryFormat::Text => {
                            out.write_all(format!("{}\n", text_block(&file, &report)).as_bytes())?;
                            out.flush()?;
                        }
                        SummaryFormat::Json => {
                            per_capture.push(serde_json::json!({ "file": file, "summary": report }))
                        }
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
    let overall_report = overall.report(args.top);
    match args.format {
        SummaryFormat::Text => {
            let title = format!(
                "all {}",
                plural(capture_count as u64, "capture", "captures")
            );
            let text = text_block(&title, &overall_report) + &slowest_block(&slowest);
            out.write_all(text.as_bytes())?;
        }
        SummaryFormat::Json => {
            let document = serde_json::json!({
                "captures": per_capture,
                "overall": overall_report,
                "slowest_handshakes": slowest.entries(),
            });
            out.write_all(format!("{}\n", serde_json::to_string_pretty(&document)?).as_bytes())?;
        }
    }
    out.flush()?;
    Ok(outcome(finish, failed))
}
