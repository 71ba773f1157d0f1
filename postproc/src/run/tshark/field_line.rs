//! The fields asked of tshark and the parsing of one output line into a [`LabelledPacket`].
//!
//! tshark runs with `-T fields -E separator=/t -E occurrence=a -E aggregator=,`: one line per
//! frame, one tab-separated column per field, a field that occurs several times in a frame
//! (a packet with two steps, nested IP headers) as a comma-separated list, and an empty column
//! for a field that is absent.

use std::net::IpAddr;

use thiserror::Error;

use crate::model::packet::{LabelledPacket, Steps};
use crate::vocab::seconds::Seconds;
use tcpwave_core::{Anomaly, AnomalySet, Flags};

/// The `-e` fields, in column order.
pub const FIELDS: [&str; 41] = [
    "frame.number",
    "frame.time_epoch",
    "frame.protocols",
    "tcp.stream",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.flags",
    "tcp.len",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.window_size_value",
    "ip.len",
    "ipv6.plen",
    "tcpwave.handshake.step",
    "tcpwave.teardown.step",
    "tcpwave.repeat",
    "tcpwave.state.client",
    "tcpwave.state.server",
    "tcpwave.ack_ok",
    "tcpwave.expected_ack",
    "tcpwave.handshake.rtt",
    "tcpwave.handshake.syn_to_synack",
    "tcpwave.handshake.synack_to_ack",
    "tcpwave.teardown.duration",
    "tcpwave.conn.handshake",
    "tcpwave.conn.teardown",
    // The plugin's expert items, one per anomaly in `Anomaly::ALL`'s order: a row's anomalies
    // are exactly those of its packets.
    "tcpwave.expert.refused",
    "tcpwave.expert.abort",
    "tcpwave.expert.unanswered",
    "tcpwave.expert.retransmission",
    "tcpwave.expert.simultaneous_open",
    "tcpwave.expert.simultaneous_close",
    "tcpwave.expert.half_close",
    "tcpwave.expert.midstream",
    "tcpwave.expert.bad_ack",
    "tcpwave.expert.isn_changed",
    "tcpwave.expert.one_way",
];

mod column {
    pub const FRAME: usize = 0;
    pub const TIME: usize = 1;
    pub const PROTOCOLS: usize = 2;
    pub const STREAM: usize = 3;
    pub const IP_SRC: usize = 4;
    pub const IP_DST: usize = 5;
    pub const IPV6_SRC: usize = 6;
    pub const IPV6_DST: usize = 7;
    pub const SRC_PORT: usize = 8;
    pub const DST_PORT: usize = 9;
    pub const FLAGS: usize = 10;
    pub const LEN: usize = 11;
    pub const SEQ: usize = 12;
    pub const ACK: usize = 13;
    pub const WINDOW: usize = 14;
    pub const IP_LEN: usize = 15;
    pub const IPV6_PLEN: usize = 16;
    pub const HANDSHAKE_STEP: usize = 17;
    pub const TEARDOWN_STEP: usize = 18;
    pub const REPEAT: usize = 19;
    pub const STATE_CLIENT: usize = 20;
    pub const STATE_SERVER: usize = 21;
    pub const ACK_OK: usize = 22;
    pub const EXPECTED_ACK: usize = 23;
    pub const HANDSHAKE_RTT: usize = 24;
    pub const SYN_TO_SYNACK: usize = 25;
    pub const SYNACK_TO_ACK: usize = 26;
    pub const TEARDOWN_DURATION: usize = 27;
    pub const CONN_HANDSHAKE: usize = 28;
    pub const CONN_TEARDOWN: usize = 29;
    /// The first expert item's; the others follow in `Anomaly::ALL`'s order.
    pub const EXPERTS: usize = 30;
}

