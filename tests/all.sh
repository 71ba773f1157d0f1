#!/usr/bin/env bash
# Every test: installs what is missing, then runs the whole workspace's tests (unit tests, the
# layout check against the real Wireshark headers, and the integration tests that run the real
# tshark with the built plugin over ../shared/captures), then the same plugin and CLI tests under
# the real Wireshark 4.2, 4.4 and 4.6 (tests/wireshark-releases.sh; needs root and the network).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/tests/setup.sh"
cargo test --manifest-path "$repo/Cargo.toml" --workspace "$@"
if [ "$(id -u)" -eq 0 ]; then
    bash "$repo/tests/wireshark-releases.sh"
else
    echo "all: not run as root, so Wireshark 4.2, 4.4 and 4.6 were not tested: sudo bash tests/wireshark-releases.sh" >&2
fi
