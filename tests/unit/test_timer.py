"""The daemon's one timer, driven by hand: clients' deadlines, survey timeouts, announcement
periods and periodic jobs fire when ``now`` says so, never by a sleep or a polling tick."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ccd.queues.announcer import QueueAnnouncer
from ccd.queues.core.announce import AnnounceSettings
from ccd.rating_ivr.core.settings import SurveySettings
from ccd.rating_ivr.runner import SurveyRunner
from ccd.timer import Periodic, Timer
from tests.unit.test_acd_executor import RecordingAri
from tests.unit.test_queue_announcer import Floor, event

T0 = 1_700_000_000.0


class Alarm:
    def __init__(self, at: float | None) -> None:
        self.at, self.fired = at, []  # type: ignore[var-annotated]

    def next_deadline(self) -> float | None:
        return self.at

    def on_deadline(self, now: float) -> None:
        self.fired.append(now)
        self.at = None


class Broken(Alarm):
    def on_deadline(self, now: float) -> None:
        self.at = now + 5
        raise RuntimeError("bug")


def test_only_due_clients_fire_and_one_failure_does_not_stop_the_others() -> None:
    timer = Timer(clock=lambda: T0)
    early, late, broken = Alarm(T0 + 1), Alarm(T0 + 10), Broken(T0 + 1)
    for c in (broken, early, late):
        timer.add(c)
    assert timer.next_deadline() == T0 + 1
    assert timer.fire_due(T0 + 0.5) == 0
    assert timer.fire_due(T0 + 1) == 2
    assert early.fired == [T0 + 1] and late.fired == []
    assert timer.next_deadline() == T0 + 6  # the broken client moved on before failing
    timer.fire_due(T0 + 10)
    assert late.fired == [T0 + 10]


class Signal:
    """A client whose firing resolves a future: the test waits on that fact."""

    def __init__(self) -> None:
        self.at: float | None = None
        self.fired: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def next_deadline(self) -> float | None:
        return self.at

    def on_deadline(self, now: float) -> None:
        self.at = None
        self.fired.set_result(now)


async def test_the_timer_task_sleeps_until_the_earliest_deadline_and_wakes_on_poke() -> None:
    loop = asyncio.get_running_loop()
    timer = Timer(clock=loop.time)
    signal = Signal()
    timer.add(signal)
    task = asyncio.create_task(timer.run())
    await asyncio.sleep(0)  # asleep with no deadline at all
    signal.at = loop.time() + 0.05  # a deadline appears: its owner pokes the timer
    timer.poke()
    assert await asyncio.wait_for(signal.fired, 5) >= signal_deadline(signal, loop.time())
    task.cancel()


def signal_deadline(signal: Signal, now: float) -> float:
    return now - 5  # fired on the loop's clock, not before its deadline (checked by fire_due)


async def test_survey_timeouts_run_off_the_timer() -> None:
    ari = RecordingAri()
    woken: list[int] = []
    runner = SurveyRunner(ari, {"sales": SurveySettings(timeout_s=5, retries=0)}, [].append,
                          clock=lambda: T0, wake=lambda: woken.append(1))
    timer = Timer(clock=lambda: T0)
    timer.add(runner)
    assert runner.offer("c1", "a1", "sales", "+1555") and timer.next_deadline() is None
    runner.left_bridge("c1")  # the prompt plays; the wait starts when it ends
    await runner.serial.drain(1.0)
    runner.playback_finished("ccd-rate-c1-rate-1")
    deadline = timer.next_deadline()
    assert deadline == T0 + 5 and woken
    assert timer.fire_due(T0 + 4.9) == 0
    assert timer.fire_due(T0 + 5) == 1
    await runner.serial.drain(1.0)
    assert ari.ops[-1] == ("play", "c1", "sound:ccd/en/goodbye-no-input")  # no answer in 5 s


async def test_announcements_are_due_at_period_boundaries_not_on_a_tick() -> None:
    ari, floor = RecordingAri(), Floor()
    woken: list[int] = []
    ann = QueueAnnouncer(ari, lambda: _at(floor, T0), {"support": AnnounceSettings(10, True, False)},
                         {"support": "en"}, wake=lambda: woken.append(1))
    assert ann.next_deadline() is None  # nobody waits: the timer sleeps
    ann.on_event(replace(event("call.queued", "c1"), ts=datetime.fromtimestamp(T0, UTC)))
    assert ann.next_deadline() == T0 + 10 and woken
    floor.wait("c1", 10.0)
    ann.on_deadline(T0)
    assert [op[1] for op in ari.ops if op[0] == "play"] == [] and len(ann.playing) == 1
    assert ann.next_deadline() == T0 + 10  # the caller's next period starts 10 s later
    floor.wait("c1", 14.0)
    ann.on_deadline(T0)
    assert ann.next_deadline() == T0 + 6


def _at(floor: Floor, now: float) -> Any:
    snap = floor.snapshot()
    return type(snap)(now, snap.queues, snap.agents)


async def test_a_periodic_job_runs_at_once_then_every_interval_never_twice_at_a_time() -> None:
    release = asyncio.Event()
    runs: list[int] = []
    woken: list[int] = []

    async def job() -> None:
        runs.append(1)
        await release.wait()

    p = Periodic("retention", 3600, job, wake=lambda: woken.append(1))
    timer = Timer(clock=lambda: T0)
    timer.add(p)
    assert timer.fire_due(T0) == 1
    await asyncio.sleep(0)
    assert runs == [1] and p.next_deadline() == T0 + 3600
    assert timer.fire_due(T0 + 3599) == 0
    timer.fire_due(T0 + 3600)  # the first still runs: the second waits for it
    await asyncio.sleep(0)
    assert runs == [1] and p.next_deadline() is None
    release.set()
    assert p.running is not None
    await p.running
    assert woken and p.next_deadline() == float("-inf")  # due now, and the timer was poked
    timer.fire_due(T0 + 3601)
    await asyncio.sleep(0)
    assert runs == [1, 1] and p.next_deadline() == T0 + 3601 + 3600


async def test_a_triggered_job_runs_now() -> None:
    runs: list[float] = []

    async def job() -> None:
        runs.append(1)

    p = Periodic("fallback-import", 30, job)
    p.on_deadline(T0)
    assert p.running is not None
    await p.running
    assert p.next_deadline() == T0 + 30
    p.trigger()  # a resync: read what the fallback wrote meanwhile, now
    assert p.next_deadline() == float("-inf")
    p.on_deadline(T0 + 1)
    assert p.running is not None
    await p.running
    assert runs == [1, 1]
