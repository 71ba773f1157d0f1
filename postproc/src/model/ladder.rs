//! One connection's handshake and teardown as a ladder (sequence) diagram: the model, drawn as
//! text by `tcpwave ladder` (`render/ladder_text.rs`) and as SVG by the HTML report
//! (`render/html/ladder_svg.rs`).
//!
//! The client (the originator) is on the left, the server on the right. Every handshake or
//! teardown step, and every SYN, FIN or RST, is an arrow with its frame, step, flags and seq/ack
//! relative to each side's initial sequence number (ISN), and each side's state after it. The
//! packets in between are folded into one line with their count and bytes. So a ladder keeps a
//! few arrows, never the packets, and at most [`MAX_ARROWS`] of them: the packets after those
//! are only counted.

use std::fmt::Write as _;

use crate::model::packet::LabelledPacket;
use crate::vocab::seconds::Seconds;
use tcpwave_core::{Flags, Step, TcpState};

/// Enough for any handshake and teardown with its retransmissions; bounds a ladder's memory
/// when a connection sends SYNs, FINs or RSTs without end.
pub const MAX_ARROWS: usize = 100;

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
    pub flags: Flags,
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
            .map(|&step| Step::Handshake(step).short_name())
            .chain(
                self.teardown_steps
                    .iter()
                    .map(|&step| Step::Teardown(step).short_name()),
            )
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
    pub fn add(&mut self, packet: &LabelledPacket, from_client: bool) {
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
            handshake_steps: packet.handshake_steps.to_vec(),
            teardown_steps: packet.teardown_steps.to_vec(),
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
}
