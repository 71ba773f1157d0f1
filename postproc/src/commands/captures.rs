//! What `report` and `summary` do before reading: the engine, the captures found, and how
//! their run ended.

use std::path::PathBuf;

use anyhow::Result;

use crate::commands::cli::{CaptureArgs, EngineChoice};
use crate::commands::outcome::Outcome;
use crate::run::engine::{Engine, EngineKind};
use crate::run::inputs::{self, StdinSpool};
use crate::run::jobs::{self, Finish, Notes};
use crate::run::tshark::Tshark;
use crate::vocab::fatal::Fatal;

/// What `report` and `summary` share before reading: a ready tshark and the captures found.
pub(super) struct Prepared {
    pub(super) engine: Engine,
    pub(super) captures: Vec<PathBuf>,
    pub(super) notes: Notes,
    /// Named paths that could not be read or are not captures (already reported on stderr).
    pub(super) failed: usize,
    pub(super) jobs: usize,
    pub(super) filter: Option<String>,
    /// Standard input's capture, kept until the command ends (the workers hold only its path).
    pub(super) _stdin_spool: Option<StdinSpool>,
}

/// tshark, found and checked to load the plugin.
fn ready_tshark() -> Result<Tshark> {
    let tshark = Tshark::locate()?;
    tshark.check_ready()?;
    Ok(tshark)
}

/// The engine `--engine` names; `auto` is the native reader unless `-Y` needs tshark.
pub(super) fn choose_engine(choice: EngineChoice, display_filter: Option<&str>) -> Result<Engine> {
    Ok(match (choice, display_filter) {
        (EngineChoice::Native, Some(_)) => {
            return Err(Fatal::Usage(
                "-Y is a Wireshark display filter: it needs tshark (--engine auto or tshark)"
                    .to_owned(),
            )
            .into())
        }
        (EngineChoice::Native, None) => Engine::new(EngineKind::Native),
        (EngineChoice::Tshark, _) | (EngineChoice::Auto, Some(_)) => {
            Engine::new(EngineKind::Tshark(ready_tshark()?))
        }
        (EngineChoice::Auto, None) => Engine::new(EngineKind::Auto {
            tshark: ready_tshark().map_err(|why| format!("tshark cannot be used: {why:#}")),
        }),
    })
}

pub(super) fn prepare(args: &CaptureArgs) -> Result<Prepared> {
    let engine = choose_engine(args.engine, args.display_filter.as_deref())?;
    if let (Some(filter), Some(tshark)) = (&args.display_filter, engine.tshark()) {
        tshark.check_filter(filter)?;
    }
    // A tshark named by TCPWAVE_TSHARK may run as another user, who must read the spool.
    let shared = engine.tshark().is_some_and(Tshark::named_by_env);
    let stdin = inputs::spool_stdin_if_named(&args.paths, shared)?;
    let found = inputs::collect(&args.paths, stdin.as_ref());
    let engine = match &stdin {
        Some(spool) => engine.reading_stdin(spool.path()),
        None => engine,
    };
    let notes = Notes::new(found.captures.len());
    for (path, reason) in &found.skipped {
        notes.say(&format!("skipping {}: {reason}", path.display()));
    }
    for (path, reason) in &found.errors {
        notes.say(&format!("{}: {reason}", path.display()));
    }
    let none_found = found.captures.is_empty();
    if none_found {
        let named: Vec<String> = args
            .paths
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        notes.say(&format!(
            "no pcap or pcapng capture found in {}",
            named.join(", ")
        ));
    }
    Ok(Prepared {
        engine,
        captures: found.captures,
        notes,
        // Nothing to read is a failure too, so that a script notices it.
        failed: found.errors.len() + usize::from(none_found),
        jobs: args.jobs.map_or_else(jobs::default_jobs, usize::from),
        filter: args.display_filter.clone(),
        _stdin_spool: stdin,
    })
}

pub(super) fn outcome(finish: Finish, failed: usize) -> Outcome {
    match finish {
        Finish::Interrupted => Outcome::Interrupted,
        Finish::Completed if failed > 0 => Outcome::SomeFilesFailed,
        Finish::Completed => Outcome::Success,
    }
}
