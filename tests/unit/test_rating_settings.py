"""Survey settings, the prompt catalogue, sound names and the check-config helper."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from ccd import prompts as P
from ccd.queues.core.announce import AnnounceSettings, prompt_names
from ccd.rating_ivr import SurveySettings, missing_prompts


@pytest.mark.parametrize(
    "kw",
    [
        {"scale_max": 1},
        {"scale_max": 10},
        {"scale_max": True},
        {"scale_max": 5.0},
        {"retries": -1},
        {"retries": 10},
        {"timeout_s": 0},
        {"timeout_s": math.nan},
        {"playback_guard_s": -1},
        {"language": "EN"},
        {"language": "en/../x"},
        {"prompts": {"menu": "x"}},
        {"prompts": {"rate-call": "a,b"}},
        {"prompts": {"rate-call": "sound:x"}},
        {"prompts": {"rate-call": "../etc/passwd"}},
        {"prompts": {"rate-call": "custom/../x"}},
        {"prompts": {"rate-call": "has space"}},
        {"prompts": {"rate-call": ""}},
    ],
)
def test_invalid_settings_are_rejected(kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SurveySettings(**kw)


def test_defaults_and_prompt_names() -> None:
    s = SurveySettings()
    assert (s.enabled, s.scale_max, s.language, s.retries, s.announce_at_start) == (
        True, 5, "en", 2, False,
    )
    assert s.prompt_names() == ("rate-call", "invalid", "thank-you", "goodbye-no-input")
    assert SurveySettings(announce_at_start=True).prompt_names()[-1] == "rating-follows"
    assert SurveySettings(enabled=False).prompt_names() == ()
    assert SurveySettings(scale_max=3).prompt_names()[0] == "rate-call-3"
    custom = SurveySettings(scale_max=3, prompts={"rate-call": "custom/q/rate"}, language="pt_BR")
    assert custom.prompt("rate-call") == "custom/q/rate"
    assert custom.uri("invalid") == "sound:ccd/pt_BR/invalid"
    with pytest.raises(TypeError):
        custom.prompts["invalid"] = "x"  # type: ignore[index]
    with pytest.raises(KeyError):
        s.prompt("menu")


def test_sound_name_rules() -> None:
    assert P.sound_name("en", "rate-call") == "ccd/en/rate-call"
    assert P.sound_name("ru", "custom/acme/rate") == "custom/acme/rate"
    assert P.sound_name("ru", "/var/lib/ccd/acme") == "/var/lib/ccd/acme"
    assert P.sound_uri("ru", "thank-you") == "sound:ccd/ru/thank-you"
    assert P.prompt_path(Path("/s"), "en", "invalid") == Path("/s/ccd/en/invalid.wav")


def test_catalogue_is_complete_and_consistent() -> None:
    assert set(P.LANGUAGES) == {"en", "ru"} == set(P.VOICES)
    names = set(P.CATALOGUE["en"])
    assert names == set(P.CATALOGUE["ru"])
    expected = {P.rate_prompt_name(n) for n in P.SCALES} | {
        P.INVALID, P.THANK_YOU, P.GOODBYE_NO_INPUT, P.RATING_FOLLOWS,
        P.CALL_RECORDED,  # the recording announcement (ccd.recordings)
    } | set(prompt_names(AnnounceSettings(30, position=True, hold_time=True))) | (  # queue announcements
        P.callback_prompt_names())  # callback offer, delivery and agent announcement (ccd.callbacks)
    assert names == expected
    assert P.CATALOGUE["en"]["queue-wait-1"] == "The expected wait is about 1 minute."
    assert P.CATALOGUE["ru"]["queue-position-3"] == "Вы третий в очереди."
    assert all(text.strip() for texts in P.CATALOGUE.values() for text in texts.values())
    assert "from 1, poor, to 5, excellent" in P.CATALOGUE["en"]["rate-call"]
    assert "to 7, excellent" in P.CATALOGUE["en"]["rate-call-7"]
    assert "от одного до семи" in P.CATALOGUE["ru"]["rate-call-7"]
    for n in P.SCALES:  # every scale's default question exists in every language
        for lang in P.LANGUAGES:
            assert SurveySettings(scale_max=n).prompt("rate-call") in P.CATALOGUE[lang]


def test_missing_prompts(tmp_path: Path) -> None:
    en = tmp_path / "ccd" / "en"
    en.mkdir(parents=True)
    (en / "rate-call.wav").write_bytes(b"x")
    (en / "invalid.gsm").write_bytes(b"x")  # any playable format counts
    (en / "thank-you.txt").write_bytes(b"x")  # not audio
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / "acme.sln").write_bytes(b"x")
    absolute = tmp_path / "abs-rate"
    names = [
        "rate-call", "invalid", "thank-you", "goodbye-no-input", "thank-you",
        "custom/acme", str(absolute), "bad,name",
    ]
    assert missing_prompts(tmp_path, "en", names) == [
        en / "thank-you.wav",
        en / "goodbye-no-input.wav",
        absolute.with_name("abs-rate.wav"),
        tmp_path / "bad,name.wav",
    ]
    assert missing_prompts(tmp_path, "ru", ["custom/acme"]) == []
    assert missing_prompts(tmp_path, "ru", ["rate-call"]) == [tmp_path / "ccd/ru/rate-call.wav"]
