"""French typography: dates, amounts, contractions, non-breaking spaces."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal
from typing import Any


NBSP = "\u00a0"  # before « : ; ! ? » and inside guillemets, as French typography wants
NNBSP = "\u202f"  # thousands separator (CLDR's, Babel's choice for fr_FR)

# The French months and number separators, written here rather than read from Babel:
# importing Babel and loading its fr_FR data took 45 ms of every `qp validate`, `qp list`
# and `qp generate` (a tenth of `qp generate toulouse`) for twelve words and two signs.
# tests/test_french.py checks them against Babel's.
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def date_long(value: dt.date) -> str:
    """« 22 septembre 2021 », « 1er mars 2021 »."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


@functools.lru_cache(maxsize=4096)
def copies(count: int) -> str:
    """« un exemplaire », « 3 exemplaires » (Fait en … ,)."""
    return "un exemplaire" if count == 1 else f"{count} exemplaires"


def month_year(value: dt.date) -> str:
    """« mars 2022 » (operation calendars are planned by the month)."""
    return f"{MONTHS[value.month - 1]} {value.year}"


_TO_FRENCH = str.maketrans({",": NNBSP, ".": ","})


def euros(value: Decimal | int) -> str:
    """« 1 250 000 € », « 12 500,50 € »: cents only when there are some.

    French separators applied to Python's own grouping: the same text as Babel's
    format_decimal, ten times faster on tables of hundreds of amounts."""
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


# --- the grammar of names -------------------------------------------------------------
# Every rule of French grammar that the variable parts of a document follow lives here:
# templates call these functions (render.py's filters), rules.py checks with them that a
# territory file does not contradict itself.

_ARTICLE = re.compile(r"^(?:(le|la|les)\s+|(l['\u2019]))(?=\S)", re.IGNORECASE)
_VOWELS = "aeiouyàâäéèêëîïôöûüùœæ"


def article(name: str) -> tuple[str, str]:
    """The article a name begins with (« le », « la », « les », « l' » as written, or
    « »), and the rest of the name."""
    match = _ARTICLE.match(name)
    if not match:
        return "", name
    return (match.group(1) or match.group(2)), name[match.end():]


def starts_with_h(name: str) -> bool:
    """Whether a name without article begins with an h (whose elision the file says)."""
    return article(name)[0] == "" and name[:1] in "hH" and name[:1] != ""


def elides(word: str, h_initial: Any = None) -> bool:
    """Whether « de », « le », « la » elide before `word`: a vowel or a y (« d'Yerres »,
    « d'Yssingeaux »), or an h that the territory file says mute (h_initial: muet)."""
    first = word[:1].lower()
    if first == "h":
        return h_initial == "muet"
    return first != "" and first in _VOWELS


def of(name: str, h_initial: Any = None) -> str:
    """The preposition « de » before a name: « de Toulouse Métropole », « d'Orly-Choisy »,
    « du Grand Narbonne », « de la Métropole… », « des … », « de l'EPT Est Ensemble »."""
    word, rest = article(name)
    if word.lower() == "le":
        return "du " + rest
    if word.lower() == "les":
        return "des " + rest
    if word:  # an institution's article is not part of its name: « de la Métropole »
        return "de " + word.lower() + name[len(word):]
    return ("d'" if elides(name, h_initial) else "de ") + name


def at(name: str) -> tuple[str, str]:
    """The preposition « à » before a place, and the rest of its name: « à » Marseille,
    « au » Havre, « aux » Abymes, « à » La Rochelle (« à » never elides)."""
    word, rest = article(name)
    if word.lower() == "le":
        return "au", rest
    if word.lower() == "les":
        return "aux", rest
    return "à", name


def plural(name: str, nombre: Any = None) -> bool:
    """Whether a name is plural: as the file says (nombre: pluriel), else as its article
    (« les … »)."""
    if nombre in ("singulier", "pluriel"):
        return nombre == "pluriel"
    return article(name)[0].lower() == "les"


def contradictions(name: str, genre: Any, nombre: Any, h_initial: Any) -> list[tuple[str, str]]:
    """What a territory file's grammatical keys contradict in the name it writes: (key,
    French message). The name's article decides where it can."""
    word, rest = article(name)
    word = word.lower().replace("\u2019", "'")
    found = []
    if word == "le" and genre == "feminin" or word == "la" and genre == "masculin":
        right = "masculin" if word == "le" else "feminin"
        found.append(("genre", f"le nom « {name} » commence par « {word} » : son genre est "
                               f"{right} (genre: {right})"))
    if word == "les" and nombre == "singulier":
        found.append(("nombre", f"le nom « {name} » commence par « les » : il est au pluriel "
                                "(nombre: pluriel, ou retirez la ligne)"))
    if word in ("le", "la", "l'") and nombre == "pluriel":
        found.append(("nombre", f"le nom « {name} » commence par « {word} » : il est au "
                                "singulier (nombre: singulier, ou retirez la ligne)"))
    if h_initial in ("muet", "aspire"):
        if word == "l'" and h_initial == "aspire" and rest[:1] in "hH":
            found.append(("h_initial", f"le nom « {name} » s'écrit avec « l' » : son h est "
                                       "muet (h_initial: muet, ou retirez la ligne)"))
        elif word in ("le", "la") and h_initial == "muet" and rest[:1] in "hH":
            found.append(("h_initial", f"le nom « {name} » s'écrit avec « {word} », sans "
                                       "élision : son h est aspiré (h_initial: aspire, ou "
                                       "retirez la ligne)"))
        elif not starts_with_h(name) and not (word and rest[:1] in "hH"):
            found.append(("h_initial", f"h_initial ne sert qu'à un nom qui commence par un h, "
                                       f"pas à « {name} » : retirez la ligne"))
    elif h_initial is None and starts_with_h(name):  # (« à compléter » is only a warning)
        found.append(("h_initial", f"le nom « {name} » commence par un h : dites s'il est "
                                   "muet (h_initial: muet, « d'Hérouville ») ou aspiré "
                                   "(h_initial: aspire, « de Hautes-Terres »)"))
    return found


