"""Render the Asterisk snippets an admin includes: manager.conf, ari.conf, http.conf and the
fallback queues.conf / queuerules.conf that mirror ccd's queues when the daemon is down.

The fallback can only approximate a ccd policy with native penalties: the preferred tier has
penalty 0, each later tier one more, and a queue rule raises QUEUE_MAX_PENALTY every
``widen_after`` seconds (immediately when widen_after is 0).
"""

from __future__ import annotations

import os
from pathlib import Path

from ccd.ami.rights import EVENTS, read_classes, write_classes
from ccd.config import AgentConfig, CcdConfig, QueueConfig

SECRET_FILES = ("manager_ccd.conf", "ari_ccd.conf")  # created 0640: they hold secrets

# The native strategy closest to each ccd tie-break.
STRATEGY = {"longest_idle": "leastrecent", "fewest_calls": "fewestcalls", "round_robin": "rrmemory"}

POLICY_TIERS = {
    "seniority_first": [["senior"], ["regular"], ["trainee"]],
    "trainee_first": [["trainee"], ["regular"], ["senior"]],
}


def tiers_of(queue: QueueConfig) -> list[list[str]]:
    return [list(t) for t in queue.tiers] if queue.tiers else POLICY_TIERS[queue.policy]


def penalty(agent: AgentConfig, queue: QueueConfig) -> int:
    for i, tier in enumerate(tiers_of(queue)):
        if agent.seniority in tier:
            return i
    return len(tiers_of(queue))


class MissingSecret(ValueError):
    """A snippet needs a secret the config does not give: nothing is rendered."""


def render_rights() -> str:
    """The AMI user's classes: exactly those of the actions ccd sends and the events it
    consumes (ccd.ami.rights): ``write = reporting`` for DBGet (agent state in AstDB, which
    ARI writes)."""
    return f"read = {','.join(read_classes())}\nwrite = {','.join(write_classes())}\n"


def render_manager(cfg: CcdConfig) -> str:
    secret = cfg.ami.resolved_secret()
    if secret is None or not secret.get_secret_value():
        raise MissingSecret("no AMI secret: set [ami] secret, secret_file or CCD_AMI_SECRET")
    return f"""; ccd AMI user: include from manager.conf ([general] enabled = yes)
[{cfg.ami.username}]
secret = {secret.get_secret_value()}
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
{render_rights()}{render_eventfilter()}"""


def render_eventfilter() -> str:
    """The manager.conf line that lets through only the AMI events ccd consumes.

    Derived from the same table as the read classes (``ccd.ami.rights.EVENTS``). Of about 100
    events per queue call, mostly Newexten, VarSet and Newstate, Asterisk then formats and
    sends only these. Replies to actions (DBGet) are not events of the stream: never filtered.
    ``[[:space:]]`` ends the name, so ``Reload`` does not also let ``ReloadFoo`` through.
    """
    names = "|".join(sorted(EVENTS))
    return f"eventfilter = Event: ({names})[[:space:]]\n"


def render_ari(cfg: CcdConfig) -> str:
    pw = cfg.ari.resolved_password()
    if pw is None or not pw.get_secret_value():
        raise MissingSecret("no ARI password: set [ari] password, password_file or CCD_ARI_PASSWORD")
    shown = pw.get_secret_value()
    return f"""; ccd ARI user: #include from ari.conf, whose own [general] must have enabled = yes
; (Asterisk reads only the first [general] of a file, so this snippet carries none).
[{cfg.ari.username}]
type = user
read_only = no
password = {shown}
"""


def render_http(cfg: CcdConfig) -> str:
    port = cfg.ari.url.rstrip("/").rsplit(":", 1)[-1]
    port = port if port.isdigit() else "8088"
    return f"""; Asterisk's HTTP server for ARI, loopback only (ccd runs beside Asterisk).
; Put these settings into the [general] section of http.conf (Asterisk reads only the first
; [general] of a file, so including a second one would be ignored):
;
; [general]
; enabled = yes
; bindaddr = 127.0.0.1
; bindport = {port}
"""


def render_queues(cfg: CcdConfig) -> str:
    out = ["; ccd fallback queues: used only while ccd is not running (STASISSTATUS=FAILED)\n"]
    for q in cfg.queues:
        out.append(f"[{q.name}]\nstrategy = {STRATEGY[q.tie_break]}\n")
        out.append(f"timeout = {int(q.ring_timeout)}\nretry = 1\nwrapuptime = {int(q.wrapup)}\n")
        out.append(f"musicclass = {q.moh_class}\nservicelevel = {int(q.service_level_seconds)}\n")
        out.append("joinempty = yes\nleavewhenempty = no\nringinuse = no\nautopause = no\n")
        out.append("defaultrule = ccd-" + q.name + "\n")
        for agent in cfg.queue_members(q):
            out.append(f"member => {agent.endpoint},{penalty(agent, q)},{agent.name or agent.id}\n")
        out.append("\n")
    return "".join(out)


def render_queuerules(cfg: CcdConfig) -> str:
    out = ["; ccd fallback penalty rules: open one tier after another, like widen_after\n"]
    for q in cfg.queues:
        out.append(f"[ccd-{q.name}]\n")
        steps = len(tiers_of(q))
        if q.widen_after <= 0:
            out.append(f"penaltychange => 0,{steps}\n")
        else:
            out.append("penaltychange => 0,0\n")
            for i in range(1, steps):
                out.append(f"penaltychange => {int(q.widen_after * i)},{i}\n")
        out.append("\n")
    return "".join(out)


def write_all(cfg: CcdConfig, outdir: Path) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    files = {
        "manager_ccd.conf": render_manager(cfg),
        "ari_ccd.conf": render_ari(cfg),
        "http_ccd.conf": render_http(cfg),
        "queues_ccd.conf": render_queues(cfg),
        "queuerules_ccd.conf": render_queuerules(cfg),
    }
    written = []
    for name, text in files.items():
        path = outdir / name
        _write(path, text, 0o640 if name in SECRET_FILES else 0o644)
        written.append(path)
    return written


def _write(path: Path, text: str, mode: int) -> None:
    """Write ``text`` (ending in a newline) to a file that never exists with a wider mode:
    a new file is created with ``mode`` (masked by the umask, never widened); an existing
    one is truncated and keeps its own mode unless that is wider, then it is narrowed
    before anything is written."""
    text = text if text.endswith("\n") else text + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        if os.fstat(fd).st_mode & 0o777 & ~mode:
            os.fchmod(fd, mode)
        out.write(text)
