//! Reading many captures at once: one worker per capture, `jobs` at a time, connections handed to
//! the caller (on the calling thread) in input order, a progress bar on stderr when it is a
//! terminal, and Ctrl-C handled so that the caller can finish its output cleanly. With fewer
//! captures than jobs, each worker's engine reads on a thread of its own while the worker folds.

use std::collections::{HashMap, VecDeque};
use std::io::{IsTerminal, Write};
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::clock::ClockCheck;
use crate::model::finished::Finished;
use crate::model::fold::Connections;
use crate::model::packet::LabelledPacket;
use crate::model::row::Row;
use crate::run::engine::Engine;
use crate::run::tshark::RunReport;

/// What the caller is told, on its own thread.
#[derive(Debug)]
pub enum Event {
    /// A finished connection of the capture `row.file` (with its ladder when asked for).
    Connection(Box<Finished>),
    /// Finished connections formatted already by the [`FormatRow`] given to [`run`]: their
    /// records, one after another, and how many there are.
    Records { records: Vec<u8>, rows: u64 },
    /// A capture was read to its end: all its connections came before this, after the previous
    /// capture's `CaptureDone` (captures come one at a time, in input order).
    CaptureDone {
        path: PathBuf,
        problem: Option<String>,
    },
    /// Nothing else is ready yet: the caller's thread is about to wait (a time to flush output).
    Idle,
}

/// How the caller wants the connections.
pub enum Delivery {
    /// As rows ([`Event::Connection`]), each with its ladder when `ladders`.
    Rows { ladders: bool },
    /// As records ([`Event::Records`]), formatted by the workers.
    Records(FormatRow),
}

pub enum Finish {
    Completed,
    Interrupted,
}

/// Formats a row as a record of its own (a line), on the worker's thread: where the caller's
/// thread would otherwise format every worker's rows, the workers share that work. Formatting into
/// memory cannot fail; an error is a bug, reported as one for the capture.
pub type FormatRow = Arc<dyn Fn(&Row, &mut Vec<u8>) -> std::io::Result<()> + Send + Sync>;

enum Message {
    /// Finished connections of one capture, in the order they finished.
    Connections(Vec<Finished>),
    /// Finished connections formatted by the [`FormatRow`], and how many.
    Records(Vec<u8>, u64),
    CaptureDone {
        path: PathBuf,
        problem: Option<String>,
    },
}

/// At most this many finished connections go to the caller's thread at once...
const BATCH: usize = 64;
/// ...and a worker holds one back for at most about this long (checked as packets arrive). Waking
/// the caller's thread for every connection would cost as much as reading the connection.
const BATCH_DELAY: Duration = Duration::from_millis(100);

/// How many messages a capture's queue holds before its worker waits: few while the caller's
/// thread writes that capture (the worker would only pile rows up), many while an earlier capture
/// is being written (the worker reads on: a capture's rows wait for the captures before it). The
/// captures read ahead share [`AHEAD_MESSAGES`], so memory does not grow with --jobs.
const HEAD_MESSAGES: usize = 64;
const AHEAD_MESSAGES: usize = 2048;

/// One capture's messages, from its worker to the caller's thread.
struct Queue {
    messages: Mutex<VecDeque<Message>>,
    changed: Condvar,
    /// Whether the caller's thread is writing this capture now.
    is_head: AtomicBool,
    /// Messages held before the worker waits while another capture is written.
    ahead_limit: usize,
}

