// SPDX-License-Identifier: GPL-2.0-or-later
//! Builds the plugin for every supported Wireshark version with
//! tests/release.sh, which fails unless each build exports the entry points
//! its version's loader looks up and wants exactly that version. The builds
//! reuse target/wireshark-X.Y, so only the first run is slow (about a minute
//! per version on two cores).

use std::path::Path;
use std::process::Command;

#[test]
fn plugin_builds_for_each_supported_wireshark_and_wants_it() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugins");
    let run = Command::new("bash")
        .arg(workspace.join("tests/release.sh"))
        .arg(&out)
        .output()
        .expect("cannot run bash");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.status.success(), "tests/release.sh failed:\n{log}");
    for version in ["4.0", "4.2", "4.4", "4.6"] {
        let plugin = out.join(version).join("epan/tcpwave.so");
        assert!(plugin.is_file(), "{} is missing:\n{log}", plugin.display());
    }
}
