//! Harness for the integration tests: builds the plugin once per test process, gives tshark a
//! private plugin folder holding it, runs tshark and parses its `-T fields` output.
//!
//! `TCPWAVE_TEST_PLUGIN=<path to tcpwave.so>` tests that build instead, e.g. one built for another
//! Wireshark release by scripts/wireshark-releases.sh, which runs these tests under that release;
//! `TCPWAVE_TEST_PLUGIN=installed` tests the tcpwave.so installed in tshark's global plugin folder
//! (by the Debian package, tests/packages.sh), loaded from there with no private plugin folder.
//!
//! tshark run as root ignores `WIRESHARK_PLUGIN_DIR` and the personal plugin folder, so the
//! private plugin folder and the wrapper that runs tshark with it (as nobody, uid/gid 65534, when
//! the tests run as root) come from the one harness every script uses too,
//! `scripts/private-tshark.sh` ([`private_tshark`]). The CLI's tests (postproc/tests) use it as
//! well.
//!
//! Tests that install system packages (the GUI and browser tests) run only when
//! `TCPWAVE_SYSTEM_TESTS=1` ([`system_tests_enabled`]); tests/all.sh sets it. So do the tests that
//! read tcpwave's output with Python packages ([`python::python_with`]).

pub mod partial;
pub mod pcap;
pub mod python;

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Far longer than any capture here takes to dissect: a run that exceeds it counts as a hang.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The repository: the parent of this crate's folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent folder")
        .to_path_buf()
}

/// The shared data folder: `TCPWAVE_SHARED` when set (tests/all.sh sets it for a clone that does
/// not sit beside `shared/`), else the one beside the repository.
fn shared_dir() -> PathBuf {
    std::env::var_os("TCPWAVE_SHARED").map_or_else(|| repo_root().join("../shared"), PathBuf::from)
}

/// Every file of `<shared>/captures/<kind>/`, sorted by name.
pub fn captures(kind: &str) -> Vec<PathBuf> {
    let dir = shared_dir().join("captures").join(kind);
    assert!(
        dir.is_dir(),
        "capture folder {} is missing: the tests need the shared captures beside the repository \
         (<repo>/../shared/captures/{kind}) or in TCPWAVE_SHARED",
        dir.display()
    );
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable folder entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no capture files in {}", dir.display());
    files
}

/// Every capture with hand-written expected labels: the kernel captures and the partial-capture
/// shapes of [`partial`], written once per test process into a temporary folder.
pub fn labelled_captures() -> Vec<PathBuf> {
    static PARTIAL: std::sync::OnceLock<(tempfile::TempDir, Vec<PathBuf>)> =
        std::sync::OnceLock::new();
    let (_, shapes) = PARTIAL.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let shapes = partial::write_shapes(dir.path());
        (dir, shapes)
    });
    let mut all = captures("kernel");
    all.extend(shapes.iter().cloned());
    all
}

/// One of the kernel captures, by file name.
pub fn kernel_capture(file_name: &str) -> PathBuf {
    captures("kernel")
        .into_iter()
        .find(|capture| name(capture) == file_name)
        .unwrap_or_else(|| panic!("no kernel capture named {file_name}"))
}

/// A capture's file name, for messages.
pub fn name(capture: &Path) -> String {
    capture
        .file_name()
        .expect("a capture is a file")
        .to_string_lossy()
        .into_owned()
}

/// The plugin, built (release) on first use by this test process.
pub fn plugin() -> &'static Path {
    static PLUGIN: OnceLock<PathBuf> = OnceLock::new();
    PLUGIN.get_or_init(build_plugin)
}

/// Whether the tests run the installed plugin (`TCPWAVE_TEST_PLUGIN=installed`).
fn testing_installed_plugin() -> bool {
    std::env::var_os("TCPWAVE_TEST_PLUGIN").is_some_and(|value| value == "installed")
}

/// The tcpwave.so in the global plugin folder of the tshark on PATH.
fn installed_plugin() -> PathBuf {
    let output = Command::new("tshark")
        .args(["-G", "folders"])
        .output()
        .expect("tshark runs");
    let listing = String::from_utf8_lossy(&output.stdout);
    let global = listing
        .lines()
        .find_map(|line| line.strip_prefix("Global Plugins:"))
        .map(str::trim)
        .expect("tshark -G folders names the global plugin folder");
    let installed = Path::new(global).join("epan/tcpwave.so");
    assert!(
        installed.is_file(),
        "TCPWAVE_TEST_PLUGIN=installed, but {} is missing",
        installed.display()
    );
    installed
}

