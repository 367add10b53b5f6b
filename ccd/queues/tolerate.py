"""The one allowed way to let an Asterisk request fail quietly: its channel is already gone.

Any other refusal is logged with the error's id and the ids of what was asked, so a request
Asterisk turned down never disappears without a line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from ccd.ports import AsteriskFailed, ChannelGone

log = structlog.get_logger("ccd.acd")


@contextmanager
def gone_is_fine(what: str, **ids: str) -> Iterator[None]:
    """Run a best-effort request: a channel already gone is fine; a failure is logged."""
    try:
        yield
    except ChannelGone:
        pass  # hung up meanwhile: nothing left to act on
    except AsteriskFailed as exc:
        log.warning("asterisk request failed", request=what, error_id=exc.error_id, error=str(exc), **ids)
