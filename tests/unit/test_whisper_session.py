"""The pure supervision session machine: transitions, commands as data, audit order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccd import events as ev
from ccd.whisper.core import session as ss
from ccd.whisper.core.session import CallRef, Session, SessionError

CALL = CallRef("c1", "support", "ccd-ag-c1-1", "ccd-call-c1")


def new(via: ss.Via = "feature_code", mode: ss.Mode = "listen", beep: bool = False) -> Session:
    return Session("s1", "S1", "A1", via, mode, beep=beep)


def test_feature_code_start_is_durable_before_audio() -> None:
    s = new(mode="whisper", beep=True)
    cmds = s.answered(100.0, CALL, wait_for_call=False)
    assert [type(c) for c in cmds] == [ss.AuditDurable, ss.Beep, ss.Attach]
    started = cmds[0].event  # type: ignore[union-attr]
    assert started.type == ev.SUPERVISION_STARTED and started.call_id == "c1" and started.queue == "support"
    assert dict(started.payload) == {"supervisor": "S1", "session": "s1", "mode": "whisper", "via": "feature_code",
                                     "actor": "ccd"}
    assert cmds[2] == ss.Attach("whisper", CALL)
    assert s.state == "active"


def test_api_rings_then_attaches_on_answer() -> None:
    s = new(via="api", mode="barge")
    assert s.ring("PJSIP/2001") == [ss.Ring("PJSIP/2001")] and s.state == "ringing"
    cmds = s.answered(5.0, CALL, wait_for_call=False)
    assert isinstance(cmds[0], ss.AuditDurable) and cmds[-1] == ss.Attach("barge", CALL)


def test_ring_no_answer_leaves_no_trace() -> None:
    s = new(via="training")
    s.ring("Local/x")
    assert s.end(9.0, "no_answer") == [ss.Teardown(hangup_supervisor=False)]  # no audit row
    assert s.state == "ended"


def test_not_on_call_rejects_or_waits() -> None:
    s = new()
    assert s.answered(1.0, None, wait_for_call=False) == [ss.Reject("not_on_call")]
    assert s.state == "ended" and s.end_reason == "not_on_call"
    w = new(mode="whisper")
    assert w.answered(1.0, None, wait_for_call=True) == [] and w.state == "waiting"
    w.switch(2.0, "barge")  # a key pressed while waiting is remembered
    cmds = w.call_answered(3.0, CALL)
    assert cmds[-1] == ss.Attach("barge", CALL)
    assert cmds[0].event.payload["mode"] == "barge"  # type: ignore[union-attr]
    assert w.call_answered(4.0, CALL) == []  # already active: a later call changes nothing


def test_switch_is_durably_audited_before_the_audio_changes() -> None:
    s = new()
    s.answered(10.0, CALL, wait_for_call=False)
    cmds = s.switch(12.5, "whisper", actor="token:olga")
    assert isinstance(cmds[0], ss.AuditDurable) and cmds[1] == ss.Switch("listen", "whisper", CALL)
    changed = cmds[0].event
    assert changed.type == ev.SUPERVISION_MODE and changed.payload["previous"] == "listen"
    assert changed.payload["actor"] == "token:olga" and changed.payload["supervisor"] == "S1"
    assert s.switch(13.0, "whisper") == []  # same mode: nothing to do


def test_a_switch_before_the_call_is_durably_audited_with_its_actor() -> None:
    """Ringing or waiting for a call there is no audio to switch, but a person asked: on record
    (durably, without a call) like a switch on a live session, and the session then ends on record."""
    s = Session("s1", "S1", "A1", "api", "listen", started_by="token:s1")
    s.ring("PJSIP/2001")
    cmds = s.switch(2.0, "whisper", actor="token:s1")
    assert [type(c) for c in cmds] == [ss.AuditDurable]
    changed = cmds[0].event  # type: ignore[union-attr]
    assert changed.type == ev.SUPERVISION_MODE and changed.call_id is None and changed.agent_id == "A1"
    assert dict(changed.payload) == {"supervisor": "S1", "session": "s1", "mode": "whisper", "previous": "listen",
                                     "actor": "token:s1"}
    assert s.switch(3.0, "whisper") == []  # the same mode again: nothing asked
    gone = s.end(9.0, "no_answer")
    assert gone[0] == ss.Teardown(hangup_supervisor=False)
    ended = gone[1].event  # type: ignore[union-attr]
    assert ended.type == ev.SUPERVISION_ENDED and ended.payload["reason"] == "no_answer"
    assert "duration_s" not in ended.payload and ended.payload["mode"] == "whisper"

    w = new()
    w.answered(1.0, None, wait_for_call=True)
    changed = w.switch(2.0, "barge", actor="endpoint:PJSIP/2001")[0].event  # type: ignore[union-attr]
    assert changed.payload["actor"] == "endpoint:PJSIP/2001" and changed.payload["previous"] == "listen"
    started = w.call_answered(3.0, CALL)[0].event  # type: ignore[union-attr]
    assert started.type == ev.SUPERVISION_STARTED and started.payload["mode"] == "barge"

    r = new()  # rang, a switch asked for, answered with the agent on no call
    r.ring("PJSIP/2001")
    r.switch(2.0, "barge", actor="token:s1")
    rejected = r.answered(3.0, None, wait_for_call=False)
    assert rejected[0] == ss.Reject("not_on_call")
    assert rejected[1].event.payload["reason"] == "not_on_call"  # type: ignore[union-attr]


def test_a_failed_switch_ends_durably_on_record() -> None:
    s = new()
    s.answered(1.0, CALL, wait_for_call=False)
    s.switch(2.0, "barge", actor="token:s1")
    cmds = s.end(2.5, "switch_failed")
    assert cmds[0] == ss.Teardown(hangup_supervisor=True) and isinstance(cmds[1], ss.AuditDurable)
    assert cmds[1].event.payload["reason"] == "switch_failed" and cmds[1].event.payload["mode"] == "barge"


def test_every_audited_event_names_its_actor() -> None:
    s = Session("s1", "S1", "A1", "api", "listen", started_by="token:root")
    s.ring("PJSIP/2001")
    started = s.answered(1.0, CALL, wait_for_call=False)[0].event  # type: ignore[union-attr]
    assert started.payload["actor"] == "token:root" and started.payload["supervisor"] == "S1"
    ended = s.end(5.0, "stopped", actor="token:s3")[1].event  # type: ignore[union-attr]
    assert ended.payload["actor"] == "token:s3"
    assert ss.denied_event(1.0, "S1", "A1", "not_owner", "api", actor="token:s3").payload["actor"] == "token:s3"


def test_end_reports_duration_and_hangs_up_unless_supervisor_left() -> None:
    s = new()
    s.answered(10.0, CALL, wait_for_call=False)
    cmds = s.end(25.25, "call_ended")
    assert cmds[0] == ss.Teardown(hangup_supervisor=True)
    ended = cmds[1].event  # type: ignore[union-attr]
    assert ended.type == ev.SUPERVISION_ENDED and ended.payload["duration_s"] == 15.25
    assert ended.payload["reason"] == "call_ended"
    assert s.end(30.0, "stopped") == []  # idempotent
    with pytest.raises(SessionError):
        s.switch(31.0, "barge")
    s2 = new()
    s2.answered(1.0, CALL, wait_for_call=False)
    assert s2.end(2.0, "supervisor_hangup")[0] == ss.Teardown(hangup_supervisor=False)


def test_answer_twice_is_an_error() -> None:
    s = new()
    s.answered(1.0, CALL, wait_for_call=False)
    with pytest.raises(SessionError):
        s.answered(2.0, CALL, wait_for_call=False)


def test_denied_event_shape() -> None:
    e = ss.denied_event(1.0, "S2", "A1", "not_in_teams", "api", "listen", CALL)
    assert e.type == ev.SUPERVISION_DENIED and e.call_id == "c1" and e.agent_id == "A1"
    assert e.payload["reason"] == "not_in_teams" and e.payload["via"] == "api"


# -- properties -------------------------------------------------------------------------------
Step = st.one_of(
    st.tuples(st.just("answer"), st.booleans(), st.booleans()),
    st.tuples(st.just("call"), st.just(None), st.just(None)),
    st.tuples(st.just("switch"), st.sampled_from(ss.MODES), st.just(None)),
    st.tuples(st.just("end"), st.sampled_from(["stopped", "call_ended", "supervisor_hangup"]), st.just(None)),
)


@given(st.sampled_from(ss.MODES), st.lists(Step, max_size=20))
def test_any_sequence_keeps_audit_consistent(first: ss.Mode, steps: list[tuple[object, object, object]]) -> None:
    """Whatever happens: at most one start, audited before any audio command; every mode change
    on record (before the start too); the end last, only when something precedes it on record;
    the mode audited last is the mode in force; no audio after end."""
    s = new(mode=first)
    out: list[ss.Command] = []
    now = 0.0
    for kind, a, b in steps:
        now += 1.0
        try:
            if kind == "answer":
                out += s.answered(now, CALL if a else None, wait_for_call=bool(b))
            elif kind == "call":
                out += s.call_answered(now, CALL)
            elif kind == "switch":
                out += s.switch(now, a)  # type: ignore[arg-type]
            else:
                out += s.end(now, str(a))
        except SessionError:
            pass
    audits = [c.event for c in out if isinstance(c, ss.Audit | ss.AuditDurable)]
    types = [e.type for e in audits]
    assert types.count(ev.SUPERVISION_STARTED) <= 1
    audio = [i for i, c in enumerate(out) if isinstance(c, ss.Attach | ss.Switch)]
    if audio:
        durable = next(i for i, c in enumerate(out) if isinstance(c, ss.AuditDurable))
        assert durable < audio[0]
    if types:
        assert types[0] in (ev.SUPERVISION_STARTED, ev.SUPERVISION_MODE)
        assert types.count(ev.SUPERVISION_ENDED) <= 1 and (ev.SUPERVISION_ENDED not in types
                                                          or types[-1] == ev.SUPERVISION_ENDED)
    teardown = [i for i, c in enumerate(out) if isinstance(c, ss.Teardown | ss.Reject)]
    assert len(teardown) <= 1
    if teardown:
        assert not [i for i in audio if i > teardown[0]]
    modes = [e.payload["mode"] for e in audits if e.type in (ev.SUPERVISION_STARTED, ev.SUPERVISION_MODE)]
    if modes:
        assert modes[-1] == s.mode
    switches = [e for e in audits if e.type == ev.SUPERVISION_MODE]
    assert all(e.payload["previous"] != e.payload["mode"] for e in switches)
