"""The Asterisk under test is one setting (CCD_TEST_ASTERISK), resolved in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccd.sandbox.asterisk_build import ENV, build_for, demo_build, selected


def test_default_is_the_packaged_16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    build = selected()
    assert build.major == 16
    assert build.modules == Path("/usr/lib/asterisk/modules")
    assert build.data == Path("/usr/share/asterisk")


def test_22_lives_in_its_own_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV, "22")
    monkeypatch.setenv("CCD_OPT_DIR", str(tmp_path))
    build = selected()
    assert build.major == 22
    assert build.binary == tmp_path / "asterisk-22" / "sbin" / "asterisk"
    assert build.modules == tmp_path / "asterisk-22" / "lib" / "asterisk" / "modules"
    assert build.data == tmp_path / "asterisk-22" / "var" / "lib" / "asterisk"
    assert not build.installed


def test_unknown_version_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "18")
    with pytest.raises(ValueError, match=r"CCD_TEST_ASTERISK='18': expected one of 16, 22"):
        selected()


def test_demo_prefers_22_when_built(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("CCD_OPT_DIR", str(tmp_path))
    assert demo_build().major == 16  # nothing built in this prefix
    prefix = tmp_path / "asterisk-22"
    (prefix / "sbin").mkdir(parents=True)
    (prefix / "sbin" / "asterisk").write_text("")
    (prefix / "lib" / "asterisk" / "modules").mkdir(parents=True)
    assert demo_build() == build_for("22")
    monkeypatch.setenv(ENV, "16")
    assert demo_build().major == 16  # an explicit choice wins
