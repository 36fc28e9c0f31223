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

from . import french, programme
from .french import euros
from .lifecycle import add_months
from .model import (Avenant, Axis, Date, Intercommunality, Missing, Operation, Roadmap,
                    Signature, State, Territory, is_to_complete)

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
    statut: str | None = None
    chef_de_file: Any = None
    pilotage: Any = None
    roadmap: Roadmap | None = None
    avenants: list[tuple[int, Avenant]] | None = None  # None: some avenant is not valid

    @classmethod
    def of(cls, territory: Territory) -> "Parts":
        return cls(territory.intercommunalite, territory.etat, territory.signature,
                   territory.labellisation, list(enumerate(territory.annexe_2_axes)),
                   list(enumerate(territory.annexe_3_operations)),
                   [axis.code for axis in territory.annexe_2_axes], territory.statut,
                   territory.chef_de_file, territory.pilotage, territory.feuille_de_route,
                   list(enumerate(territory.avenants)))

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
             if isinstance(axis, dict) and isinstance(axis.get("code"), str)
             and not is_to_complete(axis["code"])],
            valid(Territory.model_fields["statut"].annotation, data.get("statut", "brouillon")),
            None, None,  # (the rules on avenants need the whole file valid)
            valid(Roadmap, data.get("feuille_de_route", {})),
            None,
        )


def check(parts: Parts) -> list[Found]:
    return [*_name(parts), *_state(parts), *_signature(parts), *_codes(parts),
            *_operations(parts), *_signed(parts), *_avenants(parts)]


def _name(parts: Parts) -> Iterator[Found]:
    """The grammar of the intercommunality's name: what its keys say agrees with what the
    name itself says (its article, its initial h), and the representative's function
    with the civility (« Madame … présidente »)."""
    interco = parts.intercommunalite
    if interco is None or isinstance(interco.nom, Missing):
        return
    for key, message in french.contradictions(interco.nom, interco.genre, interco.nombre,
                                              interco.h_initial):
        # (a key the file does not write: point at the name)
        yield (("intercommunalite", key if getattr(interco, key) is not None else "nom"),
               message)
    representant = interco.representant
    if isinstance(representant.fonction, str) and representant.civilite in programme.CIVILITIES:
        gender = "feminin" if representant.civilite == "Madame" else "masculin"
        right = french.function_agreement(representant.fonction, gender)
        if right:
            yield (("intercommunalite", "representant", "fonction"),
                   f"fonction « {representant.fonction} » pour {representant.civilite} "
                   f"{representant.prenom if isinstance(representant.prenom, str) else ''}"
                   .rstrip() + f" : écrivez « {right} » (ou corrigez la civilité)")


def spelling_warnings(parts: Parts) -> list[Found]:
    """Warnings: one financeur written two ways in the file (« Communauté
    d'agglomération » / « Communauté d'Agglomération ») is two financers for annex 3 and
    the report."""
    first: dict[str, tuple[int, str]] = {}
    found = []
    for i, op in parts.operations:
        for j, financing in enumerate(op.financements):
            name = financing.financeur
            if isinstance(name, Missing):
                continue
            key = french.fold(name)
            if key not in first:
                first[key] = (i, name)
            elif first[key][1] != name:
                where, written = first[key]
                found.append((("annexe_3_operations", i, "financements", j, "financeur"),
                              f"financeur « {name} » écrit aussi « {written} » (opération "
                              f"n°{where + 1}) : l'annexe 3 et le rapport en feraient deux "
                              "financeurs ; écrivez-le partout de la même façon"))
    return found


def _signed(parts: Parts) -> Iterator[Found]:
    """A signed convention is dated; its feuille de route is signed after labellisation."""
    if parts.statut == "signee" and parts.signature is not None and not isinstance(
            parts.signature.date, dt.date):
        yield (("statut",), "une convention signée est datée : indiquez signature.date (qp sign "
                            "TERRITOIRE --date AAAA-MM-JJ le fait pour vous)")
    roadmap, labelled = parts.roadmap, parts.labellisation
    if roadmap is None or not isinstance(roadmap.date, dt.date):
        return
    signed = parts.signature.date if parts.signature else None
    if parts.statut != "signee":
        yield (("feuille_de_route", "date"),
               "la feuille de route se signe après la convention, qui est encore un projet "
               "(statut: brouillon) : datez la feuille de route après la signature de la "
               "convention")
    elif isinstance(signed, dt.date) and roadmap.date < signed:
        yield (("feuille_de_route", "date"),
               f"la feuille de route ({roadmap.date:%d/%m/%Y}) ne peut précéder la signature "
               f"de la convention ({signed:%d/%m/%Y}) à laquelle elle est annexée")
    elif labelled and roadmap.date < labelled:
        yield (("feuille_de_route", "date"),
               f"la feuille de route ({roadmap.date:%d/%m/%Y}) ne peut précéder la "
               f"labellisation ({labelled:%d/%m/%Y})")
    if labelled and parts.statut == "signee" and parts.avenants is not None:
        # signed while the convention was in force: the avenants signed by then count
        months = programme.VALIDITY_MONTHS
        for _, avenant in parts.avenants:
            if avenant.objet == "prolongation" and isinstance(avenant.date, dt.date) \
                    and avenant.date <= roadmap.date and isinstance(avenant.duree_mois, int):
                months = max(months, avenant.duree_mois)
        end = add_months(labelled, months)
        if roadmap.date > end:
            yield (("feuille_de_route", "date"),
                   f"la feuille de route ({roadmap.date:%d/%m/%Y}) suit la fin de la convention "
                   f"({end:%d/%m/%Y}) : une convention échue ne reçoit plus de feuille de route")


