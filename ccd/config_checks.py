"""Checks on a ccd config that its schema cannot make: who is who (endpoints, tokens,
feature codes), and the secrets themselves, which are read and judged but never printed.

Each check returns ``(location, message)`` pairs; ``ccd.config_load`` turns locations into
``FILE:LINE: path`` and reports them together with the schema's own problems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from ccd.config import CcdConfig, SupervisionConfig, read_secret

Loc = tuple[str | int, ...]
Found = list[tuple[Loc, str]]

# The agent feature codes of the shipped dialplan (dialplan/extensions_ccd.conf, ccd-agent).
AGENT_CODES = {"*71": "login", "*72": "pause", "*73": "unpause", "*74": "logout"}
DSN_FORM = "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"


def _items(raw: dict[str, Any], *keys: str) -> list[tuple[int, dict[str, Any]]]:
    val: Any = raw
    for key in keys:
        val = val.get(key, {}) if isinstance(val, dict) else {}
    return [(i, v) for i, v in enumerate(val) if isinstance(v, dict)] if isinstance(val, list) else []


def identity_checks(raw: dict[str, Any]) -> Found:
    """Works on the raw TOML, so these are reported even when the schema check failed."""
    out: Found = []
    for key, what in (("agents", "agent"), ("supervisors", "supervisor")):
        seen: dict[str, int] = {}
        for i, v in _items(raw, key):
            endpoint = v.get("endpoint")
            if isinstance(endpoint, str) and endpoint in seen:
                out.append(((key, i, "endpoint"), f"endpoint {endpoint!r} is already {what} "
                            f"{key}[{seen[endpoint]}]'s: ccd could not tell them apart"))
            elif isinstance(endpoint, str):
                seen[endpoint] = i
    supervisors = {str(v["id"]) for _, v in _items(raw, "supervisors") if "id" in v}
    names: dict[str, int] = {}
    for i, v in _items(raw, "http", "tokens"):
        sup = v.get("supervisor")
        if isinstance(sup, str) and sup not in supervisors:
            out.append((("http", "tokens", i, "supervisor"), f"unknown supervisor {sup!r} (a [[supervisors]] id)"))
        name = v.get("name")
        if isinstance(name, str):
            env = name.upper()
            if env in names:
                out.append((("http", "tokens", i, "name"), f"token name {name!r} repeats http.tokens"
                            f"[{names[env]}] (both would read CCD_TOKEN_{env})"))
            names.setdefault(env, i)
    out += _supervision_checks(raw.get("supervision"))
    # Callbacks (ccd.callbacks): an enabled queue must say when callers hear the offer.
    for i, q in _items(raw, "queues"):
        cb = q.get("callback")
        if isinstance(cb, dict) and cb.get("enabled") is True and \
                cb.get("offer_after") is None and cb.get("offer_when_wait_over") is None:
            out.append((("queues", i, "callback", "enabled"), "no caller would be offered a callback: set "
                        "offer_after and/or offer_when_wait_over"))
    return out


def _supervision_checks(section: Any) -> Found:
    given = section if isinstance(section, dict) else {}
    fields = SupervisionConfig.model_fields

    def value(key: str) -> Any:
        return given.get(key, fields[key].default)

    out: Found = []
    keys: dict[str, str] = {}
    for key in ("dtmf_listen", "dtmf_whisper", "dtmf_barge"):
        digit = value(key)
        if isinstance(digit, str) and digit in keys:
            out.append((("supervision", key), f"DTMF {digit!r} already switches to {keys[digit]} "
                        f"(supervision.dtmf_{keys[digit]})"))
        elif isinstance(digit, str):
            keys[digit] = key.removeprefix("dtmf_")
    codes: dict[str, str] = {code: f"the agent {what} code" for code, what in AGENT_CODES.items()}
    for key in ("listen_code", "whisper_code", "barge_code"):
        code = value(key)
        if not isinstance(code, str):
            continue
        for other, owner in codes.items():
            if code == other or code.startswith(other) or other.startswith(code):
                how = "is" if code == other else "overlaps"
                out.append((("supervision", key), f"feature code {code!r} {how} {owner} {other!r}"))
                break
        codes[code] = f"supervision.{key}"
    return out


def _secret(inline: SecretStr | None, file: Path | None, env: str, loc: Loc, what: str,
            out: Found) -> str | None:
    """The secret's value, or None with a problem (without the value) added to ``out``."""
    try:
        value = read_secret(inline, file, env)
    except OSError as exc:
        out.append(((*loc[:-1], f"{loc[-1]}_file"), f"cannot read {what} file {file}: {exc.strerror}"))
        return None
    except UnicodeDecodeError:
        out.append(((*loc[:-1], f"{loc[-1]}_file"), f"{what} file {file} is not UTF-8 text"))
        return None
    if value is None:
        return None
    text = value.get_secret_value()
    if not text.strip():
        out.append((loc, f"{what} is empty ({'file ' + str(file) if file else env + ' or inline'})"))
        return None
    return text


def secret_checks(cfg: CcdConfig) -> Found:
    """Read every secret the daemon will need (environment, file or inline) and judge it."""
    out: Found = []
    before = len(out)
    ami = _secret(cfg.ami.secret, cfg.ami.secret_file, "CCD_AMI_SECRET", ("ami", "secret"), "AMI secret", out)
    if ami is None and len(out) == before:
        out.append((("ami", "secret"), "no AMI secret: set secret, secret_file or CCD_AMI_SECRET"))
    before = len(out)
    ari = _secret(cfg.ari.password, cfg.ari.password_file, "CCD_ARI_PASSWORD", ("ari", "password"),
                  "ARI password", out)
    if ari is None and len(out) == before:
        out.append((("ari", "password"), "no ARI password: set password, password_file or CCD_ARI_PASSWORD"))
    db = cfg.database
    dsn = _secret(db.dsn, db.dsn_file, "CCD_DATABASE_DSN", ("database", "dsn"), "database DSN", out)
    if dsn is not None:
        problem = dsn_problem(dsn)
        if problem:
            out.append((("database", "dsn"), problem))
    seen: dict[str, int] = {}
    for i, tok in enumerate(cfg.http.tokens):
        loc: Loc = ("http", "tokens", i, "token")
        env = f"CCD_TOKEN_{tok.name.upper()}"
        before = len(out)
        value = _secret(tok.token, tok.token_file, env, loc, f"token {tok.name!r}", out)
        if value is None and len(out) == before:
            out.append((loc, f"token {tok.name!r} has no value (token, token_file or {env})"))
        elif value is not None and value in seen:
            first = cfg.http.tokens[seen[value]].name
            out.append((loc, f"token {tok.name!r} has the same value as token {first!r} "
                        f"(http.tokens[{seen[value]}]): each token must be its own"))
        elif value is not None:
            seen[value] = i
    return out


def dsn_problem(dsn: str) -> str | None:
    """Why asyncpg could not use this DSN, without repeating it (it may hold a password)."""
    try:
        parts = urlsplit(dsn.strip())
        port = parts.port
    except ValueError:
        return f"malformed DSN: its port is not a number between 1 and 65535 (expected {DSN_FORM})"
    if parts.scheme not in ("postgresql", "postgres"):
        return f"malformed DSN: not a postgresql:// URL (expected {DSN_FORM})"
    if not parts.hostname and "host=" not in parts.query:
        return f"malformed DSN: no host (expected {DSN_FORM})"
    if port == 0:
        return f"malformed DSN: port 0 (expected {DSN_FORM})"
    return None
