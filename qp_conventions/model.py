"""The territory file's schema (pydantic v2). Keys are the convention's French words;
every field has a French title, which names it wherever a person reads about it.

A fact only a person can supply may be left out (where the field says so) or written
« à compléter »: it is then a `Missing`, carried in the validated data in the fact's
place. Validation tells the file's author about it, with the codes to write; the
document prints it, highlighted, in words for the signer.
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, Optional

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, Strict,
                      WithJsonSchema, WrapValidator)

from . import programme
from .departements import DEPARTEMENTS
from .french import join_or

MAX_TEXT = 4000
MAX_AMOUNT = Decimal(10) ** 15  # euros; far above any programme, far below Decimal's limits
FIRST_YEAR, LAST_YEAR = 2000, 2099  # of any date of the programme


@dataclass(frozen=True)
class Missing:
    """A fact still « à compléter ». Falsy, so that templates can test it; printing it
    as text by mistake (a filter that joins or formats) fails loudly."""

    author: str  # for the territory file's author: « chef de file (anct, anru, …) »
    signer: str  # for the contract: « chef de file (ANCT, ANRU, …) »

    def __bool__(self) -> bool:
        return False

    def placeholder(self) -> str:
        return f"[à compléter : {self.signer}]".replace("'", "\u2019")

    def __str__(self) -> str:
        raise TypeError(f"fait à compléter ({self.signer}) transformé en texte par le modèle")


def is_to_complete(value: Any) -> bool:
    """« à compléter », « A compléter », « a_completer »…"""
    if not isinstance(value, str) or len(value) > 24 or value.lstrip()[:1] not in "aAàÀ":
        return False  # (cheap test first: this runs on every text of every territory)
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return " ".join(folded.replace("_", " ").replace("-", " ").rstrip(" .!…").split()) \
        == "a completer"


TO_COMPLETE = object()  # the default of a fact that is missing when left out
_REQUIRED = object()  # no default: the key must be written


def _missing(title: str, choices: dict[str, str] | None, signer: str | None) -> Missing:
    if choices is None:
        return Missing(title, signer or title)
    return Missing(f"{title} ({join_or(list(choices))})",
                   signer or f"{title} ({join_or(list(choices.values()))})")


def _field(kind: Any, title: str, absent: Any, choices: dict[str, str] | None = None,
           signer: str | None = None, **constraints: Any) -> Any:
    """`kind` named `title`; « à compléter » makes it a Missing, as does leaving it out
    when `absent` is TO_COMPLETE (None: optional; no `absent`: required)."""
    missing = _missing(title, choices, signer)
    # A fact with a default of the programme's (the labellisation date, « brouillon »)
    # is never unknown: leaving it out gives the default.
    has_default = absent not in (_REQUIRED, TO_COMPLETE, None)

    def to_complete(value: Any, handler):
        if has_default and (value is None or is_to_complete(value)):
            shown = "une valeur vide" if value is None else f"« {value} »"
            raise ValueError(f"{shown} ne convient pas ici : retirez la ligne pour la "
                             f"valeur par défaut ({_default_shown(absent)})")
        if isinstance(value, Missing) or is_to_complete(value):
            return missing
        return handler(value)

    default = {} if absent is _REQUIRED else {"default": missing if absent is TO_COMPLETE else absent}
    kind = Optional[kind] if absent is None else kind
    return Annotated[kind, WrapValidator(to_complete),
                     Field(title=title, json_schema_extra=_json_schema(choices, not has_default),
                           **default, **constraints)]


def _default_shown(default: Any) -> str:
    return default.isoformat() if isinstance(default, dt.date) else str(default)


def _json_schema(choices: dict[str, str] | None, may_be_missing: bool = True):
    """What the JSON Schema (schema.py) adds to a field: « à compléter » is accepted (unless
    the field has a default), and each code shows its display name in the editor
    (`enumDescriptions`, read by VS Code)."""

    def extra(schema: dict[str, Any]) -> None:
        alternatives = schema.setdefault("anyOf", [])
        if not alternatives:  # the field's own schema becomes the first alternative
            alternatives.append({k: schema.pop(k) for k in list(schema)
                                 if k not in ("anyOf", "title", "default", "description")})
        for alternative in alternatives:
            if choices and alternative.get("enum") == list(choices):
                alternative["enumDescriptions"] = list(choices.values())
        if may_be_missing:
            alternatives.append({"const": "à compléter", "description": "fait encore inconnu"})
        if choices:  # shown beside the key in the editor's completion list, and on hover
            codes = ", ".join(f"{code} ({name})" for code, name in choices.items())
            schema.setdefault("description", f"{schema.get('title', '')} : {codes}")

    return extra


def _line_breaks(value: Any) -> Any:
    """Line breaks as « \\n » (a YAML escape may write « \\r »); the loader has already
    refused every character Word cannot hold."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n")


