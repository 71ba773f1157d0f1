//! Registering a protocol, its fields, subtrees and expert infos, and finding other dissectors'
//! fields.

use std::ffi::{c_int, c_uint, c_void, CStr};
use std::mem::{align_of, offset_of, size_of};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;

use wireshark_headers as ws;

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

/// The C functions Wireshark calls for the registered protocol (`exports.rs` defines them): the
/// post-dissector, and the routines run before a file is dissected and after it is closed.
#[derive(Clone, Copy)]
pub struct ProtocolCallbacks {
    pub dissect: ws::dissector_t,
    pub init: Option<unsafe extern "C" fn()>,
    pub cleanup: Option<unsafe extern "C" fn()>,
}

/// An `expert_field`, which Wireshark fills in when the expert info is registered.
#[repr(C)]
struct ExpertCell {
    ei: AtomicI32,
    hf: AtomicI32,
}

// Wireshark writes registered ids through `int *` pointers into these atomics (hf and ett ids,
// the protocol id) and reads and writes an ExpertCell as its `expert_field`.
const _: () = assert!(size_of::<AtomicI32>() == size_of::<c_int>());
const _: () = assert!(align_of::<AtomicI32>() == align_of::<c_int>());
const _: () = assert!(size_of::<ExpertCell>() == size_of::<ws::expert_field>());
const _: () = assert!(align_of::<ExpertCell>() == align_of::<ws::expert_field>());
const _: () = assert!(offset_of!(ExpertCell, ei) == offset_of!(ws::expert_field, ei));
const _: () = assert!(offset_of!(ExpertCell, hf) == offset_of!(ws::expert_field, hf));
// The dissector handle, a pointer, is kept as a usize (raw pointers are not Sync).
const _: () = assert!(size_of::<usize>() == size_of::<ws::dissector_handle_t>());

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
        unsafe { ws::protocol_is_enabled(self.proto()) }
    }

    pub(super) fn proto(&self) -> c_int {
        self.proto.load(Ordering::Relaxed)
    }

    pub(super) fn field(&self, field: FieldIndex) -> c_int {
        self.fields[field.0].load(Ordering::Relaxed)
    }

    pub(super) fn subtree(&self, subtree: SubtreeIndex) -> c_int {
        self.subtrees[subtree.0].load(Ordering::Relaxed)
    }

    pub(super) fn expert(&self, expert: ExpertIndex) -> *mut ws::expert_field {
        // ExpertCell has expert_field's layout; Wireshark only reads it when adding expert info.
        ptr::from_ref(&self.experts[expert.0]).cast_mut().cast()
    }
}

/// A slice length as the `int` count Wireshark's registration functions take.
fn count(len: usize) -> c_int {
    c_int::try_from(len).expect("fewer registrations than fit in a C int")
}

/// Registers the protocol named `filter_name`, its fields, `subtree_count` subtrees and its expert
/// infos, and makes it a post-dissector calling `callbacks`. Everything handed to Wireshark is
/// leaked on purpose: Wireshark keeps pointers to it for the life of the process.
pub fn register_protocol(
    name: &'static CStr,
    short_name: &'static CStr,
    filter_name: &'static CStr,
    fields: &[FieldSpec],
    subtree_count: usize,
    experts: &[ExpertSpec],
    callbacks: ProtocolCallbacks,
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
        ws::proto_register_field_array(proto, hf.as_mut_ptr(), count(hf.len()));
        ws::proto_register_subtree_array(subtree_ids.as_ptr(), count(subtree_ids.len()));
        let module = ws::expert_register_protocol(proto);
        ws::expert_register_field_array(module, ei.as_mut_ptr(), count(ei.len()));
        let handle = ws::create_dissector_handle(callbacks.dissect, proto);
        ws::register_postdissector(handle);
        registration.handle.get_or_init(|| handle as usize);
        ws::register_init_routine(callbacks.init);
        ws::register_cleanup_routine(callbacks.cleanup);
    }
    registration
}

/// A `field_display_e` value as the `int` of `header_field_info.display`, checked at compile time.
const fn display(base: ws::field_display_e) -> c_int {
    assert!(base <= c_int::MAX as ws::field_display_e);
    base as c_int
}

const BASE_NONE: c_int = display(ws::BASE_NONE);
const BASE_DEC: c_int = display(ws::BASE_DEC);

// FRAMENUM_TYPE() stores an `ft_framenum_type` in the `const void *strings` member, as a number.
const _: () = assert!(size_of::<ws::ft_framenum_type>() <= size_of::<usize>());
const _: () = assert!(size_of::<usize>() == size_of::<*const c_void>());

fn header_field(spec: &FieldSpec) -> ws::header_field_info {
    let (field_type, display, strings): (ws::ftenum, c_int, *const c_void) = match spec.field_type {
        FieldType::Uint8 { names } => (
            ws::FT_UINT8,
            BASE_DEC,
            names.map_or(ptr::null(), value_strings),
        ),
        FieldType::Uint32 => (ws::FT_UINT32, BASE_DEC, ptr::null()),
        FieldType::Boolean => (ws::FT_BOOLEAN, BASE_NONE, ptr::null()),
        FieldType::String => (ws::FT_STRING, BASE_NONE, ptr::null()),
        FieldType::AckedFrame => (
            ws::FT_FRAMENUM,
            BASE_NONE,
            ws::FT_FRAMENUM_ACK as usize as *const c_void,
        ),
        FieldType::RelativeTime => (ws::FT_RELATIVE_TIME, BASE_NONE, ptr::null()),
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
                display: BASE_NONE,
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
    pub(super) info: NonNull<ws::header_field_info>,
}

// SAFETY: registered fields stay in place, unchanged, as long as Wireshark runs.
unsafe impl Send for ForeignField {}
unsafe impl Sync for ForeignField {}

impl ForeignField {
    /// Looks the field up by its filter name (e.g. `tcp.stream`).
    pub fn by_name(name: &CStr) -> Option<ForeignField> {
        // SAFETY: a NUL-terminated string; Wireshark only reads it.
        let id = unsafe { ws::proto_registrar_get_id_byname(name.as_ptr()) };
        let index = c_uint::try_from(id).ok()?;
        // SAFETY: a registered id, so Wireshark returns its entry rather than aborting.
        let info = NonNull::new(unsafe { ws::proto_registrar_get_nth(index) })?;
        Some(ForeignField { id, info })
    }

    pub fn id(self) -> c_int {
        self.id
    }
}

// g_array_new() takes the element size as a `guint`.
const C_INT_SIZE: ws::guint = size_of::<c_int>() as ws::guint;
const _: () = assert!(C_INT_SIZE as usize == size_of::<c_int>());

/// Asks Wireshark to build these fields of other dissectors on the first pass, where
/// [`PacketInfo::root_nodes`](super::PacketInfo::root_nodes) can read them, in place of what was
/// asked before (none: stop asking).
pub fn want_fields(registration: &Registration, ids: &[c_int]) {
    let Some(&handle) = registration.handle.get() else {
        return;
    };
    let len = ws::guint::try_from(ids.len()).expect("fewer wanted fields than fit in a guint");
    // SAFETY: g_array_new makes an array of ints that Wireshark takes ownership of; `ids` holds
    // `len` of them.
    unsafe {
        let array = ws::g_array_new(0, 0, C_INT_SIZE);
        ws::g_array_append_vals(array, ids.as_ptr().cast(), len);
        ws::set_postdissector_wanted_hfids(handle as ws::dissector_handle_t, array);
    }
}
