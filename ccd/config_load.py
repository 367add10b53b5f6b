"""Load and check a ccd config file, reporting every problem with file, line and field path.

``check_config`` never stops at the first mistake: schema errors (pydantic) and cross-field
rules (duplicate ids, unknown agents/teams/mentors) are collected together and printed one
per line as ``FILE:LINE: path: message``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ccd.config import CcdConfig
from ccd.config_checks import identity_checks, secret_checks
from ccd.errors import CcdError


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    path: str
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if where else f"{self.path}: {self.message}"


class ConfigError(CcdError):
    """The config is invalid: every problem on its own line (``file:line: path: message``)."""

    error_id = "config.invalid"
    status = 400

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems), {"problems": [str(p) for p in problems]})


def dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def _message(err: Any) -> str:
    kind, loc, value = err["type"], err["loc"], err.get("input")
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        options = ", ".join(re.findall(r"'([^']*)'", expected))
        name = str(loc[-1]) if loc and not isinstance(loc[-1], int) else "value"
        return f"unknown {name} {value!r} (expected {options})"
    if kind == "extra_forbidden":
        return "unknown key (not a ccd setting; check the spelling)"
    if loc[:1] == ("supervisors",) and loc[-1] == "teams" and kind in ("missing", "too_short"):
        return "a supervisor must list at least one team to supervise"
    if kind == "missing":
        return "required field missing"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


class TomlLocator:
    """Find the line of a field path in TOML text: tomllib keeps no positions."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"]+)\s*=")

    def __init__(self, text: str) -> None:
        # (line, table path as tuple with array indices resolved)
        self.sections: list[tuple[int, tuple[str | int, ...]]] = [(1, ())]
        self.keys: list[tuple[int, tuple[str | int, ...], str]] = []
        counts: dict[tuple[str | int, ...], int] = {}
        current: tuple[str | int, ...] = ()
        for no, line in enumerate(text.splitlines(), start=1):
            head = self._HEADER.match(line)
            if head:
                names = head.group(2).replace('"', "").split(".")
                current = self._resolve(names, counts, is_array=head.group(1) == "[[")
                self.sections.append((no, current))
                continue
            key = self._KEY.match(line)
            if key:
                self.keys.append((no, current, key.group(1).strip('"')))

    def _resolve(
        self, names: list[str], counts: dict[tuple[str | int, ...], int], is_array: bool
    ) -> tuple[str | int, ...]:
        path: tuple[str | int, ...] = ()
        for i, name in enumerate(names):
            path = (*path, name)
            last = i == len(names) - 1
            if last and is_array:
                counts[path] = counts.get(path, -1) + 1
                path = (*path, counts[path])
            elif path in counts:  # a sub-table of the latest array element
                path = (*path, counts[path])
        return path

    def line_of(self, loc: tuple[str | int, ...]) -> int:
        best = 0
        for no, table, key in self.keys:
            if (*table, key) == loc[: len(table) + 1]:
                best = no
                if len(table) + 1 == len(loc):
                    return no
        for no, table in self.sections:
            if table and table == loc[: len(table)]:
                best = max(best, no) if best else no
        return best


