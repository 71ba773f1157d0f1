//! `tcpwave ladder`: one connection drawn as a ladder (sequence) diagram.
//!
//! The client (the originator) is on the left, the server on the right. Every handshake or
//! teardown step, and every SYN, FIN or RST, is an arrow labelled with its frame, step, flags and
//! seq/ack relative to each side's initial sequence number (ISN); each side's state after the
//! packet stands beside the arrow. Packets in between are folded into one line.

use std::fmt::Write as _;
use std::io::Write;
use std::net::IpAddr;

use anyhow::Result;

use crate::cli::LadderArgs;
use crate::connection::Endpoint;
use crate::fields::Packet;
use crate::inputs::check_capture;
use crate::seconds::Seconds;
use crate::tshark::Tshark;
use crate::{open_output, Fatal, Outcome};
use tcpwave_core::{HandshakeVerdict, TeardownVerdict};

/// Inner width of the arrows, between the two side rails.
const ARROW_WIDTH: usize = 56;
/// Wide enough for every RFC 793 state name.
const STATE_WIDTH: usize = 12;
/// Seconds since the connection's first packet, with microseconds.
const TIME_WIDTH: usize = 10;

#[derive(Debug, Clone, PartialEq)]
enum Line {
    Arrow {
        time: Seconds,
        from_client: bool,
        label: String,
        client_state: String,
        server_state: String,
    },
    Folded {
        packets: u64,
        client_bytes: u64,
        server_bytes: u64,
    },
}

/// Builds the ladder packet by packet; only the arrows are kept, other packets are counted.
#[derive(Debug, Default)]
pub struct Ladder {
    client: Option<Endpoint>,
    server: Option<Endpoint>,
    start: Option<Seconds>,
    client_isn: Option<u32>,
    server_isn: Option<u32>,
    lines: Vec<Line>,
    handshake: Option<HandshakeVerdict>,
    teardown: Option<TeardownVerdict>,
}

fn step_label(packet: &Packet) -> String {
    let steps: Vec<String> = packet
        .handshake_steps
        .iter()
        .map(|step| format!("H{step}"))
        .chain(packet.teardown_steps.iter().map(|step| format!("T{step}")))
        .collect();
    match (steps.is_empty(), packet.repeat) {
        (true, _) => String::new(),
        (false, false) => format!("[{}] ", steps.join(",")),
        (false, true) => format!("[{} repeat] ", steps.join(",")),
    }
}

fn isn_for(isn: &mut Option<u32>, first_seq: u32, is_syn: bool) -> u32 {
    // A side seen without its SYN numbers its first byte 1, as Wireshark and Zeek do.
    *isn.get_or_insert(if is_syn {
        first_seq
    } else {
        first_seq.wrapping_sub(1)
    })
}

impl Ladder {
    pub fn add(&mut self, packet: &Packet) {
        let client = *self.client.get_or_insert(Endpoint {
            addr: packet.src,
            port: packet.src_port,
        });
        self.server.get_or_insert(Endpoint {
            addr: packet.dst,
            port: packet.dst_port,
        });
        let start = *self.start.get_or_insert(packet.time);
        self.handshake = packet.conn_handshake.or(self.handshake);
        self.teardown = packet.conn_teardown.or(self.teardown);
        let from_client = packet.src == client.addr && packet.src_port == client.port;

        let (own_isn, peer_isn) = if from_client {
            (&mut self.client_isn, &mut self.server_isn)
        } else {
            (&mut self.server_isn, &mut self.client_isn)
        };
        let seq = packet
            .seq
            .wrapping_sub(isn_for(own_isn, packet.seq, packet.flags.syn()));
        let peer_isn = packet
            .flags
            .ack()
            .then(|| *peer_isn.get_or_insert(packet.ack.wrapping_sub(1)));
        let relative_to_peer = |raw: u32| peer_isn.map(|isn| raw.wrapping_sub(isn));

        let is_step = !packet.handshake_steps.is_empty() || !packet.teardown_steps.is_empty();
        let is_control = packet.flags.syn() || packet.flags.fin() || packet.flags.rst();
        if !is_step && !is_control {
            self.fold(from_client, packet.payload_len);
            return;
        }
        let mut label = format!(
            "#{} {}{} seq={seq}",
            packet.frame,
            step_label(packet),
            packet.flags.names()
        );
        if let Some(ack) = relative_to_peer(packet.ack) {
            let _ = write!(label, " ack={ack}");
            if !packet.ack_ok {
                match packet.expected_ack.and_then(relative_to_peer) {
                    Some(expected) => {
                        let _ = write!(label, " (expected {expected})");
                    }
                    None => label += " (unexpected)",
                }
            }
        }
        if packet.payload_len > 0 {
            let _ = write!(label, " len={}", packet.payload_len);
        }
        self.lines.push(Line::Arrow {
            time: packet.time.saturating_sub(start),
            from_client,
            label,
            client_state: packet.state_client.clone().unwrap_or_default(),
            server_state: packet.state_server.clone().unwrap_or_default(),
        });
    }

