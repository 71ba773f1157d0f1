//! Reading many captures at once: one tshark per capture, `jobs` at a time, connections handed to
//! the caller (on the calling thread) as they finish, a progress bar on stderr when it is a
//! terminal, and Ctrl-C handled so that the caller can finish its output cleanly.

use std::io::IsTerminal;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::fold::{Connections, Finished};
use crate::run::engine::Engine;

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
    /// Nothing else is ready yet: the caller's thread is about to wait (a time to flush output).
    Idle,
}

pub enum Finish {
    Completed,
    Interrupted,
}

enum Message {
    /// Finished connections of one capture, in the order they finished.
    Connections(Vec<Finished>),
    CaptureDone {
        path: PathBuf,
        problem: Option<String>,
    },
    Interrupted,
}

/// At most this many finished connections go to the caller's thread at once...
const BATCH: usize = 64;
/// ...and a worker holds one back for at most about this long (checked as packets arrive). Waking
/// the caller's thread for every connection would cost as much as reading the connection.
const BATCH_DELAY: Duration = Duration::from_millis(100);

/// A worker's finished connections, on their way to the caller's thread in batches.
struct Outbox {
    sender: SyncSender<Message>,
    held: Vec<Finished>,
    /// When the oldest connection held finished.
    oldest: Instant,
}

impl Outbox {
    fn new(sender: SyncSender<Message>) -> Self {
        Outbox {
            sender,
            held: Vec::new(),
            oldest: Instant::now(),
        }
    }

    fn push(&mut self, finished: Finished) {
        if self.held.is_empty() {
            self.oldest = Instant::now();
        }
        self.held.push(finished);
        if self.held.len() >= BATCH {
            self.send();
        }
    }

    /// Sends the connections held if the oldest has waited long enough.
    fn send_if_due(&mut self) {
        if !self.held.is_empty() && self.oldest.elapsed() >= BATCH_DELAY {
            self.send();
        }
    }

