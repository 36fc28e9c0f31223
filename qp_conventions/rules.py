"""The rules between fields that the schema alone cannot state: financing that adds up,
operations on declared axes, dates in order, unique codes, who signs for the State.

Each rule reads the parts of the file that are valid on their own, so that a mistake in
one part (a date badly written) does not hide a broken rule in another (a financing
that does not add up): every problem is reported in one run.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator

from pydantic import TypeAdapter, ValidationError

from .french import euros
from .model import (Axis, Date, Intercommunality, Operation, Signature, State, Territory)

Found = tuple[tuple, str]  # the YAML path of the field, the message


@dataclass
class Parts:
    """The parts of a territory file that are valid on their own (None: not valid)."""

    intercommunalite: Intercommunality | None = None
    etat: State | None = None
    signature: Signature | None = None
    labellisation: dt.date | None = None
    axes: list[tuple[int, Axis]] = field(default_factory=list)  # (position, axis)
    operations: list[tuple[int, Operation]] = field(default_factory=list)
    # the codes of every axis written, even one that is not valid itself: an operation
    # on it is not on an unknown axis
    axis_codes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, territory: Territory) -> "Parts":
        return cls(territory.intercommunalite, territory.etat, territory.signature,
                   territory.labellisation, list(enumerate(territory.annexe_2_axes)),
                   list(enumerate(territory.annexe_3_operations)),
                   [axis.code for axis in territory.annexe_2_axes])

    @classmethod
    def valid_in(cls, data: dict) -> "Parts":
        """What validates in a file that does not validate as a whole."""

        def valid(kind: Any, value: Any) -> Any:
            try:
                return TypeAdapter(kind).validate_python(value)
            except ValidationError:
                return None

        def each(kind: Any, items: Any) -> list:
            items = items if isinstance(items, list) else []
            return [(i, item) for i, item in enumerate(valid(kind, raw) for raw in items)
                    if item is not None]

        defaults = Territory.model_fields
        return cls(
            valid(Intercommunality, data.get("intercommunalite")),
            valid(State, data.get("etat", {})),
            valid(Signature, data.get("signature", {})),
            valid(Date("labellisation"), data.get("labellisation", defaults["labellisation"].default)),
            each(Axis, data.get("annexe_2_axes")),
            each(Operation, data.get("annexe_3_operations")),
            [axis["code"] for axis in data.get("annexe_2_axes") or []
             if isinstance(axis, dict) and isinstance(axis.get("code"), str)],
        )


def check(parts: Parts) -> list[Found]:
    return [*_state(parts), *_signature(parts), *_codes(parts), *_operations(parts)]


def _state(parts: Parts) -> Iterator[Found]:
    """Who signs for the State, and the préfet's département."""
    etat = parts.etat
    if etat is None:
        return
    if etat.signataire in ("ministre_ou_prefet", "prefet") and etat.prefet is None:
        yield (("etat", "signataire"),
               f"signataire « {etat.signataire} » : indiquez le préfet (rubrique prefet, avec "
               "au moins son departement)")
    if etat.signataire == "ministre" and etat.prefet is not None:
        yield (("etat", "prefet"),
               "le préfet n'est pas nommé quand le ministre signe seul : retirez la rubrique "
               "prefet, ou écrivez signataire: ministre_ou_prefet")
    if etat.signataire == "prefet" and "ministre" in etat.model_fields_set:
        yield (("etat", "ministre"),
               "le ministre n'est pas nommé quand le préfet signe seul : retirez la rubrique "
               "ministre, ou écrivez signataire: ministre_ou_prefet")
    interco = parts.intercommunalite
    if etat.prefet and interco and etat.prefet.departement not in interco.departements:
        yield (("etat", "prefet", "departement"),
               f"le département du préfet « {etat.prefet.departement} » n'est pas parmi ceux "
               f"de l'intercommunalité ({', '.join(interco.departements)})")


def _signature(parts: Parts) -> Iterator[Found]:
    signature = parts.signature
    if signature is None:
        return
    signed, labelled = signature.date, parts.labellisation
    if signed and labelled and signed < labelled:
        yield (("signature", "date"),
               f"la signature ({signed:%d/%m/%Y}) ne peut précéder la labellisation "
               f"({labelled:%d/%m/%Y})")
    if sorted(signature.ordre) != ["etat", "intercommunalite"]:
        yield (("signature", "ordre"),
               "l'ordre des signataires nomme une fois chacun : intercommunalite et etat")


def _unique(items: list, section: str, of_kind: str, the_kind: str) -> Iterator[Found]:
    first: dict[str, int] = {}
    for i, item in items:
        if item.code in first:
            yield ((section, i, "code"), f"code {of_kind} « {item.code} » déjà utilisé par "
                                         f"{the_kind} n°{first[item.code] + 1}")
        first.setdefault(item.code, i)


def _codes(parts: Parts) -> Iterator[Found]:
    yield from _unique(parts.axes, "annexe_2_axes", "d'axe", "l'axe")
    yield from _unique(parts.operations, "annexe_3_operations", "d'opération", "l'opération")


def _operations(parts: Parts) -> Iterator[Found]:
    axis_codes = list(dict.fromkeys(parts.axis_codes))
    for i, op in parts.operations:
        if op.axe not in axis_codes:
            known = ", ".join(axis_codes) or "aucun axe n'est déclaré dans annexe_2_axes"
            close = difflib.get_close_matches(op.axe, axis_codes, n=1, cutoff=0.5)
            hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
            yield (("annexe_3_operations", i, "axe"),
                   f"axe « {op.axe} » inconnu{hint} : axes déclarés : {known}")
        total = sum((f.montant for f in op.financements), Decimal(0))
        if total != op.cout_total:
            yield (("annexe_3_operations", i, "financements"),
                   f"le plan de financement totalise {euros(total)} mais le coût total est de "
                   f"{euros(op.cout_total)} (écart : {euros(abs(op.cout_total - total))})")
        if op.fin < op.debut:
            yield (("annexe_3_operations", i, "fin"),
                   f"l'opération finit ({op.fin:%d/%m/%Y}) avant de commencer "
                   f"({op.debut:%d/%m/%Y})")
