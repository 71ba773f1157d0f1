//! tcpwave, the Wireshark plugin: a post-dissector that adds a `tcpwave` tree to every TCP packet
//! with its handshake or teardown step, the states it leaves both sides in, and expert info for
//! every anomaly. The labelling itself is `tcpwave-core`; this crate connects it to Wireshark.
//!
//! Modules import one way, top to bottom:
//!
//! ```text
//! exports             the C symbols and callbacks Wireshark calls (unsafe)
//!   -> dissector, stats   labelling frames; the statistics tree
//!     -> file_state       what is kept of the open capture between passes
//!     -> hf               the protocol, fields and expert infos registered
//!       -> epan           safe wrappers around Wireshark's C API (unsafe)
//!   (all may use tcpwave-core)
//! ```
//!
//! Only `exports` and `epan` may use `unsafe`; the compiler holds every other module to that.

#![deny(unsafe_code)]

mod dissector;
#[allow(unsafe_code)]
mod epan;
#[allow(unsafe_code)]
mod exports;
mod file_state;
mod hf;
mod stats;
