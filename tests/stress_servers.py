#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""stress_servers.py - load for tests/stress.sh -s: two throwaway
PostgreSQL servers (tests/lib/whyslow_test.py), each kept busy by pgbench
with 2 clients, until this process is sent SIGTERM or SIGINT; then both
servers are stopped and their folders removed."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import whyslow_test as wt  # noqa: E402


def main():
    why = wt.pg_unavailable()
    if why:
        sys.exit("stress_servers.py: %s" % why)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    servers = [wt.PgServer().start() for _ in range(2)]
    try:
        for s in servers:
            subprocess.run([s.tool("pgbench"), "-i", "-q", "-s", "2"], env=s.env(),
                           capture_output=True, check=True)
        benches = [subprocess.Popen([s.tool("pgbench"), "-c", "2", "-j", "2", "-T", "86400"],
                                    env=s.env(), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL) for s in servers]
        while not stopping and all(b.poll() is None for b in benches):
            time.sleep(0.2)
        for b in benches:
            b.terminate()
            b.wait()
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
