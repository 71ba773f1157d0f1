//! `-Y FILTER` selects connections: every connection with at least one packet matching the
//! filter is reported whole, exactly as without `-Y`; a filter tshark rejects exits with status 2
//! and tshark's own words. Each test runs in both documented setups:
//!
//! - the wrapper: tcpwave run by the test's user, tshark through the wrapper named by
//!   TCPWAVE_TSHARK, which (when the tests run as root) runs it as nobody;
//! - a normal user: tcpwave itself run as nobody (when the tests run as root; else as the test's
//!   user; through the harness's `run`, scripts/private-tshark.sh), with a HOME whose personal
//!   plugin folder holds the plugin, no WIRESHARK_PLUGIN_DIR, and tshark from PATH.
//!
//! Expected rows are written from the README's rules and the packets as `tshark -r FILE` lists
//! them (C = client, S = server):
//!
//! client_closes_first.pcap, one connection, 50726 -> 8080:
//!   1 C SYN (H1, S)   2 S SYN/ACK (H2, h)   3 C ACK (H3, A)   4 C 18 bytes (D)   5 S ACK (a)
//!   6 S 37 bytes (d)   7 C ACK   8 C FIN (T1, F: the client closes first)
//!   9 S FIN/ACK acknowledging 8 (T2 and T3: a three-way close, f)   10 C ACK of 9 (T4).
//!   Only frames 8 and 9 carry a FIN.
//!
//! port_reuse.pcap, two connections 40000 -> 8090 (the port pair used again, so two tcp.stream):
//!   frames 1-10 stream 0 and 11-20 stream 1, each the same exchange: SYN, SYN/ACK, ACK, C 2
//!   bytes, S ACK, S 21 bytes, C ACK, C FIN, S FIN/ACK acknowledging it, C ACK. Frame 18 is
//!   stream 1's first FIN.
//!
//! refused.pcap: 1 C SYN to port 9, 2 S RST/ACK answering it: refused, REJ, history Sr. No other
//! kernel capture has a RST answering a SYN before any SYN/ACK.

mod common;

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use common::{
    as_tshark_user, captures_dir, csv_rows, harness_dir, mismatches, plugin_home, plugin_tshark,
    tcpwave,
};

#[derive(Debug, Clone, Copy)]
enum Setup {
    /// tshark through the TCPWAVE_TSHARK wrapper (as nobody when the tests run as root).
    Wrapper,
    /// tcpwave itself as a normal user (nobody when the tests run as root), tshark from PATH.
    NormalUser,
}

const SETUPS: [Setup; 2] = [Setup::Wrapper, Setup::NormalUser];

/// The tcpwave program as a normal user can run it: when the tests run as root, a copy in a
/// folder nobody can read (the build's own folders need not be).
fn user_program() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let built = PathBuf::from(env!("CARGO_BIN_EXE_tcpwave"));
        if !tcpwave_tests::running_as_root() {
            return built;
        }
        let folder = harness_dir().join("bin");
        fs::create_dir_all(&folder).expect("create the program's folder");
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).expect("chmod");
        let program = folder.join("tcpwave");
        fs::copy(&built, &program).expect("copy tcpwave");
        fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).expect("chmod");
        program
    })
}

