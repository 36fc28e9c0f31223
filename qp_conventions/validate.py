"""Validate a territory file: schema, cross-field rules, facts still « à compléter ».

Returns every problem of a file at once, each located at its YAML line and column.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from yaml.nodes import ScalarNode

from .errors import ERROR, WARNING, InvalidTerritory, Problem, field_path
from .loader import LoadedFile, key_node, load_territory_file, name_problem
from .images import Image, ImageError, read_image
from .model import Territory, is_to_complete


@dataclass
class Checked:
    """A territory file after validation: the model when it is usable, and its problems."""

    path: Path
    territory: Territory | None
    problems: list[Problem]
    missing: list[tuple[tuple, str]] = field(default_factory=list)  # see missing_facts
    logos: list[Image] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def _clean_loc(loc: tuple) -> tuple:
    # pydantic inserts the names of validators and union members in loc; they are not keys.
    return tuple(p for p in loc if isinstance(p, int) or not (
        "[" in p or p.startswith("function-") or p in {"literal", "nullable"}))


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "un oui/non (booléen)"
    if isinstance(value, (int, float)):
        return "un nombre"
    if isinstance(value, dt.date):
        return "une date"
    if value is None:
        return "une valeur vide"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, dict):
        return "une rubrique"
    return "un texte"


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names of the model that owns the mapping at `loc`."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return []
        annotation = info.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
                       None)
        if current is None:
            return []
    return list(current.model_fields)


def _translate(error: dict, raw: Any, loc: tuple, source: str | None) -> str:
    """pydantic's error in French; `source` is the value as typed in the file."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"rubrique obligatoire « {loc[-1]} » absente"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(Territory, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.5)
        hint = f" : vouliez-vous dire « {close[0]} » ?" if close else (
            f" : clés possibles ici : {', '.join(allowed)}" if allowed else "")
        return f"clé inconnue « {loc[-1]} »{hint}"
    if kind == "string_type":
        if isinstance(raw, (bool, int, float, dt.date)):
            return (f"texte attendu, mais YAML a lu {_describe(raw)} : mettez la valeur entre "
                    f"guillemets, par exemple \"{source if source is not None else raw}\"")
        return f"texte attendu, mais la valeur est {_describe(raw)}"
    if kind == "string_too_short":
        return "valeur vide : écrivez-la, ou « à compléter »"
    if kind in ("string_too_long", "too_long"):
        if isinstance(raw, str):
            return (f"texte trop long ({len(raw)} caractères ; {ctx.get('max_length')} au plus) : "
                    "raccourcissez-le")
        return f"liste trop longue ({ctx.get('max_length')} éléments au plus)"
    if kind == "literal_error":
        expected = [e.strip().strip("'") for e in str(ctx.get("expected", "")).replace(" or ", ", ").split(",")]
        close = difflib.get_close_matches(str(raw), expected, n=1, cutoff=0.5)
        hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
        shown = raw if not isinstance(raw, (list, dict)) else _describe(raw)
        return f"valeur « {shown} » non reconnue{hint} : valeurs possibles : {', '.join(expected)}"
    if kind == "list_type":
        return f"liste attendue (une ligne « - … » par élément), mais la valeur est {_describe(raw)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return (f"rubrique attendue (des « clé: valeur » indentées en dessous), mais la valeur "
                f"est {_describe(raw)}")
    if kind == "too_short":
        return f"au moins {ctx.get('min_length')} élément(s) attendu(s)"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "nombre entier attendu"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        word = "au moins" if kind == "greater_than_equal" else "au plus"
        return f"nombre {word} égal à {bound} attendu"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"valeur invalide ({error['msg']})"


def _locate(loaded: LoadedFile, loc: tuple, kind: str) -> tuple[int, int]:
    if kind == "extra_forbidden":  # point at the unknown key itself, not at its value
        parent, _ = loaded.locate(loc[:-1])
        key = key_node(parent, loc[-1])
        if key is not None:
            return key.start_mark.line + 1, key.start_mark.column + 1
    return loaded.mark(loc)


