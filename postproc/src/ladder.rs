//! One connection's handshake and teardown as a ladder (sequence) diagram: the model, drawn as
//! text by `tcpwave ladder` (here) and as SVG by the HTML report (`html/ladder.rs`).
//!
//! The client (the originator) is on the left, the server on the right. Every handshake or
//! teardown step, and every SYN, FIN or RST, is an arrow with its frame, step, flags and seq/ack
//! relative to each side's initial sequence number (ISN), and each side's state after it. The
//! packets in between are folded into one line with their count and bytes. So a ladder keeps a
//! few arrows, never the packets, and at most [`MAX_ARROWS`] of them: the packets after those
//! are only counted.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;

use crate::cli::LadderArgs;
use crate::connection::{Connections, Finished};
use crate::fields::{Packet, TcpFlags};
use crate::inputs::check_capture;
use crate::row::Row;
use crate::seconds::Seconds;
use crate::tshark::Tshark;
use crate::{open_output, Fatal, Outcome};
use tcpwave_core::TcpState;

/// Enough for any handshake and teardown with its retransmissions; bounds a ladder's memory
/// when a connection sends SYNs, FINs or RSTs without end.
pub const MAX_ARROWS: usize = 100;

/// Inner width of the text arrows, between the two side rails.
const ARROW_WIDTH: usize = 56;
/// Wide enough for every RFC 793 state name.
const STATE_WIDTH: usize = 12;
/// Seconds since the connection's first packet, with microseconds.
const TIME_WIDTH: usize = 10;

/// One handshake or teardown packet (or another SYN, FIN or RST).
#[derive(Debug, Clone, PartialEq)]
pub struct Arrow {
    /// Since the connection's first packet.
    pub time: Seconds,
    pub from_client: bool,
    pub frame: u64,
    pub handshake_steps: Vec<u8>,
    pub teardown_steps: Vec<u8>,
    pub repeat: bool,
    pub flags: TcpFlags,
    /// Relative to the sender's ISN.
    pub seq: u32,
    /// Relative to the peer's ISN; only on packets with the ACK flag.
    pub ack: Option<u32>,
    /// False when a step's ack does not fit it (`tcpwave.ack_ok == 0`).
    pub ack_ok: bool,
    /// The ack a correct peer sends (relative), when this one's does not fit.
    pub expected_ack: Option<u32>,
    pub payload_len: u32,
    /// Each side's state after the packet.
    pub client_state: Option<TcpState>,
    pub server_state: Option<TcpState>,
}

impl Arrow {
    /// `H1`, `T2,T3`; empty for a SYN, FIN or RST that is no step.
    pub fn steps(&self) -> String {
        let steps: Vec<String> = self
            .handshake_steps
            .iter()
            .map(|step| format!("H{step}"))
            .chain(self.teardown_steps.iter().map(|step| format!("T{step}")))
            .collect();
        steps.join(",")
    }

    /// `seq=38 ack=20 (expected 21) len=5`
    pub fn numbers(&self) -> String {
        let mut text = format!("seq={}", self.seq);
        if let Some(ack) = self.ack {
            let _ = write!(text, " ack={ack}");
            if !self.ack_ok {
                match self.expected_ack {
                    Some(expected) => {
                        let _ = write!(text, " (expected {expected})");
                    }
                    None => text += " (unexpected)",
                }
            }
        }
        if self.payload_len > 0 {
            let _ = write!(text, " len={}", self.payload_len);
        }
        text
    }

    /// `#7 [T2,T3] FIN,ACK seq=38 ack=20 (expected 21)`
    pub fn label(&self) -> String {
        let steps = match (self.steps(), self.repeat) {
            (steps, _) if steps.is_empty() => String::new(),
            (steps, false) => format!("[{steps}] "),
            (steps, true) => format!("[{steps} repeat] "),
        };
        format!(
            "#{} {steps}{} {}",
            self.frame,
            self.flags.names(),
            self.numbers()
        )
    }
}

/// Packets between two arrows that are no step, SYN, FIN or RST.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Folded {
    pub packets: u64,
    pub client_bytes: u64,
    pub server_bytes: u64,
}

