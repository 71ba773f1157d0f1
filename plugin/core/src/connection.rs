//! One TCP connection's handshake and teardown, packet by packet.
//!
//! [`Connection::observe`] takes the segments of one `tcp.stream` in capture order and labels each:
//! its steps (README, "How packets are labelled"), the states both sides are left in, the phase,
//! and anomalies. The connection keeps only facts, not per-packet history, so its size does not
//! grow with the number of packets.

use std::num::NonZeroU32;

use crate::roles::first_sender_side;
use crate::segment::{Flags, Segment, Side};
use crate::vocab::{Anomaly, HandshakeVerdict, Phase, TcpState, TeardownVerdict};

/// A step of the three-way handshake (1 to 3) or of the four-way teardown (1 to 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Handshake(u8),
    Teardown(u8),
}

impl Step {
    /// Every step, in the order a packet carrying several lists them.
    pub const ALL: [Step; 7] = [
        Step::Handshake(1),
        Step::Handshake(2),
        Step::Handshake(3),
        Step::Teardown(1),
        Step::Teardown(2),
        Step::Teardown(3),
        Step::Teardown(4),
    ];

    pub fn number(self) -> u8 {
        match self {
            Step::Handshake(n) | Step::Teardown(n) => n,
        }
    }

    /// The packet a step is, as the textbook diagrams name it.
    pub fn packet_name(self) -> &'static str {
        match self {
            Step::Handshake(1) => "SYN",
            Step::Handshake(2) => "SYN/ACK",
            Step::Handshake(_) => "ACK",
            Step::Teardown(1) | Step::Teardown(3) => "FIN",
            Step::Teardown(_) => "ACK of FIN",
        }
    }

    /// Which of the two exchanges the step belongs to, as summaries and statistics name it.
    pub fn kind_name(self) -> &'static str {
        match self {
            Step::Handshake(_) => "Handshake",
            Step::Teardown(_) => "Teardown",
        }
    }

    /// `H1` … `H3`, `T1` … `T4`: the step in ladders, where space is short.
    pub fn short_name(self) -> String {
        format!("{}{}", &self.kind_name()[..1], self.number())
    }

    /// `Handshake 1 (SYN)`, `Teardown 2 (ACK of FIN)`.
    pub fn title(self) -> String {
        format!(
            "{} {} ({})",
            self.kind_name(),
            self.number(),
            self.packet_name()
        )
    }

    fn bit(self) -> u8 {
        match self {
            Step::Handshake(n) => 1 << (n - 1),
            Step::Teardown(n) => 1 << (n + 2),
        }
    }
}

/// The steps one packet carries (a FIN/ACK can be teardown steps 2 and 3 at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StepSet(u8);

impl StepSet {
    pub fn insert(&mut self, step: Step) {
        self.0 |= step.bit();
    }

    pub fn contains(self, step: Step) -> bool {
        self.0 & step.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Step> {
        Step::ALL
            .into_iter()
            .filter(move |step| self.contains(*step))
    }

    fn has_teardown(self) -> bool {
        self.iter().any(|step| matches!(step, Step::Teardown(_)))
    }
}

/// The anomalies found on one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AnomalySet(u16);

impl AnomalySet {
    pub fn insert(&mut self, anomaly: Anomaly) {
        self.0 |= 1 << anomaly as u16;
    }

    pub fn remove(&mut self, anomaly: Anomaly) {
        self.0 &= !(1 << anomaly as u16);
    }

    pub fn contains(self, anomaly: Anomaly) -> bool {
        self.0 & (1 << anomaly as u16) != 0
    }

    /// Adds every member of `other`.
    pub fn extend(&mut self, other: AnomalySet) {
        self.0 |= other.0;
    }

    /// In the order of [`Anomaly::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Anomaly> {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            let bit = rest.trailing_zeros() as usize;
            rest &= rest.wrapping_sub(1);
            Anomaly::ALL.get(bit).copied()
        })
    }
}

/// What one packet is, as computed when it was first seen: one is kept per TCP layer of every
/// frame, so it is packed into two words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub stream: u32,
    bits: u32,
}

/// Bit positions in [`Label::bits`].
const STEPS: u32 = 0;
const REPEATS: u32 = 7;
const PHASE: u32 = 14;
const CLIENT: u32 = 17;
const SERVER: u32 = 21;
const SENDER: u32 = 25;
const STORED_ANOMALIES: u32 = 26;
/// A phase value no phase has: marks the absence of a label.
const NO_PHASE: u32 = 0b111;
/// A state value no state has: the state cannot be known from the capture.
const UNKNOWN_STATE: u32 = 0b1111;

