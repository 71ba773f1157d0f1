// SPDX-License-Identifier: GPL-2.0-or-later
//! Picks the Wireshark version to build for, generates Rust bindings for its
//! include/wireshark-X.Y.h and, when the real headers of that same version are
//! installed, checks the declarations against them for tests/layout.rs: it
//! compiles probe/layout_probe.c (sizes, offsets, widths, constants) and compiles the
//! declared functions after the real ones (probe/signatures.c), then sets
//! `cfg(real_headers)`.
//!
//! The supported releases are the rows of `releases.tsv` (the one list the
//! build, the CLI and the scripts read), each with its `include/wireshark-X.Y.h`.
//! The version is `TCPWAVE_WIRESHARK` (e.g. `4.4`) when set, else that of the
//! `tshark` on PATH, else the first row's. The Rust side sees it as
//! `cfg(wireshark = "4.4")` and as `WIRESHARK_MAJOR`/`WIRESHARK_MINOR`, which
//! come from the header.
//!
//! The real headers are looked for through pkg-config, or in the directory
//! named by `TCPWAVE_WIRESHARK_INCLUDE` (e.g. headers unpacked from another
//! distribution's libwireshark-dev). `WIRESHARK_HEADERS_NO_PROBE=1` skips the
//! checks, e.g. to see that the crate builds without the real headers.
//!
//! Nothing is linked: Wireshark resolves the plugin's symbols when it loads it.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use bindgen::callbacks::{IntKind, ParseCallbacks};

/// The supported Wireshark releases, one row each, oldest first: a header line, then
/// tab-separated columns of which the first is the release (`4.0`).
const RELEASES: &str = "releases.tsv";
const LAYOUT_PROBE: &str = "probe/layout_probe.c";
const SIGNATURE_PROBE: &str = "probe/signatures.c";
/// Structs the headers declare only up to the last member the plugin reads.
const PREFIX_STRUCTS: &str = "_fvalue_t|field_info|_packet_info|_tree_data_t";

fn main() {
    println!("cargo::rerun-if-changed={RELEASES}");
    println!("cargo::rerun-if-env-changed=TCPWAVE_WIRESHARK");
    println!("cargo::rerun-if-env-changed=TCPWAVE_WIRESHARK_INCLUDE");
    println!("cargo::rerun-if-env-changed=WIRESHARK_HEADERS_NO_PROBE");
    println!("cargo::rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo::rerun-if-changed={LAYOUT_PROBE}");
    println!("cargo::rerun-if-changed={SIGNATURE_PROBE}");
    println!("cargo::rustc-check-cfg=cfg(real_headers)");
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let supported = supported_releases(&manifest_dir.join(RELEASES));
    let values = supported
        .iter()
        .map(|version| format!("\"{version}\""))
        .collect::<Vec<_>>()
        .join(", ");
    println!("cargo::rustc-check-cfg=cfg(wireshark, values({values}))");

    let (version, source) = chosen_version(&supported);
    let version = version.as_str();
    println!("cargo::warning=tcpwave: building for Wireshark {version} (from {source})");
    println!("cargo::rustc-cfg=wireshark=\"{version}\"");

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let header = manifest_dir.join(format!("include/wireshark-{version}.h"));
    println!("cargo::rerun-if-changed={}", header.display());
    assert!(
        header.is_file(),
        "{RELEASES} lists Wireshark {version}, but {} is missing: copy the newest \
         include/wireshark-X.Y.h to it, set its WIRESHARK_VERSION_MINOR, and check it against \
         the real {version} headers (scripts/wireshark-releases.sh {version})",
        header.display()
    );

    generate_bindings(&header, &out_dir.join("bindings.rs"));
    check_against_real_headers(version, &manifest_dir, &header, &out_dir);
}

/// The releases of `releases.tsv`: the first column of every row after the header, in order.
fn supported_releases(table: &Path) -> Vec<String> {
    let text = fs::read_to_string(table)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", table.display()));
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("release\t"),
        "{} must start with a header line whose first column is `release`: {header:?}",
        table.display()
    );
    let releases: Vec<String> = lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let release = line.split('\t').next().unwrap_or_default().trim();
            assert!(
                major_minor(release).as_deref() == Some(release),
                "{}: `{release}` is not a major.minor release in row {line:?}",
                table.display()
            );
            release.to_owned()
        })
        .collect();
    assert!(!releases.is_empty(), "{} lists no release", table.display());
    releases
}

