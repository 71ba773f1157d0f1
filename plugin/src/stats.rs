//! The statistics tree, `tshark -z tcpwave,tree` and Statistics → tcpwave in the GUI: connections
//! by handshake and teardown verdict, steps by number, repeats, and anomalies by kind.

use std::collections::HashMap;
use std::ffi::CStr;
use std::sync::{Mutex, OnceLock, PoisonError};

use tcpwave_core::{Anomaly, HandshakeVerdict, Step, TeardownVerdict};

use crate::dissector;
use crate::ffi::{self, Packet, StatsNode, StatsTree, Tap};

static TAP: OnceLock<Tap> = OnceLock::new();
/// The counts of each open tree (a GUI window, a `-z` report), by tree.
static TREES: Mutex<Option<HashMap<usize, Counts>>> = Mutex::new(None);

const CONNECTIONS: &CStr = c"Connections";
const HANDSHAKE: &CStr = c"Handshake";
const TEARDOWN: &CStr = c"Teardown";
const STEPS: &CStr = c"Steps";
const REPEATS: &CStr = c"Repeated steps";
const ANOMALIES: &CStr = c"Anomalies";

fn step_name(step: Step) -> &'static CStr {
    match step {
        Step::Handshake(1) => c"Handshake 1 (SYN)",
        Step::Handshake(2) => c"Handshake 2 (SYN/ACK)",
        Step::Handshake(_) => c"Handshake 3 (ACK)",
        Step::Teardown(1) => c"Teardown 1 (FIN)",
        Step::Teardown(2) => c"Teardown 2 (ACK of FIN)",
        Step::Teardown(3) => c"Teardown 3 (FIN)",
        Step::Teardown(_) => c"Teardown 4 (ACK of FIN)",
    }
}

struct Nodes {
    connections: StatsNode,
    handshake: StatsNode,
    teardown: StatsNode,
    steps: StatsNode,
    repeats: StatsNode,
    anomalies: StatsNode,
}

struct Counts {
    nodes: Nodes,
    /// The verdicts each connection is counted under. A connection's verdicts can change with
    /// each of its packets until the last, so they are moved rather than counted once: the report
    /// is the same whether tshark runs one pass or two.
    verdicts: HashMap<u32, (HandshakeVerdict, TeardownVerdict)>,
}

/// Called when the protocol registers: the tap must exist before listeners attach to it.
pub fn register_tap() {
    TAP.get_or_init(|| ffi::register_tap(c"tcpwave"));
}

pub fn register() {
    ffi::register_stats_tree(c"tcpwave", c"tcpwave", c"tcpwave");
}

/// Hands a labelled packet to the statistics, if anyone listens.
pub fn queue(packet: &Packet) {
    if let Some(tap) = TAP.get() {
        packet.queue_tap(*tap);
    }
}

pub fn init(tree: &StatsTree) {
    let connections = tree.create_node(CONNECTIONS, StatsNode::ROOT);
    let handshake = tree.create_node(HANDSHAKE, connections);
    let teardown = tree.create_node(TEARDOWN, connections);
    for verdict in HandshakeVerdict::ALL {
        tree.create_node(verdict.as_cstr(), handshake);
    }
    for verdict in TeardownVerdict::ALL {
        tree.create_node(verdict.as_cstr(), teardown);
    }
    let steps = tree.create_node(STEPS, StatsNode::ROOT);
    let repeats = tree.create_node(REPEATS, StatsNode::ROOT);
    for step in Step::ALL {
        tree.create_node(step_name(step), steps);
        tree.create_node(step_name(step), repeats);
    }
    let anomalies = tree.create_node(ANOMALIES, StatsNode::ROOT);
    for anomaly in Anomaly::ALL {
        tree.create_node(anomaly.as_cstr(), anomalies);
    }
    let nodes = Nodes {
        connections,
        handshake,
        teardown,
        steps,
        repeats,
        anomalies,
    };
    trees().get_or_insert_with(HashMap::new).insert(
        tree.identity(),
        Counts {
            nodes,
            verdicts: HashMap::new(),
        },
    );
}

pub fn cleanup(tree: &StatsTree) {
    if let Some(trees) = trees().as_mut() {
        trees.remove(&tree.identity());
    }
}

pub fn packet(tree: &StatsTree, packet: &Packet) {
    let mut trees = trees();
    let Some(counts) = trees
        .as_mut()
        .and_then(|trees| trees.get_mut(&tree.identity()))
    else {
        return;
    };
    let Counts { nodes, verdicts } = counts;
    dissector::with_capture(|capture| {
        for view in capture.views(packet.frame_number(), true) {
            let connection = view.connection();
            let now = (
                connection.handshake_verdict(),
                connection.teardown_verdict(),
            );
            match verdicts.insert(view.stream(), now) {
                None => {
                    tree.add(CONNECTIONS, StatsNode::ROOT, 1);
                    let total = i32::try_from(verdicts.len()).unwrap_or(i32::MAX);
                    tree.set(HANDSHAKE, nodes.connections, total);
                    tree.set(TEARDOWN, nodes.connections, total);
                    count_verdicts(tree, nodes, now, 1);
                }
                Some(before) if before != now => {
                    count_verdicts(tree, nodes, before, -1);
                    count_verdicts(tree, nodes, now, 1);
                }
                Some(_) => {}
            }
            for step in view.steps() {
                tree.add(STEPS, StatsNode::ROOT, 1);
                tree.add(step_name(step.step), nodes.steps, 1);
                if step.repeat {
                    tree.add(REPEATS, StatsNode::ROOT, 1);
                    tree.add(step_name(step.step), nodes.repeats, 1);
                }
            }
            // Unanswered SYNs are counted by verdict: a one-pass run cannot know them per packet.
            for anomaly in view
                .anomaly_kinds()
                .iter()
                .filter(|anomaly| *anomaly != Anomaly::Unanswered)
            {
                tree.add(ANOMALIES, StatsNode::ROOT, 1);
                tree.add(anomaly.as_cstr(), nodes.anomalies, 1);
            }
        }
    });
}

fn count_verdicts(
    tree: &StatsTree,
    nodes: &Nodes,
    (handshake, teardown): (HandshakeVerdict, TeardownVerdict),
    delta: i32,
) {
    tree.add(handshake.as_cstr(), nodes.handshake, delta);
    tree.add(teardown.as_cstr(), nodes.teardown, delta);
}

fn trees() -> std::sync::MutexGuard<'static, Option<HashMap<usize, Counts>>> {
    TREES.lock().unwrap_or_else(PoisonError::into_inner)
}
