"""Stasis() arguments read strictly: priorities, and who an agent feature code may act for."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ccd.acd.inputs import AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentUnpaused
from ccd.queues.core.stasis_input import PRIORITY_LIMIT, Refused, endpoint_of, feature_action, parse_priority

AGENTS = {"PJSIP/1001": "1001", "PJSIP/alice": "alice"}
IDS = {"1001", "alice", "1007"}
SHARED = {"PJSIP/lobby"}


def act(feature: str, explicit: str = "", reason: str = "", phone: str = "PJSIP/1001") -> object:
    return feature_action(feature, explicit, reason, phone, AGENTS, IDS, SHARED)


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
    assert act("pause", "1007", "hacked", phone="PJSIP/9999") == Refused("not_shared_phone", "endpoint:PJSIP/9999")
    assert act("logout", "1007", phone="PJSIP/alice") == Refused("not_shared_phone", "endpoint:PJSIP/alice")
    assert act("logout", "1001") == AgentLoggedOut("1001", actor="endpoint:PJSIP/1001")
    assert act("pause", "alice", "2", phone="PJSIP/lobby") == AgentPaused("alice", "2", actor="endpoint:PJSIP/lobby")
    assert act("login", "nobody", phone="PJSIP/lobby") == Refused("unknown_agent", "endpoint:PJSIP/lobby")
    assert act("shout", phone="PJSIP/lobby") == Refused("unknown_feature", "endpoint:PJSIP/lobby")


def test_reasons_follow_the_api_rule() -> None:
    assert isinstance(act("pause", reason="x" * 64), AgentPaused)
    for bad in ("x" * 65, "a*b", "a,b", "é", "a\nb"):
        assert act("pause", reason=bad) == Refused("bad_reason", "endpoint:PJSIP/1001"), bad
    assert act("unpause", reason="why") == Refused("bad_reason", "endpoint:PJSIP/1001")


@given(st.sampled_from(["login", "logout", "pause", "unpause"]), st.sampled_from(["", *IDS, "x"]),
       st.text(max_size=70), st.sampled_from([*AGENTS, *SHARED, "PJSIP/9"]))
def test_a_code_never_acts_for_another_agent_from_a_private_phone(
    feature: str, explicit: str, reason: str, phone: str
) -> None:
    out = feature_action(feature, explicit, reason, phone, AGENTS, IDS, SHARED)
    if not isinstance(out, Refused):
        assert out.actor == f"endpoint:{phone}"
        assert phone in SHARED or out.agent_id == AGENTS.get(phone)
