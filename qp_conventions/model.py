"""The territory file's schema (pydantic v2). Keys are the convention's French words.

A field declared with `to_complete(...)` holds a fact only a person can supply: it may
be left out or written « à compléter »; validation then warns, and the document
shows a highlighted « [à compléter : …] » in its place.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, Optional

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    Strict,
)

from . import programme
from .departements import DEPARTEMENTS

MAX_TEXT = 4000
MAX_AMOUNT = Decimal(10) ** 15  # euros; far above any programme, far below Decimal's limits


def is_to_complete(value: Any) -> bool:
    # cheap test first: this runs on every text of every territory
    if not isinstance(value, str) or len(value) > 24 or value.lstrip()[:1] not in "aAàÀ":
        return False
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return " ".join(folded.replace("_", " ").split()) == "a completer"


def _none_if_to_complete(value: Any) -> Any:
    return None if is_to_complete(value) else value


def to_complete(label: str, **kwargs: Any) -> Any:
    """A fact only a person can supply; `label` names it in warnings and placeholders.
    Left out, it is missing; any other text field is missing when it says « à compléter »."""
    return Field(default=None, json_schema_extra={"a_completer": label}, **kwargs)


def Completable(kind: Any) -> Any:
    """`kind`, or None when left out or written « à compléter »."""
    return Annotated[Optional[kind], BeforeValidator(_none_if_to_complete)]


def _line_breaks(value: Any) -> Any:
    """Line breaks as « \\n » (a YAML escape may write « \\r »); the loader has already
    refused every character Word cannot hold."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n")


Text = Annotated[
    str,
    Strict(),
    BeforeValidator(_line_breaks),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT),
]
# Free text may say « à compléter » anywhere: it stays a string, and validation and
# rendering treat it as a missing fact (see `is_to_complete`).
MaybeText = Optional[Text]


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(
            f"montant « {value} » illisible : écrivez un nombre d'euros sans espace ni "
            "symbole, avec un point pour les centimes (par exemple 1250000 ou 1250000.50)"
        )
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"montant « {value} » illisible") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("un montant est un nombre positif d'euros")
    if amount > MAX_AMOUNT:
        raise ValueError(f"montant « {value} » démesuré : un montant ne dépasse pas "
                         "1 000 000 000 000 000 € (10 puissance 15)")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"montant « {value} » : deux décimales au plus (les centimes)")
    return amount


Amount = Annotated[Decimal, BeforeValidator(_amount)]


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValueError(
            f"date « {value} » illisible : écrivez-la AAAA-MM-JJ, sans guillemets "
            "(par exemple 2021-09-22)"
        )
    return value


Date = Annotated[dt.date, BeforeValidator(_date)]
MaybeDate = Annotated[Optional[dt.date], BeforeValidator(
    lambda v: None if v is None or is_to_complete(v) else _date(v))]


def _departement(value: Any) -> Any:
    if isinstance(value, str) and value.strip() in DEPARTEMENTS:
        return value.strip()
    import difflib

    close = difflib.get_close_matches(str(value), DEPARTEMENTS, n=1, cutoff=0.6)
    hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
    raise ValueError(
        f"département « {value} » inconnu{hint} : écrivez son nom officiel, sans "
        "article, par exemple « Haute-Garonne » ou « La Réunion »"
    )


Departement = Annotated[str, BeforeValidator(_departement)]

PartnerCode = Literal["anct", "anru", "banque_des_territoires", "bpifrance"]
FieldCode = Literal["entrepreneuriat", "commerce_artisanat", "activites_productives"]
LeverCode = Literal["transition_numerique", "transition_environnementale"]
SteeringCode = Literal["coordonnateur", "equipe_projet"]
WordingCode = Literal["standard", "signee-2021-09"]
Status = Literal["a_l_etude", "programmee", "engagee", "en_cours", "achevee"]

