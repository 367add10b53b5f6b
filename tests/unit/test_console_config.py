"""Console config: users act for real supervisors, thresholds name real queues."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_config import BASE, _secrets_from_environment, problems  # noqa: F401 (autouse fixture)


def test_console_users_and_thresholds_are_checked(tmp_path: Path) -> None:
    text = BASE + """
[console]
pause_allowance_minutes = { lunch = 30 }

[[console.users]]
name = "anna"
supervisor = "s1"

[[console.users]]
name = "anna"
supervisor = "s9"

[[console.users]]
name = "bob"
role = "supervisor"

[console.thresholds.nope]
waiting = [2, 4]
"""
    found = problems(tmp_path, text)
    assert any("console.users[1].supervisor: unknown supervisor 's9'" in p for p in found), found
    assert any("console.users[1].name: duplicate console user 'anna'" in p for p in found), found
    assert any("console.users[2]" in p and "must name its 'supervisor'" in p for p in found), found
    assert any("console.thresholds.nope: unknown queue 'nope'" in p for p in found), found


def test_a_valid_console_section(tmp_path: Path) -> None:
    text = BASE + """
[console]
session_minutes = 60

[[console.users]]
name = "anna"
supervisor = "s1"
language = "ru"

[[console.users]]
name = "root"
role = "admin"

[console.thresholds.support]
waiting = [2, 4]
longest_wait_s = [20, 40]
pause_over_s = [60, 600]
"""
    assert problems(tmp_path, text) == []
