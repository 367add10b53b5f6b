"""The service level of a queue over sliding windows: answered within the threshold /
(offered - short abandons), as docs/kpis.md defines it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

SL_WINDOWS = {"15m": 900.0, "1h": 3600.0}


@dataclass
class SlSample:
    ts: float
    within: bool  # answered within the threshold
    counted: bool  # counts in the denominator (not a short abandon)


class ServiceLevelWindow:
    """SL = answered within T / (offered - short abandons), over a sliding window."""

    def __init__(self, threshold_s: float, short_abandon_s: float) -> None:
        self.threshold_s = threshold_s
        self.short_abandon_s = short_abandon_s
        self.samples: deque[SlSample] = deque()

    def answered(self, ts: float, wait_s: float) -> None:
        self.samples.append(SlSample(ts, wait_s <= self.threshold_s, True))

    def left_unanswered(self, ts: float, wait_s: float, abandoned: bool) -> None:
        self.samples.append(SlSample(ts, False, not (abandoned and wait_s < self.short_abandon_s)))

    def ratio(self, now: float, window_s: float) -> float | None:
        horizon = max(SL_WINDOWS.values())
        while self.samples and self.samples[0].ts < now - horizon:
            self.samples.popleft()
        counted = [s for s in self.samples if s.ts >= now - window_s and s.counted]
        if not counted:
            return None
        return sum(s.within for s in counted) / len(counted)
