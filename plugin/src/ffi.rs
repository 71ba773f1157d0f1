//! The one place tcpwave touches Wireshark's C API: the exported plugin symbols, the callbacks
//! Wireshark calls (each behind `catch_unwind`, so no panic ever unwinds into C), and small safe
//! wrappers for registering fields, for reading and growing a packet's protocol tree, and for
//! the statistics tree. Every other module is safe Rust.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;

use wireshark_headers as ws;

use crate::{dissector, stats};

pub use ws::PROTOCOL_ITEMS_MUST_BE_ASKED_FOR;

/// Version string Wireshark shows in its plugin list. Wireshark reads a char array, not a pointer.
#[no_mangle]
#[used]
pub static plugin_version: [c_char; VERSION_LEN] = version_array();

/// Wireshark loads a plugin only into the major.minor release it was built for.
#[no_mangle]
#[used]
pub static plugin_want_major: c_int = ws::WIRESHARK_MAJOR;
#[no_mangle]
#[used]
pub static plugin_want_minor: c_int = ws::WIRESHARK_MINOR;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const VERSION_LEN: usize = VERSION.len() + 1;

const fn version_array() -> [c_char; VERSION_LEN] {
    let bytes = VERSION.as_bytes();
    let mut out = [0 as c_char; VERSION_LEN];
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i] as c_char;
        i += 1;
    }
    out
}

static PLUGIN: ws::proto_plugin = ws::proto_plugin {
    register_protoinfo: Some(register_protoinfo),
    register_handoff: Some(register_handoff),
};

static TAP_PLUGIN: ws::tap_plugin = ws::tap_plugin {
    register_tap_listener: Some(register_tap_listener),
};

/// Wireshark calls this right after loading the library.
#[no_mangle]
pub extern "C" fn plugin_register() {
    // SAFETY: both are statics with their callbacks set; Wireshark keeps the pointers.
    unsafe {
        ws::proto_register_plugin(&PLUGIN);
        ws::tap_register_plugin(&TAP_PLUGIN);
    }
}

// Wireshark 4.4 and later list the plugin's kinds; older versions get nothing exported.
ws::describe_plugin!(dissector_with_taps);

/// Runs `body` so that a panic stops here, where Wireshark called us, instead of unwinding into C.
fn guarded<T>(body: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(body)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned())
    })
}

extern "C" fn register_protoinfo() {
    if let Err(message) = guarded(dissector::register) {
        eprintln!("tcpwave: registration failed: {message}");
    }
}

extern "C" fn register_handoff() {
    if let Err(message) = guarded(dissector::handoff) {
        eprintln!("tcpwave: handoff failed: {message}");
    }
}

extern "C" fn register_tap_listener() {
    if let Err(message) = guarded(stats::register) {
        eprintln!("tcpwave: statistics registration failed: {message}");
    }
}

extern "C" fn init_routine() {
    let _ = guarded(dissector::file_opened);
}

extern "C" fn cleanup_routine() {
    let _ = guarded(dissector::file_closed);
}

unsafe extern "C" fn dissect(
    tvb: *mut ws::tvbuff_t,
    pinfo: *mut ws::packet_info,
    tree: *mut ws::proto_tree,
    _data: *mut c_void,
) -> c_int {
    let Some(pinfo) = NonNull::new(pinfo) else {
        return 0;
    };
    let packet = Packet {
        tvb,
        pinfo,
        tree: NonNull::new(tree),
    };
    if let Err(message) = guarded(|| dissector::dissect(&packet)) {
        let _ = guarded(|| dissector::report_internal_error(&packet, &message));
    }
    0
}

unsafe extern "C" fn stats_init(tree: *mut ws::stats_tree) {
    if let Some(tree) = StatsTree::new(tree) {
        let _ = guarded(|| stats::init(&tree));
    }
}

