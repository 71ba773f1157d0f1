//! `tcpwave`: per-connection TCP handshake and teardown reports from tshark and the tcpwave
//! Wireshark plugin. The commands live in the library; this maps their outcome to an exit status.
#![forbid(unsafe_code)]

use std::io;
use std::process::ExitCode;

use clap::Parser;

use tcpwave_cli::commands::{self, cli::Cli, outcome::Outcome};
use tcpwave_cli::vocab::fatal::Fatal;

fn exit_code(outcome: Outcome) -> ExitCode {
    match outcome {
        Outcome::Success => ExitCode::SUCCESS,
        Outcome::SomeFilesFailed => ExitCode::from(1),
        Outcome::Interrupted => ExitCode::from(130),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(outcome) => exit_code(outcome),
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
