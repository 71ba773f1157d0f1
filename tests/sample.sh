#!/usr/bin/env bash
# The main job on the bundled sample capture: builds the plugin and the CLI, loads the plugin into
# tshark from a private plugin folder (scripts/private-tshark.sh), and prints the per-connection
# report.
#   bash tests/sample.sh [tcpwave report options...]      (default: --format table)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/scripts/setup.sh"
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p tcpwave-plugin -p tcpwave-cli

target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
# tshark run as root ignores private plugin folders: the harness's wrapper runs it as nobody then.
tshark=$(bash "$repo/scripts/private-tshark.sh" "$target/release/libtcpwave.so" "$work/tshark-user")
cp "$repo/tests/data/sample.pcap" "$work/"
chmod 0644 "$work/sample.pcap"

args=("$@")
((${#args[@]})) || args=(--format table)
cd "$work"
TCPWAVE_TSHARK="$tshark" "$target/release/tcpwave" report sample.pcap "${args[@]}"