_VALUES = {"prolongation": "duree_mois", "chef_de_file": "chef_de_file",
           "pilotage": "pilotage", "feuille_de_route": "feuille_de_route"}


def _avenants(parts: Parts) -> Iterator[Found]:
    """Avenants change a signed convention, one thing each, in order: numbered 1, 2, …
    without gap, dated after the convention and after each other, each changing
    something (a prolongation lengthens it)."""
    if not parts.avenants:
        return
    if parts.statut != "signee":
        yield (("avenants",), "un avenant modifie une convention signée, et celle-ci est "
                              "encore un projet (statut: brouillon) : signez d'abord la "
                              "convention, puis ajoutez l'avenant")
        return
    signed = parts.signature.date if parts.signature else None
    previous_date = signed if isinstance(signed, dt.date) else None
    unsigned = None  # the first avenant not signed yet
    prolongation_refused = False
    months, values = programme.VALIDITY_MONTHS, {"chef_de_file": parts.chef_de_file,
                                                 "pilotage": parts.pilotage}
    roadmap = parts.roadmap.date if parts.roadmap else None
    roadmap = roadmap if isinstance(roadmap, dt.date) else None
    for i, avenant in parts.avenants:
        where = ("avenants", i)
        dated = isinstance(avenant.date, dt.date)
        if dated and parts.labellisation and not prolongation_refused:
            end = add_months(parts.labellisation, months)
            if avenant.date > end and avenant.objet == "prolongation":
                yield ((*where, "date"), f"l'avenant de prolongation ({avenant.date:%d/%m/%Y}) "
                                         f"suit la fin qu'il prolongerait ({end:%d/%m/%Y}) : une "
                                         "convention échue ne se prolonge plus ; une prolongation "
                                         "se signe avant la fin de la convention")
            elif avenant.date > end:
                yield ((*where, "date"), f"l'avenant ({avenant.date:%d/%m/%Y}) suit la fin de la "
                                         f"convention ({end:%d/%m/%Y}) : une convention échue ne "
                                         "se modifie plus par avenant")
        if dated and avenant.objet == "feuille_de_route" and roadmap and avenant.date < roadmap:
            yield ((*where, "date"), f"l'avenant ({avenant.date:%d/%m/%Y}) révise la feuille de "
                                     f"route du {roadmap:%d/%m/%Y} : il ne peut la précéder")
        if avenant.numero != i + 1:
            yield ((*where, "numero"), f"avenant n° {avenant.numero} : les avenants se suivent "
                                       f"sans lacune, celui-ci est le n° {i + 1}")
        needed = _VALUES[avenant.objet]
        for name in _VALUES.values():
            given = getattr(avenant, name) is not None
            if name == needed and not given:
                yield ((*where, "objet"), f"avenant de {programme.AVENANT_OBJECTS[avenant.objet]} : "
                                          f"indiquez {name}")
            elif name != needed and given:
                yield ((*where, name), f"{name} ne sert pas à un avenant de "
                                       f"{programme.AVENANT_OBJECTS[avenant.objet]} : retirez-le")
        if isinstance(avenant.date, dt.date) and previous_date and avenant.date < previous_date:
            after = "la signature de la convention" if previous_date == signed else \
                "l'avenant qui le précède"
            yield ((*where, "date"), f"l'avenant ({avenant.date:%d/%m/%Y}) ne peut précéder "
                                     f"{after} ({previous_date:%d/%m/%Y})")
        if isinstance(avenant.date, dt.date) and unsigned is not None:
            yield ((*where, "date"), f"l'avenant n° {unsigned} n'est pas encore signé (sans "
                                     "date) : un avenant qui le suit ne peut l'être avant lui")
        if isinstance(avenant.date, dt.date):
            previous_date = avenant.date
        elif unsigned is None:
            unsigned = avenant.numero
        new = getattr(avenant, needed)
        if dated and isinstance(new, Missing):
            yield ((*where, needed), f"un avenant signé (daté) est complet : indiquez {needed}")
        if avenant.objet == "feuille_de_route" and isinstance(new, dt.date):
            yield from _revised_roadmap(where, avenant, new, roadmap, signed)
            roadmap = new
        if avenant.objet == "prolongation" and isinstance(new, int):
            if new <= months:
                yield ((*where, "duree_mois"), f"l'avenant ne prolonge pas la convention : sa "
                                               f"durée est déjà de {months} mois ; écrivez la "
                                               "nouvelle durée totale, plus longue")
                prolongation_refused = True  # (the end of validity is not known after it)
            months = max(months, new)
        elif avenant.objet in values and new is not None:
            if new == values[avenant.objet]:
                names = programme.PARTNERS_SHORT if needed == "chef_de_file" else \
                    programme.LOCAL_STEERING
                yield ((*where, needed), f"l'avenant ne change rien : {names.get(new, new)} "
                                         "est déjà celui de la convention")
            values[avenant.objet] = new


