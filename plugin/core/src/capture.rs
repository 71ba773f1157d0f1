//! Everything tcpwave knows about one open capture file.
//!
//! Wireshark hands a post-dissector other dissectors' fields only on its first, in-order pass over
//! a file; later passes (tshark `-2`, every GUI re-dissection) come in any order and without them.
//! So the first pass computes each frame's labels once ([`Capture::observe_frame`]) and every pass
//! renders from them ([`Capture::views`]).

use rustc_hash::FxHashMap;

use crate::connection::{
    AnomalySet, Answer, Connection, HandshakeTimes, Label, Observation, Sent, Step,
};
use crate::segment::Segment;
use crate::store::{ChunkedVec, DenseIndex};
use crate::vocab::{Anomaly, HandshakeVerdict, Phase, TcpState, TeardownVerdict};

#[derive(Debug, Default)]
pub struct Capture {
    /// The highest frame number the first pass has reached.
    frontier: u32,
    /// The first TCP layer's label, indexed by frame number.
    labels: ChunkedVec<Label>,
    /// Labels of second and later TCP layers (tunnels), which few frames have.
    later_layers: FxHashMap<u32, Vec<Label>>,
    /// In frame order, so a frame's answers are found by binary search.
    answers: ChunkedVec<Answer>,
    connections: ChunkedVec<Connection>,
    /// Where each `tcp.stream` is in `connections`.
    connection_of_stream: DenseIndex,
}

impl Capture {
    pub fn new() -> Capture {
        Capture::default()
    }

    /// Whether `frame` has not been seen yet, so its fields are there to read.
    pub fn is_unseen(&self, frame: u32) -> bool {
        frame > self.frontier
    }

    /// Labels the TCP layers of `frame`, in the order they appear in it. Frames come in capture
    /// order; a frame already seen is ignored, so a later pass cannot disturb the first.
    pub fn observe_frame(&mut self, frame: u32, layers: &[Segment]) {
        if !self.is_unseen(frame) {
            return;
        }
        self.frontier = frame;
        for (layer, segment) in layers.iter().enumerate() {
            let layer = u8::try_from(layer).unwrap_or(u8::MAX);
            let connection = match self.connection_of_stream.get(segment.stream) {
                Some(index) => self
                    .connections
                    .get_mut(index as usize)
                    .expect("indexed connections exist"),
                None => {
                    let index = self.connections.len();
                    self.connection_of_stream
                        .insert(segment.stream, index as u32);
                    self.connections.push(Connection::new(segment));
                    self.connections.get_mut(index).expect("just pushed")
                }
            };
            let Observation { label, answers } = connection.observe(segment, layer);
            for answer in answers.into_iter().flatten() {
                self.answers.push(answer);
            }
            if layer == 0 {
                self.labels.extend_to(frame as usize, Label::NONE);
                self.labels.push(label);
            } else {
                self.later_layers.entry(frame).or_default().push(label);
            }
        }
    }

    /// One view per TCP layer of `frame`. `settled` says the whole capture has been seen, so the
    /// connections' verdicts are final.
    pub fn views(&self, frame: u32, settled: bool) -> impl Iterator<Item = View<'_>> {
        let first = self
            .labels
            .get(frame as usize)
            .copied()
            .filter(|label| !label.is_none());
        let later = self
            .later_layers
            .get(&frame)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let first_answer = self
            .answers
            .partition_point_from_end(|answer| answer.frame < frame);
        first
            .into_iter()
            .chain(later.iter().copied())
            .enumerate()
            .filter_map(move |(layer, label)| {
                let connection = self.connection(label.stream)?;
                let layer = layer as u8;
                let mut answers = [None; 2];
                let this_frame = (first_answer..)
                    .map_while(|index| self.answers.get(index).filter(|a| a.frame == frame));
                for (slot, answer) in answers
                    .iter_mut()
                    .zip(this_frame.filter(|a| a.layer == layer))
                {
                    *slot = Some(*answer);
                }
                Some(View {
                    frame,
                    layer,
                    label,
                    connection,
                    answers,
                    settled,
                })
            })
    }

    pub fn connection(&self, stream: u32) -> Option<&Connection> {
        let index = self.connection_of_stream.get(stream)?;
        self.connections.get(index as usize)
    }
}

/// The connections of a capture read once, in order, without a second pass: each segment is
/// labelled as it comes and shown at once, and a connection is kept only until its reader is
/// done with it ([`LiveCapture::forget`]), so memory grows with the connections open at once.
/// Its views are those [`Capture`] gives, but for what only the whole capture tells: the
/// verdicts are the connection's so far, and [`Anomaly::Unanswered`] is left to the reader.
#[derive(Debug, Default)]
pub struct LiveCapture {
    /// Boxed: a map's table has room for up to twice its entries, and a connection is large.
    open: FxHashMap<u32, Box<Connection>>,
}