/// The anomalies a label stores; the others follow from the rest of the label (a repeat is a
/// retransmission), from the answers (a bad ack), from the connection (whether a RST refused or
/// aborted it) or from the connection's verdicts (an unanswered SYN).
const STORED: [Anomaly; 6] = [
    Anomaly::Abort,
    Anomaly::SimultaneousOpen,
    Anomaly::SimultaneousClose,
    Anomaly::HalfClose,
    Anomaly::Midstream,
    Anomaly::IsnChanged,
];

impl Label {
    /// A placeholder for frames without TCP.
    pub const NONE: Label = Label {
        stream: 0,
        bits: NO_PHASE << PHASE,
    };

    #[allow(clippy::too_many_arguments)]
    fn new(
        stream: u32,
        steps: StepSet,
        repeats: StepSet,
        phase: Phase,
        client: Option<TcpState>,
        server: Option<TcpState>,
        sender: Side,
        anomalies: AnomalySet,
    ) -> Label {
        let stored = STORED
            .iter()
            .enumerate()
            .fold(0u32, |bits, (bit, anomaly)| {
                let present = anomalies.contains(*anomaly)
                    || (*anomaly == Anomaly::Abort && anomalies.contains(Anomaly::Refused));
                bits | (u32::from(present) << bit)
            });
        let bits = u32::from(steps.0) << STEPS
            | u32::from(repeats.0) << REPEATS
            | (phase as u32) << PHASE
            | client.map_or(UNKNOWN_STATE, |state| state as u32) << CLIENT
            | server.map_or(UNKNOWN_STATE, |state| state as u32) << SERVER
            | (sender as u32) << SENDER
            | stored << STORED_ANOMALIES;
        Label { stream, bits }
    }

    fn field(self, shift: u32, width: u32) -> u32 {
        (self.bits >> shift) & ((1 << width) - 1)
    }

    /// The bits that decide how the packet is summed up in one line: steps, repeats, phase
    /// and states.
    pub fn summary_bits(self) -> u32 {
        self.bits & ((1 << SENDER) - 1)
    }

    pub fn is_none(self) -> bool {
        self.field(PHASE, 3) == NO_PHASE
    }

    pub fn steps(self) -> StepSet {
        StepSet(self.field(STEPS, 7) as u8)
    }

    pub fn repeats(self) -> StepSet {
        StepSet(self.field(REPEATS, 7) as u8)
    }

    pub fn phase(self) -> Phase {
        Phase::ALL[self.field(PHASE, 3) as usize]
    }

    /// The client's state, when the capture shows it.
    pub fn client(self) -> Option<TcpState> {
        TcpState::ALL.get(self.field(CLIENT, 4) as usize).copied()
    }

    /// The server's state, when the capture shows it.
    pub fn server(self) -> Option<TcpState> {
        TcpState::ALL.get(self.field(SERVER, 4) as usize).copied()
    }

    pub fn sender(self) -> Side {
        if self.field(SENDER, 1) == 0 {
            Side::Client
        } else {
            Side::Server
        }
    }

    /// The stored anomalies; a RST's shows as [`Anomaly::Abort`] whichever it was.
    pub fn stored_anomalies(self) -> AnomalySet {
        let mut set = AnomalySet::default();
        for (bit, anomaly) in STORED.iter().enumerate() {
            if self.field(STORED_ANOMALIES + bit as u32, 1) == 1 {
                set.insert(*anomaly);
            }
        }
        set
    }
}

/// How a step that acknowledges a SYN or a FIN (handshake 2 and 3, teardown 2 and 4) fits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub frame: u32,
    /// The latest earlier frame carrying the SYN or FIN this step acknowledges.
    pub answered_frame: u32,
    /// The acknowledgment number a correct peer sends.
    pub expected: u32,
    /// The one this packet sent.
    pub actual: u32,
    pub layer: u8,
    pub step: Step,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.expected == self.actual
    }
}

/// A SYN, SYN/ACK or FIN a side sent, and how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub first_frame: NonZeroU32,
    pub latest_frame: u32,
    /// Sequence number of the SYN or FIN flag itself.
    pub seq: u32,
    /// Payload carried with a SYN (TCP Fast Open); 0 for a FIN, whose data precedes `seq`.
    pub len: u32,
}

