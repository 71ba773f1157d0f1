//! The packet being dissected: reading other dissectors' items from its protocol tree and adding
//! this plugin's items and expert infos.

use std::ffi::{c_int, CStr, CString};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use wireshark_headers as ws;

use super::proto::{ExpertIndex, FieldIndex, ForeignField, Registration, SubtreeIndex};
use super::stats_tree::Tap;

/// Whether the tree `node` belongs to will be displayed.
fn in_visible_tree(node: &ws::proto_node) -> bool {
    // SAFETY: a live node points at its tree's shared data, alive as long as the tree.
    unsafe { node.tree_data.as_ref() }.is_some_and(ws::tree_is_visible)
}

/// The packet Wireshark is dissecting (or handing to a tap listener), valid for one callback.
pub struct PacketInfo {
    tvb: *mut ws::tvbuff_t,
    pinfo: NonNull<ws::packet_info>,
    tree: Option<NonNull<ws::proto_tree>>,
}

impl PacketInfo {
    /// Wraps what Wireshark passed to a dissector or tap callback; `None` without a packet_info.
    /// A tap listener has no tvb and no tree: pass null for both.
    ///
    /// # Safety
    /// Each pointer is null or valid for the duration of the callback, and the result is used only
    /// during it; `tree`, when not null, is the tree of `pinfo`'s packet built on `tvb`.
    pub unsafe fn from_raw(
        tvb: *mut ws::tvbuff_t,
        pinfo: *mut ws::packet_info,
        tree: *mut ws::proto_tree,
    ) -> Option<PacketInfo> {
        Some(PacketInfo {
            tvb,
            pinfo: NonNull::new(pinfo)?,
            tree: NonNull::new(tree),
        })
    }

    pub fn frame_number(&self) -> u32 {
        // SAFETY: Wireshark passes a valid packet_info for the duration of the call.
        unsafe { self.pinfo.as_ref().num }
    }

    /// Capture time in nanoseconds since the epoch.
    pub fn time_ns(&self) -> i64 {
        // SAFETY: as above.
        let ts = unsafe { self.pinfo.as_ref().abs_ts };
        ts.secs
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(ts.nsecs))
    }

    /// Whether the tree is there and will be displayed: then Wireshark builds every item in it,
    /// asked for or not.
    pub fn tree_is_visible(&self) -> bool {
        // SAFETY: the tree, when present, is valid for the duration of the call.
        self.tree
            .is_some_and(|tree| in_visible_tree(unsafe { tree.as_ref() }))
    }

    /// The top-level items of the protocol tree: one per protocol layer of the frame.
    pub fn root_nodes(&self) -> impl Iterator<Item = Node<'_>> {
        // SAFETY: the tree, when present, is valid for the duration of the call.
        let first = self
            .tree
            .and_then(|tree| NonNull::new(unsafe { tree.as_ref().first_child }));
        Siblings {
            next: first,
            _packet: PhantomData,
        }
    }

    /// Whether anything will read this plugin's fields in this packet's tree: a visible tree (the
    /// GUI, `-V`, `-T fields`), a display or colour filter, or a field asked for. Only then are
    /// they worth adding (Wireshark's own advice for proto_field_is_referenced()).
    pub fn fields_are_read(&self, registration: &Registration) -> bool {
        let Some(tree) = self.tree else { return false };
        // SAFETY: a valid tree and our registered protocol.
        unsafe { ws::field_is_referenced(tree.as_ptr(), registration.proto()) }
    }

    /// Adds this plugin's protocol item at the top of the tree, with its subtree.
    pub fn add_protocol(
        &self,
        registration: &Registration,
        subtree: SubtreeIndex,
    ) -> Option<(Item<'_>, Tree<'_>)> {
        let tree = self.tree?;
        // SAFETY: a valid tree and tvb; a zero-length item never reads packet bytes.
        let item = unsafe {
            ws::proto_tree_add_item(
                tree.as_ptr(),
                registration.proto(),
                self.tvb,
                0,
                0,
                ws::ENC_NA,
            )
        };
        let item = Item::new(self, item)?;
        let tree = item.subtree(registration, subtree);
        Some((item, tree))
    }

    /// Hands this packet to the tap's listeners, which run once the packet is dissected.
    pub fn queue_tap(&self, tap: Tap) {
        // SAFETY: a valid pinfo; listeners get no data pointer, they ask for the frame's labels.
        unsafe { ws::tap_queue_packet(tap.0, self.pinfo.as_ptr(), ptr::null()) }
    }

    /// Adds expert info with `message` to `item`.
    pub fn expert(
        &self,
        registration: &Registration,
        item: &Item<'_>,
        expert: ExpertIndex,
        message: &str,
    ) {
        let message = c_string(message);
        // SAFETY: valid pinfo and item; the format takes exactly one string argument.
        unsafe {
            ws::expert_add_info_format(
                self.pinfo.as_ptr(),
                item.raw.as_ptr(),
                registration.expert(expert),
                c"%s".as_ptr(),
                message.as_ptr(),
            );
        }
    }
}

