"""Render a private Asterisk configuration for one test instance.

Everything Asterisk writes (run, log, spool, db, keys) lives under one temp dir; the binary,
modules and data dir come from the Asterisk under test (``asterisk_build``), stock sounds from
the system install. The shipped ``dialplan/`` is included as an admin
would include it, next to the simulation contexts that play callers and agents.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ccd.asterisk_config import render_eventfilter, render_rights
from ccd.sandbox.asterisk_build import SYSTEM_DATA, AsteriskBuild, selected

REPO = Path(__file__).resolve().parents[2]  # the source tree: dialplan/ is included from it
SIM_DIALPLAN = Path(__file__).with_name("extensions_sim.conf")

# Modules that need hardware, external services or config we do not provide: loading them
# only slows boot and fills the log with errors.
NOLOAD = (
    "chan_sip.so chan_dahdi.so chan_iax2.so chan_mgcp.so chan_skinny.so chan_unistim.so "
    "chan_alsa.so chan_oss.so chan_console.so chan_mobile.so chan_motif.so chan_ooh323.so "
    "chan_phone.so chan_misdn.so res_hep.so res_hep_pjsip.so res_hep_rtcp.so cdr_pgsql.so "
    "cel_pgsql.so cdr_odbc.so cdr_adaptive_odbc.so cel_odbc.so res_odbc.so res_odbc_transaction.so "
    "func_odbc.so cdr_tds.so cel_tds.so cdr_radius.so cel_radius.so cdr_mysql.so app_mysql.so "
    "res_config_ldap.so res_config_pgsql.so res_config_mysql.so res_config_odbc.so "
    "res_config_sqlite3.so res_snmp.so res_xmpp.so res_calendar.so res_calendar_caldav.so "
    "res_calendar_ews.so res_calendar_exchange.so res_calendar_icalendar.so res_smdi.so "
    "cdr_beanstalkd.so cel_beanstalkd.so cdr_sqlite3_custom.so cel_sqlite3_custom.so "
    "res_phoneprov.so res_pjsip_phoneprov_provider.so app_festival.so res_fax.so "
    "res_fax_spandsp.so app_fax.so res_corosync.so pbx_lua.so pbx_ael.so res_ael_share.so "
    "app_voicemail.so app_minivm.so res_statsd.so res_prometheus.so cdr_syslog.so"
).split()


@dataclass(frozen=True)
class Ports:
    ami: int
    http: int


@dataclass(frozen=True)
class Credentials:
    ami_user: str = "ccd"
    ami_secret: str = "ccd-ami-test-secret"
    ari_user: str = "ccd"
    ari_password: str = "ccd-ari-test-secret"
    # A second AMI user for the tests' and simulator's own actions (Originate, QueueAdd,
    # PlayDTMF...): ccd's user has only the rights ccd renders for production.
    sim_user: str = "sim"
    sim_secret: str = "ccd-sim-ami-test-secret"


# Asterisk 22 logs an ERROR at boot for each of these when missing; empty files are enough.
QUIET_22 = ("websocket_client.conf", "udptl.conf", "acl.conf", "ccss.conf", "pjproject.conf")


def _data_dir(base: Path, build: AsteriskBuild, extra_sounds: dict[str, Path]) -> Path:
    """astdatadir with the version's data linked in and project prompts added under sounds/."""
    data = base / "data"
    sounds = data / "sounds"
    sounds.mkdir(parents=True, exist_ok=True)
    for entry in build.data.iterdir():
        if entry.name != "sounds":
            (data / entry.name).symlink_to(entry)
    prompts = REPO / "prompts-build" / "sounds" / "ccd"  # made by scripts/build-prompts
    if prompts.is_dir() and "ccd" not in extra_sounds:
        extra_sounds = {**extra_sounds, "ccd": prompts}
    for entry in (SYSTEM_DATA / "sounds").iterdir():
        if entry.name not in extra_sounds:  # the tree's own prompts win over installed ones
            (sounds / entry.name).symlink_to(entry)
    for name, target in extra_sounds.items():
        (sounds / name).symlink_to(target)
    return data


def render(
    base: Path,
    ports: Ports,
    creds: Credentials,
    *,
    extra_dialplan: str = "",
    queues_conf: str = "",
    queuerules_conf: str = "",
    extra_sounds: dict[str, Path] | None = None,
    pjsip_conf: str = "",
    build: AsteriskBuild | None = None,
    ami_eventfilter: bool = True,
) -> Path:
    """Write the configuration under ``base`` and return the path of asterisk.conf."""
    build = build or selected()
    etc = base / "etc"
    for sub in ("etc", "run", "log", "spool/recording", "spool/monitor", "db", "keys"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    data = _data_dir(base, build, extra_sounds or {})
    files = {
        "asterisk.conf": f"""[directories]
astetcdir => {etc}
astmoddir => {build.modules}
astvarlibdir => {data}
astdbdir => {base}/db
astkeydir => {base}/keys
astdatadir => {data}
astagidir => {data}/agi-bin
astspooldir => {base}/spool
astrundir => {base}/run
astlogdir => {base}/log
[options]
verbose = 3
debug = 0
maxcalls = 2000
transmit_silence = yes
""",
        "modules.conf": "[modules]\nautoload=yes\n"
        + "".join(f"noload => {m}\n" for m in NOLOAD),
        "logger.conf": "[general]\ndateformat=%F %T.%3q\n[logfiles]\n"
        "messages => notice,warning,error,verbose\n",
        "manager.conf": f"""[general]
enabled = yes
timestampevents = yes
bindaddr = 127.0.0.1
port = {ports.ami}
[{creds.ami_user}]
secret = {creds.ami_secret}
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
{render_rights()}{render_eventfilter() if ami_eventfilter else ""}
; Tests, benchmarks and the simulator act (Originate, QueueAdd, PlayDTMF...) and observe
; through their own unfiltered user: ccd's user above has only what ccd renders for production.
[{creds.sim_user}]
secret = {creds.sim_secret}
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = all
write = system,call,agent,originate,reporting
""",
        "http.conf": f"[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = {ports.http}\n",
        "ari.conf": f"""[general]
enabled = yes
pretty = no
[{creds.ari_user}]
type = user
read_only = no
password = {creds.ari_password}
""",
        "musiconhold.conf": f"[default]\nmode = files\ndirectory = {SYSTEM_DATA}/moh\nsort = alpha\n",
        "queues.conf": "[general]\npersistentmembers = no\nshared_lastcall = yes\n"
        + queues_conf,
        "queuerules.conf": queuerules_conf,
        "pjsip.conf": pjsip_conf,
        "cdr.conf": "[general]\nenable = no\n",
        "cel.conf": "[general]\nenable = no\n",
        "indications.conf": "[general]\ncountry = us\n[us]\ndescription = United States\n"
        "ringcadence = 2000,4000\ndial = 350+440\nring = 440+480/2000,0/4000\n"
        "busy = 480+620/500,0/500\ncongestion = 480+620/250,0/250\n",
        "features.conf": "[general]\n",
        "extensions.conf": f"""[general]
static = yes
writeprotect = yes
[globals]
#include "{REPO}/dialplan/extensions_ccd.conf"
#include "{SIM_DIALPLAN}"
{extra_dialplan}
""",
    }
    if build.major >= 22:
        files.update({name: "" for name in QUIET_22})
    for name, text in files.items():
        (etc / name).write_text(text)
    os.chmod(etc / "manager.conf", 0o600)
    return etc / "asterisk.conf"