/// Frame numbers start at 1; a 0 from a caller is taken as 1.
fn frame_number(frame: u32) -> NonZeroU32 {
    NonZeroU32::new(frame).unwrap_or(NonZeroU32::MIN)
}

/// One TCP layer of one frame: a frame can hold several packets of one connection (tunnels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PacketId {
    frame: NonZeroU32,
    layer: u8,
}

impl PacketId {
    fn new(frame: u32, layer: u8) -> PacketId {
        PacketId {
            frame: frame_number(frame),
            layer,
        }
    }
}

impl Sent {
    fn new(segment: &Segment, seq: u32, len: u32) -> Sent {
        Sent {
            first_frame: frame_number(segment.frame),
            latest_frame: segment.frame,
            seq,
            len,
        }
    }

    /// The acknowledgment number that acknowledges this flag and the data sent with it.
    pub fn end(&self) -> u32 {
        self.seq.wrapping_add(self.len).wrapping_add(1)
    }
}

/// What one side sent, and what it has seen of its peer as far as the capture shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct SideFacts {
    pub syn: Option<Sent>,
    pub synack: Option<Sent>,
    pub fin: Option<Sent>,
    /// The initial sequence number of a SYN or SYN/ACK the capture missed, from the peer's
    /// acknowledgment of it.
    implied_isn: Option<u32>,
    /// The acknowledgment number of this side's latest packet with ACK.
    latest_ack: Option<u32>,
    /// Frame of this side's latest handshake step 3 and teardown step 2 or 4.
    latest_syn_answer: Option<NonZeroU32>,
    latest_fin_answer: Option<NonZeroU32>,
    pub sent_packets: bool,
    syn_received: bool,
    syn_acked: bool,
    fin_received: bool,
    fin_acked: bool,
    /// One of this side's FINs was a teardown step (its peer had been seen by then).
    fin_numbered: bool,
    /// This side sent its FIN after receiving the peer's (CLOSE_WAIT, then LAST_ACK).
    closed_passively: bool,
}

impl SideFacts {
    /// The initial sequence number, from the latest SYN or SYN/ACK this side sent, or from the
    /// peer's acknowledgment of one the capture missed.
    fn isn(&self) -> Option<u32> {
        match (self.syn, self.synack) {
            (Some(syn), Some(synack)) if syn.latest_frame > synack.latest_frame => Some(syn.seq),
            (_, Some(synack)) => Some(synack.seq),
            (Some(syn), None) => Some(syn.seq),
            (None, None) => self.implied_isn,
        }
    }

