// SPDX-License-Identifier: GPL-2.0-or-later
//! Wireshark 4.0: a field's value sits inside its `field_info`, a tree's
//! visibility is a `gboolean`, and the loader never asks a plugin to describe
//! itself.

use std::ptr;

use crate::{field_info, fvalue_t, tree_data_t};

/// The value of the field `fi` describes, for `fvalue_get_uinteger()`.
pub fn field_value(fi: &field_info) -> *mut fvalue_t {
    ptr::from_ref(&fi.value).cast_mut()
}

/// Whether a post-dissector must ask for the protocol items it reads: 4.0
/// builds the item of every protocol a packet holds.
pub const PROTOCOL_ITEMS_MUST_BE_ASKED_FOR: bool = false;

/// Whether anything will read the fields of protocol `proto_id` in `tree`:
/// a visible tree, or a filter or output that asks for one of them.
///
/// # Safety
/// `tree` is a live tree (or null) and `proto_id` a registered protocol.
pub unsafe fn field_is_referenced(tree: *mut crate::proto_tree, proto_id: std::ffi::c_int) -> bool {
    unsafe { crate::proto_field_is_referenced(tree, proto_id) != 0 }
}

/// Whether protocol `proto_id` is enabled (`--disable-protocol`, the GUI's
/// Enabled Protocols dialog).
///
/// # Safety
/// `proto_id` is a registered protocol.
pub unsafe fn protocol_is_enabled(proto_id: std::ffi::c_int) -> bool {
    unsafe { crate::proto_is_protocol_enabled(crate::find_protocol_by_id(proto_id)) != 0 }
}

/// Whether anyone will display the tree `tree_data` belongs to.
pub fn tree_is_visible(tree_data: &tree_data_t) -> bool {
    tree_data.visible != 0
}

/// Exports `plugin_describe()` where the loader calls it; 4.0's does not.
#[macro_export]
macro_rules! describe_plugin {
    (dissector_with_taps) => {};
}
