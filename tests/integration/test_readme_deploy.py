"""The README's "Deploying beside an existing Asterisk" steps, followed on a fresh private
Asterisk, so they cannot drift from what works: install from an archive (the checkout stays
clean), the commented example config edited for this Asterisk, prompts built before
check-config, the rendered snippets included, migrate, run, and a call to the routed number
reaches an agent who logs in on start. The commands run here are looked up in the README, in
its order, and the #include lines are the README's own, so editing one without the other fails."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ccd.sandbox.asterisk_conf import Credentials
from ccd.sandbox.toml_out import dumps
from tests.harness.asterisk import AsteriskInstance, free_port
from tests.integration.test_restart_numbers import rows_when

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]
TRUNK = """
[from-trunk]
exten => 5551234,1,NoOp(support line)
 same => n,Goto(ccd-queue,support,1)
"""


def run(*cmd: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, env=env, cwd=cwd)
    assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
    return done.stdout


def stamp(paths: list[Path]) -> dict[str, float | None]:
    return {p.name: p.stat().st_mtime if p.exists() else None for p in paths}


def step1_install(tmp: Path) -> tuple[Path, dict[str, str]]:
    """pip install from `git archive`: nothing is built inside the checkout."""
    litter = [ROOT / "build", ROOT / "ccd.egg-info"]
    before = stamp(litter)
    archive = tmp / "ccd.tar.gz"
    run("git", "archive", "--format=tar.gz", "--prefix=ccd/", "-o", archive, "HEAD", cwd=ROOT)
    site = tmp / "site"  # stands for the venv: ccd's dependencies come from the test's own
    run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, archive, cwd=tmp)
    assert stamp(litter) == before, "installing wrote into the checkout"
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONUNBUFFERED": "1"}
    return site / "bin" / "ccd", env


def step2_config(tmp: Path, ast: AsteriskInstance, dsn: str, api_port: int) -> Path:
    """The commented example, edited: this Asterisk's ports, secrets in files, our phones."""
    cfg: dict[str, Any] = tomllib.loads((ROOT / "config/ccd.example.toml").read_text())
    etc = tmp / "etc-ccd"
    (etc / "tokens").mkdir(parents=True)
    for name in ("ami.secret", "ari.secret", "tokens/grafana", "tokens/maria"):
        (etc / name).write_text(secrets.token_urlsafe(24) + "\n")
    (etc / "database.dsn").write_text(dsn + "\n")
    cfg["ami"].update(port=ast.ami_port, secret_file=str(etc / "ami.secret"))
    cfg["ari"].update(url=f"http://127.0.0.1:{ast.ports.http}", password_file=str(etc / "ari.secret"))
    cfg["database"].update(dsn_file=str(etc / "database.dsn"), spool_dir=str(tmp / "spool"))
    cfg["http"]["listen"] = f"127.0.0.1:{api_port}"
    for token in cfg["http"]["tokens"]:
        token["token_file"] = str(etc / "tokens" / Path(token["token_file"]).name)
    cfg.update(sounds_dir=str(tmp / "sounds"), recordings_dir=str(tmp / "recordings"),
               asterisk_recording_dir=str(ast.spool_dir / "recording"),
               asterisk_queue_log=str(ast.base / "log" / "queue_log"))
    for a in cfg["agents"]:  # the agents' phones: simulated ones that answer and talk 2 s
        a["endpoint"] = AsteriskInstance.agent_endpoint(a["id"], 0.3, 2)
        a["login_on_start"] = True
    path = etc / "ccd.toml"
    path.write_text(dumps(cfg))
    return path


def readme_steps() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## Deploying beside an existing Asterisk"):text.index("### Running under Docker")]


# What this test does, as the README writes it, in the README's order.
README_COMMANDS = [
    "git archive --format=tar.gz --prefix=ccd/ -o /tmp/ccd.tar.gz HEAD",
    "pip install /tmp/ccd.tar.gz",
    "login_on_start = true",
    "scripts/build-prompts --out /tmp/ccd-prompts --install /usr/share/asterisk/sounds",
    "ccd check-config /etc/ccd/ccd.toml",
    "ccd asterisk-config -c /etc/ccd/ccd.toml -o /etc/asterisk/ccd/",
    '#include "ccd/manager_ccd.conf"',
    'asterisk -rx "manager show user ccd"',
    "ccd migrate -c /etc/ccd/ccd.toml",
    "curl -s http://127.0.0.1:8080/readyz",
    'asterisk -rx "ari show apps"',
]


