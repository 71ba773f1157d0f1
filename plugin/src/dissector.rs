//! The post-dissector, after Wireshark's TRANSUM: the fields it needs from TCP are resolved at
//! handoff, each frame is labelled on the first pass (the only pass on which those fields are
//! there to read) and every pass renders the stored labels.

use std::ffi::{c_int, CStr};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use tcpwave_core::{Capture, Flags, Segment, Step, View};

use crate::fields::{anomaly_expert, Field, Subtree, EXPERTS, FIELDS, INTERNAL_ERROR, SUBTREE_COUNT};
use crate::ffi::{self, Node, Packet, Registration};

static REGISTRATION: OnceLock<&'static Registration> = OnceLock::new();
static TCP_FIELDS: OnceLock<TcpFields> = OnceLock::new();
/// The open capture file; None between files.
static CAPTURE: Mutex<Option<Capture>> = Mutex::new(None);
/// Frame on which to panic on purpose, to test that a panic stays inside the plugin.
static PANIC_FRAME: OnceLock<Option<u32>> = OnceLock::new();

/// Field ids of the other dissectors' fields a TCP layer is read from.
struct TcpFields {
    ip: c_int,
    ip_src: c_int,
    ipv6: c_int,
    ipv6_src: c_int,
    tcp: c_int,
    srcport: c_int,
    stream: c_int,
    flags: c_int,
    seq_raw: c_int,
    ack_raw: c_int,
    len: c_int,
}

impl TcpFields {
    fn resolve() -> Option<TcpFields> {
        let id = |name: &CStr| ffi::field_id_by_name(name);
        Some(TcpFields {
            ip: id(c"ip")?,
            ip_src: id(c"ip.src")?,
            ipv6: id(c"ipv6")?,
            ipv6_src: id(c"ipv6.src")?,
            tcp: id(c"tcp")?,
            srcport: id(c"tcp.srcport")?,
            stream: id(c"tcp.stream")?,
            flags: id(c"tcp.flags")?,
            seq_raw: id(c"tcp.seq_raw")?,
            ack_raw: id(c"tcp.ack_raw")?,
            len: id(c"tcp.len")?,
        })
    }

    /// The fields Wireshark must build for us; protocols' own items always exist at the top.
    fn wanted(&self) -> [c_int; 8] {
        [self.ip_src, self.ipv6_src, self.srcport, self.stream, self.flags, self.seq_raw, self.ack_raw, self.len]
    }
}

pub fn register() {
    let registration = ffi::register_protocol(c"tcpwave", c"tcpwave", c"tcpwave", FIELDS, SUBTREE_COUNT, EXPERTS);
    REGISTRATION.get_or_init(|| registration);
    PANIC_FRAME.get_or_init(|| std::env::var("TCPWAVE_TEST_PANIC_FRAME").ok().and_then(|v| v.parse().ok()));
}

pub fn handoff() {
    let (Some(registration), Some(fields)) = (REGISTRATION.get(), TcpFields::resolve()) else {
        eprintln!("tcpwave: this Wireshark lacks the TCP fields tcpwave reads; tcpwave stays inactive");
        return;
    };
    ffi::want_fields(registration, &fields.wanted());
    TCP_FIELDS.get_or_init(|| fields);
}

pub fn file_opened() {
    *capture() = Some(Capture::new());
}

pub fn file_closed() {
    *capture() = None;
}

/// The capture state, even if a panic interrupted an earlier packet while it held the lock.
fn capture() -> MutexGuard<'static, Option<Capture>> {
    CAPTURE.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn dissect(packet: &Packet) {
    let (Some(registration), Some(fields)) = (REGISTRATION.get(), TCP_FIELDS.get()) else { return };
    let frame = packet.frame_number();
    if PANIC_FRAME.get().copied().flatten() == Some(frame) {
        panic!("panic requested by TCPWAVE_TEST_PANIC_FRAME on frame {frame}");
    }
    let mut guard = capture();
    let capture = guard.get_or_insert_with(Capture::new);
    let first_pass = capture.is_unseen(frame);
    if first_pass {
        let layers = read_tcp_layers(packet, fields);
        capture.observe_frame(frame, &layers);
    }
    for view in capture.views(frame, !first_pass) {
        render(packet, registration, &view);
    }
}

pub fn report_internal_error(packet: &Packet, message: &str) {
    let Some(registration) = REGISTRATION.get() else { return };
    if let Some((item, _)) = packet.add_protocol(registration, Subtree::Protocol.into()) {
        let text = format!("tcpwave internal error: {message} (please report it with this capture)");
        packet.expert(registration, &item, INTERNAL_ERROR, &text);
    }
}

