//! Feeds frames to a [`Capture`] as Wireshark's first pass does, renders every frame right after
//! it is observed (a one-pass tshark run) and again at the end in a shuffled order (a two-pass run
//! or the GUI), and checks each packet's labels against the specification (README, "How packets
//! are labelled") and the two renderings against each other.

use std::collections::{BTreeMap, HashMap, HashSet};

use tcpwave_core::capture::StepView;
use tcpwave_core::connection::HandshakeTimes;
use tcpwave_core::{
    Anomaly, Capture, Flags, HandshakeVerdict, Phase, Segment, Step, TcpState, TeardownVerdict,
};

use super::decode::{Frame, SplitMix64};

/// Everything a view of one TCP layer shows.
#[derive(Debug, Clone, PartialEq)]
struct Rendered {
    stream: u32,
    layer: u8,
    steps: Vec<StepView>,
    phase: Phase,
    client: Option<TcpState>,
    server: Option<TcpState>,
    anomalies: Vec<(Anomaly, String)>,
    summary: String,
    summary_key: u32,
    verdicts: Option<(HandshakeVerdict, TeardownVerdict)>,
}

impl Rendered {
    /// What a one-pass run shows of a settled view: no verdicts, nor the warning that needs them.
    fn unsettled(mut self) -> Rendered {
        self.verdicts = None;
        self.anomalies
            .retain(|(anomaly, _)| *anomaly != Anomaly::Unanswered);
        self
    }

    fn has(&self, step: Step) -> bool {
        self.steps.iter().any(|view| view.step == step)
    }

    fn has_anomaly(&self, anomaly: Anomaly) -> bool {
        self.anomalies.iter().any(|(found, _)| *found == anomaly)
    }
}

fn render(capture: &Capture, frame: u32, settled: bool) -> Vec<Rendered> {
    capture
        .views(frame, settled)
        .map(|view| Rendered {
            stream: view.stream(),
            layer: view.layer,
            steps: view.steps().collect(),
            phase: view.phase(),
            client: view.client_state(),
            server: view.server_state(),
            anomalies: view.anomalies(),
            summary: view.summary(),
            summary_key: view.summary_key(),
            verdicts: view.verdicts(),
        })
        .collect()
}

/// An earlier packet of a connection, as far as later packets' labels depend on it.
#[derive(Debug, Clone)]
struct Earlier {
    frame: u32,
    time_ns: i64,
    side: bool,
    flags: Flags,
    seq: u32,
    payload_len: u32,
    steps: Vec<Step>,
}

impl Earlier {
    /// The ack that acknowledges this packet's SYN or FIN and its data.
    fn end(&self) -> u32 {
        self.seq.wrapping_add(self.payload_len).wrapping_add(1)
    }
}

/// `a` is at or after `b` in sequence space (RFC 793 section 3.3, modulo 2^32).
fn seq_at_or_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

fn is_syn(flags: Flags) -> bool {
    flags.has(Flags::SYN) && !flags.has(Flags::ACK)
}

fn is_synack(flags: Flags) -> bool {
    flags.has(Flags::SYN) && flags.has(Flags::ACK)
}

fn is_fin(flags: Flags) -> bool {
    flags.has(Flags::FIN)
}

/// What the checks remember of one `tcp.stream`. A side is `true` for the first sender's.
#[derive(Debug)]
struct History {
    first_sender: u64,
    first_flags: Flags,
    /// The sides that sent anything, RSTs and packets after them included.
    senders: HashSet<bool>,
    reset: bool,
    /// Whether the first RST refused the connection, as its expert info says.
    refused: Option<bool>,
    /// A RST came before both FINs were acknowledged.
    reset_cut_teardown: bool,
    /// Packets before the reset, if any, in capture order (RSTs are no steps and are not here).
    packets: Vec<Earlier>,
    /// The steps each side has been labelled with.
    labelled: HashSet<(bool, Step)>,
    /// The side whose FIN was teardown step 1.
    active_closer: Option<bool>,
    simultaneous_close: bool,
    /// The passive closer's FIN was also teardown step 2.
    fin_ack_combined: bool,
}

