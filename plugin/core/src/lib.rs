//! The handshake and teardown state machine of tcpwave, with no FFI.
//!
//! The plugin feeds it one [`Segment`] per TCP layer on Wireshark's first pass and renders the
//! [`View`] it keeps for every frame on every pass; the CLI uses its vocabulary. The labelling rules
//! are specified in the README ("How packets are labelled") and implemented in [`connection`].

#![forbid(unsafe_code)]

pub mod capture;
pub mod connection;
pub mod roles;
pub mod segment;
mod store;
pub mod vocab;

pub use capture::{Capture, LiveCapture, View};
pub use connection::{AnomalySet, Answer, Connection, Step, StepSet};
pub use segment::{Flags, Segment, Side};
pub use vocab::{Anomaly, HandshakeVerdict, Phase, TcpState, TeardownVerdict};
