#!/usr/bin/env bash
# The Debian packages (scripts/package.sh), each installed the way a user installs it into the
# distribution its Wireshark release comes from (the release roots of scripts/release-roots.sh):
#
#   bash tests/packages.sh [RELEASE...]        (default: every row of releases.tsv)
#
# In each root: `apt-get install ./tcpwave_<version>_<X.Y>_amd64.deb` succeeds; then, as an
# unprivileged user with no plugin folder of its own, `tshark -G plugins` lists tcpwave from the
# global folder, the kernel captures' labels equal tests/expected/ (the kernel_labels test against
# the installed plugin), `tcpwave report` on the sample prints its 15 rows, `tcpwave doctor` names
# the package, `man tcpwave` renders and the completions are where bash finds them; then
# `apt-get remove tcpwave` leaves none of the package's files behind. The packages are built
# twice and must be the same bytes. A package of another release is refused by apt (dependency),
# checked with the 4.4 package in the 4.6 root.
#
# Needs root (chroot, mounts) and the network for roots not made yet. Exit status: 0 when every
# release passed, 1 when one failed, 2 on bad usage.
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(realpath -m "${TCPWAVE_SHARED:-$repo/../shared}")
cache=${TCPWAVE_RELEASES_DIR:-$HOME/.cache/tcpwave-releases}
cargo=${CARGO:-cargo}

