"""``Record``: the command every pure core returns to say "this domain event happened".

Shared by the features' cores (the ACD engine, callbacks, ...): the shell that performs a core's
commands publishes a Record's event on the bus."""

from __future__ import annotations

from dataclasses import dataclass

from ccd.events import DomainEvent


@dataclass(frozen=True, slots=True)
class Record:
    """A domain event for the event store, metrics and API."""

    event: DomainEvent
