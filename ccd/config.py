"""The ccd configuration: one TOML file validated by pydantic models.

Secrets (AMI secret, ARI password, database DSN, API tokens) may be given inline, as a
``*_file`` path, or through environment variables; they are ``SecretStr`` so they never
appear in logs or reprs. Relative paths are relative to the config file's directory.
The building blocks (strict models, identifiers, config-relative paths, secrets) are in
``ccd.config_base``, the connection sections (AMI, ARI, database, HTTP and tokens) in
``ccd.config_connections``; this module holds the call-center model and re-exports them.
Loading and error reporting live in ``ccd.config_load``, checks beyond the schema in
``ccd.config_checks``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from ccd.callbacks.core.settings import CallbackConfig
from ccd.config_base import ConfigPath, Ident, Policy, QueueName, Role, Seniority, Strict, TieBreak, read_secret
from ccd.config_connections import AmiConfig, AriConfig, DatabaseConfig, HttpConfig, TokenConfig
from ccd.schedule.core.settings import ScheduleConfig

__all__ = ["AgentConfig", "AmiConfig", "AriConfig", "CcdConfig", "ConsoleConfig", "ConsoleUser", "DatabaseConfig",
           "HttpConfig", "Ident", "QueueConfig", "QueueThresholds", "RatingConfig", "RecordingConfig", "Role",
           "SupervisionConfig", "SupervisorConfig", "TeamConfig", "TokenConfig", "normalise_number", "read_secret"]


class TeamConfig(Strict):
    name: Ident
    mentor: Ident | None = None  # supervisor or senior agent who coaches this team's trainees
    training_mode: bool = False
    beep_on_supervision: bool = False


class AgentConfig(Strict):
    id: Ident
    name: str = ""
    endpoint: str = Field(pattern=r"^[A-Za-z]+/.+")
    seniority: Seniority = "regular"
    teams: list[Ident] = Field(default_factory=list)
    mentor: Ident | None = None
    # Logged in when ccd starts, unless a state saved by an earlier run says otherwise
    # (agents otherwise start logged out and log in with *71 or the API).
    login_on_start: bool = False


class SupervisorConfig(Strict):
    id: Ident
    name: str = ""
    endpoint: str = Field(pattern=r"^[A-Za-z]+/.+")
    teams: list[Ident] = Field(min_length=1)


class RatingConfig(Strict):
    enabled: bool = False
    scale: int = Field(5, ge=2, le=9)
    timeout: float = Field(6.0, gt=0)
    retries: int = Field(2, ge=0, le=5)
    announce_at_start: bool = False
    prompts_dir: ConfigPath | None = None  # the admin's own recordings; default: ccd's shipped prompts


class RecordingConfig(Strict):
    enabled: bool = False
    # Formats Asterisk 16 writes (checked): wav (8 kHz PCM), wav49 (GSM in WAV, ~10x
    # smaller), gsm, ogg (Vorbis: compressed and playable in every browser).
    format: Literal["wav", "wav49", "gsm", "ogg"] = "wav"
    announce: bool = False
    retention_days: int = Field(90, ge=1)


class QueueConfig(Strict):
    name: QueueName
    agents: list[Ident] = Field(default_factory=list)
    teams: list[Ident] = Field(default_factory=list)
    policy: Policy = "seniority_first"
    tiers: list[list[Seniority]] | None = None
    widen_after: float = Field(0.0, ge=0)
    tie_break: TieBreak = "longest_idle"
    sticky: bool = True
    sticky_ttl_days: float = Field(30.0, gt=0)
    sticky_wait: float = Field(20.0, ge=0)
    sticky_skip_below: int | None = Field(None, ge=1, le=9)
    ring_timeout: float = Field(15.0, gt=0)
    max_missed: int = Field(3, ge=1)
    wrapup: float = Field(10.0, ge=0)
    # After a ring-no-answer the call goes to another agent at once; if nobody else may take
    # it yet (e.g. the next tier is not open), it rings the same agent again at once unless
    # this rest (seconds) keeps that agent out of offers first (docs/routing in the README).
    rona_rest: float = Field(0.0, ge=0)
    max_wait: float | None = Field(None, gt=0)
    overflow_target: str | None = Field(None, pattern=r"^[^,]+,[^,]+,[^,]+$")
    vip_numbers: list[str] = Field(default_factory=list)
    vip_priority: int = Field(10, ge=1)
    language: Literal["en", "ru"] = "en"
    moh_class: str = "default"
    service_level_seconds: float = Field(20.0, gt=0)
    service_level_target: float = Field(0.8, gt=0, le=1)
    short_abandon_seconds: float = Field(5.0, ge=0)
    # Periodic announcements to waiting callers, as queues.conf's announce-frequency: every
    # this many seconds of waiting, the caller hears their position and/or expected wait
    # (ccd's prompts in the queue's language); 0 = never.
    announce_frequency: float = Field(0.0, ge=0)
    announce_position: bool = True
    announce_holdtime: bool = True
    rating: RatingConfig = RatingConfig()
    recording: RecordingConfig = RecordingConfig()
    callback: CallbackConfig = CallbackConfig()


class SupervisionConfig(Strict):
    listen_code: str = Field("*221", pattern=r"^[*#0-9]+$")
    whisper_code: str = Field("*222", pattern=r"^[*#0-9]+$")
    barge_code: str = Field("*223", pattern=r"^[*#0-9]+$")
    dtmf_listen: str = Field("4", pattern=r"^[0-9*#]$")
    dtmf_whisper: str = Field("5", pattern=r"^[0-9*#]$")
    dtmf_barge: str = Field("6", pattern=r"^[0-9*#]$")
    wait_for_call: bool = False


class ConsoleUser(Strict):
    """A person who signs in to the supervisor console (password set by ``ccd console-password``)."""

    name: Ident
    role: Role = "supervisor"
    supervisor: Ident | None = None  # a supervisor user sees and acts on this supervisor's teams
    language: Literal["en", "ru"] | None = None  # None: the browser's choice
    download: bool = False  # may save recordings as files (admins always may); hearing needs no flag

    @model_validator(mode="after")
    def _scoped(self) -> ConsoleUser:
        if self.role == "supervisor" and self.supervisor is None:
            raise ValueError("a supervisor user must name its 'supervisor'")
        return self


class QueueThresholds(Strict):
    """Warning and critical levels of one queue's tile on the console."""

    waiting: tuple[int, int] = (3, 6)
    longest_wait_s: tuple[float, float] = (30.0, 60.0)
    service_level: tuple[float, float] = (0.8, 0.6)  # below these
    no_agent: bool = True  # nobody logged in is critical
    # A member's pause past its reason's allowance (pause_allowance_minutes) by this many seconds.
    pause_over_s: tuple[float, float] = (0.0, 300.0)


