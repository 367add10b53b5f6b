"""The generated prompts: built by scripts/build-prompts, playable by Asterisk, not silent.

Never skipped: if espeak-ng or sox is missing the build fails and so does this test, with the
script's reason.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import wave
from array import array
from pathlib import Path

import pytest

from ccd import prompts as P
from ccd.rating_ivr import SurveySettings, missing_prompts

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build-prompts"
BUILD = REPO / "prompts-build"


def build(*args: str) -> str:
    res = subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    if res.returncode != 0:
        pytest.fail(f"scripts/build-prompts {' '.join(args)} failed ({res.returncode}):\n"
                    f"{res.stdout}{res.stderr}")
    return res.stdout


@pytest.fixture(scope="module")
def sounds() -> Path:
    assert SCRIPT.is_file() and SCRIPT.stat().st_mode & 0o111, f"{SCRIPT} must be executable"
    build()  # what the install step runs: the repo's build dir
    return BUILD / "sounds"


def all_prompts() -> list[tuple[str, str]]:
    return [(lang, name) for lang, texts in P.CATALOGUE.items() for name in texts]


@pytest.mark.parametrize(("lang", "name"), all_prompts())
def test_prompt_is_8khz_mono_16bit_and_audible(sounds: Path, lang: str, name: str) -> None:
    path = P.prompt_path(sounds, lang, name)
    assert path.is_file(), f"{path} was not generated"
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getcomptype() == "NONE"
        samples = array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()  # wav is little-endian
    seconds = len(samples) / 8000
    one_word = name.startswith("cb-digit-")  # a digit read back alone: short by nature
    assert (0.4 if one_word else 0.8) < seconds < 30, f"{path}: {seconds:.2f} s"
    peak = max(abs(s) for s in samples)
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    assert peak > 0.3 * 32767, f"{path}: peak {peak} (silent?)"
    assert rms > 0.02 * 32767, f"{path}: rms {rms:.0f} (silent?)"
    voiced = sum(1 for i in range(0, len(samples) - 80, 80) if max(samples[i:i + 80]) > 1000)
    assert voiced / (len(samples) / 80) > (0.15 if one_word else 0.3), f"{path}: mostly silence"


def test_every_setting_finds_its_prompts(sounds: Path) -> None:
    for lang in P.LANGUAGES:
        assert missing_prompts(sounds, lang, P.CATALOGUE[lang]) == []
        for n in P.SCALES:
            cfg = SurveySettings(scale_max=n, language=lang, announce_at_start=True)
            assert missing_prompts(sounds, lang, cfg.prompt_names()) == []
    assert missing_prompts(sounds, "de", ["rate-call"]) == [sounds / "ccd/de/rate-call.wav"]


def test_second_run_rebuilds_nothing(sounds: Path) -> None:
    out = build()
    assert f"0 built, {len(all_prompts())} up to date, 0 removed" in out, out


def test_only_changed_prompts_are_rebuilt_reproducibly(sounds: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    shutil.copytree(BUILD, out)
    manifest = json.loads((out / "manifest.json").read_text())
    target = "ccd/ru/thank-you.wav"
    before = (out / "sounds" / target).read_bytes()
    manifest[target] = "0" * 64  # as if its text had changed
    manifest["ccd/en/retired.wav"] = "1" * 64  # a prompt we made once and no longer ship
    (out / "sounds" / "ccd/en/retired.wav").write_bytes(b"old")
    (out / "sounds" / "ccd/en/invalid.wav").unlink()  # deleted by hand
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "sounds" / "ccd/en/admin-own.wav").write_bytes(b"kept")  # not ours: untouched
    log = build("--out", str(out))
    assert "2 built" in log and "1 removed" in log, log
    assert (out / "sounds" / target).read_bytes() == before  # same bytes: reproducible
    assert (out / "sounds" / "ccd/en/invalid.wav").is_file()
    assert not (out / "sounds" / "ccd/en/retired.wav").exists()
    assert (out / "sounds" / "ccd/en/admin-own.wav").read_bytes() == b"kept"
    installed = tmp_path / "asterisk-sounds"
    log = build("--out", str(out), "--install", str(installed))
    assert "0 built" in log and f"{len(all_prompts())} copied" in log, log
    assert missing_prompts(installed, "ru", P.CATALOGUE["ru"]) == []


def test_missing_tool_fails_with_the_reason(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60, env={"PATH": str(tmp_path)},
    )
    assert res.returncode == 1
    assert "espeak-ng not found on PATH" in res.stderr
