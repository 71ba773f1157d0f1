#!/usr/bin/env bash
# Benchmark: what the tcpwave plugin costs tshark, what the tcpwave CLI costs on top of tshark, and
# how the CLI's native engine compares with its tshark engine and with tcptrace. Not part of
# tests/all.sh. Builds in release mode, makes or finds the benchmark capture, runs each
# pair of commands alternately (A, B, A, B, ...) and prints median wall time and median peak memory
# (GNU time's %e and %M) of each side, their ratio and the target from issue 4.
#
#   bash scripts/bench.sh [--runs N] [--capture FILE] [--quick] [--only PAIR[,PAIR...]]
#
#   --runs N        runs of each side of each pair (default 3)
#   --capture FILE  benchmark this capture instead of the bulk one
#   --quick         a fast sanity run: the first 100k packets of the capture, batch on 20k-packet copies
#   --only PAIRS    plugin, summary, disabled, cli, batch, cost, instructions, engines, tcptrace,
#                   corpus, jobs or engine-instructions (comma separated or repeated; default all)
#
# Pairs (A | B):
#   plugin   tshark -r CAP -T fields -e frame.number -e tcp.stream, no plugin
#          | tshark -r CAP -T fields -e frame.number -e tcpwave.step, with the plugin
#            targets: time B/A <= 1.05, memory B/A <= 1.05
#   summary  tshark -r CAP, no plugin | the same with the plugin          (ratio reported, no target)
#   disabled tshark -r CAP, no plugin | the same with the plugin and --disable-protocol tcpwave
#            (reported: a disabled tcpwave should cost nothing)
#   cli      the exact tshark command `tcpwave report` runs (found by running the CLI once with a
#            tshark wrapper that logs its arguments), to /dev/null
#          | tcpwave report CAP --format csv > /dev/null                  target: time B/A <= 1.10
#            GNU time's %M of B is the largest single process of the tree (tshark); the tcpwave
#            process's own peak (VmHWM) and CPU time are read inside it at exit by a tiny LD_PRELOAD
#            library and reported separately.
#   batch    tcpwave report DIR --jobs 1 | --jobs 2, DIR = 8 hard links to the first 100k packets of
#            CAP                                                          target: speed-up A/B >= 1.7
#   instructions  the plugin pair's instructions per packet under valgrind's callgrind, on the first
#            20k packets less a run on tests/data/sample.pcap (tshark's start-up). Counts, unlike
#            times, do not vary with the machine's load: a change's effect shows even where the
#            time ratio's noise (about +-5% here) hides it. Memory stalls do not show in counts.
#   cost     (peak RSS with the plugin - without) / frames and / connections, from the plugin pair
#            (and the summary pair when it ran); runs the plugin pair if it was not selected.
#   The CLI's two engines (cli and batch above run --engine tshark):
#   engines  tcpwave report CAP --format csv --engine tshark | --engine native
#                                       targets: speed-up A/B >= 40, peak memory of B <= 64 MiB
#   tcptrace tcptrace -l CAP | tcpwave report CAP --format csv --engine native  (Debian's tcptrace,
#            installed by scripts/setup.sh when missing)              target: speed-up A/B >= 10
#   corpus   tcpwave report DIR --format csv --jobs 2 --engine auto | --engine native, DIR = the
#            830 captures of $TCPWAVE_SHARED/captures/tcpdump (auto reads the captures of other
#            link types and with tunnels with tshark; both exit 1, since no engine reads some of
#            them: that status counts as a run)                target: A under 15 s; B reported
#   jobs     tcpwave report DIR --engine native --jobs 1 | --jobs 2, DIR = 8 hard links to CAP
#                                                                     target: speed-up A/B >= 1.8
#   engine-instructions  instructions per packet under callgrind, first 20k packets less a run on
#            tests/data/sample.pcap: A = the tshark engine (the CLI's tshark command under the
#            private harness, plus the tcpwave process itself, its tshark child not traced)
#          | B = the native engine (the tcpwave process)                (ratio reported, no target)
#
# Environment:
#   TCPWAVE_BENCH_DIR   cache for the benchmark capture (default ~/.cache/tcpwave-bench); the bulk
#                       capture is made there (as root) by ../shared/captures/gen/kernel_scenarios.py
#                       when missing.
#   TCPWAVE_BENCH_KEEP  when set, keep the work folder (wrappers, logs of every run) for debugging.
#   TCPWAVE_SHARED      the shared folder holding captures/gen and captures/tcpdump (default
#                       ../shared next to the repository).
#
# tshark runs from private plugin folders made by scripts/private-tshark.sh, both with and without
# the plugin (as root, as uid 65534: tshark run as root ignores WIRESHARK_PLUGIN_DIR), for the
# release of the tshark on PATH. Exit status: 0 when every run ran (ratios over
# their targets are reported, not failures); 1 when something broke (build, tshark, a run); 2 usage.
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
bench_dir=${TCPWAVE_BENCH_DIR:-$HOME/.cache/tcpwave-bench}
shared=$(realpath -m "${TCPWAVE_SHARED:-$repo/../shared}")
generator=$shared/captures/gen/kernel_scenarios.py
corpus_dir=$shared/captures/tcpdump
all_pairs=(plugin summary disabled cli batch cost instructions engines tcptrace corpus jobs engine-instructions)

usage() {
    sed -n '/^#   bash scripts/,/^# Pairs/{/^# Pairs/!p}' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}
log() { echo "bench: $*" >&2; }
die() {
    echo "bench: error: $*" >&2
    exit 1
}

