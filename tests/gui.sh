#!/usr/bin/env bash
# GUI test: the real Wireshark (Debian's wireshark-qt) under Xvfb, with the plugin in a private
# plugin folder (scripts/private-tshark.sh, which also runs everything as nobody when started as
# root) and the tcpwave profile (postproc/profile/tcpwave), opens a kernel capture filtered by
# `tcpwave.step == 3` and saves a screenshot. Fails when
#   - `tshark -G plugins` does not list the plugin,
#   - Wireshark shows any window but its main one (errors are modal dialogs, not stderr),
#   - the status bar does not read the capture's packet count and the expected displayed count, or
#     the packet list does not show the expected frames under the profile's columns,
#   - Wireshark does not quit cleanly.
# The status bar and the packet list are read through AT-SPI, as a screen reader would
# (tests/gui_atspi.py). Installs what is missing (run through cargo test, only with
# TCPWAVE_SYSTEM_TESTS=1: see tests/gui.rs).
#   bash tests/gui.sh [PLUGIN.so OUTDIR]    (default: builds the plugin and writes target/gui/)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

bash "$repo/scripts/setup.sh" wireshark-qt xvfb xauth imagemagick xdotool dbus-daemon dbus-bin \
    dbus-session-bus-common at-spi2-core gir1.2-atspi-2.0 python3-gi

