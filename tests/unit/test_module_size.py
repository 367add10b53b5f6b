"""Modules stay small: none under ccd/ over 400 lines, and none over 300 except the ones
listed here, each with the reason it is still there (the list only shrinks)."""

from __future__ import annotations

from pathlib import Path

import ccd

HARD_CAP = 400
AIM = 300
ROOT = Path(ccd.__file__).parent
# The composition root: being rewired (features wiring themselves through ports) — it is
# split as part of that work, not before.
OVER_AIM_FOR_NOW = {"daemon.py"}


def sizes() -> dict[str, int]:
    return {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in sorted(ROOT.rglob("*.py"))}


def test_no_module_over_the_hard_cap() -> None:
    over = {name: n for name, n in sizes().items() if n > HARD_CAP}
    assert over == {}, f"modules over {HARD_CAP} lines: {over}"


def test_modules_over_the_aim_are_only_the_listed_ones() -> None:
    over = {name: n for name, n in sizes().items() if n > AIM}
    print(f"modules over {AIM} lines: {over}")
    assert set(over) <= OVER_AIM_FOR_NOW, f"over {AIM} lines (split by concept): {over}"
    stale = OVER_AIM_FOR_NOW - set(over)
    assert not stale, f"now at or under {AIM} lines: drop them from OVER_AIM_FOR_NOW: {stale}"
