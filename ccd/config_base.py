"""The building blocks of ccd's config models: strict frozen models, names that become
Asterisk identifiers, paths relative to the config file, and secrets read from the
environment, a file or the file itself (in that order)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationInfo

Seniority = Literal["senior", "regular", "trainee"]
Policy = Literal["seniority_first", "trainee_first"]
TieBreak = Literal["longest_idle", "fewest_calls", "round_robin"]
Role = Literal["admin", "supervisor", "viewer"]
Ident = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
# Queue names become dialplan extensions in ccd-queue (pattern _[A-Za-z0-9]!) and queues.conf
# sections, so they are restricted to what both accept.
QueueName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_]{0,63}$")]




def _beside_config(path: Path, info: ValidationInfo) -> Path:
    """A relative path means relative to the config file (``config_load`` passes its
    directory as ``base_dir``), not to whatever directory ccd was started from."""
    base = (info.context or {}).get("base_dir")
    return path if path.is_absolute() or base is None else Path(base) / path


ConfigPath = Annotated[Path, AfterValidator(_beside_config)]


def port_ok(port: str) -> bool:
    return port.isdigit() and 1 <= int(port) <= 65535


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def read_secret(inline: SecretStr | None, file: Path | None, env: str) -> SecretStr | None:
    """Environment beats file beats inline, so containers can inject secrets at run time."""
    if os.environ.get(env):
        return SecretStr(os.environ[env])
    if file is not None:
        return SecretStr(file.read_text().strip())
    return inline
