"""The announcer's shell with a recording stand-in for ARI: it starts one announcement per
due period, never talks over itself, and stops what plays before the caller is moved."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from ccd import events as ev
from ccd.queues.announcer import QueueAnnouncer
from ccd.queues.core.announce import AnnounceSettings
from ccd.snapshot import CallView, EngineSnapshot, QueueView
from tests.unit.test_acd_executor import RecordingAri


class SlowPlayAri(RecordingAri):
    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.release.set()

    async def play(self, channel_id: str, media: object, playback_id: str) -> None:  # type: ignore[override]
        await self.release.wait()
        self.ops.append(("play", channel_id, playback_id, *media))  # type: ignore[misc]


class Floor:
    def __init__(self) -> None:
        self.calls: list[CallView] = []

    def wait(self, call_id: str, wait_s: float, status: str = "waiting") -> None:
        self.calls = [c for c in self.calls if c.call_id != call_id]
        self.calls.append(CallView(call_id, None, 0, wait_s, status, None, None, 0))  # type: ignore[arg-type]

    def snapshot(self) -> EngineSnapshot:
        view = QueueView("support", tuple(self.calls), 0, 1)
        return EngineSnapshot(0.0, {"support": view}, {})


def make(ari: RecordingAri | None = None) -> tuple[QueueAnnouncer, RecordingAri, Floor]:
    ari = ari or RecordingAri()
    floor = Floor()
    ann = QueueAnnouncer(ari, floor.snapshot, {"support": AnnounceSettings(10, True, True)}, {"support": "ru"})
    return ann, ari, floor


def event(type_: str, call_id: str, **payload: object) -> ev.DomainEvent:
    return ev.event(type_, datetime.now(UTC).timestamp(), call_id=call_id, queue="support", **payload)


async def test_plays_once_per_period_in_the_queue_language_and_not_over_itself() -> None:
    ann, ari, floor = make()
    floor.wait("c1", 9)
    assert ann.tick() == []
    floor.wait("c1", 10.5)
    [a] = ann.tick()
    await asyncio.sleep(0)
    assert ari.ops == [("play", "c1", "sound:ccd/ru/queue-next", "sound:ccd/ru/queue-thanks")]
    floor.wait("c1", 11.5)
    assert ann.tick() == []  # same period
    floor.wait("c1", 20.5)
    assert ann.tick() == []  # next period, but the first announcement is still playing
    ann.playback_finished(f"ccd-ann-c1-{a.period}")
    floor.wait("c1", 30.5)
    assert [x.period for x in ann.tick()] == [3]


async def test_expected_wait_comes_from_answered_calls() -> None:
    ann, _, floor = make()
    ann.on_event(event(ev.CALL_ANSWERED, "old", wait_s=200.0))
    floor.wait("c2", 12)
    [a] = ann.tick()
    assert a.expected_wait_s == 188 and a.prompts == ("queue-next", "queue-wait-3", "queue-thanks")


async def test_silence_stops_after_the_play_request_and_blocks_new_announcements() -> None:
    ari = SlowPlayAri()
    ann, _, floor = make(ari)
    ari.release.clear()  # the play request is still on its way to Asterisk
    floor.wait("c1", 10.5)
    [a] = ann.tick()
    silencing = asyncio.ensure_future(ann.silence("c1"))
    await asyncio.sleep(0.01)
    assert ari.ops == [] and not silencing.done()
    ari.release.set()
    await silencing
    assert [op[0] for op in ari.ops] == ["play", "stopplay"]
    assert ari.ops[-1] == ("stopplay", f"ccd-ann-c1-{a.period}")
    floor.wait("c1", 40)
    assert ann.tick() == []  # being connected: quiet from now on


async def test_silence_costs_nothing_without_an_announcement_or_after_it_finished() -> None:
    ann, ari, floor = make()
    await ann.silence("nobody")
    floor.wait("c1", 10.5)
    [a] = ann.tick()
    await asyncio.sleep(0)
    ann.playback_finished(f"ccd-ann-c1-{a.period}")
    await ann.silence("c1")
    assert [op[0] for op in ari.ops] == ["play"]


async def test_a_call_that_ends_is_forgotten() -> None:
    ann, _, floor = make()
    floor.wait("c1", 10.5)
    ann.tick()
    await asyncio.sleep(0)
    ann.on_event(event(ev.CALL_ABANDONED, "c1", wait_s=10.5))
    assert ann.playing == {} and ann.call_of == {} and ann.periods == {}


async def test_a_call_back_in_the_queue_after_a_failed_connect_is_announced_again() -> None:
    ann, _, floor = make()
    await ann.silence("c1")
    floor.wait("c1", 10.5)
    assert ann.tick() == []
    ann.on_event(event(ev.CALL_OFFER_FAILED, "c1", reason="failed"))
    floor.wait("c1", 20.5)
    assert [a.call_id for a in ann.tick()] == ["c1"]
