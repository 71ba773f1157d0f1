//! What tcpwave registers with Wireshark: its protocol, header fields (hf), subtrees (ett) and
//! expert infos (ei). Their filter names are the plugin's public interface: users type them in
//! display filters and the CLI reads them.
//!
//! Words tcpwave-core owns are not spelled again here: the step names come from
//! [`Step::packet_name`], the words listed in field descriptions from the core's vocabularies,
//! and each expert info's filter name from its [`Anomaly`]'s word. Those strings are made once,
//! when the plugin registers, and kept for the life of the process as Wireshark requires.

use std::ffi::{CStr, CString};
use std::sync::OnceLock;

use tcpwave_core::{Anomaly, HandshakeVerdict, Phase, Step, TeardownVerdict};

use crate::epan::{
    ExpertIndex, ExpertSpec, FieldIndex, FieldSpec, FieldType, Group, Severity, SubtreeIndex,
};

/// The protocol's name, short name and filter name, and the name of its tap and statistics tree.
pub const PROTOCOL: &CStr = c"tcpwave";

/// This plugin's fields, in the order of [`fields`].
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

impl Field {
    /// In declaration order, so that a field's index is its position.
    pub const ALL: [Field; 16] = [
        Field::Step,
        Field::HandshakeStep,
        Field::TeardownStep,
        Field::Repeat,
        Field::Phase,
        Field::ClientState,
        Field::ServerState,
        Field::AcksFrame,
        Field::ExpectedAck,
        Field::AckOk,
        Field::HandshakeRtt,
        Field::SynToSynAck,
        Field::SynAckToAck,
        Field::TeardownDuration,
        Field::ConnHandshake,
        Field::ConnTeardown,
    ];
}

impl From<Field> for FieldIndex {
    fn from(field: Field) -> FieldIndex {
        FieldIndex(field as usize)
    }
}

/// Every field's registration, in the order of [`Field`].
pub fn fields() -> &'static [FieldSpec] {
    static FIELDS: OnceLock<Vec<FieldSpec>> = OnceLock::new();
    FIELDS.get_or_init(|| Field::ALL.into_iter().map(field_spec).collect())
}

