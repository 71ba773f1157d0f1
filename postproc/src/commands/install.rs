//! `tcpwave install` and `tcpwave doctor`: putting the plugin where tshark loads it (and, if
//! asked, the profile where Wireshark finds it), and saying what is wrong when it does not.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::commands::cli::InstallArgs;
use crate::commands::outcome::Outcome;
use crate::commands::plugin_file::check_plugin;
use crate::commands::profile::{self, write_atomically};
use crate::run::tshark::{check_version, running_as_root, Tshark, INSTALLED_PLUGIN, TSHARK_ENV};
use crate::vocab::fatal::Fatal;

/// The file name cargo gives the plugin library, found next to the `tcpwave` binary.
const BUILT_PLUGIN: &str = "libtcpwave.so";

fn built_plugin(explicit: Option<&Path>) -> Result<PathBuf, Fatal> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path.to_owned())
        } else {
            Err(Fatal::Usage(format!(
                "--plugin {}: no such file",
                path.display()
            )))
        };
    }
    let exe = env::current_exe()
        .map_err(|error| Fatal::Environment(format!("cannot find this program's path: {error}")))?;
    let beside = exe.with_file_name(BUILT_PLUGIN);
    if beside.is_file() {
        return Ok(beside);
    }
    Err(Fatal::Environment(format!(
        "no built plugin at {}: build it with `cargo build --release -p tcpwave-plugin` \
         (then run target/release/tcpwave install), or name it with --plugin FILE",
        beside.display()
    )))
}

fn install_profile(tshark: &Tshark) -> Result<()> {
    let installed = profile::install(tshark)?;
    println!(
        "installed the Wireshark profile \"{}\" in {}",
        profile::NAME,
        installed.folder.display()
    );
    for name in &installed.backed_up {
        println!("  kept your changed {name} as {name}.bak");
    }
    println!(
        "  use it with `wireshark -C {name}`, or in Wireshark: Edit → Configuration Profiles → {name} \
         (or click the profile name in the status bar)",
        name = profile::NAME
    );
    if running_as_root() {
        println!(
            "note: running as root: Wireshark run as root reads this profile too (only plugin \
             folders are ignored for root); to give another user the profile, run \
             `tcpwave install --profile` as that user"
        );
    }
    Ok(())
}

pub fn install(args: InstallArgs) -> Result<Outcome> {
    let tshark = Tshark::locate()?;
    let (banner, version) = tshark
        .version()
        .map_err(|error| Fatal::Environment(format!("{error:#}")))?;
    check_version(version)
        .map_err(|message| Fatal::Environment(format!("{message} (`{banner}`)")))?;
    let plugin = built_plugin(args.plugin.as_deref())?;

    // tshark run as root loads plugins from the global folder only.
    let as_root = running_as_root() && !tshark.named_by_env();
    let global = args.global || as_root;
    let folder_name = if global {
        "Global Plugins"
    } else {
        "Personal Plugins"
    };
    let folder = tshark
        .folder(folder_name)
        .map_err(|error| Fatal::Environment(format!("{error:#}")))?;
    let destination = folder.join("epan").join(INSTALLED_PLUGIN);
    let library = fs::read(&plugin).with_context(|| format!("cannot read {}", plugin.display()))?;
    let checked = check_plugin(&library, (version.0, version.1)).map_err(|what| {
        let message = format!(
            "{} is {what}: nothing was installed. tcpwave installs only its own plugin built for \
             this tshark's Wireshark {major}.{minor} (`TCPWAVE_WIRESHARK={major}.{minor} cargo \
             build --release -p tcpwave-plugin` builds it)",
            plugin.display(),
            major = version.0,
            minor = version.1,
        );
        if args.plugin.is_some() {
            Fatal::Usage(message)
        } else {
            Fatal::Environment(message)
        }
    })?;
    // Whole or not at all: a half-written plugin would make every tshark run complain.
    write_atomically(&library, &destination)?;
    println!(
        "installed {} (tcpwave {} for Wireshark {}.{}) as {}",
        plugin.display(),
        checked.version,
        checked.wants.0,
        checked.wants.1,
        destination.display()
    );
    if as_root && !args.global {
        println!(
            "note: running as root, so the plugin went to the global plugin folder: tshark run \
             as root ignores the personal one (~/.local/lib/wireshark/plugins/) and WIRESHARK_PLUGIN_DIR"
        );
    }
    if args.profile {
        install_profile(&tshark)?;
    }

    match tshark
        .plugin()
        .map_err(|error| Fatal::Environment(format!("{error:#}")))?
    {
        Some(info) => {
            println!("tshark loads tcpwave {} from {}", info.version, info.path);
            Ok(Outcome::Success)
        }
        None => Err(Fatal::Environment(format!(
            "{} does not load {} after installing it: a plugin loads only into the Wireshark \
             release it was built for. Build it for Wireshark {}.{} and install it again: \
             `TCPWAVE_WIRESHARK={}.{} cargo build --release -p tcpwave-plugin && tcpwave install`",
            tshark.program().display(),
            destination.display(),
            version.0,
            version.1,
            version.0,
            version.1
        ))
        .into()),
    }
}