impl History {
    fn new(first: &Segment) -> History {
        History {
            first_sender: first.sender,
            first_flags: first.flags,
            senders: HashSet::new(),
            reset: false,
            refused: None,
            reset_cut_teardown: false,
            packets: Vec::new(),
            labelled: HashSet::new(),
            active_closer: None,
            simultaneous_close: false,
            fin_ack_combined: false,
        }
    }

    fn was_labelled(&self, step: Step) -> bool {
        self.labelled.iter().any(|(_, labelled)| *labelled == step)
    }

    /// The connection's verdicts, from the README's definitions.
    fn verdicts(&self) -> (HandshakeVerdict, TeardownVerdict) {
        // The server is the side that did not send the first SYN (the first packet, unless the
        // capture starts at the SYN/ACK).
        let server = is_synack(self.first_flags);
        let handshake = if !self.first_flags.has(Flags::SYN) {
            HandshakeVerdict::Midstream
        } else if self.has_sent(true, is_syn) && self.has_sent(false, is_syn) {
            HandshakeVerdict::Simultaneous
        } else if self.was_labelled(Step::Handshake(3)) || self.synack_sender_went_on() {
            HandshakeVerdict::Complete
        } else if self.refused == Some(true) {
            HandshakeVerdict::Refused
        } else if !self.senders.contains(&server) {
            HandshakeVerdict::Unanswered
        } else {
            HandshakeVerdict::Incomplete
        };
        let closers = [true, false]
            .into_iter()
            .filter(|side| self.has_sent(*side, is_fin))
            .count();
        let teardown = match closers {
            _ if self.reset_cut_teardown => TeardownVerdict::Reset,
            0 => TeardownVerdict::None,
            _ if self.senders.len() < 2 => TeardownVerdict::OneWay,
            1 => TeardownVerdict::HalfClosed,
            _ if self.simultaneous_close => TeardownVerdict::Simultaneous,
            _ if self.fin_ack_combined => TeardownVerdict::ThreeWay,
            _ => TeardownVerdict::FourWay,
        };
        (handshake, teardown)
    }

    /// A side sent a packet with ACK and without SYN after its SYN/ACK: it was acknowledged.
    fn synack_sender_went_on(&self) -> bool {
        self.packets.iter().enumerate().any(|(at, synack)| {
            is_synack(synack.flags)
                && self.packets[at..].iter().any(|later| {
                    later.side == synack.side
                        && later.flags.has(Flags::ACK)
                        && !later.flags.has(Flags::SYN)
                })
        })
    }

    /// The latest earlier packet of the peer of `side` that `is_kind` picks.
    fn latest_from_peer(&self, side: bool, is_kind: fn(Flags) -> bool) -> Option<&Earlier> {
        self.packets
            .iter()
            .rev()
            .find(|earlier| earlier.side != side && is_kind(earlier.flags))
    }

    fn has_sent(&self, side: bool, is_kind: fn(Flags) -> bool) -> bool {
        self.packets
            .iter()
            .any(|earlier| earlier.side == side && is_kind(earlier.flags))
    }

    /// Whether `side` was labelled with one of `steps` at or after `frame`.
    fn labelled_since(&self, side: bool, steps: &[Step], frame: u32) -> bool {
        let labelled = |earlier: &&Earlier| {
            earlier.side == side && earlier.steps.iter().any(|step| steps.contains(step))
        };
        self.packets
            .iter()
            .rev()
            .find(labelled)
            .is_some_and(|earlier| earlier.frame >= frame)
    }
}

macro_rules! ensure {
    ($condition:expr, $($message:tt)+) => {
        if !$condition {
            return Err(format!($($message)+));
        }
    };
}

