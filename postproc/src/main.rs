//! `tcpwave`: per-connection TCP handshake and teardown reports from tshark and the tcpwave
//! Wireshark plugin.

mod cli;
mod connection;
mod fields;
mod html;
mod inputs;
mod ladder;
mod output;
mod profile;
mod report;
mod row;
mod runner;
mod seconds;
mod setup;
mod stream_set;
mod summary;
mod tshark;
mod zeek;

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use thiserror::Error;

use cli::{Cli, Command};

/// Errors that stop tcpwave before any capture is read; they exit with status 2.
#[derive(Debug, Error)]
pub enum Fatal {
    #[error("{0}")]
    Environment(String),
    #[error("{0}")]
    Usage(String),
}

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

impl Outcome {
    fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::SomeFilesFailed => ExitCode::from(1),
            Outcome::Interrupted => ExitCode::from(130),
        }
    }
}

/// Standard output, or the file named by `-o`; buffered (standard output too, rather than line by
/// line): callers flush when they have nothing more to write for a while.
pub fn open_output(path: Option<&Path>) -> Result<Box<dyn Write>, Fatal> {
    match path {
        Some(path) => File::create(path)
            .map(|file| Box::new(io::BufWriter::new(file)) as Box<dyn Write>)
            .map_err(|error| Fatal::Usage(format!("cannot write {}: {error}", path.display()))),
        None => Ok(Box::new(io::BufWriter::new(io::stdout().lock()))),
    }
}

pub fn stdout_is_terminal(output: Option<&Path>) -> bool {
    output.is_none() && io::stdout().is_terminal()
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Report(args) => report::run(args),
        Command::Summary(args) => summary::run(args),
        Command::Ladder(args) => ladder::run(args),
        Command::Install(args) => setup::install(args),
        Command::Doctor => setup::doctor(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(error) => {
            if error
                .downcast_ref::<io::Error>()
                .is_some_and(|error| error.kind() == io::ErrorKind::BrokenPipe)
            {
                // The reader went away (`tcpwave report ... | head`): nothing left to do.
                return ExitCode::SUCCESS;
            }
            eprintln!("tcpwave: {error:#}");
            if error.downcast_ref::<Fatal>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
