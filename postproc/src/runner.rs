//! Reading many captures at once: one tshark per capture, `jobs` at a time, results handed to
//! the caller (on the calling thread) as each capture finishes, a progress bar on stderr when it
//! is a terminal, and Ctrl-C handled so that the caller can finish its output cleanly.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::connection::Connections;
use crate::row::Row;
use crate::tshark::Tshark;

/// One capture's rows, and what went wrong reading it, if anything.
#[derive(Debug)]
pub struct CaptureResult {
    pub path: PathBuf,
    pub rows: Vec<Row>,
    pub problem: Option<String>,
}

pub enum Finish {
    Completed,
    Interrupted,
}

enum Message {
    Done(CaptureResult),
    Interrupted,
}

/// Messages for stderr that do not tear the progress bar.
#[derive(Clone)]
pub struct Notes {
    bar: ProgressBar,
}

impl Notes {
    pub fn new(total: usize) -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} captures {elapsed} {wide_msg}")
                    .expect("the template is valid"),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        Notes { bar }
    }

    pub fn say(&self, message: &str) {
        self.bar.suspend(|| eprintln!("tcpwave: {message}"));
    }

    fn advance(&self, finished: &std::path::Path) {
        self.bar.set_message(finished.display().to_string());
        self.bar.inc(1);
    }

    pub fn done(&self) {
        self.bar.finish_and_clear();
    }
}

pub fn read_capture(tshark: &Tshark, path: PathBuf, filter: Option<&str>) -> CaptureResult {
    let mut connections = Connections::default();
    let file = path.display().to_string();
    match tshark.packets(&path, filter, |packet| connections.add(&packet)) {
        Ok(report) => {
            let rows = connections.into_rows(&file);
            let mut problems = Vec::new();
            if let Some(failure) = report.failure {
                problems.push(if rows.is_empty() {
                    failure
                } else {
                    format!("{failure} (reported the {} connections read before that)", rows.len())
                });
            }
            if report.unreadable_lines > 0 {
                problems.push(format!(
                    "{} lines of tshark output could not be read, first: {}",
                    report.unreadable_lines,
                    report.first_unreadable.unwrap_or_default()
                ));
            }
            let problem = (!problems.is_empty()).then(|| problems.join("; "));
            CaptureResult { path, rows, problem }
        }
        Err(error) => CaptureResult { path, rows: Vec::new(), problem: Some(format!("{error:#}")) },
    }
}

/// Reads `captures` with up to `jobs` tshark processes and calls `on_result` for each, in the
/// order they finish. Returns early, without waiting for running tsharks, on Ctrl-C.
pub fn run(
    tshark: &Tshark,
    captures: Vec<PathBuf>,
    filter: Option<String>,
    jobs: usize,
    notes: &Notes,
    mut on_result: impl FnMut(CaptureResult) -> Result<()>,
) -> Result<Finish> {
    let total = captures.len();
    let (sender, receiver) = mpsc::channel();
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let sender = sender.clone();
        let interrupted = Arc::clone(&interrupted);
        // Fails only when a handler is already installed, and then that one stops the run.
        let _ = ctrlc::set_handler(move || {
            interrupted.store(true, Ordering::SeqCst);
            let _ = sender.send(Message::Interrupted);
        });
    }

    let captures = Arc::new(captures);
    let next = Arc::new(AtomicUsize::new(0));
    let filter = Arc::new(filter);
    for _ in 0..jobs.clamp(1, total.max(1)) {
        let (tshark, captures, next, filter, sender, interrupted) = (
            tshark.clone(),
            Arc::clone(&captures),
            Arc::clone(&next),
            Arc::clone(&filter),
            sender.clone(),
            Arc::clone(&interrupted),
        );
        // Detached, so that an interrupted run need not wait for a tshark still reading.
        thread::spawn(move || loop {
            let index = next.fetch_add(1, Ordering::SeqCst);
            if index >= captures.len() || interrupted.load(Ordering::SeqCst) {
                break;
            }
            let result = read_capture(&tshark, captures[index].clone(), filter.as_deref());
            if sender.send(Message::Done(result)).is_err() {
                break;
            }
        });
    }
    drop(sender);

    for _ in 0..total {
        match receiver.recv() {
            Ok(Message::Done(result)) => {
                if interrupted.load(Ordering::SeqCst) {
                    return Ok(Finish::Interrupted);
                }
                notes.advance(&result.path);
                on_result(result)?;
            }
            Ok(Message::Interrupted) | Err(_) => return Ok(Finish::Interrupted),
        }
    }
    Ok(Finish::Completed)
}

pub fn default_jobs() -> usize {
    thread::available_parallelism().map(usize::from).unwrap_or(1)
}
