# SPDX-License-Identifier: MIT
"""py_workload.py - a Python program for the end-to-end tests: three
threads that each make 100 os.write() calls on /dev/null, a socketpair
echo of 50 messages, a name lookup (getaddrinfo), and an import of an
extension module (a dlopen) after start.  Prints "ok" when done."""
import os
import socket
import threading


def writer():
    fd = os.open("/dev/null", os.O_WRONLY)
    for _ in range(100):
        os.write(fd, b"x")
    os.close(fd)


threads = [threading.Thread(target=writer) for _ in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()

a, b = socket.socketpair()
for _ in range(50):
    a.send(b"ping")
    assert b.recv(4) == b"ping"
a.close()
b.close()

socket.getaddrinfo("localhost", 80)

import sqlite3  # noqa: E402  (loaded late on purpose: a dlopen)

sqlite3.connect(":memory:").close()
print("ok")