    fn fold(&mut self, from_client: bool, payload_len: u32) {
        if !matches!(self.lines.last(), Some(Line::Folded { .. })) {
            self.lines.push(Line::Folded {
                packets: 0,
                client_bytes: 0,
                server_bytes: 0,
            });
        }
        if let Some(Line::Folded {
            packets,
            client_bytes,
            server_bytes,
        }) = self.lines.last_mut()
        {
            *packets += 1;
            let bytes = if from_client {
                client_bytes
            } else {
                server_bytes
            };
            *bytes += u64::from(payload_len);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.client.is_none()
    }

    pub fn render(&self, title: &str) -> String {
        let (Some(client), Some(server)) = (self.client, self.server) else {
            return String::new();
        };
        let verdict = |word: Option<&'static str>| word.unwrap_or("unknown");
        let mut text = format!(
            "{title}\nhandshake {}, teardown {}\n\n",
            verdict(self.handshake.map(|v| v.as_str())),
            verdict(self.teardown.map(|v| v.as_str()))
        );
        let pad = " ".repeat(TIME_WIDTH);
        // The client's name starts over its states, the server's over its states.
        let server_column = TIME_WIDTH + 2 + STATE_WIDTH + 2 + ARROW_WIDTH + 2 + 2;
        let heading = |left: &str, client: String, server: String| {
            let line = format!("{left:>TIME_WIDTH$}  {client}");
            format!("{}{server}\n", fill(&line, ' ', server_column))
        };
        text += &heading("", "client".to_owned(), "server".to_owned());
        text += &heading("time", endpoint(client), endpoint(server));
        for line in &self.lines {
            match line {
                Line::Arrow {
                    time,
                    from_client,
                    label,
                    client_state,
                    server_state,
                } => {
                    let arrow = if *from_client {
                        fill(&format!("-- {label} "), '-', ARROW_WIDTH - 1) + ">"
                    } else {
                        "<".to_owned() + &fill(&format!("-- {label} "), '-', ARROW_WIDTH - 1)
                    };
                    let _ = writeln!(
                        text,
                        "{:>TIME_WIDTH$}  {client_state:<STATE_WIDTH$}  |{arrow}|  {server_state}",
                        time.to_string()
                    );
                }
                Line::Folded {
                    packets,
                    client_bytes,
                    server_bytes,
                } => {
                    let summary = format!(
                        "... {packets} packet{}: client {client_bytes} bytes, server {server_bytes} bytes ...",
                        if *packets == 1 { "" } else { "s" }
                    );
                    let _ = writeln!(
                        text,
                        "{pad}  {:<STATE_WIDTH$}  |{summary:^ARROW_WIDTH$}|",
                        ""
                    );
                }
            }
        }
        text + "\nH = handshake step, T = teardown step; seq and ack are relative to each side's ISN.\n"
    }
}

fn endpoint(endpoint: Endpoint) -> String {
    match endpoint.addr {
        IpAddr::V6(addr) => format!("[{addr}]:{}", endpoint.port),
        IpAddr::V4(addr) => format!("{addr}:{}", endpoint.port),
    }
}

/// `text` padded with `filler` to `width` characters (never cut).
fn fill(text: &str, filler: char, width: usize) -> String {
    let missing = width.saturating_sub(text.chars().count());
    format!("{text}{}", filler.to_string().repeat(missing))
}

pub fn run(args: LadderArgs) -> Result<Outcome> {
    let tshark = Tshark::locate()?;
    tshark.check_ready()?;
    let capture = args.capture.display().to_string();
    if let Err(reason) = check_capture(&args.capture) {
        eprintln!("tcpwave: {capture}: {reason}");
        return Ok(Outcome::SomeFilesFailed);
    }
    let filter = format!("tcp.stream == {}", args.stream);
    let mut ladder = Ladder::default();
    let report = tshark.packets(&args.capture, Some(&filter), |packet| ladder.add(&packet))?;
    if ladder.is_empty() {
        if let Some(failure) = report.failure {
            eprintln!("tcpwave: {capture}: {failure}");
            return Ok(Outcome::SomeFilesFailed);
        }
        return Err(Fatal::Usage(format!(
            "{capture} has no TCP connection with tcp.stream {}",
            args.stream
        ))
        .into());
    }
    let mut out = open_output(args.output.as_deref())?;
    out.write_all(
        ladder
            .render(&format!("{capture}, tcp.stream {}", args.stream))
            .as_bytes(),
    )?;
    out.flush()?;
    if let Some(failure) = report.failure {
        eprintln!("tcpwave: {capture}: {failure}");
        return Ok(Outcome::SomeFilesFailed);
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::tests::line;

    fn packet(
        frame: &str,
        from_client: bool,
        flags: &str,
        seq: &str,
        ack: &str,
        len: &str,
        extra: &[(&'static str, &'static str)],
    ) -> Packet {
        let (src, sport, dst, dport) = if from_client {
            ("10.0.0.1", "40000", "10.0.0.2", "80")
        } else {
            ("10.0.0.2", "80", "10.0.0.1", "40000")
        };
        let mut fields = extra.to_vec();
        fields.extend([
            ("frame.number", frame),
            ("frame.time_epoch", "100.000000000"),
            ("frame.protocols", "eth:ethertype:ip:tcp"),
            ("tcp.stream", "0"),
            ("ip.src", src),
            ("ip.dst", dst),
            ("tcp.srcport", sport),
            ("tcp.dstport", dport),
            ("tcp.flags", flags),
            ("tcp.seq_raw", seq),
            ("tcp.ack_raw", ack),
            ("tcp.len", len),
        ]);
        Packet::parse_line(&line(&fields)).unwrap()
    }

    #[test]
    fn draws_steps_as_arrows_and_folds_data() {
        let mut ladder = Ladder::default();
        let verdicts = [
            ("tcpwave.conn.handshake", "complete"),
            ("tcpwave.conn.teardown", "three-way"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| [extra, &verdicts[..]].concat();
        ladder.add(&packet(
            "1",
            true,
            "0x0002",
            "1000",
            "0",
            "0",
            &with(&[
                ("tcpwave.handshake.step", "1"),
                ("tcpwave.state.client", "SYN_SENT"),
                ("tcpwave.state.server", "SYN_RECEIVED"),
            ]),
        ));
        ladder.add(&packet(
            "2",
            false,
            "0x0012",
            "5000",
            "1001",
            "0",
            &with(&[("tcpwave.handshake.step", "2")]),
        ));
        ladder.add(&packet(
            "3",
            true,
            "0x0010",
            "1001",
            "5001",
            "0",
            &with(&[("tcpwave.handshake.step", "3")]),
        ));
        ladder.add(&packet(
            "4", true, "0x0018", "1001", "5001", "18", &verdicts,
        ));
        ladder.add(&packet(
            "5", false, "0x0018", "5001", "1019", "37", &verdicts,
        ));
        ladder.add(&packet(
            "6",
            true,
            "0x0011",
            "1019",
            "5038",
            "0",
            &with(&[("tcpwave.teardown.step", "1")]),
        ));
        ladder.add(&packet(
            "7",
            false,
            "0x0011",
            "5038",
            "1020",
            "0",
            &with(&[
                ("tcpwave.teardown.step", "2,3"),
                ("tcpwave.ack_ok", "0,1"),
                ("tcpwave.expected_ack", "1021"),
            ]),
        ));
        let text = ladder.render("t.pcap, tcp.stream 0");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "t.pcap, tcp.stream 0");
        assert_eq!(lines[1], "handshake complete, teardown three-way");
        assert!(lines[3].trim_start().starts_with("client"));
        assert!(lines[4].contains("10.0.0.1:40000") && lines[4].ends_with("10.0.0.2:80"));
        // The server's name stands over its states.
        let first_arrow = lines.iter().find(|line| line.contains("#1 ")).unwrap();
        assert_eq!(lines[3].find("server"), first_arrow.find("SYN_RECEIVED"));
        assert_eq!(
            lines[4].find("10.0.0.2:80"),
            first_arrow.find("SYN_RECEIVED")
        );
        let arrows: Vec<&&str> = lines
            .iter()
            .filter(|line| line.contains("|-- ") || line.contains("|<-- "))
            .collect();
        assert_eq!(arrows.len(), 5);
        assert!(
            arrows[0].contains("|-- #1 [H1] SYN seq=0 ---"),
            "{}",
            arrows[0]
        );
        assert!(
            arrows[0].trim_end().ends_with(">|  SYN_RECEIVED"),
            "{}",
            arrows[0]
        );
        assert!(arrows[0].contains("SYN_SENT"));
        assert!(
            arrows[1].contains("|<-- #2 [H2] SYN,ACK seq=0 ack=1 ---"),
            "{}",
            arrows[1]
        );
        assert!(
            arrows[2].contains("#3 [H3] ACK seq=1 ack=1 "),
            "{}",
            arrows[2]
        );
        assert!(
            arrows[3].contains("#6 [T1] FIN,ACK seq=19 ack=38 "),
            "{}",
            arrows[3]
        );
        assert!(
            arrows[4].contains("#7 [T2,T3] FIN,ACK seq=38 ack=20 (expected 21) "),
            "{}",
            arrows[4]
        );
        let folded: Vec<&&str> = lines.iter().filter(|line| line.contains("...")).collect();
        assert_eq!(folded.len(), 1);
        assert!(folded[0].contains("... 2 packets: client 18 bytes, server 37 bytes ..."));
        // The rails line up on every arrow and folded line.
        let rails: Vec<usize> = arrows.iter().map(|line| line.rfind('|').unwrap()).collect();
        assert!(rails.iter().all(|rail| *rail == rails[0]));
        assert_eq!(folded[0].rfind('|').unwrap(), rails[0]);
    }

    #[test]
    fn a_midstream_side_starts_at_one() {
        let mut ladder = Ladder::default();
        ladder.add(&packet("1", true, "0x0011", "700", "900", "0", &[]));
        let text = ladder.render("m");
        assert!(text.contains("#1 FIN,ACK seq=1 ack=1"), "{text}");
    }
}
