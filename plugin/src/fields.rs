//! The fields, subtrees and expert infos tcpwave registers. Their filter names are the plugin's
//! public interface: users type them in display filters and the CLI reads them.

use std::ffi::CStr;

use tcpwave_core::Anomaly;

use crate::ffi::{
    ExpertIndex, ExpertSpec, FieldIndex, FieldSpec, FieldType, Group, Severity, SubtreeIndex,
};

/// This plugin's fields, in the order of [`FIELDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Step,
    HandshakeStep,
    TeardownStep,
    Repeat,
    Phase,
    ClientState,
    ServerState,
    AcksFrame,
    ExpectedAck,
    AckOk,
    HandshakeRtt,
    SynToSynAck,
    SynAckToAck,
    TeardownDuration,
    ConnHandshake,
    ConnTeardown,
}

const HANDSHAKE_STEP_NAMES: &[(u32, &CStr)] = &[(1, c"SYN"), (2, c"SYN/ACK"), (3, c"ACK")];
const TEARDOWN_STEP_NAMES: &[(u32, &CStr)] = &[
    (1, c"FIN"),
    (2, c"ACK of FIN"),
    (3, c"FIN"),
    (4, c"ACK of FIN"),
];

const fn field(
    abbrev: &'static CStr,
    name: &'static CStr,
    field_type: FieldType,
    blurb: &'static CStr,
) -> FieldSpec {
    FieldSpec {
        abbrev,
        name,
        field_type,
        blurb,
    }
}

/// In the order of [`Field`].
pub const FIELDS: &[FieldSpec] = &[
    field(c"tcpwave.step", c"Step", FieldType::Uint8 { names: None }, c"Handshake (1-3) or teardown (1-4) step; once per step the packet is"),
    field(
        c"tcpwave.handshake.step",
        c"Handshake step",
        FieldType::Uint8 { names: Some(HANDSHAKE_STEP_NAMES) },
        c"Step of the three-way handshake: 1 SYN, 2 SYN/ACK, 3 ACK",
    ),
    field(
        c"tcpwave.teardown.step",
        c"Teardown step",
        FieldType::Uint8 { names: Some(TEARDOWN_STEP_NAMES) },
        c"Step of the four-way teardown: 1 FIN, 2 its ACK, 3 the peer's FIN, 4 its ACK",
    ),
    field(c"tcpwave.repeat", c"Repeat", FieldType::Boolean, c"This step was already seen in this connection (retransmission)"),
    field(c"tcpwave.phase", c"Phase", FieldType::String, c"handshake, established, teardown, closed, reset or midstream"),
    field(c"tcpwave.state.client", c"Client state", FieldType::String, c"RFC 793 state of the client after this packet"),
    field(c"tcpwave.state.server", c"Server state", FieldType::String, c"RFC 793 state of the server after this packet"),
    field(c"tcpwave.acks_frame", c"Acknowledges frame", FieldType::AckedFrame, c"The frame whose SYN or FIN this step acknowledges"),
    field(c"tcpwave.expected_ack", c"Expected ack", FieldType::Uint32, c"The raw acknowledgment number a correct peer sends here"),
    field(c"tcpwave.ack_ok", c"Ack OK", FieldType::Boolean, c"The acknowledgment number is the expected one"),
    field(c"tcpwave.handshake.rtt", c"Handshake time", FieldType::RelativeTime, c"First SYN to the ACK completing the handshake"),
    field(c"tcpwave.handshake.syn_to_synack", c"SYN to SYN/ACK", FieldType::RelativeTime, c"First SYN to first SYN/ACK"),
    field(c"tcpwave.handshake.synack_to_ack", c"SYN/ACK to ACK", FieldType::RelativeTime, c"First SYN/ACK to the ACK completing the handshake"),
    field(c"tcpwave.teardown.duration", c"Teardown time", FieldType::RelativeTime, c"First FIN to the ACK completing the teardown"),
    field(
        c"tcpwave.conn.handshake",
        c"Connection handshake",
        FieldType::String,
        c"complete, refused, unanswered, incomplete, simultaneous or midstream (two-pass runs and the GUI)",
    ),
    field(
        c"tcpwave.conn.teardown",
        c"Connection teardown",
        FieldType::String,
        c"four-way, three-way, simultaneous, reset, half-closed or none (two-pass runs and the GUI)",
    ),
];

