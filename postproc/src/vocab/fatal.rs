//! Errors that stop tcpwave before any capture is read; they exit with status 2.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Fatal {
    /// tshark, the plugin or the machine is not ready.
    #[error("{0}")]
    Environment(String),
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
}
