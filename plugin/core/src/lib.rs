//! The handshake and teardown state machine of tcpwave, with no FFI.
//!
//! The plugin feeds it one [`Segment`] per TCP layer on Wireshark's first pass and renders the
//! [`View`] it keeps for every frame on every pass; the CLI uses its vocabulary. The labelling rules
//! are specified in the README ("How packets are labelled") and implemented in [`connection`].

pub mod capture;
pub mod connection;
pub mod roles;
mod store;
pub mod vocab;

pub use capture::{Capture, View};
pub use connection::{AnomalySet, Answer, Connection, Flags, Segment, Side, Step, StepSet};
pub use vocab::{Anomaly, HandshakeVerdict, Phase, TcpState, TeardownVerdict};
