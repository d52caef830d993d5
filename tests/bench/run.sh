#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - `make bench`: runs the whyslow benchmarks and prints their figures.
# Usage: sh tests/bench/run.sh BUILD_DIR
#
# The machine may be shared and noisy, so no figure relies on an absolute
# time: each compares traced (LD_PRELOAD=libwhyslow.so) and untraced runs
# made side by side in this one run, interleaved, taking medians (each
# overhead run itself reports the best of 5 timed slices).
# Settings: BENCH_ROUNDS (rounds of each overhead benchmark, default 7),
# BENCH_FLUSHER_SECONDS (default 5), BENCH_FLUSHER_RATES (the paced rates of
# lock events tried, in M/s, default "5 10 15 20"), BENCH_MIXED_SECONDS
# (default 2), BENCH_SQLITE_PAIRS, BENCH_SQLITE_SLICES and
# BENCH_SQLITE_QUERIES (the Python sqlite3 benchmark's pairs of processes,
# default 21, slices each pair runs, 50, and queries per slice, 2000),
# BENCH_DECODER_QUERIES (queries in the
# decoder's large log, default 1000000), BENCH_PROCESS_COUNT and
# BENCH_PROCESS_ROUNDS (the short-process loops, of /bin/true and of cat:
# 200 processes, 15 rounds),
# BENCH_BUILD_ROUNDS (rounds of the make and git jobs, 5), BENCH_ONLY (run
# only these, by name: write mutex mark handover stack pystack process jobs flusher
# flusher_locks mixed sqlite_py decoder http export), BENCH_HTTP_SLICES,
# BENCH_HTTP_SLICE and BENCH_HTTP_DECODER_REQUESTS (the requests
# benchmark: 200 slices of 200 requests, 100000 for the decoder),
# BENCH_EXPORT_EVENTS and BENCH_EXPORT_COPIES (the export benchmark's run:
# about 10000000 events, from 4 copies of bench_mixed at once).
set -u

if [ $# -ne 1 ]; then
    echo "usage: sh tests/bench/run.sh BUILD_DIR" >&2
    exit 2
fi
BUILD=$(cd "$1" 2>/dev/null && pwd) || {
    echo "bench: no build directory '$1'" >&2
    exit 2
}
BENCH=$BUILD/tests/bench
LIB=$BUILD/libwhyslow.so
CLI=$BUILD/whyslow
ROUNDS=${BENCH_ROUNDS:-7}
FLUSHER_SECONDS=${BENCH_FLUSHER_SECONDS:-5}
MIXED_SECONDS=${BENCH_MIXED_SECONDS:-2}
SQLITE_QUERIES=${BENCH_SQLITE_QUERIES:-2000}
SQLITE_SLICES=${BENCH_SQLITE_SLICES:-50}
SQLITE_PAIRS=${BENCH_SQLITE_PAIRS:-21}
DECODER_QUERIES=${BENCH_DECODER_QUERIES:-1000000}
BUILD_ROUNDS=${BENCH_BUILD_ROUNDS:-5}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PROCESS_COUNT=${BENCH_PROCESS_COUNT:-200}
PROCESS_ROUNDS=${BENCH_PROCESS_ROUNDS:-15}
HTTP_SLICES=${BENCH_HTTP_SLICES:-200}
HTTP_SLICE=${BENCH_HTTP_SLICE:-200}
HTTP_DECODER_REQUESTS=${BENCH_HTTP_DECODER_REQUESTS:-100000}
EXPORT_EVENTS=${BENCH_EXPORT_EVENTS:-10000000}
EXPORT_COPIES=${BENCH_EXPORT_COPIES:-4}
# Debian's python3 (its sqlite3 module on Debian's libsqlite3), whatever
# python3 is first on PATH.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# Nothing of the caller's environment may change what gets measured.
unset LD_PRELOAD WHYSLOW_DIR WHYSLOW_FLUSH_MS WHYSLOW_LOCKS WHYSLOW_DISABLE

TMP=$(mktemp -d "${TMPDIR:-/tmp}/whyslow-bench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
SUMMARY=$TMP/summary
: >"$SUMMARY"
status=0

# Whether the benchmark NAME is to run (BENCH_ONLY unset, or names it).
wanted() {
    [ -z "${BENCH_ONLY:-}" ] && return 0
    case " $BENCH_ONLY " in *" $1 "*) return 0 ;; esac
    return 1
}

# Prints a figure now and keeps it for the summary.
figure() {
    echo "$1"
    echo "$1" >>"$SUMMARY"
}

note() {
    echo "  note: $1"
    echo "  note: $1" >>"$SUMMARY"
}

# The value of KEY in a "key=value key=value" line on stdin.
field() {
    awk -v k="$1" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) print substr($i, length(k) + 2) }'
}

