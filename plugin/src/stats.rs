//! The statistics tree, `tshark -z tcpwave,tree` and Statistics → tcpwave in the GUI: connections
//! by handshake and teardown verdict, steps by number, repeats, and anomalies by kind. It counts
//! the frames the dissector hands to the protocol's tap, from the labels in [`file_state`].

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use tcpwave_core::{Anomaly, HandshakeVerdict, Step, TeardownVerdict};

use crate::epan::{self, PacketInfo, StatsCallbacks, StatsNode, StatsTree};
use crate::file_state;
use crate::hf::PROTOCOL;

/// The counts of each open tree (a GUI window, a `-z` report), by tree.
static TREES: Mutex<Option<HashMap<usize, Counts>>> = Mutex::new(None);

const CONNECTIONS: &CStr = c"Connections";
const HANDSHAKE: &CStr = c"Handshake";
const TEARDOWN: &CStr = c"Teardown";
const STEPS: &CStr = c"Steps";
const REPEATS: &CStr = c"Repeated steps";
const ANOMALIES: &CStr = c"Anomalies";

/// A step's node, e.g. "Handshake 1 (SYN)", from tcpwave-core's names; made once.
fn step_name(step: Step) -> Option<&'static CStr> {
    static NAMES: OnceLock<Vec<(Step, CString)>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        Step::ALL
            .into_iter()
            .map(|step| (step, CString::new(step.title()).unwrap_or_default()))
            .collect()
    });
    names
        .iter()
        .find(|(named, _)| *named == step)
        .map(|(_, name)| name.as_c_str())
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

/// Registers the statistics tree on the protocol's tap, which the dissector registered.
pub fn register(callbacks: StatsCallbacks) {
    epan::register_stats_tree(PROTOCOL, PROTOCOL, PROTOCOL, callbacks);
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
    for name in Step::ALL.into_iter().filter_map(step_name) {
        tree.create_node(name, steps);
        tree.create_node(name, repeats);
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

pub fn packet(tree: &StatsTree, packet: &PacketInfo) {
    let mut trees = trees();
    let Some(counts) = trees
        .as_mut()
        .and_then(|trees| trees.get_mut(&tree.identity()))
    else {
        return;
    };
    let Counts { nodes, verdicts } = counts;
    file_state::with_capture(|capture| {
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
                let Some(name) = step_name(step.step) else {
                    continue;
                };
                tree.add(STEPS, StatsNode::ROOT, 1);
                tree.add(name, nodes.steps, 1);
                if step.repeat {
                    tree.add(REPEATS, StatsNode::ROOT, 1);
                    tree.add(name, nodes.repeats, 1);
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

fn trees() -> MutexGuard<'static, Option<HashMap<usize, Counts>>> {
    TREES.lock().unwrap_or_else(PoisonError::into_inner)
}
