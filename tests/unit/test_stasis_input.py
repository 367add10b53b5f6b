"""Stasis() arguments read strictly: priorities, and who an agent feature code may act for."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ccd import events as ev
from ccd.acd.inputs import AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentUnpaused
from ccd.queues.core.stasis_input import (
    BAD_CHARACTERS,
    PRIORITY_LIMIT,
    Refused,
    endpoint_of,
    feature_action,
    parse_priority,
    refusal_event,
)
from ccd.store.validate import DeadLetter, prepare

AGENTS = {"PJSIP/1001": "1001", "PJSIP/alice": "alice"}
IDS = {"1001", "alice", "1007"}
SHARED = {"PJSIP/lobby"}


def act(feature: str, explicit: str = "", reason: str = "", phone: str = "PJSIP/1001",
        dialplan_refused: str = "") -> object:
    return feature_action(feature, explicit, reason, phone, AGENTS, IDS, SHARED, dialplan_refused)


def test_priority_is_ascii_digits_clamped() -> None:
    assert parse_priority("") == 0 and parse_priority("10") == 10 and parse_priority("-3") == -3
    assert parse_priority("99999") == PRIORITY_LIMIT and parse_priority("-99999") == -PRIORITY_LIMIT
    for bad in ("²", "٣", "1.5", "1e3", " 1", "1,2", "--1", "0x10", "1" * 10):
        assert parse_priority(bad) is None, bad


@given(st.text(max_size=12))
def test_priority_never_raises_and_stays_in_bounds(text: str) -> None:
    p = parse_priority(text)
    assert p is None or -PRIORITY_LIMIT <= p <= PRIORITY_LIMIT


def test_endpoint_of_channel_name() -> None:
    assert endpoint_of("PJSIP/1001-0000002a") == "PJSIP/1001"
    assert endpoint_of("Local/ag-x-0-0-0@sim-agent-00000012;1") == "Local/ag-x-0-0-0@sim-agent"


def test_own_phone_without_id() -> None:
    assert act("login") == AgentLoggedIn("1001", actor="endpoint:PJSIP/1001")
    assert act("pause") == AgentPaused("1001", "break", actor="endpoint:PJSIP/1001")
    assert act("pause", reason="lunch") == AgentPaused("1001", "lunch", actor="endpoint:PJSIP/1001")
    assert act("unpause") == AgentUnpaused("1001", actor="endpoint:PJSIP/1001")
    assert act("logout") == AgentLoggedOut("1001", actor="endpoint:PJSIP/1001")
    assert act("login", phone="PJSIP/9999") == Refused("unknown_phone", "endpoint:PJSIP/9999")


def test_explicit_id_only_from_a_shared_phone_or_for_the_phones_own_agent() -> None:
    assert act("pause", "1007", "hacked", phone="PJSIP/9999") == \
        Refused("not_shared_phone", "endpoint:PJSIP/9999", "1007")
    assert act("logout", "1007", phone="PJSIP/alice") == Refused("not_shared_phone", "endpoint:PJSIP/alice", "1007")
    assert act("logout", "1001") == AgentLoggedOut("1001", actor="endpoint:PJSIP/1001")
    assert act("pause", "alice", "2", phone="PJSIP/lobby") == AgentPaused("alice", "2", actor="endpoint:PJSIP/lobby")
    assert act("login", "nobody", phone="PJSIP/lobby") == Refused("unknown_agent", "endpoint:PJSIP/lobby", "nobody")
    assert act("shout", phone="PJSIP/lobby") == Refused("unknown_feature", "endpoint:PJSIP/lobby")


def test_reasons_follow_the_api_rule() -> None:
    assert isinstance(act("pause", reason="x" * 64), AgentPaused)
    for bad in ("x" * 65, "a*b", "a,b", "é", "a\nb"):
        assert act("pause", reason=bad) == Refused("bad_reason", "endpoint:PJSIP/1001", "1001"), bad
    assert act("unpause", reason="why") == Refused("bad_reason", "endpoint:PJSIP/1001", "1001")


def test_what_the_dialplan_refused_is_refused_for_the_phones_agent() -> None:
    assert act("pause", dialplan_refused=BAD_CHARACTERS) == Refused(BAD_CHARACTERS, "endpoint:PJSIP/1001", "1001")
    assert act("login", dialplan_refused="x", phone="PJSIP/9") == Refused(BAD_CHARACTERS, "endpoint:PJSIP/9")


def test_a_refusal_is_an_audit_event_the_store_keeps() -> None:
    e = refusal_event(Refused("not_shared_phone", "endpoint:PJSIP/9999", "1007"), "pause", "hacked", "chan-1",
                      1_780_000_000.0, IDS)
    assert isinstance(e, ev.AgentFeatureRefused) and e.type == ev.AGENT_FEATURE_REFUSED
    assert (e.call_id, e.agent_id) == ("chan-1", "1007")
    assert dict(e.payload) == {"actor": "endpoint:PJSIP/9999", "feature": "pause", "reason": "not_shared_phone",
                               "target": "1007", "pause_reason": "hacked"}
    assert not isinstance(prepare(e), DeadLetter)
    again = refusal_event(Refused("not_shared_phone", "endpoint:PJSIP/9999", "1007"), "pause", "hacked", "chan-1",
                          1_780_000_000.0, IDS)
    assert again.event_id == e.event_id  # derived: a replay stores it once


def test_a_refusal_naming_nobody_known_is_kept_under_the_phones_call() -> None:
    e = refusal_event(Refused("unknown_agent", "endpoint:PJSIP/lobby", "nob\x00ody" + "x" * 100), "login\n", "",
                      "chan-2", 1_780_000_000.0, IDS)
    assert e.agent_id is None and e.call_id == "chan-2"
    assert e.target == "nob?ody" + "x" * 57 and e.feature == "login?" and "pause_reason" not in e.payload
    assert not isinstance(prepare(e), DeadLetter)  # no NUL reaches PostgreSQL


@given(st.sampled_from(["login", "logout", "pause", "unpause"]), st.sampled_from(["", *IDS, "x"]),
       st.text(max_size=70), st.sampled_from([*AGENTS, *SHARED, "PJSIP/9"]))
def test_a_code_never_acts_for_another_agent_from_a_private_phone(
    feature: str, explicit: str, reason: str, phone: str
) -> None:
    out = feature_action(feature, explicit, reason, phone, AGENTS, IDS, SHARED)
    if not isinstance(out, Refused):
        assert out.actor == f"endpoint:{phone}"
        assert phone in SHARED or out.agent_id == AGENTS.get(phone)
