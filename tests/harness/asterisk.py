"""pytest fixtures for a real, private Asterisk per session (or per test).

``asterisk`` is session-scoped and shared; ``asterisk_factory`` makes fresh instances a test
may kill and restart. On a failing test the instance's log is attached to the report.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ccd.sandbox.asterisk import AsteriskInstance, free_port

__all__ = ["AsteriskInstance", "asterisk", "asterisk_factory", "free_port"]


@pytest.fixture(scope="session")
def asterisk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsteriskInstance]:
    inst = AsteriskInstance(tmp_path_factory.mktemp("asterisk"))
    inst.start()
    yield inst
    inst.close()


@pytest.fixture
def asterisk_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., AsteriskInstance]]:
    made: list[AsteriskInstance] = []

    def make(**kwargs: Any) -> AsteriskInstance:
        base = Path(tempfile.mkdtemp(prefix="ccd-ast-"))
        inst = AsteriskInstance(base, **kwargs)
        made.append(inst)
        inst.start()
        return inst

    yield make
    failed = getattr(request.node, "rep_call", None)
    for inst in made:
        if failed is not None and failed.failed:
            request.node.add_report_section("call", f"asterisk log {inst.base}", inst.log_tail())
        inst.close()
        shutil.rmtree(inst.base, ignore_errors=True)
