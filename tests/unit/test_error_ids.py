"""One error hierarchy: every error class ccd defines with an id is a CcdError, and its id is
``area.reason`` — except the generic API refusals, whose ids clients already script against."""

from __future__ import annotations

import importlib
import pkgutil
import re

import ccd
from ccd.errors import CcdError

GENERIC = {"bad_request", "unauthorized", "forbidden", "not_found", "conflict", "unavailable", "too_large",
           "range_not_satisfiable", "timeout"}
AREA_REASON = re.compile(r"^[a-z]+\.[a-z_]+$")


def all_subclasses(cls: type) -> set[type]:
    out = set(cls.__subclasses__())
    for sub in list(out):
        out |= all_subclasses(sub)
    return out


def test_every_error_id_is_area_reason_or_a_documented_generic_one() -> None:
    for mod in pkgutil.walk_packages(ccd.__path__, "ccd."):
        if ".sandbox" not in mod.name and not mod.name.endswith("__main__"):
            importlib.import_module(mod.name)
    errors = all_subclasses(CcdError)
    ids = {e.__module__ + "." + e.__qualname__: e.error_id for e in errors}
    bad = {name: i for name, i in ids.items() if i not in GENERIC and not AREA_REASON.match(i)}
    assert bad == {}, bad
    # the store, port and session errors the daemon raises are among them
    expected = {"store.unavailable", "store.spool_busy", "store.migration_failed", "port.channel_gone",
                "port.asterisk_failed", "supervision.invalid_state", "supervision.media_failed", "config.invalid",
                "ari.not_found", "ami.timeout"}
    assert expected <= set(ids.values())


def test_a_refusal_carries_its_id_and_details() -> None:
    from ccd.whisper.errors import Refused

    busy = Refused("supervisor_busy", False, "S1", "A1")
    assert (busy.error_id, busy.status) == ("supervision.supervisor_busy", 409)
    assert busy.details == {"reason": "supervisor_busy", "supervisor": "S1", "agent": "A1"}
    assert Refused("not_in_teams", True, "S2", "A1").status == 403
