//! What Wireshark calls: the symbols its plugin loader looks up (`plugin_version`,
//! `plugin_want_major`/`_minor`, `plugin_register`, and `plugin_describe` from 4.4 on) and the C
//! callbacks registered through them. The top layer of the plugin: each callback wraps the raw
//! pointers it is given ([`PacketInfo`], [`StatsTree`]) and hands them to [`dissector`] or
//! [`stats`], behind [`guarded`], so that no panic ever unwinds into C.
//!
//! After a panic the plugin keeps going, as it would after a bad packet: the callback reports it
//! on stderr (the panicking frame also gets the `internal_error` expert info), every later call
//! runs as usual, and the per-file state survives (its lock ignores poisoning).

use std::ffi::{c_char, c_int, c_void};
use std::fmt;
use std::io::Write;
use std::mem::size_of;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use wireshark_headers as ws;

use crate::epan::{PacketInfo, ProtocolCallbacks, StatsCallbacks, StatsTree};
use crate::{dissector, stats};

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

// The version's bytes are stored as C chars.
const _: () = assert!(size_of::<c_char>() == size_of::<u8>());

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

/// Runs `body` so that a panic stops here, where Wireshark called us, instead of unwinding into
/// C. A caught panic is reported on stderr, naming the `callback` and what follows from it
/// (`after`), and returned as its message.
fn guarded<T>(
    callback: fmt::Arguments<'_>,
    after: &str,
    body: impl FnOnce() -> T,
) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(body)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        // Dropping a payload can itself panic, outside any guard: leak it instead (it is small,
        // and panics are rare).
        std::mem::forget(payload);
        // Not eprintln!, which panics when stderr is gone.
        let _ = writeln!(
            std::io::stderr(),
            "tcpwave: {callback} panicked: {message}; {after}"
        );
        message
    })
}

const INACTIVE: &str = "tcpwave stays inactive";

extern "C" fn register_protoinfo() {
    let callbacks = ProtocolCallbacks {
        dissect: Some(dissect),
        init: Some(init_routine),
        cleanup: Some(cleanup_routine),
    };
    let _ = guarded(format_args!("registration"), INACTIVE, || {
        dissector::register(callbacks);
    });
}

extern "C" fn register_handoff() {
    let _ = guarded(format_args!("handoff"), INACTIVE, dissector::handoff);
}

extern "C" fn register_tap_listener() {
    let callbacks = StatsCallbacks {
        packet: Some(stats_packet),
        init: Some(stats_init),
        cleanup: Some(stats_cleanup),
    };
    let _ = guarded(
        format_args!("statistics registration"),
        "there are no tcpwave statistics",
        || stats::register(callbacks),
    );
}

extern "C" fn init_routine() {
    let _ = guarded(
        format_args!("the init routine"),
        "this file's labels may be incomplete",
        dissector::file_opened,
    );
}

extern "C" fn cleanup_routine() {
    let _ = guarded(
        format_args!("the cleanup routine"),
        "the closed file's labels stay in memory until the next file opens",
        dissector::file_closed,
    );
}

unsafe extern "C" fn dissect(
    tvb: *mut ws::tvbuff_t,
    pinfo: *mut ws::packet_info,
    tree: *mut ws::proto_tree,
    _data: *mut c_void,
) -> c_int {
    // SAFETY: Wireshark passes pointers valid for this call, and the packet is used only in it.
    let Some(packet) = (unsafe { PacketInfo::from_raw(tvb, pinfo, tree) }) else {
        return 0;
    };
    let frame = packet.frame_number();
    if let Err(message) = guarded(
        format_args!("dissecting frame {frame}"),
        "the frame gets an internal_error expert info, and later frames are labelled as usual",
        || dissector::dissect(&packet),
    ) {
        let _ = guarded(
            format_args!("reporting the internal error of frame {frame}"),
            "the frame shows no internal_error expert info",
            || dissector::report_internal_error(&packet, &message),
        );
    }
    0
}

unsafe extern "C" fn stats_init(tree: *mut ws::stats_tree) {
    // SAFETY: Wireshark passes a tree valid for this call.
    if let Some(tree) = unsafe { StatsTree::from_raw(tree) } {
        let _ = guarded(
            format_args!("the statistics init"),
            "this statistics tree counts nothing",
            || stats::init(&tree),
        );
    }
}

unsafe extern "C" fn stats_packet(
    tree: *mut ws::stats_tree,
    pinfo: *mut ws::packet_info,
    _edt: *mut ws::epan_dissect_t,
    _data: *const c_void,
    _flags: ws::tap_flags_t,
) -> ws::tap_packet_status {
    // SAFETY: Wireshark passes a tree and a packet_info valid for this call; a tap listener gets
    // neither a tvb nor a protocol tree.
    let (tree, packet) = unsafe {
        (
            StatsTree::from_raw(tree),
            PacketInfo::from_raw(ptr::null_mut(), pinfo, ptr::null_mut()),
        )
    };
    let (Some(tree), Some(packet)) = (tree, packet) else {
        return ws::TAP_PACKET_DONT_REDRAW;
    };
    let frame = packet.frame_number();
    match guarded(
        format_args!("the statistics of frame {frame}"),
        "Wireshark is told this statistics tree failed",
        || stats::packet(&tree, &packet),
    ) {
        Ok(()) => ws::TAP_PACKET_REDRAW,
        Err(_) => ws::TAP_PACKET_FAILED,
    }
}

unsafe extern "C" fn stats_cleanup(tree: *mut ws::stats_tree) {
    // SAFETY: Wireshark passes a tree valid for this call.
    if let Some(tree) = unsafe { StatsTree::from_raw(tree) } {
        let _ = guarded(
            format_args!("the statistics cleanup"),
            "the closed tree's counts stay in memory",
            || stats::cleanup(&tree),
        );
    }
}