runs=3
capture=
quick=0
only=()
while (($#)); do
    case $1 in
    --runs) runs=${2:-} && shift ;;
    --runs=*) runs=${1#*=} ;;
    --capture) capture=${2:-} && shift ;;
    --capture=*) capture=${1#*=} ;;
    --quick) quick=1 ;;
    --only) IFS=, read -ra more <<<"${2:-}" && only+=("${more[@]}") && shift ;;
    --only=*) IFS=, read -ra more <<<"${1#*=}" && only+=("${more[@]}") ;;
    -h | --help) usage 0 ;;
    *) echo "bench: unknown argument: $1" >&2 && usage 2 >&2 ;;
    esac
    shift
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs needs a positive number" >&2 && exit 2; }
((${#only[@]})) || only=("${all_pairs[@]}")
declare -A selected=()
for pair in "${only[@]}"; do
    [[ " ${all_pairs[*]} " == *" $pair "* ]] || { echo "bench: --only: unknown pair '$pair' (${all_pairs[*]})" >&2 && exit 2; }
    selected[$pair]=1
done
wants() { [[ -n ${selected[$1]:-} ]]; }
if [[ -n $capture ]]; then
    [[ -f $capture && -r $capture ]] || { echo "bench: --capture: cannot read $capture" >&2 && exit 2; }
    capture=$(realpath "$capture")
fi

is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

apt_install() {
    local sudo=()
    if ((!is_root)); then
        command -v sudo >/dev/null || die "missing packages $*: install them (apt-get install $*)"
        sudo=(sudo)
    fi
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# Tools, build, work folder

setup_extra=()
wants tcptrace && setup_extra+=(tcptrace)
bash "$repo/scripts/setup.sh" "${setup_extra[@]}"
[ -x /usr/bin/time ] || apt_install time
for tool in tshark editcap capinfos; do
    command -v "$tool" >/dev/null || die "$tool not found (it comes with tshark: apt-get install tshark)"
done
tshark_bin=$(command -v tshark)

work=$(mktemp -d "${TMPDIR:-/tmp}/tcpwave-bench.XXXXXX")
cleanup_paths=("$work")
cleanup() {
    if [[ -n ${TCPWAVE_BENCH_KEEP:-} ]]; then
        log "kept $work (TCPWAVE_BENCH_KEEP)"
        cleanup_paths=("${cleanup_paths[@]:1}")
    fi
    ((${#cleanup_paths[@]} == 0)) || rm -rf "${cleanup_paths[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 0755 "$work"
mkdir -p "$work/bin" "$work/logs"

log "building (cargo build --release -p tcpwave-plugin -p tcpwave-cli)"
cli_skip=
if ! cargo build --release --manifest-path "$repo/Cargo.toml" -p tcpwave-plugin -p tcpwave-cli \
    >"$work/logs/build.log" 2>&1; then
    log "the workspace build failed; building the plugin alone"
    cargo build --release --manifest-path "$repo/Cargo.toml" -p tcpwave-plugin >"$work/logs/build-plugin.log" 2>&1 ||
        {
            cat "$work/logs/build-plugin.log" >&2
            die "the plugin does not build"
        }
    reason=$(grep -m1 -E '^error' "$work/logs/build.log" || true)
    cli_skip="tcpwave-cli does not build${reason:+ ($reason)}"
    log "$cli_skip"
fi
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
# Snapshots: other builds of the workspace must not swap the binaries mid-run (the harness below
# copies the plugin).
[[ -n $cli_skip ]] || cp "$target_dir/release/tcpwave" "$work/bin/tcpwave"

# tshark with and without the plugin, under identical conditions: scripts/private-tshark.sh's
# wrappers (private plugin folders for this tshark's release; as root, tshark runs as nobody).
# They exec, so GNU time measures tshark itself.
with_dir=$work/with
bare_dir=$work/bare
tshark_plugin=$(TSHARK=$tshark_bin bash "$repo/scripts/private-tshark.sh" "$target_dir/release/libtcpwave.so" "$with_dir") ||
    die "cannot set up tshark with the plugin (scripts/private-tshark.sh)"
tshark_bare=$(TSHARK=$tshark_bin bash "$repo/scripts/private-tshark.sh" --no-plugin "$bare_dir") ||
    die "cannot set up tshark without the plugin (scripts/private-tshark.sh)"
chmod -R a+rX "$work/bin"

listing=$("$tshark_plugin" -G plugins 2>"$work/logs/g.log") ||
    die "tshark does not run: $(head -c 500 "$work/logs/g.log")"
grep -q '^tcpwave\.so[[:space:]]' <<<"$listing" ||
    die "tshark does not load the plugin from $with_dir/plugins: $(head -c 500 "$work/logs/g.log")"
listing=$("$tshark_bare" -G plugins 2>/dev/null)
if grep -qi tcpwave <<<"$listing"; then
    die "tshark loads a tcpwave plugin even from an empty plugin folder (a global install?), so the \
runs without the plugin would have it too: remove it ($(grep -i tcpwave <<<"$listing" | awk -F'\t' '{print $NF}'))"
fi

# A library preloaded into the tcpwave process only (it takes itself out of the environment of the
# processes tcpwave starts): at exit it writes the process's own VmHWM (KiB) and CPU time.
self_usage=
cat >"$work/self_usage.c" <<'C'
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static char out_path[4096];

__attribute__((constructor)) static void self_usage_start(void) {
    const char *path = getenv("TCPWAVE_BENCH_SELF");
    if (path)
        strncpy(out_path, path, sizeof out_path - 1);
    unsetenv("TCPWAVE_BENCH_SELF");
    unsetenv("LD_PRELOAD");
}

__attribute__((destructor)) static void self_usage_stop(void) {
    if (!out_path[0])
        return;
    long hwm = -1;
    char line[256];
    FILE *status = fopen("/proc/self/status", "r");
    if (status) {
        while (fgets(line, sizeof line, status))
            if (sscanf(line, "VmHWM: %ld", &hwm) == 1)
                break;
        fclose(status);
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    FILE *out = fopen(out_path, "w");
    if (!out)
        return;
    fprintf(out, "%ld %ld.%06ld %ld.%06ld\n", hwm, (long)usage.ru_utime.tv_sec, (long)usage.ru_utime.tv_usec,
            (long)usage.ru_stime.tv_sec, (long)usage.ru_stime.tv_usec);
    fclose(out);
}
C
if command -v cc >/dev/null && cc -shared -fPIC -O2 -o "$work/self_usage.so" "$work/self_usage.c" 2>"$work/logs/cc.log"; then
    self_usage=$work/self_usage.so
else
    log "cannot build the self-usage library (no C compiler?): the CLI's own memory is not reported"
fi

# ---------------------------------------------------------------------------------------------
# Captures

make_bulk() {
    local dest=$bench_dir/bulk100k.pcap
    [[ -s $dest ]] && return 0
    if ((!is_root)); then
        die "no benchmark capture at $dest, and making one needs root. Make it with
    sudo $generator $bench_dir --bulk 100000 bulk100k.pcap
(needs python3, iproute2, nftables, tcpdump; ~40 s), or pass --capture FILE."
    fi
    [[ -f $generator ]] || die "no capture at $dest and no generator at $generator"
    local missing=()
    command -v python3 >/dev/null || missing+=(python3)
    command -v ip >/dev/null || missing+=(iproute2)
    command -v nft >/dev/null || missing+=(nftables)
    command -v tcpdump >/dev/null || missing+=(tcpdump)
    ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
    mkdir -p "$bench_dir"
    local gen_dir
    gen_dir=$(mktemp -d "$bench_dir/gen.XXXXXX")
    cleanup_paths+=("$gen_dir")
    log "making the benchmark capture in $bench_dir (~40 s): $generator --bulk 100000"
    python3 "$generator" "$gen_dir" --bulk 100000 bulk100k.pcap >"$work/logs/gen.log" 2>&1 ||
        {
            cat "$work/logs/gen.log" >&2
            die "making the benchmark capture failed"
        }
    capinfos -c "$gen_dir/bulk100k.pcap" >/dev/null 2>&1 || die "the generator made an unreadable capture"
    mv "$gen_dir/bulk100k.pcap" "$dest"
    rm -rf "$gen_dir"
}

# The capture as tshark's user can read it: the file itself, or a copy in the work folder.
readable_by_runner() {
    local file=$1 copy=$work/$(basename "$1")
    if ! "$with_dir/run" test -r "$file"; then
        cp "$file" "$copy"
        chmod 0644 "$copy"
        echo "$copy"
    else
        echo "$file"
    fi
}

# The first N packets of a capture, in the work folder, in the capture's own format (pcap stays pcap).
slice() {
    local source=$1 packets=$2 dest=$work/$3 format
    format=$(capinfos -t "$source" 2>/dev/null | awk -F' - ' '/^File type:/ { print $NF }')
    [[ $format == pcap ]] || format=pcapng
    editcap -F "$format" -r "$source" "$dest" "1-$packets" >/dev/null
    chmod 0644 "$dest"
    echo "$dest"
}

packets_of() { capinfos -c -M "$1" | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }'; }

if [[ -z $capture ]]; then
    make_bulk
    capture=$bench_dir/bulk100k.pcap
fi
source_capture=$capture
if ((quick)); then
    cap=$(slice "$capture" 100000 quick.pcap)
    batch_packets=20000
else
    cap=$(readable_by_runner "$capture")
    batch_packets=100000
fi
frames=$(packets_of "$cap")
[[ $frames =~ ^[0-9]+$ ]] || die "capinfos cannot count the packets of $cap"

# ---------------------------------------------------------------------------------------------
# Measuring

# A command line as one could paste it into a shell.
quoted() {
    local arg out=()
    for arg in "$@"; do
        if [[ $arg =~ ^[A-Za-z0-9_./=:,+@%-]+$ ]]; then out+=("$arg"); else out+=("'${arg//\'/\'\\\'\'}'"); fi
    done
    echo "${out[*]}"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
secs() { awk -v s="$1" 'BEGIN { printf "%.2f s", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.3f", b / a; else print "n/a" }'; }
# verdict RATIO TARGET le|ge
verdict() {
    [[ $1 == n/a ]] && echo "n/a" && return
    awk -v r="$1" -v t="$2" -v how="$3" 'BEGIN {
        if (how == "le") print (r <= t) ? "PASS" : "OVER"; else print (r >= t) ? "PASS" : "UNDER" }'
}

declare -A result=()
run_count=0
# The exit statuses a run may end with (space separated, with a space at each end): the corpus pair
# allows 1, since no engine reads some of its captures.
ok_status=" 0 "

# timed LOG cmd...: one run, stdout to /dev/null; sets t_wall t_mem t_cpu (and self_* for tcpwave).
timed() {
    local log=$1
    shift
    local tf=$work/time.out
    rm -f "$tf" "$work/self.out"
    local status=0
    /usr/bin/time -f '%e %M %U %S' -o "$tf" "$@" </dev/null >/dev/null 2>"$log" || status=$?
    if [[ $ok_status != *" $status "* ]]; then
        echo "bench: error: a run failed (exit status $status): $(quoted "$@")" >&2
        tail -n 20 "$log" >&2
        [[ -s $tf ]] && head -n 1 "$tf" >&2
        exit 1
    fi
    local user sys
    read -r t_wall t_mem user sys < <(tail -n 1 "$tf")
    t_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    self_mem= self_cpu=
    if [[ -s $work/self.out ]]; then
        read -r self_mem user sys <"$work/self.out"
        self_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    fi
    run_count=$((run_count + 1))
}

# run_pair KEY TITLE A_LABEL B_LABEL A_ARRAY B_ARRAY: A, B, A, B, ... runs times; medians to result[].
run_pair() {
    local key=$1 title=$2 label_a=$3 label_b=$4
    local -n command_a=$5 command_b=$6
    local walls_a=() mems_a=() cpus_a=() walls_b=() mems_b=() cpus_b=() self_mems=() self_cpus=() i side
    log "$title: A = $label_a; B = $label_b"
    log "  A: $(quoted "${command_a[@]}")"
    log "  B: $(quoted "${command_b[@]}")"
    for ((i = 1; i <= runs; i++)); do
        for side in a b; do
            if [[ $side == a ]]; then
                timed "$work/logs/$key-$i-a.log" "${command_a[@]}"
                walls_a+=("$t_wall") mems_a+=("$t_mem") cpus_a+=("$t_cpu")
            else
                timed "$work/logs/$key-$i-b.log" "${command_b[@]}"
                walls_b+=("$t_wall") mems_b+=("$t_mem") cpus_b+=("$t_cpu")
            fi
            [[ -n $self_mem ]] && self_mems+=("$self_mem") self_cpus+=("$self_cpu")
            log "  run $i/$runs ${side^^}: $(secs "$t_wall"), $(mib "$t_mem"), cpu $(secs "$t_cpu")${self_mem:+ (tcpwave itself: $(mib "$self_mem"), cpu $(secs "$self_cpu"))}"
        done
    done
    result[$key.title]=$title
    result[$key.a_wall]=$(median "${walls_a[@]}")
    result[$key.b_wall]=$(median "${walls_b[@]}")
    result[$key.a_mem]=$(median "${mems_a[@]}")
    result[$key.b_mem]=$(median "${mems_b[@]}")
    result[$key.a_cpu]=$(median "${cpus_a[@]}")
    result[$key.b_cpu]=$(median "${cpus_b[@]}")
    if ((${#self_mems[@]})); then
        result[$key.self_mem]=$(median "${self_mems[@]}")
        result[$key.self_cpu]=$(median "${self_cpus[@]}")
        result[$key.self_mem_max]=$(printf '%s\n' "${self_mems[@]}" | sort -g | tail -n 1)
    fi
}

warm() { cat "$@" >/dev/null; } # page cache, so the first run is not the only cold one

# ---------------------------------------------------------------------------------------------
# The pairs

start_load=$(cut -d' ' -f1-3 /proc/loadavg)

if wants plugin || wants cost; then
    warm "$cap"
    plugin_a=("$tshark_bare" -r "$cap" -T fields -e frame.number -e tcp.stream)
    plugin_b=("$tshark_plugin" -r "$cap" -T fields -e frame.number -e tcpwave.step)
    run_pair plugin "plugin fields" "no plugin, -e tcp.stream" "plugin, -e tcpwave.step" plugin_a plugin_b
fi

if wants summary; then
    warm "$cap"
    summary_a=("$tshark_bare" -r "$cap")
    summary_b=("$tshark_plugin" -r "$cap")
    run_pair summary "summary mode" "no plugin" "plugin" summary_a summary_b
fi

if wants disabled; then
    warm "$cap"
    disabled_a=("$tshark_bare" -r "$cap")
    disabled_b=("$tshark_plugin" -r "$cap" --disable-protocol tcpwave)
    run_pair disabled "summary, tcpwave disabled" "no plugin" "plugin, --disable-protocol tcpwave" disabled_a disabled_b
fi

cli_command=()
if (wants cli || wants engine-instructions) && [[ -z $cli_skip ]]; then
    # The exact tshark command line the CLI runs, from a wrapper that logs its arguments.
    mkdir -p "$work/argv"
    cat >"$work/bin/tshark-log" <<SH
#!/bin/sh
file=\$(mktemp "$work/argv/XXXXXX")
printf '%s\0' "\$@" >"\$file"
exec "$tshark_plugin" "\$@"
SH
    chmod 0755 "$work/bin/tshark-log"
    cp "$repo/tests/data/sample.pcap" "$work/probe.pcap"
    chmod 0644 "$work/probe.pcap"
    TCPWAVE_TSHARK=$work/bin/tshark-log "$work/bin/tcpwave" report "$work/probe.pcap" --format csv --engine tshark \
        >"$work/logs/probe.csv" 2>"$work/logs/probe.log" </dev/null ||
        {
            cat "$work/logs/probe.log" >&2
            die "tcpwave report fails on tests/data/sample.pcap"
        }
    for file in "$work"/argv/*; do
        mapfile -d '' -t argv <"$file"
        hits=0
        for arg in "${argv[@]}"; do [[ $arg == "$work/probe.pcap" ]] && hits=$((hits + 1)); done
        ((hits == 0)) && continue
        [[ ${#cli_command[@]} -eq 0 ]] || die "tcpwave ran tshark over the capture more than once; the cli pair expects one run"
        ((hits == 1)) || die "the capture's path appears $hits times in tshark's arguments"
        cli_command=("$tshark_plugin")
        for arg in "${argv[@]}"; do
            if [[ $arg == "$work/probe.pcap" ]]; then cli_command+=("$cap"); else cli_command+=("$arg"); fi
        done
    done
    ((${#cli_command[@]})) || die "could not see the tshark command tcpwave report runs over a capture"
fi

if wants cli && [[ -z $cli_skip ]]; then
    warm "$cap"
    cli_b=(env ${self_usage:+LD_PRELOAD="$self_usage" TCPWAVE_BENCH_SELF="$work/self.out"}
        TCPWAVE_TSHARK="$tshark_plugin" "$work/bin/tcpwave" report "$cap" --format csv --engine tshark)
    run_pair cli "cli report csv" "tshark alone, the CLI's command" "tcpwave report --format csv --engine tshark" cli_command cli_b
fi

# eight_links SOURCE DIR: DIR holds copy1..copy8.pcap, hard links to SOURCE provided the CLI reads
# each as its own capture (it reports a `file` column; probed once, natively, on 8 links to
# tests/data/sample.pcap), else copies.
links_read_apart=
eight_links() {
    local source=$1 dir=$2 i files_read
    if [[ -z $links_read_apart ]]; then
        mkdir -p "$work/links-probe"
        cp "$repo/tests/data/sample.pcap" "$work/links-probe.pcap"
        chmod 0644 "$work/links-probe.pcap"
        for i in 1 2 3 4 5 6 7 8; do ln "$work/links-probe.pcap" "$work/links-probe/copy$i.pcap"; done
        chmod 0755 "$work/links-probe"
        "$work/bin/tcpwave" report "$work/links-probe" --format csv --engine native --jobs 2 \
            >"$work/logs/links-probe.csv" 2>"$work/logs/links-probe.log" </dev/null ||
            {
                cat "$work/logs/links-probe.log" >&2
                die "tcpwave report --engine native fails on a folder of 8 links to tests/data/sample.pcap"
            }
        files_read=$(awk -F, 'NR > 1 { print $1 }' "$work/logs/links-probe.csv" | sort -u | wc -l)
        links_read_apart=$( ((files_read == 8)) && echo yes || echo no)
        [[ $links_read_apart == yes ]] || log "tcpwave read $files_read of 8 hard-linked captures: batches use 8 copies"
    fi
    mkdir -p "$dir"
    chmod 0755 "$dir"
    for i in 1 2 3 4 5 6 7 8; do
        if [[ $links_read_apart == yes ]]; then ln "$source" "$dir/copy$i.pcap"; else cp "$source" "$dir/copy$i.pcap"; fi
    done
}

if wants batch && [[ -z $cli_skip ]]; then
    batch_source=$(slice "$source_capture" "$batch_packets" batch-source.pcap)
    batch_frames=$(packets_of "$batch_source")
    eight_links "$batch_source" "$work/batch"
    warm "$batch_source"
    batch_env=(env ${self_usage:+LD_PRELOAD="$self_usage" TCPWAVE_BENCH_SELF="$work/self.out"} TCPWAVE_TSHARK="$tshark_plugin")
    batch_a=("${batch_env[@]}" "$work/bin/tcpwave" report "$work/batch" --format csv --engine tshark --jobs 1)
    batch_b=("${batch_env[@]}" "$work/bin/tcpwave" report "$work/batch" --format csv --engine tshark --jobs 2)
    run_pair batch "batch 8 x $batch_frames pkts" "--jobs 1" "--jobs 2" batch_a batch_b
fi

# The CLI's engines. The tshark engine gets the private harness with the plugin as TCPWAVE_TSHARK;
# the native engine runs tshark only with --engine auto, for the captures that need it.
if wants engines && [[ -z $cli_skip ]]; then
    warm "$cap"
    engines_a=(env TCPWAVE_TSHARK="$tshark_plugin" "$work/bin/tcpwave" report "$cap" --format csv --engine tshark)
    engines_b=(env TCPWAVE_TSHARK="$tshark_plugin" "$work/bin/tcpwave" report "$cap" --format csv --engine native)
    run_pair engines "engines, report csv" "--engine tshark" "--engine native" engines_a engines_b
fi

if wants tcptrace && [[ -z $cli_skip ]]; then
    command -v tcptrace >/dev/null || die "tcptrace not found (scripts/setup.sh tcptrace installs it)"
    warm "$cap"
    tcptrace_a=(tcptrace -l "$cap")
    tcptrace_b=("$work/bin/tcpwave" report "$cap" --format csv --engine native)
    run_pair tcptrace "tcptrace -l vs native" "tcptrace -l" "tcpwave report --engine native" tcptrace_a tcptrace_b
fi

corpus_skip=
if wants corpus && [[ -z $cli_skip ]]; then
    if [[ ! -d $corpus_dir ]]; then
        corpus_skip="no captures at $corpus_dir (TCPWAVE_SHARED)"
    else
        corpus=$corpus_dir
        # tshark (the fallback of --engine auto) runs as the harness's user: a copy when it cannot
        # read every capture in place.
        unreadable=$("$with_dir/run" find "$corpus" ! -readable -print -quit 2>/dev/null || echo "find failed")
        if [[ -n $unreadable ]]; then
            cp -r "$corpus" "$work/corpus"
            chmod -R a+rX "$work/corpus"
            corpus=$work/corpus
        fi
        corpus_files=$(find "$corpus" -type f | wc -l)
        find "$corpus" -type f -exec cat {} + >/dev/null
        corpus_a=(env TCPWAVE_TSHARK="$tshark_plugin" "$work/bin/tcpwave" report "$corpus" --format csv --jobs 2 --engine auto)
        corpus_b=(env TCPWAVE_TSHARK="$tshark_plugin" "$work/bin/tcpwave" report "$corpus" --format csv --jobs 2 --engine native)
        ok_status=" 0 1 "
        run_pair corpus "corpus $corpus_files captures" "--engine auto" "--engine native" corpus_a corpus_b
        ok_status=" 0 "
        # What the last runs said on stderr: captures auto read with tshark, captures left unread
        # (the notes on captures without TCP and on impossible timestamps are not failures).
        unread() {
            grep '^tcpwave: /' "$1" | grep -v -e ': read with tshark' -e ': no TCP packets in this capture$' \
                -e ': impossible timestamps: ' | grep -c . || true
        }
        result[corpus.tshark]=$(grep -c ': read with tshark' "$work/logs/corpus-$runs-a.log" || true)
        result[corpus.a_failed]=$(unread "$work/logs/corpus-$runs-a.log")
        result[corpus.b_failed]=$(unread "$work/logs/corpus-$runs-b.log")
    fi
fi

if wants jobs && [[ -z $cli_skip ]]; then
    eight_links "$cap" "$work/jobs"
    warm "$cap"
    jobs_a=("$work/bin/tcpwave" report "$work/jobs" --format csv --engine native --jobs 1)
    jobs_b=("$work/bin/tcpwave" report "$work/jobs" --format csv --engine native --jobs 2)
    run_pair jobs "jobs, native, 8 x $frames" "--jobs 1" "--jobs 2" jobs_a jobs_b
fi

if wants instructions || wants engine-instructions; then
    command -v valgrind >/dev/null || apt_install valgrind
    slice20k=$(slice "$source_capture" 20000 slice20k.pcap)
    cp "$repo/tests/data/sample.pcap" "$work/start.pcap" && chmod 0644 "$work/start.pcap"
    packets_20k=$(packets_of "$slice20k")
    packets_start=$(packets_of "$work/start.pcap")
    # per_packet IR IR_START: instructions per packet of the 20k slice, the start-up run's left out.
    per_packet() { awk -v r="$1" -v r0="$2" -v n="$packets_20k" -v n0="$packets_start" 'BEGIN { printf "%.0f", (r - r0) / (n - n0) }'; }
fi

if wants instructions; then
    # instructions_of LABEL HARNESS_DIR CAPTURE FIELD: the instructions callgrind counts in one run
    # of tshark under HARNESS_DIR's private user and plugin folder.
    instructions_of() {
        local label=$1 harness=$2 file=$3 field=$4 out=$work/callgrind.$1
        printf '#!/bin/sh\nexec %q valgrind --tool=callgrind --callgrind-out-file=%q %q "$@"\n' \
            "$harness/run" "$out" "$tshark_bin" >"$work/bin/valgrind-$label"
        chmod 0755 "$work/bin/valgrind-$label"
        touch "$out" && chmod 0666 "$out"
        "$work/bin/valgrind-$label" -r "$file" -T fields -e frame.number -e "$field" >/dev/null 2>"$work/logs/callgrind-$label.log" ||
            die "callgrind run $label failed: $(tail -n 5 "$work/logs/callgrind-$label.log")"
        awk '/^summary:/ { print $2 }' "$out"
    }
    log "instructions: callgrind, 4 runs of about a minute each"
    ir_a=$(instructions_of bare "$bare_dir" "$slice20k" tcp.stream)
    ir_b=$(instructions_of plugin "$with_dir" "$slice20k" tcpwave.step)
    ir_a0=$(instructions_of bare-start "$bare_dir" "$work/start.pcap" tcp.stream)
    ir_b0=$(instructions_of plugin-start "$with_dir" "$work/start.pcap" tcpwave.step)
    result[instructions.a]=$(per_packet "$ir_a" "$ir_a0")
    result[instructions.b]=$(per_packet "$ir_b" "$ir_b0")
fi

if wants engine-instructions && [[ -z $cli_skip ]]; then
    # callgrind_of LABEL CMD...: the instructions callgrind counts in one run of CMD, whose word
    # VALGRIND stands for valgrind --tool=callgrind and its output file. Only the process valgrind
    # starts is counted: the processes it starts in turn run natively.
    callgrind_of() {
        local label=$1 out=$work/callgrind.$1 arg command=()
        shift
        for arg in "$@"; do
            if [[ $arg == VALGRIND ]]; then command+=(valgrind --tool=callgrind --callgrind-out-file="$out"); else command+=("$arg"); fi
        done
        touch "$out" && chmod 0666 "$out"
        "${command[@]}" </dev/null >/dev/null 2>"$work/logs/callgrind-$label.log" ||
            die "callgrind run $label failed: $(tail -n 5 "$work/logs/callgrind-$label.log")"
        awk '/^summary:/ { print $2 }' "$out"
    }
    # cli_tshark_on FILE: the CLI's tshark command over FILE, as arguments to tshark.
    cli_tshark_on() {
        local arg
        cli_args=()
        for arg in "${cli_command[@]:1}"; do
            if [[ $arg == "$cap" ]]; then cli_args+=("$1"); else cli_args+=("$arg"); fi
        done
    }
    log "engine-instructions: callgrind, 6 runs (the two-pass tshark one takes some minutes)"
    # The tshark engine: tshark under the harness (as the CLI starts it), and the tcpwave process.
    cli_tshark_on "$slice20k"
    ir_t=$(callgrind_of engine-tshark "$with_dir/run" VALGRIND "$tshark_bin" "${cli_args[@]}")
    cli_tshark_on "$work/start.pcap"
    ir_t0=$(callgrind_of engine-tshark-start "$with_dir/run" VALGRIND "$tshark_bin" "${cli_args[@]}")
    engine_cli=(env TCPWAVE_TSHARK="$tshark_plugin" VALGRIND "$work/bin/tcpwave" report --format csv --jobs 1)
    ir_c=$(callgrind_of engine-cli "${engine_cli[@]}" --engine tshark "$slice20k")
    ir_c0=$(callgrind_of engine-cli-start "${engine_cli[@]}" --engine tshark "$work/start.pcap")
    ir_n=$(callgrind_of engine-native "${engine_cli[@]}" --engine native "$slice20k")
    ir_n0=$(callgrind_of engine-native-start "${engine_cli[@]}" --engine native "$work/start.pcap")
    result[einstr.tshark]=$(per_packet "$ir_t" "$ir_t0")
    result[einstr.cli]=$(per_packet "$ir_c" "$ir_c0")
    result[einstr.a]=$(awk -v t="${result[einstr.tshark]}" -v c="${result[einstr.cli]}" 'BEGIN { printf "%.0f", t + c }')
    result[einstr.b]=$(per_packet "$ir_n" "$ir_n0")
fi

connections=
if wants cost; then
    # Connections = distinct tcp.stream values, counted once per capture content and cached.
    mkdir -p "$bench_dir/counts" 2>/dev/null || true
    key=$(md5sum <"$cap" | cut -d' ' -f1)
    count_file=$bench_dir/counts/$key
    if [[ -s $count_file ]]; then
        connections=$(cat "$count_file")
    else
        log "counting connections (tcp.stream values) in $cap"
        connections=$("$tshark_bare" -r "$cap" -T fields -e tcp.stream 2>"$work/logs/count.log" |
            awk -F, '{ for (i = 1; i <= NF; i++) if ($i != "" && !seen[$i]++) n++ } END { print n + 0 }') ||
            die "counting connections failed: $(tail -n 5 "$work/logs/count.log")"
        { echo "$connections" >"$count_file"; } 2>/dev/null || true
    fi
    # The plugin's fixed cost (code, registration, first allocations): the plugin pair on the
    # small sample capture, so that the per-frame and per-connection figures can leave it out.
    cp "$repo/tests/data/sample.pcap" "$work/tiny.pcap"
    chmod 0644 "$work/tiny.pcap"
    tiny_frames=$(packets_of "$work/tiny.pcap")
    fixed_a=("$tshark_bare" -r "$work/tiny.pcap" -T fields -e frame.number -e tcp.stream)
    fixed_b=("$tshark_plugin" -r "$work/tiny.pcap" -T fields -e frame.number -e tcpwave.step)
    run_pair fixed "fixed cost" "no plugin, tests/data/sample.pcap" "plugin, tests/data/sample.pcap" fixed_a fixed_b
fi

# ---------------------------------------------------------------------------------------------
# Report

tshark_version=$("$tshark_bin" --version 2>/dev/null | sed -n 1p)
commit=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)
echo "tcpwave benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, $tshark_version"
echo "capture: $source_capture$( ((quick)) && echo " (quick: first 100000 packets)"), $frames frames${connections:+, $connections connections}"
echo "runs: $runs per side, alternating A,B; $(nproc) cores; load average at start $start_load, at end $(cut -d' ' -f1-3 /proc/loadavg)"
[[ ${#cli_command[@]} -eq 0 ]] || echo "the CLI's tshark command: tshark $(quoted "${cli_command[@]:1}")"
echo

row() { printf '%-27s | %-8s | %-12s | %-12s | %-8s | %-11s | %s\n' "$@"; }
row pair metric "A median" "B median" ratio target verdict
row --------------------------- -------- ------------ ------------ -------- ----------- -------
# pair_rows KEY TIME_TARGET MEM_TARGET (empty: no target)
pair_rows() {
    local key=$1 time_target=$2 mem_target=$3 r
    r=$(ratio "${result[$key.a_wall]}" "${result[$key.b_wall]}")
    row "${result[$key.title]}" time "$(secs "${result[$key.a_wall]}")" "$(secs "${result[$key.b_wall]}")" "$r" \
        "${time_target:+<= $time_target}" "$([[ -n $time_target ]] && verdict "$r" "$time_target" le || echo report)"
    r=$(ratio "${result[$key.a_mem]}" "${result[$key.b_mem]}")
    row "" memory "$(mib "${result[$key.a_mem]}")" "$(mib "${result[$key.b_mem]}")" "$r" \
        "${mem_target:+<= $mem_target}" "$([[ -n $mem_target ]] && verdict "$r" "$mem_target" le || echo report)"
    r=$(ratio "${result[$key.a_cpu]}" "${result[$key.b_cpu]}")
    row "" cpu "$(secs "${result[$key.a_cpu]}")" "$(secs "${result[$key.b_cpu]}")" "$r" "" report
}
skipped_row() { row "$1" - - - - - "skipped: $2"; }

if [[ -n ${result[plugin.title]:-} ]]; then pair_rows plugin 1.05 1.05; fi
if [[ -n ${result[summary.title]:-} ]]; then pair_rows summary "" ""; fi
if [[ -n ${result[disabled.title]:-} ]]; then pair_rows disabled "" ""; fi
if [[ -n ${result[instructions.a]:-} ]]; then
    r=$(ratio "${result[instructions.a]}" "${result[instructions.b]}")
    row "plugin fields (callgrind)" "instr" "${result[instructions.a]}/pkt" "${result[instructions.b]}/pkt" "$r" "" \
        "report (instructions per packet, first 20k packets, start-up left out)"
fi
if wants cli; then
    if [[ -n $cli_skip ]]; then
        skipped_row "cli report csv" "$cli_skip"
    else
        pair_rows cli 1.10 ""
        if [[ -n ${result[cli.self_mem]:-} ]]; then
            row "" "own mem" - "$(mib "${result[cli.self_mem]}")" - - "tcpwave process alone (VmHWM), max $(mib "${result[cli.self_mem_max]}")"
            row "" "own cpu" - "$(secs "${result[cli.self_cpu]}")" - - "tcpwave process alone (user+sys)"
            row "" "tshark" - "$(secs "$(awk -v b="${result[cli.b_cpu]}" -v s="${result[cli.self_cpu]}" 'BEGIN { print b - s }')")" - - \
                "cpu of tcpwave's tshark runs (the capture, --version, -G plugins)"
        fi
    fi
fi
if wants batch; then
    if [[ -n $cli_skip ]]; then
        skipped_row "batch" "$cli_skip"
    else
        key=batch
        r=$(ratio "${result[$key.b_wall]}" "${result[$key.a_wall]}")
        row "${result[$key.title]}" time "$(secs "${result[$key.a_wall]}")" "$(secs "${result[$key.b_wall]}")" "$r" ">= 1.7" "$(verdict "$r" 1.7 ge) (speed-up A/B)"
        r=$(ratio "${result[$key.a_mem]}" "${result[$key.b_mem]}")
        row "" memory "$(mib "${result[$key.a_mem]}")" "$(mib "${result[$key.b_mem]}")" "$r" "" report
        if [[ -n ${result[$key.self_mem]:-} ]]; then
            row "" "own mem" - "$(mib "${result[$key.self_mem]}")" - - "tcpwave process alone with --jobs 1 and 2 (median)"
        fi
    fi
fi
# speedup_rows KEY SPEED_UP_TARGET [B_MEMORY_LIMIT_MIB]: time as the speed-up A/B (>= target),
# memory as B/A, with B's peak held to a limit when one is given.
speedup_rows() {
    local key=$1 target=$2 mem_limit=${3:-} r
    r=$(ratio "${result[$key.b_wall]}" "${result[$key.a_wall]}")
    row "${result[$key.title]}" time "$(secs "${result[$key.a_wall]}")" "$(secs "${result[$key.b_wall]}")" "$r" \
        ">= $target" "$(verdict "$r" "$target" ge) (speed-up A/B)"
    r=$(ratio "${result[$key.a_mem]}" "${result[$key.b_mem]}")
    if [[ -n $mem_limit ]]; then
        row "" memory "$(mib "${result[$key.a_mem]}")" "$(mib "${result[$key.b_mem]}")" "$r" "B <= $mem_limit MiB" \
            "$(verdict "$(awk -v k="${result[$key.b_mem]}" 'BEGIN { printf "%.1f", k / 1024 }')" "$mem_limit" le) (peak of B)"
    else
        row "" memory "$(mib "${result[$key.a_mem]}")" "$(mib "${result[$key.b_mem]}")" "$r" "" report
    fi
    r=$(ratio "${result[$key.a_cpu]}" "${result[$key.b_cpu]}")
    row "" cpu "$(secs "${result[$key.a_cpu]}")" "$(secs "${result[$key.b_cpu]}")" "$r" "" report
}
if wants engines; then
    if [[ -n $cli_skip ]]; then skipped_row engines "$cli_skip"; else speedup_rows engines 40 64; fi
fi
if wants tcptrace; then
    if [[ -n $cli_skip ]]; then skipped_row tcptrace "$cli_skip"; else speedup_rows tcptrace 10; fi
fi
if wants corpus; then
    if [[ -n $cli_skip ]]; then
        skipped_row corpus "$cli_skip"
    elif [[ -n $corpus_skip ]]; then
        skipped_row corpus "$corpus_skip"
    else
        key=corpus
        r=$(ratio "${result[$key.b_wall]}" "${result[$key.a_wall]}")
        row "${result[$key.title]}" time "$(secs "${result[$key.a_wall]}")" "$(secs "${result[$key.b_wall]}")" "$r" "A < 15 s" \
            "$(awk -v a="${result[$key.a_wall]}" 'BEGIN { print (a < 15) ? "PASS" : "OVER" }') (--engine auto's wall time; ratio: speed-up A/B)"
        r=$(ratio "${result[$key.a_mem]}" "${result[$key.b_mem]}")
        row "" memory "$(mib "${result[$key.a_mem]}")" "$(mib "${result[$key.b_mem]}")" "$r" "" report
        r=$(ratio "${result[$key.a_cpu]}" "${result[$key.b_cpu]}")
        row "" cpu "$(secs "${result[$key.a_cpu]}")" "$(secs "${result[$key.b_cpu]}")" "$r" "" report
        row "" captures - - - - "auto read ${result[$key.tshark]} with tshark and left ${result[$key.a_failed]} unread; native left ${result[$key.b_failed]} unread"
    fi
fi
if wants jobs; then
    if [[ -n $cli_skip ]]; then skipped_row jobs "$cli_skip"; else speedup_rows jobs 1.8; fi
fi
if wants engine-instructions; then
    if [[ -n $cli_skip ]]; then
        skipped_row "engines (callgrind)" "$cli_skip"
    else
        r=$(ratio "${result[einstr.a]}" "${result[einstr.b]}")
        row "engines (callgrind)" "instr" "${result[einstr.a]}/pkt" "${result[einstr.b]}/pkt" "$r" "" \
            "report: $(ratio "${result[einstr.b]}" "${result[einstr.a]}" | awk '{ printf "%.0f", $1 }')x fewer (first 20k packets, start-up left out)"
        row "" "A parts" - - - - "tshark ${result[einstr.tshark]}/pkt + the tcpwave process ${result[einstr.cli]}/pkt"
    fi
fi
if wants cost; then
    # cost_rows KEY: bytes of the plugin's own state, from the peak RSS difference.
    cost_rows() {
        local key=$1 title=$2 delta fixed net
        delta=$(awk -v a="${result[$key.a_mem]}" -v b="${result[$key.b_mem]}" 'BEGIN { print (b - a) * 1024 }')
        fixed=$(awk -v a="${result[fixed.a_mem]}" -v b="${result[fixed.b_mem]}" 'BEGIN { print (b - a) * 1024 }')
        net=$(awk -v d="$delta" -v f="$fixed" 'BEGIN { print d - f }')
        row "$title" "+peak" "$(mib "${result[$key.a_mem]}")" "$(mib "${result[$key.b_mem]}")" - - \
            "$(awk -v d="$delta" -v f="$fixed" 'BEGIN { printf "%+.1f MiB with the plugin, %+.1f MiB of it fixed", d / 1048576, f / 1048576 }')"
        row "" "B/frame" - "$(awk -v d="$net" -v n="$frames" 'BEGIN { printf "%.1f", d / n }')" - - \
            "bytes per frame without the fixed cost ($frames frames; $(awk -v d="$delta" -v n="$frames" 'BEGIN { printf "%.1f", d / n }') with it)"
        row "" "B/conn" - "$(awk -v d="$net" -v n="$connections" 'BEGIN { if (n > 0) printf "%.1f", d / n; else print "n/a" }')" - - \
            "bytes per connection without the fixed cost ($connections connections; $(awk -v d="$delta" -v n="$connections" 'BEGIN { if (n > 0) printf "%.1f", d / n; else print "n/a" }') with it)"
    }
    row "fixed cost" "+peak" "$(mib "${result[fixed.a_mem]}")" "$(mib "${result[fixed.b_mem]}")" - - \
        "$(awk -v a="${result[fixed.a_mem]}" -v b="${result[fixed.b_mem]}" 'BEGIN { printf "%+.1f MiB", (b - a) / 1024 }') with the plugin on tests/data/sample.pcap ($tiny_frames frames)"
    cost_rows plugin "cost (fields mode)"
    if [[ -n ${result[summary.title]:-} ]]; then cost_rows summary "cost (summary mode)"; fi
fi
echo
echo "A and B: plugin = without | with the plugin; summary = tshark -r CAP without | with the plugin;"
echo "disabled = tshark -r CAP without the plugin | with it installed and --disable-protocol tcpwave;"
echo "cli = the CLI's tshark command alone | tcpwave report (memory: GNU time's %M, the largest process"
echo "of the tree; own mem/cpu: the tcpwave process itself); batch = --jobs 1 | --jobs 2."
echo "engines = tcpwave report --engine tshark | --engine native; tcptrace = tcptrace -l | --engine native;"
echo "corpus = report --jobs 2 --engine auto | --engine native over $corpus_dir; jobs = --engine native,"
echo "--jobs 1 | --jobs 2 over 8 links to the capture; engines (callgrind) = the tshark engine (its tshark"
echo "and the tcpwave process) | the native engine, instructions per packet."
echo "Cost: the peak-RSS difference with the plugin, less its fixed cost (the same pair on the sample"
echo "capture), divided by frames and, separately, by connections: each is an upper bound of that share."
log "done: $run_count runs"
