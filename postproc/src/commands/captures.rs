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
fn ready_tshark(options: &[String]) -> Result<Tshark> {
    let tshark = Tshark::locate()?.with_options(options.to_vec());
    tshark.check_ready()?;
    Ok(tshark)
}

/// What tshark alone understands on the command line (-Y, -d, --preference).
#[derive(Debug, Default)]
pub(super) struct TsharkOnly<'a> {
    pub(super) display_filter: Option<&'a str>,
    /// `-d X` and `--preference Y` as tshark is to be given them (`-d X`, `-o Y`).
    pub(super) options: Vec<String>,
}

impl<'a> TsharkOnly<'a> {
    fn of(args: &'a CaptureArgs) -> Self {
        let mut options = Vec::new();
        for decode_as in &args.decode_as {
            options.extend(["-d".to_owned(), decode_as.clone()]);
        }
        for preference in &args.preferences {
            options.extend(["-o".to_owned(), preference.clone()]);
        }
        TsharkOnly {
            display_filter: args.display_filter.as_deref(),
            options,
        }
    }

    /// Why the command line needs tshark, if it does: these mean nothing to the native engine.
    fn needs_tshark(&self) -> Option<&'static str> {
        if self.display_filter.is_some() {
            Some("-Y is a Wireshark display filter")
        } else if !self.options.is_empty() {
            Some("-d and --preference are tshark's options")
        } else {
            None
        }
    }
}

/// The engine `--engine` names; `auto` is the native reader unless -Y, -d or --preference need
/// tshark.
pub(super) fn choose_engine(choice: EngineChoice, tshark_only: &TsharkOnly) -> Result<Engine> {
    let options = &tshark_only.options;
    Ok(match (choice, tshark_only.needs_tshark()) {
        (EngineChoice::Native, Some(why)) => {
            return Err(
                Fatal::Usage(format!("{why}: it needs tshark (--engine auto or tshark)")).into(),
            )
        }
        (EngineChoice::Native, None) => Engine::new(EngineKind::Native),
        (EngineChoice::Tshark, _) | (EngineChoice::Auto, Some(_)) => {
            Engine::new(EngineKind::Tshark(ready_tshark(options)?))
        }
        (EngineChoice::Auto, None) => Engine::new(EngineKind::Auto {
            tshark: ready_tshark(options).map_err(|why| format!("tshark cannot be used: {why:#}")),
        }),
    })
}

pub(super) fn prepare(args: &CaptureArgs) -> Result<Prepared> {
    let tshark_only = TsharkOnly::of(args);
    let engine = choose_engine(args.engine, &tshark_only)?;
    if let Some(tshark) = engine.tshark() {
        tshark.check_arguments(tshark_only.display_filter)?;
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