    /// RFC 793 section 3.2 state, derived from the facts.
    fn state(&self, reset: bool) -> TcpState {
        if reset {
            return TcpState::Closed;
        }
        if self.fin.is_some() {
            return match (self.closed_passively, self.fin_received, self.fin_acked) {
                (true, _, true) => TcpState::Closed,
                (true, _, false) => TcpState::LastAck,
                (false, false, false) => TcpState::FinWait1,
                (false, false, true) => TcpState::FinWait2,
                (false, true, false) => TcpState::Closing,
                (false, true, true) => TcpState::TimeWait,
            };
        }
        if self.fin_received {
            return TcpState::CloseWait;
        }
        let sent_syn = self.isn().is_some();
        match (self.syn_acked, sent_syn, self.syn_received) {
            (true, _, _) => TcpState::Established,
            (false, true, false) => TcpState::SynSent,
            (false, _, true) => TcpState::SynReceived,
            (false, false, false) => TcpState::Closed,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Reset {
    refused: bool,
    /// The RST came before both FINs were acknowledged.
    cut_teardown: bool,
}

/// Capture times of the milestones; each is valid once its milestone happened.
#[derive(Debug, Clone, Copy, Default)]
struct Times {
    first_syn_ns: Option<i64>,
    first_synack_ns: Option<i64>,
    first_fin_ns: i64,
    teardown_done_ns: i64,
}

/// Timings of the handshake: its first SYN, its first SYN/ACK, the ACK that completed it. Each
/// needs both of its packets captured before that ACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeTimes {
    pub rtt_ns: Option<i64>,
    pub syn_to_synack_ns: Option<i64>,
    pub synack_to_ack_ns: Option<i64>,
}

/// One `tcp.stream`.
#[derive(Debug, Clone)]
pub struct Connection {
    first_sender: u64,
    first_sender_side: Side,
    midstream: bool,
    sides: [SideFacts; 2],
    reset: Option<Reset>,
    /// The first step 3.
    handshake_done: Option<PacketId>,
    /// Taken when the first step 3 came: a SYN captured later must not time it.
    handshake_times: Option<HandshakeTimes>,
    /// A SYN/ACK's sender went on without SYN, which it does only once the SYN/ACK was acknowledged.
    handshake_shown: bool,
    /// The packet that first showed the peer's packets are missing from the capture.
    one_way_shown: Option<PacketId>,
    /// The packet whose acknowledgment completed the teardown.
    teardown_done: Option<PacketId>,
    times: Times,
    active_closer: Option<Side>,
    simultaneous_close: bool,
    fin_ack_combined: bool,
    half_close_seen: bool,
}

/// What [`Connection::observe`] found in a segment.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    pub label: Label,
    pub answers: [Option<Answer>; 2],
}

/// `a` is at or after `b` in sequence space (RFC 793 section 3.3, modulo 2^32).
fn seq_at_or_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

impl Connection {
    /// A connection whose first packet in the capture is `first`.
    pub fn new(first: &Segment) -> Connection {
        let is_syn = first.flags.has(Flags::SYN);
        let first_sender_side = first_sender_side(first.flags, first.src_port, first.dst_port);
        let mut sides = [SideFacts::default(); 2];
        let midstream = !is_syn;
        if midstream {
            for side in &mut sides {
                side.syn_received = true;
                side.syn_acked = true;
            }
        }
        Connection {
            first_sender: first.sender,
            first_sender_side,
            midstream,
            sides,
            reset: None,
            handshake_done: None,
            handshake_times: None,
            handshake_shown: false,
            one_way_shown: None,
            teardown_done: None,
            times: Times::default(),
            active_closer: None,
            simultaneous_close: false,
            fin_ack_combined: false,
            half_close_seen: false,
        }
    }

    pub fn side_of(&self, segment: &Segment) -> Side {
        if segment.sender == self.first_sender {
            self.first_sender_side
        } else {
            self.first_sender_side.peer()
        }
    }

    pub fn facts(&self, side: Side) -> &SideFacts {
        &self.sides[side as usize]
    }

    pub fn active_closer(&self) -> Option<Side> {
        self.active_closer
    }

    /// Whether TCP layer `layer` of `frame` is the first step 3, which completed the handshake.
    pub fn completed_handshake(&self, frame: u32, layer: u8) -> bool {
        self.handshake_done == Some(PacketId::new(frame, layer))
    }

    /// Whether TCP layer `layer` of `frame` is the acknowledgment that completed the teardown.
    pub fn completed_teardown(&self, frame: u32, layer: u8) -> bool {
        self.teardown_done == Some(PacketId::new(frame, layer))
    }

    /// Whether TCP layer `layer` of `frame` is the packet that first showed the peer's packets
    /// are missing from the capture (a one-way capture).
    pub fn showed_one_way(&self, frame: u32, layer: u8) -> bool {
        self.one_way_shown == Some(PacketId::new(frame, layer))
    }

    /// A FIN was captured while one side has sent nothing captured: who closed first, and
    /// whether each FIN was acknowledged, cannot be known.
    fn closes_unseen(&self) -> bool {
        self.sides.iter().any(|side| !side.sent_packets)
            && self.sides.iter().any(|side| side.fin.is_some())
    }

    /// Whether a RST refused the connection (rather than aborting it).
    pub fn was_refused(&self) -> bool {
        self.reset.is_some_and(|reset| reset.refused)
    }