def readme_includes(steps: str) -> list[tuple[str, str]]:
    """(Asterisk file, #include line) of step 5's block: each include follows its file's comment."""
    out: list[tuple[str, str]] = []
    conf = ""
    for line in steps.splitlines():
        if m := re.match(r"\s*; (\w+\.conf)", line):
            conf = m.group(1)
        elif line.strip().startswith('#include "ccd/'):
            out.append((conf, line.strip()))
    return out


def step5_include(ast: AsteriskInstance, rendered: Path, includes: list[tuple[str, str]]) -> None:
    """The README's #include lines, paths relative to the Asterisk configuration directory
    (the harness already enables HTTP on loopback)."""
    assert [conf for conf, _ in includes] == ["manager.conf", "ari.conf", "queues.conf", "queuerules.conf"]
    for conf, line in includes:
        snippet = ast.etc_dir / line.split('"')[1]
        assert snippet.parent == rendered and snippet.exists(), line
        with open(ast.etc_dir / conf, "a") as f:
            f.write(f"\n{line}\n")


async def test_readme_deployment_steps_work_on_a_fresh_private_asterisk(tmp_path: Path, pg_dsn: str) -> None:
    steps = readme_steps()
    at = [steps.find(c) for c in README_COMMANDS]
    assert -1 not in at, [c for c, i in zip(README_COMMANDS, at, strict=True) if i < 0]
    assert at == sorted(at), "the README's steps are not in the order that works"
    ccd, env = step1_install(tmp_path)
    api_port = free_port()
    ast_base = tmp_path / "asterisk"
    ast_base.mkdir()
    # our harness's own users are named apart, so the README's "ccd" users come from the snippets
    ast = AsteriskInstance(ast_base, extra_dialplan=TRUNK, extra_sounds={"ccd": tmp_path / "sounds" / "ccd"},
                           creds=Credentials(ami_user="harness", ari_user="harness"))
    config = step2_config(tmp_path, ast, pg_dsn, api_port)
    # step 3: prompts first, then step 4's check passes
    run(ROOT / "scripts/build-prompts", "--out", tmp_path / "prompts", "--install", tmp_path / "sounds")
    assert "ok (" in run(ccd, "check-config", config, env=env)
    rendered = ast.etc_dir / "ccd"
    run(ccd, "asterisk-config", "-c", config, "-o", rendered, env=env)
    step5_include(ast, rendered, readme_includes(steps))
    daemon: subprocess.Popen[bytes] | None = None
    try:
        ast.start()
        # step 7: the checks
        assert "ccd" in ast.cli("manager show user ccd")
        assert "ccd" in ast.cli("ari show users")
        assert "ag-1001" in ast.cli("queue show support")
        assert "Stasis(ccd,queue" in ast.cli("dialplan show ccd-queue")
        # step 8, step 9 (the unit runs `ccd run`)
        run(ccd, "migrate", "-c", config, env=env)
        with open(tmp_path / "ccd.log", "wb") as out:
            daemon = subprocess.Popen([str(ccd), "run", "-c", str(config)], env=env, stdout=out,
                                      stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            assert daemon.poll() is None, (tmp_path / "ccd.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "ccd.log").read_text()[-3000:]
            await asyncio.sleep(0.2)
        assert "ccd" in ast.cli("ari show apps")
        # "Then call the number you routed": an agent logged in on start takes it
        ast.cli(f"channel originate Local/5551234@from-trunk extension {ast.phone_exten(20)}@sim-phone")
        conn = await asyncpg.connect(pg_dsn)
        try:
            [row] = await rows_when(conn, "SELECT agent_id FROM call_records WHERE outcome = 'answered'", 1)
        finally:
            await conn.close()
        assert row["agent_id"] in {"1001", "1002", "1003"}
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(15)
        ast.close()