STATUS_LABELS = {
    "a_l_etude": "À l'étude",
    "programmee": "Programmée",
    "engagee": "Engagée",
    "en_cours": "En cours",
    "achevee": "Achevée",
}

assert set(programme.PARTNERS) == set(PartnerCode.__args__)
assert set(programme.FIELDS) == set(FieldCode.__args__)
assert set(programme.LEVERS) == set(LeverCode.__args__)
assert set(programme.WORDINGS) == set(WordingCode.__args__)


class Strict_(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(Strict_):
    civilite: Completable(Literal["Madame", "Monsieur"]) = to_complete("civilité (Madame ou Monsieur)")
    prenom: MaybeText = to_complete("prénom")
    nom: MaybeText = to_complete("nom, tel qu'écrit dans la convention")


class Representative(Person):
    fonction: MaybeText = to_complete("fonction (par exemple « président »)")


class Minister(Person):
    fonction: MaybeText = to_complete("fonction du ministre signataire")
    # Only for the signature block, when it words the function differently.
    fonction_signature: MaybeText = None
    qualite_signature: MaybeText = None


class Prefect(Person):
    departement: Departement


StateSignatory = Literal["ministre", "ministre_ou_prefet", "prefet"]


class State(Strict_):
    # Who signs for the State: the minister (Toulouse), the minister « ou le Préfet du
    # département … le cas échéant » (Aix-Marseille-Provence), or the préfet alone.
    signataire: Completable(StateSignatory) = to_complete(
        "signataire de l'Etat (ministre, ministre_ou_prefet ou prefet)")
    ministre: Minister = Minister()
    prefet: Optional[Prefect] = None


class Intercommunality(Strict_):
    nom: Text
    nature: MaybeText = None
    genre: Completable(Literal["masculin", "feminin"]) = to_complete(
        "genre grammatical du nom (masculin : « représenté », feminin : « représentée »)")
    designation: Literal["nom", "intercommunalite_beneficiaire"] = "intercommunalite_beneficiaire"
    departements: list[Departement] = Field(min_length=1)
    representant: Representative = Representative()


class Signature(Strict_):
    lieu: MaybeText = None
    date: MaybeDate = None
    exemplaires: Optional[Annotated[int, Strict(), Field(ge=1, le=99)]] = None
    presentation: Literal["pour", "civilite"] = "civilite"
    ordre: list[Literal["intercommunalite", "etat"]] = ["intercommunalite", "etat"]


class Instance(Strict_):
    nom: Text
    presidence: MaybeText = None
    membres: list[Text] = []
    frequence: MaybeText = None
    role: MaybeText = None


class Indicator(Strict_):
    intitule: Text
    valeur_initiale: MaybeText = None
    cible: MaybeText = None
    echeance: MaybeText = None


class Axis(Strict_):
    code: Text
    intitule: Text
    domaine: FieldCode
    leviers: list[LeverCode] = []
    objectifs: list[Text] = Field(min_length=1)
    qpv: list[Text] = []
    indicateurs: list[Indicator] = []


class Financing(Strict_):
    financeur: Text
    montant: Amount


class Operation(Strict_):
    code: Text
    intitule: Text
    axe: Text
    qpv: list[Text] = []
    maitre_ouvrage: Text
    cout_total: Amount
    financements: list[Financing] = Field(min_length=1)
    debut: Date
    fin: Date
    statut: Status


class Territory(Strict_):
    intercommunalite: Intercommunality
    logos: list[Text] = []
    etat: State = State()
    chef_de_file: Completable(PartnerCode) = to_complete(
        "chef de file (anct, anru, banque_des_territoires ou bpifrance)")
    pilotage: Completable(SteeringCode) = to_complete("pilotage local (coordonnateur ou equipe_projet)")
    redaction: WordingCode = "standard"
    labellisation: Date = programme.LABELLISATION
    signature: Signature = Signature()
    annexe_1_gouvernance: list[Instance] = []
    annexe_2_axes: list[Axis] = []
    annexe_3_operations: list[Operation] = []
