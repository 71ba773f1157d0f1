//! Turning the PATH arguments into the list of captures to read.
//!
//! A capture is a pcap or pcapng file, or one compressed with gzip, recognised by its first bytes
//! (not its name). Directories are searched recursively; what is in them and is not a capture is
//! skipped with a note. A file named on the command line that is not a capture is an error.

use std::fs::{self, File};
use std::io::{self, IsTerminal, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use tempfile::{NamedTempFile, TempDir};

use crate::vocab::fatal::Fatal;

/// The PATH argument that names standard input.
pub const STDIN: &str = "-";

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The first four bytes of pcap (both byte orders, micro- and nanosecond) and pcapng files.
const CAPTURE_MAGICS: [[u8; 4]; 7] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0x34, 0xcd, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xcd, 0x34],
    [0x0a, 0x0d, 0x0d, 0x0a],
];

#[derive(Debug, Default)]
pub struct Inputs {
    pub captures: Vec<PathBuf>,
    /// Files found in directories that are not captures: noted, not failures.
    pub skipped: Vec<(PathBuf, String)>,
    /// Named paths that cannot be read or are not captures: failures.
    pub errors: Vec<(PathBuf, String)>,
}

fn read_prefix(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Whether `path` is a capture; `Err` with the reason when it is not or cannot be read.
pub fn check_capture(path: &Path) -> Result<(), String> {
    let mut file = File::open(path).map_err(|error| describe_io(&error))?;
    let mut head = [0u8; 4];
    let read = read_prefix(&mut file, &mut head).map_err(|error| describe_io(&error))?;
    if read >= 2 && head[..2] == GZIP_MAGIC {
        let file = File::open(path).map_err(|error| describe_io(&error))?;
        let mut inner = [0u8; 4];
        let read = read_prefix(&mut GzDecoder::new(file), &mut inner)
            .map_err(|error| format!("gzip file that cannot be decompressed ({error})"))?;
        return if read == 4 && CAPTURE_MAGICS.contains(&inner) {
            Ok(())
        } else {
            Err("gzip file without a pcap or pcapng capture inside".to_owned())
        };
    }
    if read == 4 && CAPTURE_MAGICS.contains(&head) {
        Ok(())
    } else if read == 0 {
        Err("empty file".to_owned())
    } else {
        Err("not a pcap or pcapng capture".to_owned())
    }
}

fn describe_io(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}

/// Standard input, copied whole into a temporary file (removed on drop, so the command keeps it
/// to its end): both engines read a capture more than once, which a pipe does not allow.
#[derive(Debug)]
pub struct StdinSpool {
    file: NamedTempFile,
    /// Holds the file; removed after it.
    _folder: TempDir,
}

impl StdinSpool {
    /// Copies standard input into a file in a new folder of its own. Only this user can read it,
    /// unless `shared`: then others can open it, but only by its random name, which the folder
    /// (searchable, not listable) does not show: for a tshark run as another user.
    pub fn from_stdin(shared: bool) -> io::Result<StdinSpool> {
        let folder = tempfile::Builder::new()
            .prefix("tcpwave-stdin.")
            .tempdir()?;
        // A new folder gets the umask's mode; the file is made for this user alone.
        let (folder_mode, file_mode) = if shared {
            (0o711, 0o644)
        } else {
            (0o700, 0o600)
        };
        fs::set_permissions(folder.path(), fs::Permissions::from_mode(folder_mode))?;
        let mut file = tempfile::Builder::new()
            .prefix("capture.")
            .tempfile_in(folder.path())?;
        fs::set_permissions(file.path(), fs::Permissions::from_mode(file_mode))?;
        io::copy(&mut io::stdin().lock(), file.as_file_mut())?;
        Ok(StdinSpool {
            file,
            _folder: folder,
        })
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

/// Standard input, spooled, when `paths` names it (`-`, at most once); `shared` as for
/// [`StdinSpool::from_stdin`].
pub fn spool_stdin_if_named(paths: &[PathBuf], shared: bool) -> Result<Option<StdinSpool>, Fatal> {
    match paths
        .iter()
        .filter(|path| path.as_os_str() == STDIN)
        .count()
    {
        0 => Ok(None),
        1 if io::stdin().is_terminal() => Err(Fatal::Usage(
            "- reads a capture from standard input, which is a terminal: pipe or redirect a \
             capture into it"
                .to_owned(),
        )),
        1 => StdinSpool::from_stdin(shared).map(Some).map_err(|error| {
            Fatal::Environment(format!("cannot copy standard input to a file: {error}"))
        }),
        _ => Err(Fatal::Usage(
            "- (standard input) may be named only once".to_owned(),
        )),
    }
}

/// The captures `paths` name; `-` is the capture in `stdin`, the spool of standard input.
pub fn collect(paths: &[PathBuf], stdin: Option<&StdinSpool>) -> Inputs {
    let mut inputs = Inputs::default();
    for path in paths {
        if let (Some(spool), true) = (stdin, path.as_os_str() == STDIN) {
            match check_capture(spool.path()) {
                Ok(()) => inputs.captures.push(path.clone()),
                Err(reason) => inputs.errors.push((path.clone(), reason)),
            }
            continue;
        }
        match fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => walk(path, &mut inputs),
            Ok(_) => match check_capture(path) {
                Ok(()) => inputs.captures.push(path.clone()),
                Err(reason) => inputs.errors.push((path.clone(), reason)),
            },
            Err(error) => inputs.errors.push((path.clone(), describe_io(&error))),
        }
    }
    inputs
}

fn walk(dir: &Path, inputs: &mut Inputs) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            inputs.errors.push((dir.to_owned(), describe_io(&error)));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    paths.sort();
    for path in paths {
        // Symbolic links are followed to files but not into directories, so a link cycle
        // cannot make the walk endless.
        let is_link = fs::symlink_metadata(&path)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        match fs::metadata(&path) {
            Ok(metadata) if metadata.is_dir() => {
                if !is_link {
                    walk(&path, inputs);
                }
            }
            Ok(_) => match check_capture(&path) {
                Ok(()) => inputs.captures.push(path),
                Err(reason) => inputs.skipped.push((path, reason)),
            },
            Err(error) => inputs.errors.push((path, describe_io(&error))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const PCAP_HEADER: [u8; 24] = [
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn captures_are_recognised_by_their_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            fs::write(&path, bytes).unwrap();
            path
        };
        assert_eq!(check_capture(&write("a.cap", &PCAP_HEADER)), Ok(()));
        assert_eq!(
            check_capture(&write("b", &[0x0a, 0x0d, 0x0d, 0x0a, 0, 0])),
            Ok(())
        );
        assert_eq!(
            check_capture(&write("c.pcap.gz", &gzip(&PCAP_HEADER))),
            Ok(())
        );
        assert_eq!(
            check_capture(&write("d.gz", &gzip(b"hello"))),
            Err("gzip file without a pcap or pcapng capture inside".to_owned())
        );
        assert_eq!(
            check_capture(&write("e.pcap", b"hello\n")),
            Err("not a pcap or pcapng capture".to_owned())
        );
        assert_eq!(
            check_capture(&write("f.pcap", b"")),
            Err("empty file".to_owned())
        );
        assert_eq!(
            check_capture(&dir.path().join("missing")),
            Err("no such file or directory".to_owned())
        );
    }

    #[test]
    fn directories_are_walked_and_other_files_skipped() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub/b.pcap"), PCAP_HEADER).unwrap();
        fs::write(dir.path().join("a.pcapng"), [0x0a, 0x0d, 0x0d, 0x0a]).unwrap();
        fs::write(dir.path().join("README.md"), "# captures").unwrap();
        let named = dir.path().join("notes.txt");
        fs::write(&named, "text").unwrap();

        let inputs = collect(
            &[
                dir.path().to_owned(),
                named.clone(),
                dir.path().join("gone.pcap"),
            ],
            None,
        );
        assert_eq!(
            inputs.captures,
            vec![dir.path().join("a.pcapng"), dir.path().join("sub/b.pcap")]
        );
        // notes.txt is found twice: in the directory (skipped) and by name (an error).
        let skipped: Vec<&PathBuf> = inputs.skipped.iter().map(|(path, _)| path).collect();
        assert_eq!(skipped, vec![&dir.path().join("README.md"), &named]);
        let errors: Vec<&PathBuf> = inputs.errors.iter().map(|(path, _)| path).collect();
        assert_eq!(errors, vec![&named, &dir.path().join("gone.pcap")]);
    }
}