#[derive(Debug, Error, PartialEq)]
pub enum LineError {
    #[error("expected {expected} tab-separated columns, got {got}")]
    ColumnCount { expected: usize, got: usize },
    #[error("{field}: cannot read `{value}`")]
    BadValue { field: &'static str, value: String },
    /// A frame without the TCP fields a connection row needs (a header cut short).
    #[error("{field} is missing")]
    Missing { field: &'static str },
}

fn bad(index: usize, value: &str) -> LineError {
    LineError::BadValue {
        field: FIELDS[index],
        value: value.to_owned(),
    }
}

/// The pieces of `text` between `separator`s, as `text.split(separator)` gives them. The columns
/// and values of a line are a few bytes long: a plain scan finds their ends in fewer steps than
/// `str::split`'s search does.
fn pieces(text: &str, separator: u8) -> impl Iterator<Item = &str> {
    let mut start = 0;
    text.as_bytes()
        .split(move |&byte| byte == separator)
        .map(move |piece| {
            // Cut at an ASCII separator, so always at a character boundary.
            let piece_text = &text[start..start + piece.len()];
            start += piece.len() + 1;
            piece_text
        })
}

/// The values of one column; a field absent from the frame has none.
fn values<'a>(columns: &[&'a str], index: usize) -> impl Iterator<Item = &'a str> {
    pieces(columns[index], b',').filter(|value| !value.is_empty())
}

fn first<'a>(columns: &[&'a str], index: usize) -> Option<&'a str> {
    pieces(columns[index], b',')
        .next()
        .filter(|value| !value.is_empty())
}

fn required<'a>(columns: &[&'a str], index: usize) -> Result<&'a str, LineError> {
    first(columns, index).ok_or(LineError::Missing {
        field: FIELDS[index],
    })
}

/// The column's first value read as a `T` (a number or one of the plugin's words).
fn parsed<T: std::str::FromStr>(columns: &[&str], index: usize) -> Result<Option<T>, LineError> {
    first(columns, index)
        .map(|value| value.parse().map_err(|_| bad(index, value)))
        .transpose()
}

fn required_number<T: std::str::FromStr>(columns: &[&str], index: usize) -> Result<T, LineError> {
    let value = required(columns, index)?;
    value.parse().map_err(|_| bad(index, value))
}

fn seconds(columns: &[&str], index: usize) -> Result<Option<Seconds>, LineError> {
    first(columns, index)
        .map(|value| Seconds::parse(value).ok_or_else(|| bad(index, value)))
        .transpose()
}

/// tshark 4.0 prints booleans as 1/0; later versions as True/False.
fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "True" | "true" => Some(true),
        "0" | "False" | "false" => Some(false),
        _ => None,
    }
}

fn steps(columns: &[&str], index: usize) -> Result<Steps, LineError> {
    values(columns, index)
        .map(|value| value.parse().map_err(|_| bad(index, value)))
        .collect()
}

/// The IP header that carries the TCP header: with tunnels a frame has several IP headers, and
/// `frame.protocols` (`eth:ethertype:ip:gre:ip:tcp`) says which one that is (the last before `tcp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Carrier {
    ipv6: bool,
    /// Its place among the frame's IP headers of its version: 1 for the first.
    nth: usize,
}

fn carrier(protocols: &str) -> Option<Carrier> {
    let (mut ipv4_headers, mut ipv6_headers) = (0, 0);
    let mut carrier = None;
    for layer in pieces(protocols, b':') {
        match layer {
            "tcp" => break,
            "ip" => {
                ipv4_headers += 1;
                carrier = Some(Carrier {
                    ipv6: false,
                    nth: ipv4_headers,
                });
            }
            "ipv6" => {
                ipv6_headers += 1;
                carrier = Some(Carrier {
                    ipv6: true,
                    nth: ipv6_headers,
                });
            }
            _ => {}
        }
    }
    carrier
}

/// The source or destination address (columns `v4` and `v6`) of the header `carrier` names.
fn address(
    columns: &[&str],
    carrier: Option<Carrier>,
    v4: usize,
    v6: usize,
) -> Result<IpAddr, LineError> {
    let (index, nth) = match carrier {
        Some(Carrier { ipv6: true, nth }) => (v6, nth),
        Some(Carrier { ipv6: false, nth }) => (v4, nth),
        None if first(columns, v4).is_some() => (v4, 1),
        None => (v6, 1),
    };
    let value = values(columns, index)
        .nth(nth.saturating_sub(1))
        .or_else(|| first(columns, index))
        .ok_or(LineError::Missing {
            field: FIELDS[index],
        })?;
    value.parse().map_err(|_| bad(index, value))
}

