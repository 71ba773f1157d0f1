//! Totals over rows: counts by verdict, conn_state and anomaly, handshake round-trip
//! percentiles, and the slowest handshakes.
//!
//! Percentiles use the nearest-rank method: p50 of n values is the ⌈0.5·n⌉-th smallest.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::model::row::{Endpoint, Row};
use crate::vocab::seconds::Seconds;

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

/// One slow handshake; its endpoints as the report's rows have them, address and port apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlowHandshake {
    pub rtt: f64,
    pub file: String,
    pub stream: u64,
    pub orig_h: IpAddr,
    pub orig_p: u16,
    pub resp_h: IpAddr,
    pub resp_p: u16,
}

impl SlowHandshake {
    pub fn orig(&self) -> Endpoint {
        Endpoint {
            addr: self.orig_h,
            port: self.orig_p,
        }
    }

    pub fn resp(&self) -> Endpoint {
        Endpoint {
            addr: self.resp_h,
            port: self.resp_p,
        }
    }
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
            orig_h: row.orig.addr,
            orig_p: row.orig.port,
            resp_h: row.resp.addr,
            resp_p: row.resp.port,
        });
        self.entries.sort_by(|a, b| b.rtt.total_cmp(&a.rtt));
        self.entries.truncate(self.top);
    }
}

impl Slowest {
    /// Slowest first.
    pub fn entries(&self) -> &[SlowHandshake] {
        &self.entries
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::row::tests::sample;
    use crate::model::row::Endpoint;
    use tcpwave_core::{Anomaly, HandshakeVerdict, TeardownVerdict};

    pub(crate) fn row(
        stream: u64,
        rtt_micros: Option<i64>,
        handshake: HandshakeVerdict,
        anomalies: Vec<Anomaly>,
    ) -> Row {
        Row {
            file: "f.pcap".to_owned(),
            orig: Endpoint {
                addr: "10.0.0.1".parse().unwrap(),
                port: 1000 + stream as u16,
            },
            resp: Endpoint {
                addr: "10.0.0.2".parse().unwrap(),
                port: 80,
            },
            handshake: Some(handshake),
            handshake_rtt: rtt_micros.map(|micros| Seconds::from_nanos(micros * 1000)),
            teardown: Some(TeardownVerdict::FourWay),
            anomalies,
            conn_state: "SF",
            ..sample(stream)
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

    /// Three complete handshakes (two with a retransmission) and one refused.
    pub(crate) fn four_connections() -> Tally {
        let mut tally = Tally::default();
        tally.add(&row(0, Some(30), HandshakeVerdict::Complete, vec![]));
        tally.add(&row(
            1,
            None,
            HandshakeVerdict::Refused,
            vec![Anomaly::Refused],
        ));
        for (stream, rtt) in [(2, 10), (3, 20)] {
            tally.add(&row(
                stream,
                Some(rtt),
                HandshakeVerdict::Complete,
                vec![Anomaly::Retransmission],
            ));
        }
        tally
    }

    #[test]
    fn tallies_count_verdicts_and_anomalies() {
        let tally = four_connections();
        let mut overall = Tally::default();
        overall.merge(&tally);
        overall.merge(&tally);
        let report = overall.report(1);
        assert_eq!(report.connections, 8);
        assert_eq!(report.handshake["complete"], 6);
        assert_eq!(report.handshake["refused"], 2);
        assert_eq!(report.top_anomalies, vec![("retransmission".to_owned(), 4)]);
        assert_eq!(report.handshake_rtt.unwrap().p50, 0.00002);
    }

    #[test]
    fn slowest_keeps_the_top_n_slowest_first() {
        let mut slowest = Slowest::new(2);
        for (stream, rtt) in [(0, 5), (1, 50), (2, 20), (3, 1)] {
            slowest.add(&row(stream, Some(rtt), HandshakeVerdict::Complete, vec![]));
        }
        slowest.add(&row(4, None, HandshakeVerdict::Unanswered, vec![]));
        let streams: Vec<u64> = slowest.entries().iter().map(|entry| entry.stream).collect();
        assert_eq!(streams, vec![1, 2]);
    }
}
