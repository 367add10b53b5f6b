"""ccd's prompt catalogue (rating IVR, recording notice, queue announcements): names, texts
per language, and where the files live.

This module is the single source of the prompt texts: ``scripts/build-prompts`` loads it by
file path (stdlib only, no package imports on purpose) and synthesises every entry with
espeak-ng + sox into ``<out>/sounds/ccd/<lang>/<name>.wav`` (8 kHz, mono, 16-bit PCM).

Sound names, as ARI ``sound:`` URIs use them, are relative to Asterisk's sounds directory
(``<astdatadir>/sounds``). ccd puts the language **in the path** (``ccd/en/rate-call``)
instead of relying on the channel language: the per-queue language then decides, whatever
language the trunk set on the channel. (Asterisk first tries ``<chanlang>/ccd/en/rate-call``,
then ``ccd/en/rate-call``, so this works for every channel language.)

A prompt name given by an admin is resolved by one rule (:func:`sound_name`):
- a bare name (no ``/``), e.g. ``rate-call-3``: a ccd prompt in the queue's language;
- a path with ``/``, e.g. ``custom/acme/rate``: a sound relative to the sounds directory;
- an absolute path, e.g. ``/var/lib/ccd/prompts/acme-rate``: used as is.
Always without the file extension; Asterisk picks the format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

PROMPT_DIR: Final = "ccd"  # our subdirectory of <astdatadir>/sounds

RATE_CALL: Final = "rate-call"
INVALID: Final = "invalid"
THANK_YOU: Final = "thank-you"
GOODBYE_NO_INPUT: Final = "goodbye-no-input"
RATING_FOLLOWS: Final = "rating-follows"
CALL_RECORDED: Final = "call-recorded"  # played before queueing on recorded queues (ccd.recordings)

# Queue announcements (ccd.queues.core.announce): whole phrases, so that no language needs number
# grammar at run time. Positions and minutes beyond these are said as "many" / "long".
QUEUE_NEXT: Final = "queue-next"
QUEUE_POSITION_MANY: Final = "queue-position-many"
QUEUE_WAIT_UNDER_MINUTE: Final = "queue-wait-under-1"
QUEUE_WAIT_LONG: Final = "queue-wait-long"
QUEUE_THANKS: Final = "queue-thanks"
POSITIONS_SAID: Final = range(2, 11)

# Callbacks (ccd.callbacks): the caller's offer dialogue and the agent's announcement.
CB_OFFER: Final = "cb-offer"
CB_YOUR_NUMBER: Final = "cb-your-number"
CB_CONFIRM: Final = "cb-confirm"
CB_ENTER_NUMBER: Final = "cb-enter-number"
CB_INVALID: Final = "cb-invalid"
CB_CONFIRMED: Final = "cb-confirmed"
CB_MERGED: Final = "cb-merged"
CB_UNAVAILABLE: Final = "cb-unavailable"
CB_SORRY: Final = "cb-sorry"
CB_AGENT_FOR: Final = "cb-agent-for"
CB_AGENT_WAITED_LONG: Final = "cb-agent-waited-long"
CB_CUSTOMER_PRESS_1: Final = "cb-customer-press-1"
MINUTES_SAID: Final = range(1, 16)

DEFAULT_SCALE: Final = 5
SCALES: Final = range(2, 10)  # a single DTMF digit; 0 is never a score

# Extensions Asterisk can play (any one present is enough).
AUDIO_EXTENSIONS: Final = (
    "wav",
    "WAV",
    "wav16",
    "sln",
    "sln8",
    "sln16",
    "gsm",
    "ulaw",
    "alaw",
    "g722",
    "g729",
    "ogg",
    "opus",
    "siren7",
    "siren14",
)

# espeak-ng voice per language; the build script reads this too.
VOICES: Final[Mapping[str, str]] = {"en": "en-us", "ru": "ru"}

_RU_FROM: Final = {
    2: "двух",
    3: "трёх",
    4: "четырёх",
    5: "пяти",
    6: "шести",
    7: "семи",
    8: "восьми",
    9: "девяти",
}
_RU_TOP: Final = {2: "два", 3: "три", 4: "четыре", 5: "пять", 6: "шесть", 7: "семь", 8: "восемь", 9: "девять"}


def rate_prompt_name(scale_max: int) -> str:
    """The rating question for a scale: ``rate-call`` for 1-5, ``rate-call-N`` otherwise."""
    return RATE_CALL if scale_max == DEFAULT_SCALE else f"{RATE_CALL}-{scale_max}"


def _en_rate(n: int) -> str:
    return f"Please rate the agent who served you, from 1, poor, to {n}, excellent, on your telephone keypad."


def _ru_rate(n: int) -> str:
    # Numbers written out: espeak-ng would otherwise pick the wrong grammatical case.
    return (
        f"Пожалуйста, оцените работу оператора, который вас обслуживал, по шкале "
        f"от одного до {_RU_FROM[n]}, где один — плохо, а {_RU_TOP[n]} — отлично. "
        "Нажмите цифру на телефоне."
    )


def queue_position_name(position: int) -> str:
    return f"queue-position-{position}"


def queue_wait_name(minutes: int) -> str:
    return f"queue-wait-{minutes}"


_RU_ORDINAL: Final = {2: "второй", 3: "третий", 4: "четвёртый", 5: "пятый", 6: "шестой", 7: "седьмой",
                      8: "восьмой", 9: "девятый", 10: "десятый"}
_RU_MINUTES: Final = {1: "одной минуты", 2: "двух минут", 3: "трёх минут", 4: "четырёх минут",
                      5: "пяти минут", 6: "шести минут", 7: "семи минут", 8: "восьми минут",
                      9: "девяти минут", 10: "десяти минут", 11: "одиннадцати минут",
                      12: "двенадцати минут", 13: "тринадцати минут", 14: "четырнадцати минут",
                      15: "пятнадцати минут"}


def _queue_prompts() -> tuple[dict[str, str], dict[str, str]]:
    en = {
        QUEUE_NEXT: "You are next in line.",
        QUEUE_POSITION_MANY: "There are more than ten callers ahead of you.",
        QUEUE_WAIT_UNDER_MINUTE: "The expected wait is less than a minute.",
        QUEUE_WAIT_LONG: "The expected wait is more than fifteen minutes.",
        QUEUE_THANKS: "Thank you for holding. Your call will be answered by the next available agent.",
    }
    ru = {
        QUEUE_NEXT: "Вы следующий в очереди.",
        QUEUE_POSITION_MANY: "Перед вами более десяти звонков.",
        QUEUE_WAIT_UNDER_MINUTE: "Ожидаемое время ожидания — меньше минуты.",
        QUEUE_WAIT_LONG: "Ожидаемое время ожидания — более пятнадцати минут.",
        QUEUE_THANKS: "Спасибо за ожидание. Вам ответит первый освободившийся оператор.",
    }
    for n in POSITIONS_SAID:
        en[queue_position_name(n)] = f"You are number {n} in line."
        ru[queue_position_name(n)] = f"Вы {_RU_ORDINAL[n]} в очереди."
    for m in MINUTES_SAID:
        en[queue_wait_name(m)] = f"The expected wait is about {m} minute{'s' if m > 1 else ''}."
        ru[queue_wait_name(m)] = f"Ожидаемое время ожидания — около {_RU_MINUTES[m]}."
    return en, ru


def callback_digit_name(digit: str) -> str:
    return f"cb-digit-{digit}"


def callback_waited_name(minutes: int) -> str:
    return f"cb-agent-waited-{minutes}"


def callback_prompt_names() -> set[str]:
    """Every prompt the callback offer, delivery and agent announcement can play."""
    fixed = {CB_OFFER, CB_YOUR_NUMBER, CB_CONFIRM, CB_ENTER_NUMBER, CB_INVALID, CB_CONFIRMED,
             CB_MERGED, CB_UNAVAILABLE, CB_SORRY, CB_AGENT_FOR, CB_AGENT_WAITED_LONG,
             CB_CUSTOMER_PRESS_1}
    return fixed | {callback_digit_name(str(d)) for d in range(10)} | set(map(callback_waited_name, MINUTES_SAID))


_RU_DIGITS: Final = tuple("ноль один два три четыре пять шесть семь восемь девять".split())
_EN_DIGITS: Final = tuple("zero one two three four five six seven eight nine".split())


def _callback_prompts() -> tuple[dict[str, str], dict[str, str]]:
    en = {
        CB_OFFER: "To be called back, press 1. You keep your place in line.",
        CB_YOUR_NUMBER: "We will call you back at",
        CB_CONFIRM: "To confirm, press 1. To enter another number, press 2.",
        CB_ENTER_NUMBER: "Please enter the number to call you back at, then press the hash key.",
        CB_INVALID: "Sorry, that was not valid.",
        CB_CONFIRMED: "Thank you. We will call you back when it is your turn. Goodbye.",
        CB_MERGED: "A callback to this number is already booked. We keep it. Goodbye.",
        CB_UNAVAILABLE: "Sorry, a callback is not possible now. Please stay on the line.",
        CB_SORRY: "Sorry, we could not book a callback. You keep your place in line.",
        CB_AGENT_FOR: "Callback for",
        CB_AGENT_WAITED_LONG: "waited more than fifteen minutes.",
        CB_CUSTOMER_PRESS_1: "This is your callback. To talk to an agent now, press 1.",
    }
    ru = {
        CB_OFFER: "Чтобы мы вам перезвонили, нажмите 1. Ваше место в очереди сохранится.",
        CB_YOUR_NUMBER: "Мы перезвоним вам по номеру",
        CB_CONFIRM: "Для подтверждения нажмите 1. Чтобы ввести другой номер, нажмите 2.",
        CB_ENTER_NUMBER: "Пожалуйста, введите номер для обратного звонка и нажмите решётку.",
        CB_INVALID: "Извините, это неверный ввод.",
        CB_CONFIRMED: "Спасибо. Мы перезвоним вам, когда подойдёт ваша очередь. До свидания.",
        CB_MERGED: "Обратный звонок на этот номер уже заказан. Мы его сохраним. До свидания.",
        CB_UNAVAILABLE: "Извините, обратный звонок сейчас невозможен. Пожалуйста, оставайтесь на линии.",
        CB_SORRY: "Извините, не удалось заказать обратный звонок. Ваше место в очереди сохранено.",
        CB_AGENT_FOR: "Обратный звонок для",
        CB_AGENT_WAITED_LONG: "ожидание более пятнадцати минут.",
        CB_CUSTOMER_PRESS_1: "Это обратный звонок. Чтобы поговорить с оператором, нажмите 1.",
    }
    for d in range(10):
        en[callback_digit_name(str(d))] = _EN_DIGITS[d]
        ru[callback_digit_name(str(d))] = _RU_DIGITS[d]
    for m in MINUTES_SAID:
        en[callback_waited_name(m)] = f"waited {m} minute{'s' if m > 1 else ''}."
        ru[callback_waited_name(m)] = f"ожидание около {_RU_MINUTES[m]}."
    return en, ru


def _catalogue() -> dict[str, dict[str, str]]:
    en = {
        INVALID: "Sorry, that key is not valid.",
        THANK_YOU: "Thank you for your rating. Goodbye.",
        GOODBYE_NO_INPUT: "We did not receive your rating. Thank you for calling. Goodbye.",
        RATING_FOLLOWS: "After the call, please stay on the line: you will be asked to rate it.",
        CALL_RECORDED: "This call may be recorded for quality and training purposes.",
    }
    ru = {
        INVALID: "Извините, эта клавиша не подходит.",
        THANK_YOU: "Спасибо за вашу оценку. До свидания.",
        GOODBYE_NO_INPUT: "Мы не получили вашу оценку. Спасибо за звонок. До свидания.",
        RATING_FOLLOWS: "После разговора, пожалуйста, оставайтесь на линии: мы попросим вас оценить его.",
        CALL_RECORDED: "Этот разговор может быть записан для контроля качества и обучения.",
    }
    for n in SCALES:
        en[rate_prompt_name(n)] = _en_rate(n)
        ru[rate_prompt_name(n)] = _ru_rate(n)
    queue_en, queue_ru = _queue_prompts()
    en.update(queue_en)
    ru.update(queue_ru)
    cb_en, cb_ru = _callback_prompts()
    en.update(cb_en)
    ru.update(cb_ru)
    return {"en": dict(sorted(en.items())), "ru": dict(sorted(ru.items()))}


# language -> prompt name -> text. The only place the texts live.
CATALOGUE: Final[Mapping[str, Mapping[str, str]]] = _catalogue()
LANGUAGES: Final = tuple(CATALOGUE)

_LANG_RE: Final = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]{1,8})*$")
# No comma (ARI separates media with it), no colon (URI scheme), no whitespace, no "..".
_NAME_RE: Final = re.compile(r"^/?[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-.]*[A-Za-z0-9_\-])*$")


def check_language(language: str) -> str:
    if not _LANG_RE.match(language):
        raise ValueError(f"invalid language {language!r} (expected e.g. 'en', 'ru', 'pt_BR')")
    return language


def check_name(name: str) -> str:
    if not _NAME_RE.match(name) or ".." in name.split("/"):
        raise ValueError(f"invalid prompt name {name!r} (letters, digits, '-', '_', '/'; no extension)")
    return name


def sound_name(language: str, name: str) -> str:
    """The Asterisk sound name (no ``sound:`` scheme, no extension) of a prompt name."""
    check_language(language)
    check_name(name)
    if "/" in name:
        return name
    return f"{PROMPT_DIR}/{language}/{name}"


def sound_uri(language: str, name: str) -> str:
    """The ARI media URI, e.g. ``sound:ccd/en/rate-call``."""
    return f"sound:{sound_name(language, name)}"


def prompt_path(prompt_dir: Path, language: str, name: str, ext: str = "wav") -> Path:
    """Where a prompt's file lives under a sounds directory (``<astdatadir>/sounds``)."""
    return Path(prompt_dir) / f"{sound_name(language, name)}.{ext}"


def missing_prompts(prompt_dir: Path, language: str, names: Iterable[str]) -> list[Path]:
    """Prompts with no playable file, as the ``.wav`` path that was expected.

    ``prompt_dir`` is Asterisk's sounds directory (``/usr/share/asterisk/sounds`` or the
    build's ``prompts-build/sounds``); ``names`` are prompt names as in the queue settings
    (see :meth:`SurveySettings.prompt_names`). Any format Asterisk can play counts as present.
    An invalid name is reported as missing too (it could never be played).
    """
    missing: list[Path] = []
    for name in dict.fromkeys(names):  # keep order, drop duplicates
        try:
            base = Path(prompt_dir) / sound_name(language, name)
        except ValueError:
            missing.append(Path(prompt_dir) / f"{name}.wav")
            continue
        if not any((base.parent / f"{base.name}.{ext}").is_file() for ext in AUDIO_EXTENSIONS):
            missing.append(base.parent / f"{base.name}.wav")
    return missing
