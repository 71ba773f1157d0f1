//! One connection's report row and its columns, shared by every output format.

use crate::connection::Endpoint;
use crate::seconds::Seconds;
use tcpwave_core::{Anomaly, HandshakeVerdict, TeardownVerdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveCloser {
    Orig,
    Resp,
}

impl ActiveCloser {
    pub fn as_str(self) -> &'static str {
        match self {
            ActiveCloser::Orig => "orig",
            ActiveCloser::Resp => "resp",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub file: String,
    pub stream: u64,
    pub orig: Endpoint,
    pub resp: Endpoint,
    pub start: Seconds,
    pub duration: Seconds,
    pub handshake: Option<HandshakeVerdict>,
    pub handshake_steps: Vec<u8>,
    pub handshake_rtt: Option<Seconds>,
    pub syn_to_synack: Option<Seconds>,
    pub synack_to_ack: Option<Seconds>,
    pub teardown: Option<TeardownVerdict>,
    pub teardown_steps: Vec<u8>,
    pub active_closer: Option<ActiveCloser>,
    pub teardown_duration: Option<Seconds>,
    pub packets: u64,
    /// Payload bytes counted in sequence space, as Zeek counts `orig_bytes`.
    pub orig_bytes: u64,
    pub resp_bytes: u64,
    pub repeats: u32,
    pub anomalies: Vec<Anomaly>,
    pub conn_state: &'static str,
    pub history: String,
}

/// A column's value: text, a count or a time; absent values are empty in CSV, null in JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    Time(Seconds),
    Absent,
}

impl Cell {
    pub fn text(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Count(count) => count.to_string(),
            Cell::Time(time) => time.to_string(),
            Cell::Absent => String::new(),
        }
    }
}

pub const COLUMNS: [&str; 24] = [
    "file",
    "stream",
    "orig_h",
    "orig_p",
    "resp_h",
    "resp_p",
    "start",
    "duration",
    "handshake",
    "handshake_steps",
    "handshake_rtt",
    "syn_to_synack",
    "synack_to_ack",
    "teardown",
    "teardown_steps",
    "active_closer",
    "teardown_duration",
    "packets",
    "orig_bytes",
    "resp_bytes",
    "repeats",
    "anomalies",
    "conn_state",
    "history",
];

fn joined<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn optional<T>(value: Option<T>, cell: impl FnOnce(T) -> Cell) -> Cell {
    value.map_or(Cell::Absent, cell)
}

impl Row {
    /// The values in [`COLUMNS`] order.
    pub fn cells(&self) -> [Cell; 24] {
        [
            Cell::Text(self.file.clone()),
            Cell::Count(self.stream),
            Cell::Text(self.orig.addr.to_string()),
            Cell::Count(self.orig.port.into()),
            Cell::Text(self.resp.addr.to_string()),
            Cell::Count(self.resp.port.into()),
            Cell::Time(self.start),
            Cell::Time(self.duration),
            optional(self.handshake, |verdict| {
                Cell::Text(verdict.as_str().to_owned())
            }),
            Cell::Text(joined(&self.handshake_steps)),
            optional(self.handshake_rtt, Cell::Time),
            optional(self.syn_to_synack, Cell::Time),
            optional(self.synack_to_ack, Cell::Time),
            optional(self.teardown, |verdict| {
                Cell::Text(verdict.as_str().to_owned())
            }),
            Cell::Text(joined(&self.teardown_steps)),
            optional(self.active_closer, |closer| {
                Cell::Text(closer.as_str().to_owned())
            }),
            optional(self.teardown_duration, Cell::Time),
            Cell::Count(self.packets),
            Cell::Count(self.orig_bytes),
            Cell::Count(self.resp_bytes),
            Cell::Count(self.repeats.into()),
            Cell::Text(
                self.anomalies
                    .iter()
                    .map(|kind| kind.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Cell::Text(self.conn_state.to_owned()),
            Cell::Text(self.history.clone()),
        ]
    }
}
