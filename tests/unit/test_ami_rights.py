"""AMI least privilege: the rendered user's classes come from one table of the actions ccd
sends and the events it consumes, and that table is checked against the code itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ccd.ami.events import EVENT_TYPES
from ccd.ami.rights import ACTIONS, EVENTS, read_classes, write_classes
from ccd.asterisk_config import MissingSecret, render_manager, render_rights
from ccd.config import CcdConfig

PACKAGE = Path(__file__).resolve().parents[2] / "ccd"
SENDERS = {"action", "action_list", "_send", "command"}
CLIENT = PACKAGE / "ami" / "client.py"


def daemon_sources() -> list[Path]:
    # ccd/sandbox is test and demo tooling: it drives Asterisk with its own AMI user.
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "sandbox" not in p.parts]


def sent_actions() -> dict[str, list[str]]:
    """Every AMI action name sent in ccd's code, with where; non-literal names fail."""
    found: dict[str, list[str]] = {}
    for path in daemon_sources():
        tree = ast.parse(path.read_text(), str(path))
        skip: set[int] = set()
        for node in ast.walk(tree):  # AmiClient.command wraps "Command": its callers count
            if path == CLIENT and isinstance(node, ast.AsyncFunctionDef) and node.name == "command":
                skip |= {id(n) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, ast.Call):
                continue
            func = node.func
            if not isinstance(func, ast.Attribute) or func.attr not in SENDERS:
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            if func.attr == "command":
                found.setdefault("Command", []).append(where)
                continue
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, []).append(where)
            else:
                assert path == CLIENT, f"{where}: AMI action name must be a literal"
    return found


def consumed_events() -> dict[str, list[str]]:
    """Every typed AMI event ccd's code refers to outside the event definitions."""
    found: dict[str, list[str]] = {}
    for path in daemon_sources():
        if path.parent.name == "ami" and path.name in ("events.py", "__init__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            if name in EVENT_TYPES:
                found.setdefault(name, []).append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_every_action_ccd_sends_is_declared_and_nothing_more() -> None:
    sent = sent_actions()
    assert {"Login", "Ping", "DBGet"} <= set(sent)  # the scan sees the known senders
    undeclared = {name: where for name, where in sent.items() if name not in ACTIONS}
    assert not undeclared, f"declare these in ccd.ami.rights.ACTIONS: {undeclared}"
    assert set(ACTIONS) == set(sent), f"declared but never sent: {set(ACTIONS) - set(sent)}"


def test_every_event_ccd_consumes_is_declared_and_nothing_more() -> None:
    used = consumed_events()
    assert set(EVENTS) == set(used), (EVENTS, used)


def test_write_classes_are_a_minimal_cover_of_the_actions() -> None:
    chosen = set(write_classes())
    for name, classes in ACTIONS.items():
        assert not classes or classes & chosen, name
    for cls in chosen:  # each class is needed by some action
        assert any(c and not (c & (chosen - {cls})) for c in ACTIONS.values()), cls
    assert write_classes({"A": frozenset({"x", "y"}), "B": frozenset({"y"})}) == ["y"]
    assert write_classes({"A": frozenset()}) == []


def test_rendered_user_has_exactly_the_derived_rights() -> None:
    assert render_rights() == f"read = {','.join(read_classes())}\nwrite = {','.join(write_classes())}\n"
    cfg = CcdConfig.model_validate({"ami": {"secret": "s3cret"}})
    text = render_manager(cfg)
    fields = dict(line.split(" = ", 1) for line in text.splitlines() if " = " in line)
    assert set(fields["read"].split(",")) == {"system", "call"}
    assert fields["write"] == "reporting"  # DBGet: status queries only (ARI writes AstDB)
    for dangerous in ("originate", "command", "config", "user", "dtmf", "agi"):
        assert dangerous not in fields["read"].split(",") + fields["write"].split(",")
    assert not {"system", "call"} & set(fields["write"].split(","))  # no reload, unload or redirect
    assert text.endswith("\n") and "CHANGE-ME" not in text


@pytest.mark.parametrize("ami", [{}, {"secret": ""}])
def test_no_secret_no_user(ami: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCD_AMI_SECRET", raising=False)
    with pytest.raises(MissingSecret, match="no AMI secret"):
        render_manager(CcdConfig.model_validate({"ami": ami}))
