//! Bad input never loses work: broken files give one line on stderr and exit status 1, the
//! other files are still reported; the tcpdump test-suite corpus never crashes tcpwave.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{captures_dir, csv_rows, plugin_tshark, tcpwave};

#[test]
fn broken_files_are_named_and_the_others_reported() {
    let Some(tshark) = plugin_tshark("broken_files_are_named_and_the_others_reported") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // tshark runs as another user in the tests: let it read the files.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let good = captures_dir().join("kernel/refused.pcap");
    let whole = fs::read(captures_dir().join("kernel/client_closes_first.pcap")).unwrap();
    let truncated = dir.path().join("truncated.pcap");
    fs::write(&truncated, &whole[..700]).unwrap();
    let text = dir.path().join("notes.pcap");
    fs::write(&text, "not a capture\n").unwrap();
    for file in [&truncated, &text] {
        fs::set_permissions(file, fs::Permissions::from_mode(0o644)).unwrap();
    }

    let output = tcpwave(
        tshark,
        &[
            "report",
            "--format",
            "csv",
            good.to_str().unwrap(),
            truncated.to_str().unwrap(),
            text.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one line per broken file:\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "tcpwave: {}: not a pcap or pcapng capture",
            text.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("tcpwave: {}: ", truncated.display()))
            && stderr.contains("cut short"),
        "{stderr}"
    );

    let rows = csv_rows(&output.stdout);
    let files: Vec<&str> = rows.iter().map(|row| row["file"].as_str()).collect();
    assert!(files.contains(&good.to_str().unwrap()), "{files:?}");
    // The truncated capture's connection is reported as far as it was read.
    let cut = rows
        .iter()
        .find(|row| row["file"] == truncated.to_str().unwrap())
        .expect("rows of the truncated file");
    assert_eq!(cut["handshake"], "complete");
    assert_eq!(cut["conn_state"], "S1");
}

#[test]
fn the_tcpdump_corpus_never_crashes_tcpwave() {
    let Some(tshark) = plugin_tshark("the_tcpdump_corpus_never_crashes_tcpwave") else {
        return;
    };
    let corpus = captures_dir().join("tcpdump");
    let output = tcpwave(
        tshark,
        &["report", "--format", "csv", corpus.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "status {}: {stderr}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for line in stderr.lines() {
        assert!(line.starts_with("tcpwave: "), "stray stderr line: {line}");
    }
    let rows = csv_rows(&output.stdout);
    assert!(
        rows.len() > 100,
        "the corpus has plenty of TCP: {} rows",
        rows.len()
    );
    let states = [
        "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH",
    ];
    for row in &rows {
        assert!(states.contains(&row["conn_state"].as_str()), "{row:?}");
    }
}
