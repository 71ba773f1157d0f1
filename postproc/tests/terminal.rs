//! On a terminal, the progress bar is cleared before rows are written: no stale bar lines are
//! left in the scrollback. `script` gives tcpwave a pseudo-terminal for both its outputs, and an
//! independent terminal emulator (pyte, from PyPI: so a system test) replays what it wrote.

mod common;

use std::process::Command;

use common::{captures_dir, succeeded};

const EMULATOR: &str = r#"
import sys, pyte
screen = pyte.HistoryScreen(150, 40, history=100000)
pyte.ByteStream(screen).feed(open(sys.argv[1], "rb").read())
lines = ["".join(cell.data for cell in row.values()) for row in screen.history.top]
lines += screen.display
for line in lines:
    print(line.rstrip())
"#;

#[test]
fn no_progress_bar_is_left_between_rows() {
    if !tcpwave_tests::system_tests_enabled("no_progress_bar_is_left_between_rows") {
        return;
    }
    let python = tcpwave_tests::python::python_with(&["pyte==0.8.2"]);
    let work = tempfile::tempdir().unwrap();
    let typescript = work.path().join("typescript");
    // Many small captures: the bar is drawn many times while rows are written.
    let command = format!(
        "stty cols 150 rows 40; {} report --format csv --engine native {} 2>&1",
        env!("CARGO_BIN_EXE_tcpwave"),
        captures_dir().join("tcpdump").display()
    );
    // What the terminal showed is script's output (its typescript file starts with a header).
    let shown = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run script (util-linux)");
    // 1: some of the corpus's malformed captures failed, as they do.
    assert_eq!(shown.status.code(), Some(1), "script: {}", shown.status);
    std::fs::write(&typescript, &shown.stdout).unwrap();
    let screen = succeeded(
        Command::new(&python)
            .args(["-c", EMULATOR])
            .arg(&typescript),
    );
    let lines = String::from_utf8(screen.stdout).unwrap();
    let rows = lines.lines().filter(|line| line.contains(".pcap,")).count();
    assert!(rows > 100, "the rows are on the screen ({rows})");
    let bars: Vec<&str> = lines
        .lines()
        .filter(|line| line.contains(" captures ") && line.contains('░'))
        .collect();
    assert!(bars.is_empty(), "stale progress bars:\n{}", bars.join("\n"));
}
