"""`ccd check-config` refuses every broken file a careless admin could write (issue 15's list
and more), each as one ``FILE:LINE: path: message`` line, reading the secrets without ever
printing them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ccd.config_load import check_config

SECRETS = ("ami-s3cret-value", "ari-s3cret-value", "db-s3cret-pw", "admin-tok-s3cret", "sup-tok-s3cret")

VALID = """\
timezone = "UTC"

[ami]
port = 5038
secret_file = "ami.secret"

[ari]
url = "http://127.0.0.1:8088"
password = "ari-s3cret-value"

[database]
dsn = "postgresql://ccd:db-s3cret-pw@127.0.0.1:5432/ccd"

[http]
listen = "127.0.0.1:8080"

[[http.tokens]]
name = "admin"
role = "admin"
token_file = "tokens/admin"

[[http.tokens]]
name = "maria"
role = "supervisor"
supervisor = "s1"
token = "sup-tok-s3cret"

[supervision]
listen_code = "*221"
whisper_code = "*222"
barge_code = "*223"
dtmf_listen = "4"
dtmf_whisper = "5"
dtmf_barge = "6"

[[teams]]
name = "support"

[[agents]]
id = "1001"
endpoint = "PJSIP/1001"
teams = ["support"]

[[agents]]
id = "1002"
endpoint = "PJSIP/1002"
teams = ["support"]

[[supervisors]]
id = "s1"
endpoint = "PJSIP/2001"
teams = ["support"]

[[supervisors]]
id = "s2"
endpoint = "PJSIP/2002"
teams = ["support"]

