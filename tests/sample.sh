#!/usr/bin/env bash
# The main job on the bundled sample capture: builds the plugin and the CLI, loads the plugin into
# tshark from a private plugin folder, and prints the per-connection report.
#   bash tests/sample.sh [tcpwave report options...]      (default: --format table)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/tests/setup.sh"
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p tcpwave-plugin -p tcpwave-cli

target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The plugin folder is named after the release the build was made for, that of this tshark.
release=$(basename "$(tshark -G folders 2>/dev/null | sed -n 's/^Global Plugins:[[:space:]]*//p')")
mkdir -p "$work/plugins/$release/epan" "$work/home"
cp "$target/release/libtcpwave.so" "$work/plugins/$release/epan/tcpwave.so"
cp "$repo/tests/data/sample.pcap" "$work/"

# tshark run as root ignores personal plugin folders: as root, run it as nobody.
cat >"$work/tshark" <<WRAPPER
#!/bin/sh
export HOME="$work/home" WIRESHARK_PLUGIN_DIR="$work/plugins"
if [ "\$(id -u)" -eq 0 ]; then
    exec setpriv --reuid=65534 --regid=65534 --clear-groups tshark "\$@"
fi
exec tshark "\$@"
WRAPPER
chmod -R a+rX "$work"
chmod 0777 "$work/home"
chmod +x "$work/tshark"

args=("$@")
((${#args[@]})) || args=(--format table)
cd "$work"
TCPWAVE_TSHARK="$work/tshark" "$target/release/tcpwave" report sample.pcap "${args[@]}"