def _cross_checks(raw: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules pydantic cannot see: references between sections. Works on the raw dict so they
    are reported even when the schema check failed elsewhere."""
    out: list[tuple[tuple[str | int, ...], str]] = []

    def items(key: str) -> list[tuple[int, dict[str, Any]]]:
        val = raw.get(key, [])
        return [(i, v) for i, v in enumerate(val) if isinstance(v, dict)] if isinstance(val, list) else []

    def ids(key: str, field: str = "id") -> set[str]:
        return {str(v[field]) for _, v in items(key) if field in v}

    def duplicates(key: str, field: str, what: str) -> None:
        seen: dict[str, int] = {}
        for i, v in items(key):
            ident = v.get(field)
            if ident is None:
                continue
            if ident in seen:
                out.append(((key, i, field), f"duplicate {what} {ident!r} (first at {key}[{seen[ident]}])"))
            else:
                seen[str(ident)] = i

    duplicates("agents", "id", "agent id")
    duplicates("supervisors", "id", "supervisor id")
    duplicates("queues", "name", "queue name")
    duplicates("teams", "name", "team name")
    agents, teams, sups = ids("agents"), ids("teams", "name"), ids("supervisors")

    def refs(key: str, field: str, known: set[str], what: str, hint: str = "") -> None:
        for i, v in items(key):
            names = v.get(field)
            if isinstance(names, list):
                for j, name in enumerate(names):
                    if isinstance(name, str) and name not in known:
                        out.append(((key, i, field, j), f"unknown {what} {name!r}{hint}"))

    declare = " (declare it under [[teams]])"
    refs("agents", "teams", teams, "team", declare)
    refs("supervisors", "teams", teams, "team", declare)
    refs("queues", "agents", agents, "agent")
    refs("queues", "teams", teams, "team")
    for i, v in items("queues"):
        if not v.get("agents") and not v.get("teams"):
            out.append((("queues", i), "a queue needs 'agents' or 'teams'"))
    for key in ("teams", "agents"):
        for i, v in items(key):
            mentor = v.get("mentor")
            if isinstance(mentor, str) and mentor not in agents | sups:
                out.append(((key, i, "mentor"), f"unknown mentor {mentor!r} (an agent or supervisor id)"))
    out.extend(_console_checks(raw.get("console"), sups, {str(v["name"]) for _, v in items("queues") if "name" in v}))
    return out


def _console_checks(console: Any, sups: set[str], queues: set[str]) -> list[tuple[tuple[str | int, ...], str]]:
    """Console users act for a supervisor that exists; thresholds name real queues."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    if not isinstance(console, dict):
        return out
    users = console.get("users", [])
    seen: set[str] = set()
    for i, u in enumerate(users if isinstance(users, list) else []):
        if not isinstance(u, dict):
            continue
        sup, name = u.get("supervisor"), u.get("name")
        if isinstance(sup, str) and sup not in sups:
            out.append((("console", "users", i, "supervisor"), f"unknown supervisor {sup!r}"))
        if isinstance(name, str) and name in seen:
            out.append((("console", "users", i, "name"), f"duplicate console user {name!r}"))
        seen.add(str(name))
    thresholds = console.get("thresholds", {})
    for queue in thresholds if isinstance(thresholds, dict) else {}:
        if queue not in queues:
            out.append((("console", "thresholds", queue), f"unknown queue {queue!r}"))
    return out


def _prompt_checks(cfg: CcdConfig) -> list[tuple[tuple[str | int, ...], str]]:
    """Every prompt a queue can play must exist: a missing file would only show
    as silence on a live call."""
    from ccd.prompts import CALL_RECORDED, missing_prompts
    from ccd.queues.core.announce import prompt_names
    from ccd.queues.from_config import announce_settings
    from ccd.rating_ivr.from_config import survey_settings

    out: list[tuple[tuple[str | int, ...], str]] = []
    # The prompts are built by a script of the checkout (README deployment step 3): say so.
    fix = f"build and install ccd's prompts: scripts/build-prompts --install {cfg.sounds_dir}"
    settings = survey_settings(cfg)
    announcing = announce_settings(cfg)
    for i, q in enumerate(cfg.queues):
        if q.name in settings:
            s = settings[q.name]
            for path in missing_prompts(cfg.sounds_dir, s.language, s.prompt_names()):
                out.append((("queues", i, "rating"), f"missing prompt file {path} ({fix})"))
        if q.name in announcing:  # the queue announcements (ccd.queues.core.announce)
            for path in missing_prompts(cfg.sounds_dir, q.language, prompt_names(announcing[q.name])):
                out.append((("queues", i, "announce_frequency"), f"missing prompt file {path} ({fix})"))
        if q.recording.enabled and q.recording.announce:  # the recording announcement (ccd.recordings)
            for path in missing_prompts(cfg.sounds_dir, q.language, [CALL_RECORDED]):
                out.append((("queues", i, "recording", "announce"), f"missing prompt file {path} ({fix})"))
    return out


def check_config(path: Path, *, secrets: bool = True) -> tuple[CcdConfig | None, list[Problem]]:
    """Every problem of the file at ``path``; ``secrets``: also read and judge the secrets
    (AMI, ARI, database DSN, API tokens) as the daemon would at start."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(0, "(file)", f"cannot read: {exc.strerror}", name)]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        return None, [Problem(int(m.group(1)) if m else 0, "(file)", f"not valid TOML: {exc}", name)]
    where = TomlLocator(text)
    found: list[tuple[tuple[str | int, ...], str]] = _cross_checks(raw) + identity_checks(raw)
    cfg: CcdConfig | None = None
    try:
        cfg = CcdConfig.model_validate(raw, context={"base_dir": path.absolute().parent})
    except ValidationError as exc:
        found += [(tuple(e["loc"]), _message(e)) for e in exc.errors()]
    if cfg is not None:
        found += _prompt_checks(cfg)
        if secrets:
            found += secret_checks(cfg)
    problems = sorted({Problem(where.line_of(loc), dotted(loc), msg, name) for loc, msg in found})
    return (cfg if not problems else None), problems


def load_config(path: str | Path, *, secrets: bool = False) -> CcdConfig:
    """The config, or ConfigError. ``secrets=True`` for what talks to Asterisk (``ccd run``,
    ``asterisk-config``, ``demo``): every secret then must be there and sound, as check-config
    demands; reports and exports need only the database."""
    cfg, problems = check_config(Path(path), secrets=secrets)
    if problems or cfg is None:
        raise ConfigError(problems)
    return cfg