_String = Annotated[str, Strict(), BeforeValidator(_line_breaks),
                    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]


def Text(title: str, absent: Any = _REQUIRED, signer: str | None = None) -> Any:
    return _field(_String, title, absent, signer=signer)


def _never_to_complete(advice: str) -> BeforeValidator:
    """For a value that cannot stay unknown: « à compléter » refused, with `advice`."""

    def known(value: Any) -> Any:
        if is_to_complete(value):
            raise ValueError(f"« {value} » ne convient pas ici : {advice}")
        return value

    return BeforeValidator(known)


def Reference(title: str, example: str) -> Any:
    """A code that other entries point to (an axis's, the axis of an operation): it is
    what links them, so it is always written, never « à compléter »."""
    return Annotated[_String, _never_to_complete(
        f"le {title} relie les annexes entre elles, écrivez-le (par exemple {example})"),
        Field(title=title)]


def Code(choices: dict[str, str], title: str, absent: Any = _REQUIRED, signer: str | None = None) -> Any:
    """One of the codes of a programme list (`choices`: code -> display name)."""
    return _field(Literal[tuple(choices)], title, absent, choices, signer)


def KnownCode(choices: dict[str, str], title: str) -> Any:
    """A code that its entry cannot be written without (an axis's domain: what the axis
    is about; a name in the order of the signatories), never « à compléter »."""

    return Annotated[Literal[tuple(choices)],
                     _never_to_complete(f"écrivez le {title} ({join_or(list(choices))})"),
                     Field(title=title, json_schema_extra=_json_schema(choices,
                                                                       may_be_missing=False))]


def _shown(value: Any) -> str:
    """A value as a message quotes it: its text, or what kind of thing it is."""
    if value is None:
        return "vide"
    if isinstance(value, (list, dict)):
        return "une liste" if isinstance(value, list) else "une rubrique"
    return f"« {value} »"


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(
            f"montant {_shown(value)}{' illisible' if value is not None else ''} : écrivez un "
            "nombre d'euros sans espace ni symbole, avec un point pour les centimes (par "
            "exemple 1250000 ou 1250000.50)"
        )
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"montant « {value} » illisible") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("un montant est un nombre positif d'euros")
    amount += 0  # (« -0 » is 0, never printed « -0 € »)
    if amount > MAX_AMOUNT:  # (the loader's Decimal of « 1.0e+27 » says « 1.0E+27 »)
        raise ValueError(f"montant « {str(value).replace('E', 'e')} » démesuré : un montant "
                         "ne dépasse pas 1 000 000 000 000 000 € (10 puissance 15)")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"montant « {value} » : deux décimales au plus (les centimes)")
    return amount


def Amount(title: str) -> Any:
    return Annotated[Decimal, BeforeValidator(_amount), WithJsonSchema(
        {"type": "number", "minimum": 0, "maximum": float(MAX_AMOUNT),
         "description": "en euros, sans espace ni symbole ; les centimes après un point "
                        "(1250000.50)"}), Field(title=title)]


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValueError(
            f"date « {value} » illisible : écrivez-la AAAA-MM-JJ, sans guillemets "
            "(par exemple 2021-09-22)"
        )
    if not FIRST_YEAR <= value.year <= LAST_YEAR:  # (a typo; and no month overflows)
        raise ValueError(f"date « {value} » invraisemblable : le programme date de "
                         f"{programme.LABELLISATION.year}, ses dates vont de {FIRST_YEAR} à "
                         f"{LAST_YEAR}")
    return value


def Date(title: str, absent: Any = _REQUIRED) -> Any:
    return _field(Annotated[dt.date, BeforeValidator(_date), WithJsonSchema(
        {"type": "string", "format": "date", "description": "AAAA-MM-JJ, par exemple "
                                                            "2021-09-22"})], title, absent)


def official_departement(value: Any) -> Any:
    if isinstance(value, str) and value.strip() in DEPARTEMENTS:
        return value.strip()
    names = {name.lower(): name for name in DEPARTEMENTS}
    close = difflib.get_close_matches(str(value).lower(), list(names), n=1, cutoff=0.6) \
        if isinstance(value, str) else []
    hint = f" (vouliez-vous dire « {names[close[0]]} » ?)" if close else ""
    raise ValueError(
        f"département {_shown(value)} inconnu{hint} : écrivez son nom officiel, sans "
        "article, par exemple « Haute-Garonne » ou « La Réunion »"
    )


_Departement = Annotated[str, BeforeValidator(official_departement),
                        WithJsonSchema({"type": "string", "enum": list(DEPARTEMENTS)})]