/// The `major.minor` to build for and where it came from.
fn chosen_version(supported: &[String]) -> (String, String) {
    let find = |version: &str| supported.iter().find(|known| *known == version).cloned();
    if let Some(setting) = env::var_os("TCPWAVE_WIRESHARK") {
        let setting = setting.to_string_lossy();
        let version = find(setting.trim()).unwrap_or_else(|| {
            panic!(
                "TCPWAVE_WIRESHARK={setting} is not a supported Wireshark version; \
                 supported ({RELEASES}): {}",
                supported.join(", ")
            )
        });
        return (version, format!("TCPWAVE_WIRESHARK={setting}"));
    }
    let Some((tshark, first_line)) = installed_tshark() else {
        // Look again once a tshark may have been installed.
        for dir in env::split_paths(&env::var_os("PATH").unwrap_or_default()) {
            if dir.is_dir() {
                println!("cargo::rerun-if-changed={}", dir.display());
            }
        }
        return (
            supported[0].clone(),
            "the default, the first row of releases.tsv: no tshark on PATH".to_owned(),
        );
    };
    println!("cargo::rerun-if-changed={}", tshark.display());
    let found = major_minor(&first_line).unwrap_or_else(|| {
        panic!("cannot read a Wireshark version from `tshark --version`: {first_line}")
    });
    let version = find(&found).unwrap_or_else(|| {
        panic!(
            "{} is Wireshark {found}, for which tcpwave has no declarations \
             (supported, from {RELEASES}: {}); set TCPWAVE_WIRESHARK to one of those to build anyway",
            tshark.display(),
            supported.join(", ")
        )
    });
    (version, format!("{}: {first_line}", tshark.display()))
}

/// The tshark on PATH and the first line of its `--version`, e.g.
/// "TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).".
fn installed_tshark() -> Option<(PathBuf, String)> {
    let tshark = env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join("tshark"))
        .find(|candidate| candidate.is_file())?;
    let output = Command::new(&tshark).arg("--version").output().ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first_line = stdout.lines().next()?.trim().to_owned();
    Some((tshark, first_line))
}

/// "4.0" from the first `digits.digits[.digits]` word of `text`.
fn major_minor(text: &str) -> Option<String> {
    text.split_whitespace().find_map(|word| {
        let mut parts = word.split('.');
        let major = parts.next()?;
        let minor = parts.next()?;
        let is_number = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        (is_number(major) && is_number(minor)).then(|| format!("{major}.{minor}"))
    })
}

/// Gives the expert-info and version macros the type of the `int` values
/// they stand for; the other macros stay `u32` like the unsigned values they
/// feed.
#[derive(Debug)]
struct IntMacros;

impl ParseCallbacks for IntMacros {
    fn int_macro(&self, name: &str, _value: i64) -> Option<IntKind> {
        (name.starts_with("PI_") || name.starts_with("WIRESHARK_VERSION_")).then_some(IntKind::Int)
    }
}

fn generate_bindings(header: &Path, out: &Path) {
    let header = header.to_str().expect("header path is not UTF-8");
    bindgen::Builder::default()
        .header(header)
        // Everything the header declares, and nothing from <stddef.h>.
        .allowlist_file(regex_escape(header))
        .rust_edition(bindgen::RustEdition::Edition2021)
        // Keep the C names (FT_UINT8, not ftenum_FT_UINT8).
        .prepend_enum_name(false)
        .parse_callbacks(Box::new(IntMacros))
        .derive_debug(true)
        .derive_default(true)
        // Prefix structs are only valid behind Wireshark's pointers: no
        // copies or made-up values of a truncated struct.
        .no_copy(PREFIX_STRUCTS)
        .no_default(PREFIX_STRUCTS)
        .layout_tests(true)
        .generate()
        .unwrap_or_else(|error| panic!("bindgen failed on {header}: {error}"))
        .write_to_file(out)
        .expect("cannot write bindings.rs");
}