unsafe extern "C" fn stats_packet(
    tree: *mut ws::stats_tree,
    pinfo: *mut ws::packet_info,
    _edt: *mut ws::epan_dissect_t,
    _data: *const c_void,
    _flags: ws::tap_flags_t,
) -> ws::tap_packet_status {
    let (Some(tree), Some(pinfo)) = (StatsTree::new(tree), NonNull::new(pinfo)) else {
        return ws::TAP_PACKET_DONT_REDRAW;
    };
    let packet = Packet {
        tvb: ptr::null_mut(),
        pinfo,
        tree: None,
    };
    match guarded(|| stats::packet(&tree, &packet)) {
        Ok(()) => ws::TAP_PACKET_REDRAW,
        Err(_) => ws::TAP_PACKET_FAILED,
    }
}

unsafe extern "C" fn stats_cleanup(tree: *mut ws::stats_tree) {
    if let Some(tree) = StatsTree::new(tree) {
        let _ = guarded(|| stats::cleanup(&tree));
    }
}

// ---------------------------------------------------------------------------------------------
// Registration

/// The type of a field this plugin registers.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    Uint8 {
        names: Option<&'static [(u32, &'static CStr)]>,
    },
    Uint32,
    Boolean,
    String,
    /// A frame number shown as a link, with Wireshark's "acknowledges" arrow.
    AckedFrame,
    RelativeTime,
}

#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub abbrev: &'static CStr,
    pub name: &'static CStr,
    pub field_type: FieldType,
    pub blurb: &'static CStr,
}

#[derive(Debug, Clone, Copy)]
pub enum Severity {
    Note,
    Warn,
    Error,
}

#[derive(Debug, Clone, Copy)]
pub enum Group {
    Sequence,
    Malformed,
}

#[derive(Debug, Clone, Copy)]
pub struct ExpertSpec {
    pub abbrev: &'static CStr,
    pub summary: &'static CStr,
    pub group: Group,
    pub severity: Severity,
}

/// An `expert_field`, which Wireshark fills in when the expert info is registered.
#[repr(C)]
struct ExpertCell {
    ei: AtomicI32,
    hf: AtomicI32,
}

/// What Wireshark assigned when the protocol registered. Indexes follow the spec slices.
pub struct Registration {
    proto: AtomicI32,
    fields: Box<[AtomicI32]>,
    subtrees: Box<[AtomicI32]>,
    experts: Box<[ExpertCell]>,
    handle: OnceLock<usize>,
}

/// A field, subtree or expert of this plugin, by its index in the spec slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldIndex(pub usize);
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubtreeIndex(pub usize);
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpertIndex(pub usize);

impl Registration {
    /// Whether the user left the protocol enabled (`--disable-protocol`, Enabled Protocols).
    pub fn is_enabled(&self) -> bool {
        // SAFETY: the id of the protocol this registration made.
        unsafe { ws::protocol_is_enabled(self.proto.load(Ordering::Relaxed)) }
    }

    fn field(&self, field: FieldIndex) -> c_int {
        self.fields[field.0].load(Ordering::Relaxed)
    }

    fn subtree(&self, subtree: SubtreeIndex) -> c_int {
        self.subtrees[subtree.0].load(Ordering::Relaxed)
    }

    fn expert(&self, expert: ExpertIndex) -> *mut ws::expert_field {
        // ExpertCell has expert_field's layout; Wireshark only reads it when adding expert info.
        ptr::from_ref(&self.experts[expert.0]).cast_mut().cast()
    }
}