    /// Labels `segment`, the next packet of this connection in capture order.
    pub fn observe(&mut self, segment: &Segment, layer: u8) -> Observation {
        let side = self.side_of(segment);
        let peer = side.peer();
        let is_first_packet = !self.sides[0].sent_packets && !self.sides[1].sent_packets;
        let peer_unseen = !self.sides[peer as usize].sent_packets;
        self.sides[side as usize].sent_packets = true;

        let mut steps = StepSet::default();
        let mut repeats = StepSet::default();
        let mut anomalies = AnomalySet::default();
        let mut answers = [None, None];

        if is_first_packet && self.midstream {
            anomalies.insert(Anomaly::Midstream);
        }

        let flags = segment.flags;
        if self.reset.is_none() {
            if flags.has(Flags::RST) {
                self.observe_reset(side, &mut anomalies);
            } else {
                let mut found = Found {
                    steps: &mut steps,
                    repeats: &mut repeats,
                    anomalies: &mut anomalies,
                };
                if flags.has(Flags::SYN) {
                    answers[0] = self.observe_syn(segment, side, layer, &mut found);
                } else if flags.has(Flags::ACK) {
                    answers[0] = self.observe_syn_answer(segment, side, layer, &mut found);
                }
                if flags.has(Flags::ACK) {
                    let answer = self.observe_fin_answer(segment, side, layer, &mut found);
                    answers[usize::from(answers[0].is_some())] = answer;
                }
                if flags.has(Flags::FIN) {
                    self.observe_fin(segment, side, &mut found);
                }
                self.observe_half_close(segment, side, &mut anomalies);
                if peer_unseen
                    && self.one_way_shown.is_none()
                    && self.shows_missing_peer(segment, side)
                {
                    self.one_way_shown = Some(PacketId::new(segment.frame, layer));
                }
                self.update_knowledge(segment, side, peer);
            }
        }

        if self.teardown_done.is_none() && self.sides.iter().all(|s| s.fin.is_some() && s.fin_acked)
        {
            self.teardown_done = Some(PacketId::new(segment.frame, layer));
            self.times.teardown_done_ns = segment.time_ns;
        }

        let reset = self.reset.is_some();
        let known = reset || !self.closes_unseen();
        let state = |side: Side| known.then(|| self.sides[side as usize].state(reset));
        let label = Label::new(
            segment.stream,
            steps,
            repeats,
            self.phase_of(steps),
            state(Side::Client),
            state(Side::Server),
            side,
            anomalies,
        );
        Observation { label, answers }
    }

    /// RFC 793 section 3.4 ("Reset Generation"): a RST that answers a SYN nobody acknowledged
    /// means no one listens on that port; any other RST aborts the connection.
    fn observe_reset(&mut self, side: Side, anomalies: &mut AnomalySet) {
        let peer = side.peer();
        let refused = !self.midstream
            && self.sides[peer as usize].syn.is_some()
            && self.sides[side as usize].synack.is_none()
            && self.handshake_done.is_none();
        anomalies.insert(if refused {
            Anomaly::Refused
        } else {
            Anomaly::Abort
        });
        self.reset = Some(Reset {
            refused,
            cut_teardown: self.teardown_done.is_none(),
        });
    }

    /// Handshake steps 1 (SYN) and 2 (SYN/ACK).
    fn observe_syn(
        &mut self,
        segment: &Segment,
        side: Side,
        layer: u8,
        found: &mut Found,
    ) -> Option<Answer> {
        let peer = self.sides[side.peer() as usize];
        let peer_syn = peer.syn;
        let this = &mut self.sides[side as usize];
        if !segment.flags.has(Flags::ACK) {
            found.step(Step::Handshake(1), this.syn.is_some());
            match &mut this.syn {
                Some(syn) => {
                    if syn.seq != segment.seq {
                        found.anomalies.insert(Anomaly::IsnChanged);
                    }
                    syn.latest_frame = segment.frame;
                    syn.seq = segment.seq;
                    syn.len = segment.payload_len;
                }
                None => {
                    this.syn = Some(Sent::new(segment, segment.seq, segment.payload_len));
                    match peer_syn {
                        Some(_) => found.anomalies.insert(Anomaly::SimultaneousOpen),
                        // No SYN before this one: the handshake's first.
                        None => self.times.first_syn_ns = Some(segment.time_ns),
                    }
                }
            }
            return None;
        }
        found.step(Step::Handshake(2), this.synack.is_some());
        match &mut this.synack {
            Some(synack) => {
                synack.latest_frame = segment.frame;
                synack.seq = segment.seq;
                synack.len = segment.payload_len;
            }
            None => {
                this.synack = Some(Sent::new(segment, segment.seq, segment.payload_len));
                self.times.first_synack_ns.get_or_insert(segment.time_ns);
            }
        }
        // A SYN/ACK may acknowledge the SYN alone or also the data it carried (RFC 7413 section 3).
        peer_syn.map(|syn| {
            let acceptable = [syn.seq.wrapping_add(1), syn.end()];
            let expected = if acceptable.contains(&segment.ack) {
                segment.ack
            } else {
                syn.end()
            };
            Answer {
                frame: segment.frame,
                layer,
                step: Step::Handshake(2),
                answered_frame: syn.latest_frame,
                expected,
                actual: segment.ack,
            }
        })
    }