impl LiveCapture {
    pub fn new() -> LiveCapture {
        LiveCapture::default()
    }

    /// Labels the one TCP layer of a frame and shows it.
    pub fn observe(&mut self, segment: &Segment) -> View<'_> {
        let connection = self
            .open
            .entry(segment.stream)
            .or_insert_with(|| Box::new(Connection::new(segment)));
        let Observation { label, answers } = connection.observe(segment, 0);
        View {
            frame: segment.frame,
            layer: 0,
            label,
            connection,
            answers,
            settled: false,
        }
    }

    /// Drops what is kept of `stream`'s connection; a later segment of it starts anew.
    pub fn forget(&mut self, stream: u32) {
        self.open.remove(&stream);
    }

    /// Connections kept.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

/// One step of a packet, with what it acknowledges and the timings it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepView {
    pub step: Step,
    pub repeat: bool,
    pub answer: Option<Answer>,
    pub handshake_times: Option<HandshakeTimes>,
    pub teardown_duration_ns: Option<i64>,
}

/// What tcpwave shows for one TCP layer of one frame.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub frame: u32,
    pub layer: u8,
    label: Label,
    connection: &'a Connection,
    /// This layer's answers: one per answering step, of which a packet carries at most two.
    answers: [Option<Answer>; 2],
    settled: bool,
}

impl<'a> View<'a> {
    pub fn stream(&self) -> u32 {
        self.label.stream
    }

    pub fn phase(&self) -> Phase {
        self.label.phase()
    }

    /// The client's state after this packet, unless the capture cannot show it.
    pub fn client_state(&self) -> Option<TcpState> {
        self.label.client()
    }

    /// The server's state after this packet, unless the capture cannot show it.
    pub fn server_state(&self) -> Option<TcpState> {
        self.label.server()
    }

