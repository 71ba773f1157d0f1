//! Where a command's output goes: standard output or the file `-o` names.

use std::fs::{File, Permissions};
use std::io::{self, IsTerminal, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

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

/// A file written under a temporary name in the folder of `path` and renamed to `path` by
/// [`PendingFile::commit`]: a run that fails or is interrupted never leaves a partial file under
/// that name (dropped uncommitted, the temporary file is removed; one left by a killed run is
/// named `.NAME.*.partial`).
pub struct PendingFile {
    temp: NamedTempFile,
    path: PathBuf,
}

impl PendingFile {
    pub fn create(path: &Path) -> Result<Self, Fatal> {
        let cannot =
            |error: io::Error| Fatal::Usage(format!("cannot write {}: {error}", path.display()));
        let name = path
            .file_name()
            .ok_or_else(|| cannot(io::Error::other("not a file name")))?;
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{}.", name.to_string_lossy()))
            .suffix(".partial")
            // A report is for others to read, as a file made by `File::create` usually is (a
            // temporary file is private by default).
            .permissions(Permissions::from_mode(0o644))
            .tempfile_in(folder)
            .map_err(cannot)?;
        Ok(PendingFile {
            temp,
            path: path.to_owned(),
        })
    }

    /// The name the file gets once committed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file, to write to.
    pub fn file(&self) -> io::Result<File> {
        self.temp.as_file().try_clone()
    }

    /// Renames the written file to its name, replacing any file there.
    pub fn commit(self) -> io::Result<()> {
        self.temp.as_file().sync_all()?;
        let path = self.path;
        self.temp.persist(&path).map(drop).map_err(|error| {
            io::Error::new(
                error.error.kind(),
                format!(
                    "cannot rename the finished file to {}: {}",
                    path.display(),
                    error.error
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_pending_file_appears_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.parquet");
        fs::write(&path, "older").unwrap();

        let pending = PendingFile::create(&path).unwrap();
        pending.file().unwrap().write_all(b"abandoned").unwrap();
        let temporary = names(dir.path());
        assert_eq!(temporary.len(), 2);
        assert!(temporary[0].starts_with(".report.parquet.") && temporary[0].ends_with(".partial"));
        drop(pending);
        assert_eq!(names(dir.path()), ["report.parquet"]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "older");

        let pending = PendingFile::create(&path).unwrap();
        pending.file().unwrap().write_all(b"newer").unwrap();
        pending.commit().unwrap();
        assert_eq!(names(dir.path()), ["report.parquet"]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "newer");
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn a_pending_file_in_a_missing_folder_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = PendingFile::create(&dir.path().join("missing/report.parquet"))
            .err()
            .unwrap();
        assert!(matches!(error, Fatal::Usage(ref text) if text.contains("missing/report.parquet")));
    }
}
