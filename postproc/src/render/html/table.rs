//! The sortable table of connections: the CSV's columns (each address and port as one endpoint),
//! the less used ones shown only with "Show every column". Every cell carries its sort key in
//! `data-sort` (numbers for times and counts, empty for absent values); `sort.js` sorts by it.

use std::net::IpAddr;
use std::path::Path;

use super::markup::{
    anomaly_chips, diagram_id, escape, readable_duration, row_id, verdict_chip, Tone,
};
use crate::model::row::{ActiveCloser, Endpoint, Row};
use crate::vocab::calendar::UtcTime;
use crate::vocab::seconds::Seconds;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    Number,
    Text,
}

struct Column {
    heading: &'static str,
    /// The CSV column(s) it shows, and what it means.
    explanation: &'static str,
    sort: Sort,
    /// Shown only with "Show every column".
    secondary: bool,
}

const fn column(
    heading: &'static str,
    explanation: &'static str,
    sort: Sort,
    secondary: bool,
) -> Column {
    Column {
        heading,
        explanation,
        sort,
        secondary,
    }
}

/// Only when the page holds several captures.
const CAPTURE: Column = column("capture", "file: the capture", Sort::Text, false);

const COLUMNS: [Column; 21] = [
    column("stream", "stream: Wireshark's tcp.stream; links to the connection's ladder diagram", Sort::Number, false),
    column("client", "orig_h, orig_p: the originator, which sent the first SYN (for a connection seen midstream, the side seen first)", Sort::Text, false),
    column("server", "resp_h, resp_p: the responder", Sort::Text, false),
    column("start", "start: the first packet, UTC", Sort::Number, true),
    column("duration", "duration: first to last packet", Sort::Number, false),
    column("handshake", "handshake: the plugin's verdict", Sort::Text, false),
    column("handshake steps", "handshake_steps: the steps seen, in order, repeats included", Sort::Text, true),
    column("RTT", "handshake_rtt: first SYN to the ACK that completes the handshake", Sort::Number, false),
    column("SYN → SYN/ACK", "syn_to_synack", Sort::Number, true),
    column("SYN/ACK → ACK", "synack_to_ack", Sort::Number, true),
    column("teardown", "teardown: the plugin's verdict", Sort::Text, false),
    column("teardown steps", "teardown_steps: the steps seen, in order, repeats included", Sort::Text, true),
    column("closer", "active_closer: who sent the first FIN", Sort::Text, false),
    column("teardown time", "teardown_duration: first FIN to the ACK that completes the teardown", Sort::Number, true),
    column("packets", "packets", Sort::Number, false),
    column("client bytes", "orig_bytes: payload bytes in sequence space, as Zeek counts them", Sort::Number, true),
    column("server bytes", "resp_bytes", Sort::Number, true),
    column("repeats", "repeats: packets that repeat a step", Sort::Number, true),
    column("state", "conn_state: as in Zeek's conn.log", Sort::Text, false),
    column("history", "history: as in Zeek's conn.log", Sort::Text, false),
    // Last, so that its chips may wrap.
    column("anomalies", "anomalies: the plugin's expert kinds that apply", Sort::Text, false),
];

pub const CLOSING: &str = "</tbody></table></div>\n</section>\n";

fn columns(several_captures: bool) -> impl Iterator<Item = &'static Column> {
    several_captures
        .then_some(&CAPTURE)
        .into_iter()
        .chain(COLUMNS.iter())
}

/// The section's heading, the column switch and the table's head.
pub fn opening(several_captures: bool) -> String {
    let mut html = "<section class=\"panel\" id=\"connections\"><h2>Connections</h2>\n\
                    <p class=\"hint\">Click a column's heading to sort by it (again to reverse); \
                    click a stream number for its ladder diagram.</p>\n\
                    <input type=\"checkbox\" id=\"every-column\"><label for=\"every-column\">Show every column</label>\n\
                    <div class=\"table-scroll\"><table class=\"connections sortable\">\n<thead><tr>"
        .to_owned();
    for column in columns(several_captures) {
        html += &format!(
            "<th{secondary} data-sort-as=\"{sort}\" title=\"{explanation}\"><button type=\"button\">{heading}</button></th>",
            secondary = if column.secondary { " class=\"secondary\"" } else { "" },
            sort = if column.sort == Sort::Number { "number" } else { "text" },
            explanation = escape(column.explanation),
            heading = escape(column.heading),
        );
    }
    html + "</tr></thead>\n<tbody>\n"
}

/// A cell: what it shows (HTML) and what it sorts by.
struct Cell {
    html: String,
    key: String,
}

fn text(value: &str) -> Cell {
    Cell {
        html: escape(value).into_owned(),
        key: value.to_owned(),
    }
}

fn count(value: u64) -> Cell {
    Cell {
        html: value.to_string(),
        key: value.to_string(),
    }
}

