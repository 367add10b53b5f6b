"""Rebuild what ccd owns from Asterisk's truth after a (re)connect.

ARI drops events while no websocket is connected and re-announces nothing afterwards, so
every connect reads the channels in ccd's application and ccd's bridges over REST.

- Channels: ARI 16's ``GET /channels`` cannot filter by application, so a channel is ours
  if ``/applications/<app>`` lists it (this also covers channels made with
  ``POST /channels/create``, whose dialplan shows no Stasis) or if it is running
  ``Stasis(<app>,...)``.
- Bridges: ``/applications/<app>`` lists a bridge only once a channel of ours entered it,
  so a bridge is ours if listed there, if it holds one of our channels, or if it is a stasis
  bridge named with ccd's prefix (ccd names every bridge it creates ``<prefix>...``).
- Variables ccd keeps on channels (``CCD_CALL_ID``...) are read one by one
  (``GET /channels/{id}/variable``), concurrently with a limit, into ``channelvars``.
  A channel that hung up meanwhile is left out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from collections.abc import Awaitable, Sequence
from types import MappingProxyType
from typing import Final, TypeVar

from ccd.ari.client import AriClient
from ccd.ari.errors import ChannelNotFound
from ccd.ari.events import Resync
from ccd.ari.models import Bridge, Channel

T = TypeVar("T")


class _Gone(enum.Enum):
    GONE = "gone"


GONE: Final = _Gone.GONE


async def gather_all(*aws: Awaitable[T]) -> list[T]:
    """Like ``asyncio.gather``, but if one fails the others are cancelled and awaited, so
    no request outlives the resync that started it."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _read_vars(
    rest: AriClient, channel: Channel, names: Sequence[str], limit: asyncio.Semaphore
) -> Channel | None:
    async def one(name: str) -> str | _Gone | None:
        async with limit:
            try:
                return await rest.get_variable(channel.id, name)
            except ChannelNotFound:
                return GONE

    values = await gather_all(*(one(n) for n in names))
    if any(v is GONE for v in values):
        return None  # hung up meanwhile
    merged = dict(channel.channelvars)
    merged.update({n: v for n, v in zip(names, values, strict=True) if isinstance(v, str)})
    return dataclasses.replace(channel, channelvars=MappingProxyType(merged))


def _is_ours_bridge(bridge: Bridge, listed: set[str], channels: set[str], prefix: str) -> bool:
    if bridge.id in listed or channels.intersection(bridge.channels):
        return True
    return bridge.bridge_class == "stasis" and bool(prefix) and bridge.name.startswith(prefix)


async def resync(
    rest: AriClient,
    *,
    variables: Sequence[str] = (),
    concurrency: int = 8,
    bridge_prefix: str | None = None,
    asterisk_version: str = "",
    reconnect: bool = False,
) -> Resync:
    """Asterisk's current view of what belongs to ``rest.app``."""
    app = rest.app
    try:
        async with asyncio.TaskGroup() as tg:
            channels_t = tg.create_task(rest.list_channels())
            bridges_t = tg.create_task(rest.list_bridges())
            application_t = tg.create_task(rest.get_application())
    except* Exception as group:
        raise group.exceptions[0] from None  # callers handle AriError, not groups
    channels, bridges, application = channels_t.result(), bridges_t.result(), application_t.result()
    listed_channels = {str(c) for c in application.get("channel_ids") or ()}
    listed_bridges = {str(b) for b in application.get("bridge_ids") or ()}
    ours = [c for c in channels if c.id in listed_channels or c.in_app(app)]
    if variables and ours:
        limit = asyncio.Semaphore(max(1, concurrency))
        read = await gather_all(*(_read_vars(rest, c, variables, limit) for c in ours))
        ours = [c for c in read if c is not None]
    ids = {c.id for c in ours}
    prefix = app if bridge_prefix is None else bridge_prefix
    our_bridges = [b for b in bridges if _is_ours_bridge(b, listed_bridges, ids, prefix)]
    return Resync(
        channels=tuple(ours),
        bridges=tuple(our_bridges),
        asterisk_version=asterisk_version,
        reconnect=reconnect,
    )