/// A string without interior NULs, for C.
fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

struct Siblings<'a> {
    next: Option<NonNull<ws::proto_node>>,
    _packet: PhantomData<&'a PacketInfo>,
}

impl<'a> Iterator for Siblings<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        let node = self.next?;
        // SAFETY: nodes of a live tree link only to nodes of the same tree.
        self.next = NonNull::new(unsafe { node.as_ref().next });
        Some(Node {
            node,
            _packet: PhantomData,
        })
    }
}

/// One item of another dissector's tree, read-only.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    node: NonNull<ws::proto_node>,
    _packet: PhantomData<&'a PacketInfo>,
}

impl<'a> Node<'a> {
    fn field_info(&self) -> Option<&'a ws::field_info> {
        // SAFETY: finfo is NULL or points at the node's field_info, alive as long as the tree.
        unsafe { self.node.as_ref().finfo.as_ref() }
    }

    /// Whether this item is of `field`. Compares the items' field pointers rather than the ids
    /// behind them: one memory read less per item, on a walk through every item of a layer.
    pub fn is(&self, field: ForeignField) -> bool {
        self.field_info()
            .is_some_and(|fi| ptr::eq(fi.hfinfo, field.info.as_ptr()))
    }

    pub fn children(&self) -> impl Iterator<Item = Node<'a>> {
        // SAFETY: see Siblings.
        let first = NonNull::new(unsafe { self.node.as_ref().first_child });
        Siblings {
            next: first,
            _packet: PhantomData,
        }
    }

    /// The value of an unsigned integer field (8 to 32 bits, or a frame number).
    pub fn uint(&self) -> Option<u32> {
        let fi = self.field_info()?;
        // SAFETY: hfinfo points at the registered field, which lives as long as Wireshark.
        let field_type = unsafe { fi.hfinfo.as_ref() }?.type_;
        if !matches!(
            field_type,
            ws::FT_UINT8 | ws::FT_UINT16 | ws::FT_UINT32 | ws::FT_FRAMENUM
        ) {
            return None;
        }
        // SAFETY: the value of an unsigned integer field; fvalue_get_uinteger only reads it.
        Some(unsafe { ws::fvalue_get_uinteger(ws::field_value(fi)) })
    }

    /// The first bytes of the packet this item covers, as many as fit in `buffer`, if captured.
    pub fn bytes<'b>(&self, buffer: &'b mut [u8]) -> Option<&'b [u8]> {
        let fi = self.field_info()?;
        let start = usize::try_from(fi.start).ok()?;
        let length = usize::try_from(fi.length).ok()?.min(buffer.len());
        if fi.ds_tvb.is_null() || length == 0 {
            return None;
        }
        // SAFETY: ds_tvb is the item's live data source; the bounds are checked before copying,
        // because tvb_memcpy throws (longjmp) on a short buffer.
        unsafe {
            let captured = usize::try_from(ws::tvb_captured_length(fi.ds_tvb)).ok()?;
            if start.checked_add(length)? > captured {
                return None;
            }
            ws::tvb_memcpy(fi.ds_tvb, buffer.as_mut_ptr().cast(), fi.start, length);
        }
        Some(&buffer[..length])
    }
}

/// An item this plugin added.
pub struct Item<'a> {
    raw: NonNull<ws::proto_item>,
    packet: &'a PacketInfo,
}

