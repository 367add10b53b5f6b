"""The shipped systemd unit lets ccd write where its config says it writes: the event spool,
recordings_dir, and Asterisk's spool recording dir it moves finished recordings out of."""

from __future__ import annotations

from pathlib import Path

from ccd.config import CcdConfig
from ccd.config_load import load_config

REPO = Path(__file__).resolve().parents[2]


def writable() -> list[Path]:
    out = []
    for line in (REPO / "config" / "systemd" / "ccd.service").read_text().splitlines():
        if line.startswith("ReadWritePaths="):
            out += [Path(p.lstrip("-")) for p in line.split("=", 1)[1].split()]
    return out


def test_every_directory_ccd_writes_is_writable_under_the_unit() -> None:
    paths = writable()
    for cfg in (CcdConfig(), load_config(REPO / "config" / "ccd.example.toml", secrets=False)):
        for where in (cfg.database.spool_dir, cfg.recordings_dir, cfg.asterisk_recording_dir):
            assert any(where == p or p in where.parents for p in paths), (where, paths)
