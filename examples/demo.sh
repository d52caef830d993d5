#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh - `make demo`: records each example program with `whyslow record`
# and prints `whyslow report` on it.  Usage: sh examples/demo.sh BUILD_DIR
# Exits non-zero as soon as a step fails.
if [ $# -ne 1 ]; then
    echo "usage: sh examples/demo.sh BUILD_DIR" >&2
    exit 2
fi
BUILD=$1
DATA=$BUILD/demo.data

for f in "$BUILD/whyslow" "$BUILD/examples/slow_io" "$BUILD/examples/lock_contention" \
    "$BUILD/examples/nplus1_sqlite" "$BUILD/examples/event_loop_stall" \
    "$BUILD/examples/pool_exhaustion" "$BUILD/examples/thread_pool"; do
    if [ ! -x "$f" ]; then
        echo "demo: $f is missing; build first (make)" >&2
        exit 1
    fi
done

# demo NAME HEADING [COMMAND...]: records COMMAND (the example NAME built
# in BUILD/examples by default) and prints its report.
demo() {
    name=$1
    heading=$2
    shift 2
    [ $# -gt 0 ] || set -- "$BUILD/examples/$name"
    echo
    echo "=== $name: $heading ==="
    rm -rf "$DATA"
    "$BUILD/whyslow" record -o "$DATA" -- "$@" || {
        echo "demo: 'whyslow record -o $DATA -- $*' failed" >&2
        exit 1
    }
    "$BUILD/whyslow" report "$DATA" || {
        echo "demo: 'whyslow report $DATA' failed" >&2
        exit 1
    }
}

demo slow_io "fsync after every record, and a server that answers after 30 ms"
demo lock_contention "4 threads queueing on one mutex"
demo nplus1_sqlite "SQLite: one query for the books, then one per book for its author (N+1)"
demo event_loop_stall "an epoll loop whose handler waits 300 ms for a backend's answer"
demo pool_exhaustion "6 threads sharing a pool of 2 SQLite connections, each held across slow work"
demo thread_pool "2 worker threads for batches of 8 tasks of 40 ms, results awaited"
demo nplus1_view.py "Python: a view's N+1, named by its lines" \
    /usr/bin/python3 "$(dirname "$0")/nplus1_view.py"
demo endpoints.py "Python: a web shop's endpoints, one with an N+1 of queries, one of HTTP calls" \
    /usr/bin/python3 "$(dirname "$0")/endpoints.py"
