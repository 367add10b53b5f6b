"""Config validation: every rule reports its file, line and field path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ccd.config import CcdConfig, normalise_number
from ccd.config_load import ConfigError, check_config, load_config

REPO = Path(__file__).resolve().parents[2]

BASE = """
[[teams]]
name = "support"

[[agents]]
id = "1001"
endpoint = "PJSIP/1001"
seniority = "senior"
teams = ["support"]

[[supervisors]]
id = "s1"
endpoint = "PJSIP/2001"
teams = ["support"]

[[queues]]
name = "support"
teams = ["support"]
"""


@pytest.fixture(autouse=True)
def _secrets_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """BASE gives no secrets; the daemon's environment would (test_config_refused.py checks
    what happens without)."""
    monkeypatch.setenv("CCD_AMI_SECRET", "ami-from-env")
    monkeypatch.setenv("CCD_ARI_PASSWORD", "ari-from-env")


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "ccd.toml"
    path.write_text(text)
    cfg, found = check_config(path)
    assert (cfg is None) == bool(found)
    return [str(p) for p in found]


def test_valid_base_config_has_no_problems(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE) == []


def test_shipped_configs_are_valid() -> None:
    for name in ("ccd.example.toml", "demo.toml"):  # the example's secret files are the admin's
        cfg = load_config(REPO / "config" / name, secrets=name == "demo.toml")
        assert cfg.queues


def test_only_the_daemon_needs_the_asterisk_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reports and exports (load_config) need no AMI/ARI secret; run and check-config do."""
    monkeypatch.delenv("CCD_AMI_SECRET")
    path = tmp_path / "report.toml"
    path.write_text(BASE)
    assert load_config(path).queues
    with pytest.raises(ConfigError, match=r"ami\.secret: no AMI secret"):
        load_config(path, secrets=True)


@pytest.mark.parametrize(
    ("addition", "expected"),
    [
        ('[[queues]]\nname = "b"\nteams = ["support"]\npolicy = "senoir_first"\n',
         "queues[1].policy: unknown policy 'senoir_first' (expected seniority_first, trainee_first)"),
        ('[[agents]]\nid = "1001"\nendpoint = "PJSIP/9"\n',
         "agents[1].id: duplicate agent id '1001' (first at agents[0])"),
        ('[[queues]]\nname = "b"\nagents = ["nobody"]\n', "queues[1].agents[0]: unknown agent 'nobody'"),
        ('[[queues]]\nname = "b"\nteams = ["ghosts"]\n', "queues[1].teams[0]: unknown team 'ghosts'"),
        ('[[supervisors]]\nid = "s2"\nendpoint = "PJSIP/2002"\nteams = []\n',
         "supervisors[1].teams: a supervisor must list at least one team to supervise"),
        ('[[supervisors]]\nid = "s2"\nendpoint = "PJSIP/2002"\n',
         "supervisors[1].teams: a supervisor must list at least one team to supervise"),
        ('[[queues]]\nname = "b"\nteams = ["support"]\ncolour = "red"\n',
         "queues[1].colour: unknown key"),
        ('[[queues]]\nname = "b"\n', "queues[1]: a queue needs 'agents' or 'teams'"),
        ('[[agents]]\nid = "1002"\nendpoint = "PJSIP/1002"\nseniority = "guru"\n',
         "agents[1].seniority: unknown seniority 'guru' (expected senior, regular, trainee)"),
        ('[[agents]]\nid = "1002"\nendpoint = "PJSIP/1002"\nmentor = "zz"\n',
         "agents[1].mentor: unknown mentor 'zz'"),
        ('[[queues]]\nname = "bad name"\nteams = ["support"]\n', "queues[1].name: String should match"),
    ],
)
def test_each_rule_names_field_and_line(tmp_path: Path, addition: str, expected: str) -> None:
    text = BASE + addition
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    assert expected in found[0]
    # The line printed is the line of the offending key (or its table header).
    line = int(found[0].split(":")[1])
    first_word = expected.split(":")[0].rsplit(".", 1)[-1].split("[")[0]
    assert first_word in text.splitlines()[line - 1] or "[[" in text.splitlines()[line - 1]


def test_top_level_errors(tmp_path: Path) -> None:
    found = problems(tmp_path, 'timezone = "Mars/Base"\n[ami]\nport = 99999\n' + BASE)
    assert found[0].endswith("timezone: unknown timezone 'Mars/Base' (an IANA name such as Europe/Berlin)")
    assert ":1:" in found[0]
    assert ":3: ami.port:" in found[1]


def test_broken_toml_names_line(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE + "\n[ami\n")
    assert len(found) == 1 and "not valid TOML" in found[0]


