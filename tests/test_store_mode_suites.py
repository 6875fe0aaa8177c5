"""The HTTP suites (conftest.STORE_MODE_SUITES) run again over each other store, in child pytest
sessions that start together and reuse this session's build (``store_mode_suites``): over a real
Oxigraph server (`R2PKG_TEST_STORE=remote`), over Debian's Virtuoso (`R2PKG_TEST_STORE=virtuoso`)
and over the embedded store in its disk mode (`R2PKG_TEST_STORE_MODE=disk`). All are in this one
module so that pytest-xdist (``--dist loadfile``, set in pyproject.toml) gives them to one worker,
which starts the children once."""
from __future__ import annotations

import pytest

from conftest import VIRTUOSO_BOOLEAN_BUG, VIRTUOSO_BOOLEAN_QUERIES
from virtuoso_server import virtuoso_bin

pytestmark = pytest.mark.slow


def test_http_suites_pass_in_remote_store_mode(store_mode_suites):
    """The same HTTP test suites, with every app (except apps over injected fixture stores) serving a
    real Oxigraph server holding the published build: `R2PKG_TEST_STORE=remote`."""
    _, _, xfailed = store_mode_suites("remote")
    assert xfailed == []


def test_http_suites_pass_in_disk_store_mode(store_mode_suites):
    """The same HTTP test suites with every app serving the build's on-disk store, which each query
    worker opens read-only (`R2PKG_TEST_STORE_MODE=disk`, `serve --store-mode disk`)."""
    _, _, xfailed = store_mode_suites("disk")  # its skips (none) are checked by the fixture
    assert xfailed == []


# Virtuoso 7.2's known bugs: the only failures over it, each a strict xfail in the child session
BUGS = {
    **{f"tests/test_http_api.py::test_named_query_matches_in_process_run[{q}]": VIRTUOSO_BOOLEAN_BUG
       for q in VIRTUOSO_BOOLEAN_QUERIES},
    "tests/test_http_safety.py::test_allowlisted_service_passes_the_check":
        "its SERVICE client reads the allowlisted endpoint's SPARQL XML answer as one row with no bindings",
    "tests/test_hardening.py::test_many_small_values_within_limits_answer":
        "a VALUES block of 3000 terms fails to compile (SQ199: maximum size (32767) of a code vector exceeded)",
}


@pytest.mark.virtuoso
@pytest.mark.skipif(virtuoso_bin() is None, reason="virtuoso-t missing: bash .ci/install-virtuoso.sh")
def test_http_suites_pass_in_virtuoso_mode(store_mode_suites):
    """The HTTP suites with every app serving a real Virtuoso holding the published build
    (`R2PKG_TEST_STORE=virtuoso`); the only failures are Virtuoso's known bugs, as xfails."""
    summary, _, xfailed = store_mode_suites("virtuoso")
    assert {t: why.removeprefix("Virtuoso 7.2 bug: ") for t, why in xfailed} == BUGS, summary
