"""What a feature contributes to the running daemon, returned by the feature's one wiring
function (``ccd/<feature>/wire.py``) and applied by the composition root (``ccd.daemon``) in
one place: its Asterisk event handlers, its bus subscribers, its HTTP routes, its clients of
the daemon's one timer and its steps in a queue call's life. A feature never reaches into another object to assign
a hook: what it offers is data the daemon hands on at construction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from ccd.api.app import Api
from ccd.dispatch import Dispatcher
from ccd.events import DomainEvent
from ccd.ports import NO_HOOKS, CallHooks
from ccd.timer import TimerClient

Route = Callable[[web.Application, Api], None]


def _nothing(dispatcher: Dispatcher) -> None:
    pass


@dataclass(frozen=True)
class Contribution:
    asterisk: Callable[[Dispatcher], None] = _nothing  # subscribes its typed ARI/AMI event handlers
    subscribers: tuple[tuple[str, Callable[[DomainEvent], None]], ...] = ()  # (name, sink) on the bus
    routes: tuple[Route, ...] = ()
    timers: tuple[TimerClient, ...] = ()  # run off the daemon's one timer (jobs via its supervisor)
    hooks: CallHooks = NO_HOOKS  # given to the ACD executor at construction


def merge_hooks(*parts: CallHooks) -> CallHooks:
    """The features' call hooks together, in the order given."""
    return CallHooks(
        before_queue=tuple(h for p in parts for h in p.before_queue),
        on_connected=tuple(h for p in parts for h in p.on_connected),
        before_bridge_deleted=tuple(h for p in parts for h in p.before_bridge_deleted),
        before_caller_moves=tuple(h for p in parts for h in p.before_caller_moves),
    )
