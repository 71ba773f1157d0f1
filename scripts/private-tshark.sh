#!/usr/bin/env bash
# tshark as an unprivileged user with a private plugin folder: the one harness that the tests (the
# shell ones and, through std::process::Command, the Rust ones), the sample and the benchmark use.
#
#   bash scripts/private-tshark.sh [--system-plugins] PLUGIN_SO|--no-plugin|--installed DIR
#
# Makes, in DIR (created when missing; DIR and everything in it readable by everyone):
#   DIR/plugins/<release>/epan/tcpwave.so   a copy of PLUGIN_SO; <release> is the last part of this
#                                            tshark's "Global Plugins" folder (`tshark -G folders`),
#                                            the major.minor folder its plugin loader reads
#   DIR/home                                 a private HOME, writable by everyone
#   DIR/run CMD [ARG...]                     runs CMD with HOME=DIR/home,
#                                            XDG_CONFIG_HOME=DIR/home/.config and
#                                            WIRESHARK_PLUGIN_DIR=DIR/plugins; when started by root,
#                                            as uid/gid 65534 (setpriv --reuid=65534 --regid=65534
#                                            --clear-groups)
#   DIR/tshark [ARG...]                      DIR/run TSHARK [ARG...]: what to hand the CLI as
#                                            TCPWAVE_TSHARK, or to run instead of tshark
# and prints DIR/tshark's path on stdout. Both wrappers exec, so tshark keeps the wrapper's process
# (GNU time and timeouts see tshark itself).
#
#   --no-plugin       an empty plugin folder: tshark without tcpwave, under the same conditions
#   --installed       no plugin folder of its own (no WIRESHARK_PLUGIN_DIR): tshark loads the
#                     tcpwave.so installed in its global plugin folder (the Debian package's),
#                     which must be there
#   --system-plugins  also link the system's global plugins (any tcpwave.so left out) into
#                     DIR/plugins/<release>: WIRESHARK_PLUGIN_DIR replaces the global plugin
#                     folder, so without them tshark loads tcpwave alone
#   TSHARK=PATH       the tshark to run (default: the one on PATH, resolved now)
#
# Why: tshark run as root ignores WIRESHARK_PLUGIN_DIR and the personal plugin folder, so as root
# it must run as someone else; the wrapper's check is the only root check the scripts make. Fails
# (status 1) when uid 65534 cannot reach DIR (put it where everyone can enter, as /tmp), 2 on bad
# usage.
set -euo pipefail

usage() {
    echo "usage: bash scripts/private-tshark.sh [--system-plugins] PLUGIN_SO|--no-plugin|--installed DIR" >&2
    exit 2
}
die() {
    echo "private-tshark: $*" >&2
    exit 1
}

system_plugins=0
plugin=
no_plugin=0
installed=0
positional=()
while (($#)); do
    case $1 in
    --system-plugins) system_plugins=1 ;;
    --no-plugin) no_plugin=1 ;;
    --installed) installed=1 ;;
    -h | --help) usage ;;
    -*) echo "private-tshark: unknown option $1" >&2 && usage ;;
    *) positional+=("$1") ;;
    esac
    shift
done
if ((no_plugin || installed)); then
    ((${#positional[@]} == 1)) || usage
    dir=${positional[0]}
else
    ((${#positional[@]} == 2)) || usage
    plugin=${positional[0]} dir=${positional[1]}
    [[ -f $plugin && -r $plugin ]] || die "cannot read the plugin $plugin"
fi

tshark=${TSHARK:-$(command -v tshark || true)}
[[ -n $tshark ]] || die "tshark not found on PATH (apt-get install tshark, or bash scripts/setup.sh)"
[[ $tshark == /* ]] || tshark=$(command -v "$tshark") || die "no tshark at $TSHARK"
[[ -x $tshark ]] || die "$tshark is not executable"

global=$("$tshark" -G folders 2>/dev/null | sed -n 's/^Global Plugins:[[:space:]]*//p' | head -n 1)
[[ -n $global ]] || die "\`$tshark -G folders\` names no global plugin folder"
release=$(basename "$global")
if ((installed)); then
    [[ -f $global/epan/tcpwave.so ]] || die "--installed: no tcpwave.so in $global/epan"
    no_plugin=1
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
versioned=$dir/plugins/$release
mkdir -p "$versioned" "$dir/home"
if ((system_plugins)) && [[ -d $global ]]; then
    for kind in "$global"/*/; do
        kind=${kind%/}
        mkdir -p "$versioned/${kind##*/}"
        for library in "$kind"/*; do
            [[ -e $library && ${library##*/} != tcpwave.so ]] || continue
            ln -sfn "$library" "$versioned/${kind##*/}/${library##*/}"
        done
    done
fi
if ((!no_plugin)); then
    mkdir -p "$versioned/epan"
    cp "$plugin" "$versioned/epan/tcpwave.so"
fi

# Single-quoted for sh, whatever the path holds.
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
cat >"$dir/run" <<RUN
#!/bin/sh
# Made by scripts/private-tshark.sh: runs a command as tshark's private user, with the private
# HOME and plugin folder. tshark run as root ignores WIRESHARK_PLUGIN_DIR: as root, run as 65534.
HOME=$(quote "$dir/home")
XDG_CONFIG_HOME=$(quote "$dir/home/.config")
$(if ((installed)); then
    echo "export HOME XDG_CONFIG_HOME"
    echo "unset WIRESHARK_PLUGIN_DIR WIRESHARK_CONFIG_DIR"
else
    echo "WIRESHARK_PLUGIN_DIR=$(quote "$dir/plugins")"
    echo "export HOME XDG_CONFIG_HOME WIRESHARK_PLUGIN_DIR"
    echo "unset WIRESHARK_CONFIG_DIR"
fi)
if [ "\$(id -u)" -eq 0 ]; then
    exec setpriv --reuid=65534 --regid=65534 --clear-groups "\$@"
fi
exec "\$@"
RUN
cat >"$dir/tshark" <<TSHARK
#!/bin/sh
# Made by scripts/private-tshark.sh: $tshark with the private plugin folder $dir/plugins.
exec $(quote "$dir/run") $(quote "$tshark") "\$@"
TSHARK
chmod 0755 "$dir/run" "$dir/tshark"
chmod -R a+rX "$dir/plugins"
chmod a+rX "$dir"
chmod 0777 "$dir/home"

if ! "$dir/run" test -x "$dir/tshark" ||
    { ((!no_plugin)) && ! "$dir/run" test -r "$versioned/epan/tcpwave.so"; }; then
    die "the user tshark runs as (uid 65534 when started as root) cannot reach $dir: make it somewhere everyone can enter (TMPDIR=/tmp)"
fi
echo "$dir/tshark"