/// One line of the doctor's report: a label column, then the finding.
fn finding(label: &str, text: &str) {
    println!("{label:<17}{text}");
}

/// Which engine reads what (`--engine auto`), with tshark ready and without.
const BOTH_ENGINES: &str = "native for pcap and pcapng of Ethernet, Linux cooked, raw IP or \
    loopback links (and of 802.11, PPP or Cisco HDLC without TCP); this tshark for -Y and for \
    captures that need Wireshark's dissectors (tunnels with TCP inside, IP fragments, other link types)";
const NATIVE_ONLY: &str = "native only: plain captures are reported; -Y and captures that need \
    Wireshark's dissectors (tunnels with TCP inside, IP fragments, other link types) wait for tshark";

/// The Debian package that installed `file` and its version, when dpkg knows one.
fn debian_package_of(file: &Path) -> Option<(String, String)> {
    let query = |args: &[&OsStr]| {
        let output = Command::new("dpkg-query").args(args).output().ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    // `tcpwave: /usr/lib/x86_64-linux-gnu/wireshark/plugins/4.0/epan/tcpwave.so`
    let owner = query(&["-S".as_ref(), file.as_os_str()])?;
    let (package, _) = owner.lines().next()?.split_once(": ")?;
    let package = package.split(':').next()?.to_owned();
    let version = query(&["-W".as_ref(), "-f=${Version}".as_ref(), package.as_ref()])?;
    Some((package, version))
}

pub fn doctor() -> Result<Outcome> {
    let mut healthy = true;
    let tshark = match Tshark::locate() {
        Ok(tshark) => tshark,
        Err(error) => {
            finding("tshark", "not found");
            finding("  what to do", &error.to_string());
            finding("engines", NATIVE_ONLY);
            return Err(Fatal::Environment("tshark is missing".to_owned()).into());
        }
    };
    let source = if tshark.named_by_env() {
        format!("from {TSHARK_ENV}")
    } else {
        "from PATH".to_owned()
    };
    finding(
        "tshark",
        &format!("{} ({source})", tshark.program().display()),
    );

    let version = tshark.version();
    match &version {
        Ok((banner, version)) => match check_version(*version) {
            Ok(()) => finding(
                "version",
                &format!(
                    "{banner}: supported (needs the plugin built for {}.{})",
                    version.0, version.1
                ),
            ),
            Err(message) => {
                healthy = false;
                finding("version", banner);
                finding("  problem", &message);
            }
        },
        Err(error) => {
            healthy = false;
            finding("version", &format!("unknown: {error:#}"));
        }
    }

    let root = running_as_root();
    finding("running as", if root { "root" } else { "a normal user" });
    match tshark.folders() {
        Ok(folders) => {
            for (name, path) in folders
                .iter()
                .filter(|(name, _)| name.ends_with("Plugins") && !name.contains("Lua"))
            {
                let ignored = root && !tshark.named_by_env() && name == "Personal Plugins";
                let note = if ignored {
                    "  (ignored: tshark runs as root)"
                } else {
                    ""
                };
                finding(&name.to_lowercase(), &format!("{path}/epan/{note}"));
            }
        }
        Err(error) => finding("plugin folders", &format!("unknown: {error:#}")),
    }

    match tshark.plugin() {
        Ok(Some(info)) => {
            let built_for = Path::new(&info.path)
                .parent()
                .and_then(Path::parent)
                .and_then(Path::file_name)
                .map(|minor| minor.to_string_lossy().into_owned())
                .unwrap_or_else(|| "?".to_owned());
            finding(
                "tcpwave",
                &format!(
                    "loaded: version {}, built for Wireshark {built_for}, from {}",
                    info.version, info.path
                ),
            );
            if let Some((package, version)) = debian_package_of(Path::new(&info.path)) {
                finding(
                    "installed by",
                    &format!(
                        "the Debian package {package} {version} (apt-get remove {package} removes it)"
                    ),
                );
            }
        }
        Ok(None) => {
            healthy = false;
            finding("tcpwave", "not loaded");
            let version = version.as_ref().map_or((4, 0, 0), |(_, version)| *version);
            finding("  what to do", &tshark.plugin_missing_advice(version));
        }
        Err(error) => {
            healthy = false;
            finding("tcpwave", &format!("unknown: {error:#}"));
        }
    }

    finding("engines", if healthy { BOTH_ENGINES } else { NATIVE_ONLY });
    if healthy {
        println!("all good: `tcpwave report CAPTURE` is ready to run");
        Ok(Outcome::Success)
    } else {
        Err(Fatal::Environment("tcpwave cannot run reports yet (see above)".to_owned()).into())
    }
}