def _revised_roadmap(where: tuple, avenant: Avenant, revised: dt.date,
                     current: dt.date | None, signed: Any) -> Iterator[Found]:
    """A revised feuille de route replaces the one in force: it is newer than it (and
    than the convention), and signed by the time its avenant is."""
    place = (*where, "feuille_de_route")
    if current and revised == current:
        yield (place, f"l'avenant ne change rien : la feuille de route en vigueur est déjà "
                      f"celle du {current:%d/%m/%Y}")
    elif current and revised < current:
        yield (place, f"la feuille de route révisée ({revised:%d/%m/%Y}) ne peut précéder "
                      f"celle qu'elle remplace ({current:%d/%m/%Y})")
    elif isinstance(signed, dt.date) and revised < signed:
        yield (place, f"la feuille de route révisée ({revised:%d/%m/%Y}) ne peut précéder la "
                      f"signature de la convention ({signed:%d/%m/%Y})")
    if isinstance(avenant.date, dt.date) and revised > avenant.date:
        yield (place, f"la feuille de route révisée ({revised:%d/%m/%Y}) est annexée à "
                      f"l'avenant : elle ne peut suivre sa signature ({avenant.date:%d/%m/%Y})")


def _state(parts: Parts) -> Iterator[Found]:
    """Who signs for the State, and the préfet's département: in office (etat), and as
    each act records it (its signataires)."""
    yield from _state_of(parts, parts.etat, ("etat",))
    acts = [(("signature",), parts.signature), (("feuille_de_route",), parts.roadmap),
            *((("avenants", i), a) for i, a in parts.avenants or [])]
    for where, act in acts:
        if act is not None and act.signataires is not None:
            yield from _state_of(parts, act.signataires.etat, (*where, "signataires", "etat"))


def _state_of(parts: Parts, etat: State | None, where: tuple) -> Iterator[Found]:
    if etat is None:
        return
    if etat.signataire in ("ministre_ou_prefet", "prefet") and etat.prefet is None:
        yield ((*where, "signataire"),
               f"signataire « {etat.signataire} » : indiquez le préfet (rubrique prefet, avec "
               "au moins son departement)")
    if etat.signataire == "ministre" and etat.prefet is not None:
        yield ((*where, "prefet"),
               "le préfet n'est pas nommé quand le ministre signe seul : retirez la rubrique "
               "prefet, ou écrivez signataire: ministre_ou_prefet")
    if etat.signataire == "prefet" and "ministre" in etat.model_fields_set:
        yield ((*where, "ministre"),
               "le ministre n'est pas nommé quand le préfet signe seul : retirez la rubrique "
               "ministre, ou écrivez signataire: ministre_ou_prefet")
    if etat.ministre is not None and etat.signataire in ("ministre", "ministre_ou_prefet"):
        for key, message in minister_disagreements(etat.ministre):
            yield ((*where, "ministre", key), message)
    interco = parts.intercommunalite
    known = [d for d in interco.departements if isinstance(d, str)] if interco else []
    if etat.prefet and known and len(known) == len(interco.departements) \
            and etat.prefet.departement not in known:
        yield ((*where, "prefet", "departement"),
               f"le département du préfet « {etat.prefet.departement} » n'est pas parmi ceux "
               f"de l'intercommunalité ({', '.join(known)})")