def _schema_problems(loaded: LoadedFile, exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = _clean_loc(error["loc"])
        node, complete = loaded.locate(loc)
        # the text as typed, before YAML 1.1 turned it into a boolean, number or date
        source = node.value if complete and isinstance(node, ScalarNode) else None
        line, column = _locate(loaded, loc, error["type"])
        problems.append(Problem(loaded.path, line, column, field_path(loc),
                                _translate(error, error.get("input"), loc, source)))
    return problems


def _unique_codes(items: list, section: str, of_kind: str, the_kind: str,
                  found: list[tuple[tuple, str]]) -> dict[str, int]:
    """Each code once in its annex; returns code -> position of its first use."""
    codes: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.code in codes:
            found.append(((section, i, "code"), f"code {of_kind} « {item.code} » déjà utilisé "
                                                f"par {the_kind} n°{codes[item.code] + 1}"))
        codes.setdefault(item.code, i)
    return codes


def _cross_problems(territory: Territory) -> list[tuple[tuple, str]]:
    """Rules between fields that the schema alone cannot state."""
    found: list[tuple[tuple, str]] = []
    interco = territory.intercommunalite
    found.extend(_signatory_problems(territory))
    prefet = territory.etat.prefet
    if prefet and prefet.departement not in interco.departements:
        found.append((("etat", "prefet", "departement"),
                      f"le département du préfet « {prefet.departement} » n'est pas parmi ceux "
                      f"de l'intercommunalité ({', '.join(interco.departements)})"))
    signed = territory.signature.date
    if signed and signed < territory.labellisation:
        found.append((("signature", "date"),
                      f"la signature ({signed:%d/%m/%Y}) ne peut précéder la labellisation "
                      f"({territory.labellisation:%d/%m/%Y})"))
    if sorted(territory.signature.ordre) != ["etat", "intercommunalite"]:
        found.append((("signature", "ordre"),
                      "l'ordre des signataires nomme une fois chacun : intercommunalite et etat"))

    axis_codes = _unique_codes(territory.annexe_2_axes, "annexe_2_axes", "d'axe", "l'axe", found)
    _unique_codes(territory.annexe_3_operations, "annexe_3_operations", "d'opération",
                  "l'opération", found)
    for i, op in enumerate(territory.annexe_3_operations):
        if op.axe not in axis_codes:
            known = ", ".join(axis_codes) or "aucun axe n'est déclaré dans annexe_2_axes"
            close = difflib.get_close_matches(op.axe, list(axis_codes), n=1, cutoff=0.5)
            hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
            found.append((("annexe_3_operations", i, "axe"),
                          f"axe « {op.axe} » inconnu{hint} : axes déclarés : {known}"))
        total = sum((f.montant for f in op.financements), start=type(op.cout_total)(0))
        if total != op.cout_total:
            from .french import euros

            found.append((("annexe_3_operations", i, "financements"),
                          f"le plan de financement totalise {euros(total)} mais le coût total "
                          f"est de {euros(op.cout_total)} (écart : {euros(abs(op.cout_total - total))})"))
        if op.fin < op.debut:
            found.append((("annexe_3_operations", i, "fin"),
                          f"l'opération finit ({op.fin:%d/%m/%Y}) avant de commencer ({op.debut:%d/%m/%Y})"))
    return found


def _signatory_problems(territory: Territory) -> list[tuple[tuple, str]]:
    """The State's signatory and what is written of it agree."""
    etat = territory.etat
    found = []
    if etat.signataire in ("ministre_ou_prefet", "prefet") and etat.prefet is None:
        found.append((("etat", "signataire"),
                      f"signataire « {etat.signataire} » : indiquez le préfet (rubrique prefet, "
                      "avec au moins son departement)"))
    if etat.signataire == "ministre" and etat.prefet is not None:
        found.append((("etat", "prefet"),
                      "le préfet n'est pas nommé quand le ministre signe seul : retirez la "
                      "rubrique prefet, ou écrivez signataire: ministre_ou_prefet"))
    if etat.signataire == "prefet" and "ministre" in etat.model_fields_set:
        found.append((("etat", "ministre"),
                      "le ministre n'est pas nommé quand le préfet signe seul : retirez la "
                      "rubrique ministre, ou écrivez signataire: ministre_ou_prefet"))
    return found


def _logos(path: Path, territory: Territory) -> tuple[list[Image], list[tuple[tuple, str]]]:
    """The logos, read from files beside the territory file."""
    images, found = [], []
    for i, name in enumerate(territory.logos):
        relative = Path(name)
        if relative.is_absolute() or ".." in relative.parts or ":" in name:
            found.append((("logos", i), f"« {name} » : indiquez le nom d'une image placée dans "
                                        f"le dossier du fichier de territoire ({path.parent}), "
                                        "ou dans un de ses sous-dossiers"))
            continue
        try:
            images.append(read_image(path.parent / relative, name))
        except ImageError as exc:
            found.append((("logos", i), str(exc)))
    return images, found


def _unused(territory: Territory, loc: tuple) -> bool:
    """A fact the document does not print, given who signs for the State."""
    signatory = territory.etat.signataire
    if loc[:2] == ("etat", "ministre"):
        return signatory not in ("ministre", "ministre_ou_prefet")
    if loc[:2] == ("etat", "prefet"):
        return signatory != "prefet"
    return False


def missing_label(model: type[BaseModel], name: str) -> str:
    extra = model.model_fields[name].json_schema_extra or {}
    return extra.get("a_completer", name.replace("_", " "))


def missing_facts(model: BaseModel, loc: tuple = ()) -> list[tuple[tuple, str]]:
    """Every fact still to supply: a `to_complete` field left out, or any text that
    says « à compléter », with its path and label."""
    found = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        extra = info.json_schema_extra or {}
        if (value is None and "a_completer" in extra) or is_to_complete(value):
            found.append(((*loc, name), missing_label(type(model), name)))
        elif isinstance(value, BaseModel):
            found.extend(missing_facts(value, (*loc, name)))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found.extend(missing_facts(item, (*loc, name, i)))
                elif is_to_complete(item):
                    found.append(((*loc, name, i), missing_label(type(model), name)))
    return found


def _warnings(loaded: LoadedFile, facts: list[tuple[tuple, str]],
              territory: Territory) -> list[Problem]:
    facts = list(facts)
    if not territory.annexe_1_gouvernance:
        facts.append((("annexe_1_gouvernance",), "instances de gouvernance (annexe 1) : le "
                      "document imprime les préconisations de la convention, présidence et "
                      "fréquence à compléter"))
    if not territory.annexe_2_axes:
        facts.append((("annexe_2_axes",), "axes stratégiques de la Feuille de route (annexe 2)"))
    if not territory.annexe_3_operations:
        facts.append((("annexe_3_operations",), "opérations de la Feuille de route (annexe 3)"))
    problems = []
    for loc, label in facts:
        problems.append(Problem(loaded.path, *loaded.mark(loc), field_path(loc),
                                f"à compléter : {label}", WARNING))
    return problems


def check_file(path: Path) -> Checked:
    wrong_name = name_problem(path)
    if wrong_name:
        return Checked(path, None, [Problem(path, None, None, "", wrong_name)])
    try:
        loaded = load_territory_file(path)
    except InvalidTerritory as exc:
        return Checked(path, None, exc.problems)
    try:
        territory = Territory.model_validate(loaded.data)
    except ValidationError as exc:
        return Checked(path, None, _schema_problems(loaded, exc))
    logos, logo_problems = _logos(path, territory)
    problems = []
    for loc, message in _cross_problems(territory) + logo_problems:
        problems.append(Problem(path, *loaded.mark(loc), field_path(loc), message, ERROR))
    missing = [(loc, label) for loc, label in missing_facts(territory)
               if not _unused(territory, loc)]
    problems.extend(_warnings(loaded, missing, territory))
    usable = not any(p.is_error for p in problems)
    return Checked(path, territory if usable else None, problems, missing, logos)
