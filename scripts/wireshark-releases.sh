#!/usr/bin/env bash
# Runs tcpwave against the real Wireshark releases other than this machine's: for each one it
# makes a minimal root file system of a distribution that ships it (debootstrap, packages checked
# against the distribution's signing keys), builds the plugin for that release on this machine,
# checks the release's declarations against the real headers in that root (layout and
# signatures), then runs the plugin and CLI integration tests inside the root with its tshark.
#
#   bash scripts/wireshark-releases.sh [RELEASE...]
#
# The releases and their distributions are the rows of wireshark-headers/releases.tsv (release,
# distribution, suite, mirror, components, keyring, libwireshark package); the default is every
# row but the release of the tshark on PATH (the one the rest of the tests run with).
#
# Needs root (debootstrap, chroot, mounts in a private mount namespace) and the network. The roots
# are kept in TCPWAVE_RELEASES_DIR (default ~/.cache/tcpwave-releases) and made again when their
# tshark is not the release wanted. Builds go to target/wireshark-X.Y, as scripts/release.sh's do.
# Exit status: 0 when every release passed, 1 when one failed, 2 on bad usage.
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(realpath -m "${TCPWAVE_SHARED:-$repo/../shared}")
cache=${TCPWAVE_RELEASES_DIR:-$HOME/.cache/tcpwave-releases}
cargo=${CARGO:-cargo}

# The plugin and CLI tests that run inside each root; the tcpdump corpus sweeps and the GUI and
# browser tests stay with 4.0.
plugin_tests=(kernel_labels registration passes panic_guard hostile_captures)
cli_tests=(kernel_captures robustness)
cli_skip=(--skip the_tcpdump_corpus_never_crashes_tcpwave)

log() { echo "releases: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}
# shellcheck source=scripts/release-roots.sh
source "$repo/scripts/release-roots.sh"

mapfile -t listed < <(listed_releases)
((${#listed[@]})) || die "$releases_tsv lists no release"
releases=("$@")
if ((${#releases[@]} == 0)); then
    here=$(tshark --version 2>/dev/null | head -n1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 | cut -d. -f1,2 || true)
    for release in "${listed[@]}"; do
        [[ $release == "$here" ]] || releases+=("$release")
    done
fi
require_listed "${releases[@]}"
prepare_roots

# The test executables, built once on this machine: name -> path.
log "building the test executables"
declare -A executables=()
while IFS=$'\t' read -r name path; do
    executables[$name]=$path
done < <(test_executables tcpwave-tests tcpwave-cli)
for name in "${plugin_tests[@]}" "${cli_tests[@]}"; do
    [[ -n ${executables[$name]:-} ]] || die "cargo built no test executable named $name"
done

failed=()
for release in "${releases[@]}"; do
    if ! make_root "$release"; then
        failed+=("$release (no root file system)")
        continue
    fi
    root=$cache/$release
    remove_tcpwave_package "$root"
    IFS='|' read -r name suite _ < <(distribution "$release")
    version=$(chroot "$root" tshark --version 2>/dev/null | head -n1)
    log "$release: ${version%.} from $name ($suite)"

    build_env=(TCPWAVE_WIRESHARK="$release" TCPWAVE_WIRESHARK_INCLUDE="$root/usr/include/wireshark")
    release_target=$target/wireshark-$release
    if ! (cd "$repo" && env "${build_env[@]}" "$cargo" test -q --release -p wireshark-headers --test layout \
        --target-dir "$release_target"); then
        log "$release: the declarations do not match the real $release headers"
        failed+=("$release (layout)")
        continue
    fi
    (cd "$repo" && env "${build_env[@]}" "$cargo" build -q --release -p tcpwave-plugin --target-dir "$release_target") ||
        die "$release: the plugin does not build"
    plugin=$release_target/release/libtcpwave.so

    for name in "${plugin_tests[@]}" "${cli_tests[@]}"; do
        skip=()
        [[ " ${cli_tests[*]} " == *" $name "* ]] && skip=("${cli_skip[@]}")
        log "$release: $name"
        if ! in_root "$root" TCPWAVE_TEST_PLUGIN="$plugin" TCPWAVE_SHARED="$shared" "${executables[$name]}" -q "${skip[@]}"; then
            failed+=("$release ($name)")
        fi
    done
done

if ((${#failed[@]})); then
    log "FAILED: ${failed[*]}"
    exit 1
fi
log "passed: ${releases[*]}"