[[queues]]
name = "support"
teams = ["support"]
"""


def sub(old: str, new: str) -> Callable[[Path], None]:
    def edit(conf: Path) -> None:
        text = conf.read_text()
        assert old in text, old
        conf.write_text(text.replace(old, new, 1))
    return edit


def write(name: str, content: str) -> Callable[[Path], None]:
    def edit(conf: Path) -> None:
        (conf.parent / name).write_text(content)
    return edit


# (what is broken, how, the field path reported, a piece of the message)
BROKEN: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("no AMI secret", sub('secret_file = "ami.secret"\n', ""), "ami.secret", "no AMI secret"),
    ("AMI secret file missing", sub('"ami.secret"', '"gone/ami.secret"'), "ami.secret_file",
     "cannot read AMI secret file"),
    ("AMI secret file empty", write("ami.secret", "\n"), "ami.secret", "AMI secret is empty"),
    ("no ARI password", sub('password = "ari-s3cret-value"\n', ""), "ari.password", "no ARI password"),
    ("malformed DSN", sub('"postgresql://ccd:', '"postgresql//ccd:'), "database.dsn", "malformed DSN"),
    ("DSN port out of range", sub("@127.0.0.1:5432/", "@127.0.0.1:99999/"), "database.dsn", "malformed DSN"),
    ("DSN file missing", sub('dsn = "postgresql://ccd:db-s3cret-pw@127.0.0.1:5432/ccd"', 'dsn_file = "db.dsn"'),
     "database.dsn_file", "cannot read database DSN file"),
    ("token file missing", sub('"tokens/admin"', '"tokens/nobody"'), "http.tokens[0].token_file",
     "cannot read token 'admin' file"),
    ("empty token", sub('token_file = "tokens/admin"', 'token = ""'), "http.tokens[0].token", "is empty"),
    ("empty token file", write("tokens/admin", "  \n"), "http.tokens[0].token", "is empty"),
    ("token names an unknown supervisor", sub('supervisor = "s1"', 'supervisor = "s9"'),
     "http.tokens[1].supervisor", "unknown supervisor 's9'"),
    ("two tokens, one secret", write("tokens/admin", "sup-tok-s3cret\n"), "http.tokens[1].token",
     "same value as token 'admin'"),
    ("two tokens, one name", sub('name = "maria"', 'name = "ADMIN"'), "http.tokens[1].name", "CCD_TOKEN_ADMIN"),
    ("listen port 99999", sub('"127.0.0.1:8080"', '"127.0.0.1:99999"'), "http.listen", "not between 1 and 65535"),
    ("ARI port 99999", sub('"http://127.0.0.1:8088"', '"http://127.0.0.1:99999"'), "ari.url", "65535"),
    ("DTMF keys collide", sub('dtmf_whisper = "5"', 'dtmf_whisper = "4"'), "supervision.dtmf_whisper",
     "already switches to listen"),
    ("feature codes collide", sub('whisper_code = "*222"', 'whisper_code = "*221"'), "supervision.whisper_code",
     "feature code '*221' is supervision.listen_code"),
    ("feature code shadows another", sub('barge_code = "*223"', 'barge_code = "*22"'), "supervision.barge_code",
     "overlaps"),
    ("feature code is an agent code", sub('barge_code = "*223"', 'barge_code = "*72"'), "supervision.barge_code",
     "the agent pause code"),
    ("two agents on one endpoint", sub('endpoint = "PJSIP/1002"', 'endpoint = "PJSIP/1001"'),
     "agents[1].endpoint", "already agent agents[0]'s"),
    ("two supervisors on one endpoint", sub('endpoint = "PJSIP/2002"', 'endpoint = "PJSIP/2001"'),
     "supervisors[1].endpoint", "already supervisor supervisors[0]'s"),
]


@pytest.fixture
def conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("CCD_"):
            monkeypatch.delenv(name)
    home = tmp_path / "etc-ccd"
    (home / "tokens").mkdir(parents=True)
    (home / "ami.secret").write_text("ami-s3cret-value\n")
    (home / "tokens" / "admin").write_text("admin-tok-s3cret\n")
    path = home / "ccd.toml"
    path.write_text(VALID)
    monkeypatch.chdir(tmp_path)  # relative paths resolve beside the file, not here
    return path


def test_the_valid_file_is_valid(conf: Path) -> None:
    cfg, problems = check_config(conf)
    assert problems == [] and cfg is not None
    assert cfg.ami.secret_file == conf.parent / "ami.secret"


@pytest.mark.parametrize(("broken", "edit", "path", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_is_refused(conf: Path, broken: str, edit: Callable[[Path], None], path: str,
                                message: str) -> None:
    edit(conf)
    cfg, problems = check_config(conf)
    assert cfg is None, broken
    lines = [str(p) for p in problems]
    assert len(lines) == 1, lines
    m = re.fullmatch(rf"{re.escape(str(conf))}:(\d+): {re.escape(path)}: (.*)", lines[0])
    assert m, lines[0]
    assert message in m.group(2), lines[0]
    line = conf.read_text().splitlines()[int(m.group(1)) - 1]
    table, _, key = path.rpartition(".")
    assert key.split("[")[0] in line or table.split("[")[0] in line or line.startswith("["), (line, lines[0])
    assert not any(s in lines[0] for s in SECRETS)


def test_enough_broken_files() -> None:
    assert len(BROKEN) >= 16


def test_cli_prints_every_problem_and_no_secret(conf: Path) -> None:
    for edit in (sub('supervisor = "s1"', 'supervisor = "s9"'), write("tokens/admin", "sup-tok-s3cret\n"),
                 sub('dtmf_barge = "6"', 'dtmf_barge = "5"'), sub("@127.0.0.1:5432/", "@127.0.0.1:99999/")):
        edit(conf)
    res = subprocess.run([sys.executable, "-m", "ccd", "check-config", str(conf)], capture_output=True,
                         text=True, env={k: v for k, v in os.environ.items() if not k.startswith("CCD_")})
    assert res.returncode == 1
    found = [line for line in res.stderr.splitlines() if re.match(rf"{re.escape(str(conf))}:\d+: ", line)]
    assert sorted(line.split(": ")[1] for line in found) == [
        "database.dsn", "http.tokens[1].supervisor", "http.tokens[1].token", "supervision.dtmf_barge"]
    assert f"{conf}: 4 problem(s)" in res.stderr
    assert not any(s in res.stdout + res.stderr for s in SECRETS)
