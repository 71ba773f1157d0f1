//! `tcpwave ladder`: one connection of one capture as a text ladder diagram.

use std::io::Write;

use anyhow::Result;

use crate::commands::captures::choose_engine;
use crate::commands::cli::LadderArgs;
use crate::commands::outcome::Outcome;
use crate::model::fold::{Connections, Finished};
use crate::render::ladder_text::ladder_text;
use crate::render::output_file::open_output;
use crate::run::engine::Engine;
use crate::run::inputs::check_capture;
use crate::vocab::fatal::Fatal;

/// The one connection with tcp.stream `stream` of `capture`, with its ladder: only its packets
/// are folded, as if tshark had been given `-Y tcp.stream == N`.
fn read_connection(
    engine: &Engine,
    args: &LadderArgs,
) -> Result<(Option<Finished>, Option<String>)> {
    let mut connections = Connections::new(&args.capture.display().to_string(), true);
    let mut found = None;
    let report = engine.packets(
        &args.capture,
        &mut |packet| {
            if packet.stream != args.stream {
                // Nothing of the other connections is kept.
                return vec![packet.stream];
            }
            connections.add(&packet, &mut |finished| found = Some(finished));
            Vec::new()
        },
        &|note| eprintln!("tcpwave: {note}"),
    )?;
    // Rows with ladders never wait on disk: nothing can be lost.
    let _ = connections.finish(&mut |finished| found = Some(finished));
    Ok((found, report.failure))
}

pub fn run(args: LadderArgs) -> Result<Outcome> {
    let engine = choose_engine(args.engine, None)?;
    let capture = args.capture.display().to_string();
    if let Err(reason) = check_capture(&args.capture) {
        eprintln!("tcpwave: {capture}: {reason}");
        return Ok(Outcome::SomeFilesFailed);
    }
    let (found, failure) = read_connection(&engine, &args)?;
    let Some(Finished {
        row,
        ladder: Some(ladder),
    }) = found
    else {
        if let Some(failure) = failure {
            eprintln!("tcpwave: {capture}: {failure}");
            return Ok(Outcome::SomeFilesFailed);
        }
        return Err(Fatal::Usage(format!(
            "{capture} has no TCP connection with tcp.stream {}",
            args.stream
        ))
        .into());
    };
    let mut out = open_output(args.output.as_deref())?;
    let title = format!("{capture}, tcp.stream {}", args.stream);
    out.write_all(ladder_text(&ladder, &title, &row).as_bytes())?;
    out.flush()?;
    if let Some(failure) = failure {
        eprintln!("tcpwave: {capture}: {failure}");
        return Ok(Outcome::SomeFilesFailed);
    }
    Ok(Outcome::Success)
}
