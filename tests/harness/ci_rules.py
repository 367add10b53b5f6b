"""pytest plugin: under CI=true a skipped integration test is a failure, and every test's
report is kept on the item so fixtures can attach logs on failure."""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

INTEGRATION_MARKERS = ("asterisk", "postgres", "browser")


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[Any]:
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
    if rep.skipped and _ci() and any(item.get_closest_marker(m) for m in INTEGRATION_MARKERS):
        rep.outcome = "failed"
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.longrepr = f"integration test skipped under CI=true (counts as a failure): {reason}"
