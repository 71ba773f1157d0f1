//! `tcpwave summary`: totals per capture and overall.
//!
//! Percentiles use the nearest-rank method: p50 of n values is the ⌈0.5·n⌉-th smallest.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::cli::{SummaryArgs, SummaryFormat};
use crate::open_output;
use crate::report::{outcome, prepare};
use crate::row::Row;
use crate::runner::{self, Event};
use crate::seconds::Seconds;
use crate::Outcome;

/// The word for a verdict the plugin did not give (a one-pass view, or no packet carried it).
pub const UNKNOWN: &str = "unknown";

#[derive(Debug, Default, Clone)]
pub struct Tally {
    connections: u64,
    handshakes: BTreeMap<String, u64>,
    teardowns: BTreeMap<String, u64>,
    conn_states: BTreeMap<String, u64>,
    anomalies: BTreeMap<String, u64>,
    rtts: Vec<Seconds>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlowHandshake {
    pub rtt: f64,
    pub file: String,
    pub stream: u64,
    pub orig: String,
    pub resp: String,
}

/// A tally's totals: counts by verdict, state and anomaly (`unknown` for a missing verdict).
#[derive(Debug, Serialize)]
pub struct TallyReport {
    pub connections: u64,
    pub handshake: BTreeMap<String, u64>,
    pub teardown: BTreeMap<String, u64>,
    pub conn_state: BTreeMap<String, u64>,
    pub handshake_rtt: Option<Percentiles>,
    pub top_anomalies: Vec<(String, u64)>,
}

/// Nearest-rank percentiles of `values` (sorted here).
pub fn percentiles(values: &mut [Seconds]) -> Option<Percentiles> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = |p: f64| {
        let index = (p / 100.0 * values.len() as f64).ceil() as usize;
        values[index.clamp(1, values.len()) - 1].as_f64()
    };
    Some(Percentiles {
        count: values.len(),
        p50: rank(50.0),
        p90: rank(90.0),
        p99: rank(99.0),
        max: values[values.len() - 1].as_f64(),
    })
}

impl Tally {
    pub fn add(&mut self, row: &Row) {
        self.connections += 1;
        let word = |word: Option<&str>| word.unwrap_or(UNKNOWN).to_owned();
        *self
            .handshakes
            .entry(word(row.handshake.map(|v| v.as_str())))
            .or_default() += 1;
        *self
            .teardowns
            .entry(word(row.teardown.map(|v| v.as_str())))
            .or_default() += 1;
        *self
            .conn_states
            .entry(row.conn_state.to_owned())
            .or_default() += 1;
        for kind in &row.anomalies {
            *self.anomalies.entry(kind.as_str().to_owned()).or_default() += 1;
        }
        self.rtts.extend(row.handshake_rtt);
    }

    pub fn merge(&mut self, other: &Tally) {
        self.connections += other.connections;
        for (mine, theirs) in [
            (&mut self.handshakes, &other.handshakes),
            (&mut self.teardowns, &other.teardowns),
            (&mut self.conn_states, &other.conn_states),
            (&mut self.anomalies, &other.anomalies),
        ] {
            for (key, count) in theirs {
                *mine.entry(key.clone()).or_default() += count;
            }
        }
        self.rtts.extend_from_slice(&other.rtts);
    }

    /// The `top` most frequent anomalies, most frequent first.
    fn top_anomalies(&self, top: usize) -> Vec<(String, u64)> {
        let mut anomalies: Vec<(String, u64)> = self
            .anomalies
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        anomalies.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        anomalies.truncate(top);
        anomalies
    }

    /// The handshake round-trip times tallied, in no particular order.
    pub fn handshake_rtts(&self) -> &[Seconds] {
        &self.rtts
    }

    pub fn report(&mut self, top: usize) -> TallyReport {
        TallyReport {
            connections: self.connections,
            handshake: self.handshakes.clone(),
            teardown: self.teardowns.clone(),
            conn_state: self.conn_states.clone(),
            handshake_rtt: percentiles(&mut self.rtts),
            top_anomalies: self.top_anomalies(top),
        }
    }
}