/// The length of the IP header `carrier` names: `ip.len`, or `ipv6.plen` and its 40-byte header.
fn ip_len(columns: &[&str], carrier: Option<Carrier>) -> Result<u32, LineError> {
    let (index, nth, header) = match carrier {
        Some(Carrier { ipv6: true, nth }) => (column::IPV6_PLEN, nth, 40),
        Some(Carrier { ipv6: false, nth }) => (column::IP_LEN, nth, 0),
        None => return Ok(0),
    };
    match values(columns, index).nth(nth - 1) {
        None => Ok(0),
        Some(value) => value
            .parse::<u32>()
            .map(|len| len + header)
            .map_err(|_| bad(index, value)),
    }
}

/// A line's columns, split at its tabs, without allocating.
fn split_columns(line: &str) -> Result<[&str; FIELDS.len()], LineError> {
    let mut columns = [""; FIELDS.len()];
    let mut got = 0;
    for column in pieces(line, b'\t') {
        if let Some(slot) = columns.get_mut(got) {
            *slot = column;
        }
        got += 1;
    }
    if got != FIELDS.len() {
        return Err(LineError::ColumnCount {
            expected: FIELDS.len(),
            got,
        });
    }
    Ok(columns)
}

/// The anomalies whose expert item the frame carries.
fn anomalies(columns: &[&str]) -> AnomalySet {
    let mut set = AnomalySet::default();
    for (offset, anomaly) in Anomaly::ALL.iter().enumerate() {
        if first(columns, column::EXPERTS + offset).is_some() {
            set.insert(*anomaly);
        }
    }
    set
}

