//! Python with the packages a test reads tcpwave's output with (an independent reader: zat for Zeek
//! logs, duckdb for Parquet, pyspark for the Spark recipe), in a virtual environment of its own
//! under the user's cache folder, made once and reused by later runs. Installing from PyPI counts
//! as installing packages: callers check [`crate::system_tests_enabled`] first.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// The cache folder the environments live in: `$XDG_CACHE_HOME/tcpwave-tests`, else
/// `~/.cache/tcpwave-tests`.
fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .expect("HOME or XDG_CACHE_HOME is set")
        .join("tcpwave-tests")
}

fn run(command: &mut Command) -> bool {
    command
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The `python` of a virtual environment holding exactly `packages` (pip requirement specifiers,
/// pinned: `duckdb==1.1.3`), made when missing. Tests of one process share it; an environment
/// is marked complete only once every package is in, so a run cut short is redone.
pub fn python_with(packages: &[&str]) -> PathBuf {
    static MAKING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = MAKING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut sorted = packages.to_vec();
    sorted.sort_unstable();
    let name: String = sorted
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let venv = cache_dir().join(format!("python-{name}"));
    let python = venv.join("bin/python");
    let complete = venv.join("tcpwave-complete");
    if complete.is_file() {
        return python;
    }
    let _ = std::fs::remove_dir_all(&venv);
    std::fs::create_dir_all(cache_dir()).expect("create the cache folder");
    let mut made = run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    if !made {
        // Debian's python3 makes environments only with python3-venv.
        assert!(
            run(Command::new("apt-get").args(["install", "-y", "-q", "python3-venv"])),
            "python3 -m venv failed and apt-get install python3-venv too"
        );
        let _ = std::fs::remove_dir_all(&venv);
        made = run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    }
    assert!(made, "python3 -m venv {} failed", venv.display());
    assert!(
        run(Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(packages)),
        "pip install {} failed",
        packages.join(" ")
    );
    std::fs::write(&complete, sorted.join("\n")).expect("mark the environment complete");
    python
}