    /// Handshake step 3: the first ACK from a side that sent a SYN, after the peer's SYN/ACK. When
    /// the SYN/ACK was not captured, the side's first ACK after its SYN still shows it arrived,
    /// but there is nothing to check its acknowledgment against.
    fn observe_syn_answer(
        &mut self,
        segment: &Segment,
        side: Side,
        layer: u8,
        found: &mut Found,
    ) -> Option<Answer> {
        let synack = self.sides[side.peer() as usize].synack;
        let this = &mut self.sides[side as usize];
        if this.syn.is_none() && this.synack.is_some() {
            return None;
        }
        if synack.is_none() && (this.syn.is_none() || this.latest_syn_answer.is_some()) {
            return None;
        }
        let repeat = match (this.latest_syn_answer, synack) {
            (None, _) => false,
            (Some(frame), Some(synack)) if synack.latest_frame > frame.get() => true,
            (Some(_), _) => return None,
        };
        this.latest_syn_answer = Some(frame_number(segment.frame));
        found.step(Step::Handshake(3), repeat);
        if self.handshake_done.is_none() {
            self.handshake_done = Some(PacketId::new(segment.frame, layer));
            let Times {
                first_syn_ns,
                first_synack_ns,
                ..
            } = self.times;
            let since = |start: i64| segment.time_ns.saturating_sub(start);
            self.handshake_times = Some(HandshakeTimes {
                rtt_ns: first_syn_ns.map(since),
                syn_to_synack_ns: first_syn_ns
                    .zip(first_synack_ns)
                    .map(|(syn, synack)| synack.saturating_sub(syn)),
                synack_to_ack_ns: first_synack_ns.map(since),
            });
        }
        synack.map(|synack| Answer {
            frame: segment.frame,
            layer,
            step: Step::Handshake(3),
            answered_frame: synack.latest_frame,
            expected: synack.end(),
            actual: segment.ack,
        })
    }

    /// Teardown steps 2 and 4: the first packet that acknowledges the peer's FIN.
    fn observe_fin_answer(
        &mut self,
        segment: &Segment,
        side: Side,
        layer: u8,
        found: &mut Found,
    ) -> Option<Answer> {
        let fin = self.sides[side.peer() as usize].fin?;
        if !seq_at_or_after(segment.ack, fin.end()) {
            return None;
        }
        let this = &mut self.sides[side as usize];
        let repeat = match this.latest_fin_answer {
            None => false,
            Some(frame) if fin.latest_frame > frame.get() => true,
            Some(_) => return None,
        };
        this.latest_fin_answer = Some(frame_number(segment.frame));
        let step = if self.active_closer == Some(side) {
            Step::Teardown(4)
        } else {
            Step::Teardown(2)
        };
        found.step(step, repeat);
        Some(Answer {
            frame: segment.frame,
            layer,
            step,
            answered_frame: fin.latest_frame,
            expected: fin.end(),
            actual: segment.ack,
        })
    }

    /// Teardown steps 1 (the first FIN) and 3 (the peer's FIN).
    fn observe_fin(&mut self, segment: &Segment, side: Side, found: &mut Found) {
        let fin_seq = segment.seq.wrapping_add(segment.payload_len);
        if self.active_closer.is_none() {
            self.active_closer = Some(side);
            self.times.first_fin_ns = segment.time_ns;
        }
        let active = self.active_closer == Some(side);
        let step = if active {
            Step::Teardown(1)
        } else {
            Step::Teardown(3)
        };
        let peer = self.sides[side.peer() as usize];
        let peer_fin = peer.fin;
        // With none of the peer's packets captured, whether it closed first cannot be known.
        let numbered = peer.sent_packets;
        let this = &mut self.sides[side as usize];
        if numbered {
            found.step(step, this.fin_numbered);
            this.fin_numbered = true;
        }
        if let Some(fin) = &mut this.fin {
            fin.latest_frame = segment.frame;
            fin.seq = fin_seq;
            return;
        }
        this.fin = Some(Sent::new(segment, fin_seq, 0));
        if let Some(peer_fin) = peer_fin {
            let acknowledges_peer =
                segment.flags.has(Flags::ACK) && seq_at_or_after(segment.ack, peer_fin.end());
            if acknowledges_peer {
                self.fin_ack_combined |= found.steps.contains(Step::Teardown(2));
            } else {
                self.simultaneous_close = true;
                found.anomalies.insert(Anomaly::SimultaneousClose);
            }
        }
    }