/// One line of tshark's output as the packet it describes.
pub fn parse_line(line: &str) -> Result<LabelledPacket, LineError> {
    let columns = &split_columns(line.trim_end_matches(['\r', '\n']))?;
    let flags_text = required(columns, column::FLAGS)?;
    let flags = u16::from_str_radix(flags_text.strip_prefix("0x").unwrap_or(flags_text), 16)
        .map_err(|_| bad(column::FLAGS, flags_text))?;
    let time_text = required(columns, column::TIME)?;
    let carrier = carrier(columns[column::PROTOCOLS]);
    // A frame with several TCP layers (TCP carried in TCP) is counted for its first layer;
    // the plugin's labels of such a frame cannot be told apart by layer, so they are left out.
    let single_tcp_layer = values(columns, column::STREAM).count() == 1;
    let labels = |index| {
        if single_tcp_layer {
            steps(columns, index)
        } else {
            Ok(Steps::new())
        }
    };
    Ok(LabelledPacket {
        frame: required_number(columns, column::FRAME)?,
        time: Seconds::parse(time_text).ok_or_else(|| bad(column::TIME, time_text))?,
        stream: required_number(columns, column::STREAM)?,
        src: address(columns, carrier, column::IP_SRC, column::IPV6_SRC)?,
        dst: address(columns, carrier, column::IP_DST, column::IPV6_DST)?,
        src_port: required_number(columns, column::SRC_PORT)?,
        dst_port: required_number(columns, column::DST_PORT)?,
        flags: Flags(flags),
        payload_len: parsed(columns, column::LEN)?.unwrap_or(0),
        ip_len: ip_len(columns, carrier)?,
        seq: parsed(columns, column::SEQ)?.unwrap_or(0),
        ack: parsed(columns, column::ACK)?.unwrap_or(0),
        window: parsed(columns, column::WINDOW)?.unwrap_or(0),
        handshake_steps: labels(column::HANDSHAKE_STEP)?,
        teardown_steps: labels(column::TEARDOWN_STEP)?,
        repeat: single_tcp_layer
            && values(columns, column::REPEAT).any(|value| parse_bool(value) == Some(true)),
        state_client: parsed(columns, column::STATE_CLIENT)?,
        state_server: parsed(columns, column::STATE_SERVER)?,
        ack_ok: !single_tcp_layer
            || values(columns, column::ACK_OK).all(|value| parse_bool(value) != Some(false)),
        expected_ack: parsed(columns, column::EXPECTED_ACK)?,
        handshake_rtt: seconds(columns, column::HANDSHAKE_RTT)?,
        syn_to_synack: seconds(columns, column::SYN_TO_SYNACK)?,
        synack_to_ack: seconds(columns, column::SYNACK_TO_ACK)?,
        teardown_duration: seconds(columns, column::TEARDOWN_DURATION)?,
        conn_handshake: parsed(columns, column::CONN_HANDSHAKE)?,
        conn_teardown: parsed(columns, column::CONN_TEARDOWN)?,
        anomalies: if single_tcp_layer {
            anomalies(columns)
        } else {
            AnomalySet::default()
        },
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use tcpwave_core::{HandshakeVerdict, TcpState, TeardownVerdict};

    #[test]
    fn the_expert_columns_follow_the_anomaly_order() {
        let experts = &FIELDS[column::EXPERTS..];
        assert_eq!(experts.len(), Anomaly::ALL.len());
        for (field, anomaly) in experts.iter().zip(Anomaly::ALL) {
            assert_eq!(*field, format!("tcpwave.expert.{anomaly}"));
        }
    }

    /// Builds a tshark output line from `(field, value)` pairs; other fields are empty.
    pub(crate) fn line(values: &[(&str, &str)]) -> String {
        FIELDS
            .iter()
            .map(|field| {
                values
                    .iter()
                    .find(|(name, _)| name == field)
                    .map(|(_, value)| *value)
                    .unwrap_or("")
            })
            .collect::<Vec<_>>()
            .join("\t")
    }

    pub(crate) fn base<'a>(
        frame: &'a str,
        src: &'a str,
        sport: &'a str,
        dst: &'a str,
        dport: &'a str,
        flags: &'a str,
    ) -> Vec<(&'static str, &'a str)> {
        vec![
            ("frame.number", frame),
            ("frame.time_epoch", "1700000000.000000000"),
            ("frame.protocols", "sll:ethertype:ip:tcp"),
            ("tcp.stream", "0"),
            ("ip.src", src),
            ("ip.dst", dst),
            ("tcp.srcport", sport),
            ("tcp.dstport", dport),
            ("tcp.flags", flags),
            ("tcp.len", "0"),
            ("tcp.seq_raw", "1000"),
            ("tcp.ack_raw", "0"),
            ("tcp.window_size_value", "64"),
        ]
    }

    #[test]
    fn parses_a_synack_with_its_labels() {
        let mut fields = base("2", "10.0.0.2", "80", "10.0.0.1", "40000", "0x0012");
        fields.extend([
            ("frame.time_epoch", "1700000000.000045000"),
            ("tcpwave.handshake.step", "2"),
            ("tcpwave.state.client", "ESTABLISHED"),
            ("tcpwave.state.server", "SYN_RECEIVED"),
            ("tcpwave.ack_ok", "1"),
            ("tcpwave.conn.handshake", "complete"),
            ("tcpwave.conn.teardown", "four-way"),
        ]);
        let fields: Vec<_> = fields.into_iter().rev().collect();
        let packet = parse_line(&line(&fields)).unwrap();
        assert_eq!(packet.frame, 2);
        assert_eq!(packet.time, Seconds::from_nanos(1_700_000_000_000_045_000));
        assert_eq!(packet.src, "10.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(packet.src_port, 80);
        assert!(packet.flags.syn() && packet.flags.ack() && !packet.flags.fin());
        assert_eq!(packet.handshake_steps[..], [2]);
        assert!(packet.ack_ok);
        assert!(!packet.repeat);
        assert_eq!(packet.conn_handshake, Some(HandshakeVerdict::Complete));
        assert_eq!(packet.conn_teardown, Some(TeardownVerdict::FourWay));
        assert_eq!(packet.state_client, Some(TcpState::Established));
    }

    #[test]
    fn a_fin_ack_can_carry_two_teardown_steps() {
        let mut fields = base("9", "10.0.0.2", "80", "10.0.0.1", "40000", "0x0011");
        fields.extend([("tcpwave.teardown.step", "2,3"), ("tcpwave.ack_ok", "1,0")]);
        let packet = parse_line(&line(&fields)).unwrap();
        assert_eq!(packet.teardown_steps[..], [2, 3]);
        assert!(!packet.ack_ok, "one step's ack did not fit");
    }

    #[test]
    fn booleans_of_later_tshark_versions_are_understood() {
        let mut fields = base("3", "10.0.0.1", "40000", "10.0.0.2", "80", "0x0002");
        fields.extend([("tcpwave.repeat", "True"), ("tcpwave.ack_ok", "False")]);
        let packet = parse_line(&line(&fields)).unwrap();
        assert!(packet.repeat);
        assert!(!packet.ack_ok);
    }

    #[test]
    fn the_ip_header_carrying_tcp_is_the_inner_one() {
        let mut fields = base(
            "1",
            "192.0.2.1,10.0.0.1",
            "40000",
            "192.0.2.2,10.0.0.2",
            "80",
            "0x0002",
        );
        fields.push(("frame.protocols", "eth:ethertype:ip:gre:ip:tcp"));
        let fields: Vec<_> = fields.into_iter().rev().collect();
        let packet = parse_line(&line(&fields)).unwrap();
        assert_eq!(packet.src, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(packet.dst, "10.0.0.2".parse::<IpAddr>().unwrap());

        let v6 = line(&[
            ("frame.number", "1"),
            ("frame.time_epoch", "1.0"),
            ("frame.protocols", "eth:ethertype:ip:ipv6:tcp"),
            ("tcp.stream", "0"),
            ("ip.src", "192.0.2.1"),
            ("ip.dst", "192.0.2.2"),
            ("ipv6.src", "2001:db8::1"),
            ("ipv6.dst", "2001:db8::2"),
            ("tcp.srcport", "1"),
            ("tcp.dstport", "2"),
            ("tcp.flags", "0x0002"),
        ]);
        let packet = parse_line(&v6).unwrap();
        assert_eq!(packet.src, "2001:db8::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        assert_eq!(
            parse_line("1\t2"),
            Err(LineError::ColumnCount {
                expected: FIELDS.len(),
                got: 2
            })
        );
        let mut fields = base("1", "10.0.0.1", "40000", "10.0.0.2", "80", "0x0002");
        fields.push(("tcpwave.conn.handshake", "sideways"));
        assert_eq!(
            parse_line(&line(&fields)).unwrap_err().to_string(),
            "tcpwave.conn.handshake: cannot read `sideways`"
        );
        let fields: Vec<_> = base("1", "10.0.0.1", "", "10.0.0.2", "80", "0x0002");
        assert_eq!(
            parse_line(&line(&fields)),
            Err(LineError::Missing {
                field: "tcp.srcport"
            })
        );
    }

    #[test]
    fn pieces_are_what_str_split_gives() {
        for text in ["", ",", "a", "a,b", ",a,,b,", "é,ü,,ß", "1,2,3"] {
            assert_eq!(
                pieces(text, b',').collect::<Vec<_>>(),
                text.split(',').collect::<Vec<_>>(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn the_carrier_is_the_last_ip_header_before_tcp() {
        let v4 = |nth| Some(Carrier { ipv6: false, nth });
        let v6 = |nth| Some(Carrier { ipv6: true, nth });
        assert_eq!(carrier("sll:ethertype:ip:tcp"), v4(1));
        assert_eq!(carrier("eth:ethertype:ip:gre:ip:tcp"), v4(2));
        assert_eq!(carrier("eth:ethertype:ip:ipv6:tcp"), v6(1));
        assert_eq!(carrier("eth:ethertype:ipv6:ip:tcp"), v4(1));
        assert_eq!(carrier("eth:ethertype:ip:tcp:ipv6:tcp"), v4(1));
        assert_eq!(carrier("eth:ethertype:tcp"), None);
    }
}
