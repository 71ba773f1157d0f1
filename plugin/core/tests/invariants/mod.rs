//! The state machine's invariants, checked on packet sequences decoded from arbitrary bytes.
//!
//! Shared by the coverage-guided fuzzer (`plugin/core/fuzz`, which includes this folder by path)
//! and by `random_sequences.rs`, which runs the same checks on a fixed pseudo-random sample so
//! that every `cargo test` exercises them.

mod check;
pub mod decode;

pub use check::check;
pub use decode::decode;
