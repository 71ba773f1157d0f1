//! tcpwave, the Wireshark plugin: a post-dissector that adds a `tcpwave` tree to every TCP packet
//! with its handshake or teardown step, the states it leaves both sides in, and expert info for
//! every anomaly. The labelling itself is `tcpwave-core`; this crate connects it to Wireshark.

mod dissector;
mod ffi;
mod fields;
mod stats;
