//! Running the `tcpwave` binary against the real tshark with the plugin loaded.
//!
//! tshark run as root ignores private plugin folders, so the tests hand the CLI (through
//! TCPWAVE_TSHARK, as a user with an unusual setup would) the wrapper of the harness every test and
//! script uses, scripts/private-tshark.sh (through tcpwave-tests' `private_tshark`): tshark with a
//! private plugin folder holding the freshly built plugin, run as `nobody` when the tests run as
//! root.

#![allow(dead_code)] // each test file uses a part of this

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn workspace_root() -> PathBuf {
    tcpwave_tests::repo_root()
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

pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The tshark wrapper to hand to the CLI, made once per test process by the harness
/// (scripts/private-tshark.sh) with the plugin (`TCPWAVE_TEST_PLUGIN` when set, a build for
/// another Wireshark release from scripts/wireshark-releases.sh; else built here in release
/// mode). Its folder stays for the process's lifetime; beside the wrapper lie `run` (any command
/// as the wrapper's user) and `plugins/<release>/epan/tcpwave.so`.
pub fn plugin_tshark() -> &'static Path {
    static WRAPPER: OnceLock<PathBuf> = OnceLock::new();
    WRAPPER.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("tcpwave-cli-tests.")
            .tempdir()
            .expect("a temporary folder")
            .keep();
        tcpwave_tests::private_tshark(Some(tcpwave_tests::plugin()), &dir)
    })
}

/// The harness's `run` beside [`plugin_tshark`]: runs a command as the user tshark runs as
/// (`nobody` when the tests run as root), with the harness's HOME and WIRESHARK_PLUGIN_DIR.
pub fn as_tshark_user() -> PathBuf {
    harness_dir().join("run")
}

/// The folder [`plugin_tshark`] lives in.
pub fn harness_dir() -> &'static Path {
    plugin_tshark()
        .parent()
        .expect("the wrapper is in its folder")
}

/// A HOME whose personal plugin folder (`.local/lib/wireshark/plugins/<release>/epan`) holds the
/// plugin, readable by everyone: what a normal user who installed tcpwave has, for tests that run
/// tcpwave as a normal user with the tshark on PATH.
pub fn plugin_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let plugins = harness_dir().join("plugins");
        let release = fs::read_dir(&plugins)
            .expect("the harness's plugin folder")
            .map(|entry| entry.expect("a folder entry").path())
            .find(|versioned| versioned.join("epan/tcpwave.so").is_file())
            .expect("the harness's plugin folder holds <release>/epan/tcpwave.so");
        let home = harness_dir().join("user-home");
        let epan = home
            .join(".local/lib/wireshark/plugins")
            .join(release.file_name().expect("a release folder"))
            .join("epan");
        fs::create_dir_all(&epan).expect("create the personal plugin folder");
        fs::copy(release.join("epan/tcpwave.so"), epan.join("tcpwave.so"))
            .expect("copy the plugin into the personal plugin folder");
        // Everyone reads it, nobody (who runs tcpwave as root's stand-in) included.
        let status = Command::new("chmod")
            .args(["-R", "a+rX"])
            .arg(&home)
            .status()
            .expect("run chmod");
        assert!(status.success(), "chmod -R a+rX {}", home.display());
        home
    })
}

/// Runs `command`, which must exit 0 (else the assertion shows its stderr); its output.
pub fn succeeded(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
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
