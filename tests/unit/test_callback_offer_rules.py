"""When a waiting caller is offered a callback: after offer_after seconds of waiting, or when
the expected wait (hold time minus the wait so far) is over offer_when_wait_over."""

from __future__ import annotations

from ccd.callbacks.core.settings import CallbackConfig
from ccd.callbacks.offers import OfferRules
from ccd.snapshot import CallView


def _call(wait_s: float) -> CallView:
    return CallView("c1", "+4930111", 0, wait_s, "waiting", None, None, 0)


def test_offer_after_waiting_long_enough() -> None:
    rules = OfferRules(CallbackConfig(enabled=True, offer_after=60), "en")
    assert rules.due(_call(59.9), None) == (False, 0.0)
    assert rules.due(_call(60.0), None) == (True, 0.0)


def test_offer_when_the_expected_wait_is_long() -> None:
    rules = OfferRules(CallbackConfig(enabled=True, offer_when_wait_over=120), "en")
    assert rules.due(_call(10), None) == (False, 0.0)  # no hold time known yet
    assert rules.due(_call(10), 200.0) == (True, 190.0)
    assert rules.due(_call(90), 200.0) == (False, 110.0)
