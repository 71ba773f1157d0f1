//! How a command ended; `main` turns it into the exit status `--help` documents.

/// How a command ended, as the exit status documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every capture was read.
    Success,
    /// Some file could not be read; the others were reported.
    SomeFilesFailed,
    /// Stopped by Ctrl-C after writing complete rows only.
    Interrupted,
}
