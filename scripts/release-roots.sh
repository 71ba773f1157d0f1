#!/usr/bin/env bash
# Release roots: a minimal root file system per supported Wireshark release, of a distribution
# that ships it (debootstrap, packages checked against the distribution's signing keys), with its
# tshark; sourced by scripts/wireshark-releases.sh (the plugin and CLI tests in each root) and
# tests/packages.sh (the Debian packages installed into each root).
#
# The sourcing script sets repo (the repository), cache (where roots are kept), shared (the shared
# captures), log and die; prepare_roots sets target (cargo's target folder).
# The releases and their distributions are the rows of wireshark-headers/releases.tsv.

releases_tsv=$repo/wireshark-headers/releases.tsv

# ubuntu-keyring from Ubuntu 24.04, pinned by hash: Debian 12 does not package Ubuntu's keys.
# Stable releases only: their Wireshark stays at one major.minor for good.
ubuntu_keyring_deb=pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb
ubuntu_keyring_sha256=36de43b15853ccae0028e9a767613770c704833f82586f28eb262f0311adb8a8

# Distribution, suite, mirror, components, keyring and libwireshark package of a release, from
# its row of releases.tsv, joined by "|"; nothing for a release the table does not list. A keyring
# "ubuntu" stands for the keyring ubuntu_keyring fetches, only when a root is made.
distribution() {
    awk -F'\t' -v release="$1" 'NR > 1 && $1 == release { print $2 "|" $3 "|" $4 "|" $5 "|" $6 "|" $7; exit }' "$releases_tsv"
}
# Every release the table lists, in its order.
listed_releases() { awk -F'\t' 'NR > 1 && $1 != "" { print $1 }' "$releases_tsv"; }

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
    local release=$1 name suite mirror components keyring libwireshark root=$cache/$1
    IFS='|' read -r name suite mirror components keyring libwireshark < <(distribution "$release")
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
    if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends tshark libwireshark-dev time man-db; } \
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
    if ! chroot "$root" dpkg-query -W -f='${Status}' "$libwireshark" 2>/dev/null | grep -q "install ok installed"; then
        log "$release: $name ($suite) installed tshark without $libwireshark, the libwireshark package $releases_tsv names: $(chroot "$root" dpkg-query -W 'libwireshark[0-9]*' 2>/dev/null | cut -f1 | tr '\n' ' ')"
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


# Removes the tcpwave Debian package from root $1 when a test left it there: a plugin in the
# global folder would load beside the one the tests put in their private folder.
remove_tcpwave_package() {
    if chroot "$1" dpkg-query -W -f='${Status}' tcpwave 2>/dev/null | grep -q "install ok installed"; then
        log "removing the tcpwave package left in $1"
        chroot "$1" env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            dpkg --purge tcpwave >/dev/null
    fi
}

# Exits with status 2, saying why, unless every argument is a release releases.tsv lists.
require_listed() {
    local release
    for release; do
        if [[ -z $(distribution "$release") ]]; then
            log "no distribution is known for Wireshark '$release': $releases_tsv lists $(listed_releases | tr '\n' ' ')"
            exit 2
        fi
    done
}

# What making and entering roots needs: root, debootstrap, the cache folder; sets target.
prepare_roots() {
    [ "$(id -u)" -eq 0 ] || die "needs root: debootstrap, chroot and bind mounts (run it with sudo)"
    bash "$repo/scripts/setup.sh" debootstrap
    mkdir -p "$cache"
    target=$(cd "$repo" && "${CARGO:-cargo}" metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
}

# The integration test executables of the packages named, built once on this machine, one
# "name<TAB>path" line each: what the scripts run inside the roots.
test_executables() {
    local args=() package
    for package; do args+=(-p "$package"); done
    (cd "$repo" && "${CARGO:-cargo}" test "${args[@]}" --no-run --message-format=json 2>/dev/null) |
        python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("executable") and message["profile"]["test"]:
        print(message["target"]["name"], message["executable"], sep="\t")
'
}
