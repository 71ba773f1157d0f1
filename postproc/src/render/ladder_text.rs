//! A connection's ladder as text, for `tcpwave ladder`: the client's rail on the left, the
//! server's on the right, each step an arrow with the states it leaves both sides in.

use std::fmt::Write as _;

use crate::model::ladder::{Ladder, Line};
use crate::model::row::Row;
use tcpwave_core::TcpState;

/// Inner width of the text arrows, between the two side rails.
const ARROW_WIDTH: usize = 56;
/// Wide enough for every RFC 793 state name.
const STATE_WIDTH: usize = 12;
/// Seconds since the connection's first packet, with microseconds.
const TIME_WIDTH: usize = 10;

/// The ladder as text, under `title`; `row` gives the endpoints and verdicts.
pub fn ladder_text(ladder: &Ladder, title: &str, row: &Row) -> String {
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
    for line in ladder.lines() {
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
            Line::Folded(folded) => text += &folded_line(format!("... {} ...", folded.summary())),
        }
    }
    if ladder.undrawn() > 0 {
        text += &folded_line(format!(
            "... {} more packets not drawn ...",
            ladder.undrawn()
        ));
    }
    text + "\nH = handshake step, T = teardown step; seq and ack are relative to each side's ISN.\n"
}

/// `text` padded with `filler` to `width` characters (never cut).
fn fill(text: &str, filler: char, width: usize) -> String {
    let missing = width.saturating_sub(text.chars().count());
    format!("{text}{}", filler.to_string().repeat(missing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::finished::Finished;
    use crate::model::fold::Connections;
    use crate::model::ladder::MAX_ARROWS;
    use crate::model::packet::LabelledPacket;
    use crate::run::tshark::field_line::tests::line;

    fn packet(
        frame: &str,
        from_client: bool,
        flags: &str,
        seq: &str,
        ack: &str,
        len: &str,
        extra: &[(&'static str, &'static str)],
    ) -> LabelledPacket {
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
        crate::run::tshark::field_line::parse_line(&line(&fields)).unwrap()
    }

    /// The one connection of `packets`, as the report and `tcpwave ladder` see it.
    fn drawn(packets: &[LabelledPacket]) -> (Row, Ladder) {
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
        let text = ladder_text(&ladder, "t.pcap, tcp.stream 0", &row);
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
        let syns: Vec<LabelledPacket> = (1..=MAX_ARROWS + 3)
            .map(|frame| packet(&frame.to_string(), true, "0x0002", "1000", "0", "0", &[]))
            .collect();
        let (row, ladder) = drawn(&syns);
        assert_eq!(ladder.lines().len(), MAX_ARROWS);
        assert_eq!(ladder.undrawn(), 3);
        assert!(ladder_text(&ladder, "s", &row).contains("... 3 more packets not drawn ..."));
    }

    #[test]
    fn a_midstream_side_starts_at_one() {
        let (row, ladder) = drawn(&[packet("1", true, "0x0011", "700", "900", "0", &[])]);
        let text = ladder_text(&ladder, "m", &row);
        assert!(text.contains("#1 FIN,ACK seq=1 ack=1"), "{text}");
    }
}
