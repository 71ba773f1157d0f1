// SPDX-License-Identifier: GPL-2.0-or-later
//! Generates Rust bindings for include/wireshark-4.0.h and, when the real
//! Wireshark headers are installed, compiles probe/layout_probe.c against them
//! for tests/layout.rs and sets `cfg(real_headers)`.
//!
//! Set `WIRESHARK_HEADERS_NO_PROBE=1` to skip the probe even when the real
//! headers are present, e.g. to check that the crate builds without them.
//!
//! Nothing is linked: Wireshark resolves the plugin's symbols when it loads it.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use bindgen::callbacks::{IntKind, ParseCallbacks};

const HEADER: &str = "include/wireshark-4.0.h";
const PROBE: &str = "probe/layout_probe.c";
/// Structs the header declares only up to the last member the plugin reads.
const PREFIX_STRUCTS: &str = "_fvalue_t|field_info|_packet_info|_tree_data_t";

fn main() {
    println!("cargo::rerun-if-changed={HEADER}");
    println!("cargo::rerun-if-changed={PROBE}");
    println!("cargo::rerun-if-env-changed=WIRESHARK_HEADERS_NO_PROBE");
    println!("cargo::rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo::rustc-check-cfg=cfg(real_headers)");

    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());

    generate_bindings(&manifest_dir.join(HEADER), &out_dir.join("bindings.rs"));

    if env::var_os("WIRESHARK_HEADERS_NO_PROBE").is_some() {
        return;
    }
    if let Some(cflags) = real_header_cflags() {
        compile_probe(&manifest_dir.join(PROBE), &cflags);
        println!("cargo::rustc-cfg=real_headers");
    }
}

/// Gives the expert-info macros the type of the `int` fields they are stored
/// in; the other macros stay `u32` like the `guint` parameters they feed.
#[derive(Debug)]
struct ExpertInfoMacrosAreInt;

impl ParseCallbacks for ExpertInfoMacrosAreInt {
    fn int_macro(&self, name: &str, _value: i64) -> Option<IntKind> {
        name.starts_with("PI_").then_some(IntKind::Int)
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
        .parse_callbacks(Box::new(ExpertInfoMacrosAreInt))
        .derive_debug(true)
        .derive_default(true)
        // Prefix structs are only valid behind Wireshark's pointers: no
        // copies or made-up values of a truncated struct.
        .no_copy(PREFIX_STRUCTS)
        .no_default(PREFIX_STRUCTS)
        .layout_tests(true)
        .generate()
        .expect("bindgen failed on include/wireshark-4.0.h")
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

/// Compiler flags that make the real Wireshark 4.0 headers (and the glib
/// headers they include) usable, or None when they are not installed.
fn real_header_cflags() -> Option<Vec<String>> {
    if let Some(cflags) = pkg_config_cflags("wireshark") {
        return Some(cflags);
    }
    // Some installs ship the headers without wireshark.pc.
    let wireshark_include = "/usr/include/wireshark";
    if !Path::new(wireshark_include).join("epan/proto.h").exists() {
        return None;
    }
    let mut cflags = pkg_config_cflags("glib-2.0")?;
    cflags.push(format!("-I{wireshark_include}"));
    Some(cflags)
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

/// Compiles the probe to an object file linked into the integration tests
/// only, so the plugin never carries it.
fn compile_probe(probe: &Path, cflags: &[String]) {
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
