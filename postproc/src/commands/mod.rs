//! The subcommands, each in its own module, and what they share: the captures the command line
//! names and how a command ended.

mod captures;
pub mod cli;
mod generate;
mod install;
pub mod outcome;
mod plugin_file;
mod profile;
mod report;
mod show_ladder;
mod summary;

use anyhow::Result;

use cli::{Cli, Command};
use outcome::Outcome;

/// Runs the command the command line names.
pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Report(args) => report::run(args),
        Command::Summary(args) => summary::run(args),
        Command::Ladder(args) => show_ladder::run(args),
        Command::Install(args) => install::install(args),
        Command::Doctor => install::doctor(),
        Command::Generate { what, folder } => generate::run(what, &folder),
    }
}