impl<'a> Item<'a> {
    fn new(packet: &'a PacketInfo, raw: *mut ws::proto_item) -> Option<Item<'a>> {
        NonNull::new(raw).map(|raw| Item { raw, packet })
    }

    /// Marks the item as computed by Wireshark rather than read from packet bytes ("[...]").
    fn set_generated(&self) {
        // SAFETY: a live item; finfo is NULL for items of a tree nobody looks at.
        unsafe {
            if let Some(fi) = self.raw.as_ref().finfo.as_mut() {
                fi.flags |= ws::FI_GENERATED;
            }
        }
    }

    /// Whether anyone will see this item's text (only then is it worth formatting).
    pub fn is_shown(&self) -> bool {
        // SAFETY: a live item.
        in_visible_tree(unsafe { self.raw.as_ref() })
    }

    pub fn append_text(&self, text: &CStr) {
        // SAFETY: a live item; the format takes exactly one string argument.
        unsafe { ws::proto_item_append_text(self.raw.as_ptr(), c"%s".as_ptr(), text.as_ptr()) }
    }

    pub fn subtree(&self, registration: &Registration, subtree: SubtreeIndex) -> Tree<'a> {
        // SAFETY: a live item and a registered subtree id.
        let raw =
            unsafe { ws::proto_item_add_subtree(self.raw.as_ptr(), registration.subtree(subtree)) };
        Tree {
            raw: NonNull::new(raw),
            packet: self.packet,
        }
    }
}

/// `nstime_t.nsecs` is a C `int`: the nanoseconds below a second always fit.
const _: () = assert!(999_999_999 <= c_int::MAX as i64 && -999_999_999 >= c_int::MIN as i64);

/// A subtree this plugin adds generated fields to.
pub struct Tree<'a> {
    raw: Option<NonNull<ws::proto_tree>>,
    packet: &'a PacketInfo,
}

impl<'a> Tree<'a> {
    fn added(&self, raw: *mut ws::proto_item) -> Option<Item<'a>> {
        let item = Item::new(self.packet, raw)?;
        item.set_generated();
        Some(item)
    }

    fn ptr(&self) -> *mut ws::proto_tree {
        self.raw.map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    pub fn add_uint(
        &self,
        registration: &Registration,
        field: FieldIndex,
        value: u32,
    ) -> Option<Item<'a>> {
        // SAFETY: a valid (or NULL, which Wireshark accepts) tree; no packet bytes are read.
        self.added(unsafe {
            ws::proto_tree_add_uint(
                self.ptr(),
                registration.field(field),
                self.packet.tvb,
                0,
                0,
                value,
            )
        })
    }

    pub fn add_bool(
        &self,
        registration: &Registration,
        field: FieldIndex,
        value: bool,
    ) -> Option<Item<'a>> {
        // SAFETY: as add_uint.
        self.added(unsafe {
            ws::proto_tree_add_boolean(
                self.ptr(),
                registration.field(field),
                self.packet.tvb,
                0,
                0,
                value.into(),
            )
        })
    }

    pub fn add_str(
        &self,
        registration: &Registration,
        field: FieldIndex,
        value: &CStr,
    ) -> Option<Item<'a>> {
        // SAFETY: as add_uint; Wireshark copies the string.
        self.added(unsafe {
            ws::proto_tree_add_string(
                self.ptr(),
                registration.field(field),
                self.packet.tvb,
                0,
                0,
                value.as_ptr(),
            )
        })
    }

    pub fn add_duration(
        &self,
        registration: &Registration,
        field: FieldIndex,
        nanoseconds: i64,
    ) -> Option<Item<'a>> {
        // Wireshark's convention: both parts carry the sign (it shows a negative time as `-`
        // and both magnitudes), so the division truncates toward zero.
        let time = ws::nstime_t {
            secs: nanoseconds / 1_000_000_000,
            // Within ±1e9, which fits (checked above).
            nsecs: (nanoseconds % 1_000_000_000) as c_int,
        };
        // SAFETY: as add_uint; Wireshark copies the time.
        self.added(unsafe {
            ws::proto_tree_add_time(
                self.ptr(),
                registration.field(field),
                self.packet.tvb,
                0,
                0,
                &time,
            )
        })
    }
}