log() { echo "packages: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}
# shellcheck source=scripts/release-roots.sh
source "$repo/scripts/release-roots.sh"

releases=("$@")
((${#releases[@]})) || mapfile -t releases < <(listed_releases)
require_listed "${releases[@]}"
prepare_roots
version=$(cd "$repo" && "$cargo" metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "tcpwave-cli"))')

# Built twice from the same sources: the same bytes.
debs=$target/packages
rm -rf "$debs" "$debs.again"
bash "$repo/scripts/package.sh" "$debs" "${releases[@]}"
bash "$repo/scripts/package.sh" "$debs.again" "${releases[@]}" 2>/dev/null
for deb in "$debs"/*.deb; do
    cmp -s "$deb" "$debs.again/${deb##*/}" || die "${deb##*/} differs between two builds of the same sources"
done
rm -rf "$debs.again"
log "the packages are reproducible: two builds gave the same bytes"

# The kernel_labels test executable, built on this machine, run in the roots.
kernel_labels=$(test_executables tcpwave-tests | awk -F'\t' '$1 == "kernel_labels" { print $2 }')
[[ -n $kernel_labels ]] || die "cargo built no kernel_labels test executable"

# What runs in the root, as root (apt) and then as nobody: the checks above, one line each.
check_in_root() {
    local release=$1 deb=$2 repo=$3 kernel_labels=$4 shared=$5
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0)
    fail() {
        echo "packages: $release: $*" >&2
        exit 1
    }
    "${apt[@]}" install "$deb" >/tmp/apt.log 2>&1 || fail "apt-get install $deb failed: $(tail -n 3 /tmp/apt.log)"
    mapfile -t files < <(dpkg -L tcpwave)
    # The one harness for "as nobody": with --installed, no plugin folder of its own.
    bash "$repo/scripts/private-tshark.sh" --installed /tmp/nobody >/dev/null || fail "no harness"
    local nobody=(/tmp/nobody/run)
    "${nobody[@]}" tshark -G plugins | grep -qE "^tcpwave\.so.*/usr/lib/x86_64-linux-gnu/wireshark/plugins/$release/epan/tcpwave\.so" ||
        fail "tshark -G plugins does not list the installed tcpwave.so"
    TCPWAVE_TEST_PLUGIN=installed TCPWAVE_SHARED=$shared "$kernel_labels" -q >/tmp/labels.log 2>&1 ||
        fail "the kernel captures' labels differ from tests/expected: $(grep -m3 -E 'panicked|mismatch|FAILED' /tmp/labels.log)"
    cp "$repo/tests/data/sample.pcap" /tmp/nobody/ && chmod a+r /tmp/nobody/sample.pcap
    local rows
    rows=$(cd /tmp/nobody && "${nobody[@]}" tcpwave report --format csv sample.pcap) || fail "tcpwave report failed"
    [[ $(grep -c '^sample.pcap,' <<<"$rows") == 15 ]] || fail "tcpwave report printed $(grep -c '^sample.pcap,' <<<"$rows") rows, not 15"
    "${nobody[@]}" tcpwave doctor 2>&1 | grep -q "installed by *the Debian package tcpwave" ||
        fail "tcpwave doctor does not name the package"
    "${nobody[@]}" man -P cat tcpwave 2>/dev/null | grep -q "tcpwave report" || fail "man tcpwave does not render"
    "${nobody[@]}" man -P cat tcpwave-report 2>/dev/null | grep -q -- "--display-filter" || fail "man tcpwave-report does not render"
    [[ -s /usr/share/bash-completion/completions/tcpwave ]] || fail "no bash completion"
    [[ -f /usr/share/wireshark/profiles/tcpwave/colorfilters ]] || fail "no global tcpwave profile"
    "${apt[@]}" remove tcpwave >/tmp/apt.log 2>&1 || fail "apt-get remove tcpwave failed: $(tail -n 3 /tmp/apt.log)"
    local file left=()
    for file in "${files[@]}"; do
        # Directories the package shares with others stay; its own files and folders go.
        if [[ -e $file && (! -d $file || $file == *tcpwave*) ]]; then
            left+=("$file")
        fi
    done
    ((${#left[@]} == 0)) || fail "apt-get remove left ${left[*]}"
    echo "packages: $release: installed, loaded from the global folder, labels as expected, report, doctor, man, removed clean" >&2
}

failed=()
for release in "${releases[@]}"; do
    if ! make_root "$release"; then
        failed+=("$release (no root file system)")
        continue
    fi
    root=$cache/$release
    remove_tcpwave_package "$root"
    # Roots made before man-db was part of them get it now.
    if ! chroot "$root" dpkg-query -W -f='${Status}' man-db 2>/dev/null | grep -q "install ok installed"; then
        chroot "$root" env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            sh -c 'apt-get -q update && apt-get -q install -y --no-install-recommends man-db' >>"$cache/$release.log" 2>&1 ||
            { failed+=("$release (cannot install man-db)") && continue; }
    fi
    deb=$debs/tcpwave_${version}_${release}_amd64.deb
    if ! in_root "$root" PATH=/usr/sbin:/usr/bin:/sbin:/bin bash -c "$(declare -f check_in_root); check_in_root \"\$@\"" _ \
        "$release" "$deb" "$repo" "$kernel_labels" "$shared"; then
        failed+=("$release")
    fi
    remove_tcpwave_package "$root"
done

# Another release's package is refused: apt will not install the 4.4 plugin beside Wireshark 4.6.
if [[ " ${releases[*]} " == *" 4.4 "* && " ${releases[*]} " == *" 4.6 "* && -d $cache/4.6 ]]; then
    refusal=$(in_root "$cache/4.6" PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get -s install "$debs/tcpwave_${version}_4.4_amd64.deb" 2>&1) &&
        failed+=("4.4 in 4.6 (apt accepted it)")
    libwireshark=$(awk -F'\t' 'NR > 1 && $1 == "4.4" { print $7 }' "$releases_tsv")
    if grep -q "Depends: $libwireshark" <<<"$refusal"; then
        log "4.4 in 4.6: refused by apt (tcpwave depends on $libwireshark)"
    else
        failed+=("4.4 in 4.6 (not refused for $libwireshark: $(tail -n 2 <<<"$refusal"))")
    fi
fi

if ((${#failed[@]})); then
    log "FAILED: ${failed[*]}"
    exit 1
fi
log "passed: ${releases[*]}"
