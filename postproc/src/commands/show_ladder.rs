//! `tcpwave ladder`: one connection of one capture as a text ladder diagram.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::Result;

use crate::commands::captures::{choose_engine, TsharkOnly};
use crate::commands::cli::LadderArgs;
use crate::commands::outcome::Outcome;
use crate::model::clock::ClockCheck;
use crate::model::finished::Finished;
use crate::model::fold::Connections;
use crate::render::ladder_text::ladder_text;
use crate::render::output_file::open_output;
use crate::run::engine::Engine;
use crate::run::inputs::{check_capture, spool_stdin_if_named};
use crate::run::tshark::Tshark;
use crate::vocab::fatal::Fatal;
use crate::vocab::words::plural;

/// How many streams a missing stream's error lists.
const LISTED_STREAMS: usize = 20;

/// What reading the capture for one stream found.
struct Search {
    found: Option<Finished>,
    failure: Option<String>,
    /// Every stream's first packet, sender then receiver: what to offer when `found` is None.
    streams: BTreeMap<u64, (SocketAddr, SocketAddr)>,
}

/// The one connection with tcp.stream `stream` of `capture`, with its ladder: only its packets
/// are folded, as if tshark had been given `-Y tcp.stream == N`.
fn read_connection(engine: &Engine, capture: &Path, stream: u64) -> Result<Search> {
    let mut connections = Connections::new(&capture.display().to_string(), true);
    let mut found = None;
    let mut streams = BTreeMap::new();
    let mut clock = ClockCheck::default();
    let report = engine.packets(
        capture,
        &mut |packet| {
            clock.observe(packet.frame, packet.time);
            streams.entry(packet.stream).or_insert((
                SocketAddr::new(packet.src, packet.src_port),
                SocketAddr::new(packet.dst, packet.dst_port),
            ));
            if packet.stream != stream {
                // Nothing of the other connections is kept.
                return vec![packet.stream];
            }
            connections.add(&packet, &mut |finished| found = Some(finished))
        },
        &|note| eprintln!("tcpwave: {note}"),
    )?;
    // Rows with ladders never wait on disk: nothing can be lost.
    let _ = connections.finish(&mut |finished| found = Some(finished));
    if let Some(warning) = clock.warning() {
        eprintln!("tcpwave: {}: {warning}", capture.display());
    }
    Ok(Search {
        found,
        failure: report.failure,
        streams,
    })
}

/// The one capture file the command line names; several, or a directory, are a usage error.
fn one_capture(args: &LadderArgs) -> Result<&Path, Fatal> {
    let advice = "`tcpwave report` lists the streams of every capture of a directory";
    match args.captures.as_slice() {
        [capture] if capture.is_dir() => Err(Fatal::Usage(format!(
            "{} is a directory: ladder draws one connection of one capture file ({advice})",
            capture.display()
        ))),
        [capture] => Ok(capture),
        several => Err(Fatal::Usage(format!(
            "ladder draws one connection of one capture file, and {} were given ({advice})",
            several.len()
        ))),
    }
}

/// The error for a stream that `capture` does not have, listing the streams it has.
fn no_such_stream(
    capture: &str,
    stream: u64,
    streams: &BTreeMap<u64, (SocketAddr, SocketAddr)>,
) -> Fatal {
    if streams.is_empty() {
        return Fatal::Usage(format!("{capture} has no TCP connection at all"));
    }
    let mut message = format!(
        "{capture} has no TCP connection with tcp.stream {stream}; its {} (first packet's \
         sender -> receiver):",
        plural(streams.len() as u64, "stream is", "streams are")
    );
    for (number, (sender, receiver)) in streams.iter().take(LISTED_STREAMS) {
        message += &format!("\n  {number:<6} {sender} -> {receiver}");
    }
    if streams.len() > LISTED_STREAMS {
        message += &format!(
            "\n  and {} more (`tcpwave report {capture}` lists them all)",
            streams.len() - LISTED_STREAMS
        );
    }
    Fatal::Usage(message)
}

pub fn run(args: LadderArgs) -> Result<Outcome> {
    let capture_path = one_capture(&args)?;
    let mut engine = choose_engine(args.engine, &TsharkOnly::default())?;
    let shared = engine.tshark().is_some_and(Tshark::named_by_env);
    let stdin = spool_stdin_if_named(&args.captures, shared)?;
    if let Some(spool) = &stdin {
        engine = engine.reading_stdin(spool.path());
    }
    let capture = capture_path.display().to_string();
    if let Err(reason) = check_capture(engine.file_to_read(capture_path)) {
        eprintln!("tcpwave: {capture}: {reason}");
        return Ok(Outcome::SomeFilesFailed);
    }
    let Search {
        found,
        failure,
        streams,
    } = read_connection(&engine, capture_path, args.stream)?;
    let Some(Finished {
        row,
        ladder: Some(ladder),
    }) = found
    else {
        if let Some(failure) = failure {
            eprintln!("tcpwave: {capture}: {failure}");
            return Ok(Outcome::SomeFilesFailed);
        }
        return Err(no_such_stream(&capture, args.stream, &streams).into());
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
