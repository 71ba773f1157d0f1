#!/usr/bin/env bash
# Writes one Debian package per supported Wireshark release (every row of
# wireshark-headers/releases.tsv, or the releases named):
#
#   bash scripts/package.sh OUTDIR [RELEASE...]
#     -> OUTDIR/tcpwave_<version>_<X.Y>_amd64.deb
#
# Each holds the plugin built for that release in the distribution's global plugin folder, the
# tcpwave command, its man pages and bash/zsh/fish completions (generated from the command-line
# definitions), the Wireshark profile as a global profile, the copyright and changelog. It depends
# on that distribution's libwireshark package, so apt refuses it beside another Wireshark release.
# Version, maintainer, description and changelog come from Cargo.toml. The packages are
# reproducible: every date is the last commit's, every file owned by root with fixed modes, so
# the same sources give the same bytes.
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
releases_tsv=$repo/wireshark-headers/releases.tsv
cargo=${CARGO:-cargo}

log() { echo "package: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

(($#)) || {
    echo "usage: bash scripts/package.sh OUTDIR [RELEASE...]" >&2
    exit 2
}
out=$(realpath -m "$1")
shift
releases=("$@")
if ((${#releases[@]} == 0)); then
    mapfile -t releases < <(awk -F'\t' 'NR > 1 && $1 != "" { print $1 }' "$releases_tsv")
fi
# The libwireshark package of each release, from the list's last column.
libwireshark_of() {
    awk -F'\t' -v release="$1" 'NR > 1 && $1 == release { print $7 }' "$releases_tsv"
}
for release in "${releases[@]}"; do
    [[ -n $(libwireshark_of "$release") ]] || {
        log "$release is not a row of $releases_tsv"
        exit 2
    }
done
for tool in dpkg-deb objdump gzip python3; do
    command -v "$tool" >/dev/null || die "$tool not found (bash scripts/setup.sh installs it)"
done

# Every date in the packages is the last commit's (SOURCE_DATE_EPOCH, as reproducible builds do).
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH

# name, version, maintainer, description, homepage, licence and changelog, one per line.
metadata=$("$cargo" metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" | python3 -c '
import json, sys
meta = json.load(sys.stdin)
cli = next(p for p in meta["packages"] if p["name"] == "tcpwave-cli")
changes = meta["metadata"]["changelog"][cli["version"]]
print(cli["version"]); print(cli["authors"][0]); print(cli["description"])
print(cli["repository"]); print(cli["license"]); print(json.dumps(changes))
print(meta["target_directory"])')
{
    read -r version
    read -r maintainer
    read -r description
    read -r homepage
    read -r licence
    read -r changes_json
    read -r target
} <<<"$metadata"

log "building the tcpwave command (release)"
"$cargo" build --quiet --release --manifest-path "$repo/Cargo.toml" -p tcpwave-cli
tcpwave=$target/release/tcpwave
plugins=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$plugins" "$work"' EXIT
log "building the plugin for Wireshark ${releases[*]}"
# release.sh builds each listed release and checks its exported entry points.
bash "$repo/scripts/release.sh" "$plugins" >/dev/null

# The oldest glibc the command and the plugin need, from the symbol versions they use.
glibc_needed() {
    objdump -T "$@" | grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sed 's/GLIBC_//' | sort -uV | tail -n1
}

# Lays out the package tree of release $1 in $2.
lay_out() {
    local release=$1 tree=$2 doc=$2/usr/share/doc/tcpwave
    install -D -m 0755 "$tcpwave" "$tree/usr/bin/tcpwave"
    install -D -m 0644 "$plugins/$release/epan/tcpwave.so" \
        "$tree/usr/lib/x86_64-linux-gnu/wireshark/plugins/$release/epan/tcpwave.so"
    strip --strip-unneeded "$tree/usr/bin/tcpwave" "$tree/usr/lib/x86_64-linux-gnu/wireshark/plugins/$release/epan/tcpwave.so"
    # A global profile: Wireshark lists it beside its own, no `tcpwave install --profile` needed.
    local profile=$tree/usr/share/wireshark/profiles/tcpwave
    install -d "$profile"
    install -m 0644 "$repo"/postproc/profile/tcpwave/* "$profile/"
    "$tcpwave" generate man "$work/man"
    install -d "$tree/usr/share/man/man1"
    local page
    for page in "$work"/man/*.1; do
        gzip -9n <"$page" >"$tree/usr/share/man/man1/$(basename "$page").gz"
    done
    "$tcpwave" generate bash "$work/completions"
    "$tcpwave" generate zsh "$work/completions"
    "$tcpwave" generate fish "$work/completions"
    install -D -m 0644 "$work/completions/tcpwave.bash" "$tree/usr/share/bash-completion/completions/tcpwave"
    install -D -m 0644 "$work/completions/_tcpwave" "$tree/usr/share/zsh/vendor-completions/_tcpwave"
    install -D -m 0644 "$work/completions/tcpwave.fish" "$tree/usr/share/fish/vendor_completions.d/tcpwave.fish"
    install -d "$doc"
    cat >"$doc/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tcpwave
Source: $homepage

Files: *
Copyright: $maintainer
License: $licence
 This program is free software; you can redistribute it and/or modify it under the terms of
 the GNU General Public License as published by the Free Software Foundation; either version 2
 of the License, or (at your option) any later version.
 .
 On Debian systems, the complete text of the GNU General Public License version 2 can be found
 in /usr/share/common-licenses/GPL-2.
COPYRIGHT
    local date
    date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
    {
        echo "tcpwave ($deb_version) unstable; urgency=medium"
        echo
        python3 -c 'import json, sys; [print("  * " + change) for change in json.loads(sys.argv[1])]' "$changes_json"
        echo
        echo " -- $maintainer  $date"
    } | gzip -9n >"$doc/changelog.Debian.gz"
    local installed_size
    installed_size=$(du -sk --apparent-size "$tree" | cut -f1)
    install -d "$tree/DEBIAN"
    cat >"$tree/DEBIAN/control" <<CONTROL
Package: tcpwave
Version: $deb_version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $(libwireshark_of "$release"), libc6 (>= $(glibc_needed "$tree/usr/bin/tcpwave" "$tree/usr/lib/x86_64-linux-gnu/wireshark/plugins/$release/epan/tcpwave.so"))
Recommends: tshark
Section: net
Priority: optional
Homepage: $homepage
Description: $description
 tcpwave labels every TCP packet in Wireshark with the step of the three-way
 handshake or four-way teardown it is, checks its acknowledgment number against
 that step and shows the TCP state it leaves each side in. This package holds
 the plugin built for Wireshark $release and the tcpwave command, which reports
 every connection of a capture (tables, CSV, JSON, HTML with ladder diagrams,
 Zeek conn_state and history).
CONTROL
    # Fixed modes and dates, so that the same inputs give the same bytes.
    find "$tree" -type d -exec chmod 0755 {} +
    find "$tree" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
}

mkdir -p "$out"
for release in "${releases[@]}"; do
    deb_version=$version+wireshark$release
    tree=$work/tree-$release
    rm -rf "$tree" "$work/man" "$work/completions"
    lay_out "$release" "$tree"
    deb=$out/tcpwave_${version}_${release}_amd64.deb
    dpkg-deb --root-owner-group -Zxz --build "$tree" "$deb" >/dev/null
    log "$release: $deb ($(stat -c %s "$deb") bytes, depends on $(libwireshark_of "$release"))"
done
