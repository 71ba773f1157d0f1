//! The tcpwave configuration profile for Wireshark (`postproc/profile/tcpwave/`: columns for
//! step, phase and both sides' states; coloring rules for handshake, teardown, reset and
//! anomalies), built into the program so that an installed `tcpwave` needs no source tree.
//!
//! It goes to `<Personal configuration>/profiles/tcpwave/`, the folder the tshark found reports
//! (`~/.config/wireshark` unless XDG_CONFIG_HOME, WIRESHARK_CONFIG_DIR or an old `~/.wireshark`
//! says otherwise). Wireshark reads profiles there when run as root too: only plugin folders
//! are ignored for root.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

use crate::run::tshark::Tshark;

pub const NAME: &str = "tcpwave";

/// What installing again does to a file that is there already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reinstall {
    /// The profile's substance: replaced, and kept as `NAME.bak` if it was changed.
    Replace,
    /// Wireshark's own state, which it rewrites on exit with the user's layout (`recent`):
    /// written only when missing.
    KeepExisting,
}

/// Every file of `postproc/profile/tcpwave/` (a test checks that none is missing).
const FILES: [(&str, &str, Reinstall); 3] = [
    (
        "preferences",
        include_str!("../../profile/tcpwave/preferences"),
        Reinstall::Replace,
    ),
    (
        "colorfilters",
        include_str!("../../profile/tcpwave/colorfilters"),
        Reinstall::Replace,
    ),
    (
        "recent",
        include_str!("../../profile/tcpwave/recent"),
        Reinstall::KeepExisting,
    ),
];

/// What installing the profile did.
#[derive(Debug)]
pub struct Installed {
    pub folder: PathBuf,
    /// Files that held something else before, kept beside them as `NAME.bak`.
    pub backed_up: Vec<String>,
}

/// Writes the profile's files into `profiles_folder/tcpwave/`. Other profiles, and files of
/// this one that the profile does not ship, are left alone; a shipped file that was changed is
/// kept as `NAME.bak` before it is replaced, except Wireshark's `recent`, which is kept.
pub fn install_into(profiles_folder: &Path) -> Result<Installed> {
    let folder = profiles_folder.join(NAME);
    fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let mut backed_up = Vec::new();
    for (name, contents, reinstall) in FILES {
        let path = folder.join(name);
        match fs::read(&path) {
            Ok(existing) if existing == contents.as_bytes() => continue,
            Ok(_) if reinstall == Reinstall::KeepExisting => continue,
            Ok(_) => {
                let backup = folder.join(format!("{name}.bak"));
                fs::rename(&path, &backup).with_context(|| {
                    format!("cannot keep {} as {}", path.display(), backup.display())
                })?;
                backed_up.push(name.to_owned());
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", path.display()))
            }
        }
        write_atomically(contents.as_bytes(), &path)?;
    }
    Ok(Installed { folder, backed_up })
}

/// Installs the profile where `tshark` (and so Wireshark) looks for the user's profiles.
pub fn install(tshark: &Tshark) -> Result<Installed> {
    let configuration = tshark.folder("Personal configuration")?;
    install_into(&configuration.join("profiles"))
}

/// Writes through a temporary file in the same folder, so that Wireshark never reads half a
/// file (or loads half a library).
pub fn write_atomically(contents: &[u8], destination: &Path) -> Result<()> {
    let folder = destination
        .parent()
        .ok_or_else(|| anyhow!("{} has no folder", destination.display()))?;
    let name = destination
        .file_name()
        .ok_or_else(|| anyhow!("{} has no file name", destination.display()))?;
    fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let staging = folder.join(format!(
        ".{}.{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    // The staging name does not end in the destination's extension, so no loader takes it up
    // while it is written, and a failure removes it.
    let written = fs::write(&staging, contents)
        .with_context(|| format!("cannot write {}", staging.display()))
        .and_then(|()| {
            fs::rename(&staging, destination)
                .with_context(|| format!("cannot write {}", destination.display()))
        });
    if written.is_err() {
        let _ = fs::remove_file(&staging);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_profile_folder_is_built_in() {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("profile")
            .join(NAME);
        let mut shipped: Vec<String> = fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        shipped.sort();
        let mut built_in: Vec<&str> = FILES.iter().map(|(name, ..)| *name).collect();
        built_in.sort();
        assert_eq!(shipped, built_in, "add the new file to profile::FILES");
    }

    #[test]
    fn reinstalling_keeps_changes_and_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let first = install_into(dir.path()).unwrap();
        assert!(first.backed_up.is_empty());
        let folder = dir.path().join(NAME);
        let layout = "# written by Wireshark on exit\n";
        fs::write(folder.join("recent"), layout).unwrap();
        fs::write(folder.join("preferences"), "# changed in Wireshark\n").unwrap();
        fs::write(folder.join("dfilters"), "\"mine\" tcp\n").unwrap();

        let again = install_into(dir.path()).unwrap();
        assert_eq!(again.backed_up, vec!["preferences".to_owned()]);
        assert_eq!(
            fs::read_to_string(folder.join("preferences.bak")).unwrap(),
            "# changed in Wireshark\n"
        );
        assert_eq!(
            fs::read_to_string(folder.join("preferences")).unwrap(),
            FILES[0].1
        );
        assert_eq!(fs::read_to_string(folder.join("recent")).unwrap(), layout);
        assert!(folder.join("dfilters").is_file());
        assert!(install_into(dir.path()).unwrap().backed_up.is_empty());
    }
}
