#!/usr/bin/env bash
# Every test: installs what is missing, then runs the whole workspace's tests (unit tests, the
# layout check against the real Wireshark headers, and the integration tests that run the real
# tshark with the built plugin over ../shared/captures), then the same plugin and CLI tests under
# the real Wireshark 4.2, 4.4 and 4.6 (tests/wireshark-releases.sh; needs root and the network).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# The tests read the shared captures beside the repository; a clone made elsewhere (git clone .
# /tmp/x) finds them beside the repository it was cloned from.
if [[ -z ${TCPWAVE_SHARED:-} && ! -d $repo/../shared/captures ]]; then
    origin=$(git -C "$repo" remote get-url origin 2>/dev/null || true)
    if [[ -n $origin && -d $origin/../shared/captures ]]; then
        export TCPWAVE_SHARED
        TCPWAVE_SHARED=$(cd "$origin/../shared" && pwd)
        echo "all: shared captures from $TCPWAVE_SHARED (beside the clone's origin)" >&2
    fi
fi
bash "$repo/tests/setup.sh"
# Formatting is checked first: it takes a second and needs nothing built.
cargo fmt --manifest-path "$repo/Cargo.toml" --all --check
cargo test --manifest-path "$repo/Cargo.toml" --workspace "$@"
if [ "$(id -u)" -eq 0 ]; then
    bash "$repo/tests/wireshark-releases.sh"
else
    echo "all: not run as root, so Wireshark 4.2, 4.4 and 4.6 were not tested: sudo bash tests/wireshark-releases.sh" >&2
fi