/// The TCP layers of the frame, outermost first. TCP headers quoted inside ICMP errors sit below
/// the ICMP item rather than at the top, so they are not taken for packets of the connection.
fn read_tcp_layers(packet: &Packet, fields: &TcpFields) -> Vec<Segment> {
    let mut layers = Vec::new();
    let mut source_address = [0u8; 16];
    let mut source_len = 0;
    for node in packet.root_nodes() {
        let Some(id) = node.field_id() else { continue };
        if id == fields.ip || id == fields.ipv6 {
            let src = if id == fields.ip { fields.ip_src } else { fields.ipv6_src };
            let mut buffer = [0u8; 16];
            source_len = node
                .children()
                .find(|child| child.field_id() == Some(src))
                .and_then(|child| child.bytes(&mut buffer).map(<[u8]>::len))
                .unwrap_or(0);
            source_address = buffer;
        } else if id == fields.tcp {
            if let Some(segment) = read_segment(packet, fields, node, &source_address[..source_len]) {
                layers.push(segment);
            }
        }
    }
    layers
}

fn read_segment(packet: &Packet, fields: &TcpFields, tcp: Node<'_>, source_address: &[u8]) -> Option<Segment> {
    let (mut srcport, mut stream, mut flags, mut seq, mut ack, mut len) = (None, None, None, None, None, None);
    for child in tcp.children() {
        let Some(id) = child.field_id() else { continue };
        let slot = match id {
            _ if id == fields.srcport => &mut srcport,
            _ if id == fields.stream => &mut stream,
            _ if id == fields.flags => &mut flags,
            _ if id == fields.seq_raw => &mut seq,
            _ if id == fields.ack_raw => &mut ack,
            _ if id == fields.len => &mut len,
            _ => continue,
        };
        slot.get_or_insert(child.uint()?);
    }
    Some(Segment {
        frame: packet.frame_number(),
        time_ns: packet.time_ns(),
        stream: stream?,
        sender: endpoint_key(source_address, srcport?),
        flags: Flags(u16::try_from(flags?).ok()?),
        seq: seq?,
        ack: ack.unwrap_or(0),
        payload_len: len.unwrap_or(0),
    })
}

/// Tells the two endpoints of a stream apart: FNV-1a over the source address and port.
fn endpoint_key(address: &[u8], port: u32) -> u64 {
    address.iter().chain(&port.to_be_bytes()).fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn render(packet: &Packet, registration: &Registration, view: &View<'_>) {
    let Some((item, tree)) = packet.add_protocol(registration, Subtree::Protocol.into()) else { return };
    let mut summary = Vec::new();
    for step in view.steps() {
        let (field, kind) = match step.step {
            Step::Handshake(_) => (Field::HandshakeStep, "Handshake"),
            Step::Teardown(_) => (Field::TeardownStep, "Teardown"),
        };
        let number = u32::from(step.step.number());
        tree.add_uint(registration, Field::Step.into(), number);
        let Some(step_item) = tree.add_uint(registration, field.into(), number) else { continue };
        let details = step_item.subtree(registration, Subtree::Step.into());
        if step.repeat {
            details.add_bool(registration, Field::Repeat.into(), true);
        }
        if let Some(answer) = step.answer {
            details.add_uint(registration, Field::AcksFrame.into(), answer.answered_frame);
            details.add_uint(registration, Field::ExpectedAck.into(), answer.expected);
            details.add_bool(registration, Field::AckOk.into(), answer.ok());
        }
        if let Some(times) = step.handshake_times {
            details.add_duration(registration, Field::HandshakeRtt.into(), times.rtt_ns);
            details.add_duration(registration, Field::SynToSynAck.into(), times.syn_to_synack_ns);
            details.add_duration(registration, Field::SynAckToAck.into(), times.synack_to_ack_ns);
        }
        if let Some(duration) = step.teardown_duration_ns {
            details.add_duration(registration, Field::TeardownDuration.into(), duration);
        }
        if item.is_shown() {
            let repeat = if step.repeat { ", repeated" } else { "" };
            summary.push(format!("{kind} {} ({}{repeat})", step.step.number(), step.step.packet_name()));
        }
    }
    tree.add_str(registration, Field::Phase.into(), view.phase().as_cstr());
    tree.add_str(registration, Field::ClientState.into(), view.client_state().as_cstr());
    tree.add_str(registration, Field::ServerState.into(), view.server_state().as_cstr());
    if let Some((handshake, teardown)) = view.verdicts() {
        tree.add_str(registration, Field::ConnHandshake.into(), handshake.as_cstr());
        tree.add_str(registration, Field::ConnTeardown.into(), teardown.as_cstr());
    }
    if item.is_shown() {
        if summary.is_empty() {
            summary.push(view.phase().to_string());
        }
        item.append_text(&format!(
            ": {}; client {}, server {}",
            summary.join(", "),
            view.client_state(),
            view.server_state()
        ));
    }
    for (anomaly, message) in view.anomalies() {
        packet.expert(registration, &item, anomaly_expert(anomaly), &message);
    }
}
