"""Where a caller's wait starts: the dialplan's entry time, when it is the same clock's."""

from __future__ import annotations

from ccd.queues.legs import ENTRY_SKEW_S, entry_time, queue_order

NOW = 1_780_000_000.5


def args(entered: str) -> list[str]:
    return ["queue", "support", "0", entered]


def test_the_dialplan_entry_time_starts_the_wait() -> None:
    assert entry_time(args(f"{NOW - 0.183:.6f}"), NOW) == NOW - 0.183


def test_missing_garbled_future_or_foreign_clock_times_fall_back_to_now() -> None:
    for bad in ("", "x", "-5", "nan", f"{NOW + 0.5:.6f}", f"{NOW - ENTRY_SKEW_S - 1:.6f}"):
        assert entry_time(args(bad), NOW) == NOW
    assert entry_time(["queue", "support"], NOW) == NOW


def test_restore_and_entry_agree_on_a_caller_ccd_never_noted() -> None:
    a = args(f"{NOW - 1.25:.6f}")
    assert queue_order({}, a, NOW)[0] == entry_time(a, NOW)