impl Queue {
    fn new(ahead_limit: usize) -> Self {
        Queue {
            messages: Mutex::new(VecDeque::new()),
            changed: Condvar::new(),
            is_head: AtomicBool::new(false),
            ahead_limit,
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Message>> {
        self.messages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `message`, first waiting for room.
    fn push(&self, message: Message) {
        let mut messages = self.lock();
        loop {
            let limit = if self.is_head.load(Ordering::SeqCst) {
                HEAD_MESSAGES
            } else {
                self.ahead_limit
            };
            if messages.len() < limit {
                break;
            }
            messages = self
                .changed
                .wait(messages)
                .unwrap_or_else(PoisonError::into_inner);
        }
        messages.push_back(message);
        self.changed.notify_all();
    }

    /// The next message, waiting for one at most `patience`.
    fn pop(&self, patience: Duration) -> Option<Message> {
        let mut messages = self.lock();
        if messages.is_empty() && !patience.is_zero() {
            messages = self
                .changed
                .wait_timeout(messages, patience)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        let message = messages.pop_front();
        if message.is_some() {
            self.changed.notify_all();
        }
        message
    }

    /// The caller's thread writes this capture from now on.
    fn make_head(&self) {
        self.is_head.store(true, Ordering::SeqCst);
        let _messages = self.lock();
        self.changed.notify_all();
    }
}

/// A worker's finished connections, on their way to the caller's thread in batches.
struct Outbox {
    queue: Arc<Queue>,
    held: Vec<Finished>,
    /// With a [`FormatRow`], the records of the connections held instead, and their count.
    format: Option<FormatRow>,
    records: Vec<u8>,
    record_count: u64,
    /// When the oldest connection held finished.
    oldest: Instant,
}

impl Outbox {
    fn new(queue: Arc<Queue>, format: Option<FormatRow>) -> Self {
        Outbox {
            queue,
            held: Vec::new(),
            format,
            records: Vec::new(),
            record_count: 0,
            oldest: Instant::now(),
        }
    }

    fn held_count(&self) -> usize {
        self.held.len() + self.record_count as usize
    }

    fn push(&mut self, finished: Finished) {
        if self.held_count() == 0 {
            self.oldest = Instant::now();
        }
        match &self.format {
            Some(format) => {
                if let Err(error) = format(&finished.row, &mut self.records) {
                    panic!("formatting a row in memory failed: {error}");
                }
                self.record_count += 1;
            }
            None => self.held.push(finished),
        }
        if self.held_count() >= BATCH {
            self.send();
        }
    }

    /// Sends the connections held if the oldest has waited long enough.
    fn send_if_due(&mut self) {
        if self.held_count() > 0 && self.oldest.elapsed() >= BATCH_DELAY {
            self.send();
        }
    }

    fn send(&mut self) {
        if !self.held.is_empty() {
            self.queue
                .push(Message::Connections(mem::take(&mut self.held)));
        }
        if self.record_count > 0 {
            let records = mem::take(&mut self.records);
            self.queue
                .push(Message::Records(records, self.record_count));
            self.record_count = 0;
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

    /// `out`, for output that goes to the terminal the progress bar is on: the bar is cleared
    /// before each write and drawn again after, so that no stale bar line is left between rows.
    pub fn beside_bar<W: Write>(&self, out: W) -> BesideBar<W> {
        BesideBar {
            out,
            bar: self.bar.clone(),
        }
    }
}

/// See [`Notes::beside_bar`].
pub struct BesideBar<W> {
    out: W,
    bar: ProgressBar,
}

impl<W: Write> Write for BesideBar<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let BesideBar { out, bar } = self;
        bar.suspend(|| out.write(bytes))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let BesideBar { out, bar } = self;
        bar.suspend(|| out.flush())
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
    reading: Reading,
    outbox: &mut Outbox,
    notes: &Notes,
) -> Option<String> {
    // `-` is read from the spool of standard input.
    let file = engine.file_to_read(path);
    let selection = match (filter, engine.tshark()) {
        (None, _) => None,
        (Some(_), None) => return Some("-Y needs tshark, which this run cannot use".to_owned()),
        (Some(filter), Some(tshark)) => match tshark.matching_streams(file, filter) {
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
    let mut connections = Connections::new(&path.display().to_string(), reading.draw_ladders);
    let mut rows = 0usize;
    let mut clock = ClockCheck::default();
    let mut fold = |packet: LabelledPacket| {
        clock.observe(packet.frame, packet.time);
        let followed_no_more = connections.add(&packet, &mut |finished| {
            if selected(&finished) {
                rows += 1;
                outbox.push(finished);
            }
        });
        outbox.send_if_due();
        followed_no_more
    };
    let note = |note: &str| notes.say(note);
    let report = if reading.two_threads {
        packets_on_two_threads(engine, path, &mut fold, &note)
    } else {
        engine.packets(path, &mut fold, &note)
    };
    let lost = connections.finish(&mut |finished| {
        if selected(&finished) {
            rows += 1;
            outbox.push(finished);
        }
    });
    outbox.send();
    let mut problems = Vec::new();
    if let Some(lost) = lost {
        problems.push(format!("some rows were lost: {lost}"));
    }
    let report = match report {
        Ok(report) => report,
        Err(error) => {
            problems.insert(0, format!("{error:#}"));
            return Some(problems.join("; "));
        }
    };
    if let Some(warning) = clock.warning() {
        notes.say(&format!("{}: {warning}", path.display()));
    }
    if clock.packets() == 0 && report.failure.is_none() {
        notes.say(&format!(
            "{}: no TCP packets in this capture",
            path.display()
        ));
    }
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

/// How a worker reads its capture.
#[derive(Debug, Clone, Copy)]
struct Reading {
    draw_ladders: bool,
    /// Whether the engine reads on a thread of its own while the worker folds: when there are
    /// fewer captures than jobs, so that a core would otherwise idle.
    two_threads: bool,
}

/// Packets go from the reading thread to the folding one this many at a time...
const PACKET_BATCH: usize = 1024;
/// ...with at most this many batches on their way, so that memory stays bounded.
const PACKET_BATCHES_ON_THE_WAY: usize = 4;

/// [`Engine::packets`], with the engine on a thread of its own and `on_packet` on this one. The
/// streams `on_packet` is done with reach the engine a batch or two later than on one thread,
/// which only delays the engine's forgetting them: the fold takes no packet of a stream it is
/// done with.
fn packets_on_two_threads(
    engine: &Engine,
    path: &Path,
    on_packet: &mut dyn FnMut(LabelledPacket) -> Vec<u64>,
    note: &(dyn Fn(&str) + Sync),
) -> Result<RunReport> {
    let (batches, batches_in) =
        mpsc::sync_channel::<Vec<LabelledPacket>>(PACKET_BATCHES_ON_THE_WAY);
    let (done_streams, done_streams_in) = mpsc::channel::<Vec<u64>>();
    thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut batch = Vec::with_capacity(PACKET_BATCH);
            let report = engine.packets(
                path,
                &mut |packet| {
                    batch.push(packet);
                    if batch.len() < PACKET_BATCH {
                        return Vec::new();
                    }
                    // A folding thread gone (a panic, reported there) only ends the batches.
                    let _ =
                        batches.send(mem::replace(&mut batch, Vec::with_capacity(PACKET_BATCH)));
                    done_streams_in.try_iter().flatten().collect()
                },
                note,
            );
            let _ = batches.send(batch);
            report
        });
        for batch in batches_in {
            for packet in batch {
                let done = on_packet(packet);
                if !done.is_empty() {
                    // The reader may be done already.
                    let _ = done_streams.send(done);
                }
            }
        }
        reader
            .join()
            .unwrap_or_else(|panic| panic::resume_unwind(panic))
    })
}

/// How often a waiting caller's thread looks for Ctrl-C.
const POLL: Duration = Duration::from_millis(50);

/// Reads `captures` with up to `jobs` workers and calls `on_event` with their connections and
/// their ends, in the order of `captures` (a capture's connections in stream order), whatever
/// the number of workers: each worker reads a capture into a queue of its own, and the caller's
/// thread empties the queues in order. With a display filter, the connections are those with at
/// least one matching packet, whole; when there is none, a note on stderr says so. Returns early,
/// without waiting for running tsharks, on Ctrl-C.
pub fn run(
    engine: &Engine,
    captures: Vec<PathBuf>,
    filter: Option<String>,
    jobs: usize,
    notes: &Notes,
    delivery: Delivery,
    mut on_event: impl FnMut(Event) -> Result<()>,
) -> Result<Finish> {
    let (draw_ladders, format_row) = match delivery {
        Delivery::Rows { ladders } => (ladders, None),
        Delivery::Records(format) => (false, Some(format)),
    };
    let total = captures.len();
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = Arc::clone(&interrupted);
        // Fails only when a handler is already installed, and then that one stops the run.
        let _ = ctrlc::set_handler(move || interrupted.store(true, Ordering::SeqCst));
    }
    // Each worker names the capture it took and hands over the queue it reads it into.
    let (queues, queue_of) = mpsc::channel::<(usize, Arc<Queue>)>();

    let captures = Arc::new(captures);
    let next = Arc::new(AtomicUsize::new(0));
    let filter = Arc::new(filter);
    let mut connections = 0u64;
    let workers = jobs.clamp(1, total.max(1));
    let two_threads = jobs > workers;
    // At most every worker but one reads ahead of the capture being written.
    let ahead_limit = (AHEAD_MESSAGES / workers.saturating_sub(1).max(1)).max(HEAD_MESSAGES);
    for _ in 0..workers {
        let (engine, notes, captures, next, filter, queues, interrupted, format_row) = (
            engine.clone(),
            notes.clone(),
            Arc::clone(&captures),
            Arc::clone(&next),
            Arc::clone(&filter),
            queues.clone(),
            Arc::clone(&interrupted),
            format_row.clone(),
        );
        // Detached, so that an interrupted run need not wait for a tshark still reading.
        thread::spawn(move || loop {
            let index = next.fetch_add(1, Ordering::SeqCst);
            if index >= captures.len() || interrupted.load(Ordering::SeqCst) {
                break;
            }
            let path = &captures[index];
            let queue = Arc::new(Queue::new(ahead_limit));
            if queues.send((index, Arc::clone(&queue))).is_err() {
                break;
            }
            let mut outbox = Outbox::new(Arc::clone(&queue), format_row.clone());
            // A bug must cost one capture, not hang the run waiting for it.
            let problem = panic::catch_unwind(AssertUnwindSafe(|| {
                read_capture(
                    &engine,
                    path,
                    filter.as_deref(),
                    Reading {
                        draw_ladders,
                        two_threads,
                    },
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
            queue.push(Message::CaptureDone {
                path: path.clone(),
                problem,
            });
        });
    }
    drop(queues);

    // Queues of captures after the one being written, by capture.
    let mut ahead: HashMap<usize, Arc<Queue>> = HashMap::new();
    let stopped = || interrupted.load(Ordering::SeqCst);
    for index in 0..total {
        let queue = loop {
            if let Some(queue) = ahead.remove(&index) {
                break queue;
            }
            match queue_of.recv_timeout(POLL) {
                Ok((taken, queue)) => {
                    ahead.insert(taken, queue);
                }
                Err(RecvTimeoutError::Timeout) if !stopped() => {}
                Err(_) => return Ok(Finish::Interrupted),
            }
        };
        queue.make_head();
        loop {
            let message = match queue.pop(Duration::ZERO) {
                Some(message) => message,
                None => {
                    on_event(Event::Idle)?;
                    match queue.pop(POLL) {
                        Some(message) => message,
                        None if stopped() => return Ok(Finish::Interrupted),
                        None => continue,
                    }
                }
            };
            if stopped() {
                return Ok(Finish::Interrupted);
            }
            match message {
                Message::Records(records, rows) => {
                    connections += rows;
                    on_event(Event::Records { records, rows })?;
                }
                Message::Connections(batch) => {
                    for connection in batch {
                        if stopped() {
                            return Ok(Finish::Interrupted);
                        }
                        connections += 1;
                        on_event(Event::Connection(Box::new(connection)))?;
                    }
                }
                Message::CaptureDone { path, problem } => {
                    notes.advance(&path);
                    on_event(Event::CaptureDone { path, problem })?;
                    break;
                }
            }
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
    use crate::model::finished::tests::finished;

    fn batches(queue: &Queue) -> Vec<Vec<u64>> {
        std::iter::from_fn(|| queue.pop(Duration::ZERO))
            .map(|message| match message {
                Message::Connections(batch) => batch.iter().map(|f| f.row.stream).collect(),
                _ => panic!("only connections are sent"),
            })
            .collect()
    }

    #[test]
    fn connections_go_in_batches_and_none_waits_long() {
        let receiver = Arc::new(Queue::new(AHEAD_MESSAGES));
        let mut outbox = Outbox::new(Arc::clone(&receiver), None);
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

    #[test]
    fn with_a_format_connections_go_as_records_in_batches() {
        let receiver = Arc::new(Queue::new(AHEAD_MESSAGES));
        let format: FormatRow = Arc::new(|row: &Row, line: &mut Vec<u8>| {
            line.extend_from_slice(format!("{}\n", row.stream).as_bytes());
            Ok(())
        });
        let mut outbox = Outbox::new(Arc::clone(&receiver), Some(format));
        for stream in 0..BATCH as u64 + 1 {
            outbox.push(finished(stream));
        }
        outbox.send();
        let sent: Vec<(String, u64)> = std::iter::from_fn(|| receiver.pop(Duration::ZERO))
            .map(|message| match message {
                Message::Records(records, rows) => (String::from_utf8(records).unwrap(), rows),
                _ => panic!("only records are sent"),
            })
            .collect();
        let first: String = (0..BATCH).map(|stream| format!("{stream}\n")).collect();
        assert_eq!(sent, vec![(first, BATCH as u64), (format!("{BATCH}\n"), 1)]);
    }
}
