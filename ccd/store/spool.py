"""The on-disk spool: an append-only file of framed records that outlives a database outage.

Record frame: ``b"CCD1"`` | body length (u32 BE) | CRC-32 of body (u32 BE) | body.
A crash can only tear the *last* record (we append, never rewrite); on open that torn tail
is cut off. A damaged record in the middle (disk trouble) is skipped by searching for the
next valid frame, and the original file is kept beside the spool for forensics.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import threading
import time
import zlib
from pathlib import Path
from typing import Final

from ccd.errors import CcdError

log = logging.getLogger(__name__)

MAGIC: Final = b"CCD1"
HEADER: Final = struct.Struct(">4sII")
MAX_BODY: Final = 64 * 1024 * 1024
_READ_CHUNK: Final = 4 * 1024 * 1024


def frame(body: bytes) -> bytes:
    return HEADER.pack(MAGIC, len(body), zlib.crc32(body)) + body


def parse(buf: bytes, start: int = 0) -> tuple[list[bytes], int, bool]:
    """Parse whole records from ``buf[start:]``.

    Returns (bodies, end offset of the last whole record, damaged): ``damaged`` is True when
    parsing stopped at bytes that are not a valid record (as opposed to simply running out).
    """
    bodies: list[bytes] = []
    pos, n = start, len(buf)
    while n - pos >= HEADER.size:
        magic, length, crc = HEADER.unpack_from(buf, pos)
        if magic != MAGIC or length > MAX_BODY:
            return bodies, pos, True
        end = pos + HEADER.size + length
        if end > n:
            break
        body = buf[pos + HEADER.size : end]
        if zlib.crc32(body) != crc:
            return bodies, pos, True
        bodies.append(body)
        pos = end
    return bodies, pos, False


def recover(buf: bytes) -> tuple[list[bytes], int, int]:
    """All valid records of a whole spool file, skipping damage.

    Returns (bodies, end of the last valid record, damaged bytes skipped before it).
    Bytes after the last valid record are a torn tail, not counted as damage.
    """
    bodies, good_end, _ = parse(buf)
    skipped, search = 0, good_end
    while good_end < len(buf):
        nxt = buf.find(MAGIC, search + 1)
        if nxt < 0:
            break
        more, end, _ = parse(buf, nxt)
        if more:  # valid frames after damage: keep them
            skipped += nxt - good_end
            bodies.extend(more)
            good_end = search = end
        else:
            search = nxt
    return bodies, good_end, skipped


class SpoolBusy(CcdError):
    """Another process holds the spool file: two daemons must not share one."""

    error_id = "store.spool_busy"
    status = 503


class Spool:
    """Thread-safe append/read of the spool file; the writer drains it in order."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._fd = -1
        self._size = 0  # bytes of whole records in the file
        self._read_pos = 0  # records before this offset are in the database
        self._pending = 0  # records after _read_pos
        self._dirty = False  # written but not yet fsync'ed
        self.damaged_bytes = 0

    # -- lifecycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Open (or create) and lock the file, cutting a torn tail left by a crash."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists()
        self._fd = self._open_locked()
        count, end, damaged = _scan(self.path)
        if damaged:
            count, end, replaced = self._repair()
            if replaced:  # our locked descriptor points at the kept original now
                os.close(self._fd)
                self._fd = self._open_locked()
        size = os.fstat(self._fd).st_size
        if end < size:
            log.warning("spool %s: cutting torn tail of %d bytes", self.path, size - end)
            os.ftruncate(self._fd, end)
            os.fsync(self._fd)
        if not existed:
            _fsync_path(self.path.parent)  # the new directory entry must survive a crash
        self._size, self._read_pos, self._pending = end, 0, count

    def _open_locked(self) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:  # two writers appending to one spool would interleave their records
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolBusy(f"spool {self.path} is in use by another process") from None
        return fd

    def _repair(self) -> tuple[int, int, bool]:
        """Damage before the tail (rare disk trouble): rewrite the valid records and keep
        the original beside the spool for forensics. Returns (records, end, replaced)."""
        bodies, end, skipped = recover(self.path.read_bytes())
        if not skipped:  # only a bad tail (e.g. zeros after a power cut): open() cuts it
            return len(bodies), end, False
        keep = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = b"".join(frame(b) for b in bodies)
        tmp.write_bytes(data)
        _fsync_path(tmp)
        os.replace(self.path, keep)
        os.replace(tmp, self.path)
        _fsync_path(self.path.parent)
        self.damaged_bytes = skipped
        log.error("spool %s had %d damaged bytes; original kept as %s", self.path, skipped, keep)
        return len(bodies), len(data), True

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                if self._dirty:
                    os.fsync(self._fd)
                os.close(self._fd)
                self._fd = -1

    # -- state -------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._size

    @property
    def pending(self) -> int:
        """Records on disk not yet committed to the database."""
        return self._pending

    @property
    def dirty(self) -> bool:
        return self._dirty

    # -- writing -----------------------------------------------------------------------

    def append(self, bodies: list[bytes], *, sync: bool = True) -> bool:
        """Append records; False (nothing written) when they would pass ``max_bytes``."""
        data = b"".join(frame(b) for b in bodies)
        with self._lock:
            if self._size + len(data) > self.max_bytes:
                return False
            _write_all(self._fd, data)
            self._size += len(data)
            self._pending += len(bodies)
            self._dirty = True
            if sync:
                os.fsync(self._fd)
                self._dirty = False
        return True

    def sync(self) -> None:
        with self._lock:
            if self._dirty:
                os.fsync(self._fd)
                self._dirty = False

    # -- draining ----------------------------------------------------------------------

    def read(self, max_records: int) -> tuple[list[bytes], int]:
        """Up to ``max_records`` bodies after the drained offset, and the offset after them."""
        with self._lock:
            start, end = self._read_pos, self._size
        bodies: list[bytes] = []
        chunk = _READ_CHUNK
        with open(self.path, "rb") as f:
            pos = start
            while pos < end and len(bodies) < max_records:
                f.seek(pos)
                buf = f.read(min(chunk, end - pos))
                got, used, damaged = parse(buf)
                if damaged:  # cannot happen below _size unless the file was changed under us
                    raise OSError(f"spool {self.path} damaged at offset {pos + used}")
                if not got:
                    chunk *= 2  # one record larger than the chunk
                    continue
                take = got[: max_records - len(bodies)]
                bodies.extend(take)
                pos += sum(HEADER.size + len(b) for b in take)
        return bodies, pos

    def commit_read(self, offset: int, count: int) -> None:
        """Mark records up to ``offset`` as stored; empty the file once all of it is."""
        with self._lock:
            self._read_pos = offset
            self._pending -= count
            if self._read_pos >= self._size:
                os.ftruncate(self._fd, 0)
                os.fsync(self._fd)
                self._size = self._read_pos = self._pending = 0
                self._dirty = False


def _scan(path: Path) -> tuple[int, int, bool]:
    """(records, end of the last whole record, damaged) reading in bounded chunks."""
    count = pos = 0
    buf = b""
    with open(path, "rb") as f:
        while chunk := f.read(_READ_CHUNK):
            buf += chunk
            bodies, used, damaged = parse(buf)
            count, pos, buf = count + len(bodies), pos + used, buf[used:]
            if damaged:
                return count, pos, True
    return count, pos, False  # what is left in buf is a torn tail


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