    pub fn connection(&self) -> &'a Connection {
        self.connection
    }

    pub fn steps(&self) -> impl Iterator<Item = StepView> + '_ {
        self.label.steps().iter().map(move |step| {
            let repeat = self.label.repeats().contains(step);
            let answer = self
                .answers
                .iter()
                .flatten()
                .find(|a| a.step == step)
                .copied();
            let completes_handshake = step == Step::Handshake(3)
                && self.connection.completed_handshake(self.frame, self.layer);
            let completes_teardown = matches!(step, Step::Teardown(2) | Step::Teardown(4))
                && self.connection.completed_teardown(self.frame, self.layer);
            StepView {
                step,
                repeat,
                answer,
                handshake_times: if completes_handshake && !repeat {
                    self.connection.handshake_times()
                } else {
                    None
                },
                teardown_duration_ns: if completes_teardown {
                    self.connection.teardown_duration_ns()
                } else {
                    None
                },
            }
        })
    }

    /// One line that sums the packet up, e.g. `Teardown 2 (ACK of FIN), Teardown 3 (FIN); client
    /// TIME_WAIT, server LAST_ACK`.
    pub fn summary(&self) -> String {
        let steps: Vec<String> = self
            .steps()
            .map(|step| {
                let title = step.step.title();
                if step.repeat {
                    // `Handshake 1 (SYN, repeated)`
                    format!("{}, repeated)", title.trim_end_matches(')'))
                } else {
                    title
                }
            })
            .collect();
        let what = if steps.is_empty() {
            self.phase().to_string()
        } else {
            steps.join(", ")
        };
        let state = |state: Option<TcpState>| state.map_or("unknown", TcpState::as_str);
        format!(
            "{what}; client {}, server {}",
            state(self.client_state()),
            state(self.server_state())
        )
    }

    /// Equal for two views exactly when their [`View::summary`] is: a key to cache it by.
    pub fn summary_key(&self) -> u32 {
        self.label.summary_bits()
    }

    /// The connection's verdicts, once the whole capture has been seen.
    pub fn verdicts(&self) -> Option<(HandshakeVerdict, TeardownVerdict)> {
        self.settled.then(|| {
            (
                self.connection.handshake_verdict(),
                self.connection.teardown_verdict(),
            )
        })
    }

    /// Every anomaly on this packet, each with the sentence that explains it.
    pub fn anomalies(&self) -> Vec<(Anomaly, String)> {
        self.anomaly_kinds()
            .iter()
            .map(|anomaly| (anomaly, self.explain(anomaly)))
            .collect()
    }

    /// The kinds of [`View::anomalies`], without their sentences.
    pub fn anomaly_kinds(&self) -> AnomalySet {
        let mut kinds = self.label.stored_anomalies();
        if kinds.contains(Anomaly::Abort) && self.connection.was_refused() {
            kinds.remove(Anomaly::Abort);
            kinds.insert(Anomaly::Refused);
        }
        if !self.label.repeats().is_empty() {
            kinds.insert(Anomaly::Retransmission);
        }
        if self.answers.iter().flatten().any(|answer| !answer.ok()) {
            kinds.insert(Anomaly::BadAck);
        }
        if self.verdicts().is_some_and(|(handshake, _)| {
            Anomaly::marks_unanswered_syn(
                self.label.steps().contains(Step::Handshake(1)),
                handshake,
            )
        }) {
            kinds.insert(Anomaly::Unanswered);
        }
        if self.connection.showed_one_way(self.frame, self.layer) {
            kinds.insert(Anomaly::OneWay);
        }
        kinds
    }

    fn explain(&self, anomaly: Anomaly) -> String {
        let sender = self.label.sender();
        let peer = sender.peer();
        let own = self.connection.facts(sender);
        let other = self.connection.facts(peer);
        let frame_of = |sent: Option<Sent>| sent.map_or(0, |s| s.first_frame.get());
        match anomaly {
            Anomaly::Refused => format!(
                "Connection refused: the {} answers the SYN in frame {} with a RST",
                sender.as_str(),
                other.syn.map_or(0, |syn| syn.latest_frame)
            ),
            Anomaly::Abort => format!("Connection aborted: the {} sent a RST", sender.as_str()),
            Anomaly::Unanswered => "SYN never answered in this capture".to_owned(),
            Anomaly::Retransmission => {
                let repeated: Vec<String> = self
                    .steps()
                    .filter(|step| step.repeat)
                    .map(|step| match (step.step, step.answer) {
                        (Step::Handshake(1), _) => format!(
                            "SYN retransmitted (first sent in frame {})",
                            frame_of(own.syn)
                        ),
                        (Step::Handshake(2), _) => {
                            format!(
                                "SYN/ACK retransmitted (first sent in frame {})",
                                frame_of(own.synack)
                            )
                        }
                        (Step::Teardown(1 | 3), _) => format!(
                            "FIN retransmitted (first sent in frame {})",
                            frame_of(own.fin)
                        ),
                        (step, Some(answer)) => format!(
                            "{} repeated: answers the {} retransmitted in frame {}",
                            step.packet_name(),
                            if matches!(step, Step::Handshake(_)) {
                                "SYN/ACK"
                            } else {
                                "FIN"
                            },
                            answer.answered_frame
                        ),
                        (step, None) => format!("{} repeated", step.packet_name()),
                    })
                    .collect();
                repeated.join("; ")
            }
            Anomaly::SimultaneousOpen => format!(
                "Simultaneous open: the {} sent a SYN too (frame {})",
                peer.as_str(),
                frame_of(other.syn)
            ),
            Anomaly::SimultaneousClose => format!(
                "Simultaneous close: this FIN crosses the {}'s FIN (frame {})",
                peer.as_str(),
                frame_of(other.fin)
            ),
            Anomaly::HalfClose => format!(
                "Half-close: the {} sends data after acknowledging the {}'s FIN (frame {})",
                sender.as_str(),
                peer.as_str(),
                frame_of(other.fin)
            ),
            Anomaly::Midstream => {
                "Connection seen without its handshake (the capture starts mid-stream)".to_owned()
            }
            Anomaly::BadAck => {
                let wrong: Vec<String> = self
                    .steps()
                    .filter_map(|step| step.answer.filter(|a| !a.ok()).map(|a| (step.step, a)))
                    .map(|(step, answer)| {
                        format!(
                            "{} acknowledges {}, expected {} (frame {})",
                            step.packet_name(),
                            answer.actual,
                            answer.expected,
                            answer.answered_frame
                        )
                    })
                    .collect();
                wrong.join("; ")
            }
            Anomaly::OneWay => format!(
                "One-way capture: the {} has sent nothing captured, yet this packet shows it did; \
                 its FINs and the states they lead to cannot be known",
                peer.as_str()
            ),
            // The connection keeps only the latest SYN's number, which a later SYN may change
            // again, so the new number is left to the packet's own sequence number field.
            Anomaly::IsnChanged => {
                format!(
                    "SYN repeated with a new initial sequence number (first SYN in frame {})",
                    frame_of(own.syn)
                )
            }
        }
    }
}