class ConsoleConfig(Strict):
    enabled: bool = True
    users: list[ConsoleUser] = Field(default_factory=list)
    session_minutes: float = Field(480.0, gt=0)
    # Break discipline: minutes each pause reason may last before the timer turns red.
    pause_allowance_minutes: dict[str, float] = Field(
        default_factory=lambda: {"lunch": 30.0, "break": 15.0, "training": 60.0})
    default_pause_allowance_minutes: float = Field(15.0, gt=0)
    # queue name -> levels; other queues use the defaults
    thresholds: dict[str, QueueThresholds] = Field(default_factory=dict)
    alert_cooldown_s: float = Field(300.0, ge=0)


class CcdConfig(Strict):
    timezone: str = "UTC"
    country_code: str | None = Field(None, pattern=r"^[1-9][0-9]{0,3}$")
    national_prefix: str = "0"
    international_prefix: str = "00"
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Asterisk's sounds directory, where ccd's prompts live under ccd/<language>/ (installed
    # by scripts/build-prompts --install); check-config verifies every prompt a queue plays.
    sounds_dir: ConfigPath = Path("/usr/share/asterisk/sounds")
    # Call recordings are filed here as YYYY/MM/DD/<call_id>.<ext> (ccd.recordings); ccd moves
    # each finished file out of Asterisk's spool recording dir (same host as Asterisk).
    recordings_dir: ConfigPath = Path("/var/lib/ccd/recordings")
    asterisk_recording_dir: ConfigPath = Path("/var/spool/asterisk/recording")
    # Asterisk's queue_log file: calls answered by the Queue() fallback while ccd was away are
    # read from it and stored as ccd's own call events (marked as fallback calls), once each.
    # Empty = don't import. Only calls that entered within the last fallback_import_days count.
    asterisk_queue_log: ConfigPath | None = Path("/var/log/asterisk/queue_log")
    fallback_import_days: float = Field(7.0, gt=0)
    ami: AmiConfig = AmiConfig()
    ari: AriConfig = AriConfig()
    database: DatabaseConfig = DatabaseConfig()
    http: HttpConfig = HttpConfig()
    supervision: SupervisionConfig = SupervisionConfig()
    teams: list[TeamConfig] = Field(default_factory=list)
    agents: list[AgentConfig] = Field(default_factory=list)
    # Phones (endpoints, e.g. PJSIP/lobby) from which agent feature codes may name any agent
    # (*72<id>*<reason>); from other phones an explicit id must be the phone's own agent.
    shared_phones: list[Annotated[str, Field(pattern=r"^[A-Za-z]+/.+")]] = Field(default_factory=list)
    supervisors: list[SupervisorConfig] = Field(default_factory=list)
    queues: list[QueueConfig] = Field(default_factory=list)
    console: ConsoleConfig = ConsoleConfig()

    @field_validator("asterisk_queue_log", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return None if value == "" else value
    schedule: ScheduleConfig = ScheduleConfig()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (an IANA name such as Europe/Berlin)") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def queue_members(self, queue: QueueConfig) -> list[AgentConfig]:
        """Agents of a queue: those named, plus every agent of the named teams, in config order."""
        named, teams = set(queue.agents), set(queue.teams)
        return [a for a in self.agents if a.id in named or teams.intersection(a.teams)]

    def agent_teams(self) -> dict[str, list[str]]:
        return {a.id: list(a.teams) for a in self.agents}


def normalise_number(raw: str | None, cfg: CcdConfig) -> str | None:
    """Normalise a caller number for stickiness: E.164 (+CC...) when a country code is set.

    Returns None for anonymous / withheld / non-numeric callers, who are never sticky.
    """
    if not raw:
        return None
    digits = re.sub(r"[\s().-]", "", raw)
    if digits.lower() in {"anonymous", "unknown", "restricted", "private", "withheld"}:
        return None
    plus = digits.startswith("+")
    digits = digits.lstrip("+")
    if not digits.isdigit():
        return None
    if plus:
        return "+" + digits
    if cfg.country_code is None:
        return digits
    if digits.startswith(cfg.international_prefix):
        return "+" + digits[len(cfg.international_prefix) :]
    if cfg.national_prefix and digits.startswith(cfg.national_prefix):
        return "+" + cfg.country_code + digits[len(cfg.national_prefix) :]
    return "+" + cfg.country_code + digits
