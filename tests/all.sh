#!/usr/bin/env bash
# Every test: installs what is missing, then runs the whole workspace's tests (unit tests, the
# layout check against the real Wireshark headers, and the integration tests that run the real
# tshark with the built plugin over ../shared/captures).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/tests/setup.sh"
cargo test --manifest-path "$repo/Cargo.toml" --workspace "$@"
