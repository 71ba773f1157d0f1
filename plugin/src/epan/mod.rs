//! Safe wrappers around the part of Wireshark's C API (libwireshark, "epan") that tcpwave uses:
//! registering a protocol, its fields, subtrees and expert infos ([`proto`]), reading and growing
//! the protocol tree of the packet being dissected ([`packet`]), and taps and statistics trees
//! ([`stats_tree`]).
//!
//! The bottom layer of the plugin: together with `exports.rs` the only code allowed `unsafe`. It
//! knows nothing of tcpwave's fields or labels, and imports no other module of this crate; the C
//! callbacks it registers come in as arguments ([`ProtocolCallbacks`], [`StatsCallbacks`]).

mod packet;
mod proto;
mod stats_tree;

use std::ffi::{c_int, c_uint};
use std::mem::size_of;

pub use packet::{Item, Node, PacketInfo, Tree};
pub use proto::{
    register_protocol, want_fields, ExpertIndex, ExpertSpec, FieldIndex, FieldSpec, FieldType,
    ForeignField, Group, ProtocolCallbacks, Registration, Severity, SubtreeIndex,
};
pub use stats_tree::{
    register_stats_tree, register_tap, StatsCallbacks, StatsNode, StatsTree, Tap,
};
pub use wireshark_headers::PROTOCOL_ITEMS_MUST_BE_ASKED_FOR;

// The wrappers pass Rust integers to C without a cast wherever bindgen maps the C type to the
// same Rust type: `int`/`gint` is `i32` (ids, offsets, counts), `unsigned int`/`guint`/`guint32`/
// `uint32_t` is `u32` (frame numbers, field values, lengths), `size_t` is `usize`. Each module
// checks the casts it does make next to them.
const _: () = assert!(size_of::<c_int>() == size_of::<i32>());
const _: () = assert!(size_of::<c_uint>() == size_of::<u32>());
