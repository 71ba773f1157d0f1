//! Bad input never loses work: broken files give one line on stderr and exit status 1, the
//! other files are still reported; the tcpdump test-suite corpus never crashes tcpwave.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{captures_dir, csv_rows, plugin_tshark, tcpwave};

#[test]
fn broken_files_are_named_and_the_others_reported() {
    let tshark = plugin_tshark();
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

/// `stderr` has one line about `file`, and it says `says`.
fn assert_one_line(stderr: &str, file: &str, says: &str) {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains(&format!("/{file}")))
        .collect();
    assert_eq!(lines.len(), 1, "one line for {file}:\n{stderr}");
    assert!(lines[0].contains(says), "{file}: {}", lines[0]);
}

/// A folder of junk beside two good captures: `good.pcap` (refused), a capture `truncated.pcap`
/// cut short, `zero.pcap` (a header and no packet), an empty file, a text file, a folder named
/// like a capture, a symbolic link to itself, `secret.pcap` that only root can read and
/// `dies.pcap` (whole).
fn junk_folder(junk: &Path) {
    fs::set_permissions(junk, fs::Permissions::from_mode(0o755)).unwrap();
    let kernel = captures_dir().join("kernel");
    let refused = fs::read(kernel.join("refused.pcap")).unwrap();
    let closes = fs::read(kernel.join("client_closes_first.pcap")).unwrap();
    fs::write(junk.join("good.pcap"), &refused).unwrap();
    fs::write(junk.join("notes.txt"), "not a capture\n").unwrap();
    fs::write(junk.join("empty.pcap"), "").unwrap();
    fs::write(junk.join("truncated.pcap"), &closes[..700]).unwrap();
    // A pcap header and no packet: a valid capture with nothing to report.
    fs::write(junk.join("zero.pcap"), &refused[..24]).unwrap();
    fs::write(junk.join("secret.pcap"), &refused).unwrap();
    fs::write(junk.join("dies.pcap"), &closes).unwrap();
    fs::create_dir(junk.join("folder.pcap")).unwrap();
    std::os::unix::fs::symlink("loop.pcap", junk.join("loop.pcap")).unwrap();
    for entry in fs::read_dir(junk).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    fs::set_permissions(junk.join("secret.pcap"), fs::Permissions::from_mode(0o000)).unwrap();
}

/// Issue 5's junk directory through the tshark engine: each bad file gets its one line, the good
/// ones their rows, and a tshark killed midway leaves only whole rows.
#[test]
fn a_directory_of_junk_loses_no_work() {
    let tshark = plugin_tshark();
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path();
    junk_folder(junk);
    // tshark is killed after a little output on dies.pcap, as a crash would end it.
    let bin = tempfile::tempdir().unwrap();
    let dying = bin.path().join("tshark-dies");
    fs::write(
        &dying,
        format!(
            "#!/bin/bash\nif [[ \"$*\" == *dies.pcap* ]]; then '{}' \"$@\" | head -c 300; kill -KILL $$; fi\nexec '{}' \"$@\"\n",
            tshark.display(),
            tshark.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&dying, fs::Permissions::from_mode(0o755)).unwrap();

    let output = tcpwave(
        &dying,
        &[
            "report",
            "--format",
            "csv",
            "--jobs",
            "1",
            "--engine",
            "tshark",
            junk.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "some files failed");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for (file, says) in [
        ("empty.pcap", "empty file"),
        ("notes.txt", "not a pcap or pcapng capture"),
        ("loop.pcap", "symbolic links"),
        ("secret.pcap", "permission"),
        ("truncated.pcap", "cut short"),
        ("dies.pcap", "tshark failed"),
        // Read, not failed: it has no packet, so no TCP.
        ("zero.pcap", "no TCP packets in this capture"),
    ] {
        assert_one_line(&stderr, file, says);
    }
    assert_eq!(
        stderr.lines().count(),
        7,
        "nothing else on stderr:\n{stderr}"
    );

    let text = String::from_utf8_lossy(&output.stdout);
    let header_columns = text.lines().next().expect("a header").split(',').count();
    assert!(text.ends_with('\n'), "the last row is whole");
    let rows = csv_rows(&output.stdout);
    assert!(
        rows.iter().all(|row| row.len() == header_columns),
        "every row is whole"
    );
    let mut files: Vec<String> = rows
        .iter()
        .map(|row| row["file"].rsplit('/').next().unwrap().to_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["dies.pcap", "good.pcap", "truncated.pcap"],
        "rows of the good and the partly read files"
    );
}

/// The same junk through the native engine: the same line for each bad file, and the same rows
/// of what it can read (tshark's user cannot read `secret.pcap`; run as root, this engine can).
#[test]
fn the_native_engine_loses_no_work_either() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path();
    junk_folder(junk);
    let output = tcpwave(
        Path::new("/nonexistent/tshark"),
        &[
            "report",
            "--format",
            "csv",
            "--engine",
            "native",
            junk.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "some files failed");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut expected = vec![
        ("empty.pcap", "empty file"),
        ("notes.txt", "not a pcap or pcapng capture"),
        ("loop.pcap", "symbolic links"),
        ("truncated.pcap", "cut short"),
        ("zero.pcap", "no TCP packets in this capture"),
    ];
    if !tcpwave_tests::running_as_root() {
        expected.push(("secret.pcap", "Permission denied"));
    }
    for (file, says) in &expected {
        assert_one_line(&stderr, file, says);
    }
    assert_eq!(
        stderr.lines().count(),
        expected.len(),
        "nothing else:\n{stderr}"
    );
    let rows = csv_rows(&output.stdout);
    let mut files: Vec<String> = rows
        .iter()
        .map(|row| row["file"].rsplit('/').next().unwrap().to_owned())
        .collect();
    files.sort();
    files.dedup();
    let mut readable = vec!["dies.pcap", "good.pcap", "truncated.pcap"];
    if tcpwave_tests::running_as_root() {
        readable.push("secret.pcap");
        readable.sort();
    }
    assert_eq!(
        files, readable,
        "rows of the good and the partly read files"
    );
}