/// Registers the protocol named `filter_name`, its fields, `subtree_count` subtrees and its expert
/// infos, and makes it a post-dissector. Everything handed to Wireshark is leaked on purpose:
/// Wireshark keeps pointers to it for the life of the process.
pub fn register_protocol(
    name: &'static CStr,
    short_name: &'static CStr,
    filter_name: &'static CStr,
    fields: &[FieldSpec],
    subtree_count: usize,
    experts: &[ExpertSpec],
) -> &'static Registration {
    let registration: &'static Registration = Box::leak(Box::new(Registration {
        proto: AtomicI32::new(-1),
        fields: (0..fields.len()).map(|_| AtomicI32::new(-1)).collect(),
        subtrees: (0..subtree_count).map(|_| AtomicI32::new(-1)).collect(),
        experts: (0..experts.len())
            .map(|_| ExpertCell {
                ei: AtomicI32::new(-1),
                hf: AtomicI32::new(-1),
            })
            .collect(),
        handle: OnceLock::new(),
    }));

    // SAFETY: the strings are 'static and NUL-terminated; Wireshark copies nothing and keeps them.
    let proto = unsafe {
        ws::proto_register_protocol(name.as_ptr(), short_name.as_ptr(), filter_name.as_ptr())
    };
    registration.proto.store(proto, Ordering::Relaxed);

    let hf: &'static mut [ws::hf_register_info] = fields
        .iter()
        .zip(registration.fields.iter())
        .map(|(spec, id)| ws::hf_register_info {
            p_id: id.as_ptr(),
            hfinfo: header_field(spec),
        })
        .collect::<Vec<_>>()
        .leak();
    let subtree_ids: &'static mut [*mut c_int] = registration
        .subtrees
        .iter()
        .map(AtomicI32::as_ptr)
        .collect::<Vec<_>>()
        .leak();
    let ei: &'static mut [ws::ei_register_info] = experts
        .iter()
        .zip(registration.experts.iter())
        .map(|(spec, cell)| ws::ei_register_info {
            ids: ptr::from_ref(cell).cast_mut().cast(),
            eiinfo: expert_info(spec),
        })
        .collect::<Vec<_>>()
        .leak();

    // SAFETY: the arrays are leaked, so they outlive Wireshark's use of them, and their lengths
    // are passed alongside; the ids they point at are atomics with C int layout.
    unsafe {
        ws::proto_register_field_array(proto, hf.as_mut_ptr(), hf.len() as c_int);
        ws::proto_register_subtree_array(subtree_ids.as_ptr(), subtree_ids.len() as c_int);
        let module = ws::expert_register_protocol(proto);
        ws::expert_register_field_array(module, ei.as_mut_ptr(), ei.len() as c_int);
        let handle = ws::create_dissector_handle(Some(dissect), proto);
        ws::register_postdissector(handle);
        registration.handle.get_or_init(|| handle as usize);
        ws::register_init_routine(Some(init_routine));
        ws::register_cleanup_routine(Some(cleanup_routine));
    }
    registration
}

fn header_field(spec: &FieldSpec) -> ws::header_field_info {
    let (field_type, display, strings): (ws::ftenum, c_int, *const c_void) = match spec.field_type {
        FieldType::Uint8 { names } => (
            ws::FT_UINT8,
            ws::BASE_DEC as c_int,
            names.map_or(ptr::null(), value_strings),
        ),
        FieldType::Uint32 => (ws::FT_UINT32, ws::BASE_DEC as c_int, ptr::null()),
        FieldType::Boolean => (ws::FT_BOOLEAN, ws::BASE_NONE as c_int, ptr::null()),
        FieldType::String => (ws::FT_STRING, ws::BASE_NONE as c_int, ptr::null()),
        // FRAMENUM_TYPE() stores the link kind in `strings`, as a number.
        FieldType::AckedFrame => (
            ws::FT_FRAMENUM,
            ws::BASE_NONE as c_int,
            ws::FT_FRAMENUM_ACK as usize as *const c_void,
        ),
        FieldType::RelativeTime => (ws::FT_RELATIVE_TIME, ws::BASE_NONE as c_int, ptr::null()),
    };
    // The last five members are what HFILL sets.
    ws::header_field_info {
        name: spec.name.as_ptr(),
        abbrev: spec.abbrev.as_ptr(),
        type_: field_type,
        display,
        strings,
        bitmask: 0,
        blurb: spec.blurb.as_ptr(),
        id: -1,
        parent: 0,
        ref_type: ws::HF_REF_TYPE_NONE,
        same_name_prev_id: -1,
        same_name_next: ptr::null_mut(),
    }
}