def minister_disagreements(ministre) -> Iterator[tuple[str, str]]:
    """A minister's titles (fonction, and those of the signature block) that contradict
    the civility (« Madame … le Ministre délégué »): the key and the message. A new
    minister is when someone changes the name and forgets the title."""
    if ministre.civilite not in programme.CIVILITIES:
        return
    gender = "feminin" if ministre.civilite == "Madame" else "masculin"
    who = " ".join(v for v in (ministre.civilite, ministre.prenom, ministre.nom) if isinstance(v, str))
    for key in ("fonction", "fonction_signature", "qualite_signature"):
        title = getattr(ministre, key)
        wrong = french.title_disagreements(title, gender) if isinstance(title, str) else []
        if wrong:
            yield key, (f"« {title} » pour {who} : l'accord ne suit pas la civilité "
                        f"({', '.join(wrong)}) ; corrigez le titre ou la civilité")


def _signature(parts: Parts) -> Iterator[Found]:
    if parts.labellisation and parts.labellisation < programme.LABELLISATION:
        yield (("labellisation",), f"labellisation du {parts.labellisation:%d/%m/%Y} : le "
                                   "programme a été lancé le "
                                   f"{programme.LABELLISATION:%d/%m/%Y}, avec la première vague")
    signature = parts.signature
    if signature is None:
        return
    signed, labelled = signature.date, parts.labellisation
    if signed and labelled and signed < labelled:
        yield (("signature", "date"),
               f"la signature ({signed:%d/%m/%Y}) ne peut précéder la labellisation "
               f"({labelled:%d/%m/%Y})")
    if signed and labelled and signed > add_months(labelled, programme.VALIDITY_MONTHS):
        end = add_months(labelled, programme.VALIDITY_MONTHS)
        yield (("signature", "date"),
               f"la convention ne peut être signée le {signed:%d/%m/%Y} : sa validité a pris fin "
               f"le {end:%d/%m/%Y} ({programme.VALIDITY_MONTHS} mois après la labellisation du "
               f"{labelled:%d/%m/%Y}, article 4)")
    if sorted(signature.ordre) != ["etat", "intercommunalite"]:
        yield (("signature", "ordre"),
               "l'ordre des signataires nomme une fois chacun : intercommunalite et etat")


def _unique(items: list, section: str, of_kind: str, the_kind: str) -> Iterator[Found]:
    # « OP1 » and « op1 »: one code for a reader, so one entry
    first: dict[str, tuple[int, str]] = {}
    for i, item in items:
        key = item.code.casefold()
        if key in first:
            number, code = first[key]
            written = "" if code == item.code else f" (écrit « {code} »)"
            yield ((section, i, "code"), f"code {of_kind} « {item.code} » déjà utilisé par "
                                         f"{the_kind} n°{number + 1}{written}")
        first.setdefault(key, (i, item.code))


def _codes(parts: Parts) -> Iterator[Found]:
    yield from _unique(parts.axes, "annexe_2_axes", "d'axe", "l'axe")
    yield from _unique(parts.operations, "annexe_3_operations", "d'opération", "l'opération")


def unknown_axis(axe: str, axis_codes: list[str]) -> str | None:
    """Why an operation's axis is wrong, if it is (also said by qp import-operations)."""
    if axe in axis_codes:
        return None
    known = ", ".join(axis_codes) or "aucun axe n'est déclaré dans annexe_2_axes"
    close = difflib.get_close_matches(axe, axis_codes, n=1, cutoff=0.5)
    hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
    return f"axe « {axe} » inconnu{hint} : axes déclarés : {known}"


def financing_gap(amounts: list[Decimal], cost: Decimal) -> str | None:
    """Why a plan of financing does not make the cost, if it does not (also said by qp
    import-operations)."""
    total = sum(amounts, Decimal(0))
    if total == cost:
        return None
    return (f"le plan de financement totalise {euros(total)} mais le coût total est de "
            f"{euros(cost)} (écart : {euros(abs(cost - total))})")


def _operations(parts: Parts) -> Iterator[Found]:
    axis_codes = list(dict.fromkeys(parts.axis_codes))
    for i, op in parts.operations:
        wrong_axis = unknown_axis(op.axe, axis_codes)
        if wrong_axis:
            yield (("annexe_3_operations", i, "axe"), wrong_axis)
        gap = financing_gap([f.montant for f in op.financements], op.cout_total)
        if gap:
            yield (("annexe_3_operations", i, "financements"), gap)
        if op.fin and op.debut and op.fin < op.debut:  # (a Missing is falsy)
            yield (("annexe_3_operations", i, "fin"),
                   f"l'opération finit ({op.fin:%d/%m/%Y}) avant de commencer "
                   f"({op.debut:%d/%m/%Y})")