fn run(setup: Setup, args: &[&str]) -> Output {
    match setup {
        Setup::Wrapper => tcpwave(plugin_tshark(), args),
        Setup::NormalUser => {
            // The harness's `run` drops root as the wrapper does; `env` then takes back its
            // plugin folder and HOME for the normal user's own.
            let home = plugin_home();
            Command::new(as_tshark_user())
                .args(["env", "-u", "WIRESHARK_PLUGIN_DIR"])
                .arg(format!("HOME={}", home.display()))
                .arg(format!(
                    "XDG_CONFIG_HOME={}",
                    home.join(".config").display()
                ))
                .arg(user_program())
                .args(args)
                .env_remove("TCPWAVE_TSHARK")
                .current_dir("/")
                .output()
                .expect("run tcpwave as a normal user")
        }
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn kernel(name: &str) -> String {
    captures_dir()
        .join("kernel")
        .join(name)
        .to_str()
        .expect("a UTF-8 path")
        .to_owned()
}

/// `tcpwave report --format csv [-Y FILTER] PATHS...`, which must succeed; its rows.
fn report(setup: Setup, filter: Option<&str>, paths: &[&str]) -> Vec<HashMap<String, String>> {
    let mut args = vec!["report", "--format", "csv"];
    if let Some(filter) = filter {
        args.extend(["-Y", filter]);
    }
    args.extend(paths);
    let output = run(setup, &args);
    assert!(
        output.status.success(),
        "{setup:?}: tcpwave {args:?} failed ({}): {}",
        output.status,
        stderr(&output)
    );
    csv_rows(&output.stdout)
}

/// Problems with `row`'s columns against `expected` (column, value) pairs.
fn setup_mismatches(
    setup: Setup,
    row: &HashMap<String, String>,
    expected: &[(&str, &str)],
) -> Vec<String> {
    mismatches(
        &format!("{setup:?}: {} stream {}", row["file"], row["stream"]),
        row,
        expected,
    )
}

fn assert_none(problems: Vec<String>) {
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A three-way close opened by the client, no anomaly: client_closes_first and both
/// connections of port_reuse.
const THREE_WAY: [(&str, &str); 10] = [
    ("handshake", "complete"),
    ("handshake_steps", "1 2 3"),
    ("teardown", "three-way"),
    ("teardown_steps", "1 2 3 4"),
    ("active_closer", "orig"),
    ("packets", "10"),
    ("repeats", "0"),
    ("anomalies", ""),
    ("conn_state", "SF"),
    ("history", "ShADadFf"),
];

#[test]
fn a_fin_filter_reports_the_whole_connection() {
    let capture = kernel("client_closes_first.pcap");
    for setup in SETUPS {
        let unfiltered = report(setup, None, &[&capture]);
        let filtered = report(setup, Some("tcp.flags.fin==1"), &[&capture]);
        assert_eq!(filtered.len(), 1, "{setup:?}: one connection: {filtered:?}");
        let row = &filtered[0];
        let mut problems = setup_mismatches(setup, row, &THREE_WAY);
        problems.extend(setup_mismatches(
            setup,
            row,
            &[
                ("stream", "0"),
                ("orig_p", "50726"),
                ("resp_p", "8080"),
                ("orig_bytes", "18"),
                ("resp_bytes", "37"),
            ],
        ));
        assert_none(problems);
        assert_eq!(
            filtered, unfiltered,
            "{setup:?}: the row is the one without -Y"
        );
    }
}

#[test]
fn one_matching_packet_selects_its_connection_among_others() {
    let capture = kernel("port_reuse.pcap");
    for setup in SETUPS {
        let unfiltered = report(setup, None, &[&capture]);
        assert_eq!(unfiltered.len(), 2, "{setup:?}: {unfiltered:?}");

        // Stream 1's first FIN, and nothing else.
        let filtered = report(setup, Some("frame.number == 18"), &[&capture]);
        assert_eq!(filtered.len(), 1, "{setup:?}: {filtered:?}");
        let row = &filtered[0];
        let mut problems = setup_mismatches(setup, row, &THREE_WAY);
        problems.extend(setup_mismatches(
            setup,
            row,
            &[
                ("stream", "1"),
                ("orig_p", "40000"),
                ("resp_p", "8090"),
                ("orig_bytes", "2"),
                ("resp_bytes", "21"),
            ],
        ));
        assert_none(problems);
        let whole = unfiltered.iter().find(|row| row["stream"] == "1").unwrap();
        assert_eq!(row, whole, "{setup:?}: the row is the one without -Y");

        // Every connection has a first SYN: all of them, as without -Y.
        let filtered = report(
            setup,
            Some("tcp.flags.syn == 1 && tcp.flags.ack == 0"),
            &[&capture],
        );
        assert_eq!(filtered, unfiltered, "{setup:?}");
    }
}

#[test]
fn the_plugins_two_pass_verdicts_select_connections() {
    let directory = captures_dir().join("kernel");
    let directory = directory.to_str().unwrap();
    for setup in SETUPS {
        let rows = report(
            setup,
            Some("tcpwave.conn.handshake == \"refused\""),
            &[directory],
        );
        assert_eq!(rows.len(), 1, "{setup:?}: {rows:?}");
        let row = &rows[0];
        assert!(row["file"].ends_with("/refused.pcap"), "{setup:?}: {row:?}");
        assert_none(setup_mismatches(
            setup,
            row,
            &[
                ("stream", "0"),
                ("resp_p", "9"),
                ("handshake", "refused"),
                ("handshake_steps", "1"),
                ("teardown", "reset"),
                ("teardown_steps", ""),
                ("packets", "2"),
                ("anomalies", "refused"),
                ("conn_state", "REJ"),
                ("history", "Sr"),
            ],
        ));
    }
}

#[test]
fn summary_counts_the_selected_connections_whole() {
    for setup in SETUPS {
        for (capture, filter) in [
            ("client_closes_first.pcap", "tcp.flags.fin==1"),
            ("port_reuse.pcap", "frame.number == 18"),
        ] {
            let output = run(
                setup,
                &[
                    "summary",
                    "--format",
                    "json",
                    "-Y",
                    filter,
                    &kernel(capture),
                ],
            );
            assert!(output.status.success(), "{setup:?}: {}", stderr(&output));
            let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            let overall = &summary["overall"];
            let context = format!("{setup:?} {capture} -Y '{filter}': {overall}");
            assert_eq!(overall["connections"], 1, "{context}");
            assert_eq!(
                overall["handshake"],
                serde_json::json!({"complete": 1}),
                "{context}"
            );
            assert_eq!(
                overall["teardown"],
                serde_json::json!({"three-way": 1}),
                "{context}"
            );
            assert_eq!(
                overall["conn_state"],
                serde_json::json!({"SF": 1}),
                "{context}"
            );
            assert_eq!(overall["handshake_rtt"]["count"], 1, "{context}");
        }
    }
}

#[test]
fn a_filter_matching_nothing_gives_no_rows_and_says_so() {
    let capture = kernel("client_closes_first.pcap");
    for setup in SETUPS {
        let output = run(setup, &["report", "--format", "csv", "-Y", "udp", &capture]);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{setup:?}: {text}");
        assert!(csv_rows(&output.stdout).is_empty(), "{setup:?}");
        assert!(
            text.contains("no connection has a packet matching the display filter `udp`"),
            "{setup:?}: {text}"
        );

        let output = run(
            setup,
            &["summary", "--format", "json", "-Y", "udp", &capture],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{setup:?}: {}",
            stderr(&output)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["overall"]["connections"], 0, "{setup:?}");
    }
}

/// What tshark itself (with the plugin, so that it knows tcpwave's fields) says about `filter`
/// on stderr, its root warning left out.
fn tsharks_words(filter: &str) -> String {
    let output = Command::new(plugin_tshark())
        .args(["-n", "-r", "-", "-Y", filter])
        .stdin(Stdio::null())
        .output()
        .expect("run tshark");
    assert!(!output.status.success(), "tshark accepts `{filter}`");
    let words: Vec<String> = stderr(&output)
        .lines()
        .filter(|line| !line.starts_with("Running as user"))
        .map(|line| line.trim_end().to_owned())
        .collect();
    let words = words.join("\n").trim().to_owned();
    assert!(!words.is_empty(), "tshark says nothing about `{filter}`");
    words
}

#[test]
fn a_wrong_filter_exits_2_with_tsharks_own_words() {
    let capture = kernel("client_closes_first.pcap");
    // The last one is wrong alone, though not inside parentheses after another filter: it is
    // checked as the user wrote it.
    for filter in [
        "tcp.port ==",
        "foo.bar",
        "tcpwave.step == 300",
        "tcp.port == 1) || (udp",
    ] {
        let words = tsharks_words(filter);
        for setup in SETUPS {
            for command in ["report", "summary"] {
                let output = run(setup, &[command, "-Y", filter, &capture]);
                let text = stderr(&output);
                let context = format!("{setup:?} {command} -Y '{filter}'");
                assert_eq!(output.status.code(), Some(2), "{context}: {text}");
                assert!(output.stdout.is_empty(), "{context}: wrote output");
                assert!(
                    text.contains(&words),
                    "{context}: stderr does not hold tshark's words\n{words}\nbut:\n{text}"
                );
                assert!(!text.contains("permission"), "{context}: {text}");
            }
        }
    }
}

#[test]
fn help_says_how_the_filter_selects() {
    for command in ["report", "summary"] {
        let output = run(Setup::Wrapper, &[command, "--help"]);
        let text = String::from_utf8_lossy(&output.stdout).replace('\n', " ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains(
                "Report every connection with at least one packet matching this Wireshark display filter, whole"
            ),
            "{command} --help: {text}"
        );
    }
}