impl From<Field> for FieldIndex {
    fn from(field: Field) -> FieldIndex {
        FieldIndex(field as usize)
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Subtree {
    Protocol,
    Step,
}

pub const SUBTREE_COUNT: usize = 2;

impl From<Subtree> for SubtreeIndex {
    fn from(subtree: Subtree) -> SubtreeIndex {
        SubtreeIndex(subtree as usize)
    }
}

const fn expert(
    abbrev: &'static CStr,
    summary: &'static CStr,
    group: Group,
    severity: Severity,
) -> ExpertSpec {
    ExpertSpec {
        abbrev,
        summary,
        group,
        severity,
    }
}

/// One expert info per [`Anomaly`], in its order, then the plugin's own internal error.
pub const EXPERTS: &[ExpertSpec] = &[
    expert(
        c"tcpwave.expert.refused",
        c"Connection refused",
        Group::Sequence,
        Severity::Warn,
    ),
    expert(
        c"tcpwave.expert.abort",
        c"Connection aborted by RST",
        Group::Sequence,
        Severity::Warn,
    ),
    expert(
        c"tcpwave.expert.unanswered",
        c"SYN never answered",
        Group::Sequence,
        Severity::Warn,
    ),
    expert(
        c"tcpwave.expert.retransmission",
        c"Handshake or teardown step repeated",
        Group::Sequence,
        Severity::Note,
    ),
    expert(
        c"tcpwave.expert.simultaneous_open",
        c"Simultaneous open",
        Group::Sequence,
        Severity::Note,
    ),
    expert(
        c"tcpwave.expert.simultaneous_close",
        c"Simultaneous close",
        Group::Sequence,
        Severity::Note,
    ),
    expert(
        c"tcpwave.expert.half_close",
        c"Half-close: data after the peer's FIN",
        Group::Sequence,
        Severity::Note,
    ),
    expert(
        c"tcpwave.expert.midstream",
        c"Connection seen without its handshake",
        Group::Sequence,
        Severity::Note,
    ),
    expert(
        c"tcpwave.expert.bad_ack",
        c"Acknowledgment number does not fit the step",
        Group::Sequence,
        Severity::Warn,
    ),
    expert(
        c"tcpwave.expert.isn_changed",
        c"SYN repeated with a new initial sequence number",
        Group::Sequence,
        Severity::Warn,
    ),
    expert(
        c"tcpwave.expert.one_way",
        c"One side's packets are missing from the capture",
        Group::Sequence,
        Severity::Note,
    ),
    expert(
        c"tcpwave.expert.internal_error",
        c"tcpwave internal error",
        Group::Malformed,
        Severity::Error,
    ),
];

pub fn anomaly_expert(anomaly: Anomaly) -> ExpertIndex {
    ExpertIndex(anomaly as usize)
}

pub const INTERNAL_ERROR: ExpertIndex = ExpertIndex(Anomaly::ALL.len());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experts_follow_the_anomaly_order() {
        assert_eq!(EXPERTS.len(), Anomaly::ALL.len() + 1);
        for anomaly in Anomaly::ALL {
            let abbrev = EXPERTS[anomaly_expert(*anomaly).0].abbrev.to_str().unwrap();
            assert_eq!(abbrev, format!("tcpwave.expert.{}", anomaly.as_str()));
        }
    }

    #[test]
    fn fields_follow_the_field_order() {
        assert_eq!(FIELDS.len(), Field::ConnTeardown as usize + 1);
        assert_eq!(FIELDS[Field::AckOk as usize].abbrev, c"tcpwave.ack_ok");
        assert_eq!(
            FIELDS[Field::ConnTeardown as usize].abbrev,
            c"tcpwave.conn.teardown"
        );
    }
}
