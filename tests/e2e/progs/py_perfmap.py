# SPDX-License-Identifier: MIT
"""py_perfmap.py - writes the perf map of its own process, as a JIT runtime
would (/tmp/perf-PID.map), for the test of its copy into the log: 5000
JavaScript-like lines (a map larger than the flusher's 64 KiB reads), 500
V8 builtin lines (left out), one line of 70 KB (dropped), and a last line
without its newline.  Prints "ok".
"""
import os
pid = os.getpid()
with open("/tmp/perf-%d.map" % pid, "w") as f:
    for i in range(5000):
        f.write("%x 40 JS:~function_number_%d /app/x.js:%d:1\n" % (0x100000 + i * 0x40, i, i + 1))
        if i % 10 == 0:
            f.write("%x 10 Builtin:Something%d\n" % (0x900000 + i, i))
    f.write("%x 40 JS:~%s /app/long.js:1:1\n" % (0x200000, "x" * 70000))
    f.write("%x 40 JS:~last /app/last.js:7:1" % 0x300000)
print("ok")