if (($# == 0)); then
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p tcpwave-plugin
    target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    set -- "$target/release/libtcpwave.so" "$target/gui"
fi
plugin=$1 out=$2
capture=client_closes_first.pcap
filter='tcpwave.step == 3'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
# The harness: $work/plugins/<release>/epan/tcpwave.so, the private HOME $work/home, and $work/run,
# which runs a command as the private user (nobody when started as root: Wireshark run as root
# ignores WIRESHARK_PLUGIN_DIR and the personal plugin folder) with that HOME and plugin folder.
bash "$repo/scripts/private-tshark.sh" --system-plugins "$plugin" "$work" >/dev/null
home=$work/home
installed=$(echo "$work"/plugins/*/epan/tcpwave.so)
# What the private user reads, staged readable by everyone; the user copies it into its own HOME,
# so that Wireshark may write beside it (a profile's recent files), and works in $session.
stage=$work/stage session=$home/session
mkdir -p "$stage"
cp -r "$repo/postproc/profile/tcpwave" "$stage/profile"
# Without a window manager the main window is 750x550, too narrow for the profile's columns.
cat >"$stage/recent_common" <<'RECENT'
gui.geometry_main_x: 0
gui.geometry_main_y: 0
gui.geometry_main_width: 1200
gui.geometry_main_height: 640
RECENT
cp "${TCPWAVE_SHARED:-$repo/../shared}/captures/kernel/$capture" "$repo/tests/gui_atspi.py" "$stage/"
chmod -R a+rX "$stage"
"$work/run" sh -c '
    set -e
    stage=$1 session=$2
    mkdir -p "$HOME/.config/wireshark/profiles" "$HOME/run" "$session"
    chmod 0700 "$HOME/run"
    cp -r "$stage/profile" "$HOME/.config/wireshark/profiles/tcpwave"
    cp "$stage/recent_common" "$HOME/.config/wireshark/"
    cp "$stage/$3" "$stage/gui_atspi.py" "$session/"
    # What the session writes, empty if it dies before writing it.
    touch "$session/screen.tsv" "$session/windows.tsv" "$session/exit-status" "$session/wireshark.log"
' sh "$stage" "$session" "$capture"

# A clean environment for the GUI, as the private user, in the session folder.
run() {
    (cd "$session" && "$work/run" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" \
        XDG_CONFIG_HOME="$home/.config" WIRESHARK_PLUGIN_DIR="$work/plugins" \
        XDG_RUNTIME_DIR="$home/run" LANG=C.UTF-8 "$@")
}

if ! run tshark -G plugins |
    awk -F'\t' -v path="$installed" '$1 ~ /^tcpwave\.so/ && $4 == path {found = 1} END {exit !found}'; then
    echo "gui: FAIL: \`tshark -G plugins\` does not list $installed" >&2
    exit 1
fi

# The frames `tcpwave.step == 3` must show, from plain TCP fields and the specification (README,
# "How packets are labelled"), for a capture of one connection without retransmissions: handshake
# step 3 is the client's first ACK without SYN after the server's SYN/ACK; teardown step 3 is the
# first FIN from the side that did not send the first FIN.
fields=$(run tshark -r "$capture" -T fields -e frame.number -e tcp.stream -e ip.src -e ipv6.src \
    -e tcp.srcport -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin)
total=$(wc -l <<<"$fields")
expected=$(awk -F'\t' '
    $2 != 0 { print "gui: the capture holds more than one connection" > "/dev/stderr"; exit 1 }
    { frame = $1; side = $3 $4 ":" $5; syn = $6; ack = $7; fin = $8 }
    syn && !ack && client == "" { client = side }
    syn && ack && side != client { synack = 1 }
    !syn && ack && side == client && synack && !handshake3 { handshake3 = 1; print frame }
    fin && closer == "" { closer = side; next }
    fin && side != closer && !teardown3 { teardown3 = 1; print frame }' <<<"$fields")

session() {
    local capture=$1 filter=$2 pid
    # Start the accessibility bus before Wireshark: its launcher publishes the bus's address on the
    # root window (AT_SPI_BUS), where Qt finds it at start-up and publishes its widgets there.
    dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus org.a11y.Bus.GetAddress >/dev/null
    timeout 120 wireshark -C tcpwave -r "$capture" -Y "$filter" >wireshark.log 2>&1 &
    pid=$!
    # Up to 60 s for a dialog, or for the loaded window to read the same twice in a row (so a count
    # caught mid-update does not pass).
    for _ in {1..120}; do
        if /usr/bin/python3 gui_atspi.py >now.tsv; then
            grep -q '^dialog' now.tsv && cp now.tsv screen.tsv && break
            cmp -s now.tsv screen.tsv && break
            cp now.tsv screen.tsv
        fi
        sleep 0.5
    done
    import -window root screenshot.png
    xdotool search --onlyvisible --class . | while read -r id; do
        printf '%s\t%s\n' "$id" "$(xdotool getwindowname "$id")"
    done >windows.tsv
    # Quit cleanly when only the main window is up; a dialog would swallow the key.
    if [ "$(cut -f2 windows.tsv)" = "$capture" ]; then
        xdotool windowfocus --sync "$(cut -f1 windows.tsv)" key ctrl+q
    else
        kill "$pid"
    fi
    wait "$pid"
    echo $? >exit-status
}
# The X server's authority file is readable only by its owner: start Xvfb as the same user.
# -noreset: by default Xvfb resets, wiping the root window's AT_SPI_BUS, whenever its last client
# (here the bus launcher) disconnects.
run xvfb-run -a -s '-screen 0 1280x720x24 -noreset' dbus-run-session -- \
    bash -c "$(declare -f session); session \"\$@\"" session "$capture" "$filter" \
    >"$work/session.log" 2>&1 || true

mkdir -p "$out"
if [ -f "$session/screenshot.png" ]; then
    cp "$session/screenshot.png" "$out/wireshark-step3.png"
fi

# The lines gui_atspi.py printed under one tag, without the tag, fields separated by " | ".
screen() { awk -F'\t' -v tag="$1" '$1 == tag {$1 = ""; print substr($0, 4)}' OFS=' | ' "$session/screen.tsv"; }
others=$(awk -F'\t' -v name="$capture" '$2 != name {printf "\"%s\" ", $2}' "$session/windows.tsv")
failures=()
if [ -n "$others" ] || [ -n "$(screen dialog)" ]; then
    # What the window shows behind a dialog is beside the point: an invalid filter, for one, leaves
    # the capture unfiltered.
    failures+=("Wireshark shows windows besides $capture: ${others}saying: $(screen dialog)")
else
    status=$(screen status)
    expected_count=$(grep -c . <<<"$expected" || true)
    if [ -z "$status" ]; then
        failures+=("could not read the status bar through AT-SPI within 60 s")
    elif [ "$(grep -oP 'Packets: \K\d+' <<<"$status")" != "$total" ] ||
        [ "$(grep -oP 'Displayed: \K\d+' <<<"$status")" != "$expected_count" ]; then
        failures+=("the status bar reads \"$status\", expected Packets: $total · Displayed: $expected_count")
    fi
    frames=$(screen row | cut -d' ' -f1)
    if [ "$frames" != "$expected" ]; then
        failures+=("the packet list shows frames [${frames//$'\n'/ }], expected [${expected//$'\n'/ }]")
    fi
    columns=$(screen columns)
    profile_columns=$(grep -oP '^\s*"\K[^"]+(?=", "%)' "$repo/postproc/profile/tcpwave/preferences" |
        awk '{printf "%s%s", separator, $0; separator = " | "}')
    if [ "$columns" != "$profile_columns" ]; then
        failures+=("the packet list's columns are [$columns], the profile's [$profile_columns]")
    fi
    if [ "$(cat "$session/exit-status")" != 0 ]; then
        failures+=("Wireshark exited with status $(cat "$session/exit-status"), not 0")
    fi
fi

if ((${#failures[@]})); then
    printf 'gui: FAIL: %s\n' "${failures[@]}" >&2
    echo "gui: screenshot $out/wireshark-step3.png; Wireshark's and the session's output:" >&2
    cat "$session/wireshark.log" "$work/session.log" >&2
    exit 1
fi
echo "gui: ok: '$filter' shows frames [${expected//$'\n'/ }] of $total packets;" \
    "screenshot $out/wireshark-step3.png"
