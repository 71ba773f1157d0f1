//! `tcpwave summary`'s text: one block of totals per capture and one for all of them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::tally::{Slowest, TallyReport};
use crate::vocab::words::plural;

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

pub fn text_block(title: &str, report: &TallyReport) -> String {
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

pub fn seconds(value: f64) -> String {
    format!("{value:.6}")
}

/// The slowest handshakes, one line each, under a heading; endpoints as `10.0.0.1:80` and
/// `[::1]:80`.
pub fn slowest_block(slowest: &Slowest) -> String {
    let mut text = "  slowest handshakes\n".to_owned();
    if slowest.entries().is_empty() {
        text += "    none\n";
    }
    for entry in slowest.entries() {
        let _ = writeln!(
            text,
            "    {}  {} stream {}  {} -> {}",
            seconds(entry.rtt),
            entry.file,
            entry.stream,
            entry.orig(),
            entry.resp()
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tally::tests::four_connections;

    #[test]
    fn slow_handshakes_show_ipv6_endpoints_in_brackets_and_split_them_in_json() {
        let mut slowest = Slowest::new(1);
        // The sample row's responder is ::1 port 80.
        slowest.add(&crate::model::row::tests::sample(3));
        let text = slowest_block(&slowest);
        assert!(
            text.contains("stream 3  10.0.0.1:40000 -> [::1]:80"),
            "{text}"
        );
        let json = serde_json::to_value(slowest.entries()).unwrap();
        assert_eq!(
            json[0],
            serde_json::json!({
                "rtt": 0.000045,
                "file": "dir/a,b.pcap",
                "stream": 3,
                "orig_h": "10.0.0.1",
                "orig_p": 40000,
                "resp_h": "::1",
                "resp_p": 80,
            })
        );
    }

    #[test]
    fn a_block_lists_counts_most_frequent_first() {
        let mut tally = four_connections();
        let text = text_block("x", &tally.report(5));
        assert!(text.contains("handshake   complete 3, refused 1"), "{text}");
        assert!(
            text.contains("anomalies   retransmission 2, refused 1"),
            "{text}"
        );
    }
}
