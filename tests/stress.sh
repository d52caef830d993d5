#!/bin/sh
# SPDX-License-Identifier: MIT
# stress.sh - the test suite on a loaded machine.
#
# CI runners and developer laptops are busy; a test that passes only when
# the scheduler is kind is a flaky test, and a flaky test teaches people
# to ignore red.  This runs ctest ROUNDS times beside BUSY processes that
# spin on the CPU (with -i, also one that keeps writing and syncing a
# file; with -s, two PostgreSQL servers under pgbench load:
# stress_servers.py), then prints how often each test failed.  The
# failures' output is kept in OUT/round-N.log.
#
#   tests/stress.sh [-b BUILD] [-n BUSY] [-r ROUNDS] [-j JOBS] [-i] [-s] [-R REGEX] [-o OUT]
#
# Defaults: build, 2 busy processes per CPU, 3 rounds, ctest -j2, all
# tests.  Exits 0 when every round passed.
set -u

build=build busy=$(($(nproc) * 2)) rounds=3 jobs=2 io=0 servers=0 regex= out=
while getopts b:n:r:j:isR:o: opt; do
    case $opt in
    b) build=$OPTARG ;;
    n) busy=$OPTARG ;;
    r) rounds=$OPTARG ;;
    j) jobs=$OPTARG ;;
    i) io=1 ;;
    s) servers=1 ;;
    R) regex=$OPTARG ;;
    o) out=$OPTARG ;;
    *)
        echo "usage: $0 [-b BUILD] [-n BUSY] [-r ROUNDS] [-j JOBS] [-i] [-s] [-R REGEX] [-o OUT]" >&2
        exit 2
        ;;
    esac
done
if [ ! -f "$build/CTestTestfile.cmake" ]; then
    echo "stress.sh: $build is not a build directory (run make first)" >&2
    exit 2
fi
build=$(cd "$build" && pwd)
[ -n "$out" ] || out=$(mktemp -d /tmp/whyslow-stress.XXXXXX)
mkdir -p "$out"

# The load: plain shell loops at the tests' own priority, so that the
# tests get no more than their share of the CPUs.
pids=
i=0
while [ "$i" -lt "$busy" ]; do
    sh -c 'while :; do :; done' &
    pids="$pids $!"
    i=$((i + 1))
done
if [ "$io" = 1 ]; then
    sh -c 'while :; do dd if=/dev/zero of="$1" bs=1M count=64 conv=fsync 2>/dev/null; done' \
        sh "$out/io.tmp" &
    pids="$pids $!"
fi
if [ "$servers" = 1 ]; then
    /usr/bin/python3 "$(dirname "$0")/stress_servers.py" &
    pids="$pids $!"
fi
stop() {
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null
    wait 2>/dev/null
    rm -f "$out/io.tmp"
}
trap 'stop; exit 130' INT TERM
trap stop EXIT

# The names in ctest's closing list of failed tests (not the skipped ones).
failures() {
    sed -n '/(Skipped)$/d; s/^[[:space:]]*[0-9]* - \([^ ]*\) (.*)$/\1/p' "$@"
}

echo "stress: $rounds rounds of ctest -j$jobs beside $busy busy processes$([ "$io" = 1 ] && echo ', a disk writer')$([ "$servers" = 1 ] && echo ', two PostgreSQL servers under pgbench') on $(nproc) CPUs; logs in $out"
failed_rounds=0
r=1
while [ "$r" -le "$rounds" ]; do
    log="$out/round-$r.log"
    start=$(date +%s)
    if [ -n "$regex" ]; then
        (cd "$build" && ctest --output-on-failure -j"$jobs" --timeout 600 -R "$regex") >"$log" 2>&1
    else
        (cd "$build" && ctest --output-on-failure -j"$jobs" --timeout 600) >"$log" 2>&1
    fi
    rc=$?
    failed=$(failures "$log" | tr '\n' ' ')
    echo "round $r: exit $rc in $(($(date +%s) - start)) s, load $(cut -d' ' -f1 /proc/loadavg): ${failed:-all passed}"
    [ "$rc" = 0 ] || failed_rounds=$((failed_rounds + 1))
    r=$((r + 1))
done

echo "failures by test (of $rounds rounds):"
cat "$out"/round-*.log | failures |
    sort | uniq -c | sort -rn | sed 's/^/  /'
[ "$failed_rounds" = 0 ]
