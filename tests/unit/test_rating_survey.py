"""The rating survey state machine: every path, then random sequences (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccd.events import EVENT_TYPES, RATING_RESULT
from ccd.rating_ivr import (
    Done,
    Hangup,
    Play,
    StopPlayback,
    Survey,
    SurveySettings,
    announcement,
    not_offered,
)
from ccd.rating_ivr.core.actions import Action

T0 = 1_700_000_000.0
URI = "sound:ccd/en/"


def make(**kw: Any) -> Survey:
    return Survey("call-1", "ag-7", "sales", "+4930123", SurveySettings(**kw))


def done_of(actions: list[Action]) -> Done:
    assert isinstance(actions[-1], Done), actions
    return actions[-1]


def test_valid_digit_after_prompt_is_thanked_and_stored() -> None:
    s = make()
    assert s.start(T0) == [Play("call-1", (URI + "rate-call",), "rate-1")]
    assert s.start(T0) == []  # idempotent
    assert s.on_playback_finished("rate-1", T0 + 8) == []
    assert s.next_deadline() == T0 + 8 + 8.0  # timeout runs from the end of the prompt
    assert s.on_dtmf("4", T0 + 10) == [Play("call-1", (URI + "thank-you",), "thanks")]
    assert s.result is not None and s.result.score == 4  # decided at the key press
    actions = s.on_playback_finished("thanks", T0 + 12)
    assert actions[0] == Hangup("call-1")
    r = done_of(actions).result
    assert (r.outcome, r.score, r.attempts, r.ts, r.reason) == ("rated", 4, 1, T0 + 10, "key")
    assert s.done and s.next_deadline() is None
    assert s.on_hangup(T0 + 13) == [] and s.on_dtmf("5", T0 + 13) == []


def test_barge_in_during_prompt_stops_it() -> None:
    s = make()
    s.start(T0)
    assert s.on_dtmf("5", T0 + 1) == [
        StopPlayback("call-1", "rate-1"),
        Play("call-1", (URI + "thank-you",), "thanks"),
    ]
    assert s.on_playback_finished("rate-1", T0 + 1.1) == []  # the stopped prompt: stale
    assert s.on_dtmf("1", T0 + 1.2) == []  # first valid key wins
    r = done_of(s.on_playback_finished("thanks", T0 + 3)).result
    assert (r.outcome, r.score, r.attempts) == ("rated", 5, 1)


def test_invalid_then_valid_replays_exactly_once() -> None:
    s = make()
    out = s.start(T0) + s.on_playback_finished("rate-1", T0 + 8)
    replay = s.on_dtmf("0", T0 + 9)
    assert replay == [Play("call-1", (URI + "invalid", URI + "rate-call"), "rate-2")]
    out += replay + s.on_playback_finished("rate-2", T0 + 20)
    assert s.next_deadline() == T0 + 28  # the timeout restarts after the replay
    valid = s.on_dtmf("2", T0 + 21)
    assert valid == [Play("call-1", (URI + "thank-you",), "thanks")]
    out += valid + s.on_playback_finished("thanks", T0 + 23)
    prompts = [a for a in out if isinstance(a, Play) and URI + "rate-call" in a.sounds]
    assert [p.tag for p in prompts] == ["rate-1", "rate-2"]  # one replay, no more
    assert sum(URI + "invalid" in a.sounds for a in out if isinstance(a, Play)) == 1
    r = done_of(out).result
    assert (r.outcome, r.score, r.attempts) == ("rated", 2, 2)


@pytest.mark.parametrize("key", ["0", "6", "9", "*", "#", "A", "D", "", "12"])
def test_keys_outside_the_scale_are_invalid(key: str) -> None:
    s = make(scale_max=5)
    s.start(T0)
    actions = s.on_dtmf(key, T0 + 1)
    assert actions[0] == StopPlayback("call-1", "rate-1")
    assert actions[1] == Play("call-1", (URI + "invalid", URI + "rate-call"), "rate-2")


def test_scale_picks_its_question_and_bounds() -> None:
    s = make(scale_max=3, language="ru")
    assert s.start(T0) == [Play("call-1", ("sound:ccd/ru/rate-call-3",), "rate-1")]
    assert s.on_dtmf("4", T0 + 1)[1].tag == "rate-2"  # type: ignore[union-attr]
    assert s.on_dtmf("3", T0 + 2)[1] == Play("call-1", ("sound:ccd/ru/thank-you",), "thanks")


def test_retries_exhausted_is_no_response_after_goodbye() -> None:
    s = make(retries=2)
    s.start(T0)
    assert s.on_dtmf("7", T0 + 1)[1].tag == "rate-2"  # type: ignore[union-attr]
    assert s.on_dtmf("8", T0 + 2)[1].tag == "rate-3"  # type: ignore[union-attr]
    last = s.on_dtmf("#", T0 + 3)
    assert last == [
        StopPlayback("call-1", "rate-3"),
        Play("call-1", (URI + "invalid", URI + "goodbye-no-input"), "goodbye"),
    ]
    assert s.on_dtmf("3", T0 + 4) == []  # decided: no late rating
    r = done_of(s.on_playback_finished("goodbye", T0 + 8)).result
    assert (r.outcome, r.score, r.attempts, r.reason) == ("no_response", None, 3, "retries_exhausted")


def test_zero_retries_means_one_prompt_only() -> None:
    s = make(retries=0)
    s.start(T0)
    s.on_playback_finished("rate-1", T0 + 8)
    assert s.on_dtmf("0", T0 + 9) == [
        Play("call-1", (URI + "invalid", URI + "goodbye-no-input"), "goodbye")
    ]


def test_silence_timeout_is_no_response() -> None:
    s = make(timeout_s=5)
    s.start(T0)
    s.on_playback_finished("rate-1", T0 + 8)
    assert s.on_timer(T0 + 12.9) == []  # early: nothing
    assert s.on_timer(T0 + 13) == [Play("call-1", (URI + "goodbye-no-input",), "goodbye")]
    actions = s.on_playback_finished("goodbye", T0 + 17)
    assert actions[0] == Hangup("call-1")
    r = done_of(actions).result
    assert (r.outcome, r.score, r.attempts, r.ts, r.reason) == ("no_response", None, 1, T0 + 13, "timeout")


def test_hangup_mid_survey_is_abandoned() -> None:
    for when in ("asking", "waiting"):
        s = make()
        s.start(T0)
        if when == "waiting":
            s.on_playback_finished("rate-1", T0 + 8)
        assert s.state == when
        actions = s.on_hangup(T0 + 9)
        assert actions == [done_of(actions)]  # no Hangup: the caller is already gone
        r = actions[0].result  # type: ignore[union-attr]
        assert (r.outcome, r.score, r.attempts, r.reason) == ("abandoned", None, 1, "hangup")


def test_hangup_during_thank_you_keeps_the_rating() -> None:
    s = make()
    s.start(T0)
    s.on_dtmf("3", T0 + 2)
    actions = s.on_hangup(T0 + 3)
    assert len(actions) == 1
    assert (done_of(actions).result.outcome, done_of(actions).result.score) == ("rated", 3)


def test_hangup_before_start_is_not_offered() -> None:
    s = make()
    r = done_of(s.on_hangup(T0)).result
    assert (r.outcome, r.attempts, r.reason) == ("not_offered", 0, "caller_left_first")
    assert s.start(T0 + 1) == []


def test_disabled_queue_hangs_up_and_records_not_offered() -> None:
    s = make(enabled=False)
    actions = s.start(T0)
    assert actions[0] == Hangup("call-1")
    r = done_of(actions).result
    assert (r.outcome, r.score, r.attempts, r.reason) == ("not_offered", None, 0, "disabled")
    assert announcement("call-1", SurveySettings(enabled=False, announce_at_start=True)) is None


def test_lost_playback_is_bounded_by_the_guard() -> None:
    s = make(playback_guard_s=30, timeout_s=5)
    s.start(T0)
    assert s.next_deadline() == T0 + 30
    assert s.on_timer(T0 + 30) == [StopPlayback("call-1", "rate-1")]
    assert s.on_timer(T0 + 35)[0].tag == "goodbye"  # type: ignore[union-attr]
    actions = s.on_timer(T0 + 65)  # the goodbye never finished either
    assert actions[0] == Hangup("call-1") and done_of(actions).result.outcome == "no_response"


def test_admin_prompt_overrides() -> None:
    cfg = SurveySettings(
        prompts={"rate-call": "custom/acme/rate", "thank-you": "/srv/acme/thanks"}, language="ru"
    )
    s = Survey("c", None, None, None, cfg)
    assert s.start(T0) == [Play("c", ("sound:custom/acme/rate",), "rate-1")]
    assert s.on_dtmf("1", T0)[1] == Play("c", ("sound:/srv/acme/thanks",), "thanks")


def test_announcement_and_result_event() -> None:
    cfg = SurveySettings(language="ru", announce_at_start=True)
    assert announcement("c9", cfg) == Play("c9", ("sound:ccd/ru/rating-follows",), "rating-follows")
    assert announcement("c9", SurveySettings()) is None
    s = make()
    s.start(T0)
    s.on_dtmf("5", T0 + 3)
    ev = done_of(s.on_hangup(T0 + 4)).result.to_event()
    assert ev.type == RATING_RESULT and ev.type in EVENT_TYPES
    assert (ev.call_id, ev.agent_id, ev.queue, ev.ts.timestamp()) == ("call-1", "ag-7", "sales", T0 + 3)
    assert dict(ev.payload) == {"outcome": "rated", "score": 5, "caller": "+4930123", "attempts": 1}
    assert ev.event_id == s.result.to_event().event_id  # type: ignore[union-attr]
    nr = not_offered("call-2", "ag-7", "sales", None, T0).to_event()
    assert dict(nr.payload) == {"outcome": "not_offered", "score": None, "caller": None, "attempts": 0}
    assert nr.event_id != ev.event_id


# -- properties ------------------------------------------------------------------------

KEYS = st.sampled_from([*"0123456789*#AD"])
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("dtmf"), KEYS),
        st.tuples(st.just("finished"), st.sampled_from(["rate-1", "rate-2", "rate-3", "thanks", "goodbye", "x"])),
        st.tuples(st.just("finished_current"), st.none()),
        st.tuples(st.just("timer"), st.none()),
        st.tuples(st.just("hangup"), st.none()),
        st.tuples(st.just("start"), st.none()),
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(
    steps=STEPS,
    scale=st.integers(2, 9),
    retries=st.integers(0, 4),
    enabled=st.booleans(),
    gaps=st.lists(st.floats(0, 20), min_size=40, max_size=40),
)
def test_random_sequences_end_in_exactly_one_done(
    steps: list[tuple[str, str | None]], scale: int, retries: int, enabled: bool, gaps: list[float]
) -> None:
    s = make(scale_max=scale, retries=retries, enabled=enabled, timeout_s=5, playback_guard_s=30)
    now = T0
    out: list[Action] = []
    last_play: Play | None = None
    for (kind, arg), gap in zip([*steps, ("hangup", None)], [*gaps, 0.0], strict=False):
        now += gap
        if kind == "dtmf":
            assert arg is not None
            actions = s.on_dtmf(arg, now)
        elif kind == "finished":
            assert arg is not None
            actions = s.on_playback_finished(arg, now)
        elif kind == "finished_current":
            actions = s.on_playback_finished(last_play.tag, now) if last_play else []
        elif kind == "timer":
            deadline = s.next_deadline()
            actions = s.on_timer(deadline if deadline is not None else now)
            now = max(now, deadline or now)
        elif kind == "start":
            actions = s.start(now)
        else:
            actions = s.on_hangup(now)
        for a in actions:
            if isinstance(a, Play):
                last_play = a
                assert all(u.startswith("sound:") and "," not in u for u in a.sounds)
        out.extend(actions)
        if s.done:
            assert s.next_deadline() is None
        else:
            assert s.next_deadline() is not None or s.state == "new"
    dones = [a for a in out if isinstance(a, Done)]
    assert len(dones) == 1
    assert out[-1] is dones[0]  # nothing after Done
    r = dones[0].result
    assert (r.outcome == "rated") == (r.score is not None)
    if r.score is not None:
        assert 1 <= r.score <= scale
    assert 0 <= r.attempts <= retries + 1
    assert r.attempts == len({a.tag for a in out if isinstance(a, Play) and a.tag.startswith("rate-")})
    if not enabled:
        assert r.outcome == "not_offered"
    # only Play/Stop/Hangup/Done for this call; at most one Hangup, just before Done
    assert all(getattr(a, "call_id", "call-1") == "call-1" for a in out)
    hangups = [i for i, a in enumerate(out) if isinstance(a, Hangup)]
    assert hangups in ([], [len(out) - 2])
    stops = {a.tag for a in out if isinstance(a, StopPlayback)}
    assert stops <= {a.tag for a in out if isinstance(a, Play)}
