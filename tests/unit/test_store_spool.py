"""Spool file format: framing round-trip, torn tails, damage in the middle, the cap."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ccd.store.spool import HEADER, MAGIC, Spool, frame, parse, recover

bodies_st = st.lists(st.binary(max_size=300), max_size=30)


@given(bodies_st)
def test_frames_round_trip(bodies: list[bytes]) -> None:
    buf = b"".join(frame(b) for b in bodies)
    got, end, damaged = parse(buf)
    assert got == bodies and end == len(buf) and not damaged
    assert recover(buf) == (bodies, len(buf), 0)


@given(bodies_st.filter(bool), st.data())
def test_truncated_last_record_is_cut_and_nothing_else_lost(
    bodies: list[bytes], data: st.DataObject
) -> None:
    buf = b"".join(frame(b) for b in bodies)
    last = len(frame(bodies[-1]))
    cut = data.draw(st.integers(1, last - 1 if last > 1 else 1))
    torn = buf[: len(buf) - cut]
    got, end, skipped = recover(torn)
    assert got == bodies[:-1]
    assert end == len(buf) - last
    assert skipped == 0


@given(st.lists(st.binary(min_size=1, max_size=200), min_size=3, max_size=20), st.data())
@settings(max_examples=200)
def test_damage_in_the_middle_skips_only_the_damaged_record(
    bodies: list[bytes], data: st.DataObject
) -> None:
    frames = [frame(b) for b in bodies]
    victim = data.draw(st.integers(1, len(bodies) - 2))
    pos = data.draw(st.integers(0, len(frames[victim]) - 1))
    broken = bytearray(frames[victim])
    broken[pos] ^= 0xFF
    buf = b"".join(frames[:victim]) + bytes(broken) + b"".join(frames[victim + 1 :])
    got, end, skipped = recover(buf)
    assert end == len(buf)
    assert got == bodies[:victim] + bodies[victim + 1 :]
    assert skipped == len(frames[victim])


def test_spool_append_read_commit_and_truncate(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s", max_bytes=10_000)
    sp.open()
    assert sp.append([b"a", b"bb", b"ccc"])
    assert sp.pending == 3
    got, off = sp.read(2)
    assert got == [b"a", b"bb"]
    sp.commit_read(off, 2)
    assert sp.pending == 1
    got, off = sp.read(10)
    assert got == [b"ccc"]
    sp.commit_read(off, 1)
    assert sp.pending == 0 and sp.size == 0
    assert (tmp_path / "s").stat().st_size == 0  # emptied once fully drained
    sp.close()


def test_spool_refuses_past_its_cap(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s", max_bytes=3 * (HEADER.size + 10))
    sp.open()
    assert sp.append([b"x" * 10, b"y" * 10])
    assert not sp.append([b"z" * 10, b"w" * 10])  # all or nothing
    assert sp.append([b"z" * 10])
    assert not sp.append([b""])
    assert sp.pending == 3
    sp.close()


def test_reopen_cuts_torn_tail_and_keeps_damaged_copy(tmp_path: Path) -> None:
    path = tmp_path / "s"
    path.write_bytes(frame(b"one") + frame(b"two") + frame(b"three")[:7])
    sp = Spool(path, 1 << 20)
    sp.open()
    assert sp.pending == 2
    assert path.stat().st_size == len(frame(b"one") + frame(b"two"))
    assert sp.append([b"four"])
    got, _ = sp.read(10)
    assert got == [b"one", b"two", b"four"]
    sp.close()

    bad = bytearray(frame(b"one") + frame(b"two") + frame(b"three"))
    bad[len(frame(b"one")) + HEADER.size] ^= 0x01  # flip a bit in "two"
    path.write_bytes(bytes(bad))
    sp = Spool(path, 1 << 20)
    sp.open()
    assert sp.read(10)[0] == [b"one", b"three"]
    assert sp.damaged_bytes == len(frame(b"two"))
    assert list(tmp_path.glob("s.damaged-*"))  # the original is kept for forensics
    sp.close()


def test_magic_inside_a_body_does_not_confuse_recovery() -> None:
    bodies = [MAGIC * 3, b"x" + MAGIC, MAGIC]
    buf = b"".join(frame(b) for b in bodies)
    assert recover(buf + MAGIC + b"\x00")[0] == bodies


def test_zero_filled_tail_is_cut_without_a_forensic_copy(tmp_path: Path) -> None:
    path = tmp_path / "s"
    path.write_bytes(frame(b"one") + b"\x00" * 4096)  # what a power cut can leave behind
    sp = Spool(path, 1 << 20)
    sp.open()
    assert sp.pending == 1 and sp.damaged_bytes == 0
    assert path.stat().st_size == len(frame(b"one"))
    assert not list(tmp_path.glob("s.damaged-*"))
    sp.close()
