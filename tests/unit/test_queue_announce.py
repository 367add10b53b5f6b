"""Queue announcements, the pure part: who is due, what they hear, the averaged hold time."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ccd.acd.hold_time import HoldTime
from ccd.prompts import CATALOGUE
from ccd.queues.core.announce import AnnounceSettings, due, position_prompt, prompt_names, wait_prompt
from ccd.snapshot import CallView, QueueView

EVERY = AnnounceSettings(frequency_s=30, position=True, hold_time=True)


def call(call_id: str, wait_s: float, status: str = "waiting") -> CallView:
    return CallView(call_id, None, 0, wait_s, status, None, None, 0)  # type: ignore[arg-type]


def queue(*calls: CallView) -> QueueView:
    return QueueView("support", tuple(calls), available_agents=0, logged_in_agents=2)


def test_position_and_wait_phrases() -> None:
    assert [position_prompt(p) for p in (1, 2, 10, 11, 500)] == [
        "queue-next", "queue-position-2", "queue-position-10", "queue-position-many", "queue-position-many"]
    assert [wait_prompt(s) for s in (0, 59.9, 60, 70, 80, 15 * 60, 16 * 60)] == [
        "queue-wait-under-1", "queue-wait-under-1", "queue-wait-1", "queue-wait-1", "queue-wait-2",
        "queue-wait-15", "queue-wait-long"]


def test_every_prompt_an_announcement_can_play_is_in_both_languages() -> None:
    for settings in (EVERY, AnnounceSettings(30, position=False, hold_time=False)):
        for language in ("en", "ru"):
            assert set(prompt_names(settings)) <= set(CATALOGUE[language])
    assert prompt_names(AnnounceSettings(30, position=False, hold_time=False)) == ["queue-thanks"]


def test_due_after_each_full_period_with_position_in_service_order() -> None:
    view = queue(call("a", 65), call("b", 31), call("c", 29))
    got = due(view, EVERY, {}, hold_time_s=150)
    assert [(a.call_id, a.position, a.period) for a in got] == [("a", 1, 2), ("b", 2, 1)]
    assert got[0].prompts == ("queue-next", "queue-wait-2", "queue-thanks")  # 150 - 65 = 85 s
    assert got[1].prompts == ("queue-position-2", "queue-wait-2", "queue-thanks")  # 119 s
    # Announced already for these periods: nothing again until the next one.
    assert due(view, EVERY, {"a": 2, "b": 1}, hold_time_s=150) == []


def test_ringing_callers_are_skipped_but_still_count_for_positions() -> None:
    view = queue(call("a", 40, "ringing"), call("b", 40, "reserved"))
    got = due(view, EVERY, {}, hold_time_s=None)
    assert [(a.call_id, a.position) for a in got] == [("b", 2)]
    assert got[0].expected_wait_s is None and got[0].prompts == ("queue-position-2", "queue-thanks")


def test_off_or_parts_off() -> None:
    view = queue(call("a", 100))
    assert due(view, AnnounceSettings(0, True, True), {}, 10) == []
    only_wait = due(view, AnnounceSettings(30, position=False, hold_time=True), {}, hold_time_s=400)
    assert only_wait[0].prompts == ("queue-wait-5", "queue-thanks")


def test_hold_time_weighs_each_answer_a_quarter() -> None:
    h = HoldTime()
    assert h.value is None
    h.answered(40)
    h.answered(0)
    h.answered(-3)  # a clock step backwards is no negative wait
    assert h.value == (3 * (3 * 40 + 0) / 4 + 0) / 4


@given(st.lists(st.floats(min_value=0, max_value=3600), max_size=30), st.floats(min_value=1, max_value=120))
def test_one_announcement_per_caller_per_period(waits: list[float], every: float) -> None:
    settings = AnnounceSettings(every, True, True)
    view = queue(*(call(f"c{i}", w) for i, w in enumerate(waits)))
    done: dict[str, int] = {}
    first = due(view, settings, done, 60)
    for a in first:
        assert a.period == int(view.waiting[int(a.call_id[1:])].wait_s // every) >= 1
        done[a.call_id] = a.period
    assert due(view, settings, done, 60) == []
    assert len({a.call_id for a in first}) == len(first)


def test_check_config_wants_the_announcement_prompts_of_what_is_announced(tmp_path: Path) -> None:
    from ccd.config_load import check_config

    sounds = tmp_path / "sounds"
    cfg = tmp_path / "c.toml"
    base = ('sounds_dir = "{}"\n[[teams]]\nname = "t"\n[[queues]]\nname = "q"\nteams = ["t"]\nlanguage = "ru"\n'
            "announce_frequency = {}\nannounce_holdtime = false\n")
    cfg.write_text(base.format(sounds, 0))
    assert check_config(cfg, secrets=False)[1] == []
    cfg.write_text(base.format(sounds, 30))
    problems = check_config(cfg, secrets=False)[1]
    wanted = prompt_names(AnnounceSettings(30, position=True, hold_time=False))
    assert sorted((p.path, p.message) for p in problems) == sorted(
        ("queues[0].announce_frequency", f"missing prompt file {sounds}/ccd/ru/{name}.wav (build and install ccd's prompts: "
         f"scripts/build-prompts --install {sounds})") for name in wanted)
    assert not any("queue-wait" in p.message for p in problems)
    (sounds / "ccd/ru").mkdir(parents=True)
    for name in wanted:
        (sounds / f"ccd/ru/{name}.gsm").write_bytes(b"x")
    assert check_config(cfg, secrets=False)[1] == []