    /// RFC 793 section 3.5 allows the side that received a FIN to go on sending: note it once.
    fn observe_half_close(&mut self, segment: &Segment, side: Side, anomalies: &mut AnomalySet) {
        let this = &self.sides[side as usize];
        if segment.payload_len > 0
            && !self.half_close_seen
            && self.active_closer == Some(side.peer())
            && this.fin.is_none()
            && this.latest_fin_answer.is_some()
        {
            self.half_close_seen = true;
            anomalies.insert(Anomaly::HalfClose);
        }
    }

    /// Whether a packet from a side whose peer has sent nothing captured shows that the peer did
    /// send: it answers a SYN/ACK (after this side's SYN) or an ACK of its SYN/ACK (it goes on
    /// without SYN), or it acknowledges more than its previous packet did.
    fn shows_missing_peer(&self, segment: &Segment, side: Side) -> bool {
        let this = &self.sides[side as usize];
        let flags = segment.flags;
        flags.has(Flags::ACK)
            && (!flags.has(Flags::SYN) && (this.syn.is_some() || this.synack.is_some())
                || this
                    .latest_ack
                    .is_some_and(|ack| ack != segment.ack && seq_at_or_after(segment.ack, ack)))
    }

    /// Takes the packet as delivered to the peer, and as evidence of what its sender has received.
    fn update_knowledge(&mut self, segment: &Segment, side: Side, peer: Side) {
        let flags = segment.flags;
        if flags.has(Flags::ACK) {
            // A SYN (answered by a SYN/ACK) or a SYN/ACK (answered by this side's ACK after its
            // SYN) that the capture missed still shows in the acknowledgment.
            let answers_syn = flags.has(Flags::SYN) || self.sides[side as usize].syn.is_some();
            let missed = &mut self.sides[peer as usize];
            if answers_syn && !self.midstream && missed.isn().is_none() {
                missed.implied_isn = Some(segment.ack.wrapping_sub(1));
            }
            self.sides[side as usize].latest_ack = Some(segment.ack);
        }
        let peer_facts = self.sides[peer as usize];
        let this = &mut self.sides[side as usize];
        if flags.has(Flags::ACK) {
            if let Some(isn) = peer_facts.isn() {
                this.syn_received = seq_at_or_after(segment.ack, isn.wrapping_add(1));
                // Acknowledging the peer's SYN/ACK shows this side got the ACK of its own SYN in it.
                let peer_sent_synack =
                    peer_facts.synack.is_some() || peer_facts.implied_isn.is_some();
                this.syn_acked |= this.syn_received && this.syn.is_some() && peer_sent_synack;
            }
            // A side goes on without SYN only once its SYN/ACK was acknowledged, so the handshake
            // completed even where its step 3 was not captured.
            if !flags.has(Flags::SYN) && this.synack.is_some() {
                this.syn_acked = true;
                self.handshake_shown = true;
            }
            if let Some(fin) = peer_facts.fin {
                this.fin_received = seq_at_or_after(segment.ack, fin.end());
            }
        } else if flags.has(Flags::SYN) {
            // A SYN without ACK: this side has seen neither the peer's SYN nor an ACK of its own.
            this.syn_received = false;
            this.syn_acked = false;
        }
        if flags.has(Flags::SYN) && flags.has(Flags::ACK) {
            // Sending a SYN/ACK (again) shows this side still waits for the ACK of its SYN.
            this.syn_acked = false;
        }
        if flags.has(Flags::FIN)
            && this
                .fin
                .is_some_and(|fin| fin.first_frame == frame_number(segment.frame))
        {
            this.closed_passively = this.fin_received;
        }

        let receiver = &mut self.sides[peer as usize];
        if flags.has(Flags::SYN) {
            receiver.syn_received = true;
        }
        if flags.has(Flags::FIN) {
            receiver.fin_received = true;
        }
        if flags.has(Flags::ACK) {
            if let Some(isn) = receiver.isn() {
                receiver.syn_acked |= seq_at_or_after(segment.ack, isn.wrapping_add(1));
            }
            if let Some(fin) = receiver.fin {
                receiver.fin_acked |= seq_at_or_after(segment.ack, fin.end());
            }
        }
    }

