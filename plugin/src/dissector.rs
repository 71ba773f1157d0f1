//! The post-dissector, after Wireshark's TRANSUM: the fields it needs from TCP are resolved at
//! handoff, each frame is labelled on the first pass (the only pass on which those fields are
//! there to read) and every pass renders the stored labels, kept in [`file_state`]. Labelled
//! frames go to the protocol's tap, for the statistics.

use std::collections::HashMap;
use std::ffi::{c_int, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use tcpwave_core::{Flags, Segment, Step, View};

use crate::epan::{
    self, ForeignField, Item, Node, PacketInfo, ProtocolCallbacks, Registration, Tap, Tree,
};
use crate::file_state::{self, FileState};
use crate::hf::{self, anomaly_expert, Field, Subtree, INTERNAL_ERROR, PROTOCOL, SUBTREE_COUNT};

static REGISTRATION: OnceLock<&'static Registration> = OnceLock::new();
static TCP_FIELDS: OnceLock<TcpFields> = OnceLock::new();
/// The protocol's tap, through which labelled frames reach the statistics.
static TAP: OnceLock<Tap> = OnceLock::new();
/// Whether TCP's fields are asked for now (see [`want_fields_while_enabled`], [`want_fields_for`]).
static FIELDS_WANTED: AtomicBool = AtomicBool::new(true);
/// Frame on which to panic on purpose, to test that a panic stays inside the plugin.
static PANIC_FRAME: OnceLock<Option<u32>> = OnceLock::new();

/// Ids of the protocols and fields a TCP layer is read from. Ports, sequence numbers and flags
/// come straight from the header bytes under the `tcp` item, and the source address from those
/// under the `ip` or `ipv6` item; each field Wireshark must build for a post-dissector costs it
/// work on every packet (README, Benchmark), so of TCP's fields only what TCP computes is asked
/// for, and the protocols only from the Wireshark releases that would otherwise leave their items
/// out.
struct TcpFields {
    ip: ForeignField,
    ipv6: ForeignField,
    tcp: ForeignField,
    stream: ForeignField,
    len: ForeignField,
}

impl TcpFields {
    fn resolve() -> Option<TcpFields> {
        let field = ForeignField::by_name;
        Some(TcpFields {
            ip: field(c"ip")?,
            ipv6: field(c"ipv6")?,
            tcp: field(c"tcp")?,
            stream: field(c"tcp.stream")?,
            len: field(c"tcp.len")?,
        })
    }

    fn wanted(&self) -> Vec<c_int> {
        let mut wanted = vec![self.stream.id(), self.len.id()];
        if epan::PROTOCOL_ITEMS_MUST_BE_ASKED_FOR {
            wanted.extend([self.ip.id(), self.ipv6.id(), self.tcp.id()]);
        }
        wanted
    }
}

/// Where the source address is in an IPv4 (RFC 791) and an IPv6 (RFC 8200) header.
const IPV4_SOURCE: std::ops::Range<usize> = 12..16;
const IPV6_SOURCE: std::ops::Range<usize> = 8..24;

/// Registers the protocol, its fields and the post-dissector calling `callbacks`, and the tap
/// the statistics listen to (it must exist before they attach to it).
pub fn register(callbacks: ProtocolCallbacks) {
    let registration = epan::register_protocol(
        PROTOCOL,
        PROTOCOL,
        PROTOCOL,
        hf::fields(),
        SUBTREE_COUNT,
        hf::experts(),
        callbacks,
    );
    REGISTRATION.get_or_init(|| registration);
    PANIC_FRAME.get_or_init(|| {
        std::env::var("TCPWAVE_TEST_PANIC_FRAME")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    TAP.get_or_init(|| epan::register_tap(PROTOCOL));
}

pub fn handoff() {
    let (Some(_), Some(fields)) = (REGISTRATION.get(), TcpFields::resolve()) else {
        eprintln!(
            "tcpwave: this Wireshark lacks the TCP fields tcpwave reads; tcpwave stays inactive"
        );
        return;
    };
    TCP_FIELDS.get_or_init(|| fields);
}

/// Asks for TCP's fields only while first passes run in hidden trees. Asking costs Wireshark work
/// on every packet (README, Benchmark), and a visible tree (`tshark -V`, 4.0's `-T fields`) holds
/// every item anyway. Wireshark's programs dissect a file's first pass in one
/// kind of tree (tshark in one tree throughout, the GUI and `tshark -2` in hidden ones), so each
/// first-pass packet tells what the next will need.
fn want_fields_for(packet: &PacketInfo, registration: &Registration, fields: &TcpFields) {
    let needed = !packet.tree_is_visible();
    if FIELDS_WANTED.load(Ordering::Relaxed) == needed {
        return;
    }
    if needed {
        eprintln!(
            "tcpwave: frame {} is read for the first time in a hidden tree after frames in a visible one; \
             TCP's fields were not asked for, so it may be left unlabelled",
            packet.frame_number()
        );
    }
    set_fields_wanted(registration, fields, needed);
}

/// Asks Wireshark for TCP's fields, or stops asking, and remembers which.
fn set_fields_wanted(registration: &Registration, fields: &TcpFields, wanted: bool) {
    FIELDS_WANTED.store(wanted, Ordering::Relaxed);
    epan::want_fields(
        registration,
        &if wanted { fields.wanted() } else { Vec::new() },
    );
}

pub fn file_opened() {
    file_state::open();
    want_fields_while_enabled();
}

/// Asks for TCP's fields from the start of each file, but only while tcpwave is enabled: as long
/// as a post-dissector asks for fields, enabled or not, tshark builds every packet's protocol tree
/// even in summary mode (`tshark -r CAP`), which then takes much longer (README, Benchmark).
/// Wireshark runs the init routine that calls this before it dissects a file, and again after
/// protocols are enabled or disabled.
fn want_fields_while_enabled() {
    let (Some(registration), Some(fields)) = (REGISTRATION.get(), TCP_FIELDS.get()) else {
        return;
    };
    set_fields_wanted(registration, fields, registration.is_enabled());
}

pub fn file_closed() {
    file_state::close();
}

pub fn dissect(packet: &PacketInfo) {
    let (Some(registration), Some(fields)) = (REGISTRATION.get(), TCP_FIELDS.get()) else {
        return;
    };
    let frame = packet.frame_number();
    if PANIC_FRAME.get().copied().flatten() == Some(frame) {
        panic!("panic requested by TCPWAVE_TEST_PANIC_FRAME on frame {frame}");
    }
    let labelled = file_state::with_open_file(|state| {
        let FileState {
            capture,
            layers,
            summaries,
        } = state;
        let first_pass = capture.is_unseen(frame);
        if first_pass {
            want_fields_for(packet, registration, fields);
            read_tcp_layers(packet, fields, layers);
            capture.observe_frame(frame, layers);
        }
        let mut labelled = false;
        for view in capture.views(frame, !first_pass) {
            render(packet, registration, &view, summaries);
            labelled = true;
        }
        labelled
    });
    if let (true, Some(tap)) = (labelled, TAP.get()) {
        packet.queue_tap(*tap);
    }
}

pub fn report_internal_error(packet: &PacketInfo, message: &str) {
    let Some(registration) = REGISTRATION.get() else {
        return;
    };
    if let Some((item, _)) = packet.add_protocol(registration, Subtree::Protocol.into()) {
        let text =
            format!("tcpwave internal error: {message} (please report it with this capture)");
        packet.expert(registration, &item, INTERNAL_ERROR, &text);
    }
}

/// The TCP layers of the frame, outermost first. TCP headers quoted inside ICMP errors sit below
/// the ICMP item rather than at the top, so they are not taken for packets of the connection.
fn read_tcp_layers(packet: &PacketInfo, fields: &TcpFields, layers: &mut Vec<Segment>) {
    layers.clear();
    let mut ip_header = [0u8; 24];
    let mut source = 0..0;
    for node in packet.root_nodes() {
        let (is_ip, is_ipv6) = (node.is(fields.ip), node.is(fields.ipv6));
        if is_ip || is_ipv6 {
            let range = if is_ip { IPV4_SOURCE } else { IPV6_SOURCE };
            let read = node.bytes(&mut ip_header).map_or(0, <[u8]>::len);
            source = if read >= range.end { range } else { 0..0 };
        } else if node.is(fields.tcp) {
            if let Some(segment) = read_segment(packet, fields, node, &ip_header[source.clone()]) {
                layers.push(segment);
            }
        }
    }
}

/// A TCP header (RFC 793 section 3.1, RFC 3540 for the NS bit) up to its flags, or nothing for
/// a header cut short.
fn read_segment(
    packet: &PacketInfo,
    fields: &TcpFields,
    tcp: Node<'_>,
    source_address: &[u8],
) -> Option<Segment> {
    let mut header = [0u8; 14];
    if tcp.bytes(&mut header)?.len() < header.len() {
        return None;
    }
    let word = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let source_port = u16::from_be_bytes([header[0], header[1]]);
    let destination_port = u16::from_be_bytes([header[2], header[3]]);
    // Both come early among TCP's few dozen items, so the walk stops once it has them.
    let (mut stream, mut payload_len) = (None, None);
    for child in tcp.children() {
        if child.is(fields.stream) {
            stream = child.uint();
        } else if child.is(fields.len) {
            payload_len = child.uint();
        } else {
            continue;
        }
        if stream.is_some() && payload_len.is_some() {
            break;
        }
    }
    Some(Segment {
        frame: packet.frame_number(),
        time_ns: packet.time_ns(),
        stream: stream?,
        sender: Segment::sender_key(source_address, source_port),
        flags: Flags::from_header_bytes(header[12], header[13]),
        seq: word(4),
        ack: word(8),
        payload_len: payload_len.unwrap_or(0),
        src_port: source_port,
        dst_port: destination_port,
    })
}

fn render(
    packet: &PacketInfo,
    registration: &Registration,
    view: &View<'_>,
    summaries: &mut HashMap<u32, CString>,
) {
    let Some((item, tree)) = packet.add_protocol(registration, Subtree::Protocol.into()) else {
        return;
    };
    // The fields are left out when nothing reads them (`tshark -r CAP`); expert infos are counted
    // either way (`-z expert`, the GUI's expert dialog).
    if packet.fields_are_read(registration) {
        render_fields(registration, view, &item, &tree, summaries);
    }
    for (anomaly, message) in view.anomalies() {
        packet.expert(registration, &item, anomaly_expert(anomaly), &message);
    }
}

/// The fields under the protocol item, and its one-line summary.
fn render_fields(
    registration: &Registration,
    view: &View<'_>,
    item: &Item<'_>,
    tree: &Tree<'_>,
    summaries: &mut HashMap<u32, CString>,
) {
    for step in view.steps() {
        let field = match step.step {
            Step::Handshake(_) => Field::HandshakeStep,
            Step::Teardown(_) => Field::TeardownStep,
        };
        let number = u32::from(step.step.number());
        tree.add_uint(registration, Field::Step.into(), number);
        let Some(step_item) = tree.add_uint(registration, field.into(), number) else {
            continue;
        };
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
            let durations = [
                (Field::HandshakeRtt, times.rtt_ns),
                (Field::SynToSynAck, times.syn_to_synack_ns),
                (Field::SynAckToAck, times.synack_to_ack_ns),
            ];
            for (field, duration) in durations {
                if let Some(duration) = duration {
                    details.add_duration(registration, field.into(), duration);
                }
            }
        }
        if let Some(duration) = step.teardown_duration_ns {
            details.add_duration(registration, Field::TeardownDuration.into(), duration);
        }
    }
    tree.add_str(registration, Field::Phase.into(), view.phase().as_cstr());
    for (field, state) in [
        (Field::ClientState, view.client_state()),
        (Field::ServerState, view.server_state()),
    ] {
        if let Some(state) = state {
            tree.add_str(registration, field.into(), state.as_cstr());
        }
    }
    if let Some((handshake, teardown)) = view.verdicts() {
        tree.add_str(
            registration,
            Field::ConnHandshake.into(),
            handshake.as_cstr(),
        );
        tree.add_str(registration, Field::ConnTeardown.into(), teardown.as_cstr());
    }
    if item.is_shown() {
        let summary = summaries
            .entry(view.summary_key())
            .or_insert_with(|| CString::new(format!(": {}", view.summary())).unwrap_or_default());
        item.append_text(summary);
    }
}
