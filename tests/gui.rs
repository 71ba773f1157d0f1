//! The real Wireshark GUI with the plugin and the tcpwave profile: `tests/gui.sh` opens a kernel
//! capture under Xvfb filtered by `tcpwave.step == 3`, reads the window back and fails on an error
//! dialog, a wrong displayed count, missing profile columns or a plugin tshark does not list. It
//! installs Debian's wireshark-qt and the X tools it needs when they are missing, so it runs only
//! with `TCPWAVE_SYSTEM_TESTS=1` (tests/all.sh sets it); otherwise it says so and passes.

use std::process::Command;

use tcpwave_tests::{plugin, repo_root, system_tests_enabled};

#[test]
fn wireshark_shows_the_step_3_packets_with_the_profile() {
    if !system_tests_enabled("the GUI test (tests/gui.sh)") {
        return;
    }
    let plugin = plugin();
    // Beside the plugin's release folder: <target>/gui/wireshark-step3.png.
    let out = plugin
        .parent()
        .and_then(|release| release.parent())
        .expect("the plugin lies in <target>/release")
        .join("gui");
    let script = repo_root().join("tests/gui.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(plugin)
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{} failed ({}):\n{stdout}{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    print!("{stdout}");
}
