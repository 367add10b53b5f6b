"""Pure parts of call recording: file names, paths by date, durations from files."""

from __future__ import annotations

import struct
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccd.recordings.core import layout

IDS = st.from_regex(r"\A[A-Za-z0-9._-]{1,40}\Z").filter(lambda s: s not in (".", ".."))
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC))
ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati"])


@given(IDS, MOMENTS, ZONES, st.sampled_from(sorted(layout.FORMATS)))
def test_path_is_local_date_then_call_id(call_id: str, at: datetime, zone: str, fmt: str) -> None:
    tz = ZoneInfo(zone)
    rel = layout.relative_path(call_id, at, tz, fmt)
    local = at.astimezone(tz)
    assert rel.parts[:3] == (f"{local:%Y}", f"{local:%m}", f"{local:%d}")
    assert rel.name == f"{call_id}.{layout.FORMATS[fmt].ext}"
    assert layout.resolve(Path("/r"), str(rel)) == Path("/r", *rel.parts)


@given(IDS)
def test_spool_name_round_trips(call_id: str) -> None:
    assert layout.call_id_of(layout.spool_name(call_id)) == call_id


def test_midnight_belongs_to_the_day_the_call_began() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    at = datetime(2026, 3, 1, 22, 59, 59, tzinfo=UTC)  # 23:59:59 in Berlin
    assert layout.relative_path("1.2", at, berlin, "wav") == PurePosixPath("2026/03/01/1.2.wav")
    later = at + timedelta(seconds=1)
    assert layout.relative_path("1.2", later, berlin, "wav49") == PurePosixPath("2026/03/02/1.2.WAV")


@pytest.mark.parametrize("bad", ["", "..", "a/b", "../x", "a b", "x" * 129, "é"])
def test_unsafe_call_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        layout.spool_name(bad)
    assert layout.call_id_of("ccd-" + bad) is None


@pytest.mark.parametrize("bad", ["/etc/passwd", "../x.wav", "2026/../../x", ""])
def test_resolve_never_leaves_the_root(bad: str) -> None:
    with pytest.raises(ValueError):
        layout.resolve(Path("/r"), bad)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError):
        layout.relative_path("1.2", datetime(2026, 1, 1), ZoneInfo("UTC"), "wav")


def write_wav(path: Path, seconds: float, sample: bytes = b"\0\0") -> None:
    """8 kHz mono 16-bit PCM, as Asterisk's format_wav writes it."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(sample * int(8000 * seconds))


def test_durations_from_files(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    write_wav(wav, 3)
    assert layout.duration_s(wav, "wav") == pytest.approx(3.0)
    gsm = tmp_path / "a.gsm"
    gsm.write_bytes(b"\0" * 1650 * 2)
    assert layout.duration_s(gsm, "gsm") == pytest.approx(2.0)
    w49 = tmp_path / "a.WAV"
    w49.write_bytes(b"\0" * (60 + 1625 * 4))
    assert layout.duration_s(w49, "wav49") == pytest.approx(4.0)
    ogg = tmp_path / "a.ogg"
    page = b"OggS\x00\x04" + struct.pack("<q", 8000 * 5) + b"\0" * 20
    ogg.write_bytes(b"OggS" + b"\0" * 100 + page)
    assert layout.duration_s(ogg, "ogg") == pytest.approx(5.0)
    assert layout.duration_s(tmp_path / "missing.wav", "wav") is None
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav file at all" * 5)
    assert layout.duration_s(junk, "wav") is None


def test_format_of_extension() -> None:
    assert layout.format_of(Path("x/1.2.WAV")) == layout.FORMATS["wav49"]
    assert layout.format_of(Path("x/1.2.ogg")) == layout.FORMATS["ogg"]
    assert layout.format_of(Path("x/1.2.mp3")) is None


def test_check_config_wants_the_announcement_prompt_only_when_announcing(tmp_path: Path) -> None:
    from ccd.config_load import check_config

    sounds = tmp_path / "sounds"
    base = ('sounds_dir = "{}"\n[[teams]]\nname = "t"\n[[queues]]\nname = "q"\nteams = ["t"]\nlanguage = "ru"\n'
            "[queues.recording]\nenabled = true\nannounce = {}\n")
    cfg = tmp_path / "c.toml"
    cfg.write_text(base.format(sounds, "false"))
    assert check_config(cfg, secrets=False)[1] == []
    cfg.write_text(base.format(sounds, "true"))
    problems = check_config(cfg, secrets=False)[1]
    assert [(p.path, p.message) for p in problems] == [
        ("queues[0].recording.announce", f"missing prompt file {sounds}/ccd/ru/call-recorded.wav (build and install ccd's prompts: "
         f"scripts/build-prompts --install {sounds})")]
    (sounds / "ccd/ru").mkdir(parents=True)
    (sounds / "ccd/ru/call-recorded.gsm").write_bytes(b"x")
    assert check_config(cfg, secrets=False)[1] == []


def test_spool_files_finds_only_ccd_recordings(tmp_path: Path) -> None:
    for name in ("ccd-1700000000.12.wav", "ccd-1700000001.3.WAV", "ccd-x.gsm", "other-1.wav", "ccd-1.mp3"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "ccd-dir.wav").mkdir()
    assert layout.spool_files(tmp_path) == [
        ("1700000000.12", "wav"), ("1700000001.3", "wav49"), ("x", "gsm")]
    assert layout.spool_files(tmp_path / "missing") == []


def test_repair_wav_header_of_a_file_asterisk_never_closed(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    write_wav(path, 1, b"\x01\x00")
    raw = bytearray(path.read_bytes())
    raw[4:8] = raw[40:44] = b"\x00\x00\x00\x00"  # what a crash leaves: sizes never written
    path.write_bytes(bytes(raw))
    assert layout.repair_wav_header(path) is True
    with wave.open(str(path)) as w:
        assert w.getnframes() == 8000
    assert layout.repair_wav_header(path) is False  # already right: untouched
    (tmp_path / "not.wav").write_bytes(b"garbage")
    assert layout.repair_wav_header(tmp_path / "not.wav") is False
