"""`ccd demo` under a process manager: SIGTERM stops the daemon and the sandbox's Asterisk,
and the config's relative paths resolve beside the config file, not the working directory;
the demo prints the supervisor console's address and a login that signs in."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from ccd.sandbox.asterisk import free_port
from ccd.sandbox.toml_out import dumps
from tests.harness.postgres import drop_database, run_sync, with_database

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
REPO = Path(__file__).resolve().parents[2]


def wait_until(check: Callable[[], bool], what: str, timeout: float, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if proc.poll() is not None:
            raise AssertionError(f"ccd demo exited with {proc.returncode} before {what}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as res:
            return res.status == 200
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")


def test_sigterm_stops_demo_and_its_asterisk(tmp_path: Path, pg_server: str) -> None:
    raw = tomllib.loads((REPO / "config" / "demo.toml").read_text())
    http_port = free_port()
    raw["sounds_dir"] = str(REPO / "prompts-build" / "sounds")
    raw["ami"]["port"] = free_port()
    raw["ari"]["url"] = f"http://127.0.0.1:{free_port()}"
    raw["http"]["listen"] = f"127.0.0.1:{http_port}"
    dsn = with_database(pg_server, f"ccd_demo_{uuid.uuid4().hex[:10]}")
    raw["database"]["dsn"] = dsn
    raw["database"]["spool_dir"] = "spool"  # beside the config file
    conf_dir, work = tmp_path / "conf", tmp_path / "work"
    conf_dir.mkdir()
    work.mkdir()
    conf = conf_dir / "demo.toml"
    conf.write_text(dumps(raw))
    log = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCD_")}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ccd", "demo", "-c", str(conf), "--no-view", "--rate", "30"],
                                cwd=work, stdout=out, stderr=subprocess.STDOUT, env=env)
    pid_file = work / "var" / "demo" / "asterisk" / "run" / "asterisk.pid"
    try:
        wait_until(lambda: ready(http_port), "ccd ready", 120, proc, log)
        # The demo prints the console's address and a login that signs in.
        printed = re.compile(r"supervisor console: (http://\S+/console/)  sign in as '(\w+)' with password '([^']+)'")
        wait_until(lambda: printed.search(log.read_text()) is not None, "console line", 30, proc, log)
        found = printed.search(log.read_text())
        assert found is not None and found.group(1) == f"http://127.0.0.1:{http_port}/console/"
        login = urllib.request.Request(found.group(1) + "api/login", method="POST",
                                       data=json.dumps({"name": found.group(2), "password": found.group(3)}).encode(),
                                       headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=10) as res:
            assert res.status == 200 and "ccd_session=" in res.headers.get("Set-Cookie", "")
        asterisk_pid = int(pid_file.read_text())
        assert alive(asterisk_pid)
        assert (conf_dir / "spool").is_dir() and not (work / "spool").exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
        deadline = time.monotonic() + 30
        while alive(asterisk_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(asterisk_pid), "the demo's Asterisk outlived it"
        assert not ready(http_port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if pid_file.exists() and alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        run_sync(drop_database(pg_server, dsn))
