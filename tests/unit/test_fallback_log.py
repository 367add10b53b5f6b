"""Reading Asterisk's queue_log into ccd's call events (lines as Asterisk 16.28 wrote them
in the harness; 22 writes the same fields)."""

from __future__ import annotations

from ccd.queues.core.fallback_log import QueueLogReader, agent_resolver, call_events

LOG = """\
1796070953|NONE|NONE|NONE|QUEUESTART|
1796070953|1796070953.1|support|NONE|ENTERQUEUE||5554001|1
1796070953|1796070953.5|support|NONE|ENTERQUEUE||5554002|2
1796070954|1796070953.1|support|B|CONNECT|1|1796070953.2|0
1796070955|1796070953.5|support|A|RINGCANCELED|481
1796070955|1796070953.5|support|NONE|ABANDON|1|2|2
1796070956|1796070956.9|support|NONE|ENTERQUEUE||5554003|1
1796070957|1796070956.9|support|Ann|CONNECT|1|1796070956.10|0
1796070959|1796070956.9|support|Local/ag-A@sim|COMPLETEAGENT|1|2|1
1796070960|1796070960.1|other|NONE|ENTERQUEUE||5559999|1
1796070961|1796070953.1|support|B|COMPLETECALLER|1|7|1
1796070962|1796070962.1|support|NONE|ENTERQUEUE||anonymous|1
1796070992|1796070962.1|support|NONE|EXITWITHTIMEOUT|1|1|30
"""


def reader() -> QueueLogReader:
    return QueueLogReader(["support"], agent_resolver([("A", "Ann", "Local/ag-A@sim"), ("B", "", "Local/b@sim")]),
                          lambda raw: raw if raw.isdigit() else None)


def test_finished_calls_with_agent_wait_talk_and_outcome() -> None:
    calls = {c.call_id: c for c in reader().feed(LOG.splitlines())}
    assert set(calls) == {"1796070953.1", "1796070953.5", "1796070956.9", "1796070962.1"}  # not "other"
    a = calls["1796070953.1"]
    assert (a.caller, a.agent, a.wait_s, a.talk_s, a.ended_by, a.outcome) == ("5554001", "B", 1, 7, "caller", "answered")
    b = calls["1796070956.9"]
    assert (b.agent, b.talk_s, b.ended_by) == ("A", 2, "agent")  # the member name names agent A
    assert (calls["1796070953.5"].outcome, calls["1796070953.5"].wait_s) == ("abandoned", 2)
    t = calls["1796070962.1"]
    assert (t.caller, t.outcome, t.wait_s) == (None, "timeout", 30)


def test_a_call_still_in_the_queue_is_finished_by_a_later_read() -> None:
    r = reader()
    lines = LOG.splitlines()
    first = r.feed(lines[:5])
    assert first == [] and set(r.open) == {"1796070953.1", "1796070953.5"}
    later = r.feed(lines[5:])
    assert {c.call_id for c in later} == {"1796070953.1", "1796070953.5", "1796070956.9", "1796070962.1"}


def test_events_have_stable_ids_and_are_marked_as_fallback() -> None:
    calls = reader().feed(LOG.splitlines())
    once = [e for c in calls for e in call_events(c)]
    again = [e for c in reader().feed(LOG.splitlines()) for e in call_events(c)]
    assert [e.event_id for e in once] == [e.event_id for e in again]  # a re-import is a no-op
    assert len({e.event_id for e in once}) == len(once)
    assert all(e.payload["via"] == "queue_log" for e in once)
    answered = [e for e in once if e.call_id == "1796070953.1"]
    assert [e.type for e in answered] == ["call.queued", "call.answered", "call.ended", "call.fallback"]
    assert answered[1].agent_id == "B" and answered[1].payload["wait_s"] == 1
    assert answered[2].payload["talk_s"] == 7 and answered[3].payload["outcome"] == "answered"
    timeout = [e for e in once if e.call_id == "1796070962.1"]
    assert timeout[1].type == "call.overflow" and timeout[1].payload["target"] is None


def test_calls_that_entered_before_the_window_or_garbage_are_skipped() -> None:
    r = reader()
    got = r.feed(["garbage", "x|y", "abc|1.1|support|NONE|ENTERQUEUE||1|1", *LOG.splitlines()], since=1796070957)
    assert [c.call_id for c in got] == ["1796070962.1"]


def test_agent_field_by_id_name_or_interface_and_ambiguous_names_name_nobody() -> None:
    resolve = agent_resolver([("A", "Sam", "PJSIP/1"), ("B", "Sam", "PJSIP/2"), ("C", "Cy", "PJSIP/3")])
    assert [resolve(x) for x in ("A", "Cy", "PJSIP/2", "Sam", "nobody")] == ["A", "C", "B", None, None]


def test_transfers_end_an_answered_call_with_their_call_time() -> None:
    lines = ["100|9.1|support|NONE|ENTERQUEUE||5550001|1", "104|9.1|support|A|CONNECT|4|9.2|1",
             "130|9.1|support|A|ATTENDEDTRANSFER|BRIDGE|abc|4|26|1",
             "200|9.3|support|NONE|ENTERQUEUE||5550002|1", "202|9.3|support|A|CONNECT|2|9.4|1",
             "211|9.3|support|A|BLINDTRANSFER|100|default|2|9|1"]
    calls = reader().feed(lines)
    assert [(c.outcome, c.wait_s, c.talk_s, c.ended_by) for c in calls] == [
        ("answered", 4, 26, "system"), ("answered", 2, 9, "system")]