fn field_spec(field: Field) -> FieldSpec {
    let spec = |abbrev, name, field_type, blurb| FieldSpec {
        abbrev,
        name,
        field_type,
        blurb,
    };
    let verdicts = |words: String| kept(format!("{words} (two-pass runs and the GUI)"));
    match field {
        Field::Step => spec(
            c"tcpwave.step",
            c"Step",
            FieldType::Uint8 { names: None },
            c"Handshake (1-3) or teardown (1-4) step; once per step the packet is",
        ),
        Field::HandshakeStep => spec(
            c"tcpwave.handshake.step",
            c"Handshake step",
            FieldType::Uint8 {
                names: Some(step_names(StepKind::Handshake)),
            },
            kept(format!(
                "Step of the three-way handshake: {}",
                StepKind::Handshake
                    .steps()
                    .map(|step| format!("{} {}", step.number(), step.packet_name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        ),
        Field::TeardownStep => spec(
            c"tcpwave.teardown.step",
            c"Teardown step",
            FieldType::Uint8 {
                names: Some(step_names(StepKind::Teardown)),
            },
            c"Step of the four-way teardown: 1 FIN, 2 its ACK, 3 the peer's FIN, 4 its ACK",
        ),
        Field::Repeat => spec(
            c"tcpwave.repeat",
            c"Repeat",
            FieldType::Boolean,
            c"This step was already seen in this connection (retransmission)",
        ),
        Field::Phase => spec(
            c"tcpwave.phase",
            c"Phase",
            FieldType::String,
            kept(one_of(Phase::ALL, Phase::as_str)),
        ),
        Field::ClientState => spec(
            c"tcpwave.state.client",
            c"Client state",
            FieldType::String,
            c"RFC 793 state of the client after this packet",
        ),
        Field::ServerState => spec(
            c"tcpwave.state.server",
            c"Server state",
            FieldType::String,
            c"RFC 793 state of the server after this packet",
        ),
        Field::AcksFrame => spec(
            c"tcpwave.acks_frame",
            c"Acknowledges frame",
            FieldType::AckedFrame,
            c"The frame whose SYN or FIN this step acknowledges",
        ),
        Field::ExpectedAck => spec(
            c"tcpwave.expected_ack",
            c"Expected ack",
            FieldType::Uint32,
            c"The raw acknowledgment number a correct peer sends here",
        ),
        Field::AckOk => spec(
            c"tcpwave.ack_ok",
            c"Ack OK",
            FieldType::Boolean,
            c"The acknowledgment number is the expected one",
        ),
        Field::HandshakeRtt => spec(
            c"tcpwave.handshake.rtt",
            c"Handshake time",
            FieldType::RelativeTime,
            c"First SYN to the ACK completing the handshake",
        ),
        Field::SynToSynAck => spec(
            c"tcpwave.handshake.syn_to_synack",
            c"SYN to SYN/ACK",
            FieldType::RelativeTime,
            c"First SYN to first SYN/ACK",
        ),
        Field::SynAckToAck => spec(
            c"tcpwave.handshake.synack_to_ack",
            c"SYN/ACK to ACK",
            FieldType::RelativeTime,
            c"First SYN/ACK to the ACK completing the handshake",
        ),
        Field::TeardownDuration => spec(
            c"tcpwave.teardown.duration",
            c"Teardown time",
            FieldType::RelativeTime,
            c"First FIN to the ACK completing the teardown",
        ),
        Field::ConnHandshake => spec(
            c"tcpwave.conn.handshake",
            c"Connection handshake",
            FieldType::String,
            verdicts(one_of(HandshakeVerdict::ALL, HandshakeVerdict::as_str)),
        ),
        Field::ConnTeardown => spec(
            c"tcpwave.conn.teardown",
            c"Connection teardown",
            FieldType::String,
            verdicts(one_of(TeardownVerdict::ALL, TeardownVerdict::as_str)),
        ),
    }
}

/// The handshake's or the teardown's steps.
#[derive(Clone, Copy)]
enum StepKind {
    Handshake,
    Teardown,
}

impl StepKind {
    fn steps(self) -> impl Iterator<Item = Step> {
        Step::ALL.into_iter().filter(move |step| match self {
            StepKind::Handshake => matches!(step, Step::Handshake(_)),
            StepKind::Teardown => matches!(step, Step::Teardown(_)),
        })
    }
}

/// The value names of a step field: each step's number and [`Step::packet_name`].
fn step_names(kind: StepKind) -> &'static [(u32, &'static CStr)] {
    kind.steps()
        .map(|step| {
            (
                u32::from(step.number()),
                kept(step.packet_name().to_owned()),
            )
        })
        .collect::<Vec<_>>()
        .leak()
}

/// "a, b or c": every word of a vocabulary.
fn one_of<T: Copy>(words: &[T], word: fn(T) -> &'static str) -> String {
    let words: Vec<&str> = words.iter().map(|w| word(*w)).collect();
    match words.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// `text` as a C string kept for the life of the process: called only while the specs are made,
/// once.
fn kept(text: String) -> &'static CStr {
    let text = CString::new(text).expect("tcpwave's names and descriptions contain no NUL");
    Box::leak(text.into_boxed_c_str())
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

/// One expert info per [`Anomaly`], in its order, then the plugin's own [`INTERNAL_ERROR`].
pub fn experts() -> &'static [ExpertSpec] {
    static EXPERTS: OnceLock<Vec<ExpertSpec>> = OnceLock::new();
    EXPERTS.get_or_init(|| {
        let internal_error = ExpertSpec {
            abbrev: c"tcpwave.expert.internal_error",
            summary: c"tcpwave internal error",
            group: Group::Malformed,
            severity: Severity::Error,
        };
        Anomaly::ALL
            .iter()
            .map(|anomaly| anomaly_spec(*anomaly))
            .chain([internal_error])
            .collect()
    })
}

/// `tcpwave.expert.<the anomaly's word>`, its summary and its severity.
fn anomaly_spec(anomaly: Anomaly) -> ExpertSpec {
    use Severity::{Note, Warn};
    let (summary, severity) = match anomaly {
        Anomaly::Refused => (c"Connection refused", Warn),
        Anomaly::Abort => (c"Connection aborted by RST", Warn),
        Anomaly::Unanswered => (c"SYN never answered", Warn),
        Anomaly::Retransmission => (c"Handshake or teardown step repeated", Note),
        Anomaly::SimultaneousOpen => (c"Simultaneous open", Note),
        Anomaly::SimultaneousClose => (c"Simultaneous close", Note),
        Anomaly::HalfClose => (c"Half-close: data after the peer's FIN", Note),
        Anomaly::Midstream => (c"Connection seen without its handshake", Note),
        Anomaly::BadAck => (c"Acknowledgment number does not fit the step", Warn),
        Anomaly::IsnChanged => (c"SYN repeated with a new initial sequence number", Warn),
        Anomaly::OneWay => (c"One side's packets are missing from the capture", Note),
    };
    let protocol = PROTOCOL.to_str().expect("the protocol name is ASCII");
    ExpertSpec {
        abbrev: kept(format!("{protocol}.expert.{}", anomaly.as_str())),
        summary,
        group: Group::Sequence,
        severity,
    }
}

pub fn anomaly_expert(anomaly: Anomaly) -> ExpertIndex {
    ExpertIndex(anomaly as usize)
}

pub const INTERNAL_ERROR: ExpertIndex = ExpertIndex(Anomaly::ALL.len());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experts_follow_the_anomaly_order() {
        let experts = experts();
        assert_eq!(experts.len(), Anomaly::ALL.len() + 1);
        for anomaly in Anomaly::ALL {
            let abbrev = experts[anomaly_expert(*anomaly).0].abbrev.to_str().unwrap();
            assert_eq!(abbrev, format!("tcpwave.expert.{}", anomaly.as_str()));
        }
        assert_eq!(
            experts[INTERNAL_ERROR.0].abbrev,
            c"tcpwave.expert.internal_error"
        );
    }

    #[test]
    fn fields_follow_the_field_order() {
        let fields = fields();
        assert_eq!(fields.len(), Field::ALL.len());
        for (index, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(FieldIndex::from(field), FieldIndex(index));
        }
        assert_eq!(fields[Field::AckOk as usize].abbrev, c"tcpwave.ack_ok");
        assert_eq!(
            fields[Field::ConnTeardown as usize].abbrev,
            c"tcpwave.conn.teardown"
        );
    }

    #[test]
    fn descriptions_and_value_names_come_from_the_core() {
        let fields = fields();
        assert_eq!(
            fields[Field::HandshakeStep as usize].blurb,
            c"Step of the three-way handshake: 1 SYN, 2 SYN/ACK, 3 ACK"
        );
        assert_eq!(
            fields[Field::Phase as usize].blurb,
            c"handshake, established, teardown, closed, reset or midstream"
        );
        let FieldType::Uint8 { names: Some(names) } =
            fields[Field::TeardownStep as usize].field_type
        else {
            panic!("the teardown step has no value names");
        };
        let names: Vec<(u32, &str)> = names
            .iter()
            .map(|(value, name)| (*value, name.to_str().unwrap()))
            .collect();
        assert_eq!(
            names,
            [(1, "FIN"), (2, "ACK of FIN"), (3, "FIN"), (4, "ACK of FIN")]
        );
    }
}
