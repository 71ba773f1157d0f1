#!/usr/bin/env bash
# Installs what building and testing tcpwave needs on Debian 12, and nothing that is already there:
# tshark (Wireshark 4.0), libclang for bindgen, and the real Wireshark and glib headers that the
# layout check compares the project's own declarations against, binutils for checking the
# release builds' symbols, and GNU time for measuring tshark's peak memory. Rust crates come with
# cargo.
set -euo pipefail

# Extra packages a caller needs (the GUI test's, for one) come as arguments.
packages=(tshark libwireshark-dev libglib2.0-dev libclang-dev pkg-config binutils time "$@")
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
