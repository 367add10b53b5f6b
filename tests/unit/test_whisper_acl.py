"""The pure supervision ACL: shared team or no access; mentors; who is calling."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ccd.config import CcdConfig
from ccd.whisper.core.acl import Directory, Person, Team


def cfg() -> CcdConfig:
    return CcdConfig.model_validate({
        "teams": [{"name": "support", "beep_on_supervision": True},
                  {"name": "sales", "training_mode": True, "mentor": "S2"}, {"name": "ops"}],
        "agents": [
            {"id": "A1", "endpoint": "PJSIP/1001", "teams": ["support"]},
            {"id": "A2", "endpoint": "PJSIP/1002", "teams": ["support", "sales"], "seniority": "senior"},
            {"id": "T1", "endpoint": "PJSIP/1003", "teams": ["sales"], "seniority": "trainee"},
            {"id": "T2", "endpoint": "PJSIP/1004", "teams": ["support"], "seniority": "trainee", "mentor": "A2"},
            {"id": "T3", "endpoint": "PJSIP/1005", "teams": ["ops"], "seniority": "trainee"},
        ],
        "supervisors": [{"id": "S1", "endpoint": "PJSIP/2001", "teams": ["support"]},
                        {"id": "S2", "endpoint": "PJSIP/2002", "teams": ["sales"]}],
    })


def test_shared_team_allows_else_denies_with_reason() -> None:
    d = Directory.from_config(cfg())
    assert d.decide("S1", "A1").allowed
    assert d.decide("S2", "A2").allowed  # A2 is in support and sales
    assert d.decide("S2", "A1").reason == "not_in_teams"
    assert d.decide("S9", "A1").reason == "unknown_supervisor"
    assert d.decide(None, "A1").reason == "unknown_supervisor"
    assert d.decide("S1", "nobody").reason == "unknown_agent"


def test_caller_recognised_by_endpoint_or_dialplan_variable() -> None:
    d = Directory.from_config(cfg())
    assert d.supervisor_for_channel("PJSIP/2001-0000002a") == "S1"
    assert d.supervisor_for_channel("PJSIP/1001-0000002a") is None  # an agent's phone
    assert d.supervisor_for_channel("Local/sv-S2-*221A1@x-00000001;2", "S2") == "S2"
    assert d.supervisor_for_channel("PJSIP/2001-00000001", "S9") is None  # unknown name: nobody


def test_mentors_per_trainee_then_training_team() -> None:
    d = Directory.from_config(cfg())
    assert d.mentor_of("T2") == "A2"  # the trainee's own mentor (an agent)
    assert d.mentor_of("T1") == "S2"  # the training-mode team's mentor (a supervisor)
    assert d.mentor_of("T3") is None  # team not in training mode
    assert d.mentor_of("A2") is None  # not a trainee
    assert d.endpoint_of("A2") == "PJSIP/1002" and d.endpoint_of("S2") == "PJSIP/2002"


def test_beep_follows_the_agents_teams() -> None:
    d = Directory.from_config(cfg())
    assert d.beep_for("A1") and not d.beep_for("T1")


names = st.sets(st.sampled_from(["a", "b", "c", "d"]), max_size=3)


@given(names, names)
def test_allowed_exactly_when_teams_intersect(sup_teams: set[str], agent_teams: set[str]) -> None:
    d = Directory([Person("S", "PJSIP/1", frozenset(sup_teams))],
                  [Person("A", "PJSIP/2", frozenset(agent_teams))],
                  [Team(t, None, False, False) for t in "abcd"])
    assert d.decide("S", "A").allowed == bool(sup_teams & agent_teams)
