#!/usr/bin/env bash
# Builds the tcpwave plugin for every Wireshark version it supports (every row
# of wireshark-headers/releases.tsv) and lays
# the builds out as OUTDIR/<major.minor>/epan/tcpwave.so, ready to copy into a
# user's plugin folder (~/.local/lib/wireshark/plugins/<major.minor>/epan/).
# Each build must export the entry points its version's loader looks up and
# must want exactly that version; anything else fails the run.
#
# usage: bash scripts/release.sh [OUTDIR]    (default: target/plugins)
# Each version builds in its own target/wireshark-X.Y, so neither the builds
# nor the developer's target/release clobber one another.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/target/plugins}
cargo=${CARGO:-cargo}
# The first column of every row of the list of supported releases, after its header line.
mapfile -t versions < <(awk -F'\t' 'NR > 1 && $1 != "" { print $1 }' "$root/wireshark-headers/releases.tsv")

fail() {
    echo "release: $*" >&2
    exit 1
}
((${#versions[@]})) || fail "wireshark-headers/releases.tsv lists no release"

# The 4-byte little-endian int the exported symbol $2 of $1 holds.
exported_int() {
    local so=$1 symbol=$2 address section bytes
    read -r address section < <(objdump -T "$so" | awk -v name="$symbol" '$NF == name { print $1, $4 }')
    [[ -n $address ]] || fail "$so does not export $symbol"
    bytes=$(objdump -s -j "$section" --start-address="0x$address" --stop-address="$((0x$address + 4))" "$so" |
        awk '/^ [0-9a-f]+ [0-9a-f]+ / { print $2; exit }')
    [[ ${#bytes} == 8 ]] || fail "cannot read $symbol in $so"
    echo $((16#${bytes:6:2}${bytes:4:2}${bytes:2:2}${bytes:0:2}))
}

# Fails unless plugin $1 is a loadable tcpwave for Wireshark $2.
check_plugin() {
    local so=$1 version=$2 symbols symbol
    symbols=$(nm -D --defined-only "$so" | awk '{ print $3 }')
    for symbol in plugin_version plugin_want_major plugin_want_minor plugin_register; do
        grep -qx "$symbol" <<<"$symbols" || fail "$so ($version) does not export $symbol"
    done
    # Wireshark 4.4 added the optional plugin_describe(); older loaders never call it.
    case $version in
    4.0 | 4.2) ! grep -qx plugin_describe <<<"$symbols" || fail "$so ($version) exports plugin_describe" ;;
    *) grep -qx plugin_describe <<<"$symbols" || fail "$so ($version) does not export plugin_describe" ;;
    esac
    local wanted
    wanted="$(exported_int "$so" plugin_want_major).$(exported_int "$so" plugin_want_minor)"
    [[ $wanted == "$version" ]] || fail "$so was built for Wireshark $version but wants $wanted"
    echo "release: $version: $so exports the $version entry points and wants Wireshark $wanted"
}

for version in "${versions[@]}"; do
    target_dir=$root/target/wireshark-$version
    TCPWAVE_WIRESHARK=$version CARGO_TARGET_DIR=$target_dir \
        "$cargo" build --manifest-path "$root/Cargo.toml" -p tcpwave-plugin --release
    mkdir -p "$out/$version/epan"
    cp "$target_dir/release/libtcpwave.so" "$out/$version/epan/tcpwave.so"
    check_plugin "$out/$version/epan/tcpwave.so" "$version"
done
echo "release: plugins for Wireshark ${versions[*]} are in $out"