# Words of the model that take a form of their own: feminine, then plural (a possessive's
# plural is its possessor's: « leur »).
_FEMININE = {"son": "sa", "le Préfet": "la Préfète", "Préfet": "Préfète"}
_PLURAL = {"son": "leur", "sa": "leur", "ses": "leurs", "s'engage": "s'engagent",
           "formalise": "formalisent", "est": "sont"}


def agree(word: str, gender: Any = "masculin", plural: bool = False,
          before: Any = None) -> Any:
    """`word` agreed with a grammatical gender and number: « représenté » →
    « représentée », « représentés » ; « son » → « sa » (« son » again before a vowel:
    « son adjointe »), « leur » for a plural possessor; « le Préfet » → « la Préfète » ;
    « s'engage » → « s'engagent ». A gender still to complete is returned as it is, to
    be printed in the word's place."""
    if plural and word == "son":  # (« leur », whoever the possessed)
        return "leur"
    if gender not in ("masculin", "feminin"):
        return gender
    if gender == "feminin":
        word = _FEMININE.get(word, word if word in _PLURAL else word + "e")
        if word == "sa" and isinstance(before, str) and elides(before):
            word = "son"
    if plural:
        word = _PLURAL.get(word, word + "s")
    return word


# A function whose masculine and feminine differ, as the representative's civility asks.
_FUNCTIONS = {"président": "présidente", "vice-président": "vice-présidente",
              "préfet": "préfète", "délégué": "déléguée", "directeur": "directrice",
              "conseiller": "conseillère", "adjoint": "adjointe"}


def function_agreement(fonction: str, gender: str) -> str | None:
    """How a function should read for a civility it contradicts (« présidente » for
    Madame, « président » for Monsieur), or None when it agrees."""
    first = fonction.split(" ", 1)[0]
    lower = first.lower()
    wanted = {m: f for m, f in _FUNCTIONS.items()} if gender == "feminin" else \
        {f: m for m, f in _FUNCTIONS.items()}
    if lower not in wanted:
        return None
    right = wanted[lower]
    right = capfirst(right) if first[:1].isupper() else right
    return right + fonction[len(first):]


# The words of a minister's title that agree with the civility (« la Ministre déléguée
# chargée de la Ville », « le Ministre délégué chargé de la Ville »): its first article,
# and these participles wherever they are.
_TITLE_ARTICLE = {"le": "la"}
_TITLE_WORDS = {"délégué": "déléguée", "chargé": "chargée"}


def title_disagreements(title: str, gender: str) -> list[str]:
    """The words of a minister's title (« le Ministre délégué chargé de la Ville ») that
    contradict the civility's gender, each with the form wanted (« le → la »), once."""
    def towards(table: dict) -> dict:
        return table if gender == "feminin" else {f: m for m, f in table.items()}

    words = [word.strip(",;:.()").lower() for word in title.split()]
    found = []
    if words and words[0] in towards(_TITLE_ARTICLE):
        found.append(f"{words[0]} → {towards(_TITLE_ARTICLE)[words[0]]}")
    for word in dict.fromkeys(words):
        if word in towards(_TITLE_WORDS):
            found.append(f"{word} → {towards(_TITLE_WORDS)[word]}")
    return found


def fold(text: str) -> str:
    """A name as a reader tells it from another: lower case, no accents, words separated
    by one space: « État (DSIL) » -> « etat dsil », « Communauté d'Agglomération » ->
    « communaute d agglomeration »."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).split())


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
    after an opening guillemet, and after « n° », becomes non-breaking; apostrophes become
    typographic."""
    text = _BEFORE_DOUBLE.sub(NBSP + r"\1", text)
    text = text.replace("n° ", "n°" + NBSP).replace("N° ", "N°" + NBSP)
    text = _AFTER_OPENING.sub("«" + NBSP, text)
    return text.replace("'", "\u2019")


_ACCENTED_CAPITALS = re.compile(r"État|Équipe|^À ", re.MULTILINE)
_UNACCENTED = {"État": "Etat", "Équipe": "Equipe", "À ": "A "}


def capitals_2021(text: str) -> str:
    """The model's text with the capitals of the 2021 texts, which write « l'Etat »,
    « Equipe projet », « A Marseille, le … » without accent (today's French accents them,
    as the templates do). Only for a territory whose redaction is a 2021 text; values are
    markers in `text` (render.py), so they keep what the file writes."""
    return _ACCENTED_CAPITALS.sub(lambda m: _UNACCENTED[m.group()], text)
