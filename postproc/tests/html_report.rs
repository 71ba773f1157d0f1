//! `tcpwave report --format html` opened in headless Chromium (Debian's `chromium`, installed
//! with apt when missing, so these tests run only with `TCPWAVE_SYSTEM_TESTS=1`, which
//! tests/all.sh sets; otherwise each says so and passes): the page shows one table row and one drawn ladder diagram per
//! connection, grouped by capture, sorts its table, keeps a capture's hostile file name as text,
//! fetches nothing and logs nothing to the console. A screenshot of the sample capture's page is
//! saved under the target directory.
//!
//! The expected connections are counted by tshark alone (one per tcp.stream, README "Connections
//! and sides"), not by tcpwave. Console messages are read from Chromium's log
//! (`--enable-logging=stderr`); the page under test logs a canary of its own, so a Chromium that
//! stopped logging console messages would fail the test rather than pass it silently.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::{captures_dir, plugin_tshark, succeeded, target_dir, tcpwave, which, workspace_root};
use tcpwave_tests::system_tests_enabled;

/// A file name that would inject an element if it were not escaped.
const HOSTILE_NAME: &str = "<i class=injected>&amp;\"x'.pcap";

const CANARY: &str = "tcpwave-probe-canary";

/// Runs in the page after its own script: counts what rendered, sorts by RTT, and records it
/// all as attributes of <html>, which --dump-dom prints.
const PROBE: &str = r#"<script>
(() => {
  const html = document.documentElement;
  const ladders = Array.from(document.querySelectorAll("svg.ladder"));
  html.dataset.rows = document.querySelectorAll("table.connections tbody tr").length;
  html.dataset.ladders = ladders.length;
  html.dataset.drawn = ladders.filter((svg) =>
    svg.getBoundingClientRect().height > 50 && svg.querySelector("g.arrow, rect.band")).length;
  html.dataset.linked = Array.from(document.querySelectorAll("table.connections tbody a"))
    .filter((link) => document.getElementById(link.hash.slice(1))?.querySelector("svg.ladder"))
    .length;
  html.dataset.captureSections = document.querySelectorAll("section.capture").length;
  html.dataset.injected = document.querySelectorAll(".injected").length;
  html.dataset.hostileNameShown = document.body.textContent.includes("<i class=injected>&amp;\"x'.pcap");
  const rtt = Array.from(document.querySelectorAll("table.connections thead th"))
    .find((heading) => heading.textContent === "RTT");
  rtt.querySelector("button").click();
  html.dataset.rttAscending = Array.from(document.querySelectorAll("table.connections tbody tr"),
    (row) => row.cells[rtt.cellIndex].dataset.sort || "-").join(" ");
  html.dataset.rttSortMark = rtt.getAttribute("aria-sort");
  console.log("@CANARY@");
})();
</script>
</body>"#;

/// Connections of `capture` by tshark alone: its distinct tcp.stream numbers, in frames that are
/// TCP packets of a connection (not TCP headers quoted in ICMP errors), a frame counting for its
/// first TCP layer.
fn connections_by_tshark(capture: &Path) -> usize {
    let tshark = which("tshark").expect("tshark is installed");
    let output = Command::new(tshark)
        .args(["-n", "-r"])
        .arg(capture)
        .args([
            "-Y",
            "tcp && !icmp && !icmpv6",
            "-T",
            "fields",
            "-e",
            "tcp.stream",
        ])
        .args(["-E", "occurrence=f"])
        .output()
        .expect("run tshark");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let streams: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    streams.len()
}

/// Chromium, installed by the repository's setup script (scripts/setup.sh) when missing.
fn chromium() -> &'static Path {
    static CHROMIUM: OnceLock<PathBuf> = OnceLock::new();
    CHROMIUM.get_or_init(|| {
        if let Some(path) = which("chromium") {
            return path;
        }
        let setup = workspace_root().join("scripts/setup.sh");
        let status = Command::new("bash")
            .arg(&setup)
            .arg("chromium")
            .status()
            .expect("run scripts/setup.sh");
        assert!(
            status.success(),
            "`bash {} chromium` failed",
            setup.display()
        );
        which("chromium").expect("chromium is on PATH after installing it")
    })
}

