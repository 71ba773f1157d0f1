//! Feeds frames to a [`Capture`] as Wireshark's first pass does, renders every frame right after
//! it is observed (a one-pass tshark run) and again at the end in a shuffled order (a two-pass run
//! or the GUI), and checks each packet's labels against the specification (README, "How packets
//! are labelled") and the two renderings against each other.

use std::collections::{BTreeMap, HashMap, HashSet};

use tcpwave_core::capture::StepView;
use tcpwave_core::{Anomaly, Capture, Flags, HandshakeVerdict, Phase, Segment, Step, TcpState, TeardownVerdict};

use super::decode::{Frame, SplitMix64};

/// Everything a view of one TCP layer shows.
#[derive(Debug, Clone, PartialEq)]
struct Rendered {
    stream: u32,
    layer: u8,
    steps: Vec<StepView>,
    phase: Phase,
    client: TcpState,
    server: TcpState,
    anomalies: Vec<(Anomaly, String)>,
    summary: String,
    summary_key: u32,
    verdicts: Option<(HandshakeVerdict, TeardownVerdict)>,
}

impl Rendered {
    /// What a one-pass run shows of a settled view: no verdicts, nor the warning that needs them.
    fn unsettled(mut self) -> Rendered {
        self.verdicts = None;
        self.anomalies.retain(|(anomaly, _)| *anomaly != Anomaly::Unanswered);
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
#[derive(Debug, Clone, Copy)]
struct Earlier {
    frame: u32,
    side: bool,
    flags: Flags,
    seq: u32,
    payload_len: u32,
}

/// What the checks remember of one `tcp.stream`.
#[derive(Debug)]
struct History {
    first_sender: u64,
    reset: bool,
    /// Packets before the reset, if any, in capture order (RSTs are no steps and are not here).
    packets: Vec<Earlier>,
    /// The steps each side has been labelled with.
    labelled: HashSet<(bool, Step)>,
    /// The side whose FIN was teardown step 1.
    active_closer: Option<bool>,
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
            ensure!(before == after, "frame {} observed again after frame {frontier} changed its labels", frame.number);
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
            ensure!(rendered.verdicts.is_none(), "frame {}: verdicts before the capture is settled", frame.number);
            let history = histories.entry(segment.stream).or_insert_with(|| History {
                first_sender: segment.sender,
                reset: false,
                packets: Vec::new(),
                labelled: HashSet::new(),
                active_closer: None,
            });
            check_packet(history, segment, layer as u8, rendered)
                .map_err(|problem| format!("frame {} layer {layer} ({segment:?}): {problem}", frame.number))?;
            let cached = summaries.entry(rendered.summary_key).or_insert_with(|| rendered.summary.clone());
            ensure!(*cached == rendered.summary, "summary key {} stands for {cached:?} and {:?}", rendered.summary_key, rendered.summary);
        }
        one_pass.insert(frame.number, after);
    }

