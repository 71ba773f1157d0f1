//! Where a command's output goes: standard output or the file `-o` names.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::Path;

use crate::run::jobs::Notes;
use crate::vocab::fatal::Fatal;

/// Standard output, or the file named by `-o`; buffered (standard output too, rather than line by
/// line): callers flush when they have nothing more to write for a while.
pub fn open_output(path: Option<&Path>) -> Result<Box<dyn Write>, Fatal> {
    match path {
        Some(path) => File::create(path)
            .map(|file| Box::new(io::BufWriter::new(file)) as Box<dyn Write>)
            .map_err(|error| Fatal::Usage(format!("cannot write {}: {error}", path.display()))),
        None => Ok(Box::new(io::BufWriter::new(io::stdout().lock()))),
    }
}

/// [`open_output`] for a command that shows a progress bar: on standard output, the bar is
/// cleared off the terminal before rows are written.
pub fn open_output_beside(path: Option<&Path>, notes: &Notes) -> Result<Box<dyn Write>, Fatal> {
    match path {
        Some(_) => open_output(path),
        None => Ok(Box::new(io::BufWriter::new(
            notes.beside_bar(io::stdout().lock()),
        ))),
    }
}

/// Whether the output is a terminal (a table suits it; CSV suits a pipe).
pub fn stdout_is_terminal(output: Option<&Path>) -> bool {
    output.is_none() && io::stdout().is_terminal()
}