/// Checks every invariant on `frames`; the error names the first one broken. `shuffle_seed` picks
/// the order of the final rendering.
pub fn check(frames: &[Frame], shuffle_seed: u64) -> Result<(), String> {
    let mut capture = Capture::new();
    let mut frontier = 0;
    let mut histories: HashMap<u32, History> = HashMap::new();
    let mut one_pass: BTreeMap<u32, Vec<Rendered>> = BTreeMap::new();
    let mut summaries: HashMap<u32, String> = HashMap::new();
    for frame in frames {
        let before = render(&capture, frame.number, false);
        capture.observe_frame(frame.number, &frame.layers);
        let after = render(&capture, frame.number, false);
        if frame.number <= frontier {
            ensure!(
                before == after,
                "frame {} observed again after frame {frontier} changed its labels",
                frame.number
            );
            continue;
        }
        frontier = frame.number;
        ensure!(
            after.len() == frame.layers.len(),
            "frame {}: {} views for {} TCP layers",
            frame.number,
            after.len(),
            frame.layers.len()
        );
        for (layer, (segment, rendered)) in frame.layers.iter().zip(&after).enumerate() {
            ensure!(
                rendered.verdicts.is_none(),
                "frame {}: verdicts before the capture is settled",
                frame.number
            );
            let history = histories
                .entry(segment.stream)
                .or_insert_with(|| History::new(segment));
            check_packet(history, segment, layer as u8, rendered).map_err(|problem| {
                format!(
                    "frame {} layer {layer} ({segment:?}): {problem}",
                    frame.number
                )
            })?;
            let cached = summaries
                .entry(rendered.summary_key)
                .or_insert_with(|| rendered.summary.clone());
            ensure!(
                *cached == rendered.summary,
                "summary key {} stands for {cached:?} and {:?}",
                rendered.summary_key,
                rendered.summary
            );
        }
        one_pass.insert(frame.number, after);
    }

    let mut numbers: Vec<u32> = (0..=frontier.saturating_add(1)).collect();
    SplitMix64(shuffle_seed).shuffle(&mut numbers);
    for number in numbers {
        let settled = render(&capture, number, true);
        for view in &settled {
            let expected = histories.get(&view.stream).map(History::verdicts);
            ensure!(
                view.verdicts == expected,
                "frame {number}: verdicts {:?}, expected {expected:?}",
                view.verdicts
            );
        }
        let settled: Vec<Rendered> = settled.into_iter().map(Rendered::unsettled).collect();
        let first = one_pass.get(&number).map(Vec::as_slice).unwrap_or_default();
        ensure!(
            settled == first,
            "frame {number} renders differently after the whole capture:\n  one pass: {first:?}\n  settled:  {settled:?}"
        );
    }
    Ok(())
}

