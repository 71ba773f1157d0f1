//! Reading many captures at once: one tshark per capture, `jobs` at a time, connections handed to
//! the caller (on the calling thread) as they finish, a progress bar on stderr when it is a
//! terminal, and Ctrl-C handled so that the caller can finish its output cleanly.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::connection::{Connections, Finished};
use crate::tshark::Tshark;

/// What the caller is told, on its own thread.
#[derive(Debug)]
pub enum Event {
    /// A finished connection of the capture `row.file` (with its ladder when asked for).
    Connection(Box<Finished>),
    /// A capture was read to its end: all its connections came before this.
    CaptureDone {
        path: PathBuf,
        problem: Option<String>,
    },
}

pub enum Finish {
    Completed,
    Interrupted,
}

enum Message {
    Event(Event),
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
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
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

/// Reads one capture, handing out connections as they finish (drawing their ladders if asked);
/// returns what went wrong, if anything (the connections read before a failure are handed out
/// all the same).
pub fn read_capture(
    tshark: &Tshark,
    path: &Path,
    filter: Option<&str>,
    draw_ladders: bool,
    emit: &mut impl FnMut(Finished),
) -> Option<String> {
    let mut connections = Connections::new(&path.display().to_string(), draw_ladders);
    let mut rows = 0usize;
    let mut counted = |finished: Finished| {
        rows += 1;
        emit(finished);
    };
    let report = tshark.packets(path, filter, |packet| {
        connections.add(&packet, &mut counted)
    });
    connections.finish(&mut counted);
    let report = match report {
        Ok(report) => report,
        Err(error) => return Some(format!("{error:#}")),
    };
    let mut problems = Vec::new();
    if let Some(failure) = report.failure {
        problems.push(if rows == 0 {
            failure
        } else {
            format!("{failure} (reported the {rows} connections read before that)")
        });
    }
    if report.unreadable_lines > 0 {
        problems.push(format!(
            "{} lines of tshark output could not be read, first: {}",
            report.unreadable_lines,
            report.first_unreadable.unwrap_or_default()
        ));
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Reads `captures` with up to `jobs` tshark processes and calls `on_event` with their
/// connections and their ends. Returns early, without waiting for running tsharks, on Ctrl-C.
pub fn run(
    tshark: &Tshark,
    captures: Vec<PathBuf>,
    filter: Option<String>,
    jobs: usize,
    notes: &Notes,
    draw_ladders: bool,
    mut on_event: impl FnMut(Event) -> Result<()>,
) -> Result<Finish> {
    let total = captures.len();
    // Bounded, so that workers wait for a slow writer instead of piling up rows.
    let (sender, receiver) = mpsc::sync_channel(4096);
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
            let path = &captures[index];
            let mut send = |finished| {
                let _ = sender.send(Message::Event(Event::Connection(Box::new(finished))));
            };
            let problem = read_capture(&tshark, path, filter.as_deref(), draw_ladders, &mut send);
            let done = Event::CaptureDone {
                path: path.clone(),
                problem,
            };
            if sender.send(Message::Event(done)).is_err() {
                break;
            }
        });
    }
    drop(sender);

    let mut finished = 0;
    while finished < total {
        match receiver.recv() {
            Ok(Message::Event(event)) => {
                if interrupted.load(Ordering::SeqCst) {
                    return Ok(Finish::Interrupted);
                }
                if let Event::CaptureDone { path, .. } = &event {
                    finished += 1;
                    notes.advance(path);
                }
                on_event(event)?;
            }
            Ok(Message::Interrupted) | Err(_) => return Ok(Finish::Interrupted),
        }
    }
    Ok(Finish::Completed)
}

pub fn default_jobs() -> usize {
    thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
}
