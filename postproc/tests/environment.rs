//! Environment and usage errors: no tshark, the wrong version, no plugin; and `install`. These
//! run against a fake tshark (a shell script), so they need neither Wireshark nor the plugin.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{captures_dir, which, workspace_root};

/// A fake tshark of `version` that never loads the plugin.
fn fake_tshark(dir: &Path, version: &str) -> PathBuf {
    fake_tshark_loading(dir, version, false)
}

/// A fake tshark; `loads_installed` makes it list the plugin once it is in its personal folder.
/// Its personal configuration folder follows HOME, as the real one's does.
fn fake_tshark_loading(dir: &Path, version: &str, loads_installed: bool) -> PathBuf {
    let installed = dir.join("personal/4.0/epan/tcpwave.so");
    let listing = if loads_installed {
        format!(
            "[ -f {path} ] && printf 'tcpwave.so\\t0.1.0\\tdissector\\t{path}\\n'",
            path = installed.display()
        )
    } else {
        "true".to_owned()
    };
    let script = format!(
        "#!/bin/sh\ncase \"$1\" in\n\
         --version) echo 'TShark (Wireshark) {version} (Git v{version})' ;;\n\
         -G) case \"$2\" in\n\
             plugins) printf 'ethercat.so\\t0.1.0\\tdissector\\t/usr/lib/wireshark/plugins/4.0/epan/ethercat.so\\n'; {listing} ;;\n\
             folders) printf 'Personal configuration:\\t%s/.config/wireshark\\nPersonal Plugins:\\t{dir}/personal/4.0\\nGlobal Plugins:\\t{dir}/global/4.0\\n' \"$HOME\" ;;\n\
             esac ;;\n\
         esac\n",
        dir = dir.display()
    );
    let path = dir.join("tshark");
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn tcpwave(tshark: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tcpwave"))
        .args(args)
        .env("TCPWAVE_TSHARK", tshark)
        .output()
        .unwrap()
}

/// The releases wireshark-headers/releases.tsv lists (first column after the header line), as the
/// CLI names them: "4.0, 4.2, 4.4 and 4.6".
fn supported_releases() -> String {
    let table = include_str!("../../wireshark-headers/releases.tsv");
    let releases: Vec<&str> = table
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .filter_map(|line| line.split('\t').next())
        .collect();
    match releases.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => panic!("releases.tsv lists no release"),
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_missing_tshark_is_an_environment_error() {
    let output = tcpwave(
        Path::new("/nonexistent/tshark"),
        &["report", "--engine", "tshark", "x.pcap"],
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("TCPWAVE_TSHARK names `/nonexistent/tshark`"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "one clear line: {message}");
}

#[test]
fn the_wrong_tshark_version_names_the_one_needed() {
    let dir = tempfile::tempdir().unwrap();
    let output = tcpwave(
        &fake_tshark(dir.path(), "3.6.2"),
        &["report", "--engine", "tshark", "x.pcap"],
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("tshark 3.6.2 cannot load the tcpwave plugin"),
        "{message}"
    );
    assert!(
        message.contains(&format!("built for Wireshark {}", supported_releases())),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn a_missing_plugin_names_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let tshark = fake_tshark(dir.path(), "4.0.17");
    for command in [
        &["report", "--engine", "tshark", "x.pcap"][..],
        &["summary", "-Y", "tcp", "x.pcap"],
        &["ladder", "--engine", "tshark", "x.pcap", "--stream", "0"],
    ] {
        let output = tcpwave(&tshark, command);
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        let message = stderr(&output);
        assert!(message.contains("run `tcpwave install`"), "{message}");
        assert_eq!(message.lines().count(), 1, "one clear line: {message}");
    }
}

/// The native engine needs no tshark: plain captures are reported, and a capture that needs
/// Wireshark's dissectors is named with the reason, the others' rows kept.
#[test]
fn without_tshark_plain_captures_are_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    let plain = workspace_root().join("tests/data/sample.pcap");
    let tunnel = dir.path().join("gre.pcap");
    // One Ethernet frame holding IPv4 that carries GRE with TCP inside: a tunnel whose TCP only
    // tshark reads.
    let mut frame = vec![0u8; 12];
    frame.extend([
        0x08, 0x00, 0x45, 0, 0, 64, 0, 0, 0, 0, 64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    frame.extend([0, 0, 0x08, 0x00]);
    frame.extend([
        0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 192, 168, 0, 1, 192, 168, 0, 2,
    ]);
    frame.extend([
        0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
    ]);
    let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    file.extend([0xff, 0xff, 0, 0, 1, 0, 0, 0]);
    file.extend([0; 8]);
    file.extend((frame.len() as u32).to_le_bytes());
    file.extend((frame.len() as u32).to_le_bytes());
    file.extend(&frame);
    fs::write(&tunnel, file).unwrap();
    let output = tcpwave(
        Path::new("/nonexistent/tshark"),
        &[
            "report",
            "--format",
            "csv",
            plain.to_str().unwrap(),
            tunnel.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let rows = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        rows.lines()
            .filter(|line| line.contains("sample.pcap,"))
            .count(),
        15
    );
    let message = stderr(&output);
    assert!(
        message.contains("gre.pcap: it holds IP tunnels, which needs tshark"),
        "{message}"
    );
    assert!(
        message.contains("TCPWAVE_TSHARK names"),
        "says why tshark cannot: {message}"
    );
}

#[test]
fn doctor_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let output = tcpwave(&fake_tshark(dir.path(), "4.0.17"), &["doctor"]);
    assert_eq!(output.status.code(), Some(2));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("from TCPWAVE_TSHARK"), "{report}");
    assert!(
        report.contains("supported (needs the plugin built for 4.0)"),
        "{report}"
    );
    assert!(report.contains("personal plugins"), "{report}");
    assert!(report.contains("tcpwave          not loaded"), "{report}");
    assert!(report.contains("tcpwave install"), "{report}");
}

#[test]
fn doctor_and_report_name_a_plugin_built_for_another_release() {
    let dir = tempfile::tempdir().unwrap();
    // Installed, but this tshark (4.2) never lists it: what a build for another release looks like.
    let installed = dir.path().join("personal/4.0/epan/tcpwave.so");
    fs::create_dir_all(installed.parent().unwrap()).unwrap();
    fs::write(&installed, b"a build for another release").unwrap();
    let tshark = fake_tshark(dir.path(), "4.2.2");
    let command =
        "`TCPWAVE_WIRESHARK=4.2 cargo build --release -p tcpwave-plugin && tcpwave install`";

    let doctor = tcpwave(&tshark, &["doctor"]);
    assert_eq!(doctor.status.code(), Some(2));
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        report.contains(&format!("{} is installed but", installed.display())),
        "{report}"
    );
    assert!(
        report.contains("(Wireshark 4.2) does not load it"),
        "{report}"
    );
    assert!(report.contains(command), "{report}");

    let capture = captures_dir().join("kernel/refused.pcap");
    let output = tcpwave(
        &tshark,
        &["report", "--engine", "tshark", capture.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(command), "{}", stderr(&output));
}

#[test]
fn install_without_a_built_plugin_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let tshark = fake_tshark(dir.path(), "4.0.17");
    let output = tcpwave(
        &tshark,
        &["install", "--plugin", "/nonexistent/libtcpwave.so"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--plugin /nonexistent/libtcpwave.so: no such file"));
}

/// The major.minor release of the tshark on PATH, which the tests' plugin is built for; None
/// without tshark.
fn machine_release() -> Option<(u32, u32)> {
    let output = Command::new(which("tshark")?)
        .arg("--version")
        .output()
        .ok()?;
    let banner = String::from_utf8_lossy(&output.stdout);
    // `TShark (Wireshark) 4.0.17 (Git v4.0.17 ...)`
    let version = banner.split_whitespace().nth(2)?;
    let mut numbers = version.split('.').map(|part| part.parse::<u32>().ok());
    Some((numbers.next()??, numbers.next()??))
}

/// The real plugin, built by the tests' harness for the machine's release, and that release.
fn real_plugin() -> Option<(PathBuf, (u32, u32))> {
    let release = machine_release()?;
    Some((tcpwave_tests::plugin().to_owned(), release))
}

/// Only the installed plugin is in the plugin folder: no staging file is left beside it.
fn assert_only_the_plugin_in(epan: &Path) {
    let names: Vec<String> = fs::read_dir(epan)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["tcpwave.so"], "{}", epan.display());
}

#[test]
fn install_copies_into_the_personal_folder_and_checks_it_loads() {
    let Some((plugin, (major, minor))) = real_plugin() else {
        eprintln!("no tshark installed: install is not tried with a real plugin");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tshark = fake_tshark(dir.path(), &format!("{major}.{minor}.1"));
    let output = tcpwave(&tshark, &["install", "--plugin", plugin.to_str().unwrap()]);
    let epan = dir.path().join("personal/4.0/epan");
    assert_eq!(
        fs::read(epan.join("tcpwave.so")).unwrap(),
        fs::read(&plugin).unwrap()
    );
    assert_only_the_plugin_in(&epan);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(&format!(
            "for Wireshark {major}.{minor}) as {}",
            epan.join("tcpwave.so").display()
        )),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    // The fake tshark never lists it: install must say so rather than claim success.
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("does not load"),
        "{}",
        stderr(&output)
    );
}

/// `install --plugin FILE` copies only a tcpwave plugin built for the tshark's release: anything
/// else is a usage error that says what the file is, and nothing reaches the plugin folder.
#[test]
fn install_refuses_what_is_not_a_tcpwave_plugin_for_this_release() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("libtcpwave.so");
    fs::write(&text, b"not really a library").unwrap();
    let mut refused = vec![(
        text,
        "4.0.17".to_owned(),
        "is not a shared library (not an ELF file)".to_owned(),
    )];
    let libc = Path::new("/lib/x86_64-linux-gnu/libc.so.6");
    if libc.is_file() {
        refused.push((
            libc.to_owned(),
            "4.0.17".to_owned(),
            "is a shared library but not a Wireshark plugin (it does not export \
             plugin_version, plugin_want_major, plugin_want_minor, plugin_register)"
                .to_owned(),
        ));
    }
    if let Some((plugin, (major, minor))) = real_plugin() {
        // Another supported release than the plugin's.
        let other = if (major, minor) == (4, 0) {
            "4.2"
        } else {
            "4.0"
        };
        refused.push((
            plugin,
            format!("{other}.1"),
            // The plugin's version is the workspace's, as this program's is.
            format!(
                "is tcpwave {} built for Wireshark {major}.{minor}, not {other}: nothing was \
                 installed",
                env!("CARGO_PKG_VERSION")
            ),
        ));
        // Another Wireshark plugin of the system, when there is one.
        let global = format!("/usr/lib/x86_64-linux-gnu/wireshark/plugins/{major}.{minor}/epan");
        if let Some(other_plugin) = fs::read_dir(&global).ok().and_then(|entries| {
            entries
                .map(|entry| entry.unwrap().path())
                .find(|path| path.file_name().is_some_and(|name| name != "tcpwave.so"))
        }) {
            refused.push((
                other_plugin,
                format!("{major}.{minor}.1"),
                "is a Wireshark plugin, but not tcpwave: nothing was installed".to_owned(),
            ));
        }
    }
    for (file, version, says) in refused {
        let tshark_dir = tempfile::tempdir().unwrap();
        let tshark = fake_tshark_loading(tshark_dir.path(), &version, true);
        let output = tcpwave(&tshark, &["install", "--plugin", file.to_str().unwrap()]);
        let message = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {message}",
            file.display()
        );
        assert!(
            message.starts_with(&format!("tcpwave: {} {says}", file.display())),
            "{message}"
        );
        assert_eq!(message.lines().count(), 1, "one line: {message}");
        assert!(
            !tshark_dir.path().join("personal/4.0/epan").exists(),
            "{}: something was copied",
            file.display()
        );
    }
}

#[test]
fn install_profile_adds_the_tcpwave_profile_beside_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let Some((plugin, (major, minor))) = real_plugin() else {
        eprintln!("no tshark installed: the profile is not installed with a real plugin");
        return;
    };
    let tshark = fake_tshark_loading(dir.path(), &format!("{major}.{minor}.1"), true);
    let home = dir.path().join("home");
    let profiles = home.join(".config/wireshark/profiles");
    fs::create_dir_all(profiles.join("mine")).unwrap();
    fs::write(profiles.join("mine/preferences"), "# my own\n").unwrap();
    let install = || {
        Command::new(env!("CARGO_BIN_EXE_tcpwave"))
            .args(["install", "--profile", "--plugin", plugin.to_str().unwrap()])
            .env("TCPWAVE_TSHARK", &tshark)
            .env("HOME", &home)
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("WIRESHARK_CONFIG_DIR")
            .output()
            .unwrap()
    };

    let output = install();
    assert!(output.status.success(), "{}", stderr(&output));
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("profile/tcpwave");
    let installed = profiles.join("tcpwave");
    for entry in fs::read_dir(&shipped).unwrap() {
        let name = entry.unwrap().file_name();
        assert_eq!(
            fs::read(installed.join(&name)).unwrap(),
            fs::read(shipped.join(&name)).unwrap(),
            "{name:?}"
        );
    }
    assert_eq!(
        fs::read_to_string(profiles.join("mine/preferences")).unwrap(),
        "# my own\n"
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains(&format!("profile \"tcpwave\" in {}", installed.display())),
        "{said}"
    );
    assert!(said.contains("wireshark -C tcpwave"), "{said}");

    // Installing again keeps a changed file as .bak.
    fs::write(installed.join("colorfilters"), "# my colours\n").unwrap();
    let again = install();
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        fs::read_to_string(installed.join("colorfilters.bak")).unwrap(),
        "# my colours\n"
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("colorfilters.bak"));

    // The real tshark (as whoever runs the tests, root included) reads the installed profile:
    // its packet summary has the profile's columns.
    let Some(real_tshark) = which("tshark") else {
        eprintln!("no tshark installed: the installed profile is not tried");
        return;
    };
    let capture = captures_dir().join("kernel/client_closes_first.pcap");
    let psml = Command::new(real_tshark)
        .args(["-C", "tcpwave", "-c", "1", "-T", "psml", "-r"])
        .arg(&capture)
        .env("HOME", &home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("WIRESHARK_CONFIG_DIR")
        .output()
        .unwrap();
    assert!(psml.status.success(), "{}", stderr(&psml));
    let psml = String::from_utf8_lossy(&psml.stdout);
    for column in ["Step", "Phase", "Client", "Server"] {
        assert!(
            psml.contains(&format!("<section>{column}</section>")),
            "{psml}"
        );
    }
}

#[test]
fn usage_errors_exit_with_2_and_help_teaches_by_example() {
    let output = Command::new(env!("CARGO_BIN_EXE_tcpwave"))
        .args(["report"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let help = Command::new(env!("CARGO_BIN_EXE_tcpwave"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Examples:") && help.contains("tcpwave report captures/"),
        "{help}"
    );
    let help = Command::new(env!("CARGO_BIN_EXE_tcpwave"))
        .args(["report", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("conn_state, history"));
}

/// Every exit status `main` can end with (0, 1, 2 and 130 after Ctrl-C) is documented by the
/// help of the program and of the commands that read captures.
#[test]
fn help_documents_every_exit_status() {
    let expected = [
        ("0", "every capture was read"),
        ("1", "could not be read"),
        ("2", "usage or environment error"),
        ("130", "Ctrl-C"),
    ];
    for args in [
        &["--help"][..],
        &["report", "--help"],
        &["summary", "--help"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_tcpwave"))
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}");
        let help = String::from_utf8_lossy(&output.stdout);
        let statuses = &help[help.find("Exit status:").expect("an Exit status section")..];
        for (code, says) in expected {
            let line = statuses
                .lines()
                .find(|line| line.trim_start().starts_with(&format!("{code} ")))
                .unwrap_or_else(|| panic!("{args:?}: no status {code}:\n{statuses}"));
            let entry = &statuses[statuses.find(line).unwrap()..];
            let entry: String = entry.lines().take(2).collect::<Vec<_>>().join(" ");
            assert!(entry.contains(says), "{args:?}: status {code}: {entry}");
        }
    }
}
