//! Taps and statistics trees: `tshark -z <abbr>,tree` and the GUI's Statistics menu.

use std::ffi::{c_int, CStr};
use std::mem::size_of;
use std::ptr::NonNull;

use wireshark_headers as ws;

/// A tap: the channel through which a dissector hands packets to statistics.
#[derive(Debug, Clone, Copy)]
pub struct Tap(pub(super) c_int);

pub fn register_tap(name: &'static CStr) -> Tap {
    // SAFETY: a 'static NUL-terminated name, which Wireshark keeps.
    Tap(unsafe { ws::register_tap(name.as_ptr()) })
}

/// The C functions Wireshark calls for a statistics tree (`exports.rs` defines them).
#[derive(Clone, Copy)]
pub struct StatsCallbacks {
    pub packet: ws::stat_tree_packet_cb,
    pub init: ws::stat_tree_init_cb,
    pub cleanup: ws::stat_tree_cleanup_cb,
}

/// Registers a statistics tree fed by `tap`: `tshark -z <abbr>,tree`, and `name` in the GUI's
/// Statistics menu.
pub fn register_stats_tree(
    tap: &'static CStr,
    abbr: &'static CStr,
    name: &'static CStr,
    callbacks: StatsCallbacks,
) {
    // SAFETY: 'static strings and callbacks that live as long as the library.
    unsafe {
        ws::stats_tree_register_plugin(
            tap.as_ptr(),
            abbr.as_ptr(),
            name.as_ptr(),
            0,
            callbacks.packet,
            callbacks.init,
            callbacks.cleanup,
        );
    }
}

/// A node of a statistics tree; [`StatsNode::ROOT`] is the tree itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsNode(c_int);

impl StatsNode {
    pub const ROOT: StatsNode = StatsNode(0);
}

// A tree's address, a pointer, is its identity as a usize.
const _: () = assert!(size_of::<usize>() == size_of::<*mut ws::stats_tree>());

/// One open statistics tree (a GUI window or a `-z` report), valid for one callback.
pub struct StatsTree {
    raw: NonNull<ws::stats_tree>,
}

// `with_children` is a gboolean before Wireshark 4.4 and a bool from 4.4 on: `.into()` serves both.
#[allow(clippy::useless_conversion)]
impl StatsTree {
    /// Wraps the tree Wireshark passed to a statistics callback; `None` for a null pointer.
    ///
    /// # Safety
    /// `raw` is null or a live tree, which stays valid as long as the result is used: for the
    /// duration of the callback.
    pub unsafe fn from_raw(raw: *mut ws::stats_tree) -> Option<StatsTree> {
        NonNull::new(raw).map(|raw| StatsTree { raw })
    }

    /// Tells this tree apart from other open ones.
    pub fn identity(&self) -> usize {
        self.raw.as_ptr() as usize
    }

    /// Adds a node with a count of zero, so that the report lists it even if nothing counts.
    pub fn create_node(&self, name: &CStr, parent: StatsNode) -> StatsNode {
        // SAFETY: a live tree and a NUL-terminated name, which Wireshark copies.
        StatsNode(unsafe {
            ws::stats_tree_create_node(
                self.raw.as_ptr(),
                name.as_ptr(),
                parent.0,
                ws::STAT_DT_INT,
                true.into(),
            )
        })
    }

    /// Adds `delta` (which may be negative) to the count of the node `name` under `parent`.
    pub fn add(&self, name: &CStr, parent: StatsNode, delta: i32) {
        // SAFETY: as create_node.
        unsafe {
            ws::stats_tree_manip_node_int(
                ws::MN_INCREASE,
                self.raw.as_ptr(),
                name.as_ptr(),
                parent.0,
                false.into(),
                delta,
            )
        };
    }

    /// Sets the count of the node `name` under `parent`.
    pub fn set(&self, name: &CStr, parent: StatsNode, count: i32) {
        // SAFETY: as create_node.
        unsafe {
            ws::stats_tree_manip_node_int(
                ws::MN_SET,
                self.raw.as_ptr(),
                name.as_ptr(),
                parent.0,
                true.into(),
                count,
            )
        };
    }
}
