"""Render the Asterisk snippets an admin includes: manager.conf, ari.conf, http.conf and the
fallback queues.conf / queuerules.conf that mirror ccd's queues when the daemon is down.

The fallback can only approximate a ccd policy with native penalties: the preferred tier has
penalty 0, each later tier one more, and a queue rule raises QUEUE_MAX_PENALTY every
``widen_after`` seconds (immediately when widen_after is 0).
"""

from __future__ import annotations

from pathlib import Path

from ccd.ami.events import EVENT_TYPES
from ccd.config import AgentConfig, CcdConfig, QueueConfig

# AMI classes ccd needs: call/agent events for the fallback queues and device state,
# originate for the simulator and operational actions, reporting for QueueStatus etc.
AMI_READ = "system,call,agent,user,dtmf,reporting"
AMI_WRITE = "system,call,agent,originate,reporting"

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


def render_manager(cfg: CcdConfig) -> str:
    secret = cfg.ami.resolved_secret()
    shown = secret.get_secret_value() if secret else "CHANGE-ME"
    return f"""; ccd AMI user: include from manager.conf ([general] enabled = yes)
[{cfg.ami.username}]
secret = {shown}
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = {AMI_READ}
write = {AMI_WRITE}
{render_eventfilter()}"""


def render_eventfilter() -> str:
    """The manager.conf line that lets through only the AMI events ccd consumes.

    Derived from ccd's typed AMI events (``ccd.ami.events.EVENT_TYPES``, the events ccd's AMI
    layer reads; everything else it would parse and drop). Of about 100 events per queue call,
    mostly Newexten, VarSet and Newstate, Asterisk then formats and sends only these. Replies
    to actions (DBGet, QueueStatus lists) are not events of the stream: never filtered.
    ``[[:space:]]`` ends the name, so ``Reload`` does not also let ``ReloadFoo`` through.
    """
    names = "|".join(sorted(EVENT_TYPES))
    return f"eventfilter = Event: ({names})[[:space:]]\n"


def render_ari(cfg: CcdConfig) -> str:
    pw = cfg.ari.resolved_password()
    shown = pw.get_secret_value() if pw else "CHANGE-ME"
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
        path.write_text(text)
        if name in ("manager_ccd.conf", "ari_ccd.conf"):
            path.chmod(0o640)
        written.append(path)
    return written
