"""`ccd asterisk-config`: the snippets an admin includes, and a fallback Queue() that mirrors
the ccd policy with penalties and tier-widening rules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ccd.asterisk_config import render_queuerules, render_queues
from ccd.config import CcdConfig

CFG = CcdConfig.model_validate({
    "ami": {"secret": "s3cret-ami"},
    "ari": {"url": "http://127.0.0.1:8099", "password": "s3cret-ari"},
    "teams": [{"name": "t"}],
    "agents": [{"id": "s", "endpoint": "PJSIP/1", "seniority": "senior", "teams": ["t"]},
               {"id": "r", "endpoint": "PJSIP/2", "seniority": "regular", "teams": ["t"]},
               {"id": "n", "name": "Newbie", "endpoint": "PJSIP/3", "seniority": "trainee", "teams": ["t"]}],
    "queues": [{"name": "senior_q", "teams": ["t"], "widen_after": 15},
               {"name": "train_q", "teams": ["t"], "policy": "trainee_first", "tie_break": "fewest_calls"}],
})


def test_fallback_queue_penalties_mirror_the_policy() -> None:
    text = render_queues(CFG)
    senior, train = text.split("[train_q]")
    assert "member => PJSIP/1,0,s" in senior and "member => PJSIP/3,2,Newbie" in senior
    assert "member => PJSIP/3,0,Newbie" in train and "member => PJSIP/1,2,s" in train
    assert "strategy = fewestcalls" in train and "strategy = leastrecent" in senior
    assert "defaultrule = ccd-senior_q" in senior


def test_queue_rules_widen_one_tier_per_step() -> None:
    rules = render_queuerules(CFG)
    first = rules.split("[ccd-train_q]")[0]
    assert "penaltychange => 0,0" in first and "penaltychange => 15,1" in first and "penaltychange => 30,2" in first
    assert "[ccd-train_q]\npenaltychange => 0,3" in rules  # widen_after 0: all tiers at once


def test_cli_writes_loopback_only_users(tmp_path: Path) -> None:
    config = tmp_path / "ccd.toml"
    config.write_text('[ami]\nsecret = "s3cret-ami"\n[ari]\npassword = "pw"\n[[teams]]\nname = "t"\n'
                      '[[agents]]\nid = "a"\nendpoint = "PJSIP/1"\nteams = ["t"]\n'
                      '[[queues]]\nname = "q"\nteams = ["t"]\n')
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "ccd", "asterisk-config", "-c", str(config), "-o", str(out)], check=True)
    manager = (out / "manager_ccd.conf").read_text()
    assert "permit = 127.0.0.1/255.255.255.255" in manager and "deny = 0.0.0.0/0.0.0.0" in manager
    assert "\nwrite = reporting\n" in manager and manager.endswith("\n")
    assert "\neventfilter = Event: (DeviceStateChange|FullyBooted)[[:space:]]\n" in manager
    ari = (out / "ari_ccd.conf").read_text()
    assert "\n[general]" not in ari and "[ccd]\ntype = user" in ari  # Asterisk reads only the first [general]
    assert (out / "manager_ccd.conf").stat().st_mode & 0o077 == 0o040
    assert all(p.read_text().endswith("\n") for p in out.iterdir())
    assert "member => PJSIP/1,1,a" in (out / "queues_ccd.conf").read_text()


def test_secret_snippets_are_never_readable_by_others(tmp_path: Path) -> None:
    """Created 0640 (not written 0644 and narrowed after); a stale 0644 file is narrowed
    before the secret goes in."""
    from ccd.asterisk_config import write_all

    out = tmp_path / "out"
    out.mkdir()
    (out / "ari_ccd.conf").write_text("old")
    (out / "ari_ccd.conf").chmod(0o644)
    seen: list[int] = []
    real_open = os.open

    def spy(path: str, flags: int, mode: int = 0o777) -> int:
        fd = real_open(path, flags, mode)
        if str(path).endswith(("manager_ccd.conf", "ari_ccd.conf")):
            seen.append(mode)
        return fd

    old = os.umask(0o022)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(os, "open", spy)
            write_all(CFG, out)
    finally:
        os.umask(old)
    assert seen == [0o640, 0o640]
    for name in ("manager_ccd.conf", "ari_ccd.conf"):
        assert (out / name).stat().st_mode & 0o777 == 0o640, name
    assert (out / "queues_ccd.conf").stat().st_mode & 0o777 == 0o644


def test_cli_missing_secret_file_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "ccd.toml"
    config.write_text('[ami]\nsecret_file = "nope/ami.secret"\n[ari]\npassword = "pw"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCD_")}
    res = subprocess.run([sys.executable, "-m", "ccd", "asterisk-config", "-c", str(config), "-o",
                          str(tmp_path / "out")], capture_output=True, text=True, env=env)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert f"{config}:2: ami.secret_file: cannot read AMI secret file {tmp_path}/nope/ami.secret" in res.stderr
    assert not (tmp_path / "out").exists()


def test_manager_user_filters_to_the_events_ccd_consumes() -> None:
    import re

    from ccd.ami.rights import EVENTS
    from ccd.asterisk_config import render_eventfilter

    line = render_eventfilter()
    assert line.startswith("eventfilter = ") and line.endswith("\n")
    pattern = re.compile(line.removeprefix("eventfilter = ").strip().replace("[[:space:]]", r"\s"))
    for name in EVENTS:
        assert pattern.search(f"Event: {name}\r\nPrivilege: call,all\r\n")
    for name in ("Newexten", "VarSet", "Newstate", "ReloadFoo", "QueueParams"):
        assert not pattern.search(f"Event: {name}\r\nPrivilege: call,all\r\n")
