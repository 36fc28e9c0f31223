"""French typography: dates, amounts, contractions, non-breaking spaces."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from decimal import Decimal
from typing import Any


def _import_babel():
    """Babel reads the local time zone as `babel.dates` is imported, and first takes $TZ
    for a file name relative to the current folder: with TZ=UTC, a folder named « UTC »
    there makes the import fail (python-babel/babel#1092 is the same family of bug).
    qp never uses the local time zone: $TZ is hidden for the import only."""
    saved = os.environ.pop("TZ", None)
    try:
        from babel import Locale, dates

        locale = Locale.parse("fr_FR")
        locale.number_symbols  # loads the locale data now (its pickle imports babel.dates)
        return locale, dates.format_date
    finally:
        if saved is not None:
            os.environ["TZ"] = saved


FR, format_date = _import_babel()  # parsed once: Babel parses a locale name on every call

NBSP = "\u00a0"  # before « : ; ! ? » and inside guillemets, as French typography wants
NNBSP = "\u202f"  # thousands separator (Babel's choice for fr_FR)


@functools.lru_cache(maxsize=4096)  # a batch prints the same few dates many times
def date_long(value: dt.date) -> str:
    """« 22 septembre 2021 », « 1er mars 2021 »."""
    text = format_date(value, format="d MMMM y", locale=FR)
    return "1er" + text[1:] if value.day == 1 else text


@functools.lru_cache(maxsize=4096)
def month_year(value: dt.date) -> str:
    """« mars 2022 » (operation calendars are planned by the month)."""
    return format_date(value, format="MMMM y", locale=FR)


_SYMBOLS = FR.number_symbols.get("latn", FR.number_symbols)
_TO_FRENCH = str.maketrans({",": _SYMBOLS["group"], ".": _SYMBOLS["decimal"]})


def euros(value: Decimal | int) -> str:
    """« 1 250 000 € », « 12 500,50 € »: cents only when there are some.

    Babel's French separators applied to Python's own grouping: the same text as
    Babel's format_decimal, ten times faster on tables of hundreds of amounts."""
    value = Decimal(value)
    spec = ",.0f" if value == value.to_integral_value() else ",.2f"
    return format(value, spec).translate(_TO_FRENCH) + NBSP + "€"


def _share(part: Decimal, whole: Decimal) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def percent(part: Decimal, whole: Decimal, decimals: int | None = None) -> str:
    """Share of a total, « 42,5 % »; with `decimals` (0 or 1) always that many, so that a
    column of shares reads alike (« 37,0 % » beside « 7,4 % »)."""
    if not whole:
        return "–"
    share = _share(part, whole)
    if decimals is None:
        decimals = 0 if share == share.to_integral_value() else 1
    text = format(share, f",.{decimals}f")
    return text.translate(_TO_FRENCH) + NBSP + "%"


def share_decimals(pairs) -> int:
    """How many decimals a column of shares (part, whole) needs: 1 if any needs one."""
    return int(any(whole and _share(part, whole) != _share(part, whole).to_integral_value()
                   for part, whole in pairs))


_ARTICLE = re.compile(r"^(?:(le|la|les)\s+|(l['\u2019]))(?=\S)", re.IGNORECASE)


def of(name: str) -> str:
    """The preposition « de » before a name: « de Toulouse Métropole », « du Grand
    Narbonne », « de la Métropole… », « des … », « de l'EPT Est Ensemble »."""
    match = _ARTICLE.match(name)
    if not match:
        return "de " + name
    if match.group(2):
        return "de " + match.group(2).lower() + name[match.end():]
    article = match.group(1).lower()
    return {"le": "du ", "les": "des ", "la": "de la "}[article] + name[match.end():]


_FEMININE = {"son": "sa", "le Préfet": "la Préfète", "Préfet": "Préfète"}


def agree(word: str, gender: Any) -> Any:
    """`word` agreed with a grammatical gender: « représenté » → « représentée », « son » →
    « sa », « le Préfet » → « la Préfète ». A gender still to complete is returned as it
    is, to be printed in the word's place."""
    if gender == "masculin":
        return word
    if gender == "feminin":
        return _FEMININE.get(word, word + "e")
    return gender


def join_and(items: list[str]) -> str:
    """« a, b et c »."""
    return ", ".join(items[:-1]) + " et " + items[-1] if len(items) > 1 else "".join(items)


def join_or(items: list[str]) -> str:
    """« a, b ou c »."""
    return ", ".join(items[:-1]) + " ou " + items[-1] if len(items) > 1 else "".join(items)


def capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


_BEFORE_DOUBLE = re.compile(r" ([:;!?»%])")
_AFTER_OPENING = re.compile(r"« ")


@functools.lru_cache(maxsize=4096)  # the model's own phrases, the same in every document
def typography(text: str) -> str:
    """Apply French spacing to the model's own wording (never to values from YAML):
    the ordinary space before a double punctuation mark, « % » or a closing guillemet, and
    after an opening guillemet, becomes non-breaking; apostrophes become typographic."""
    text = _BEFORE_DOUBLE.sub(NBSP + r"\1", text)
    text = _AFTER_OPENING.sub("«" + NBSP, text)
    return text.replace("'", "\u2019")