# The median of the numbers on stdin, one a line.
median() {
    sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# calc FORMAT EXPR: prints an awk arithmetic expression with a printf format.
calc() {
    awk "BEGIN { printf \"$1\\n\", $2 }"
}

# Total size in bytes of the logs in a directory.
log_bytes() {
    cat "$1"/*.wslog 2>/dev/null | wc -c | tr -d ' '
}

# run_untraced PROG ARGS...: runs a benchmark, prints its output line.
run_untraced() {
    "$@" 2>"$TMP/stderr" || {
        echo "bench: '$*' failed:" >&2
        cat "$TMP/stderr" >&2
        return 1
    }
}

# run_traced LOGDIR PROG ARGS...: runs a benchmark under the recorder,
# logging into LOGDIR (made afresh).
run_traced() {
    logdir=$1
    shift
    rm -rf "$logdir"
    mkdir -p "$logdir"
    LD_PRELOAD=$LIB WHYSLOW_DIR=$logdir "$@" 2>"$TMP/stderr" || {
        echo "bench: 'LD_PRELOAD=$LIB WHYSLOW_DIR=$logdir $*' failed:" >&2
        cat "$TMP/stderr" >&2
        return 1
    }
    if [ -z "$(ls "$logdir"/*.wslog 2>/dev/null)" ]; then
        echo "bench: the traced run of $1 wrote no log in $logdir" >&2
        return 1
    fi
}

# report_counts LOGDIR: prints "EVENTS LOST" summed over the processes of
# `whyslow report --json LOGDIR`; fails (saying why in $TMP/why) if the
# report cannot be had.
report_counts() {
    if [ ! -x "$CLI" ]; then
        echo "$CLI is missing" >"$TMP/why"
        return 1
    fi
    if ! "$CLI" report --json "$1" >"$TMP/report.json" 2>"$TMP/report.err"; then
        echo "'whyslow report --json' failed: $(head -n 3 "$TMP/report.err" | tr '\n' ' ')" >"$TMP/why"
        return 1
    fi
    if command -v python3 >/dev/null 2>&1; then
        python3 -c '
import json, sys
procs = json.load(open(sys.argv[1]))["processes"]
print(sum(p["events"] for p in procs), sum(p["lost_events"] for p in procs))
' "$TMP/report.json" 2>"$TMP/why" && return 0
        echo "cannot read events/lost_events from the JSON report: $(tail -n 1 "$TMP/why")" >"$TMP/why"
        return 1
    elif command -v jq >/dev/null 2>&1; then
        jq -r '[([.processes[].events] | add), ([.processes[].lost_events] | add)] | "\(.[0]) \(.[1])"' \
            "$TMP/report.json" 2>"$TMP/why" && return 0
        echo "cannot read events/lost_events from the JSON report" >"$TMP/why"
        return 1
    fi
    echo "neither python3 nor jq is installed to read the JSON report" >"$TMP/why"
    return 1
}

# report_queries LOGDIR: prints "QUERIES LOST", the queries[] counts and the
# lost events summed over the processes of `whyslow report --json LOGDIR`;
# fails (saying why in $TMP/why) if they cannot be had.
report_queries() {
    if ! "$CLI" report --json "$1" >"$TMP/report.json" 2>"$TMP/report.err"; then
        echo "'whyslow report --json' failed: $(head -n 3 "$TMP/report.err" | tr '\n' ' ')" >"$TMP/why"
        return 1
    fi
    "$PY" -c '
import json, sys
rep = json.load(open(sys.argv[1]))
if "queries" not in rep:
    sys.exit("the JSON report has no queries[]")
print(sum(q["count"] for q in rep["queries"]), sum(p["lost_events"] for p in rep["processes"]))
' "$TMP/report.json" 2>"$TMP/why"
}

# rotating_rounds N NAME FN MODE...: N rounds, each running `FN MODE` for
# every mode, the order rotating from round to round so that no mode always
# runs after the same other; FN prints one figure, kept a line a round in
# $TMP/NAME.MODE.
rotating_rounds() {
    rr_left=$1 rr_name=$2 rr_fn=$3
    shift 3
    for rr_m in "$@"; do : >"$TMP/$rr_name.$rr_m"; done
    rr_modes="$*"
    while [ "$rr_left" -gt 0 ]; do
        for rr_m in $rr_modes; do
            rr_v=$("$rr_fn" "$rr_m") && [ -n "$rr_v" ] || return 1
            echo "$rr_v" >>"$TMP/$rr_name.$rr_m"
        done
        rr_modes="${rr_modes#* } ${rr_modes%% *}"
        rr_left=$((rr_left - 1))
    done
}

# runs_into N OUT FN: N runs of `FN I` (I from 1 to N), the lines they
# print appended to OUT (made afresh); fails, saying why, when one does.
runs_into() {
    ri_n=$1 ri_out=$2 ri_fn=$3
    : >"$ri_out"
    ri_i=1
    while [ "$ri_i" -le "$ri_n" ]; do
        "$ri_fn" "$ri_i" >>"$ri_out" 2>"$TMP/stderr" || {
            echo "bench: $ri_fn failed:" >&2
            cat "$TMP/stderr" >&2
            return 1
        }
        ri_i=$((ri_i + 1))
    done
}

# paired_median A B: the median of the rounds' differences A - B (files
# of one figure a line, round by round), the differences left in
# $TMP/diffs.  Each round's runs were back to back: steadier than the
# difference of the medians.
paired_median() {
    paste "$1" "$2" | awk '{ printf "%.2f\n", $1 - $2 }' >"$TMP/diffs"
    median <"$TMP/diffs"
}

# Seconds since the epoch, to the nanosecond.
now() {
    date +%s.%N
}

# ---- checks ----

missing=""
for b in bench_write bench_mutex bench_flusher bench_mixed bench_wake bench_mark; do
    [ -x "$BENCH/$b" ] || missing="$missing $b"
done
if [ -n "$missing" ]; then
    echo "bench: building$missing" >&2
    for b in $missing; do
        cmake --build "$BUILD" --target "$b" >"$TMP/build.log" 2>&1 || {
            cat "$TMP/build.log" >&2
            echo "bench: cannot build $b in $BUILD" >&2
            exit 1
        }
    done
fi
# The reference wrapper (x86-64 only; write falls back to untraced/traced).
[ -f "$BENCH/libwsref.so" ] || cmake --build "$BUILD" --target wsref >/dev/null 2>&1
[ -f "$BENCH/libwsempty.so" ] || cmake --build "$BUILD" --target wsempty >/dev/null 2>&1

traced=yes
if [ ! -f "$LIB" ]; then
    traced=no
    echo "bench: $LIB is missing (build it first: make); only untraced figures follow" >&2
    status=1
fi

# ---- the host: does a syscall flush the TLB? ----

# With page-table isolation and no PCID, every syscall flushes the TLB:
# every page a wrapper touches after the real call then misses, and the
# per-call figures below are worth several times what they are elsewhere.
host_state() {
    pti=$(cat /sys/devices/system/cpu/vulnerabilities/meltdown 2>/dev/null || echo unknown)
    if grep -qw pcid /proc/cpuinfo 2>/dev/null; then pcid=yes; else pcid=no; fi
    case "$pti" in
    *PTI*) [ "$pcid" = no ] && flush="every syscall flushes the TLB" || flush="syscalls keep the TLB (PCID)" ;;
    *) flush="syscalls keep the TLB (no PTI)" ;;
    esac
    figure "host: meltdown: $pti; pcid: $pcid: $flush"
}
host_state

# ---- overhead per call: bench_write, bench_mutex ----

# overhead LABEL UNIT PROG ARGS...: ROUNDS interleaved untraced/traced runs;
# prints "LABEL: untraced X UNIT, traced Y UNIT, added Z UNIT per call".
overhead() {
    label=$1
    target=$2
    shift 2
    : >"$TMP/untraced"
    : >"$TMP/traced"
    echo "running $(basename "$1"): $ROUNDS rounds, untraced and traced interleaved" >&2
    r=1
    while [ "$r" -le "$ROUNDS" ]; do
        # Alternate which goes first, so neither always runs after the other.
        for mode in $(if [ $((r % 2)) = 1 ]; then echo untraced traced; else echo traced untraced; fi); do
            if [ "$mode" = untraced ]; then
                out=$(run_untraced "$@") || return 1
            elif [ "$traced" = yes ]; then
                out=$(run_traced "$TMP/log" "$@") || return 1
            else
                continue
            fi
            echo "$out" | field ns_per_op >>"$TMP/$mode"
        done
        r=$((r + 1))
    done
    rm -rf "$TMP/log"
    u=$(median <"$TMP/untraced")
    if [ "$traced" = yes ]; then
        t=$(median <"$TMP/traced")
        added=$(paired_median "$TMP/traced" "$TMP/untraced")
        range="$(sort -n "$TMP/diffs" | head -n 1)..$(sort -n "$TMP/diffs" | tail -n 1)"
        if [ "$target" = - ]; then want=""; else want="target <= $target ns; "; fi
        figure "$label: untraced $u ns, traced $t ns, added $(calc %.1f "$added") ns per call (${want}rounds: $range)"
    else
        figure "$label: untraced $u ns, traced not measured (no $LIB)"
    fi
}

# write() against the reference wrapper (ref_write.c): each round one
# process, preloaded with both, calls libc's write(), the reference's and
# whyslow's in turn, a block of 2000 calls each (bench_write
# --side-by-side); the figures are the medians over the rounds of each
# process's medians.  Side by side in one process, the host's drift cancels
# out; the processes differ (where their pages land), hence the rounds.
# The targets: within 10 ns of the reference where syscalls flush the TLB,
# 30 ns added where they do not.
# One process of the write() comparison (runs_into's FN).
write_side_by_side() {
    rm -rf "$TMP/log"
    mkdir -p "$TMP/log"
    LD_PRELOAD="$LIB $BENCH/libwsref.so" WHYSLOW_DIR=$TMP/log "$BENCH/bench_write" --side-by-side
}

write_vs_reference() {
    if [ ! -f "$BENCH/libwsref.so" ]; then
        overhead "write() to /dev/null" 30 "$BENCH/bench_write" 100000
        return
    fi
    [ "$traced" = yes ] || return 1
    echo "running bench_write --side-by-side: $ROUNDS processes calling untraced, the reference wrapper and whyslow in turn" >&2
    runs_into "$ROUNDS" "$TMP/w.out" write_side_by_side || return 1
    rm -rf "$TMP/log"
    for k in untraced_ns added_reference added_whyslow over_reference; do
        eval "w_$k=\$(field $k <\"\$TMP/w.out\" | median)"
    done
    range="$(field over_reference <"$TMP/w.out" | sort -n | head -n 1)..$(field over_reference <"$TMP/w.out" | sort -n | tail -n 1)"
    figure "write() to /dev/null: untraced $w_untraced_ns ns; added $(calc %.1f "$w_added_whyslow") ns by whyslow, $(calc %.1f "$w_added_reference") ns by the reference wrapper: whyslow $(calc %.1f "$w_over_reference") ns over the reference (target <= 10 where syscalls flush the TLB, else <= 30 added; processes: $range; its code at page offset $(head -n 1 "$TMP/w.out" | field page_offset))"
}

# An uncontended lock and unlock, libc's and whyslow's wrappers' in turn
# in one process preloaded with the recorder (bench_mutex --side-by-side),
# ROUNDS processes; the figures are the medians over them of each
# process's medians.  Measured in separate processes, traced and not, the
# rounds' differences spread over some 4 ns on a shared host, twice the
# target.
mutex_side_by_side() {
    rm -rf "$TMP/log"
    mkdir -p "$TMP/log"
    LD_PRELOAD=$LIB WHYSLOW_DIR=$TMP/log "$BENCH/bench_mutex" --side-by-side
}

mutex_cost() {
    [ "$traced" = yes ] || {
        overhead "pthread_mutex_lock+unlock, uncontended" 2 "$BENCH/bench_mutex" 20000000
        return
    }
    echo "running bench_mutex --side-by-side: $ROUNDS processes calling libc's lock and unlock and whyslow's in turn" >&2
    runs_into "$ROUNDS" "$TMP/m.out" mutex_side_by_side || return 1
    rm -rf "$TMP/log"
    for k in untraced_ns whyslow_ns added; do
        eval "m_$k=\$(field $k <\"\$TMP/m.out\" | median)"
    done
    range="$(field added <"$TMP/m.out" | sort -n | head -n 1)..$(field added <"$TMP/m.out" | sort -n | tail -n 1)"
    figure "pthread_mutex_lock+unlock, uncontended: untraced $m_untraced_ns ns, traced $m_whyslow_ns ns, added $(calc %.1f "$m_added") ns per call (target <= 2 ns; side by side in each process, processes: $range)"
}

! wanted write || write_vs_reference || status=1
! wanted mutex || mutex_cost || status=1
# A mark (include/whyslow/mark.h): untraced, the header's check finds no
# library; traced, two records.  "per call" is per begin + end pair.
! wanted mark || overhead "a mark (whyslow_begin + whyslow_end)" - "$BENCH/bench_mark" 2000000 || status=1
# A hand-over between two threads: a cond wait that blocks and the signal
# that wakes it, both recorded; "per call" is per hand-over.
! wanted handover || overhead "contended hand-over (cond wait + its wake-up)" - "$BENCH/bench_wake" pingpong 100000 || status=1

# The price of a setting: ROUNDS runs traced with the settings WITH and
# with WITHOUT (each "VAR=VALUE ..."), interleaved, of the command after
# them, which prints ns_per_op=; prints FIGURE (a printf format of the
# median difference, in ns) with the rounds' range.
setting_cost() {
    fmt=$1 with_env=$2 without_env=$3
    shift 3
    : >"$TMP/diffs"
    r=1
    while [ "$r" -le "$ROUNDS" ]; do
        with=$(export $with_env && run_traced "$TMP/log" "$@" | field ns_per_op) || return 1
        without=$(export $without_env && run_traced "$TMP/log" "$@" | field ns_per_op) || return 1
        calc %.1f "$with - $without" >>"$TMP/diffs"
        r=$((r + 1))
    done
    rm -rf "$TMP/log"
    range="$(sort -n "$TMP/diffs" | head -n 1)..$(sort -n "$TMP/diffs" | tail -n 1)"
    # shellcheck disable=SC2059
    figure "$(printf "$fmt" "$(calc %.0f "$(median <"$TMP/diffs")")") (rounds: $range)"
}

# The price of a stack: the same slow reads traced with every read keeping
# its stack (WHYSLOW_STACK_MS=0.001) and with none (a threshold of 1 s).
stack_cost() {
    [ "$traced" = yes ] || return 1
    echo "running bench_wake slow: $ROUNDS rounds, stacks kept and not, interleaved" >&2
    setting_cost "stack of a slow event (16 frames): added %s ns per event" \
        WHYSLOW_STACK_MS=0.001 WHYSLOW_STACK_MS=1000 "$BENCH/bench_wake" slow 3000
}

! wanted stack || stack_cost || status=1

# The price of a slow event's Python stack: a Python loop of writes, 20
# frames deep, each write keeping its stacks (WHYSLOW_STACK_MS=0.0001),
# with the Python frames read and not (WHYSLOW_PYTHON=off).
pystack_cost() {
    [ "$traced" = yes ] || return 1
    echo "running bench_pystack.py: $ROUNDS rounds, Python frames read and not, interleaved" >&2
    setting_cost "python stack of a slow event (20 frames): added %s ns per event" \
        WHYSLOW_STACK_MS=0.0001 "WHYSLOW_STACK_MS=0.0001 WHYSLOW_PYTHON=off" \
        "$PY" "$(dirname "$0")/bench_pystack.py"
}

! wanted pystack || pystack_cost || status=1

# ---- the cost of a traced process: a shell loop of short processes ----

# Build systems, test runners and scripts are made of short processes:
# what tracing adds to each, start to end.  A shell loop of PROCESS_COUNT
# /bin/true, run untraced, preloaded with a library that does nothing
# (empty_preload.c: the floor of any LD_PRELOAD here, which the disabled
# recorder cannot go under), preloaded but disabled (WHYSLOW_DISABLE=1),
# preloaded with each process's own flusher, and under `whyslow record`
# (which serves the flushers), in a rotating order, PROCESS_ROUNDS rounds;
# per mode, the median of the rounds' differences from the untraced run of
# the same round, per process.  Each traced run writes its logs in a
# directory of its own, all removed at the end, as make_job's (below):
# removing each round's 200 logs before the next made each log's creation
# cost the flusher some 500 us more (perf: ext4's recently_deleted), a cost
# of the benchmark's rm, which ran beside the loop.
# One loop of short processes in mode untraced, empty, disabled, preloaded
# or record: microseconds per process.
loop_in() {
    mkdir -p "$TMP/plog"
    logs=$(mktemp -u "$TMP/plog/run.XXXXXX")
    t0=$(now)
    case $1 in
    untraced) sh "$TMP/loop.sh" ;;
    empty) LD_PRELOAD=$BENCH/libwsempty.so sh "$TMP/loop.sh" ;;
    disabled) LD_PRELOAD=$LIB WHYSLOW_DISABLE=1 sh "$TMP/loop.sh" ;;
    preloaded) LD_PRELOAD=$LIB WHYSLOW_DIR=$logs sh "$TMP/loop.sh" ;;
    record) "$CLI" record -o "$logs" -- sh "$TMP/loop.sh" 2>/dev/null ;;
    esac || return 1
    calc %.3f "($(now) - $t0) * 1e6 / $PROCESS_COUNT"
    settle_flushers
}

# Waits (at most 10 s, untimed) until no flusher process is left: the
# flushers of the preloaded mode's processes go on writing after their
# process ended, and would otherwise slow the next mode's loop, which
# rotating_rounds runs right after.
settle_flushers() {
    sf_i=0
    while pgrep -x whyslow-flush >/dev/null 2>&1 && [ "$sf_i" -lt 200 ]; do
        sleep 0.05
        sf_i=$((sf_i + 1))
    done
}

process_cost() {
    printf 'i=0; while [ $i -lt %d ]; do /bin/true; i=$((i + 1)); done\n' "$PROCESS_COUNT" >"$TMP/loop.sh"
    modes=untraced
    [ -f "$BENCH/libwsempty.so" ] && modes="$modes empty"
    modes="$modes disabled preloaded record"
    echo "running a loop of $PROCESS_COUNT /bin/true: $PROCESS_ROUNDS rounds of $modes, interleaved" >&2
    rotating_rounds "$PROCESS_ROUNDS" proc loop_in $modes || return 1
    rm -rf "$TMP/plog"
    # Each mode's median and the range of its rounds: on a noisy host the
    # rounds spread wider than the targets' margins.
    for m in ${modes#untraced }; do
        pc_added=$(paired_median "$TMP/proc.$m" "$TMP/proc.untraced")
        pc_range="$(calc %.0f "$(sort -n "$TMP/diffs" | head -n 1)")..$(calc %.0f "$(sort -n "$TMP/diffs" | tail -n 1)")"
        eval "added_$m=\$pc_added range_$m=\$pc_range"
    done
    floor=
    [ -f "$BENCH/libwsempty.so" ] && floor="; a preloaded library that does nothing adds $(calc %.0f "$added_empty") us (rounds $range_empty), the floor of any LD_PRELOAD here"
    figure "a traced process (loop of $PROCESS_COUNT /bin/true; untraced $(calc %.0f "$(median <"$TMP/proc.untraced")") us each): added $(calc %.0f "$added_record") us under whyslow record (target <= 500; rounds $range_record), $(calc %.0f "$added_preloaded") us preloaded with its own flusher (target <= 500; rounds $range_preloaded), $(calc %.0f "$added_disabled") us preloaded but disabled (target <= 100; rounds $range_disabled)$floor"

    # /bin/true records nothing (its log comes from a closing hello); a
    # process that records events (cat: its open, reads and write) has a
    # region, a hello and a flusher of record's, and gives it its map at
    # its end.
    printf 'i=0; while [ $i -lt %d ]; do cat /etc/hostname >/dev/null; i=$((i + 1)); done\n' "$PROCESS_COUNT" >"$TMP/loop.sh"
    echo "running a loop of $PROCESS_COUNT cat: $PROCESS_ROUNDS rounds of untraced and record, interleaved" >&2
    rotating_rounds "$PROCESS_ROUNDS" cat loop_in untraced record || return 1
    rm -rf "$TMP/plog"
    pc_added=$(paired_median "$TMP/cat.record" "$TMP/cat.untraced")
    pc_range="$(calc %.0f "$(sort -n "$TMP/diffs" | head -n 1)")..$(calc %.0f "$(sort -n "$TMP/diffs" | tail -n 1)")"
    figure "a traced process that records events (loop of $PROCESS_COUNT cat; untraced $(calc %.0f "$(median <"$TMP/cat.untraced")") us each): added $(calc %.0f "$pc_added") us under whyslow record (rounds $pc_range)"
}

! wanted process || { [ "$traced" = yes ] && process_cost; } || status=1

# Real jobs made of many processes, untraced and under `whyslow record`,
# alternating, BUILD_ROUNDS rounds each: `make -j2` of this project from a
# fresh configure (its compilers, linkers, cmake), and git cloning this
# repository, then `git log -p` and `git gc` in the clone.  The figure is
# the median of the rounds' traced/untraced ratios.
job_ratio() {
    label=$1
    shift
    : >"$TMP/ratios"
    r=1
    while [ "$r" -le "$BUILD_ROUNDS" ]; do
        "$@" prepare >/dev/null 2>&1 || return 1
        t0=$(now)
        "$@" untraced >/dev/null 2>&1 || return 1
        t1=$(now)
        "$@" prepare >/dev/null 2>&1 || return 1
        t2=$(now)
        "$@" traced >/dev/null 2>&1 || return 1
        t3=$(now)
        calc %.3f "($t3 - $t2) / ($t1 - $t0)" >>"$TMP/ratios"
        r=$((r + 1))
    done
    figure "$label: traced/untraced $(median <"$TMP/ratios") (rounds: $(sort -n "$TMP/ratios" | tr '\n' ' '| sed 's/ $//'))"
}

# make_job prepare|untraced|traced: a fresh configure (not timed), then
# the build of this project's sources.  Each traced round writes its logs
# in a directory of its own, all deleted at the end: on ext4, creating
# files soon after deleting many nearby costs the kernel a search past
# each recently deleted inode, and deleting the last round's 1300 logs
# before a round made its 1300 log creations cost about 5 % of the build
# (perf: recently_deleted, find_inode_bit), a cost of the benchmark's own
# rm, not of recording.
make_job() {
    case $1 in
    prepare)
        rm -rf "$TMP/mk"
        cmake -S "$SRC" -B "$TMP/mk" -DCMAKE_BUILD_TYPE=Release
        ;;
    untraced) make -C "$TMP/mk" -j2 ;;
    traced) "$CLI" record -o "$TMP/mklog$r" -- make -C "$TMP/mk" -j2 ;;
    esac
}

# git_job prepare|untraced|traced: clone this repository, read its whole
# history, repack it.
git_job() {
    cmd='git clone -q --no-local "$0" "$1" && git -C "$1" log -p >/dev/null && git -C "$1" gc -q'
    case $1 in
    prepare) rm -rf "$TMP/gitc" ;;
    untraced) sh -c "$cmd" "$SRC" "$TMP/gitc" ;;
    traced) "$CLI" record -o "$TMP/gitlog$r" -- sh -c "$cmd" "$SRC" "$TMP/gitc" ;;
    esac
}

if wanted jobs && [ "$traced" = yes ]; then
    echo "running make -j2 of whyslow and git clone/log -p/gc, untraced and recorded, $BUILD_ROUNDS rounds" >&2
    job_ratio "make -j2 of whyslow (target <= 1.10)" make_job || status=1
    if git -C "$SRC" rev-parse >/dev/null 2>&1; then
        job_ratio "git clone + log -p + gc of whyslow" git_job || status=1
    else
        note "$SRC is no git checkout: no git figure"
    fi
    rm -rf "$TMP/mk" "$TMP"/mklog* "$TMP/gitc" "$TMP"/gitlog*
fi

# ---- flusher throughput: bench_flusher ----

flusher() {
    echo "running bench_flusher: ${FLUSHER_SECONDS} s untraced, then ${FLUSHER_SECONDS} s traced" >&2
    out=$(run_untraced "$BENCH/bench_flusher" "$FLUSHER_SECONDS") || return 1
    ucalls=$(echo "$out" | field calls)
    usecs=$(echo "$out" | field seconds)
    urate=$(calc %.2f "$ucalls / $usecs / 1e6")
    if [ "$traced" = no ]; then
        figure "flusher: untraced the two threads make $urate million write()/s; traced not measured (no $LIB)"
        return 1
    fi
    log=$TMP/flusher
    out=$(run_traced "$log" "$BENCH/bench_flusher" "$FLUSHER_SECONDS") || return 1
    calls=$(echo "$out" | field calls)
    secs=$(echo "$out" | field seconds)
    rate=$(calc %.2f "$calls / $secs / 1e6")
    bytes=$(log_bytes "$log")
    if counts=$(report_counts "$log"); then
        events=${counts% *}
        lost=${counts#* }
        erate=$(calc %.2f "$events / $secs / 1e6")
        figure "flusher: $events events in $secs s = $erate million events/s, lost $lost (target: lost 0; the rate is bounded by the loop's own write()s, the flusher's capacity is the paced lock events' figure)"
        figure "flusher log: $bytes bytes, $(calc %.2f "$bytes / $events") bytes per event"
        # Each of the calls made should be an event, recorded or lost.
        if [ $((events + lost)) -lt "$calls" ]; then
            note "the program made $calls write() calls but the report counts $events events + $lost lost"
        fi
    else
        figure "flusher: $calls write() calls traced in $secs s = $rate million calls/s; events and lost_events unknown ($(cat "$TMP/why"))"
        figure "flusher log: $bytes bytes, $(calc %.2f "$bytes / $calls") bytes per call made"
        status=1
    fi
    figure "flusher context: the same loop makes $urate million write()/s untraced, $rate million traced (traced/untraced $(calc %.2f "$rate / $urate"))"
    rm -rf "$log"
}

! wanted flusher || flusher || status=1

# The same with events far cheaper than a syscall: uncontended mutex
# lock/unlock recorded with WHYSLOW_LOCKS=all, to load the flusher beyond
# what a syscall loop can produce on this machine.  Two threads paced at a
# given total rate for FLUSHER_SECONDS each, rate after rate: the figure is
# the highest rate held with no event lost.
flusher_locks_at() {
    rate=$1
    echo "running bench_flusher mutex at $rate M/s: ${FLUSHER_SECONDS} s traced with WHYSLOW_LOCKS=all" >&2
    log=$TMP/flusher
    out=$(export WHYSLOW_LOCKS=all && run_traced "$log" "$BENCH/bench_flusher" "$FLUSHER_SECONDS" mutex "$rate") || return 1
    secs=$(echo "$out" | field seconds)
    bytes=$(log_bytes "$log")
    counts=$(report_counts "$log") || {
        figure "flusher, lock events at $rate M/s: events unknown ($(cat "$TMP/why"))"
        return 1
    }
    events=${counts% *}
    lost=${counts#* }
    figure "flusher, lock events paced at $rate M/s: $events events in $secs s = $(calc %.2f "$events / $secs / 1e6") million events/s, lost $lost, $(calc %.2f "$bytes / $events") bytes per event"
    rm -rf "$log"
    [ "$lost" = 0 ]
}

flusher_locks() {
    [ "$traced" = yes ] || return 1
    held=none
    for rate in ${BENCH_FLUSHER_RATES:-5 10 15 20}; do
        flusher_locks_at "$rate" || break
        held=$rate
    done
    figure "flusher holds with no loss: $held million events/s (two busy threads, ${FLUSHER_SECONDS} s each rate; target >= 5)"
}

! wanted flusher_locks || flusher_locks || status=1

# ---- log size on a mixed workload: bench_mixed ----

mixed() {
    if [ "$traced" = no ]; then
        figure "mixed workload: not measured (no $LIB)"
        return 1
    fi
    echo "running bench_mixed: ${MIXED_SECONDS} s untraced, then ${MIXED_SECONDS} s traced" >&2
    out=$(run_untraced "$BENCH/bench_mixed" "$MIXED_SECONDS") || return 1
    ucalls=$(echo "$out" | field calls)
    log=$TMP/mixed
    out=$(run_traced "$log" "$BENCH/bench_mixed" "$MIXED_SECONDS") || return 1
    calls=$(echo "$out" | field calls)
    bytes=$(log_bytes "$log")
    if counts=$(report_counts "$log"); then
        events=${counts% *}
        lost=${counts#* }
        figure "mixed workload: $(calc %.2f "$bytes / $events") bytes of log per event ($events events, $bytes bytes)"
        [ "$lost" = 0 ] || note "mixed workload: $lost events lost"
    else
        figure "mixed workload: events unknown ($(cat "$TMP/why")); $bytes bytes of log for $calls calls made = $(calc %.2f "$bytes / $calls") bytes per call"
        status=1
    fi
    figure "mixed context: the workload made $calls calls traced, $ucalls untraced, in ${MIXED_SECONDS} s each"
    rm -rf "$log"
}

! wanted mixed || mixed || status=1

# ---- database calls: a Python sqlite3 loop traced and untraced ----

# The Python sqlite3 loop, untraced and traced side by side: SQLITE_PAIRS
# pairs of processes (one untraced copy, one traced), each running
# SQLITE_SLICES slices of SQLITE_QUERIES point selects in turn
# (bench_sqlite_py.py says why); for each pair, the wall time a query
# takes in the fastest tenth of each copy's slices and the overhead in
# percent between them; the figures are the medians over the pairs (one
# pair is not enough: where each process's pages land moves its figure by
# a point or two, and by several in a few).  Each pair runs on one CPU:
# left to the scheduler, a copy kept to a slower CPU moved single pairs by
# a third or more, and the median of 21 pairs by 3 points between runs.
# The log written per query is the first pair's.
# One pair of the Python loop (runs_into's FN); the first pair's log is
# kept for its size.
sqlite_pair() {
    rm -rf "$TMP/sqlite.$1"
    mkdir -p "$TMP/sqlite.$1"
    "$PY" "$(dirname "$0")/bench_sqlite_py.py" "$LIB" "$TMP/sqlite.$1" "$SQLITE_SLICES" "$SQLITE_QUERIES" || return 1
    [ "$1" = 1 ] || rm -rf "$TMP/sqlite.$1"
}

sqlite_py() {
    if ! "$PY" -c 'import sqlite3' 2>/dev/null; then
        figure "python sqlite3 loop: not measured ($PY has no sqlite3 module)"
        return 1
    fi
    if [ "$traced" = no ]; then
        figure "python sqlite3 point select: not measured (no $LIB)"
        return 1
    fi
    echo "running bench_sqlite_py.py: $SQLITE_PAIRS pairs of processes, $SQLITE_SLICES slices of $SQLITE_QUERIES queries each, untraced and traced in turn" >&2
    runs_into "$SQLITE_PAIRS" "$TMP/sqlite.out" sqlite_pair || return 1
    made=$(head -n 1 "$TMP/sqlite.out" | field queries)
    range="$(field overhead_pct <"$TMP/sqlite.out" | sort -n | head -n 1)..$(field overhead_pct <"$TMP/sqlite.out" | sort -n | tail -n 1)"
    figure "python sqlite3 point select: untraced $(field untraced_ns <"$TMP/sqlite.out" | median | xargs printf %.0f) ns, traced $(field traced_ns <"$TMP/sqlite.out" | median | xargs printf %.0f) ns per query, overhead $(field overhead_pct <"$TMP/sqlite.out" | median) % (target <= 5 %; the fastest tenth of each copy's slices, the median over $SQLITE_PAIRS pairs of processes: $range)"
    # The log of the first pair's traced copy.
    bytes=$(log_bytes "$TMP/sqlite.1")
    if counts=$(report_queries "$TMP/sqlite.1"); then
        queries=${counts% *}
        lost=${counts#* }
        figure "python sqlite3 log: $bytes bytes for $queries queries recorded = $(calc %.2f "$bytes / $queries") bytes per query (the program ran $made; lost events $lost)"
        [ "$queries" = "$made" ] || note "the program ran $made queries but the report counts $queries"
    else
        figure "python sqlite3 log: $bytes bytes for the $made queries the program ran = $(calc %.2f "$bytes / $made") bytes per query ($(cat "$TMP/why"))"
        return 1
    fi
    rm -rf "$TMP/sqlite.1"
}

! wanted sqlite_py || sqlite_py || status=1

# ---- requests: a keep-alive HTTP server, traced and not ----

# http_start MODE NAME: starts bench_http's server in MODE (untraced;
# traced: the requests followed, logging into $TMP/NAME; off:
# WHYSLOW_HTTP=off); sets http_pid and http_port.
HTTP_CPU="taskset -c 0"
command -v taskset >/dev/null || HTTP_CPU=

http_start() {
    rm -rf "$TMP/$2" "$TMP/$2.port"
    mkdir -p "$TMP/$2"
    case $1 in
    untraced) $HTTP_CPU "$BENCH/bench_http" serve "$TMP/$2.port" & ;;
    traced) LD_PRELOAD=$LIB WHYSLOW_DIR=$TMP/$2 $HTTP_CPU "$BENCH/bench_http" serve "$TMP/$2.port" & ;;
    off) LD_PRELOAD=$LIB WHYSLOW_DIR=$TMP/$2 WHYSLOW_HTTP=off $HTTP_CPU "$BENCH/bench_http" serve "$TMP/$2.port" & ;;
    esac
    http_pid=$!
    i=0
    while [ ! -s "$TMP/$2.port" ] && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    http_port=$(cat "$TMP/$2.port" 2>/dev/null) || {
        kill "$http_pid"
        return 1
    }
}

http_stop() {
    "$BENCH/bench_http" quit "$1" >/dev/null
    wait "$2"
}

# A server untraced and one traced at once, loaded by one untraced client
# that takes turns at slices of HTTP_SLICE requests (HTTP_SLICES each, as
# the Python loop's benchmark does), all on one CPU (the flusher too): a
# request's round trip is then the CPU work of both sides and two
# switches, where across CPUs it is mostly wake-up latency, which varies
# with where each process runs (one run: the traced server 1.23 times as
# fast, its flusher having moved the others): the ratio of requests per
# second;
# then the log bytes a request adds to its calls' (following on and off),
# and the decoder on a run of HTTP_DECODER_REQUESTS requests.
http_cost() {
    [ "$traced" = yes ] || return 1
    echo "running bench_http: $HTTP_SLICES slices of $HTTP_SLICE keep-alive requests, untraced and traced in turn" >&2
    http_start untraced hu || return 1
    pu=$http_port su=$http_pid
    http_start traced ht || return 1
    pt=$http_port st=$http_pid
    out=$($HTTP_CPU "$BENCH/bench_http" compare "$pu" "$pt" "$HTTP_SLICES" "$HTTP_SLICE") || return 1
    http_stop "$pu" "$su"
    http_stop "$pt" "$st"
    u=$(echo "$out" | field a_per_s)
    t=$(echo "$out" | field b_per_s)
    figure "HTTP keep-alive server: $(calc %.0f "$u") requests/s untraced, $(calc %.0f "$t") traced: traced/untraced $(calc %.3f "$t / $u") (target >= 0.97; the fastest tenth of each one's slices)"
    n=$((HTTP_SLICES * HTTP_SLICE))
    for mode in off traced; do
        http_start "$mode" h$mode || return 1
        "$BENCH/bench_http" load "$http_port" "$n" >/dev/null || return 1
        http_stop "$http_port" "$http_pid"
    done
    on=$(log_bytes "$TMP/htraced")
    off=$(log_bytes "$TMP/hoff")
    figure "HTTP log: $(calc %.1f "($on - $off) / $n") bytes per request beyond its calls' ($on bytes with requests followed, $off without, $n requests; target <= 64)"
    http_start traced hbig || return 1
    "$BENCH/bench_http" load "$http_port" "$HTTP_DECODER_REQUESTS" >/dev/null || return 1
    http_stop "$http_port" "$http_pid"
    t_json=$(time_report --json "$TMP/hbig") || return 1
    req=$("$CLI" report --json "$TMP/hbig" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["requests_total"])')
    figure "decoder: whyslow report --json on $req requests ($(calc %.1f "$(log_bytes "$TMP/hbig") / 1048576") MiB of log): $t_json s (target <= 20 s)"
    rm -rf "$TMP/hu" "$TMP/ht" "$TMP/hoff" "$TMP/htraced" "$TMP/hbig"
}

# ---- the decoder on a large log: bench_sqlite_many ----

# time_report [--json] LOGDIR: the median of 3 timed runs of `whyslow report`.
time_report() {
    : >"$TMP/times"
    for i in 1 2 3; do
        t0=$(now)
        "$CLI" report "$@" >"$TMP/report.out" 2>"$TMP/report.err" || {
            figure "decoder on a large log: 'whyslow report $*' failed: $(head -n 3 "$TMP/report.err" | tr '\n' ' ')" >&2
            return 1
        }
        calc %.3f "$(now) - $t0" >>"$TMP/times"
    done
    median <"$TMP/times"
}

# A traced C program makes DECODER_QUERIES point selects on an in-memory
# SQLite table; `whyslow report` (text, then --json) is timed on its log,
# each the median of 3 runs.
decoder_speed() {
    if [ ! -x "$BENCH/bench_sqlite_many" ] &&
        ! cmake --build "$BUILD" --target bench_sqlite_many >"$TMP/build.log" 2>&1; then
        figure "decoder on a large log: not measured (bench_sqlite_many cannot be built: no libsqlite3-dev?)"
        return 1
    fi
    if [ "$traced" = no ] || [ ! -x "$CLI" ]; then
        figure "decoder on a large log: not measured (no $LIB or $CLI)"
        return 1
    fi
    echo "running bench_sqlite_many: $DECODER_QUERIES queries untraced, then traced" >&2
    out=$(run_untraced "$BENCH/bench_sqlite_many" "$DECODER_QUERIES") || return 1
    usecs=$(echo "$out" | field seconds)
    log=$TMP/big
    out=$(run_traced "$log" "$BENCH/bench_sqlite_many" "$DECODER_QUERIES") || return 1
    made=$(echo "$out" | field queries)
    secs=$(echo "$out" | field seconds)
    bytes=$(log_bytes "$log")
    figure "C sqlite3 point select (context): untraced $(calc %.0f "$usecs / $DECODER_QUERIES * 1e9") ns, traced $(calc %.0f "$secs / $DECODER_QUERIES * 1e9") ns per query; log $(calc %.1f "$bytes / 1048576") MiB = $(calc %.2f "$bytes / $made") bytes per query"
    t_text=$(time_report "$log") || return 1
    t_json=$(time_report --json "$log") || return 1
    if counts=$(report_queries "$log"); then
        queries=${counts% *}
        lost=${counts#* }
        figure "decoder: whyslow report on $queries queries ($(calc %.1f "$bytes / 1048576") MiB of log): $t_text s (text), $t_json s (--json) = $(calc %.2f "$queries / $t_json / 1e6") million queries/s; lost events $lost"
        [ "$queries" = "$made" ] || note "the program ran $made queries but the report counts $queries"
    else
        figure "decoder: whyslow report on a log of $made queries ($(calc %.1f "$bytes / 1048576") MiB): $t_text s (text), $t_json s (--json); queries unknown ($(cat "$TMP/why"))"
        return 1
    fi
    rm -rf "$log"
}

! wanted decoder || decoder_speed || status=1
! wanted http || http_cost || status=1

# ---- the export on a large log: bench_mixed ----

# measure OUT CMD...: runs CMD, leaving "SECONDS PEAK_RSS_KIB" in OUT: by
# GNU time where it is installed, else by Python timing its child and
# asking getrusage(RUSAGE_CHILDREN) for the child's peak.
if /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
    measure() {
        m_out=$1
        shift
        /usr/bin/time -f '%e %M' -o "$m_out" "$@"
    }
else
    measure() {
        "$PY" -c '
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[2:])
t = time.monotonic() - t
with open(sys.argv[1], "w") as f:
    f.write("%.2f %d\n" % (t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)
' "$@"
    }
fi

# export_record LOGDIR SECONDS: EXPORT_COPIES copies of bench_mixed at
# once, for SECONDS, under `whyslow record` (one log each, and the shell's).
export_record() {
    rm -rf "$1"
    "$CLI" record -o "$1" -- sh -c 'i=0; while [ $i -lt "$1" ]; do "$2" "$3" & i=$((i + 1)); done; wait' \
        sh "$EXPORT_COPIES" "$BENCH/bench_mixed" "$2" >"$TMP/record.out" 2>"$TMP/stderr" || {
        echo "bench: recording bench_mixed failed:" >&2
        cat "$TMP/stderr" >&2
        return 1
    }
    if [ "$(grep -c '^calls=' "$TMP/record.out")" != "$EXPORT_COPIES" ]; then
        echo "bench: not every copy of bench_mixed finished:" >&2
        cat "$TMP/record.out" "$TMP/stderr" >&2
        return 1
    fi
}

# export_run LOGDIR FORMAT: `whyslow export --format FORMAT -o
# $TMP/export.out LOGDIR` (FORMAT "report": `whyslow report --json LOGDIR
# >$TMP/export.out` instead), measured: "SECONDS PEAK_RSS_KIB" in $TMP/m,
# its stderr in $TMP/export.err.
export_run() {
    rm -f "$TMP/export.out"
    if [ "$2" = report ]; then
        measure "$TMP/m" "$CLI" report --json "$1" >"$TMP/export.out" 2>"$TMP/export.err"
    else
        measure "$TMP/m" "$CLI" export --format "$2" -o "$TMP/export.out" "$1" 2>"$TMP/export.err"
    fi || {
        figure "export: 'whyslow $2' on $1 failed: $(head -n 3 "$TMP/export.err" | tr '\n' ' ')"
        rm -f "$TMP/export.out"
        return 1
    }
}

# A traced run of about EXPORT_EVENTS events of a mixed workload (files,
# a pipe, sleeps, a mutex: EXPORT_COPIES copies of bench_mixed at once,
# one copy making too few events a second to reach 10 million within a
# minute), its length calibrated by a 1 s run of the same; then, on its
# logs, `whyslow report --json` (the memory reference) and `whyslow export`
# in each format, each run once, timed, its peak RSS measured.  Each is
# also run on the calibration run's logs: how much more memory the large
# run takes, per million events more.
export_speed() {
    if [ "$traced" = no ] || [ ! -x "$CLI" ]; then
        figure "export on a large log: not measured (no $LIB or $CLI)"
        return 1
    fi
    small=$TMP/exsmall
    big=$TMP/exbig
    echo "running bench_mixed ($EXPORT_COPIES copies) recorded 1 s, to calibrate a run of $EXPORT_EVENTS events" >&2
    export_record "$small" 1 || return 1
    counts=$(report_counts "$small") || {
        figure "export on a large log: events unknown ($(cat "$TMP/why"))"
        return 1
    }
    e_small=${counts% *}
    # (Parenthesised: in awk's printf a bare > is a redirection.)
    secs=$(calc %.1f "($EXPORT_EVENTS / $e_small > 60 ? 60 : ($EXPORT_EVENTS / $e_small < 1 ? 1 : $EXPORT_EVENTS / $e_small))")
    echo "running bench_mixed ($EXPORT_COPIES copies) recorded $secs s" >&2
    export_record "$big" "$secs" || return 1
    counts=$(report_counts "$big") || {
        figure "export on a large log: events unknown ($(cat "$TMP/why"))"
        return 1
    }
    events=${counts% *}
    lost=${counts#* }
    bytes=$(log_bytes "$big")
    logs=$(ls "$big"/*.wslog | wc -l | tr -d ' ')
    figure "export: a recorded run of $events events (target about $EXPORT_EVENTS; lost $lost): $EXPORT_COPIES copies of bench_mixed for $secs s, $logs logs, $(calc %.1f "$bytes / 1048576") MiB of log = $(calc %.2f "$bytes / $events") bytes per event"
    if [ "$events" -lt $((EXPORT_EVENTS * 9 / 10)) ]; then
        note "export: the run made fewer events than the $EXPORT_EVENTS wanted (calibrated at $e_small events in 1 s; at most 60 s)"
    fi
    echo "running whyslow report --json on it" >&2
    export_run "$small" report || return 1
    rss_small=$(cut -d' ' -f2 "$TMP/m")
    export_run "$big" report || return 1
    r_secs=$(cut -d' ' -f1 "$TMP/m")
    r_rss=$(cut -d' ' -f2 "$TMP/m")
    figure "export: whyslow report --json on it, the reference for memory: $r_secs s, peak RSS $(calc %.1f "$r_rss / 1024") MiB"
    growth="report $(calc %.2f "($r_rss - $rss_small) / 1024 / (($events - $e_small) / 1e6)")"
    for f in perfetto chrome otlp; do
        echo "running whyslow export --format $f on it" >&2
        export_run "$small" "$f" || return 1
        rss_small=$(cut -d' ' -f2 "$TMP/m")
        export_run "$big" "$f" || return 1
        x_secs=$(cut -d' ' -f1 "$TMP/m")
        x_rss=$(cut -d' ' -f2 "$TMP/m")
        out_bytes=$(wc -c <"$TMP/export.out" | tr -d ' ')
        # "N slices written", or for OTLP (slow calls, queries, requests
        # only) "N spans written"
        written=$(sed -n 's/^whyslow: \([0-9]* [a-z]*\) written to .*/\1/p' "$TMP/export.err")
        case $f in
        perfetto) size="(target <= 4)" ;;
        *) size="(context)" ;;
        esac
        rm -f "$TMP/export.out"
        figure "export --format $f: $x_secs s = $(calc %.1f "$x_secs * 1e7 / $events") s per 10 M events (target <= 30 s), peak RSS $(calc %.1f "$x_rss / 1024") MiB = $(calc %.2f "$x_rss / $r_rss") x the report's (target <= 1.5), $(calc %.1f "$out_bytes / 1048576") MiB written = $(calc %.2f "$out_bytes / $bytes") x the log $size, ${written:-? slices}"
        if grep -q 'left out' "$TMP/export.err"; then
            note "export --format $f: $(grep 'left out' "$TMP/export.err" | head -n 1)"
        fi
        growth="$growth, $f $(calc %.2f "($x_rss - $rss_small) / 1024 / (($events - $e_small) / 1e6)")"
    done
    figure "export: peak RSS added per million events (from the $e_small-event calibration run to this one), in MiB: $growth"
    rm -rf "$small" "$big"
}

! wanted export || export_speed || status=1

echo
echo "==== whyslow benchmarks: summary ($(uname -m), $(nproc 2>/dev/null || echo '?') cores) ===="
cat "$SUMMARY"
[ "$status" = 0 ] || echo "(some figures could not be measured; see above)"
exit "$status"
