//! Ctrl-C: tcpwave stops soon, exits 130, and what it wrote is a whole document of whole rows.

mod common;

use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{plugin_tshark, workspace_root};

#[test]
fn ctrl_c_ends_with_status_130_and_whole_rows() {
    // 200 links to the sample, read through tshark: far longer than the interruption's delay.
    let corpus = tempfile::tempdir().unwrap();
    let sample = workspace_root().join("tests/data/sample.pcap");
    for index in 0..200 {
        std::os::unix::fs::symlink(&sample, corpus.path().join(format!("{index:03}.pcap")))
            .unwrap();
    }
    let child = Command::new(env!("CARGO_BIN_EXE_tcpwave"))
        .args([
            "report", "--format", "json", "--engine", "tshark", "--jobs", "2",
        ])
        .arg(corpus.path())
        .env("TCPWAVE_TSHARK", plugin_tshark())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run tcpwave");
    thread::sleep(Duration::from_secs(3));
    let sent = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait for tcpwave");
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "tcpwave took {:?} to stop",
        sent.elapsed()
    );
    assert_eq!(output.status.code(), Some(130));
    // The JSON array is closed after the last whole row.
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a whole document");
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty(), "rows were written in 3 seconds");
    assert!(rows.len() < 200 * 15, "stopped before the end");
}
