# SPDX-License-Identifier: MIT
"""py_gil.py - three CPU-bound threads that take turns on CPython's GIL."""
import threading


def spin(n):
    x = 0
    for i in range(n):
        x += i
    return x


threads = [threading.Thread(target=spin, args=(2000000,)) for _ in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
