#!/usr/bin/env bash
# Every test: installs what is missing (scripts/setup.sh), checks formatting (cargo fmt) and lints
# (cargo clippy, warnings are errors), then runs the whole workspace's tests (unit tests, the
# layout check against the real Wireshark headers, the integration tests that run the real tshark
# with the built plugin over ../shared/captures, and, as TCPWAVE_SYSTEM_TESTS=1 allows here, the
# GUI and browser tests, which install the packages they need), then the same plugin and CLI tests
# under the other Wireshark releases of wireshark-headers/releases.tsv
# (scripts/wireshark-releases.sh), and the Debian packages installed into each release's
# distribution (tests/packages.sh); those two need root and the network.
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
bash "$repo/scripts/setup.sh"
# Formatting is checked first: it takes a second and needs nothing built. Then the lints.
cargo fmt --manifest-path "$repo/Cargo.toml" --all --check
cargo clippy --manifest-path "$repo/Cargo.toml" --workspace --all-targets -- -D warnings
# The tests that install system packages (GUI, browser) run only when asked to.
TCPWAVE_SYSTEM_TESTS=1 cargo test --manifest-path "$repo/Cargo.toml" --workspace "$@"
if [ "$(id -u)" -eq 0 ]; then
    bash "$repo/scripts/wireshark-releases.sh"
    bash "$repo/tests/packages.sh"
else
    echo "all: not run as root, so the other Wireshark releases (wireshark-headers/releases.tsv) and the Debian packages were not tested: sudo bash scripts/wireshark-releases.sh; sudo bash tests/packages.sh" >&2
fi
