"""Who did something and when, as an ARI event tells it: the phone's endpoint as the audit's
actor, Asterisk's timestamp as epoch seconds."""

from __future__ import annotations

import time
from datetime import datetime


def endpoint_actor(channel_name: str) -> str:
    """The actor for something done from a phone: its endpoint (``PJSIP/2001-0000001a``
    -> ``endpoint:PJSIP/2001``)."""
    return "endpoint:" + channel_name.rsplit("-", 1)[0]


def asterisk_time(stamp: str) -> float:
    """An ARI event's timestamp (Asterisk's clock, same host) as epoch; now if unreadable."""
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return time.time()