/// The labels of one packet, given the earlier packets of its connection.
fn check_packet(
    history: &mut History,
    segment: &Segment,
    layer: u8,
    rendered: &Rendered,
) -> Result<(), String> {
    ensure!(
        rendered.stream == segment.stream && rendered.layer == layer,
        "view of stream {} layer {}",
        rendered.stream,
        rendered.layer
    );
    for view in &rendered.steps {
        let valid = match view.step {
            Step::Handshake(n) => (1..=3).contains(&n),
            Step::Teardown(n) => (1..=4).contains(&n),
        };
        ensure!(valid, "no such step: {:?}", view.step);
    }
    let side = segment.sender == history.first_sender;
    history.senders.insert(side);
    let flags = segment.flags;
    let is_first_packet = history.packets.is_empty() && !history.reset;
    if is_first_packet {
        let starts_midstream = !flags.has(Flags::SYN);
        ensure!(
            rendered.has_anomaly(Anomaly::Midstream) == starts_midstream,
            "midstream is {} for a first packet",
            !starts_midstream
        );
    }

    if history.reset || flags.has(Flags::RST) {
        // A RST is no step; it and everything after it are phase reset, both sides CLOSED.
        ensure!(
            rendered.steps.is_empty(),
            "steps {:?} on a RST or after one",
            rendered.steps
        );
        ensure!(
            rendered.phase == Phase::Reset,
            "phase {} on a RST or after one",
            rendered.phase
        );
        ensure!(
            (rendered.client, rendered.server) == (Some(TcpState::Closed), Some(TcpState::Closed)),
            "states {:?} {:?} on a RST or after one",
            rendered.client,
            rendered.server
        );
        if !history.reset {
            let kinds = [Anomaly::Refused, Anomaly::Abort]
                .iter()
                .filter(|kind| rendered.has_anomaly(**kind))
                .count();
            ensure!(
                kinds == 1,
                "the first RST is refused or abort, once: {:?}",
                rendered.anomalies
            );
            history.reset = true;
            history.refused = Some(rendered.has_anomaly(Anomaly::Refused));
            history.reset_cut_teardown = !(history.was_labelled(Step::Teardown(2))
                && history.was_labelled(Step::Teardown(4)));
        }
        return Ok(());
    }

    let (syn, ack, fin) = (
        flags.has(Flags::SYN),
        flags.has(Flags::ACK),
        flags.has(Flags::FIN),
    );
    ensure!(
        rendered.has(Step::Handshake(1)) == (syn && !ack),
        "handshake step 1 is every SYN without ACK, and only those"
    );
    ensure!(
        !rendered.has(Step::Handshake(2)) || (syn && ack),
        "handshake step 2 on a packet that is not a SYN/ACK"
    );
    if syn && ack && history.has_sent(!side, is_syn) {
        ensure!(
            rendered.has(Step::Handshake(2)),
            "a SYN/ACK after the peer's SYN is not handshake step 2"
        );
    }
    ensure!(
        !rendered.has(Step::Handshake(3)) || (ack && !syn),
        "handshake step 3 on a packet that is not an ACK without SYN"
    );
    // Step 3 is the first ACK after the peer's SYN/ACK from a side that sent a SYN (or was not
    // seen sending one, the capture having started later); with no SYN/ACK captured, the first
    // ACK from a side that sent a SYN.
    let answers_synack = ack
        && !syn
        && (history.has_sent(side, is_syn) || !history.has_sent(side, is_synack))
        && match history.latest_from_peer(side, is_synack) {
            Some(synack) => !history.labelled_since(side, &[Step::Handshake(3)], synack.frame),
            None => {
                history.has_sent(side, is_syn)
                    && !history.labelled.contains(&(side, Step::Handshake(3)))
            }
        };
    ensure!(
        rendered.has(Step::Handshake(3)) == answers_synack,
        "handshake step 3 is the first ACK of a SYN/ACK, and only that"
    );

    let fin_steps =
        usize::from(rendered.has(Step::Teardown(1))) + usize::from(rendered.has(Step::Teardown(3)));
    // Without a packet of the peer, who closed first cannot be known.
    let peer_seen = history.senders.contains(&!side);
    ensure!(
        fin_steps == usize::from(fin && peer_seen),
        "every FIN after a packet of the peer is teardown step 1 or 3, and only those are"
    );
    let fin_answers = [Step::Teardown(2), Step::Teardown(4)];
    let answers_fin = ack
        && history.latest_from_peer(side, is_fin).is_some_and(|fin| {
            seq_at_or_after(segment.ack, fin.end())
                && !history.labelled_since(side, &fin_answers, fin.frame)
        });
    let fin_answer_steps = fin_answers
        .iter()
        .filter(|step| rendered.has(**step))
        .count();
    ensure!(
        fin_answer_steps == usize::from(answers_fin),
        "teardown step 2 or 4 is the first ACK of a FIN, and only that"
    );
    // The sender of the first FIN is the active closer, whether or not that FIN could be numbered.
    if fin && history.active_closer.is_none() {
        history.active_closer = Some(side);
    }
    if rendered.has(Step::Teardown(1)) {
        ensure!(
            history.active_closer == Some(side),
            "teardown step 1 from both sides"
        );
    }
    if rendered.has(Step::Teardown(3)) || rendered.has(Step::Teardown(2)) {
        ensure!(
            history.active_closer == Some(!side),
            "teardown step 2 or 3 from the active closer"
        );
    }
    if rendered.has(Step::Teardown(4)) {
        ensure!(
            history.active_closer == Some(side),
            "teardown step 4 from the passive closer"
        );
    }

    let steps: Vec<Step> = rendered.steps.iter().map(|view| view.step).collect();
    let teardown_done =
        history.was_labelled(Step::Teardown(2)) && history.was_labelled(Step::Teardown(4));
    let phase_ok = if steps.iter().any(|step| matches!(step, Step::Teardown(_))) {
        rendered.phase == Phase::Teardown
    } else if !steps.is_empty() {
        rendered.phase == Phase::Handshake
    } else if fin || history.has_sent(true, is_fin) || history.has_sent(false, is_fin) {
        rendered.phase
            == if teardown_done {
                Phase::Closed
            } else {
                Phase::Teardown
            }
    } else if !history.first_flags.has(Flags::SYN) {
        rendered.phase == Phase::Midstream
    } else {
        matches!(rendered.phase, Phase::Handshake | Phase::Established)
    };
    ensure!(phase_ok, "phase {} for steps {steps:?}", rendered.phase);

    for view in &rendered.steps {
        // A step is repeated exactly when its side was labelled with it before.
        let seen_before = history.labelled.contains(&(side, view.step));
        ensure!(
            view.repeat == seen_before,
            "{:?}: repeat is {}, but its side had the step before: {seen_before}",
            view.step,
            view.repeat
        );
        check_answer(history, segment, layer, side, view)?;
        check_times(history, segment, &steps, view)?;
    }
    let any_repeat = rendered.steps.iter().any(|view| view.repeat);
    ensure!(
        rendered.has_anomaly(Anomaly::Retransmission) == any_repeat,
        "retransmission warning without a repeated step, or the reverse"
    );
    let any_bad_ack = rendered
        .steps
        .iter()
        .filter_map(|view| view.answer)
        .any(|answer| !answer.ok());
    ensure!(
        rendered.has_anomaly(Anomaly::BadAck) == any_bad_ack,
        "bad-ack warning without a bad answer, or the reverse"
    );

    history.simultaneous_close |= rendered.has_anomaly(Anomaly::SimultaneousClose);
    let passive_fin = rendered
        .steps
        .iter()
        .any(|view| view.step == Step::Teardown(3) && !view.repeat);
    history.fin_ack_combined |= passive_fin && rendered.has(Step::Teardown(2));
    history
        .labelled
        .extend(steps.iter().map(|step| (side, *step)));
    let closes_unseen = history.senders.len() < 2
        && (fin || history.has_sent(true, is_fin) || history.has_sent(false, is_fin));
    ensure!(
        rendered.client.is_none() == closes_unseen && rendered.server.is_none() == closes_unseen,
        "states {:?} {:?}: they are unknown exactly after a FIN while one side has sent nothing",
        rendered.client,
        rendered.server
    );
    history.packets.push(Earlier {
        frame: segment.frame,
        time_ns: segment.time_ns,
        side,
        flags,
        seq: segment.seq,
        payload_len: segment.payload_len,
        steps,
    });
    Ok(())
}

