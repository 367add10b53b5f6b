"""The Range header of a recording fetch: one range, normalised for the audit row (never the
raw header a client chose), or refused (416) when it asks for nothing or for several."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccd.recordings.routes import byte_range


@pytest.mark.parametrize(("header", "stored"), [
    ("bytes=100-1099", "bytes=100-1099"),
    ("bytes=0100-01099", "bytes=100-1099"),  # leading zeros: the same range, one spelling
    (" bytes = 100 - ", "bytes=100-"),
    ("bytes=-500", "bytes=-500"),
    ("bytes=0-", "bytes=0-"),
])
def test_a_range_is_stored_normalised(header: str, stored: str) -> None:
    assert byte_range(header) == stored


@pytest.mark.parametrize("header", [
    "bytes=-0",  # RFC 9110: a suffix of length 0 is unsatisfiable, not the whole file
    "bytes=-", "bytes=0-1,5-9", "bytes=9-2", "bytes=" + "1" * 40 + "-", "items=0-1", "bytes=0-1\x00",
    "bytes=1-2;x", "",
])
def test_a_range_asking_for_nothing_or_several_is_refused(header: str) -> None:
    assert byte_range(header) is None


@given(st.text(max_size=200))
def test_whatever_the_header_the_audit_gets_a_short_canonical_range(header: str) -> None:
    stored = byte_range(header)
    assert stored is None or (len(stored) <= 37 and re.fullmatch(r"bytes=(\d+-\d*|-[1-9]\d*)", stored))
