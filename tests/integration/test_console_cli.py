"""``ccd console-password``: sets a scrypt hash in PostgreSQL that sign-in accepts."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from ccd.cli import main
from ccd.console.sessions import SessionStore

pytestmark = [pytest.mark.postgres]


def config(tmp_path: Path, dsn: str) -> str:
    path = tmp_path / "ccd.toml"
    path.write_text(f'[database]\ndsn = "{dsn}"\n\n[[console.users]]\nname = "zoe"\nrole = "admin"\n')
    return str(path)


def check(dsn: str, name: str, password: str) -> bool:
    async def run() -> bool:
        store = SessionStore(dsn, 60)
        try:
            return await store.check_password(name, password)
        finally:
            await store.close()
    return asyncio.run(run())


def test_sets_a_password_that_signs_in(tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path, pg_dsn)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["console-password", "-c", cfg, "zoe"]) == 0
    assert check(pg_dsn, "zoe", "a-long-password")
    assert not check(pg_dsn, "zoe", "a-long-passwort")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["console-password", "-c", cfg, "zoe"]) == 1
    assert "at least 8" in capsys.readouterr().err
    assert check(pg_dsn, "zoe", "a-long-password")  # a refused change keeps the old one
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["console-password", "-c", cfg, "nobody"]) == 1
    assert "no user 'nobody'" in capsys.readouterr().err
