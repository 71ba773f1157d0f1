//! The native engine: reads a capture itself and labels its packets with `tcpwave-core`, the
//! state machine the plugin runs, so that its rows are those of tshark with the plugin, without
//! tshark.
//!
//! A first, quick pass only looks for what it cannot read exactly as Wireshark does (a tunnel,
//! IP fragments carrying TCP, a link type not listed): such a capture is left to tshark
//! ([`NativeRun::NeedsWireshark`]) before any packet is handed on. The second numbers the
//! connections as Wireshark's `tcp.stream` does ([`streams`]), labels each segment as it comes
//! ([`LiveCapture`]) and hands it on. A connection's labels are dropped once its reader is done
//! with it, so memory grows with the connections open at once, not with the capture. The
//! verdicts a packet carries are its connection's so far; the reader keeps the last.

pub mod dissect;
pub mod frames;
pub mod streams;

use std::ops::ControlFlow;
use std::path::Path;

use tcpwave_core::{AnomalySet, LiveCapture, Segment, Step, View};

use crate::model::packet::{LabelledPacket, Steps};
use crate::vocab::seconds::Seconds;
use dissect::{dissect, Dissection, TcpHeader};
use frames::{Frame, Frames};
use streams::StreamNumbers;

/// How reading a capture natively ended.
#[derive(Debug, PartialEq, Eq)]
pub enum NativeRun {
    /// Every packet was handed on; with tshark's words when the file ended early.
    Read { failure: Option<String> },
    /// Nothing was handed on: the capture needs Wireshark's dissection, for this reason.
    NeedsWireshark(String),
}

/// Reads `capture` and hands each TCP packet to `on_packet`, labelled as the plugin labels it;
/// `on_packet` returns the streams its reader is done with.
pub fn packets(capture: &Path, mut on_packet: impl FnMut(LabelledPacket) -> Vec<u64>) -> NativeRun {
    // tshark names the file by its absolute path in its messages; so does this engine.
    let capture = std::env::current_dir()
        .map(|dir| dir.join(capture))
        .unwrap_or_else(|_| capture.to_owned());
    let frames = match Frames::open(&capture) {
        Ok(frames) => frames,
        Err(failure) => {
            return NativeRun::Read {
                failure: Some(failure.0),
            }
        }
    };
    let mut needs_wireshark = None;
    frames.for_each(
        |frame| match dissect(frame.link_type, frame.data, frame.wire_len) {
            Dissection::NeedsWireshark(reason) => {
                needs_wireshark = Some(reason);
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        },
    );
    if let Some(reason) = needs_wireshark {
        return NativeRun::NeedsWireshark(reason);
    }
    let frames = match Frames::open(&capture) {
        Ok(frames) => frames,
        Err(failure) => {
            return NativeRun::Read {
                failure: Some(failure.0),
            }
        }
    };
    let mut streams = StreamNumbers::default();
    let mut labels = LiveCapture::new();
    let failure = frames.for_each(|frame| {
        match dissect(frame.link_type, frame.data, frame.wire_len) {
            Dissection::Quoted(key) => {
                streams.stream_of(&key);
            }
            Dissection::Tcp(tcp) => {
                let stream = streams.stream_of(&tcp.stream_key(tcp.whole_header));
                let view = labels.observe(&segment(frame, &tcp, stream));
                // Wireshark shows no flags past a bogus header length: no packet of any row.
                if tcp.flags_shown {
                    for done in on_packet(labelled(frame, &tcp, stream, &view)) {
                        labels.forget(u32::try_from(done).unwrap_or(u32::MAX));
                    }
                }
            }
            Dissection::NoTcp | Dissection::NeedsWireshark(_) => {}
        }
        ControlFlow::Continue(())
    });
    NativeRun::Read {
        failure: failure.map(|failure| failure.0),
    }
}

fn frame_number(frame: &Frame<'_>) -> u32 {
    u32::try_from(frame.number).unwrap_or(u32::MAX)
}

/// What the state machine is told of a segment: what the plugin reads from Wireshark's tree.
fn segment(frame: &Frame<'_>, tcp: &TcpHeader, stream: u32) -> Segment {
    let sender = match tcp.src {
        std::net::IpAddr::V4(address) => Segment::sender_key(&address.octets(), tcp.src_port),
        std::net::IpAddr::V6(address) => Segment::sender_key(&address.octets(), tcp.src_port),
    };
    Segment {
        frame: frame_number(frame),
        time_ns: frame.time_ns,
        stream,
        sender,
        flags: tcp.flags,
        seq: tcp.seq,
        ack: tcp.ack,
        payload_len: tcp.payload_len,
        src_port: tcp.src_port,
        dst_port: tcp.dst_port,
    }
}

/// The packet as the tshark engine reads it from the plugin's fields: every step's number, the
/// first answer's expected ack, whether every answer fits, the states, the times, the verdicts
/// so far and the anomalies the plugin adds as expert items (but for `unanswered`, which needs
/// the final verdict: the fold marks the row).
fn labelled(frame: &Frame<'_>, tcp: &TcpHeader, stream: u32, view: &View<'_>) -> LabelledPacket {
    let mut packet = LabelledPacket {
        frame: frame.number,
        time: Seconds::from_nanos(frame.shown_time_ns),
        stream: u64::from(stream),
        src: tcp.src,
        dst: tcp.dst,
        src_port: tcp.src_port,
        dst_port: tcp.dst_port,
        flags: tcp.flags,
        payload_len: tcp.payload_len,
        ip_len: tcp.ip_len,
        seq: tcp.seq,
        ack: tcp.ack,
        window: u32::from(tcp.window),
        handshake_steps: Steps::new(),
        teardown_steps: Steps::new(),
        repeat: false,
        state_client: None,
        state_server: None,
        ack_ok: true,
        expected_ack: None,
        handshake_rtt: None,
        syn_to_synack: None,
        synack_to_ack: None,
        teardown_duration: None,
        conn_handshake: None,
        conn_teardown: None,
        anomalies: AnomalySet::default(),
    };
    let seconds = |nanos: Option<i64>| nanos.map(Seconds::from_nanos);
    for step in view.steps() {
        match step.step {
            Step::Handshake(number) => packet.handshake_steps.push(number),
            Step::Teardown(number) => packet.teardown_steps.push(number),
        }
        packet.repeat |= step.repeat;
        if let Some(answer) = step.answer {
            packet.expected_ack.get_or_insert(answer.expected);
            packet.ack_ok &= answer.ok();
        }
        if let Some(times) = step.handshake_times {
            packet.handshake_rtt = packet.handshake_rtt.or(seconds(times.rtt_ns));
            packet.syn_to_synack = packet.syn_to_synack.or(seconds(times.syn_to_synack_ns));
            packet.synack_to_ack = packet.synack_to_ack.or(seconds(times.synack_to_ack_ns));
        }
        packet.teardown_duration = packet
            .teardown_duration
            .or(seconds(step.teardown_duration_ns));
    }
    packet.state_client = view.client_state();
    packet.state_server = view.server_state();
    let connection = view.connection();
    packet.conn_handshake = Some(connection.handshake_verdict());
    packet.conn_teardown = Some(connection.teardown_verdict());
    packet.anomalies = view.anomaly_kinds();
    packet
}
