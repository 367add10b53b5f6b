"""The demo's private Asterisk gets the AMI and ARI users of the demo config."""

from __future__ import annotations

from pathlib import Path

from ccd.config import CcdConfig
from ccd.demo import sandbox


def test_sandbox_users_match_the_config(tmp_path: Path) -> None:
    cfg = CcdConfig.model_validate({
        "ami": {"username": "demo-ami", "secret": "ami-pw", "port": 15999},
        "ari": {"url": "http://127.0.0.1:18999", "username": "demo-ari", "password": "ari-pw"},
        "teams": [{"name": "t"}], "agents": [], "queues": [],
    })
    ast = sandbox(cfg, tmp_path / "ast")
    try:
        ari = (ast.etc_dir / "ari.conf").read_text()
        manager = (ast.etc_dir / "manager.conf").read_text()
        assert "[demo-ari]" in ari and "password = ari-pw" in ari
        assert "[demo-ami]\nsecret = ami-pw" in manager
        assert ast.ari_user == "demo-ari" and ast.ari_password == "ari-pw"
    finally:
        ast.close()