/// Headless Chromium on `page` with a fresh profile, its console messages on stderr.
fn headless(page: &Path, action: &[&str]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    succeeded(
        Command::new("timeout")
            .arg("120")
            .arg(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(action)
            .arg(format!("file://{}", page.display())),
    )
}

/// The page's console messages, from Chromium's log.
fn console_messages(chromium: &Output) -> Vec<String> {
    String::from_utf8_lossy(&chromium.stderr)
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect()
}

/// The data-* attributes of the dumped page's <html> element.
fn html_attributes(dom: &str) -> HashMap<String, String> {
    let start = dom.find("<html").expect("an <html> element");
    let tag = &dom[start..start + dom[start..].find('>').expect("a whole tag")];
    tag.split(" data-")
        .skip(1)
        .filter_map(|attribute| {
            let (name, value) = attribute.split_once("=\"")?;
            let value = &value[..value.rfind('"')?];
            Some((
                name.to_owned(),
                value.replace("&quot;", "\"").replace("&amp;", "&"),
            ))
        })
        .collect()
}

/// A folder that tshark, run as `nobody` by the tests' wrapper, can read.
fn shared_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn report(tshark: &Path, page: &Path, captures: &[&Path]) {
    let mut args = vec!["report", "--format", "html", "-o", page.to_str().unwrap()];
    args.extend(captures.iter().map(|capture| capture.to_str().unwrap()));
    let output = tcpwave(tshark, &args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_connection_renders_as_a_row_and_a_diagram() {
    if !system_tests_enabled("the headless Chromium test of the HTML report") {
        return;
    }
    let tshark = plugin_tshark();
    let dir = shared_tempdir();
    let sample = workspace_root().join("tests/data/sample.pcap");
    let hostile = dir.path().join(HOSTILE_NAME);
    fs::copy(
        captures_dir().join("kernel/client_closes_first.pcap"),
        &hostile,
    )
    .unwrap();
    fs::set_permissions(&hostile, fs::Permissions::from_mode(0o644)).unwrap();
    let expected = connections_by_tshark(&sample) + connections_by_tshark(&hostile);
    assert_eq!(
        expected,
        15 + 1,
        "the README's count of the sample's connections"
    );

    let page = dir.path().join("report.html");
    report(tshark, &page, &[&sample, &hostile]);
    let html = fs::read_to_string(&page).unwrap();
    // Self-contained: nothing to fetch, and the capture's name only ever as escaped text.
    for outside in [
        "http://",
        "https://",
        " src=",
        "<link rel=\"stylesheet\"",
        "@import",
    ] {
        assert!(!html.contains(outside), "the page refers to `{outside}`");
    }
    assert!(!html.contains("<i class=injected>"));

    let probed = dir.path().join("probed.html");
    assert_eq!(html.matches("</body>").count(), 1);
    let probe = PROBE.replace("@CANARY@", CANARY);
    fs::write(&probed, html.replace("</body>", &probe)).unwrap();
    let chromium = headless(&probed, &["--dump-dom"]);
    let messages = console_messages(&chromium);
    assert!(
        messages.iter().any(|line| line.contains(CANARY)),
        "Chromium's log shows no console messages, so it cannot show errors either:\n{}",
        String::from_utf8_lossy(&chromium.stderr)
    );
    let others: Vec<&String> = messages
        .iter()
        .filter(|line| !line.contains(CANARY))
        .collect();
    assert!(others.is_empty(), "console messages:\n{others:#?}");

    let page = html_attributes(&String::from_utf8_lossy(&chromium.stdout));
    let count = |name: &str| -> usize {
        page.get(name)
            .unwrap_or_else(|| panic!("the probe did not run: no data-{name} in {page:?}"))
            .parse()
            .unwrap()
    };
    assert_eq!(count("rows"), expected, "table rows");
    assert_eq!(count("ladders"), expected, "ladder diagrams");
    assert_eq!(
        count("drawn"),
        expected,
        "diagrams drawn with arrows or bands"
    );
    assert_eq!(count("linked"), expected, "rows linking to their diagram");
    assert_eq!(count("capture-sections"), 2, "diagrams grouped by capture");
    assert_eq!(count("injected"), 0, "an element made from the file name");
    assert_eq!(page["hostile-name-shown"], "true");

    // Sorted by RTT: ascending, the connections without a completed handshake last.
    assert_eq!(page["rtt-sort-mark"], "ascending");
    let keys: Vec<&str> = page["rtt-ascending"].split(' ').collect();
    assert_eq!(keys.len(), expected);
    let times: Vec<f64> = keys
        .iter()
        .take_while(|key| **key != "-")
        .map(|key| key.parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{keys:?}");
    assert!(
        keys[times.len()..].iter().all(|key| *key == "-"),
        "{keys:?}"
    );
    assert!(
        times.len() < keys.len(),
        "the sample has connections without an RTT"
    );
}

#[test]
fn the_sample_page_is_screenshotted_without_console_messages() {
    if !system_tests_enabled("the headless Chromium screenshot of the HTML report") {
        return;
    }
    let tshark = plugin_tshark();
    let dir = shared_tempdir();
    let page = dir.path().join("report.html");
    report(
        tshark,
        &page,
        &[&workspace_root().join("tests/data/sample.pcap")],
    );
    let shots = target_dir().join("html-report");
    fs::create_dir_all(&shots).unwrap();
    let screenshot = shots.join("sample.png");
    let _ = fs::remove_file(&screenshot);
    let chromium = headless(
        &page,
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1400,2000",
        ],
    );
    assert_eq!(console_messages(&chromium), Vec::<String>::new());
    let png = fs::read(&screenshot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    // A blank 1400x2000 PNG is a few kilobytes; a drawn page is far more.
    assert!(png.len() > 100_000, "screenshot of {} bytes", png.len());
    eprintln!("screenshot: {}", screenshot.display());
}
