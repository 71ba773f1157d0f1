//! Finding tshark, checking it can run the plugin, and running it over one capture.

use std::borrow::Cow;
use std::env;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;

use anyhow::{anyhow, Context, Result};

use crate::model::packet::LabelledPacket;
use crate::model::stream_set::StreamSet;
use crate::vocab::fatal::Fatal;
use crate::vocab::releases;
use field_line::{parse_line, LineError, FIELDS};

pub mod field_line;
#[cfg(test)]
mod fold_tests;

/// The plugin's file name in a plugin folder's `epan/`.
pub const INSTALLED_PLUGIN: &str = "tcpwave.so";

/// Names the tshark program to run instead of the one on PATH (a path, or a wrapper script
/// that runs tshark as another user, as the tests do).
pub const TSHARK_ENV: &str = "TCPWAVE_TSHARK";

/// How much of tshark's output is read at once: fewer reads than the default 8 KiB.
const READ_BUFFER: usize = 64 * 1024;

/// Frames that are TCP packets of a connection: TCP headers quoted in ICMP errors are not.
const TCP_PACKETS: &str = "tcp && !icmp && !icmpv6";

#[derive(Debug, Clone)]
pub struct Tshark {
    program: PathBuf,
    named_by_env: bool,
    /// Given to every run over a capture (`-d X`, `-o Y`, as the user asked).
    options: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    pub version: String,
    pub path: String,
}

/// How a run over one capture ended.
#[derive(Debug, Default)]
pub struct RunReport {
    /// tshark's own words when it exited with an error (a truncated file, an unreadable one).
    pub failure: Option<String>,
    /// Lines that could not be read, with the first reason; frames whose TCP header was cut
    /// short are not counted here, they are simply not packets of any connection.
    pub unreadable_lines: u64,
    pub first_unreadable: Option<String>,
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

impl Tshark {
    pub fn locate() -> Result<Tshark, Fatal> {
        if let Some(program) = env::var_os(TSHARK_ENV).filter(|value| !value.is_empty()) {
            let program = PathBuf::from(program);
            let resolved = if program.components().count() > 1 {
                Some(program.clone()).filter(|path| path.is_file())
            } else {
                find_on_path(&program.to_string_lossy())
            };
            return resolved
                .map(|program| Tshark {
                    program,
                    named_by_env: true,
                    options: Vec::new(),
                })
                .ok_or_else(|| {
                    Fatal::Environment(format!(
                        "{TSHARK_ENV} names `{}`, which is not a program that exists",
                        program.display()
                    ))
                });
        }
        find_on_path("tshark")
            .map(|program| Tshark {
                program,
                named_by_env: false,
                options: Vec::new(),
            })
            .ok_or_else(|| {
                Fatal::Environment(
                "tshark was not found on PATH: install it (Debian/Ubuntu: `apt install tshark`), \
                 or set TCPWAVE_TSHARK to the tshark program to use"
                    .to_owned(),
            )
            })
    }

