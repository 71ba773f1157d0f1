#!/usr/bin/env bash
# Runs tcpwave against the real Wireshark releases other than Debian 12's 4.0: for each one it
# makes a minimal root file system of a distribution that ships it (debootstrap, packages checked
# against the distribution's signing keys), builds the plugin for that release on this machine,
# checks the release's declarations against the real headers in that root (layout and
# signatures), then runs the plugin and CLI integration tests inside the root with its tshark.
#
#   bash tests/wireshark-releases.sh [RELEASE...]      (default: 4.2 4.4 4.6)
#
#   4.2  Ubuntu 24.04 (noble)   archive.ubuntu.com
#   4.4  Debian 13 (trixie)     deb.debian.org
#   4.6  Ubuntu 26.04 (resolute) archive.ubuntu.com
#
# Needs root (debootstrap, chroot, mounts in a private mount namespace) and the network. The roots
# are kept in TCPWAVE_RELEASES_DIR (default ~/.cache/tcpwave-releases) and made again when their
# tshark is not the release wanted. Builds go to target/wireshark-X.Y, as tests/release.sh's do.
# Exit status: 0 when every release passed, 1 when one failed, 2 on bad usage.
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(realpath -m "${TCPWAVE_SHARED:-$repo/../shared}")
cache=${TCPWAVE_RELEASES_DIR:-$HOME/.cache/tcpwave-releases}
cargo=${CARGO:-cargo}

# ubuntu-keyring from Ubuntu 24.04, pinned by hash: Debian 12 does not package Ubuntu's keys.
# Stable releases only: their Wireshark stays at one major.minor for good.
ubuntu_keyring_deb=pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb
ubuntu_keyring_sha256=36de43b15853ccae0028e9a767613770c704833f82586f28eb262f0311adb8a8

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

releases=("$@")
((${#releases[@]})) || releases=(4.2 4.4 4.6)
for release in "${releases[@]}"; do
    case $release in
    4.2 | 4.4 | 4.6) ;;
    *) log "no distribution is known for Wireshark '$release' (4.2, 4.4 or 4.6)" && exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || die "needs root: debootstrap, chroot and bind mounts (run it with sudo)"

bash "$repo/tests/setup.sh" debootstrap
mkdir -p "$cache"

# Distribution, suite, mirror, components and keyring of each release; "ubuntu" stands for the
# keyring ubuntu_keyring fetches, only when a root is made.
distribution() {
    case $1 in
    4.2) echo "Ubuntu 24.04|noble|http://archive.ubuntu.com/ubuntu|main,universe|ubuntu" ;;
    4.4) echo "Debian 13|trixie|http://deb.debian.org/debian|main|/usr/share/keyrings/debian-archive-keyring.gpg" ;;
    4.6) echo "Ubuntu 26.04|resolute|http://archive.ubuntu.com/ubuntu|main,universe|ubuntu" ;;
    esac
}

# The path of Ubuntu's archive keyring, fetched once; fails, saying why, when it cannot be had.
ubuntu_keyring() {
    local keyring=$cache/ubuntu-archive-keyring.gpg deb
    if [[ ! -s $keyring ]]; then
        deb=$(mktemp)
        curl -fsS --retry 3 -o "$deb" "http://archive.ubuntu.com/ubuntu/$ubuntu_keyring_deb" ||
            die "cannot download Ubuntu's keyring package"
        echo "$ubuntu_keyring_sha256  $deb" | sha256sum --check --status ||
            die "Ubuntu's keyring package does not have the pinned SHA-256"
        dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/keyrings/ubuntu-archive-keyring.gpg >"$keyring.new" ||
            die "Ubuntu's keyring package holds no ubuntu-archive-keyring.gpg"
        mv "$keyring.new" "$keyring"
        rm -f "$deb"
    fi
    echo "$keyring"
}

# "4.2" from the root's `tshark --version`, or nothing.
root_release() {
    chroot "$1" tshark --version 2>/dev/null | head -n1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 | cut -d. -f1,2
}

# A root file system holding the release's tshark and headers, made when missing or stale;
# fails, saying why, when it cannot be made.
make_root() {
    local release=$1 name suite mirror components keyring root=$cache/$1
    IFS='|' read -r name suite mirror components keyring < <(distribution "$release")
    if [[ -f $root/.tcpwave-ready && $(root_release "$root") == "$release" ]]; then
        return
    fi
    log "$release: making a $name ($suite) root in $root"
    if [[ $keyring == ubuntu ]]; then
        keyring=$(ubuntu_keyring) || return 1
    fi
    # Ubuntu's suites all use debootstrap's gutsy script; Debian 12's debootstrap predates noble.
    local script=()
    [[ $mirror == *ubuntu* ]] && script=(/usr/share/debootstrap/scripts/gutsy)
    # debootstrap lays down the base system; apt inside the root then installs tshark, as it
    # resolves the virtual packages some of its libraries depend on, which debootstrap does not.
    # A second attempt rides out a mirror's passing failure.
    local attempt
    for attempt in 1 2; do
        rm -rf "$root"
        debootstrap --variant=minbase --components="$components" --keyring="$keyring" \
            "$suite" "$root" "$mirror" "${script[@]}" >"$cache/$release.log" 2>&1 && break
        if ((attempt == 2)); then
            log "$release: debootstrap $suite failed; its log: $cache/$release.log ($(tail -n1 "$cache/$release.log"))"
            return 1
        fi
        log "$release: debootstrap $suite failed ($(tail -n1 "$cache/$release.log")); trying again"
    done
    local apt=(chroot "$root" env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get -q)
    if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends tshark libwireshark-dev time; } \
        >>"$cache/$release.log" 2>&1; then
        log "$release: installing tshark in the $suite root failed; its log: $cache/$release.log ($(tail -n1 "$cache/$release.log"))"
        return 1
    fi
    chroot "$root" apt-get clean
    local found
    found=$(root_release "$root")
    if [[ $found != "$release" ]]; then
        log "$release: $name ($suite) ships Wireshark ${found:-none}, not $release; this release needs another source"
        return 1
    fi
    touch "$root/.tcpwave-ready"
}

# Runs a command inside the root, with the repository, the shared folder and the target folder at
# their own paths, in a mount namespace of its own that vanishes with it. The root's own /tmp is
# mounted first, so that a repository under /tmp (git clone . /tmp/fresh) is not hidden by it.
in_root() {
    local root=$1
    shift
    unshare --mount --propagation private bash -c '
        set -e
        root=$1 repo=$2 shared=$3 target=$4
        shift 4
        mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
        for dir in "$repo" "$shared" "$target"; do
            mkdir -p "$root$dir"
            mount --bind "$dir" "$root$dir"
        done
        mount -t proc proc "$root/proc"
        mount --bind /dev "$root/dev"
        exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 "$@"
    ' _ "$root" "$repo" "$shared" "$target" "$@"
}

target=$(cd "$repo" && "$cargo" metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

# The test executables, built once on this machine: name -> path.
log "building the test executables"
declare -A executables=()
while IFS=$'\t' read -r name path; do
    executables[$name]=$path
done < <(cd "$repo" && "$cargo" test -p tcpwave-tests -p tcpwave-cli --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("executable") and message["profile"]["test"]:
        print(message["target"]["name"], message["executable"], sep="\t")
')
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
