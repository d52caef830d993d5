# SPDX-License-Identifier: MIT
"""whyslow.pytest - a pytest plugin that marks each test for whyslow: its
setup, call and teardown as marks of kinds test:setup, test:call and
test:teardown named by the test's node id, and each fixture of a wider
scope than a function (session, package, module, class) as a mark of its
own, fixture:setup and fixture:teardown, named "NAME (SCOPE NODE)", so that
what a session fixture does (pytest-django's test database) is not the
first test's.  Marks of one thread nest; what happens counts for the
innermost (docs/marks.md).

`whyslow record -- pytest ...` loads it by itself (PYTEST_PLUGINS); else
`pytest -p whyslow.pytest` with this directory's parent on PYTHONPATH.
It does nothing when pytest does not run under the recorder.
"""
import pytest

import whyslow

_teardowns = {}  # id(fixturedef) -> the fixture's mark name, its teardown begun


def _phase(kind):
    @pytest.hookimpl(hookwrapper=True)
    def hook(item):
        begun = whyslow.begin(kind, item.nodeid)
        try:
            yield
        finally:
            if begun:
                whyslow.end()
    return hook


pytest_runtest_setup = _phase("test:setup")
pytest_runtest_call = _phase("test:call")
pytest_runtest_teardown = _phase("test:teardown")


def _fixture_name(fixturedef, request):
    node = getattr(request.node, "nodeid", "") if fixturedef.scope != "session" else ""
    return "%s (%s%s)" % (fixturedef.argname, fixturedef.scope, " " + node if node else "")


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    if fixturedef.scope == "function" or not whyslow.recording():
        yield
        return
    name = _fixture_name(fixturedef, request)
    begun = whyslow.begin("fixture:setup", name)
    try:
        yield
    finally:
        if begun:
            whyslow.end()

    # The fixture's finalizers run last added first: this one, added after
    # the fixture's own, runs before them and begins its teardown's mark,
    # which pytest_fixture_post_finalizer ends.
    def teardown_begins():
        if whyslow.begin("fixture:teardown", name):
            _teardowns[id(fixturedef)] = name
    fixturedef.addfinalizer(teardown_begins)


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_post_finalizer(fixturedef, request):
    yield
    if _teardowns.pop(id(fixturedef), None) is not None:
        whyslow.end()