/// bindgen's allowlists take regular expressions; paths may hold `.` or `+`.
fn regex_escape(literal: &str) -> String {
    let mut escaped = String::with_capacity(literal.len());
    for c in literal.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Runs the probes when the real headers of `version` are at hand; otherwise
/// tells tests/layout.rs why not, in `TCPWAVE_LAYOUT_SKIPPED`.
fn check_against_real_headers(version: &str, manifest_dir: &Path, header: &Path, out_dir: &Path) {
    let skipped = |reason: String| println!("cargo::rustc-env=TCPWAVE_LAYOUT_SKIPPED={reason}");
    if env::var_os("WIRESHARK_HEADERS_NO_PROBE").is_some() {
        return skipped("WIRESHARK_HEADERS_NO_PROBE is set".to_owned());
    }
    let Some(real) = real_headers() else {
        return skipped("no real Wireshark headers installed".to_owned());
    };
    if real.version != version {
        return skipped(format!(
            "the real headers in {} are Wireshark {}, not {version}",
            real.include_dir.display(),
            real.version
        ));
    }
    compile_layout_probe(&manifest_dir.join(LAYOUT_PROBE), &real.cflags);
    let mismatches =
        signature_mismatches(&manifest_dir.join(SIGNATURE_PROBE), header, &real.cflags);
    fs::write(out_dir.join("signature_mismatches.txt"), mismatches)
        .expect("cannot write signature_mismatches.txt");
    println!(
        "cargo::rustc-env=TCPWAVE_LAYOUT_HEADERS={}",
        real.include_dir.display()
    );
    println!("cargo::rustc-cfg=real_headers");
}

struct RealHeaders {
    include_dir: PathBuf,
    version: String,
    /// Compiler flags that make them (and the glib headers they include) usable.
    cflags: Vec<String>,
}

fn real_headers() -> Option<RealHeaders> {
    let (include_dir, cflags) = match env::var_os("TCPWAVE_WIRESHARK_INCLUDE") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            let mut cflags = pkg_config_cflags("glib-2.0")?;
            cflags.push(format!("-I{}", dir.display()));
            (dir, cflags)
        }
        None => installed_header_cflags()?,
    };
    let version = header_version(&include_dir.join("ws_version.h"))?;
    Some(RealHeaders {
        include_dir,
        version,
        cflags,
    })
}

fn installed_header_cflags() -> Option<(PathBuf, Vec<String>)> {
    if let Some(cflags) = pkg_config_cflags("wireshark") {
        let include_dir = cflags
            .iter()
            .filter_map(|flag| flag.strip_prefix("-I"))
            .map(PathBuf::from)
            .find(|dir| dir.join("ws_version.h").is_file())?;
        return Some((include_dir, cflags));
    }
    // Some installs ship the headers without wireshark.pc.
    let include_dir = PathBuf::from("/usr/include/wireshark");
    if !include_dir.join("ws_version.h").is_file() {
        return None;
    }
    let mut cflags = pkg_config_cflags("glib-2.0")?;
    cflags.push(format!("-I{}", include_dir.display()));
    Some((include_dir, cflags))
}

/// "4.0" from ws_version.h's WIRESHARK_VERSION_MAJOR and _MINOR.
fn header_version(ws_version_h: &Path) -> Option<String> {
    let text = fs::read_to_string(ws_version_h).ok()?;
    let define = |name: &str| {
        text.lines().find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("#define") && words.next() == Some(name))
                .then(|| words.next().map(str::to_owned))
                .flatten()
        })
    };
    Some(format!(
        "{}.{}",
        define("WIRESHARK_VERSION_MAJOR")?,
        define("WIRESHARK_VERSION_MINOR")?
    ))
}

fn pkg_config_cflags(package: &str) -> Option<Vec<String>> {
    let output = Command::new("pkg-config")
        .args(["--cflags", package])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let cflags = String::from_utf8(output.stdout).ok()?;
    Some(cflags.split_whitespace().map(str::to_owned).collect())
}

/// Compiles the layout probe to an object file linked into the integration
/// tests only, so the plugin never carries it.
fn compile_layout_probe(probe: &Path, cflags: &[String]) {
    let mut build = cc::Build::new();
    build.file(probe).warnings(true).extra_warnings(true);
    for flag in cflags {
        match flag.strip_prefix("-I") {
            Some(dir) => build.include(dir),
            None => build.flag(flag),
        };
    }
    for object in build.compile_intermediates() {
        println!("cargo::rustc-link-arg-tests={}", object.display());
    }
}

/// The compiler's complaints when the header's function declarations follow
/// the real ones in one translation unit; empty when every signature agrees.
fn signature_mismatches(probe: &Path, header: &Path, cflags: &[String]) -> String {
    let compiler = cc::Build::new().get_compiler();
    let output = compiler
        .to_command()
        .args(cflags)
        .arg(format!("-DTCPWAVE_HEADER=\"{}\"", header.display()))
        .args(["-fsyntax-only", "-x", "c"])
        .arg(probe)
        .output()
        .expect("cannot run the C compiler");
    if output.status.success() {
        String::new()
    } else {
        String::from_utf8_lossy(&output.stderr).into_owned()
    }
}
