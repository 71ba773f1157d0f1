//! Colour in the table: verdicts are coloured only for a person reading a terminal, never in a
//! file, a pipe, CSV or JSON, and never when `NO_COLOR` is set to anything (no-color.org).

use std::ffi::OsStr;
use std::path::Path;

use crate::render::output_file::stdout_is_terminal;

/// Whether verdicts are coloured: in a table (no other format has colour), written to a
/// terminal, without a non-empty `NO_COLOR`.
pub fn colour_verdicts(table: bool, to_terminal: bool, no_color: Option<&OsStr>) -> bool {
    let refused = no_color.is_some_and(|value| !value.is_empty());
    table && to_terminal && !refused
}

/// [`colour_verdicts`] for this process: its standard output (unless `-o` names a file) and
/// its environment.
pub fn colour_verdicts_here(table: bool, output: Option<&Path>) -> bool {
    colour_verdicts(
        table,
        stdout_is_terminal(output),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// A handshake or teardown verdict in its colour: green for a normal opening or close, red for
/// a refused, unanswered or reset one, yellow for the others; other text as it is.
pub fn paint_verdict(word: &str) -> String {
    let colour = match word {
        "complete" | "four-way" | "three-way" | "simultaneous" => GREEN,
        "refused" | "unanswered" | "reset" => RED,
        "incomplete" | "midstream" | "half-closed" | "one-way" | "none" => YELLOW,
        _ => return word.to_owned(),
    };
    format!("{colour}{word}{RESET}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_table_on_a_terminal_without_no_color_is_coloured() {
        let empty = OsStr::new("");
        let set = OsStr::new("1");
        assert!(colour_verdicts(true, true, None));
        assert!(
            colour_verdicts(true, true, Some(empty)),
            "empty means unset"
        );
        assert!(!colour_verdicts(true, true, Some(set)));
        assert!(!colour_verdicts(true, false, None), "piped");
        assert!(!colour_verdicts(false, true, None), "CSV, JSON, HTML");
    }

    #[test]
    fn verdicts_get_their_colour_and_other_words_none() {
        assert_eq!(paint_verdict("complete"), "\x1b[32mcomplete\x1b[0m");
        assert_eq!(paint_verdict("reset"), "\x1b[31mreset\x1b[0m");
        assert_eq!(paint_verdict("half-closed"), "\x1b[33mhalf-closed\x1b[0m");
        assert_eq!(paint_verdict("-"), "-");
    }
}