    /// This tshark, given `options` (`-d X`, `-o Y`) on every run over a capture.
    pub fn with_options(self, options: Vec<String>) -> Tshark {
        Tshark { options, ..self }
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    pub fn named_by_env(&self) -> bool {
        self.named_by_env
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.stdin(Stdio::null());
        command
    }

    /// Runs tshark with `args` and returns its standard output.
    fn output(&self, args: &[&str]) -> Result<String> {
        let output = self
            .command()
            .args(args)
            .output()
            .with_context(|| format!("cannot run {}", self.program.display()))?;
        if !output.status.success() {
            return Err(anyhow!(
                "`{} {}` failed: {}",
                self.program.display(),
                args.join(" "),
                tshark_message(&String::from_utf8_lossy(&output.stderr))
                    .unwrap_or_else(|| output.status.to_string())
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The first line of `tshark --version`, and the version number in it.
    pub fn version(&self) -> Result<(String, (u32, u32, u32))> {
        let text = self.output(&["--version"])?;
        let banner = text.lines().next().unwrap_or_default().trim().to_owned();
        let version = parse_version(&banner)
            .ok_or_else(|| anyhow!("cannot tell the version from `{banner}`"))?;
        Ok((banner, version))
    }

    /// The tcpwave line of `tshark -G plugins`, if the plugin loads.
    pub fn plugin(&self) -> Result<Option<PluginInfo>> {
        // -G must be the first argument.
        Ok(find_plugin(&self.output(&["-G", "plugins"])?))
    }

    /// `tshark -G folders`, as (name, path) pairs.
    pub fn folders(&self) -> Result<Vec<(String, String)>> {
        Ok(parse_folders(&self.output(&["-G", "folders"])?))
    }

    pub fn folder(&self, name: &str) -> Result<PathBuf> {
        self.folders()?
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, path)| PathBuf::from(path))
            .ok_or_else(|| anyhow!("`tshark -G folders` does not list \"{name}\""))
    }

    /// Checks what every report needs: tshark of the supported version, with tcpwave loaded.
    ///
    /// One tshark run when all is well: a tshark that lists tcpwave among its plugins is of a
    /// supported version, since the plugin builds only for those and loads only into the release
    /// it was built for. Otherwise the version is asked for too, to say what is wrong.
    pub fn check_ready(&self) -> Result<(), Fatal> {
        let plugin = self.plugin();
        if matches!(plugin, Ok(Some(_))) {
            return Ok(());
        }
        let environment = |error: anyhow::Error| Fatal::Environment(format!("{error:#}"));
        let (banner, version) = self.version().map_err(environment)?;
        check_version(version)
            .map_err(|message| Fatal::Environment(format!("{message} (`{banner}`)")))?;
        if plugin.map_err(environment)?.is_none() {
            return Err(Fatal::Environment(self.plugin_missing_advice(version)));
        }
        Ok(())
    }

    pub fn plugin_missing_advice(&self, (major, minor, _): (u32, u32, u32)) -> String {
        if let Some(installed) = self.installed_plugin() {
            return format!(
                "{} is installed but {} (Wireshark {major}.{minor}) does not load it: it was built \
                 for another Wireshark release. Build it for {major}.{minor} and install it again: \
                 `TCPWAVE_WIRESHARK={major}.{minor} cargo build --release -p tcpwave-plugin && tcpwave install`",
                installed.display(),
                self.program.display(),
            );
        }
        let mut advice = format!(
            "the tcpwave plugin is not loaded by {}: run `tcpwave install` to copy it into \
             Wireshark's plugin folder ({major}.{minor}/epan/ under ~/.local/lib/wireshark/plugins/)",
            self.program.display(),
        );
        if running_as_root() && !self.named_by_env {
            advice += ". Note: tshark run as root ignores the personal plugin folder and \
                       WIRESHARK_PLUGIN_DIR; as root, `tcpwave install` installs into the global \
                       plugin folder instead, or run tcpwave as a normal user";
        }
        advice
    }

    /// A tcpwave.so in a plugin folder this tshark reads (as root, not the personal one).
    fn installed_plugin(&self) -> Option<PathBuf> {
        let ignores_personal = running_as_root() && !self.named_by_env;
        self.folders()
            .ok()?
            .into_iter()
            .filter(|(name, _)| {
                name == "Global Plugins" || (name == "Personal Plugins" && !ignores_personal)
            })
            .map(|(_, folder)| Path::new(&folder).join("epan").join(INSTALLED_PLUGIN))
            .find(|path| path.is_file())
    }

    /// Checks a display filter and the options given to every run by running them over an empty
    /// capture, which tshark reads from its standard input: no file is needed, so a wrapper that
    /// runs tshark as another user (as root must, for tshark to load a personal plugin) works as
    /// well as tshark itself. Nothing to check runs nothing.
    ///
    /// What tshark rejects is a usage error whose text is tshark's own, line by line as tshark
    /// printed it (its pointers under a filter stay in place), without its root warning.
    pub fn check_arguments(&self, filter: Option<&str>) -> Result<(), Fatal> {
        let rejected = match (filter, self.options.is_empty()) {
            (None, true) => return Ok(()),
            (Some(_), true) => "invalid display filter",
            (None, false) => "invalid -d or --preference",
            (Some(_), false) => "invalid display filter, -d or --preference",
        };
        let mut child = self
            .command()
            .args(["-n", "-r", "-"])
            .args(filter.map(|filter| ["-Y", filter]).into_iter().flatten())
            .args(&self.options)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| {
                Fatal::Environment(format!("cannot run {}: {error}", self.program.display()))
            })?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        // tshark stops before reading when an argument is wrong: a broken pipe is fine.
        let _ = stdin.write_all(&EMPTY_PCAP);
        drop(stdin);
        let output = child.wait_with_output().map_err(|error| {
            Fatal::Environment(format!("cannot run {}: {error}", self.program.display()))
        })?;
        if output.status.success() {
            return Ok(());
        }
        let message = tshark_lines(&String::from_utf8_lossy(&output.stderr))
            .unwrap_or_else(|| format!("tshark rejected it without a word ({})", output.status));
        Err(Fatal::Usage(format!("{rejected}; tshark says:\n{message}")))
    }

    /// The connections (`tcp.stream` numbers) of `capture` with at least one packet matching the
    /// display filter `filter`. Two passes, as [`Tshark::packets`] runs, so that the same fields
    /// exist (the plugin's `tcpwave.conn.*` verdicts only then). A frame with several TCP layers
    /// belongs to its first layer's connection, as in [`parse_line`].
    pub fn matching_streams(&self, capture: &Path, filter: &str) -> Result<Selection> {
        let mut selection = Selection::default();
        let args = [
            "-T",
            "fields",
            "-E",
            "occurrence=f",
            "-E",
            "header=n",
            "-E",
            "quote=n",
            "-e",
            "tcp.stream",
        ];
        let failure = self.lines(capture, Some(filter), &args, |line| {
            if let Ok(stream) = line.trim().parse::<u32>() {
                selection.streams.insert(u64::from(stream));
            }
        })?;
        selection.failure = failure;
        Ok(selection)
    }

    /// Runs tshark over `capture` (two passes, so the connection verdicts exist) and hands each
    /// packet to `on_packet` as its line arrives. `filter` narrows the packets (tshark's -Y).
    pub fn packets(
        &self,
        capture: &Path,
        filter: Option<&str>,
        mut on_packet: impl FnMut(LabelledPacket),
    ) -> Result<RunReport> {
        let mut args = vec![
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=,",
            "-E",
            "header=n",
            "-E",
            "quote=n",
        ];
        for field in FIELDS {
            args.extend(["-e", field]);
        }
        let mut report = RunReport::default();
        let failure = self.lines(capture, filter, &args, |line| match parse_line(line) {
            Ok(packet) => on_packet(packet),
            Err(LineError::Missing { .. }) => {}
            Err(error) => {
                report.unreadable_lines += 1;
                report
                    .first_unreadable
                    .get_or_insert_with(|| error.to_string());
            }
        })?;
        report.failure = failure;
        Ok(report)
    }

    /// Runs `tshark -n -2 -r CAPTURE -Y "TCP packets [&& (FILTER)]" ARGS...` and hands each
    /// non-blank line of its output to `on_line` as it arrives. Returns tshark's own words when it
    /// exits with an error.
    fn lines(
        &self,
        capture: &Path,
        filter: Option<&str>,
        args: &[&str],
        mut on_line: impl FnMut(&str),
    ) -> Result<Option<String>> {
        // Absolute, because a wrapper named by TCPWAVE_TSHARK may run tshark elsewhere.
        let capture = env::current_dir()
            .map(|dir| dir.join(capture))
            .unwrap_or_else(|_| capture.to_owned());
        let mut command = self.command();
        command
            .args(["-n", "-2", "-r"])
            .arg(&capture)
            .arg("-Y")
            .arg(display_filter(filter))
            .args(&self.options)
            .args(args);
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {}", self.program.display()))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let stderr_reader = thread::spawn(move || read_limited(stderr));

        let mut stdout =
            BufReader::with_capacity(READ_BUFFER, child.stdout.take().expect("stdout is piped"));
        // One buffer for every line.
        let mut bytes = Vec::new();
        loop {
            bytes.clear();
            let read = stdout
                .read_until(b'\n', &mut bytes)
                .context("reading tshark's output")?;
            if read == 0 {
                break;
            }
            // tshark writes UTF-8; a stray byte becomes U+FFFD, at the cost of a copy.
            let line = match std::str::from_utf8(&bytes) {
                Ok(line) => Cow::Borrowed(line),
                Err(_) => String::from_utf8_lossy(&bytes),
            };
            if line.trim().is_empty() {
                continue;
            }
            on_line(&line);
        }
        let status = child.wait().context("waiting for tshark")?;
        let stderr = stderr_reader.join().unwrap_or_default();
        let failure = (!status.success()).then(|| {
            tshark_message(&stderr).unwrap_or_else(|| format!("tshark failed ({status})"))
        });
        Ok(failure)
    }
}

/// The connections of one capture chosen by a display filter.
#[derive(Debug, Default)]
pub struct Selection {
    pub streams: StreamSet,
    /// tshark's own words when it exited with an error (the streams read before are kept).
    pub failure: Option<String>,
}

fn display_filter(user_filter: Option<&str>) -> String {
    match user_filter {
        Some(filter) => format!("({TCP_PACKETS}) && ({filter})"),
        None => TCP_PACKETS.to_owned(),
    }
}

fn read_limited(stream: impl Read) -> String {
    let mut bytes = Vec::new();
    // Enough for any error message; a runaway stderr must not grow memory.
    let _ = stream.take(64 * 1024).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// tshark's warning that it runs as root, which says nothing about the capture.
fn is_root_warning(line: &str) -> bool {
    line.trim_start().starts_with("Running as user")
}

/// tshark's lines on stderr as it printed them, but for its warning about running as root and
/// blank lines at either end.
pub fn tshark_lines(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim_end)
        .filter(|line| !is_root_warning(line))
        .skip_while(|line| line.is_empty())
        .collect();
    let end = lines.iter().rposition(|line| !line.is_empty())? + 1;
    Some(lines[..end].join("\n"))
}

/// tshark's error message, without its warning about running as root and its `tshark:` prefix.
pub fn tshark_message(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !is_root_warning(line))
        .map(|line| line.strip_prefix("tshark: ").unwrap_or(line))
        .collect();
    (!lines.is_empty()).then(|| lines.join(" "))
}

pub fn parse_version(banner: &str) -> Option<(u32, u32, u32)> {
    let token = banner
        .split_whitespace()
        .find(|word| word.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let mut numbers = token
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty());
    let major = numbers.next()?.parse().ok()?;
    let minor = numbers.next()?.parse().ok()?;
    let patch = numbers.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    Some((major, minor, patch))
}

pub fn check_version((major, minor, patch): (u32, u32, u32)) -> Result<(), String> {
    // `check_ready` then verifies that tshark loaded the plugin built for its release.
    if releases::supported().contains(&(major, minor)) {
        return Ok(());
    }
    Err(format!(
        "tshark {major}.{minor}.{patch} cannot load the tcpwave plugin, which is built for Wireshark {}: \
         install one of those or point TCPWAVE_TSHARK at one",
        releases::listed("and")
    ))
}

pub fn find_plugin(listing: &str) -> Option<PluginInfo> {
    listing.lines().find_map(|line| {
        let columns: Vec<&str> = line.split('\t').map(str::trim).collect();
        let name = columns.first()?;
        let is_tcpwave = *name == "tcpwave.so" || *name == "libtcpwave.so" || *name == "tcpwave";
        is_tcpwave.then(|| PluginInfo {
            version: columns.get(1).copied().unwrap_or_default().to_owned(),
            path: columns.last().copied().unwrap_or_default().to_owned(),
        })
    })
}

pub fn parse_folders(listing: &str) -> Vec<(String, String)> {
    listing
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

/// True when this process runs as root (effective uid 0), read from /proc.
pub fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let uids = status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))?
                .to_owned();
            uids.split_whitespace()
                .nth(1)
                .map(|effective| effective == "0")
        })
        .unwrap_or(false)
}

