"""Modules stay small: none under ccd/ over 400 lines, and none over 300."""

from __future__ import annotations

from pathlib import Path

import ccd

HARD_CAP = 400
AIM = 300
ROOT = Path(ccd.__file__).parent


def sizes() -> dict[str, int]:
    return {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in sorted(ROOT.rglob("*.py"))}


def test_no_module_over_the_hard_cap() -> None:
    over = {name: n for name, n in sizes().items() if n > HARD_CAP}
    assert over == {}, f"modules over {HARD_CAP} lines: {over}"


def test_no_module_over_the_aim() -> None:
    over = {name: n for name, n in sizes().items() if n > AIM}
    assert over == {}, f"over {AIM} lines (split by concept): {over}"