fn time(value: Option<Seconds>) -> Cell {
    match value {
        Some(value) => Cell {
            html: readable_duration(value.as_f64()),
            key: value.to_string(),
        },
        None => absent(),
    }
}

fn absent() -> Cell {
    Cell {
        html: "<span class=\"absent\">—</span>".to_owned(),
        key: String::new(),
    }
}

/// Sorts addresses numerically (IPv4 as IPv4-mapped IPv6), then ports.
fn endpoint(endpoint: &Endpoint) -> Cell {
    let number = match endpoint.addr {
        IpAddr::V4(addr) => u128::from(addr.to_ipv6_mapped()),
        IpAddr::V6(addr) => u128::from(addr),
    };
    Cell {
        html: escape(&endpoint.to_string()).into_owned(),
        key: format!("{number:032x}:{:05}", endpoint.port),
    }
}

fn steps(steps: &[u8]) -> Cell {
    let joined: Vec<String> = steps.iter().map(u8::to_string).collect();
    if joined.is_empty() {
        absent()
    } else {
        text(&joined.join(" "))
    }
}

/// `2023-11-14 22:13:20.000001`, UTC.
fn utc(start: Seconds) -> String {
    let exact = start.to_string();
    let (whole, micros) = exact.split_once('.').unwrap_or((&exact, "000000"));
    let time = UtcTime::from_epoch_seconds(whole.parse().unwrap_or(0));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{micros}",
        time.year, time.month, time.day, time.hour, time.minute, time.second
    )
}

/// One connection's row.
pub fn row(row: &Row, capture: usize, several_captures: bool) -> String {
    let verdict = |word: Option<(&'static str, Tone)>| Cell {
        html: verdict_chip(word),
        key: word.map_or("", |(word, _)| word).to_owned(),
    };
    let anomalies: Vec<&str> = row.anomalies.iter().map(|kind| kind.as_str()).collect();
    let cells = [
        Cell {
            html: format!(
                "<a href=\"#{}\">{}</a>",
                diagram_id(capture, row.stream),
                row.stream
            ),
            key: row.stream.to_string(),
        },
        endpoint(&row.orig),
        endpoint(&row.resp),
        Cell {
            html: utc(row.start),
            key: row.start.to_string(),
        },
        time(Some(row.duration)),
        verdict(row.handshake.map(|v| (v.as_str(), Tone::of_handshake(v)))),
        steps(&row.handshake_steps),
        time(row.handshake_rtt),
        time(row.syn_to_synack),
        time(row.synack_to_ack),
        verdict(row.teardown.map(|v| (v.as_str(), Tone::of_teardown(v)))),
        steps(&row.teardown_steps),
        match row.active_closer {
            Some(ActiveCloser::Orig) => text("client"),
            Some(ActiveCloser::Resp) => text("server"),
            None => absent(),
        },
        time(row.teardown_duration),
        count(row.packets),
        count(row.orig_bytes),
        count(row.resp_bytes),
        count(row.repeats.into()),
        text(row.conn_state),
        text(&row.history),
        Cell {
            html: anomaly_chips(&row.anomalies),
            key: anomalies.join(" "),
        },
    ];
    let capture_cell = several_captures.then(|| Cell {
        html: format!(
            "<span title=\"{}\">{}</span>",
            escape(&row.file),
            escape(
                Path::new(&row.file)
                    .file_name()
                    .map_or(row.file.as_str(), |name| {
                        name.to_str().unwrap_or(&row.file)
                    })
            )
        ),
        key: row.file.clone(),
    });
    let mut html = format!(
        "<tr class=\"connection\" id=\"{}\">",
        row_id(capture, row.stream)
    );
    for (column, cell) in columns(several_captures).zip(capture_cell.into_iter().chain(cells)) {
        html += &format!(
            "<td{} data-sort=\"{}\">{}</td>",
            if column.secondary {
                " class=\"secondary\""
            } else {
                ""
            },
            escape(&cell.key),
            cell.html
        );
    }
    html + "</tr>\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc(Seconds::from_nanos(0)), "1970-01-01 00:00:00.000000");
        assert_eq!(
            utc(Seconds::from_nanos(1_700_000_000_000_001_000)),
            "2023-11-14 22:13:20.000001"
        );
        assert_eq!(
            utc(Seconds::from_nanos(951_782_400_000_000_000)),
            "2000-02-29 00:00:00.000000"
        );
    }

    #[test]
    fn endpoints_sort_by_number() {
        let key = |text: &str, port| {
            endpoint(&Endpoint {
                addr: text.parse().unwrap(),
                port,
            })
            .key
        };
        assert!(key("9.0.0.1", 80) < key("10.0.0.1", 80));
        assert!(key("10.0.0.1", 443) < key("10.0.0.1", 8080));
        assert!(key("10.0.0.1", 80) < key("2001:db8::1", 80));
    }
}