/// A leaked, {0, NULL}-terminated `value_string` array.
fn value_strings(names: &'static [(u32, &'static CStr)]) -> *const c_void {
    let array: Vec<ws::value_string> = names
        .iter()
        .map(|(value, name)| ws::value_string {
            value: *value,
            strptr: name.as_ptr(),
        })
        .chain([ws::value_string {
            value: 0,
            strptr: ptr::null(),
        }])
        .collect();
    array.leak().as_ptr().cast()
}

fn expert_info(spec: &ExpertSpec) -> ws::expert_field_info {
    let group = match spec.group {
        Group::Sequence => ws::PI_SEQUENCE,
        Group::Malformed => ws::PI_MALFORMED,
    };
    let severity = match spec.severity {
        Severity::Note => ws::PI_NOTE,
        Severity::Warn => ws::PI_WARN,
        Severity::Error => ws::PI_ERROR,
    };
    // The last four members are what EXPFILL sets.
    ws::expert_field_info {
        name: spec.abbrev.as_ptr(),
        group,
        severity,
        summary: spec.summary.as_ptr(),
        id: 0,
        protocol: ptr::null(),
        orig_severity: 0,
        hf_info: ws::hf_register_info {
            p_id: ptr::null_mut(),
            hfinfo: ws::header_field_info {
                name: ptr::null(),
                abbrev: ptr::null(),
                type_: ws::FT_NONE,
                display: ws::BASE_NONE as c_int,
                strings: ptr::null(),
                bitmask: 0,
                blurb: ptr::null(),
                id: -1,
                parent: 0,
                ref_type: ws::HF_REF_TYPE_NONE,
                same_name_prev_id: -1,
                same_name_next: ptr::null_mut(),
            },
        },
    }
}

/// Another dissector's registered field or protocol, to find among a tree's items.
#[derive(Debug, Clone, Copy)]
pub struct ForeignField {
    id: c_int,
    info: NonNull<ws::header_field_info>,
}

// SAFETY: registered fields stay in place, unchanged, as long as Wireshark runs.
unsafe impl Send for ForeignField {}
unsafe impl Sync for ForeignField {}

impl ForeignField {
    /// Looks the field up by its filter name (e.g. `tcp.stream`).
    pub fn by_name(name: &CStr) -> Option<ForeignField> {
        // SAFETY: a NUL-terminated string; Wireshark only reads it.
        let id = unsafe { ws::proto_registrar_get_id_byname(name.as_ptr()) };
        let index = u32::try_from(id).ok()?;
        // SAFETY: a registered id, so Wireshark returns its entry rather than aborting.
        let info = NonNull::new(unsafe { ws::proto_registrar_get_nth(index) })?;
        Some(ForeignField { id, info })
    }

    pub fn id(self) -> c_int {
        self.id
    }
}

/// Asks Wireshark to build these fields of other dissectors on the first pass, where
/// [`Packet::root_nodes`] can read them, in place of what was asked before (none: stop asking).
pub fn want_fields(registration: &Registration, ids: &[c_int]) {
    let Some(&handle) = registration.handle.get() else {
        return;
    };
    // SAFETY: g_array_new makes an array of ints that Wireshark takes ownership of.
    unsafe {
        let array = ws::g_array_new(0, 0, std::mem::size_of::<c_int>() as u32);
        ws::g_array_append_vals(array, ids.as_ptr().cast(), ids.len() as u32);
        ws::set_postdissector_wanted_hfids(handle as ws::dissector_handle_t, array);
    }
}

/// A tap: the channel through which a dissector hands packets to statistics.
#[derive(Debug, Clone, Copy)]
pub struct Tap(c_int);

