"""Pure facts about recording files: formats, names and where a file lives by date.

Asterisk names the spool file ``<name>.<ext>`` where ext is what the format writes (checked
on Asterisk 16: ``wav49`` writes ``.WAV``); ccd stores it as
``<recordings_dir>/YYYY/MM/DD/<call_id>.<ext>`` with the date of the recording's start in
the configured timezone, and keeps that path *relative* to ``recordings_dir`` in the store
so the directory can move.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Final
from zoneinfo import ZoneInfo

SPOOL_PREFIX: Final = "ccd-"
OGG_TAIL: Final = 65536
_SAFE_ID: Final = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


@dataclass(frozen=True)
class Format:
    name: str  # the ARI ``format`` parameter
    ext: str  # the extension Asterisk writes
    content_type: str
    bytes_per_s: float | None  # constant-rate formats: duration from the size alone
    header: int = 0


FORMATS: Final[dict[str, Format]] = {
    "wav": Format("wav", "wav", "audio/wav", None),  # 8 kHz 16-bit PCM: read the header
    "wav49": Format("wav49", "WAV", "audio/wav", 1625.0, 60),  # GSM in WAV: 65 bytes / 40 ms
    "gsm": Format("gsm", "gsm", "audio/x-gsm", 1650.0),  # 33 bytes / 20 ms
    "ogg": Format("ogg", "ogg", "audio/ogg", None),  # Vorbis: plays in every browser
}


def check_call_id(call_id: str) -> str:
    """Call ids become file names: refuse anything that could leave the directory."""
    if not _SAFE_ID.match(call_id) or call_id in (".", ".."):
        raise ValueError(f"unsafe call id {call_id!r}")
    return call_id


def spool_name(call_id: str) -> str:
    """The ARI recording name (flat: a '/' would need escaping in /recordings/live/{name})."""
    return SPOOL_PREFIX + check_call_id(call_id)


def call_id_of(spool: str) -> str | None:
    """The call a live recording belongs to (so a restarted ccd can still file it)."""
    if not spool.startswith(SPOOL_PREFIX):
        return None
    try:
        return check_call_id(spool[len(SPOOL_PREFIX):])
    except ValueError:
        return None


def spool_files(spool_dir: Path) -> list[tuple[str, str]]:
    """(call id, format) of every ccd recording file in Asterisk's spool directory."""
    by_ext = {f.ext: name for name, f in FORMATS.items()}
    out = []
    try:
        entries = sorted(Path(spool_dir).iterdir())
    except OSError:
        return []
    for path in entries:
        call_id, fmt = call_id_of(path.stem), by_ext.get(path.suffix.lstrip("."))
        if call_id is not None and fmt is not None and path.is_file():
            out.append((call_id, fmt))
    return out


def spool_file(spool_dir: Path, call_id: str, fmt: str) -> Path:
    return Path(spool_dir) / f"{spool_name(call_id)}.{FORMATS[fmt].ext}"


def relative_path(call_id: str, started: datetime, tz: ZoneInfo, fmt: str) -> PurePosixPath:
    """``YYYY/MM/DD/<call_id>.<ext>``: the local date of the start (an operator looks in
    "today's" folder), so a call across midnight stays in the day it began."""
    if started.tzinfo is None:
        raise ValueError("started must be timezone-aware")
    day = started.astimezone(tz)
    return PurePosixPath(f"{day:%Y}", f"{day:%m}", f"{day:%d}",
                         f"{check_call_id(call_id)}.{FORMATS[fmt].ext}")


def resolve(root: Path, relative: str) -> Path:
    """The absolute path of a stored file; refuses paths that escape ``root``."""
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"bad stored path {relative!r}")
    return Path(root).joinpath(*rel.parts)


def format_of(path: Path) -> Format | None:
    ext = path.suffix.lstrip(".")
    return next((f for f in FORMATS.values() if f.ext == ext), None)


def duration_s(path: Path, fmt: str) -> float | None:
    """Seconds of audio in a finished file, from its header or size; None if unreadable."""
    f = FORMATS[fmt]
    try:
        size = path.stat().st_size
        if f.bytes_per_s is not None:
            return max(0.0, size - f.header) / f.bytes_per_s
        with open(path, "rb") as fh:
            if f.name == "ogg":  # the last page holds the total; it is near the end
                fh.seek(max(0, size - OGG_TAIL))
            data = fh.read(64 if f.name == "wav" else OGG_TAIL)
    except OSError:
        return None
    return _wav_duration(data, size) if f.name == "wav" else _ogg_duration(data)


def _wav_duration(head: bytes, size: int) -> float | None:
    # Asterisk's format_wav writes a 44-byte header: byte rate at 28. Use the file size, not
    # the data length field, so a file whose header was never finalised still measures.
    if len(head) < 44 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    (byte_rate,) = struct.unpack_from("<I", head, 28)
    return (size - 44) / byte_rate if byte_rate else None


def repair_wav_header(path: Path) -> bool:
    """Set a 44-byte PCM WAV header's sizes from the file size. Asterisk writes them when it
    closes the file, so a recording cut by an Asterisk crash says "no data" to every player.
    Returns True if the header was rewritten."""
    with open(path, "r+b") as fh:
        head = fh.read(44)
        size = fh.seek(0, 2)
        if len(head) < 44 or head[:4] != b"RIFF" or head[8:12] != b"WAVE" or head[36:40] != b"data":
            return False
        riff, data = struct.unpack_from("<I", head, 4)[0], struct.unpack_from("<I", head, 40)[0]
        if (riff, data) == (size - 8, size - 44):
            return False
        fh.seek(4)
        fh.write(struct.pack("<I", size - 8))
        fh.seek(40)
        fh.write(struct.pack("<I", size - 44))
    return True


def _ogg_duration(tail: bytes, rate: int = 8000) -> float | None:
    # The last page's granule position counts samples (Asterisk writes 8 kHz Vorbis).
    pos = tail.rfind(b"OggS")
    if pos < 0 or len(tail) < pos + 14:
        return None
    (granule,) = struct.unpack_from("<q", tail, pos + 6)
    return granule / rate if granule >= 0 else None
