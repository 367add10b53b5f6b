"""The expected-wait estimate callers hear (announcements) and callback offers are based on."""

from __future__ import annotations


class HoldTime:
    """The queue's average wait of answered calls, weighted as Asterisk's Queue() does."""

    def __init__(self) -> None:
        self.value: float | None = None

    def answered(self, wait_s: float) -> None:
        wait_s = max(0.0, wait_s)
        self.value = wait_s if self.value is None else (3 * self.value + wait_s) / 4