    fn send(&mut self) {
        if !self.held.is_empty() {
            // Fails only when the caller stopped listening (Ctrl-C): nothing left to do then.
            let _ = self
                .sender
                .send(Message::Connections(mem::take(&mut self.held)));
        }
    }
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
///
/// With a display filter, only the connections with at least one packet matching it are handed
/// out, each whole: a first tshark run finds those connections (their `tcp.stream` numbers),
/// then every packet of the capture is read as without a filter, and the rows of the others are
/// dropped once folded. Folding them too keeps the selected rows exactly as they are without a
/// filter: when a closed connection's row is written depends on the capture's clock, which every
/// packet moves.
fn read_capture(
    engine: &Engine,
    path: &Path,
    filter: Option<&str>,
    draw_ladders: bool,
    outbox: &mut Outbox,
    notes: &Notes,
) -> Option<String> {
    let selection = match (filter, engine.tshark()) {
        (None, _) => None,
        (Some(_), None) => return Some("-Y needs tshark, which this run cannot use".to_owned()),
        (Some(filter), Some(tshark)) => match tshark.matching_streams(path, filter) {
            Err(error) => return Some(format!("{error:#}")),
            // Nothing to report; a failure is the file's, and the full run would only repeat it.
            Ok(selection) if selection.streams.is_empty() => return selection.failure,
            // A failure (a file cut short) comes again from the full run, which reports it.
            Ok(selection) => Some(selection.streams),
        },
    };
    let selected = |finished: &Finished| {
        selection
            .as_ref()
            .is_none_or(|streams| streams.contains(finished.row.stream))
    };
    let mut connections = Connections::new(&path.display().to_string(), draw_ladders);
    let mut rows = 0usize;
    let report = engine.packets(
        path,
        &mut |packet| {
            let mut over = Vec::new();
            let stream = packet.stream;
            let counted = connections.add(&packet, &mut |finished| {
                over.push(finished.row.stream);
                if selected(&finished) {
                    rows += 1;
                    outbox.push(finished);
                }
            });
            if !counted {
                over.push(stream);
            }
            outbox.send_if_due();
            over
        },
        &|note| notes.say(note),
    );
    connections.finish(&mut |finished| {
        if selected(&finished) {
            rows += 1;
            outbox.push(finished);
        }
    });
    outbox.send();
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
/// connections and their ends. With a display filter, the connections are those with at least
/// one matching packet, whole; when there is none, a note on stderr says so. Returns early,
/// without waiting for running tsharks, on Ctrl-C.
pub fn run(
    engine: &Engine,
    captures: Vec<PathBuf>,
    filter: Option<String>,
    jobs: usize,
    notes: &Notes,
    draw_ladders: bool,
    mut on_event: impl FnMut(Event) -> Result<()>,
) -> Result<Finish> {
    let total = captures.len();
    // Bounded, so that workers wait for a slow writer instead of piling up rows.
    let (sender, receiver) = mpsc::sync_channel(4096 / BATCH);
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
    let mut connections = 0u64;
    for _ in 0..jobs.clamp(1, total.max(1)) {
        let (engine, notes, captures, next, filter, sender, interrupted) = (
            engine.clone(),
            notes.clone(),
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
            let mut outbox = Outbox::new(sender.clone());
            // A bug must cost one capture, not hang the run waiting for it.
            let problem = panic::catch_unwind(AssertUnwindSafe(|| {
                read_capture(
                    &engine,
                    path,
                    filter.as_deref(),
                    draw_ladders,
                    &mut outbox,
                    &notes,
                )
            }))
            .unwrap_or_else(|_| {
                Some(
                    "tcpwave hit an internal error reading this capture (please report it with \
                     the capture)"
                        .to_owned(),
                )
            });
            let done = Message::CaptureDone {
                path: path.clone(),
                problem,
            };
            if sender.send(done).is_err() {
                break;
            }
        });
    }
    drop(sender);

    let mut finished = 0;
    while finished < total {
        let message = match receiver.try_recv() {
            Ok(message) => message,
            Err(TryRecvError::Empty) => {
                on_event(Event::Idle)?;
                match receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ok(Finish::Interrupted),
                }
            }
            Err(TryRecvError::Disconnected) => return Ok(Finish::Interrupted),
        };
        if interrupted.load(Ordering::SeqCst) {
            return Ok(Finish::Interrupted);
        }
        match message {
            Message::Connections(batch) => {
                for connection in batch {
                    if interrupted.load(Ordering::SeqCst) {
                        return Ok(Finish::Interrupted);
                    }
                    connections += 1;
                    on_event(Event::Connection(Box::new(connection)))?;
                }
            }
            Message::CaptureDone { path, problem } => {
                finished += 1;
                notes.advance(&path);
                on_event(Event::CaptureDone { path, problem })?;
            }
            Message::Interrupted => return Ok(Finish::Interrupted),
        }
    }
    if let Some(filter) = filter.as_deref() {
        if connections == 0 && total > 0 {
            notes.say(&format!(
                "no connection has a packet matching the display filter `{filter}`"
            ));
        }
    }
    Ok(Finish::Completed)
}

pub fn default_jobs() -> usize {
    thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::row::tests::sample;

    fn finished(stream: u64) -> Finished {
        Finished {
            row: sample(stream),
            ladder: None,
        }
    }

    fn batches(receiver: &mpsc::Receiver<Message>) -> Vec<Vec<u64>> {
        receiver
            .try_iter()
            .map(|message| match message {
                Message::Connections(batch) => batch.iter().map(|f| f.row.stream).collect(),
                _ => panic!("only connections are sent"),
            })
            .collect()
    }

    #[test]
    fn connections_go_in_batches_and_none_waits_long() {
        let (sender, receiver) = mpsc::sync_channel(16);
        let mut outbox = Outbox::new(sender);
        for stream in 0..BATCH as u64 + 1 {
            outbox.push(finished(stream));
        }
        let sent = batches(&receiver);
        assert_eq!(sent, vec![(0..BATCH as u64).collect::<Vec<_>>()]);

        // The one left is sent once it has waited BATCH_DELAY, not before.
        outbox.send_if_due();
        assert!(batches(&receiver).is_empty());
        outbox.oldest -= BATCH_DELAY;
        outbox.send_if_due();
        assert_eq!(batches(&receiver), vec![vec![BATCH as u64]]);

        // Nothing held: nothing sent.
        outbox.send();
        outbox.send_if_due();
        assert!(batches(&receiver).is_empty());
    }
}