pub fn register_tap(name: &'static CStr) -> Tap {
    // SAFETY: a 'static NUL-terminated name, which Wireshark keeps.
    Tap(unsafe { ws::register_tap(name.as_ptr()) })
}

/// Registers a statistics tree fed by `tap`: `tshark -z <abbr>,tree`, and `name` in the GUI's
/// Statistics menu.
pub fn register_stats_tree(tap: &'static CStr, abbr: &'static CStr, name: &'static CStr) {
    // SAFETY: 'static strings and callbacks that live as long as the library.
    unsafe {
        ws::stats_tree_register_plugin(
            tap.as_ptr(),
            abbr.as_ptr(),
            name.as_ptr(),
            0,
            Some(stats_packet),
            Some(stats_init),
            Some(stats_cleanup),
        );
    }
}

/// A node of a statistics tree; [`StatsNode::ROOT`] is the tree itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsNode(c_int);

impl StatsNode {
    pub const ROOT: StatsNode = StatsNode(0);
}

/// One open statistics tree (a GUI window or a `-z` report), valid for one callback.
pub struct StatsTree {
    raw: NonNull<ws::stats_tree>,
}

impl StatsTree {
    fn new(raw: *mut ws::stats_tree) -> Option<StatsTree> {
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

// ---------------------------------------------------------------------------------------------
// Dissection

/// Whether the tree `node` belongs to will be displayed.
fn in_visible_tree(node: &ws::proto_node) -> bool {
    // SAFETY: a live node points at its tree's shared data, alive as long as the tree.
    unsafe { node.tree_data.as_ref() }.is_some_and(ws::tree_is_visible)
}

/// The packet Wireshark is dissecting, valid for one call of the post-dissector.
pub struct Packet {
    tvb: *mut ws::tvbuff_t,
    pinfo: NonNull<ws::packet_info>,
    tree: Option<NonNull<ws::proto_tree>>,
}

impl Packet {
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
            _packet: std::marker::PhantomData,
        }
    }

    /// Whether anything will read this plugin's fields in this packet's tree: a visible tree (the
    /// GUI, `-V`, `-T fields`), a display or colour filter, or a field asked for. Only then are
    /// they worth adding (Wireshark's own advice for proto_field_is_referenced()).
    pub fn fields_are_read(&self, registration: &Registration) -> bool {
        let Some(tree) = self.tree else { return false };
        // SAFETY: a valid tree and our registered protocol.
        unsafe {
            ws::field_is_referenced(tree.as_ptr(), registration.proto.load(Ordering::Relaxed))
        }
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
                registration.proto.load(Ordering::Relaxed),
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
    _packet: std::marker::PhantomData<&'a Packet>,
}

impl<'a> Iterator for Siblings<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        let node = self.next?;
        // SAFETY: nodes of a live tree link only to nodes of the same tree.
        self.next = NonNull::new(unsafe { node.as_ref().next });
        Some(Node {
            node,
            _packet: std::marker::PhantomData,
        })
    }
}

/// One item of another dissector's tree, read-only.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    node: NonNull<ws::proto_node>,
    _packet: std::marker::PhantomData<&'a Packet>,
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
            _packet: std::marker::PhantomData,
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
            let captured = ws::tvb_captured_length(fi.ds_tvb) as usize;
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
    packet: &'a Packet,
}

impl<'a> Item<'a> {
    fn new(packet: &'a Packet, raw: *mut ws::proto_item) -> Option<Item<'a>> {
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

/// A subtree this plugin adds generated fields to.
pub struct Tree<'a> {
    raw: Option<NonNull<ws::proto_tree>>,
    packet: &'a Packet,
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
        let time = ws::nstime_t {
            secs: nanoseconds.div_euclid(1_000_000_000),
            nsecs: nanoseconds.rem_euclid(1_000_000_000) as c_int,
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