/// The first step 3 carries the handshake's times from its first SYN and first SYN/ACK, which add
/// up; the step completing the teardown carries its duration from the first FIN.
fn check_times(
    history: &History,
    segment: &Segment,
    steps: &[Step],
    view: &StepView,
) -> Result<(), String> {
    let time_of_first = |is_kind: fn(Flags) -> bool| {
        history
            .packets
            .iter()
            .find(|earlier| is_kind(earlier.flags))
            .map(|earlier| earlier.time_ns)
    };
    let first_step_3 = view.step == Step::Handshake(3) && !history.was_labelled(Step::Handshake(3));
    let (syn, synack) = (time_of_first(is_syn), time_of_first(is_synack));
    let expected_times = first_step_3.then(|| HandshakeTimes {
        rtt_ns: syn.map(|syn| segment.time_ns.saturating_sub(syn)),
        syn_to_synack_ns: syn
            .zip(synack)
            .map(|(syn, synack)| synack.saturating_sub(syn)),
        synack_to_ack_ns: synack.map(|synack| segment.time_ns.saturating_sub(synack)),
    });
    ensure!(
        view.handshake_times == expected_times,
        "{:?}: handshake times, expected {expected_times:?}",
        view
    );

    let was_done =
        history.was_labelled(Step::Teardown(2)) && history.was_labelled(Step::Teardown(4));
    let labelled = |step: Step| history.was_labelled(step) || steps.contains(&step);
    let completes = matches!(view.step, Step::Teardown(2 | 4))
        && !was_done
        && labelled(Step::Teardown(2))
        && labelled(Step::Teardown(4));
    let expected_duration = time_of_first(is_fin)
        .filter(|_| completes)
        .map(|first_fin| segment.time_ns.saturating_sub(first_fin));
    ensure!(
        view.teardown_duration_ns == expected_duration,
        "{:?}: teardown duration, expected {expected_duration:?}",
        view
    );
    Ok(())
}

