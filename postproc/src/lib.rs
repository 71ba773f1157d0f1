//! `tcpwave`'s library: the binary in `main.rs` only parses the command line and maps the
//! outcome to an exit status.
//!
//! The layers, each importing only from those below it:
//! - [`commands`]: one module per subcommand (report, summary, ladder, install, doctor) and the
//!   command-line definitions;
//! - [`render`]: rows, tallies and ladders as tables, CSV, JSON, text and HTML;
//! - [`run`]: finding captures and running them through an engine (tshark with the plugin),
//!   on several threads;
//! - [`model`]: the packets an engine yields, folded into connection rows with Zeek's history,
//!   tallies and ladders;
//! - [`vocab`]: words and values shared by all layers; the labels' own words are `tcpwave-core`'s.
#![forbid(unsafe_code)]

pub mod commands;
pub mod model;
pub mod render;
pub mod run;
pub mod vocab;
