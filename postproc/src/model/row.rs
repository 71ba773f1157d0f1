//! One connection's report row and its columns, shared by every output format.

use std::fmt;
use std::io::Write;
use std::net::IpAddr;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_with::{serde_as, DeserializeAs, SerializeAs};

use crate::model::zeek::CONN_STATES;
use crate::vocab::seconds::Seconds;
use tcpwave_core::{Anomaly, HandshakeVerdict, TeardownVerdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub addr: IpAddr,
    pub port: u16,
}

/// `10.0.0.1:80`, `[::1]:80`.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            IpAddr::V6(addr) => write!(f, "[{addr}]:{}", self.port),
            IpAddr::V4(addr) => write!(f, "{addr}:{}", self.port),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// Serialized only to wait on disk (`model::in_order`), and read back by the same program: the
/// vocabulary words as their place in their vocabulary.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub file: String,
    pub stream: u64,
    pub orig: Endpoint,
    pub resp: Endpoint,
    pub start: Seconds,
    pub duration: Seconds,
    #[serde_as(as = "Option<WordIndex>")]
    pub handshake: Option<HandshakeVerdict>,
    pub handshake_steps: Vec<u8>,
    pub handshake_rtt: Option<Seconds>,
    pub syn_to_synack: Option<Seconds>,
    pub synack_to_ack: Option<Seconds>,
    #[serde_as(as = "Option<WordIndex>")]
    pub teardown: Option<TeardownVerdict>,
    pub teardown_steps: Vec<u8>,
    pub active_closer: Option<ActiveCloser>,
    pub teardown_duration: Option<Seconds>,
    pub packets: u64,
    /// Payload bytes counted in sequence space, as Zeek counts `orig_bytes`.
    pub orig_bytes: u64,
    pub resp_bytes: u64,
    /// Packets and IP bytes (headers included) per side, as Zeek counts `orig_pkts` and
    /// `orig_ip_bytes`.
    pub orig_pkts: u64,
    pub resp_pkts: u64,
    pub orig_ip_bytes: u64,
    pub resp_ip_bytes: u64,
    pub repeats: u32,
    #[serde_as(as = "Vec<WordIndex>")]
    pub anomalies: Vec<Anomaly>,
    #[serde(
        serialize_with = "conn_state_index",
        deserialize_with = "conn_state_indexed"
    )]
    pub conn_state: ConnStateWord,
    pub history: String,
}

/// A column's value, borrowed from its row: text, a count or a time. Absent values are empty in
/// CSV, null in JSON; in JSON, steps are an array of integers, anomalies an array of strings, other
/// text (addresses included) a string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Text(&'a str),
    Address(IpAddr),
    /// Handshake or teardown steps: `1 1 2 3`.
    Steps(&'a [u8]),
    /// Space separated: `retransmission half_close`.
    Anomalies(&'a [Anomaly]),
    Count(u64),
    Time(Seconds),
    Absent,
}

impl Cell<'_> {
    /// Appends the value as CSV and the table show it (an absent value is empty), without the
    /// formatting machinery: a report writes every cell of every row.
    pub fn push_to(self, out: &mut Vec<u8>) {
        match self {
            Cell::Text(text) => out.extend_from_slice(text.as_bytes()),
            Cell::Address(IpAddr::V4(addr)) => {
                for (index, octet) in addr.octets().into_iter().enumerate() {
                    if index > 0 {
                        out.push(b'.');
                    }
                    out.extend_from_slice(itoa::Buffer::new().format(octet).as_bytes());
                }
            }
            Cell::Address(addr) => {
                // Writing into a Vec cannot fail.
                let _ = write!(out, "{addr}");
            }
            Cell::Steps(steps) => {
                for (index, step) in steps.iter().enumerate() {
                    if index > 0 {
                        out.push(b' ');
                    }
                    out.extend_from_slice(itoa::Buffer::new().format(*step).as_bytes());
                }
            }
            Cell::Anomalies(kinds) => {
                for (index, kind) in kinds.iter().enumerate() {
                    if index > 0 {
                        out.push(b' ');
                    }
                    out.extend_from_slice(kind.as_str().as_bytes());
                }
            }
            Cell::Count(count) => {
                out.extend_from_slice(itoa::Buffer::new().format(count).as_bytes())
            }
            Cell::Time(time) => time.push_to(out),
            Cell::Absent => {}
        }
    }
}

/// The value as CSV and the table show it: an absent value is empty.
impl fmt::Display for Cell<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::new();
        self.push_to(&mut text);
        f.write_str(&String::from_utf8_lossy(&text))
    }
}

/// One of Zeek's `conn_state` words ([`CONN_STATES`]).
pub type ConnStateWord = &'static str;

fn conn_state_index<S: Serializer>(word: &ConnStateWord, serializer: S) -> Result<S::Ok, S::Error> {
    let index = CONN_STATES
        .iter()
        .position(|known| known == word)
        .ok_or_else(|| serde::ser::Error::custom(format!("no conn_state `{word}`")))?;
    serializer.serialize_u8(index as u8)
}

