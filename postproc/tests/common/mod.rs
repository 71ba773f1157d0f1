//! Running the `tcpwave` binary against the real tshark with the plugin loaded.
//!
//! tshark run as root ignores personal plugin folders, so when the tests run as root tshark is
//! wrapped in a script that runs it as `nobody` (setpriv), with a private HOME whose personal
//! plugin folder holds the freshly built plugin. The CLI is pointed at the wrapper through
//! TCPWAVE_TSHARK, as a user with an unusual setup would.

#![allow(dead_code)] // each test file uses a part of this

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub const NOBODY: u32 = 65534;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("postproc is in the workspace")
        .to_owned()
}

/// `<shared>/captures`, the shared folder found as the plugin's tests find it: `TCPWAVE_SHARED`,
/// else the one beside the repository.
pub fn captures_dir() -> PathBuf {
    let shared = std::env::var_os("TCPWAVE_SHARED")
        .map_or_else(|| workspace_root().join("../shared"), PathBuf::from);
    shared.join("captures")
}

pub fn target_dir() -> PathBuf {
    // The test binary is target/<profile>/deps/<name>.
    let exe = std::env::current_exe().expect("test binary path");
    exe.ancestors().nth(3).expect("target directory").to_owned()
}

/// The plugin library: `TCPWAVE_TEST_PLUGIN` when set (a build for another Wireshark release,
/// see tests/wireshark-releases.sh), else built here in release mode (a no-op when up to date).
fn plugin_library() -> Result<PathBuf, String> {
    if let Some(prebuilt) = std::env::var_os("TCPWAVE_TEST_PLUGIN") {
        return Ok(PathBuf::from(prebuilt));
    }
    let target = target_dir();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "tcpwave-plugin"])
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo build --release -p tcpwave-plugin` failed ({status})"
        ));
    }
    Ok(target.join("release").join("libtcpwave.so"))
}

pub fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .map(str::to_owned)
        })
        .and_then(|uids| uids.split_whitespace().nth(1).map(|uid| uid == "0"))
        .unwrap_or(false)
}

fn make_readable_by_all(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A tshark wrapper that loads the plugin from a private HOME; None when tshark is missing.
fn build_wrapper() -> Result<PathBuf, String> {
    let plugin = plugin_library()?;
    let tshark = which("tshark").ok_or("tshark is not installed")?;
    let base = std::env::temp_dir().join(format!("tcpwave-cli-tests-{}", std::process::id()));
    let home = base.join("home");
    let epan = home
        .join(".local/lib/wireshark/plugins")
        .join(plugin_version_folder(&tshark)?)
        .join("epan");
    fs::create_dir_all(&epan).map_err(|error| error.to_string())?;
    fs::copy(&plugin, epan.join("tcpwave.so")).map_err(|error| error.to_string())?;
    for dir in [&base, &home]
        .into_iter()
        .cloned()
        .chain(epan.ancestors().take(6).map(Path::to_owned))
    {
        make_readable_by_all(&dir, 0o755);
    }
    make_readable_by_all(&epan.join("tcpwave.so"), 0o755);
    let drop_privileges = if is_root() {
        format!("setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups ")
    } else {
        String::new()
    };
    let script = format!(
        "#!/bin/sh\ncd /\nexec {drop_privileges}env HOME={home} XDG_CONFIG_HOME={home}/.config {tshark} \"$@\"\n",
        home = home.display(),
        tshark = tshark.display()
    );
    let wrapper = base.join("tshark");
    fs::write(&wrapper, script).map_err(|error| error.to_string())?;
    make_readable_by_all(&wrapper, 0o755);
    Ok(wrapper)
}

/// The folder name plugins of this tshark's release live in ("4.0"): the last part of its
/// global plugin folder.
fn plugin_version_folder(tshark: &Path) -> Result<String, String> {
    let output = Command::new(tshark)
        .args(["-G", "folders"])
        .output()
        .map_err(|error| format!("cannot run {}: {error}", tshark.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("Global Plugins:"))
        .and_then(|folder| Path::new(folder.trim()).file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| format!("`tshark -G folders` names no global plugin folder:\n{stdout}"))
}

pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The tshark wrapper to hand to the CLI, built once per test process.
pub fn plugin_tshark() -> &'static Path {
    static WRAPPER: OnceLock<PathBuf> = OnceLock::new();
    WRAPPER.get_or_init(|| {
        build_wrapper()
            .unwrap_or_else(|reason| panic!("cannot run tshark with the plugin: {reason}"))
    })
}

/// The private HOME whose personal plugin folder holds the plugin, readable by everyone: the HOME
/// the wrapper gives tshark, and the one a test gives tcpwave run as a normal user.
pub fn plugin_home() -> PathBuf {
    plugin_tshark()
        .parent()
        .expect("the wrapper is in its folder")
        .join("home")
}

pub fn tcpwave(tshark: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tcpwave"))
        .args(args)
        .env("TCPWAVE_TSHARK", tshark)
        .output()
        .expect("run tcpwave")
}

/// Every column of `row` that differs from its `expected` value, as one line each, `what` first.
pub fn mismatches(
    what: &str,
    row: &std::collections::HashMap<String, String>,
    expected: &[(&str, &str)],
) -> Vec<String> {
    expected
        .iter()
        .filter(|(column, value)| row[*column] != *value)
        .map(|(column, value)| {
            format!("{what}: {column} is `{}`, expected `{value}`", row[*column])
        })
        .collect()
}

/// CSV output as maps from column name to value.
pub fn csv_rows(output: &[u8]) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(output);
    let headers = reader.headers().expect("csv header").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("csv record");
            headers
                .iter()
                .map(str::to_owned)
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}
