"""Console part 2, pure parts: history scoping and outcomes, the page's setup per role, the
staffing comparison's bounds, and the caller search finding every written form of a number."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import ccd.console
from ccd.api.auth import Principal
from ccd.config import CcdConfig, normalise_number
from ccd.console.history import Scope, as_json, outcome_of, scope_of
from ccd.console.records import StaffingQuery, setup_for

TEAMS = {"A1": ["t1"], "A2": ["t1", "t2"], "B1": ["t2"]}
MEMBERS = {"support": ["A1", "A2"], "sales": ["B1"], "empty": []}


def sup(*teams: str) -> Principal:
    return Principal("s", "supervisor", frozenset(teams), "S")


def test_admin_sees_every_call() -> None:
    assert scope_of(Principal("root", "admin", None, None), TEAMS, MEMBERS) == Scope(None, [])


def test_supervisor_sees_own_agents_and_unanswered_calls_of_queues_with_own_members() -> None:
    assert scope_of(sup("t2"), TEAMS, MEMBERS) == Scope(["A2", "B1"], ["sales", "support"])
    assert scope_of(sup("t1"), TEAMS, MEMBERS) == Scope(["A1", "A2"], ["support"])
    assert scope_of(sup("nobody"), TEAMS, MEMBERS) == Scope([], [])


def call(**kw: Any) -> dict[str, Any]:
    base = {"call_id": "c", "outcome": "answered", "fallback": False, "ended_at": datetime(2026, 1, 1, tzinfo=UTC),
            "recording": "stored"}
    return {**base, **kw}


def test_outcomes() -> None:
    assert outcome_of(call()) == "answered"
    assert outcome_of(call(outcome="abandoned")) == "abandoned"
    assert outcome_of(call(outcome="callback", agent_id=None)) == "callback"  # left with a booked callback
    assert outcome_of(call(fallback=True)) == "fallback"
    assert outcome_of(call(ended_at=None)) == "in_progress"  # answered, still talking
    assert outcome_of(call(outcome=None)) == "in_progress"


def test_json_row_has_iso_times_and_recorded_flag() -> None:
    out = as_json(call())
    assert out["ended_at"] == "2026-01-01T00:00:00+00:00" and out["recorded"] is True
    assert as_json(call(recording="deleted"))["recorded"] is False
    assert as_json(call(recording=None))["recorded"] is False


def cfg() -> CcdConfig:
    return CcdConfig.model_validate({
        "ami": {"secret": "x"}, "ari": {"password": "x"},
        "teams": [{"name": "t1"}, {"name": "t2"}],
        "agents": [{"id": a, "endpoint": f"PJSIP/{a}", "teams": t} for a, t in TEAMS.items()],
        "queues": [{"name": "support", "teams": ["t1"], "service_level_target": 0.9},
                   {"name": "sales", "teams": ["t2"]}]})


def test_setup_per_role() -> None:
    c = cfg()
    viewer = setup_for(c, "viewer", None, False)
    assert viewer["agents"] == [] and viewer["teams"] == [] and not viewer["download"]
    assert [q["sl_target"] for q in viewer["queues"]] == [0.9, 0.8]
    admin = setup_for(c, "admin", None, False)
    assert admin["agents"] == ["A1", "A2", "B1"] and admin["download"]
    one = setup_for(c, "supervisor", frozenset({"t1"}), True)
    assert one["agents"] == ["A1", "A2"] and one["teams"] == ["t1"] and one["download"]


def test_staffing_period_is_bounded() -> None:
    ok = StaffingQuery.model_validate({"queue": "q", "from": "2026-01-01", "to": "2026-02-01"})
    assert ok.interval == 30
    for bad in ({"from": "2026-01-02", "to": "2026-01-01"}, {"from": "2026-01-01", "to": "2026-06-01"},
                {"from": "2026-01-01", "to": "2026-01-02", "interval": 20}):
        with pytest.raises(ValidationError):
            StaffingQuery.model_validate({"queue": "q", **bad})


@given(st.text("0123456789", min_size=10, max_size=10),
       st.lists(st.sampled_from([" ", "-", "(", ")", "."]), max_size=10), st.randoms())
def test_any_written_form_finds_the_same_number(digits: str, seps: list[str], rnd: Any) -> None:
    c = CcdConfig.model_validate({"ami": {"secret": "x"}, "ari": {"password": "x"}, "country_code": "7",
                                  "national_prefix": "8"})
    chars = list(digits)
    for sep in seps:
        chars.insert(rnd.randrange(len(chars) + 1), sep)
    written = "".join(chars)
    assert normalise_number("8" + written, c) == normalise_number("+7" + written, c) == "+7" + digits


def test_the_pages_load_nothing_from_elsewhere() -> None:
    """Offline: no CDN, no remote font or script; every asset a page names ships in the package."""
    static = Path(ccd.console.__file__).parent / "static"
    for page in static.iterdir():
        text = page.read_text()
        remote = [u for u in re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", text)
                  if u != "http://www.w3.org/2000/svg"]  # the SVG namespace is a name, not a fetch
        assert remote == [], (page.name, remote)
        if page.suffix == ".html":
            for asset in re.findall(r'(?:src|href)="/console/static/([^"]+)"', text):
                assert (static / asset).is_file(), (page.name, asset)
