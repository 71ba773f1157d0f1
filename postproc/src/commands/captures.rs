//! What `report` and `summary` do before reading: a ready tshark, the captures found, and how
//! their run ended.

use std::path::PathBuf;

use anyhow::Result;

use crate::commands::cli::CaptureArgs;
use crate::commands::outcome::Outcome;
use crate::run::inputs;
use crate::run::jobs::{self, Finish, Notes};
use crate::run::tshark::Tshark;

/// What `report` and `summary` share before reading: a ready tshark and the captures found.
pub(super) struct Prepared {
    pub(super) tshark: Tshark,
    pub(super) captures: Vec<PathBuf>,
    pub(super) notes: Notes,
    /// Named paths that could not be read or are not captures (already reported on stderr).
    pub(super) failed: usize,
    pub(super) jobs: usize,
    pub(super) filter: Option<String>,
}

pub(super) fn prepare(args: &CaptureArgs) -> Result<Prepared> {
    let tshark = Tshark::locate()?;
    tshark.check_ready()?;
    if let Some(filter) = &args.display_filter {
        tshark.check_filter(filter)?;
    }
    let found = inputs::collect(&args.paths);
    let notes = Notes::new(found.captures.len());
    for (path, reason) in &found.skipped {
        notes.say(&format!("skipping {}: {reason}", path.display()));
    }
    for (path, reason) in &found.errors {
        notes.say(&format!("{}: {reason}", path.display()));
    }
    Ok(Prepared {
        tshark,
        captures: found.captures,
        notes,
        failed: found.errors.len(),
        jobs: args.jobs.map_or_else(jobs::default_jobs, usize::from),
        filter: args.display_filter.clone(),
    })
}

pub(super) fn outcome(finish: Finish, failed: usize) -> Outcome {
    match finish {
        Finish::Interrupted => Outcome::Interrupted,
        Finish::Completed if failed > 0 => Outcome::SomeFilesFailed,
        Finish::Completed => Outcome::Success,
    }
}