fn build_plugin() -> PathBuf {
    if testing_installed_plugin() {
        return installed_plugin();
    }
    if let Some(prebuilt) = std::env::var_os("TCPWAVE_TEST_PLUGIN") {
        let prebuilt = PathBuf::from(prebuilt);
        assert!(
            prebuilt.is_file(),
            "TCPWAVE_TEST_PLUGIN={} is not a file",
            prebuilt.display()
        );
        return prebuilt;
    }
    let repo = repo_root();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), PathBuf::from);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "-p",
            "tcpwave-plugin",
            "--manifest-path",
        ])
        .arg(repo.join("Cargo.toml"))
        // Explicit, so that the library's path below is the one cargo writes.
        .arg("--target-dir")
        .arg(&target)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo:?}: {e}"));
    assert!(
        output.status.success(),
        "building the plugin (cargo build --release -p tcpwave-plugin) failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let library = target.join("release/libtcpwave.so");
    assert!(
        library.is_file(),
        "cargo built tcpwave-plugin but {} does not exist",
        library.display()
    );
    library
}

/// Whether the tests run as root (and tshark, through the harness, as nobody).
pub fn running_as_root() -> bool {
    // /proc/self belongs to the process's effective uid.
    fs::metadata("/proc/self").expect("/proc is mounted").uid() == 0
}

/// The variable that lets tests install system packages (apt): `TCPWAVE_SYSTEM_TESTS=1`.
pub const SYSTEM_TESTS: &str = "TCPWAVE_SYSTEM_TESTS";

/// Whether tests that install system packages may run: `TCPWAVE_SYSTEM_TESTS=1` (tests/all.sh
/// sets it). When not, writes one line saying that `test` was skipped and how to run it, past
/// the test harness's output capture, and the caller returns (the test passes).
pub fn system_tests_enabled(test: &str) -> bool {
    if std::env::var_os(SYSTEM_TESTS).is_some_and(|value| value == "1") {
        return true;
    }
    // Straight to the file descriptor: the test harness captures only print! and eprint!.
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: it installs system packages; run it with {SYSTEM_TESTS}=1 cargo test \
         (./tests/all.sh does)"
    );
    false
}

/// `scripts/private-tshark.sh`: the harness that makes a private plugin folder and a tshark
/// wrapper.
pub fn private_tshark_script() -> PathBuf {
    repo_root().join("scripts/private-tshark.sh")
}

/// Runs `scripts/private-tshark.sh --system-plugins PLUGIN|--no-plugin DIR` and returns the
/// wrapper it made, `DIR/tshark`. Beside it: `DIR/plugins/<release>/epan/tcpwave.so` (a copy of
/// `plugin`, when given; the system's global plugins linked in beside it, as
/// `WIRESHARK_PLUGIN_DIR` replaces their folder, so that runs with and without tcpwave differ by
/// tcpwave alone), the private HOME `DIR/home`, and `DIR/run CMD ARGS...`, which runs any command
/// as the wrapper runs tshark. `DIR` must lie where uid 65534 can enter (the script checks).
pub fn private_tshark(plugin: Option<&Path>, dir: &Path) -> PathBuf {
    let script = private_tshark_script();
    let mut command = Command::new("bash");
    command.arg(&script).arg("--system-plugins");
    match plugin {
        // The installed plugin is loaded from the global folder, not copied.
        Some(_) if testing_installed_plugin() => command.arg("--installed"),
        Some(library) => command.arg(library),
        None => command.arg("--no-plugin"),
    };
    let output = command
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{} failed ({}):\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let wrapper = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    assert!(
        wrapper.is_file(),
        "{} printed no wrapper: {:?}",
        script.display(),
        String::from_utf8_lossy(&output.stdout)
    );
    wrapper
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", path.display()));
}

