"""``ccd console-password -c FILE NAME``: set (or change) a console user's password.

The password is read from standard input when it is not a terminal (scripts), else asked
twice without echo. Setting a password ends every open session of that user.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from ccd.config_load import load_config
from ccd.console.core.passwords import WeakPassword
from ccd.console.sessions import SessionStore
from ccd.store.migrate import migrate


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("console-password", help="set a supervisor console user's password")
    p.add_argument("-c", "--config", required=True)
    p.add_argument("name", help="a user listed in [[console.users]]")
    p.set_defaults(func=run)


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("New password: ")
    if first != getpass.getpass("Again: "):
        raise WeakPassword("the two passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    if args.name not in {u.name for u in cfg.console.users}:
        print(f"{args.config}: console.users: no user {args.name!r}", file=sys.stderr)
        return 1
    try:
        password = _read_password()
        asyncio.run(_store(cfg.database.resolved_dsn(), args.name, password))
    except WeakPassword as exc:
        print(f"password: {exc}", file=sys.stderr)
        return 1
    print(f"password set for {args.name}")
    return 0


async def _store(dsn: str, name: str, password: str) -> None:
    await migrate(dsn)
    store = SessionStore(dsn, 60)
    try:
        await store.set_password(name, password)
    finally:
        await store.close()