    /// The phase a packet with `steps` belongs to, given the connection after it.
    fn phase_of(&self, steps: StepSet) -> Phase {
        if self.reset.is_some() {
            Phase::Reset
        } else if steps.has_teardown() {
            Phase::Teardown
        } else if !steps.is_empty() {
            Phase::Handshake
        } else if self.sides.iter().any(|side| side.fin.is_some()) {
            if self.teardown_done.is_some() {
                Phase::Closed
            } else {
                Phase::Teardown
            }
        } else if self.midstream {
            Phase::Midstream
        } else if self.sides.iter().all(|side| side.syn_acked) {
            Phase::Established
        } else {
            Phase::Handshake
        }
    }

    pub fn handshake_verdict(&self) -> HandshakeVerdict {
        let client = self.facts(Side::Client);
        let server = self.facts(Side::Server);
        if self.midstream {
            HandshakeVerdict::Midstream
        } else if client.syn.is_some() && server.syn.is_some() {
            HandshakeVerdict::Simultaneous
        } else if self.handshake_done.is_some() || self.handshake_shown {
            HandshakeVerdict::Complete
        } else if self.reset.is_some_and(|reset| reset.refused) {
            HandshakeVerdict::Refused
        } else if !server.sent_packets {
            HandshakeVerdict::Unanswered
        } else {
            HandshakeVerdict::Incomplete
        }
    }

    pub fn teardown_verdict(&self) -> TeardownVerdict {
        if self.reset.is_some_and(|reset| reset.cut_teardown) {
            return TeardownVerdict::Reset;
        }
        if self.closes_unseen() {
            return TeardownVerdict::OneWay;
        }
        let fins = self.sides.iter().filter(|side| side.fin.is_some()).count();
        match fins {
            0 => TeardownVerdict::None,
            1 => TeardownVerdict::HalfClosed,
            _ if self.simultaneous_close => TeardownVerdict::Simultaneous,
            _ if self.fin_ack_combined => TeardownVerdict::ThreeWay,
            _ => TeardownVerdict::FourWay,
        }
    }

    /// Timings for the packet that completed the handshake (the first step 3).
    pub fn handshake_times(&self) -> Option<HandshakeTimes> {
        self.handshake_times
    }

    /// First FIN to the acknowledgment that completed the teardown.
    pub fn teardown_duration_ns(&self) -> Option<i64> {
        self.teardown_done?;
        Some(
            self.times
                .teardown_done_ns
                .saturating_sub(self.times.first_fin_ns),
        )
    }
}

/// Where the step observers write what they found.
struct Found<'a> {
    steps: &'a mut StepSet,
    repeats: &'a mut StepSet,
    anomalies: &'a mut AnomalySet,
}

impl Found<'_> {
    fn step(&mut self, step: Step, repeat: bool) {
        self.steps.insert(step);
        if repeat {
            self.repeats.insert(step);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_have_one_spelling() {
        assert_eq!(Step::Handshake(2).title(), "Handshake 2 (SYN/ACK)");
        assert_eq!(Step::Teardown(4).title(), "Teardown 4 (ACK of FIN)");
        assert_eq!(Step::Teardown(3).short_name(), "T3");
    }

    #[test]
    fn anomaly_sets_list_their_members_in_order() {
        let mut set = AnomalySet::default();
        assert_eq!(set.iter().count(), 0);
        for anomaly in [
            Anomaly::IsnChanged,
            Anomaly::Refused,
            Anomaly::HalfClose,
            Anomaly::Abort,
        ] {
            set.insert(anomaly);
        }
        set.remove(Anomaly::Abort);
        let listed: Vec<Anomaly> = set.iter().collect();
        let expected: Vec<Anomaly> = Anomaly::ALL
            .iter()
            .copied()
            .filter(|a| {
                matches!(
                    a,
                    Anomaly::IsnChanged | Anomaly::Refused | Anomaly::HalfClose
                )
            })
            .collect();
        assert_eq!(listed, expected);
        let mut all = AnomalySet::default();
        Anomaly::ALL.iter().for_each(|a| all.insert(*a));
        assert_eq!(all.iter().collect::<Vec<_>>(), Anomaly::ALL);
    }
}