fn make_dir(path: &Path, mode: u32) {
    fs::create_dir_all(path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    set_mode(path, mode);
}

/// tshark through [`private_tshark`]'s wrapper, in a temporary folder removed on drop. (Not the
/// CLI's `Tshark`, which finds and runs the user's tshark.)
pub struct PrivateTshark {
    dir: TempDir,
    wrapper: PathBuf,
    captures: PathBuf,
}

impl PrivateTshark {
    /// tshark with the tcpwave plugin; panics unless tshark reports the plugin loaded.
    pub fn with_plugin() -> PrivateTshark {
        let tshark = PrivateTshark::new(Some(plugin()));
        tshark.assert_plugin_loaded();
        tshark
    }

    /// The same setup without tcpwave, to compare against.
    pub fn without_plugin() -> PrivateTshark {
        PrivateTshark::new(None)
    }

    fn new(plugin: Option<&Path>) -> PrivateTshark {
        let dir = tempfile::Builder::new()
            .prefix("twtest.")
            .tempdir()
            .expect("a temporary folder");
        let wrapper = private_tshark(plugin, dir.path());
        let captures = dir.path().join("captures");
        make_dir(&captures, 0o755);
        PrivateTshark {
            dir,
            wrapper,
            captures,
        }
    }

    /// The wrapper that runs tshark with the private plugin folder.
    pub fn wrapper(&self) -> &Path {
        &self.wrapper
    }

    fn assert_plugin_loaded(&self) {
        let listing = self.plugin_listing();
        assert!(
            lists_tcpwave(&listing),
            "tshark did not load tcpwave.so from WIRESHARK_PLUGIN_DIR={} (running as {}); `tshark -G plugins` \
             printed:\n{listing}",
            self.dir.path().join("plugins").display(),
            if running_as_root() { "nobody via setpriv" } else { "the current user" },
        );
    }

    /// Whether `tshark -G plugins` lists tcpwave.so.
    pub fn loads_tcpwave(&self) -> bool {
        lists_tcpwave(&self.plugin_listing())
    }

    fn plugin_listing(&self) -> String {
        self.run(["-G", "plugins"]).expect_clean().to_string()
    }

    /// A copy of `capture` that the unprivileged tshark can read.
    pub fn readable_copy(&self, capture: &Path) -> PathBuf {
        let copy = self
            .captures
            .join(capture.file_name().expect("a capture is a file"));
        fs::copy(capture, &copy)
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", capture.display()));
        set_mode(&copy, 0o644);
        copy
    }

    /// Runs tshark with `args`; a run longer than the timeout is killed.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_with(&[], &[], args)
    }

    /// [`PrivateTshark::run`] with extra environment variables, and under `wrapper` (a command that runs
    /// the command line following it, such as `/usr/bin/time -f %M -o FILE`) unless it is empty.
    pub fn run_with<I, S>(&self, env: &[(&str, &str)], wrapper: &[&str], args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<String> = args
            .into_iter()
            .map(|arg| arg.as_ref().to_string_lossy().into_owned())
            .collect();
        // The harness's wrapper sets HOME and WIRESHARK_PLUGIN_DIR and drops root.
        let mut command = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut command = Command::new(first);
                command.args(rest).arg(&self.wrapper);
                command
            }
            None => Command::new(&self.wrapper),
        };
        // Output goes to files, not pipes, so the child never blocks on a full pipe while we wait.
        let mut stdout = tempfile::tempfile().expect("a temporary file");
        let mut stderr = tempfile::tempfile().expect("a temporary file");
        command
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(stdout.try_clone().expect("a file handle"))
            .stderr(stderr.try_clone().expect("a file handle"));
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run tshark {args:?}: {e}"));
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for tshark") {
                break Some(status);
            }
            if Instant::now() > deadline {
                child.kill().expect("killing a hung tshark");
                child.wait().expect("reaping a killed tshark");
                break None;
            }
            thread::sleep(Duration::from_millis(5));
        };
        Run {
            args,
            status,
            stdout: read_all(&mut stdout),
            stderr: read_all(&mut stderr),
        }
    }

    /// `tshark -r <capture> <options> -T fields ...`: one row per frame, one column per field.
    /// Panics unless tshark ran cleanly.
    pub fn fields(&self, capture: &Path, options: &[&str], fields: &[&str]) -> Vec<Vec<String>> {
        let mut args = vec!["-r".to_string(), capture.to_string_lossy().into_owned()];
        args.extend(options.iter().map(|option| option.to_string()));
        args.extend(fields_args(fields));
        let run = self.run(&args);
        parse_fields(run.expect_clean(), fields.len())
    }
}

