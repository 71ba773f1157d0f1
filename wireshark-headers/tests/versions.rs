// SPDX-License-Identifier: GPL-2.0-or-later
//! Builds the plugin for every supported Wireshark version (every row of
//! releases.tsv) with scripts/release.sh, which fails unless each build exports
//! the entry points its version's loader looks up and wants exactly that
//! version. The builds reuse target/wireshark-X.Y, so only the first run is
//! slow (about a minute per version on two cores).

use std::path::Path;
use std::process::Command;

/// The releases releases.tsv lists: the first column of every row after the header.
fn releases() -> Vec<&'static str> {
    let table = include_str!("../releases.tsv");
    let releases: Vec<&str> = table
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split('\t').next().unwrap_or_default())
        .collect();
    assert!(
        table.starts_with("release\t") && !releases.is_empty(),
        "releases.tsv: a header line and one row per release"
    );
    releases
}

#[test]
fn releases_tsv_has_every_column_in_every_row() {
    let table = include_str!("../releases.tsv");
    let header: Vec<&str> = table.lines().next().unwrap().split('\t').collect();
    assert_eq!(
        header,
        [
            "release",
            "distribution",
            "suite",
            "mirror",
            "components",
            "keyring",
            "libwireshark"
        ]
    );
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for row in table.lines().skip(1).filter(|line| !line.trim().is_empty()) {
        let columns: Vec<&str> = row.split('\t').collect();
        assert_eq!(columns.len(), header.len(), "{row:?}");
        assert!(columns.iter().all(|column| !column.is_empty()), "{row:?}");
        let header_file = manifest.join(format!("include/wireshark-{}.h", columns[0]));
        assert!(
            header_file.is_file(),
            "{} is missing",
            header_file.display()
        );
    }
}

#[test]
fn plugin_builds_for_each_supported_wireshark_and_wants_it() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugins");
    let run = Command::new("bash")
        .arg(workspace.join("scripts/release.sh"))
        .arg(&out)
        .output()
        .expect("cannot run bash");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.status.success(), "scripts/release.sh failed:\n{log}");
    for version in releases() {
        let plugin = out.join(version).join("epan/tcpwave.so");
        assert!(plugin.is_file(), "{} is missing:\n{log}", plugin.display());
    }
}