/// A step that acknowledges a SYN or FIN names the latest earlier one the peer sent, and the ack
/// that fits it.
fn check_answer(
    history: &History,
    segment: &Segment,
    layer: u8,
    side: bool,
    view: &StepView,
) -> Result<(), String> {
    let answered: fn(Flags) -> bool = match view.step {
        Step::Handshake(2) => is_syn,
        Step::Handshake(3) => is_synack,
        Step::Teardown(2 | 4) => is_fin,
        _ => {
            ensure!(
                view.answer.is_none(),
                "{:?} acknowledges nothing, yet has an answer",
                view.step
            );
            return Ok(());
        }
    };
    let Some(answer) = view.answer else {
        // A SYN/ACK may come without a SYN in the capture, and a step 3 without a SYN/ACK; the
        // other answering steps cannot.
        ensure!(
            history.latest_from_peer(side, answered).is_none()
                && matches!(view.step, Step::Handshake(2 | 3)),
            "{:?} without the frame it acknowledges",
            view.step
        );
        return Ok(());
    };
    ensure!(
        (answer.frame, answer.layer, answer.step, answer.actual)
            == (segment.frame, layer, view.step, segment.ack),
        "answer {answer:?} is not this packet's"
    );
    let Some(latest) = history.latest_from_peer(side, answered) else {
        return Err(format!(
            "{:?} answers frame {}, but the peer sent nothing it answers",
            view.step, answer.answered_frame
        ));
    };
    ensure!(
        answer.answered_frame == latest.frame,
        "{:?} answers frame {}, but the latest packet it answers is frame {}",
        view.step,
        answer.answered_frame,
        latest.frame
    );
    let end = latest.end();
    let fits = match view.step {
        // The SYN alone, or also the data it carried (TCP Fast Open).
        Step::Handshake(2) => {
            let acceptable = [latest.seq.wrapping_add(1), end];
            acceptable.contains(&answer.expected)
                && (answer.ok() || !acceptable.contains(&answer.actual))
        }
        _ => answer.expected == end,
    };
    ensure!(
        fits,
        "{:?} expects ack {} for {latest:?}",
        view.step,
        answer.expected
    );
    Ok(())
}
