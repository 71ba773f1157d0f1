// SPDX-License-Identifier: GPL-2.0-or-later
//! Wireshark 4.4, 4.6 and any newer release releases.tsv lists (4.4 and 4.6
//! differ only in layouts bindgen takes care of): a field's value is behind a pointer in its `field_info`, a tree's
//! visibility is a C `bool`, and the loader lists a plugin by the kind that
//! its optional `plugin_describe()` returns.

use crate::{field_info, fvalue_t, tree_data_t};

/// The value of the field `fi` describes, for `fvalue_get_uinteger()`.
pub fn field_value(fi: &field_info) -> *mut fvalue_t {
    fi.value
}

/// Whether a post-dissector must ask for the protocol items it reads: under
/// `tshark -T fields`, 4.6 leaves out the items of protocols nobody asked for
/// (seen with 4.6.4), where 4.4 builds them all; releases after 4.6 are taken
/// to behave as 4.6.
pub const PROTOCOL_ITEMS_MUST_BE_ASKED_FOR: bool = !cfg!(wireshark = "4.4");

/// Whether anything will read the fields of protocol `proto_id` in `tree`:
/// a visible tree, or a filter or output that asks for one of them.
///
/// # Safety
/// `tree` is a live tree (or null) and `proto_id` a registered protocol.
pub unsafe fn field_is_referenced(tree: *mut crate::proto_tree, proto_id: std::ffi::c_int) -> bool {
    unsafe { crate::proto_field_is_referenced(tree, proto_id) }
}

/// Whether protocol `proto_id` is enabled (`--disable-protocol`, the GUI's
/// Enabled Protocols dialog).
///
/// # Safety
/// `proto_id` is a registered protocol.
pub unsafe fn protocol_is_enabled(proto_id: std::ffi::c_int) -> bool {
    unsafe { crate::proto_is_protocol_enabled(crate::find_protocol_by_id(proto_id)) }
}

/// Whether anyone will display the tree `tree_data` belongs to.
pub fn tree_is_visible(tree_data: &tree_data_t) -> bool {
    tree_data.visible
}

/// Exports `plugin_describe()`, which the loader calls to list the plugin
/// as a dissector with a tap listener.
#[macro_export]
macro_rules! describe_plugin {
    (dissector_with_taps) => {
        /// Tells Wireshark's plugin list what kind of plugin this is.
        #[no_mangle]
        pub extern "C" fn plugin_describe() -> u32 {
            $crate::WS_PLUGIN_DESC_DISSECTOR | $crate::WS_PLUGIN_DESC_TAP_LISTENER
        }
    };
}
