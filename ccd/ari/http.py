"""ARI over HTTP: one aiohttp session, a timeout on every request, errors as exceptions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from ccd.ari.errors import (
    AriAuthError,
    AriConflict,
    AriError,
    AriNotFound,
    AriUnavailable,
    BridgeNotFound,
    ChannelNotFound,
)
from ccd.ari.lean_http import LeanHttp
from ccd.dispatch import Logger

Param = str | int | float | bool | Sequence[str] | None


def _params(params: Mapping[str, Param] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            out[key] = str(value)
        else:
            out[key] = ",".join(value)
    return out


def _not_found(message: str, default: type[AriNotFound]) -> type[AriNotFound]:
    # ARI's 404 text says which resource is missing ("Channel not found", "Provided channel
    # was not found", "Bridge not found"); a request may involve both kinds.
    low = message.lower()
    if "channel" in low:
        return ChannelNotFound
    if "bridge" in low:
        return BridgeNotFound
    return default


class AriHttp:
    def __init__(
        self, url: str, user: str, password: str, *, log: Logger, timeout: float = 5.0
    ) -> None:
        self.url = url.rstrip("/")
        self.base = self.url + "/ari"
        self.user = user
        self.timeout = timeout
        self._log = log
        # Built once; never logged (aiohttp's BasicAuth object is deprecated in 3.14).
        self._headers = {"Authorization": aiohttp.encode_basic_auth(user, password)}
        self._session: aiohttp.ClientSession | None = None
        # REST over plain http on the lean client (the websocket and https stay on aiohttp).
        self._lean = LeanHttp(self.base, self._headers) if self.base.startswith("http://") else None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers)
        return self._session

    @property
    def ws_url(self) -> str:
        if self.base.startswith("https://"):
            return "wss://" + self.base[len("https://"):]
        return "ws://" + self.base.removeprefix("http://")

    async def close(self) -> None:
        if self._lean is not None:
            self._lean.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def reset_connections(self) -> None:
        """Drop the pooled keep-alive connections: after a half-open peer they are dead too,
        and each would cost a full timeout. Requests in flight fail with AriUnavailable."""
        await self.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Param] | None = None,
        body: Any = None,
        timeout: float | None = None,
        not_found: type[AriNotFound] = AriNotFound,
    ) -> Any:
        """``method`` ``/ari{path}``; the decoded JSON answer (None when empty)."""
        limit = self.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                if self._lean is not None:
                    data = None if body is None else json.dumps(body).encode()
                    status, reason, raw = await self._lean.request(method, path, _params(params), data)
                else:
                    async with self.session.request(
                        method, self.base + path, params=_params(params), json=body
                    ) as resp:
                        status, reason, raw = resp.status, resp.reason or "", await resp.read()
        except TimeoutError:
            raise AriUnavailable(f"ARI timed out after {limit:g}s", 0, method, path) from None
        except (aiohttp.ClientError, OSError) as exc:  # OSError: refused, reset (lean client)
            raise AriUnavailable(f"ARI unreachable: {exc}", 0, method, path) from None
        if 200 <= status < 300:
            if not raw:
                return None
            try:
                return json.loads(raw)
            except ValueError:
                raise AriError("ARI answered invalid JSON", status, method, path) from None
        raise self._error(status, reason, raw, method, path, not_found)

    def _error(
        self, status: int, reason: str, raw: bytes, method: str, path: str,
        not_found: type[AriNotFound],
    ) -> AriError:
        message = f"HTTP {status} {reason}".strip()  # e.g. an HTML page from res_http
        try:
            decoded = json.loads(raw)
            if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
                message = decoded["message"]
        except ValueError:
            pass
        if status in (401, 403):
            return AriAuthError(self.user, self.url, status)
        if status == 404 or (status in (400, 422) and "not found" in message.lower()):
            # addChannel answers 400 "Channel not found" for a channel that hung up.
            return _not_found(message, not_found)(message, status, method, path)
        if status in (409, 422):  # 422: e.g. "Channel not in Stasis application"
            return AriConflict(message, status, method, path)
        if status >= 500:
            return AriUnavailable(message, status, method, path)
        return AriError(message, status, method, path)
