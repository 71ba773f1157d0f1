//! `tcpwave`: per-connection TCP handshake and teardown reports from tshark and the tcpwave
//! Wireshark plugin. The commands live in the library; this maps their outcome to an exit status.
#![forbid(unsafe_code)]

use std::io;
use std::process::ExitCode;

use clap::Parser;

use tcpwave_cli::commands::outcome::ExitStatus;
use tcpwave_cli::commands::{self, cli::Cli};
use tcpwave_cli::vocab::fatal::Fatal;

fn exit_code(status: ExitStatus) -> ExitCode {
    ExitCode::from(status.code())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(outcome) => exit_code(outcome.into()),
        Err(error) => {
            if error
                .downcast_ref::<io::Error>()
                .is_some_and(|error| error.kind() == io::ErrorKind::BrokenPipe)
            {
                // The reader went away (`tcpwave report ... | head`): nothing left to do.
                return exit_code(ExitStatus::Success);
            }
            eprintln!("tcpwave: {error:#}");
            exit_code(if error.downcast_ref::<Fatal>().is_some() {
                ExitStatus::Fatal
            } else {
                ExitStatus::SomeFilesFailed
            })
        }
    }
}
