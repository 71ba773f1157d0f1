//! What the plugin keeps of the open capture file between Wireshark's passes over it: every
//! frame's labels (tcpwave-core's [`Capture`]) and two caches of the dissector's. The dissector
//! writes it on first passes and reads it on every pass; the statistics read it. Pure Rust: no
//! Wireshark type reaches this module.

use std::collections::HashMap;
use std::ffi::CString;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tcpwave_core::{Capture, Segment};

/// What the plugin knows of the open capture file.
#[derive(Default)]
pub struct FileState {
    pub capture: Capture,
    /// The TCP layers of the frame being read, kept to spare an allocation per frame.
    pub layers: Vec<Segment>,
    /// Item summaries by `View::summary_key`: a capture has few distinct ones, and formatting one
    /// per packet would cost more than everything else tcpwave does.
    pub summaries: HashMap<u32, CString>,
}

/// None between files.
static STATE: Mutex<Option<FileState>> = Mutex::new(None);

/// The state, even if a panic interrupted an earlier packet while it held the lock.
fn lock() -> MutexGuard<'static, Option<FileState>> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts afresh: Wireshark is about to dissect a file (or to dissect it again).
pub fn open() {
    *lock() = Some(FileState::default());
}

/// Forgets the file Wireshark closed.
pub fn close() {
    *lock() = None;
}

/// Runs `update` on the open file's state, starting one if none is open.
pub fn with_open_file<T>(update: impl FnOnce(&mut FileState) -> T) -> T {
    update(lock().get_or_insert_with(FileState::default))
}

/// Runs `read` on the labels of the open capture file, if one is open.
pub fn with_capture<T>(read: impl FnOnce(&Capture) -> T) -> Option<T> {
    lock().as_ref().map(|state| read(&state.capture))
}
