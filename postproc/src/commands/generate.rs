//! `tcpwave generate`: the man pages and shell completions, made from the command-line
//! definitions so that they never disagree with `--help`. Hidden: packagers run it.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::commands::cli::{Cli, Generated};
use crate::commands::outcome::Outcome;

pub fn run(what: Generated, folder: &Path) -> Result<Outcome> {
    fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let command = Cli::command();
    let shell = match what {
        Generated::Man => {
            clap_mangen::generate_to(command, folder)
                .with_context(|| format!("cannot write man pages into {}", folder.display()))?;
            return Ok(Outcome::Success);
        }
        Generated::Bash => Shell::Bash,
        Generated::Zsh => Shell::Zsh,
        Generated::Fish => Shell::Fish,
    };
    let mut command = command;
    clap_complete::generate_to(shell, &mut command, "tcpwave", folder)
        .with_context(|| format!("cannot write {shell} completions into {}", folder.display()))?;
    Ok(Outcome::Success)
}