/// A pcap file header and no packets.
const EMPTY_PCAP: [u8; 24] = [
    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_version_banner() {
        assert_eq!(
            parse_version("TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3)."),
            Some((4, 0, 17))
        );
        assert_eq!(parse_version("TShark (Wireshark) 4.2.0."), Some((4, 2, 0)));
        assert_eq!(parse_version("nothing here"), None);
    }

    #[test]
    fn only_supported_minor_versions_are_accepted() {
        assert!(check_version((4, 0, 17)).is_ok());
        assert!(check_version((4, 4, 2)).is_ok());
        let refusal = check_version((3, 6, 5)).unwrap_err();
        assert!(refusal.contains("tshark 3.6.5"), "{refusal}");
        assert!(
            refusal.contains(&format!("built for Wireshark {}", releases::listed("and"))),
            "{refusal}"
        );
    }

    #[test]
    fn finds_the_plugin_in_the_listing() {
        let listing = "ethercat.so\t0.1.0\tdissector\t/usr/lib/x/plugins/4.0/epan/ethercat.so\n\
                       tcpwave.so\t0.1.0\tdissector\t/home/u/.local/lib/wireshark/plugins/4.0/epan/tcpwave.so\n";
        assert_eq!(
            find_plugin(listing),
            Some(PluginInfo {
                version: "0.1.0".to_owned(),
                path: "/home/u/.local/lib/wireshark/plugins/4.0/epan/tcpwave.so".to_owned(),
            })
        );
        assert_eq!(
            find_plugin("ethercat.so\t0.1.0\tdissector\t/x/ethercat.so\n"),
            None
        );
    }

    #[test]
    fn reads_the_folder_listing() {
        let listing = "Personal Plugins:    \t/root/.local/lib/wireshark/plugins/4.0\n\
                       Global Plugins:      \t/usr/lib/x86_64-linux-gnu/wireshark/plugins/4.0\n";
        let folders = parse_folders(listing);
        assert_eq!(
            folders[0],
            (
                "Personal Plugins".to_owned(),
                "/root/.local/lib/wireshark/plugins/4.0".to_owned()
            )
        );
        assert_eq!(folders[1].0, "Global Plugins");
    }

    #[test]
    fn tshark_messages_lose_the_root_warning_and_prefix() {
        let stderr = "Running as user \"root\" and group \"root\". This could be dangerous.\n\
                      tshark: The file \"t.pcap\" appears to have been cut short in the middle of a packet.\n";
        assert_eq!(
            tshark_message(stderr).as_deref(),
            Some("The file \"t.pcap\" appears to have been cut short in the middle of a packet.")
        );
        assert_eq!(tshark_message("Running as user \"root\"\n"), None);
    }

    #[test]
    fn filter_errors_keep_tsharks_lines_as_printed() {
        let stderr = "Running as user \"root\" and group \"root\". This could be dangerous.\n\
                      tshark: foo.bar is neither a field nor a protocol name.\n    foo.bar\n    ^~~~~~~\n\n";
        assert_eq!(
            tshark_lines(stderr).as_deref(),
            Some(
                "tshark: foo.bar is neither a field nor a protocol name.\n    foo.bar\n    ^~~~~~~"
            )
        );
        assert_eq!(tshark_lines("Running as user \"root\"\n\n"), None);
        assert_eq!(tshark_lines(""), None);
    }

    #[test]
    fn user_filters_narrow_the_tcp_filter() {
        assert_eq!(display_filter(None), "tcp && !icmp && !icmpv6");
        assert_eq!(
            display_filter(Some("tcp.port == 80")),
            "(tcp && !icmp && !icmpv6) && (tcp.port == 80)"
        );
    }
}