fn conn_state_indexed<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<ConnStateWord, D::Error> {
    let index = u8::deserialize(deserializer)?;
    CONN_STATES
        .get(usize::from(index))
        .copied()
        .ok_or_else(|| D::Error::custom(format!("no conn_state number {index}")))
}

/// A word of one of tcpwave's vocabularies, by its place in it.
trait Word: Copy + 'static {
    const WORDS: &'static [Self];
    fn index(self) -> u8;
}

macro_rules! words {
    ($($vocabulary:ty),+) => {$(
        impl Word for $vocabulary {
            const WORDS: &'static [Self] = <$vocabulary>::ALL;
            fn index(self) -> u8 {
                self as u8
            }
        }
    )+};
}

words!(HandshakeVerdict, TeardownVerdict, Anomaly);

/// Serializes a [`Word`] as one number rather than its text.
struct WordIndex;

impl<T: Word> SerializeAs<T> for WordIndex {
    fn serialize_as<S: Serializer>(word: &T, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(word.index())
    }
}

impl<'de, T: Word> DeserializeAs<'de, T> for WordIndex {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        let index = u8::deserialize(deserializer)?;
        T::WORDS
            .get(usize::from(index))
            .copied()
            .ok_or_else(|| D::Error::custom(format!("no word number {index}")))
    }
}

pub const COLUMNS: [&str; 28] = [
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
    "orig_pkts",
    "resp_pkts",
    "orig_ip_bytes",
    "resp_ip_bytes",
    "repeats",
    "anomalies",
    "conn_state",
    "history",
];

fn optional<T>(value: Option<T>, cell: impl FnOnce(T) -> Cell<'static>) -> Cell<'static> {
    value.map_or(Cell::Absent, cell)
}

impl Row {
    /// The values in [`COLUMNS`] order.
    pub fn cells(&self) -> [Cell<'_>; 28] {
        [
            Cell::Text(&self.file),
            Cell::Count(self.stream),
            Cell::Address(self.orig.addr),
            Cell::Count(self.orig.port.into()),
            Cell::Address(self.resp.addr),
            Cell::Count(self.resp.port.into()),
            Cell::Time(self.start),
            Cell::Time(self.duration),
            optional(self.handshake, |verdict| Cell::Text(verdict.as_str())),
            Cell::Steps(&self.handshake_steps),
            optional(self.handshake_rtt, Cell::Time),
            optional(self.syn_to_synack, Cell::Time),
            optional(self.synack_to_ack, Cell::Time),
            optional(self.teardown, |verdict| Cell::Text(verdict.as_str())),
            Cell::Steps(&self.teardown_steps),
            optional(self.active_closer, |closer| Cell::Text(closer.as_str())),
            optional(self.teardown_duration, Cell::Time),
            Cell::Count(self.packets),
            Cell::Count(self.orig_bytes),
            Cell::Count(self.resp_bytes),
            Cell::Count(self.orig_pkts),
            Cell::Count(self.resp_pkts),
            Cell::Count(self.orig_ip_bytes),
            Cell::Count(self.resp_ip_bytes),
            Cell::Count(self.repeats.into()),
            Cell::Anomalies(&self.anomalies),
            Cell::Text(self.conn_state),
            // No history letter (as Zeek leaves history unset then): absent.
            if self.history.is_empty() {
                Cell::Absent
            } else {
                Cell::Text(&self.history)
            },
        ]
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A row with every column filled in (but teardown_duration).
    pub(crate) fn sample(stream: u64) -> Row {
        Row {
            file: "dir/a,b.pcap".to_owned(),
            stream,
            orig: Endpoint {
                addr: "10.0.0.1".parse().unwrap(),
                port: 40000,
            },
            resp: Endpoint {
                addr: "::1".parse().unwrap(),
                port: 80,
            },
            start: Seconds::from_nanos(1_700_000_000_000_001_000),
            duration: Seconds::from_nanos(2_500_000),
            handshake: Some(HandshakeVerdict::Complete),
            handshake_steps: vec![1, 1, 2, 3],
            handshake_rtt: Some(Seconds::from_nanos(45_000)),
            syn_to_synack: Some(Seconds::from_nanos(15_000)),
            synack_to_ack: Some(Seconds::from_nanos(30_000)),
            teardown: Some(TeardownVerdict::HalfClosed),
            teardown_steps: vec![1, 2],
            active_closer: Some(ActiveCloser::Orig),
            teardown_duration: None,
            packets: 9,
            orig_bytes: 18,
            resp_bytes: 37,
            orig_pkts: 5,
            resp_pkts: 4,
            orig_ip_bytes: 298,
            resp_ip_bytes: 357,
            repeats: 1,
            anomalies: vec![Anomaly::Retransmission, Anomaly::HalfClose],
            conn_state: "S2",
            history: "ShADadF".to_owned(),
        }
    }
}
