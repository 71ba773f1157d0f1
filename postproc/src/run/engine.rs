//! The seam between the captures and the rows: an engine reads one capture and yields its
//! labelled packets. Two engines stand behind it: tshark with the plugin, and the native reader
//! with the same state machine (`run/native`).

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::model::packet::LabelledPacket;
use crate::run::inputs::STDIN;
use crate::run::native::{self, NativeRun};
use crate::run::tshark::{RunReport, Tshark};

/// An engine, and the file holding standard input's capture when `-` is one of the captures.
#[derive(Debug, Clone)]
pub struct Engine {
    kind: EngineKind,
    stdin: Option<PathBuf>,
}

/// Which engine reads the captures.
#[derive(Debug, Clone)]
pub enum EngineKind {
    /// tshark with the plugin, for every capture (and the only one for `-Y`).
    Tshark(Tshark),
    /// The native reader only: a capture that needs Wireshark's dissection is a failure.
    Native,
    /// The native reader, and tshark for the captures that need Wireshark's dissection; the
    /// tshark found, or why there is none ready.
    Auto { tshark: Result<Tshark, String> },
}

impl Engine {
    pub fn new(kind: EngineKind) -> Self {
        Engine { kind, stdin: None }
    }

    /// Reads the capture `-` names from `spool`, where standard input was copied (the caller
    /// keeps the spool, and so the file, until its run ends).
    pub fn reading_stdin(self, spool: &Path) -> Self {
        Engine {
            stdin: Some(spool.to_owned()),
            ..self
        }
    }

    /// The file that holds `capture`: the spool of standard input for `-`, else `capture`.
    pub fn file_to_read<'a>(&'a self, capture: &'a Path) -> &'a Path {
        match &self.stdin {
            Some(spool) if capture.as_os_str() == STDIN => spool,
            _ => capture,
        }
    }

    /// tshark, when this engine may run it.
    pub fn tshark(&self) -> Option<&Tshark> {
        match &self.kind {
            EngineKind::Tshark(tshark) | EngineKind::Auto { tshark: Ok(tshark) } => Some(tshark),
            _ => None,
        }
    }

    /// Reads `capture` and hands each of its TCP packets to `on_packet`, which returns the
    /// streams it is done with (the native engine then drops what it keeps of them); `note` is
    /// told which engine read a capture when that is not the one asked for.
    pub fn packets(
        &self,
        capture: &Path,
        on_packet: &mut dyn FnMut(LabelledPacket) -> Vec<u64>,
        note: &dyn Fn(&str),
    ) -> Result<RunReport> {
        let file = self.file_to_read(capture);
        let mut report = self.read(capture, file, on_packet, note)?;
        if file != capture {
            // The engines name the file they read: the user named `-`.
            let spool = file.display().to_string();
            report.failure = report.failure.map(|text| text.replace(&spool, STDIN));
        }
        Ok(report)
    }

    /// [`Engine::packets`] of `capture`, held in `file`.
    fn read(
        &self,
        capture: &Path,
        file: &Path,
        on_packet: &mut dyn FnMut(LabelledPacket) -> Vec<u64>,
        note: &dyn Fn(&str),
    ) -> Result<RunReport> {
        let tshark = match &self.kind {
            EngineKind::Tshark(tshark) => {
                return tshark.packets(file, None, |packet| {
                    on_packet(packet);
                })
            }
            EngineKind::Native | EngineKind::Auto { .. } => {
                match native::packets(file, &mut *on_packet) {
                    NativeRun::Read { failure } => {
                        return Ok(RunReport {
                            failure,
                            ..RunReport::default()
                        })
                    }
                    NativeRun::NeedsWireshark(reason) => match &self.kind {
                        EngineKind::Auto { tshark: Ok(tshark) } => {
                            note(&format!(
                                "{}: read with tshark: it holds {reason}, which the native engine \
                             leaves to Wireshark's dissectors",
                                capture.display()
                            ));
                            tshark
                        }
                        EngineKind::Auto { tshark: Err(why) } => {
                            return Ok(failure(format!(
                                "it holds {reason}, which needs tshark, and {why}"
                            )))
                        }
                        _ => {
                            return Ok(failure(format!(
                                "it holds {reason}, which needs tshark (--engine auto or tshark)"
                            )))
                        }
                    },
                }
            }
        };
        tshark.packets(file, None, |packet| {
            on_packet(packet);
        })
    }
}

fn failure(message: String) -> RunReport {
    RunReport {
        failure: Some(message),
        ..RunReport::default()
    }
}
