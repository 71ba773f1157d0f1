#!/usr/bin/env bash
# Installs what building and testing tcpwave needs on Debian 12, and nothing that is already there:
# tshark (Wireshark 4.0), libclang for bindgen, and the real Wireshark and glib headers that the
# layout check compares the project's own declarations against, binutils for checking the
# release builds' symbols, GNU time for measuring tshark's peak memory, and nftables, iproute2 and
# tcpdump for the benchmark generator (../shared/captures/gen). Rust crates come with
# cargo. Used by tests/all.sh, tests/sample.sh, tests/gui.sh and the other scripts here.
set -euo pipefail

# Extra packages a caller needs (the GUI test's, for one) come as arguments.
packages=(tshark libwireshark-dev libglib2.0-dev libclang-dev pkg-config binutils time nftables iproute2 tcpdump "$@")
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust from https://rustup.rs" >&2; exit 2; }
# tests/all.sh checks formatting and lints: rustfmt and clippy, from rustup when it manages Rust.
for tool in fmt clippy; do
    cargo "$tool" --version >/dev/null 2>&1 && continue
    if command -v rustup >/dev/null; then
        echo "setup: adding the Rust component for cargo $tool" >&2
        rustup component add "$([ "$tool" = fmt ] && echo rustfmt || echo clippy)" >&2
    else
        echo "setup: cargo $tool not found; install it (rustup component add rustfmt clippy)" >&2
        exit 2
    fi
done