/// The folder of the hand-written expected labels, one `<capture stem>.tsv` per kernel capture.
pub fn expected_dir() -> PathBuf {
    repo_root().join("tests/expected")
}

/// Where the hand-written expected labels of a kernel capture are: `tests/expected/<stem>.tsv`.
pub fn expected_file(capture: &Path) -> PathBuf {
    let stem = capture
        .file_stem()
        .expect("a capture has a name")
        .to_string_lossy();
    expected_dir().join(format!("{stem}.tsv"))
}

/// A capture's expected labels ([`expected_file`]): the header and the rows, without the `#`
/// comment lines.
pub fn expected_labels(capture: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let path = expected_file(capture);
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines().filter(|line| !line.starts_with('#'));
    let split = |line: &str| line.split('\t').map(String::from).collect::<Vec<_>>();
    let header = split(
        lines
            .next()
            .unwrap_or_else(|| panic!("{} is empty", path.display())),
    );
    (header, lines.map(split).collect())
}

/// Where the column `name` is in an expected-labels header ([`expected_labels`]).
pub fn expected_column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|column| column == name)
        .unwrap_or_else(|| panic!("no column {name} in the expected labels"))
}

/// A boolean field as tshark 4.0 prints it (`1`, `0`, `1,0`): later releases print `True`/`False`.
pub fn boolean_digits(cell: &str) -> String {
    cell.split(',')
        .map(|value| match value {
            "True" => "1",
            "False" => "0",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// "name<TAB>version<TAB>type<TAB>path" lines, names padded with spaces.
fn lists_tcpwave(listing: &str) -> bool {
    listing
        .lines()
        .any(|line| line.split('\t').next().map(str::trim) == Some("tcpwave.so"))
}

fn read_all(file: &mut File) -> String {
    let mut bytes = Vec::new();
    file.rewind().expect("rewinding an output file");
    file.read_to_end(&mut bytes)
        .expect("reading an output file");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The `-T fields` options for `fields`: tab-separated, no header, every occurrence comma-joined.
pub fn fields_args(fields: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "-T",
        "fields",
        "-E",
        "header=n",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]
    .map(String::from)
    .to_vec();
    for field in fields {
        args.push("-e".into());
        args.push(field.to_string());
    }
    args
}

/// Splits `-T fields` output into rows of exactly `width` columns.
pub fn parse_fields(stdout: &str, width: usize) -> Vec<Vec<String>> {
    stdout
        .lines()
        .map(|line| {
            let row: Vec<String> = line.split('\t').map(String::from).collect();
            assert_eq!(
                row.len(),
                width,
                "expected {width} tab-separated columns in tshark's line {line:?}"
            );
            row
        })
        .collect()
}

/// One finished (or killed) tshark run.
pub struct Run {
    pub args: Vec<String>,
    /// `None`: killed after the timeout.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The exit status as text, for messages and comparisons.
    pub fn outcome(&self) -> String {
        match self.status {
            Some(status) => status.to_string(),
            None => format!("hung: killed after {} s", TIMEOUT.as_secs()),
        }
    }

    /// stdout; panics unless tshark exited 0 and printed nothing on stderr.
    pub fn expect_clean(&self) -> &str {
        let clean = self.status.is_some_and(|status| status.success()) && self.stderr.is_empty();
        assert!(
            clean,
            "tshark {:?}: {}, stderr:\n{}",
            self.args,
            self.outcome(),
            self.stderr
        );
        &self.stdout
    }
}

/// A `frame.time_epoch` or relative-time value ("1700000000.123456000", "0.000038000") in
/// nanoseconds, exactly.
pub fn nanoseconds(text: &str) -> i128 {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(
        fraction.len() <= 9,
        "more than nanosecond precision in time {text:?}"
    );
    let parse = |part: &str| {
        part.parse::<i128>()
            .unwrap_or_else(|e| panic!("not a time: {text:?} ({e})"))
    };
    let value = parse(whole) * 1_000_000_000
        + if fraction.is_empty() {
            0
        } else {
            parse(fraction) * 10_i128.pow(9 - fraction.len() as u32)
        };
    if negative {
        -value
    } else {
        value
    }
}
