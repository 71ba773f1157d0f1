//! The seam between the captures and the rows: an engine reads one capture and yields its
//! labelled packets. Two engines stand behind it: tshark with the plugin, and the native reader
//! with the same state machine (`run/native`).

use std::path::Path;

use anyhow::Result;

use crate::model::packet::LabelledPacket;
use crate::run::native::{self, NativeRun};
use crate::run::tshark::{RunReport, Tshark};

/// Which engine reads the captures.
#[derive(Debug, Clone)]
pub enum Engine {
    /// tshark with the plugin, for every capture (and the only one for `-Y`).
    Tshark(Tshark),
    /// The native reader only: a capture that needs Wireshark's dissection is a failure.
    Native,
    /// The native reader, and tshark for the captures that need Wireshark's dissection; the
    /// tshark found, or why there is none ready.
    Auto { tshark: Result<Tshark, String> },
}

impl Engine {
    /// tshark, when this engine may run it.
    pub fn tshark(&self) -> Option<&Tshark> {
        match self {
            Engine::Tshark(tshark) | Engine::Auto { tshark: Ok(tshark) } => Some(tshark),
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
        let tshark = match self {
            Engine::Tshark(tshark) => {
                return tshark.packets(capture, None, |packet| {
                    on_packet(packet);
                })
            }
            Engine::Native | Engine::Auto { .. } => match native::packets(capture, &mut *on_packet)
            {
                NativeRun::Read { failure } => {
                    return Ok(RunReport {
                        failure,
                        ..RunReport::default()
                    })
                }
                NativeRun::NeedsWireshark(reason) => match self {
                    Engine::Auto { tshark: Ok(tshark) } => {
                        note(&format!(
                            "{}: read with tshark: it holds {reason}, which the native engine \
                             leaves to Wireshark's dissectors",
                            capture.display()
                        ));
                        tshark
                    }
                    Engine::Auto { tshark: Err(why) } => {
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
            },
        };
        tshark.packets(capture, None, |packet| {
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
