# SPDX-License-Identifier: MIT
"""whyslow - Python helpers for whyslow, the tracer that says why a program
is slow.  mark() marks what a thread is doing through the recorder's
marker API (include/whyslow/mark.h); whyslow.pytest is a pytest plugin
that marks every test.  Both do nothing when the program does not run
under `whyslow record` (or with libwhyslow.so preloaded)."""
import contextlib
import ctypes

__all__ = ["begin", "end", "mark", "recording"]


def _find():
    try:
        lib = ctypes.CDLL(None)
        begin, end = lib.whyslow_mark_begin, lib.whyslow_mark_end
    except (OSError, AttributeError):  # no recorder in this process
        return None, None
    begin.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    begin.restype = ctypes.c_int
    end.argtypes = []
    end.restype = ctypes.c_int
    return begin, end


_begin, _end = _find()


def recording():
    """Whether the recorder is in this process (marks are recorded)."""
    return _begin is not None


def begin(kind, name):
    """A mark of this kind ("test", "step", or "K:P" for phase P of a K
    mark) begins on the calling thread; True when it was recorded."""
    if _begin is None:
        return False
    return _begin(kind.encode("utf-8", "surrogateescape"),
                  name.encode("utf-8", "surrogateescape")) == 0


def end():
    """The calling thread's innermost open mark ends."""
    return _end is not None and _end() == 0


@contextlib.contextmanager
def mark(kind, name):
    """with whyslow.mark("step", "load"): ... marks the block."""
    begun = begin(kind, name)
    try:
        yield
    finally:
        if begun:
            end()