def Departement(title: str, absent: Any = None) -> Any:
    """A département's official name; « à compléter » too when `absent` is _REQUIRED (an
    intercommunality's, not yet known; never the préfet's, which the contract prints)."""
    if absent is _REQUIRED:
        return _field(_Departement, title, _REQUIRED)
    return Annotated[_Departement, Field(title=title)]


def Items(item: Any, title: str, default: Any = (), **constraints: Any) -> Any:
    """A list; an empty one when left out, unless `default` is _REQUIRED."""
    default = {} if default is _REQUIRED else {"default": list(default)}
    return Annotated[list[item], Field(title=title, **default, **constraints)]


class Section(BaseModel):
    """A rubric of the territory file: unknown keys are errors, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Representative(Section):
    civilite: Code(programme.CIVILITIES, "civilité du représentant", TO_COMPLETE)
    prenom: Text("prénom du représentant", TO_COMPLETE)
    nom: Text("nom du représentant", TO_COMPLETE)
    fonction: Text("fonction du représentant", TO_COMPLETE,
                   signer="fonction du représentant (par exemple « président »)")


class Minister(Section):
    civilite: Code(programme.CIVILITIES, "civilité du ministre", TO_COMPLETE)
    prenom: Text("prénom du ministre", TO_COMPLETE)
    nom: Text("nom du ministre", TO_COMPLETE)
    fonction: Text("fonction du ministre", TO_COMPLETE)
    # Only for the signature block, when it words the function differently.
    fonction_signature: Text("fonction du ministre dans le bloc de signature", None)
    qualite_signature: Text("qualité du ministre sous sa signature", None)


class Prefect(Section):
    departement: Departement("département du préfet")
    civilite: Code(programme.CIVILITIES, "civilité du préfet", TO_COMPLETE)
    prenom: Text("prénom du préfet", TO_COMPLETE)
    nom: Text("nom du préfet", TO_COMPLETE)


class State(Section):
    # Who signs for the State: the minister (Toulouse), the minister « ou le Préfet du
    # département … le cas échéant » (Aix-Marseille-Provence), or the préfet alone.
    signataire: Code(programme.STATE_SIGNATORIES, "signataire de l'État", TO_COMPLETE,
                     signer="signataire de l'État : le ministre, le préfet, ou l'un ou l'autre")
    ministre: Minister = Field(default=Minister(), title="ministre signataire")
    prefet: Optional[Prefect] = Field(default=None, title="préfet")


class Intercommunality(Section):
    nom: Text("nom de l'intercommunalité")
    nature: Text("nature de l'intercommunalité", None)
    genre: Code(programme.GENDERS, "genre grammatical du nom", TO_COMPLETE,
                signer="représenté ou représentée")
    # what the name alone does not say (french.py; rules.py refuses a contradiction)
    nombre: Code(programme.NUMBERS, "nombre grammatical du nom", None)
    h_initial: Code(programme.H_INITIALS, "h initial du nom", None)
    designation: Code(programme.DESIGNATIONS, "nom employé dans les articles",
                      "intercommunalite_beneficiaire")
    departements: Items(Departement("département", _REQUIRED), "départements", _REQUIRED,
                        min_length=1)
    representant: Representative = Field(default=Representative(), title="représentant")


class Signatories(Section):
    """Who signed an act, as `qp sign` records it beside its date: the people in office
    then (intercommunalite.representant, etat) may have changed since; an act not yet
    signed may also name its own (an avenant signed by the préfet)."""

    representant: Optional[Representative] = Field(default=None, title="représentant signataire")
    etat: Optional[State] = Field(default=None, title="signataire de l'Etat")


def _signatories(of: str) -> Any:
    return Field(default=None, title=f"signataires {of}")


class Signature(Section):
    lieu: Text("lieu de signature", None)
    date: Date("date de signature", None)
    exemplaires: Optional[Annotated[int, Strict(), Field(ge=1, le=99)]] = Field(
        default=None, title="nombre d'exemplaires")
    presentation: Code(programme.PRESENTATIONS, "présentation des signataires", "civilite")
    ordre: Items(KnownCode(programme.PARTIES, "signataire"),
                 "ordre des signataires",
                 ["intercommunalite", "etat"])
    signataires: Optional[Signatories] = _signatories("de la convention")


class Instance(Section):
    nom: Text("nom de l'instance")
    presidence: Text("présidence de l'instance", None)
    membres: Items(Text("membre de l'instance"), "membres de l'instance")
    frequence: Text("fréquence des réunions", None)
    role: Text("rôle de l'instance", None)


class Indicator(Section):
    intitule: Text("intitulé de l'indicateur")
    valeur_initiale: Text("valeur initiale", None)
    cible: Text("cible", None)
    echeance: Text("échéance", None)


class Axis(Section):
    code: Reference("code de l'axe", "A1")
    intitule: Text("intitulé de l'axe")
    domaine: KnownCode(programme.FIELDS, "domaine d'intervention")
    leviers: Items(Code(programme.LEVERS, "levier transverse"), "leviers transverses")
    objectifs: Items(Text("objectif"), "objectifs", _REQUIRED, min_length=1)
    qpv: Items(Text("quartier prioritaire"), "quartiers prioritaires concernés")
    indicateurs: Items(Indicator, "indicateurs")


class Financing(Section):
    financeur: Text("financeur")
    montant: Amount("montant")


class Operation(Section):
    code: Reference("code de l'opération", "OP1")
    intitule: Text("intitulé de l'opération")
    axe: Reference("code de l'axe de l'opération", "A1")
    qpv: Items(Text("quartier prioritaire"), "quartiers prioritaires concernés")
    maitre_ouvrage: Text("maître d'ouvrage")
    cout_total: Amount("coût total")
    financements: Items(Financing, "plan de financement", _REQUIRED, min_length=1)
    debut: Date("début de l'opération")
    fin: Date("fin de l'opération")
    statut: Code(programme.OPERATION_STATUSES, "statut de l'opération")


class Roadmap(Section):
    """The feuille de route, annexed to the convention within 6 months of the
    labellisation (Article 1), signed on its own."""

    date: Date("date de signature de la feuille de route", None)
    lieu: Text("lieu de signature de la feuille de route", None)
    exemplaires: Optional[Annotated[int, Strict(), Field(ge=1, le=99)]] = Field(
        default=None, title="nombre d'exemplaires de la feuille de route")
    signataires: Optional[Signatories] = _signatories("de la feuille de route")


class Avenant(Section):
    """A change of the signed convention: its number, its signature (a dated avenant is
    in force), what it changes and the new value."""

    numero: Annotated[int, Strict(), Field(ge=1, le=99, title="numéro de l'avenant")]
    date: Date("date de signature de l'avenant", None)
    lieu: Text("lieu de signature de l'avenant", None)
    exemplaires: Optional[Annotated[int, Strict(), Field(ge=1, le=99)]] = Field(
        default=None, title="nombre d'exemplaires de l'avenant")
    # (never « à compléter »: what an avenant changes is what it is)
    objet: Annotated[Literal[tuple(programme.AVENANT_OBJECTS)], Field(
        title="objet de l'avenant",
        json_schema_extra={"enumDescriptions": list(programme.AVENANT_OBJECTS.values())})]
    duree_mois: Optional[Annotated[int, Strict(), Field(ge=1, le=240)]] = Field(
        default=None, title="nouvelle durée totale, en mois depuis la labellisation")
    chef_de_file: Code(programme.PARTNERS_SHORT, "nouveau chef de file", None)
    pilotage: Code(programme.LOCAL_STEERING, "nouveau pilotage local", None)
    feuille_de_route: Date("date de la feuille de route révisée", None)
    signataires: Optional[Signatories] = _signatories("de l'avenant")


class Territory(Section):
    statut: Code(programme.CONVENTION_STATUSES, "statut de la convention", "brouillon")
    logos: Items(Text("logo"), "logos")
    intercommunalite: Intercommunality = Field(title="intercommunalité")
    etat: State = Field(default=State(), title="État")
    chef_de_file: Code(programme.PARTNERS_SHORT, "chef de file", TO_COMPLETE)
    pilotage: Code(programme.LOCAL_STEERING, "pilotage local", TO_COMPLETE)
    redaction: Code(programme.WORDING_NAMES, "rédaction", programme.CURRENT_WORDING)
    labellisation: Date("date de labellisation", programme.LABELLISATION)
    signature: Signature = Field(default=Signature(), title="signature")
    annexe_1_gouvernance: Items(Instance, "instances de gouvernance (annexe 1)")
    annexe_2_axes: Items(Axis, "axes stratégiques (annexe 2)")
    annexe_3_operations: Items(Operation, "opérations (annexe 3)")
    feuille_de_route: Roadmap = Field(default=Roadmap(), title="feuille de route")
    avenants: Items(Avenant, "avenants")


class Wave(Section):
    """A wave of labellisation: its date and how many territories it labelled."""

    date: Date("date de labellisation de la vague")
    territoires: Annotated[int, Strict(), Field(ge=1, le=999, title="nombre de territoires")]


class Programme(Section):
    """territories/programme.yaml: the programme's national facts, which every territory
    inherits (and may override): the minister in office, the waves of labellisation."""

    ministre: Optional[Minister] = Field(default=None, title="ministre en fonction")
    vagues: Items(Wave, "vagues de labellisation",
                  [Wave(date=programme.LABELLISATION,
                        territoires=len(programme.PILOT_TERRITORIES))], min_length=1)
