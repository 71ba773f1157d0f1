//! Robustness: over the tcpdump test suite's 830 captures (many protocols, many malformed or
//! truncated packets) tshark with tcpwave exits as it does without, prints the same dissection of
//! every other protocol, and says nothing new on stderr.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::Instant;

use tcpwave_tests::{captures, fields_args, name, PrivateTshark};

/// A broad look at each packet's dissection by everything but tcpwave.
const FIELDS: &[&str] = &[
    "frame.number",
    "frame.protocols",
    "frame.len",
    "_ws.col.Protocol",
    "_ws.col.Source",
    "_ws.col.Destination",
    "_ws.col.Info",
    "_ws.malformed",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.stream",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq",
    "tcp.ack",
    "tcp.len",
    "tcp.analysis.flags",
    "udp.stream",
];

/// What tcpwave did to one capture.
struct Outcome {
    problems: Vec<String>,
    labelled: usize,
}

fn check(with: &PrivateTshark, without: &PrivateTshark, capture: &Path) -> Outcome {
    let copy = with.readable_copy(capture);
    let read = ["-r".to_string(), copy.to_string_lossy().into_owned()];
    let plain = without.run(read.iter().cloned().chain(fields_args(FIELDS)));
    // One more column with tcpwave, last, to see which packets it labels.
    let with_phase: Vec<&str> = FIELDS.iter().copied().chain(["tcpwave.phase"]).collect();
    let labelled_run = with.run(read.iter().cloned().chain(fields_args(&with_phase)));
    let mut problems = Vec::new();

    if plain.outcome() != labelled_run.outcome() {
        problems.push(format!(
            "exit: {} with tcpwave, {} without",
            labelled_run.outcome(),
            plain.outcome()
        ));
    }
    let plain_lines: Vec<&str> = plain.stdout.lines().collect();
    let labelled_lines: Vec<&str> = labelled_run.stdout.lines().collect();
    if plain_lines.len() != labelled_lines.len() {
        problems.push(format!(
            "{} lines of output with tcpwave, {} without",
            labelled_lines.len(),
            plain_lines.len()
        ));
    }
    let (mut labelled, mut differing, mut not_tcp) = (0, 0, 0);
    for (number, (a, b)) in plain_lines.iter().zip(&labelled_lines).enumerate() {
        let (b, phase) = b.rsplit_once('\t').unwrap_or((b, ""));
        if b != *a {
            differing += 1;
            if differing == 1 {
                problems.push(format!(
                    "first differing line, {}:\n      without: {a}\n      with:    {b}",
                    number + 1
                ));
            }
        }
        if !phase.is_empty() {
            labelled += 1;
            let protocols = b.split('\t').nth(1).unwrap_or("");
            if !protocols.split(':').any(|layer| layer == "tcp") {
                not_tcp += 1;
                if not_tcp == 1 {
                    problems.push(format!(
                        "line {}: tcpwave labels a packet without TCP ({protocols})",
                        number + 1
                    ));
                }
            }
        }
    }
    if differing > 1 {
        problems.push(format!("{differing} lines differ in all"));
    }
    if not_tcp > 1 {
        problems.push(format!("{not_tcp} packets without TCP labelled in all"));
    }
    for line in labelled_run.stderr.lines() {
        if line.to_lowercase().contains("tcpwave") {
            problems.push(format!("stderr mentions tcpwave: {line}"));
        } else if !plain.stderr.lines().any(|plain_line| plain_line == line) {
            problems.push(format!("stderr only with tcpwave: {line}"));
        }
    }
    Outcome { problems, labelled }
}

#[test]
fn tcpwave_changes_nothing_else_on_the_tcpdump_corpus() {
    let files = captures("tcpdump");
    let with = PrivateTshark::with_plugin();
    let without = PrivateTshark::without_plugin();
    let workers = thread::available_parallelism().map_or(2, |n| n.get());
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let labelled = AtomicUsize::new(0);
    let started = Instant::now();
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(capture) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = check(&with, &without, capture);
                    labelled.fetch_add(outcome.labelled, Ordering::Relaxed);
                    if !outcome.problems.is_empty() {
                        failures.lock().unwrap().push(format!(
                            "{}:\n    {}",
                            name(capture),
                            outcome.problems.join("\n    ")
                        ));
                    }
                }
            });
        }
    });
    let labelled = labelled.into_inner();
    // Shown with --nocapture: the sweep is the slowest test.
    eprintln!(
        "tcpdump sweep: {} files, 2 tshark runs each, {workers} at a time, {:.1?}; tcpwave labelled {labelled} packets",
        files.len(),
        started.elapsed()
    );
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} tcpdump captures fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    // The corpus has plenty of TCP: none labelled means the plugin did not run.
    assert!(
        labelled > 0,
        "tcpwave labelled no packet of the tcpdump corpus"
    );
}