impl Folded {
    /// `4 packets: client 18 bytes, server 37 bytes`
    pub fn summary(&self) -> String {
        format!(
            "{} packet{}: client {} bytes, server {} bytes",
            self.packets,
            if self.packets == 1 { "" } else { "s" },
            self.client_bytes,
            self.server_bytes
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Arrow(Arrow),
    Folded(Folded),
}

/// Built packet by packet; only the arrows are kept, other packets are counted.
#[derive(Debug, Default)]
pub struct Ladder {
    start: Option<Seconds>,
    client_isn: Option<u32>,
    server_isn: Option<u32>,
    lines: Vec<Line>,
    arrows: usize,
    /// Packets after the first [`MAX_ARROWS`] arrows: counted, not drawn.
    undrawn: u64,
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
    /// Adds the connection's next packet; `from_client` says who sent it.
    pub fn add(&mut self, packet: &Packet, from_client: bool) {
        let start = *self.start.get_or_insert(packet.time);
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

        if self.arrows == MAX_ARROWS {
            self.undrawn += 1;
            return;
        }
        let is_step = !packet.handshake_steps.is_empty() || !packet.teardown_steps.is_empty();
        let is_control = packet.flags.syn() || packet.flags.fin() || packet.flags.rst();
        if !is_step && !is_control {
            self.fold(from_client, packet.payload_len);
            return;
        }
        self.arrows += 1;
        self.lines.push(Line::Arrow(Arrow {
            time: packet.time.saturating_sub(start),
            from_client,
            frame: packet.frame,
            handshake_steps: packet.handshake_steps.clone(),
            teardown_steps: packet.teardown_steps.clone(),
            repeat: packet.repeat,
            flags: packet.flags,
            seq,
            ack: relative_to_peer(packet.ack),
            ack_ok: packet.ack_ok,
            expected_ack: packet.expected_ack.and_then(relative_to_peer),
            payload_len: packet.payload_len,
            client_state: packet.state_client,
            server_state: packet.state_server,
        }));
    }

    fn fold(&mut self, from_client: bool, payload_len: u32) {
        if !matches!(self.lines.last(), Some(Line::Folded(_))) {
            self.lines.push(Line::Folded(Folded::default()));
        }
        if let Some(Line::Folded(folded)) = self.lines.last_mut() {
            folded.packets += 1;
            let bytes = if from_client {
                &mut folded.client_bytes
            } else {
                &mut folded.server_bytes
            };
            *bytes += u64::from(payload_len);
        }
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// Packets after the first [`MAX_ARROWS`] arrows, which the ladder does not draw.
    pub fn undrawn(&self) -> u64 {
        self.undrawn
    }

    /// The ladder as text, under `title`; `row` gives the endpoints and verdicts.
    pub fn text(&self, title: &str, row: &Row) -> String {
        let verdict = |word: Option<&'static str>| word.unwrap_or("unknown");
        let mut text = format!(
            "{title}\nhandshake {}, teardown {}\n\n",
            verdict(row.handshake.map(|v| v.as_str())),
            verdict(row.teardown.map(|v| v.as_str()))
        );
        let pad = " ".repeat(TIME_WIDTH);
        // The client's name starts over its states, the server's over its states.
        let server_column = TIME_WIDTH + 2 + STATE_WIDTH + 2 + ARROW_WIDTH + 2 + 2;
        let heading = |left: &str, client: String, server: String| {
            let line = format!("{left:>TIME_WIDTH$}  {client}");
            format!("{}{server}\n", fill(&line, ' ', server_column))
        };
        text += &heading("", "client".to_owned(), "server".to_owned());
        text += &heading("time", row.orig.to_string(), row.resp.to_string());
        let state = |state: Option<TcpState>| state.map_or("", TcpState::as_str);
        let folded_line =
            |summary: String| format!("{pad}  {:<STATE_WIDTH$}  |{summary:^ARROW_WIDTH$}|\n", "");
        for line in &self.lines {
            match line {
                Line::Arrow(arrow) => {
                    let label = format!("-- {} ", arrow.label());
                    let drawn = if arrow.from_client {
                        fill(&label, '-', ARROW_WIDTH - 1) + ">"
                    } else {
                        "<".to_owned() + &fill(&label, '-', ARROW_WIDTH - 1)
                    };
                    let _ = writeln!(
                        text,
                        "{:>TIME_WIDTH$}  {:<STATE_WIDTH$}  |{drawn}|  {}",
                        arrow.time.to_string(),
                        state(arrow.client_state),
                        state(arrow.server_state)
                    );
                }
                Line::Folded(folded) => {
                    text += &folded_line(format!("... {} ...", folded.summary()))
                }
            }
        }
        if self.undrawn > 0 {
            text += &folded_line(format!("... {} more packets not drawn ...", self.undrawn));
        }
        text + "\nH = handshake step, T = teardown step; seq and ack are relative to each side's ISN.\n"
    }
}

/// `text` padded with `filler` to `width` characters (never cut).
fn fill(text: &str, filler: char, width: usize) -> String {
    let missing = width.saturating_sub(text.chars().count());
    format!("{text}{}", filler.to_string().repeat(missing))
}

/// The one connection with tcp.stream `stream` of `capture`, with its ladder.
fn read_connection(
    tshark: &Tshark,
    args: &LadderArgs,
) -> Result<(Option<Finished>, Option<String>)> {
    let mut connections = Connections::new(&args.capture.display().to_string(), true);
    let mut found = None;
    let filter = format!("tcp.stream == {}", args.stream);
    let report = tshark.packets(&args.capture, Some(&filter), |packet| {
        connections.add(&packet, &mut |finished| found = Some(finished))
    })?;
    connections.finish(&mut |finished| found = Some(finished));
    Ok((found, report.failure))
}

pub fn run(args: LadderArgs) -> Result<Outcome> {
    let tshark = Tshark::locate()?;
    tshark.check_ready()?;
    let capture = args.capture.display().to_string();
    if let Err(reason) = check_capture(&args.capture) {
        eprintln!("tcpwave: {capture}: {reason}");
        return Ok(Outcome::SomeFilesFailed);
    }
    let (found, failure) = read_connection(&tshark, &args)?;
    let Some(Finished {
        row,
        ladder: Some(ladder),
    }) = found
    else {
        if let Some(failure) = failure {
            eprintln!("tcpwave: {capture}: {failure}");
            return Ok(Outcome::SomeFilesFailed);
        }
        return Err(Fatal::Usage(format!(
            "{capture} has no TCP connection with tcp.stream {}",
            args.stream
        ))
        .into());
    };
    let mut out = open_output(args.output.as_deref())?;
    let title = format!("{capture}, tcp.stream {}", args.stream);
    out.write_all(ladder.text(&title, &row).as_bytes())?;
    out.flush()?;
    if let Some(failure) = failure {
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

    /// The one connection of `packets`, as the report and `tcpwave ladder` see it.
    fn drawn(packets: &[Packet]) -> (Row, Ladder) {
        let mut connections = Connections::new("t.pcap", true);
        let mut found = Vec::new();
        for packet in packets {
            connections.add(packet, &mut |finished| found.push(finished));
        }
        connections.finish(&mut |finished| found.push(finished));
        let Ok(
            [Finished {
                row,
                ladder: Some(ladder),
            }],
        ) = <[Finished; 1]>::try_from(found)
        else {
            panic!("not one connection with a ladder");
        };
        (row, ladder)
    }

    #[test]
    fn draws_steps_as_arrows_and_folds_data() {
        let verdicts = [
            ("tcpwave.conn.handshake", "complete"),
            ("tcpwave.conn.teardown", "three-way"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| [extra, &verdicts[..]].concat();
        let packets = vec![
            packet(
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
            ),
            packet(
                "2",
                false,
                "0x0012",
                "5000",
                "1001",
                "0",
                &with(&[("tcpwave.handshake.step", "2")]),
            ),
            packet(
                "3",
                true,
                "0x0010",
                "1001",
                "5001",
                "0",
                &with(&[("tcpwave.handshake.step", "3")]),
            ),
            packet("4", true, "0x0018", "1001", "5001", "18", &verdicts),
            packet("5", false, "0x0018", "5001", "1019", "37", &verdicts),
            packet(
                "6",
                true,
                "0x0011",
                "1019",
                "5038",
                "0",
                &with(&[("tcpwave.teardown.step", "1")]),
            ),
            packet(
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
            ),
        ];
        let (row, ladder) = drawn(&packets);
        let text = ladder.text("t.pcap, tcp.stream 0", &row);
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
    fn endless_control_packets_are_counted_not_kept() {
        let syns: Vec<Packet> = (1..=MAX_ARROWS + 3)
            .map(|frame| packet(&frame.to_string(), true, "0x0002", "1000", "0", "0", &[]))
            .collect();
        let (row, ladder) = drawn(&syns);
        assert_eq!(ladder.lines().len(), MAX_ARROWS);
        assert_eq!(ladder.undrawn(), 3);
        assert!(ladder
            .text("s", &row)
            .contains("... 3 more packets not drawn ..."));
    }

    #[test]
    fn a_midstream_side_starts_at_one() {
        let (row, ladder) = drawn(&[packet("1", true, "0x0011", "700", "900", "0", &[])]);
        let text = ladder.text("m", &row);
        assert!(text.contains("#1 FIN,ACK seq=1 ack=1"), "{text}");
    }
}