/// The `top` slowest handshakes seen so far, slowest first.
#[derive(Debug, Default)]
pub struct Slowest {
    top: usize,
    entries: Vec<SlowHandshake>,
}

impl Slowest {
    pub fn new(top: usize) -> Self {
        Slowest {
            top,
            entries: Vec::new(),
        }
    }

    pub fn add(&mut self, row: &Row) {
        let Some(rtt) = row.handshake_rtt else { return };
        let rtt = rtt.as_f64();
        if self.entries.len() == self.top && self.entries.last().is_some_and(|last| last.rtt >= rtt)
        {
            return;
        }
        self.entries.push(SlowHandshake {
            rtt,
            file: row.file.clone(),
            stream: row.stream,
            orig: format!("{}:{}", row.orig.addr, row.orig.port),
            resp: format!("{}:{}", row.resp.addr, row.resp.port),
        });
        self.entries.sort_by(|a, b| b.rtt.total_cmp(&a.rtt));
        self.entries.truncate(self.top);
    }
}

fn counts(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "-".to_owned();
    }
    let mut entries: Vec<(&String, &u64)> = map.iter().collect();
    entries.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    entries
        .iter()
        .map(|(key, count)| format!("{key} {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn text_block(title: &str, report: &TallyReport) -> String {
    let mut text = format!(
        "{title}: {}\n",
        plural(report.connections, "connection", "connections")
    );
    let _ = writeln!(text, "  handshake   {}", counts(&report.handshake));
    let _ = writeln!(text, "  teardown    {}", counts(&report.teardown));
    let _ = writeln!(text, "  conn_state  {}", counts(&report.conn_state));
    let rtt = match &report.handshake_rtt {
        Some(p) => format!(
            "p50 {}  p90 {}  p99 {}  max {}  ({})",
            seconds(p.p50),
            seconds(p.p90),
            seconds(p.p99),
            seconds(p.max),
            plural(p.count as u64, "handshake", "handshakes")
        ),
        None => "no completed handshake".to_owned(),
    };
    let _ = writeln!(text, "  rtt         {rtt}");
    let anomalies: BTreeMap<String, u64> = report.top_anomalies.iter().cloned().collect();
    let _ = writeln!(
        text,
        "  anomalies   {}",
        if anomalies.is_empty() {
            "none".to_owned()
        } else {
            counts(&anomalies)
        }
    );
    text
}

fn seconds(value: f64) -> String {
    format!("{value:.6}")
}

pub fn run(args: SummaryArgs) -> Result<Outcome> {
    let prepared = prepare(&args.capture)?;
    let mut out = open_output(args.capture.output.as_deref())?;
    let capture_count = prepared.captures.len();
    let notes = prepared.notes.clone();
    let mut failed = prepared.failed;
    let mut overall = Tally::default();
    let mut slowest = Slowest::new(args.top);
    let mut per_capture = Vec::new();
    let mut tallies: HashMap<String, Tally> = HashMap::new();
    let finish = runner::run(
        &prepared.tshark,
        prepared.captures,
        prepared.filter,
        prepared.jobs,
        &prepared.notes,
        false,
        |event| {
            match event {
                Event::Connection(finished) => {
                    let row = &finished.row;
                    slowest.add(row);
                    tallies.entry(row.file.clone()).or_default().add(row);
                }
                Event::Idle => {}
                Event::CaptureDone { path, problem } => {
                    let file = path.display().to_string();
                    let mut tally = tallies.remove(&file).unwrap_or_default();
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
            let mut text = text_block(&title, &overall_report);
            text += "  slowest handshakes\n";
            if slowest.entries.is_empty() {
                text += "    none\n";
            }
            for entry in &slowest.entries {
                let _ = writeln!(
                    text,
                    "    {}  {} stream {}  {} -> {}",
                    seconds(entry.rtt),
                    entry.file,
                    entry.stream,
                    entry.orig,
                    entry.resp
                );
            }
            out.write_all(text.as_bytes())?;
        }
        SummaryFormat::Json => {
            let document = serde_json::json!({
                "captures": per_capture,
                "overall": overall_report,
                "slowest_handshakes": slowest.entries,
            });
            out.write_all(format!("{}\n", serde_json::to_string_pretty(&document)?).as_bytes())?;
        }
    }
    out.flush()?;
    Ok(outcome(finish, failed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::Endpoint;
    use tcpwave_core::{Anomaly, HandshakeVerdict, TeardownVerdict};

    fn row(
        stream: u64,
        rtt_micros: Option<i64>,
        handshake: HandshakeVerdict,
        anomalies: Vec<Anomaly>,
    ) -> Row {
        Row {
            file: "f.pcap".to_owned(),
            stream,
            orig: Endpoint {
                addr: "10.0.0.1".parse().unwrap(),
                port: 1000 + stream as u16,
            },
            resp: Endpoint {
                addr: "10.0.0.2".parse().unwrap(),
                port: 80,
            },
            start: Seconds::default(),
            duration: Seconds::default(),
            handshake: Some(handshake),
            handshake_steps: vec![],
            handshake_rtt: rtt_micros.map(|micros| Seconds::from_nanos(micros * 1000)),
            syn_to_synack: None,
            synack_to_ack: None,
            teardown: Some(TeardownVerdict::FourWay),
            teardown_steps: vec![],
            active_closer: None,
            teardown_duration: None,
            packets: 1,
            orig_bytes: 0,
            resp_bytes: 0,
            repeats: 0,
            anomalies,
            conn_state: "SF",
            history: String::new(),
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut values: Vec<Seconds> = (1..=100)
            .rev()
            .map(|ms| Seconds::from_nanos(ms * 1_000_000))
            .collect();
        let p = percentiles(&mut values).unwrap();
        assert_eq!(
            (p.count, p.p50, p.p90, p.p99, p.max),
            (100, 0.05, 0.09, 0.099, 0.1)
        );
        let mut one = vec![Seconds::from_nanos(7_000)];
        let p = percentiles(&mut one).unwrap();
        assert_eq!((p.p50, p.p99, p.max), (0.000007, 0.000007, 0.000007));
        assert_eq!(percentiles(&mut []), None);
    }

    #[test]
    fn tallies_count_verdicts_and_anomalies() {
        let mut tally = Tally::default();
        tally.add(&row(0, Some(30), HandshakeVerdict::Complete, vec![]));
        tally.add(&row(
            1,
            None,
            HandshakeVerdict::Refused,
            vec![Anomaly::Refused],
        ));
        tally.add(&row(
            2,
            Some(10),
            HandshakeVerdict::Complete,
            vec![Anomaly::Retransmission],
        ));
        tally.add(&row(
            3,
            Some(20),
            HandshakeVerdict::Complete,
            vec![Anomaly::Retransmission],
        ));
        let mut overall = Tally::default();
        overall.merge(&tally);
        overall.merge(&tally);
        let report = overall.report(1);
        assert_eq!(report.connections, 8);
        assert_eq!(report.handshake["complete"], 6);
        assert_eq!(report.handshake["refused"], 2);
        assert_eq!(report.top_anomalies, vec![("retransmission".to_owned(), 4)]);
        assert_eq!(report.handshake_rtt.unwrap().p50, 0.00002);
        let text = text_block("x", &tally.report(5));
        assert!(text.contains("handshake   complete 3, refused 1"), "{text}");
        assert!(
            text.contains("anomalies   retransmission 2, refused 1"),
            "{text}"
        );
    }

    #[test]
    fn slowest_keeps_the_top_n_slowest_first() {
        let mut slowest = Slowest::new(2);
        for (stream, rtt) in [(0, 5), (1, 50), (2, 20), (3, 1)] {
            slowest.add(&row(stream, Some(rtt), HandshakeVerdict::Complete, vec![]));
        }
        slowest.add(&row(4, None, HandshakeVerdict::Unanswered, vec![]));
        let streams: Vec<u64> = slowest.entries.iter().map(|entry| entry.stream).collect();
        assert_eq!(streams, vec![1, 2]);
    }
}