    let mut numbers: Vec<u32> = (0..=frontier.saturating_add(1)).collect();
    SplitMix64(shuffle_seed).shuffle(&mut numbers);
    for number in numbers {
        let settled = render(&capture, number, true);
        ensure!(
            settled.iter().all(|view| view.verdicts.is_some()),
            "frame {number}: a settled view without verdicts"
        );
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
fn check_packet(history: &mut History, segment: &Segment, layer: u8, rendered: &Rendered) -> Result<(), String> {
    ensure!(rendered.stream == segment.stream && rendered.layer == layer, "view of stream {} layer {}", rendered.stream, rendered.layer);
    for view in &rendered.steps {
        let valid = match view.step {
            Step::Handshake(n) => (1..=3).contains(&n),
            Step::Teardown(n) => (1..=4).contains(&n),
        };
        ensure!(valid, "no such step: {:?}", view.step);
    }
    let side = segment.sender == history.first_sender;
    let flags = segment.flags;
    let is_first_packet = history.packets.is_empty() && !history.reset;
    if is_first_packet {
        let starts_midstream = !flags.has(Flags::SYN);
        ensure!(rendered.has_anomaly(Anomaly::Midstream) == starts_midstream, "midstream is {} for a first packet", !starts_midstream);
    }

    if history.reset || flags.has(Flags::RST) {
        // A RST is no step; it and everything after it are phase reset, both sides CLOSED.
        ensure!(rendered.steps.is_empty(), "steps {:?} on a RST or after one", rendered.steps);
        ensure!(rendered.phase == Phase::Reset, "phase {} on a RST or after one", rendered.phase);
        ensure!(
            (rendered.client, rendered.server) == (TcpState::Closed, TcpState::Closed),
            "states {} {} on a RST or after one",
            rendered.client,
            rendered.server
        );
        if !history.reset {
            let kinds = [Anomaly::Refused, Anomaly::Abort].iter().filter(|kind| rendered.has_anomaly(**kind)).count();
            ensure!(kinds == 1, "the first RST is refused or abort, once: {:?}", rendered.anomalies);
            history.reset = true;
        }
        return Ok(());
    }

    let (syn, ack, fin) = (flags.has(Flags::SYN), flags.has(Flags::ACK), flags.has(Flags::FIN));
    ensure!(rendered.has(Step::Handshake(1)) == (syn && !ack), "handshake step 1 is every SYN without ACK, and only those");
    ensure!(!rendered.has(Step::Handshake(2)) || (syn && ack), "handshake step 2 on a packet that is not a SYN/ACK");
    ensure!(!rendered.has(Step::Handshake(3)) || (ack && !syn), "handshake step 3 on a packet that is not an ACK without SYN");
    let fin_steps = usize::from(rendered.has(Step::Teardown(1))) + usize::from(rendered.has(Step::Teardown(3)));
    ensure!(fin_steps == usize::from(fin), "every FIN is teardown step 1 or 3, and only FINs are");
    ensure!(!(rendered.has(Step::Teardown(2)) || rendered.has(Step::Teardown(4))) || ack, "teardown step 2 or 4 without ACK");
    if rendered.has(Step::Teardown(1)) {
        ensure!(history.active_closer.unwrap_or(side) == side, "teardown step 1 from both sides");
        history.active_closer = Some(side);
    }
    if rendered.has(Step::Teardown(3)) || rendered.has(Step::Teardown(2)) {
        ensure!(history.active_closer == Some(!side), "teardown step 2 or 3 from the active closer");
    }
    if rendered.has(Step::Teardown(4)) {
        ensure!(history.active_closer == Some(side), "teardown step 4 from the passive closer");
    }

    let steps: Vec<Step> = rendered.steps.iter().map(|view| view.step).collect();
    if steps.iter().any(|step| matches!(step, Step::Teardown(_))) {
        ensure!(rendered.phase == Phase::Teardown, "phase {} on a teardown step", rendered.phase);
    } else if !steps.is_empty() {
        ensure!(rendered.phase == Phase::Handshake, "phase {} on a handshake step", rendered.phase);
    }

    for view in &rendered.steps {
        // A step is repeated exactly when its side was labelled with it before.
        let seen_before = history.labelled.contains(&(side, view.step));
        ensure!(view.repeat == seen_before, "{:?}: repeat is {}, but its side had the step before: {seen_before}", view.step, view.repeat);
        check_answer(history, segment, layer, side, view)?;
    }
    let any_repeat = rendered.steps.iter().any(|view| view.repeat);
    ensure!(rendered.has_anomaly(Anomaly::Retransmission) == any_repeat, "retransmission warning without a repeated step, or the reverse");
    let any_bad_ack = rendered.steps.iter().filter_map(|view| view.answer).any(|answer| !answer.ok());
    ensure!(rendered.has_anomaly(Anomaly::BadAck) == any_bad_ack, "bad-ack warning without a bad answer, or the reverse");

    history.labelled.extend(steps.iter().map(|step| (side, *step)));
    history.packets.push(Earlier { frame: segment.frame, side, flags, seq: segment.seq, payload_len: segment.payload_len });
    Ok(())
}

/// A step that acknowledges a SYN or FIN names the latest earlier one the peer sent, and the ack
/// that fits it.
fn check_answer(history: &History, segment: &Segment, layer: u8, side: bool, view: &StepView) -> Result<(), String> {
    let answered: fn(Flags) -> bool = match view.step {
        Step::Handshake(2) => |flags| flags.has(Flags::SYN) && !flags.has(Flags::ACK),
        Step::Handshake(3) => |flags| flags.has(Flags::SYN) && flags.has(Flags::ACK),
        Step::Teardown(2 | 4) => |flags| flags.has(Flags::FIN),
        _ => {
            ensure!(view.answer.is_none(), "{:?} acknowledges nothing, yet has an answer", view.step);
            return Ok(());
        }
    };
    let Some(answer) = view.answer else {
        // A SYN/ACK may come without a SYN in the capture; the other answering steps cannot.
        ensure!(view.step == Step::Handshake(2), "{:?} without the frame it acknowledges", view.step);
        return Ok(());
    };
    ensure!(
        (answer.frame, answer.layer, answer.step, answer.actual) == (segment.frame, layer, view.step, segment.ack),
        "answer {answer:?} is not this packet's"
    );
    let latest = history.packets.iter().rev().find(|earlier| earlier.side != side && answered(earlier.flags));
    let Some(latest) = latest else {
        return Err(format!("{:?} answers frame {}, but the peer sent nothing it answers", view.step, answer.answered_frame));
    };
    ensure!(
        answer.answered_frame == latest.frame,
        "{:?} answers frame {}, but the latest packet it answers is frame {}",
        view.step,
        answer.answered_frame,
        latest.frame
    );
    let end = latest.seq.wrapping_add(latest.payload_len).wrapping_add(1);
    let fits = match view.step {
        // The SYN alone, or also the data it carried (TCP Fast Open).
        Step::Handshake(2) => {
            let acceptable = [latest.seq.wrapping_add(1), end];
            acceptable.contains(&answer.expected) && (answer.ok() || !acceptable.contains(&answer.actual))
        }
        _ => answer.expected == end,
    };
    ensure!(fits, "{:?} expects ack {} for {latest:?}", view.step, answer.expected);
    Ok(())
}