def test_five_mistakes_all_reported_by_cli(tmp_path: Path) -> None:
    path = tmp_path / "five.toml"
    path.write_text(
        'timezone = "Nowhere/Land"\n' + BASE
        + '[[agents]]\nid = "1001"\nendpoint = "PJSIP/1"\n'
        + '[[queues]]\nname = "x"\npolicy = "senoir_first"\nagents = ["ghost"]\n'
        + '[[supervisors]]\nid = "s9"\nendpoint = "PJSIP/9"\nteams = []\n'
    )
    res = subprocess.run([sys.executable, "-m", "ccd", "check-config", str(path)],
                         capture_output=True, text=True)
    assert res.returncode == 1
    lines = [line for line in res.stderr.splitlines() if line.startswith(str(path) + ":")]
    paths = {line.split(": ")[1] for line in lines if line.count(":") >= 3}
    assert {"timezone", "agents[1].id", "queues[1].policy", "queues[1].agents[0]",
            "supervisors[1].teams"} <= paths


def test_load_config_raises_with_all_problems(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(BASE + '[[queues]]\nname = "q2"\nagents = ["a", "b"]\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert len(err.value.problems) == 2


def test_secrets_never_in_repr_and_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCD_AMI_SECRET")
    secret_file = tmp_path / "ami.secret"
    secret_file.write_text("from-file\n")
    cfg = CcdConfig.model_validate({"ami": {"secret": "inline-s3cret", "secret_file": str(secret_file)}})
    assert "inline-s3cret" not in repr(cfg) and "inline-s3cret" not in str(cfg.model_dump())
    resolved = cfg.ami.resolved_secret()
    assert resolved is not None and resolved.get_secret_value() == "from-file"
    monkeypatch.setenv("CCD_AMI_SECRET", "from-env")
    resolved = cfg.ami.resolved_secret()
    assert resolved is not None and resolved.get_secret_value() == "from-env"


def test_queue_members_by_team_and_id(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(BASE + '[[agents]]\nid = "2"\nendpoint = "PJSIP/2"\n'
                    + '[[queues]]\nname = "mixed"\nteams = ["support"]\nagents = ["2"]\n')
    cfg = load_config(path)
    assert [a.id for a in cfg.queue_members(cfg.queues[1])] == ["1001", "2"]


@pytest.mark.parametrize(
    ("raw", "cc", "expected"),
    [
        ("030 1234567", "49", "+49301234567"),
        ("0049301234567", "49", "+49301234567"),
        ("+44 20 7946 0000", "49", "+442079460000"),
        ("5551234", None, "5551234"),
        ("anonymous", "49", None),
        ("", "49", None),
        (None, "49", None),
        ("abc", "49", None),
    ],
)
def test_normalise_number(raw: str | None, cc: str | None, expected: str | None) -> None:
    cfg = CcdConfig.model_validate({"country_code": cc} if cc else {})
    assert normalise_number(raw, cfg) == expected


def test_missing_rating_prompts_are_reported(tmp_path: Path) -> None:
    text = f'sounds_dir = "{tmp_path}"\n' + BASE + "[queues.rating]\nenabled = true\n"
    found = problems(tmp_path, text)
    assert len(found) == 4
    assert all("queues[0].rating: missing prompt file" in p for p in found)
    assert any(f"{tmp_path}/ccd/en/rate-call.wav (" in p for p in found)
    # the message says which step fixes it (the README's deployment step 3 builds them)
    assert all(p.endswith(f"(build and install ccd's prompts: scripts/build-prompts --install {tmp_path})")
               for p in found)
    for name in ("rate-call", "invalid", "thank-you", "goodbye-no-input"):
        (tmp_path / "ccd" / "en").mkdir(parents=True, exist_ok=True)
        (tmp_path / "ccd" / "en" / f"{name}.wav").write_bytes(b"RIFF")
    assert problems(tmp_path, text) == []


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, elsewhere = tmp_path / "etc", tmp_path / "cwd"
    home.mkdir()
    elsewhere.mkdir()
    (home / "tokens").mkdir()
    (home / "tokens" / "admin").write_text("t0ken\n")
    path = home / "ccd.toml"
    path.write_text('recordings_dir = "rec"\nasterisk_recording_dir = "/var/spool/asterisk/recording"\n'
                    '[database]\nspool_dir = "state/spool"\n'
                    '[http]\n[[http.tokens]]\nname = "admin"\nrole = "admin"\ntoken_file = "tokens/admin"\n'
                    + BASE)
    monkeypatch.chdir(elsewhere)
    cfg = load_config(path)
    assert cfg.recordings_dir == home / "rec"
    assert cfg.database.spool_dir == home / "state" / "spool"
    assert cfg.http.tokens[0].token_file == home / "tokens" / "admin"
    assert cfg.http.tokens[0].resolved_token().get_secret_value() == "t0ken"
    assert cfg.asterisk_recording_dir == Path("/var/spool/asterisk/recording")
    assert CcdConfig.model_validate({"recordings_dir": "rec"}).recordings_dir == Path("rec")  # no file, no base


def test_callbacks_enabled_need_an_offer_trigger(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE + "\n[queues.callback]\nenabled = true\n")
    assert any("queues[0].callback.enabled: no caller would be offered a callback" in p for p in found), found
    found = problems(tmp_path, BASE + "\n[queues.callback]\nenabled = true\noffer_after = 60\n")
    assert not any("callback" in p for p in found), found
