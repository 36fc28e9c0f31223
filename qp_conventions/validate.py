"""Validate a territory file: its name, its YAML, the schema, the rules between fields,
and the facts still « à compléter ».

Every problem of a file comes at once, each located at its YAML line and column, sorted
by line: what the loader could not read, what the schema refuses, what the rules find
in the parts that are valid on their own. A file without errors gives the validated
territory, with each missing fact (`model.Missing`) in its place.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel, ValidationError

from . import rules
from .errors import ERROR, TO_COMPLETE, WARNING, InvalidTerritory, Problem, field_path
from .images import Image, ImageError, read_image
from .lifecycle import roadmap_due, today as lifecycle_today
from .loader import LoadedFile, load_territory_file, name_problem
from .model import Missing, Programme, Territory, is_to_complete
from .programme import LABELLISATION


@dataclass
class Checked:
    """A territory file after validation: the territory when it is usable, and its problems."""

    path: Path
    territory: Territory | None
    problems: list[Problem]
    logos: list[Image] = field(default_factory=list)
    national: Programme = field(default_factory=Programme)  # territories/programme.yaml

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def check_file(path: Path, text: str | None = None) -> Checked:
    """The territory file at `path`, or `text` given for it (a change not yet written)."""
    wrong_name = name_problem(path)
    if wrong_name:
        return Checked(path, None, [Problem(path, None, None, "", wrong_name)])
    try:
        loaded = load_territory_file(path, text)
    except InvalidTerritory as exc:  # the file cannot be read as YAML at all
        return Checked(path, None, exc.problems)
    problems = list(loaded.problems)
    national, national_problems = check_programme(path.parent)
    problems += national_problems  # (printed once however many territories share them)
    national_errors = [p for p in national_problems if p.is_error]
    if national_errors:
        problems.append(Problem(
            path, None, None, "",
            f"en attente des faits nationaux : corrigez d'abord {national_errors[0].file} "
            f"({len(national_errors)} erreur(s))"))
    try:
        territory = Territory.model_validate(_inherit(loaded.data, national))
    except ValidationError as exc:
        territory = None
        problems += _schema_problems(loaded, exc)
    today = lifecycle_today()
    if territory is not None:  # (first: at its place, the one message kept)
        problems += [Problem(path, *loaded.position(loc), field_path(loc),
                             f"date à venir ({day:%d/%m/%Y}) : une signature s'enregistre "
                             "une fois faite") for loc, day in _signatures(territory) if day > today]
    parts = rules.Parts.of(territory) if territory else rules.Parts.valid_in(loaded.data)
    found = rules.check(parts)
    logos: list[Image] = []
    if territory is not None:
        logos, logo_problems = _logos(path, territory)
        found += logo_problems
    problems += [Problem(path, *loaded.position(loc), field_path(loc), message)
                 for loc, message in found]
    problems += [Problem(path, *loaded.position(loc), field_path(loc), message, WARNING)
                 for loc, message in rules.spelling_warnings(parts)]
    problems = _one_per_place(problems)
    if territory is not None:
        wrong = {(p.line, p.column) for p in problems}
        for loc, missing, later_act in missing_facts(territory):
            # a signed convention is complete; what the feuille de route, or an avenant
            # still to sign, brings may follow
            signed = territory.statut == "signee" and loc[0] not in ROADMAP_PARTS \
                and later_act is None
            problem = Problem(
                path, *loaded.position(loc), field_path(loc),
                f"convention signée, mais à compléter : {missing.author}" if signed
                else f"{TO_COMPLETE} : {missing.author}" + (
                    f" (l'avenant n° {later_act} l'imprime)"
                    if later_act is not None and loc != ("etat",) else ""),
                ERROR if signed else WARNING)
            if (problem.line, problem.column) not in wrong:  # (an error says it already)
                problems.append(problem)
        # A draft's feuille de route is its annexes, reported above; once the convention
        # is signed, a feuille de route not dated after its due date is late.
        due = roadmap_due(territory)
        if (territory.statut == "signee" and territory.feuille_de_route.date is None
                and today > due):
            problems.append(Problem(
                path, *loaded.position(("statut",)), "feuille_de_route",
                f"{TO_COMPLETE} : feuille de route, attendue depuis le {due:%d/%m/%Y} (6 mois "
                "après la labellisation, article 1) : datez-la (feuille_de_route.date) quand "
                "elle est signée", WARNING))
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    return Checked(path, territory if not any(p.is_error for p in problems) else None,
                   problems, logos, national)


PROGRAMME_FILE = "programme.yaml"


def is_programme_name(name: str) -> bool:
    """programme.yaml, and the spellings a person may use for it (Programme.yaml,
    programme.yml): never a territory, always the national facts."""
    return name.lower() in (PROGRAMME_FILE, "programme.yml")


def check_programme(folder: Path) -> tuple[Programme, list[Problem]]:
    """The programme's national facts (territories/programme.yaml, when there is one),
    and its problems (errors make every territory of the folder wait for them)."""
    try:
        found = _programme_names(folder, folder.stat().st_mtime_ns)
    except OSError:
        return Programme(), []
    if not found:
        return Programme(), []
    path = folder / found[0]
    if len(found) > 1:
        return Programme(), [Problem(folder / name, None, None, "",
                                     f"deux fichiers des faits nationaux : {', '.join(found)} ; "
                                     f"gardez-en un seul, nommé {PROGRAMME_FILE}")
                             for name in found[1:]]
    try:
        stat = path.stat()
    except OSError:
        return Programme(), []
    return _programme(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _programme_names(folder: Path, mtime: int) -> tuple[str, ...]:
    """The programme files of a folder, programme.yaml first: the folder is read once per
    run, not once per territory (a batch of 500 read 250 000 entries), and again when an
    entry is added, removed or renamed (its `mtime` changes)."""
    return tuple(sorted((e.name for e in os.scandir(folder) if is_programme_name(e.name)),
                        key=lambda name: (name != PROGRAMME_FILE, name)))


@functools.lru_cache(maxsize=8)
def _programme(path: Path, mtime: int, size: int) -> tuple[Programme, list[Problem]]:
    # (read once per run, though every territory of the folder inherits it)
    try:
        loaded = load_territory_file(path)
    except InvalidTerritory as exc:
        return Programme(), exc.problems
    try:
        national = Programme.model_validate(loaded.data if loaded.data is not None else {})
    except ValidationError as exc:
        return Programme(), [*loaded.problems, *_schema_problems(loaded, exc)]
    problems = [p for p in loaded.problems if p.is_error]
    if national.ministre is not None:
        problems += [Problem(path, *loaded.position(("ministre", key)),
                             field_path(("ministre", key)), message)
                     for key, message in rules.minister_disagreements(national.ministre)]
    dates = [wave.date for wave in national.vagues]
    for i, wave in enumerate(national.vagues):
        where = loaded.position(("vagues", i, "date"))
        if i and wave.date <= dates[i - 1]:
            problems.append(Problem(path, *where, field_path(("vagues", i, "date")),
                                    f"vague du {wave.date:%d/%m/%Y} : les vagues se suivent, "
                                    "une date par vague, de la plus ancienne à la plus récente"))
    if dates and dates[0] != LABELLISATION:
        problems.append(Problem(path, *loaded.position(("vagues", 0, "date")), "vagues[1].date",
                                f"la première vague est celle du lancement, le "
                                f"{LABELLISATION:%d/%m/%Y} (les 14 territoires pilotes)"))
    # (a fact it leaves « à compléter » is reported by each territory that prints it)
    return national, problems


def _inherit(data: Any, national: Programme) -> Any:
    """A territory's data with the programme's minister under its own etat.ministre (key
    by key: what the territory writes stands), unless the préfet signs alone."""
    if national.ministre is None or not isinstance(data, dict):
        return data
    etat = data.get("etat", {})
    if not isinstance(etat, dict) or etat.get("signataire") == "prefet":
        return data
    own = etat.get("ministre", {})
    if not isinstance(own, dict):
        return data
    inherited = {key: getattr(national.ministre, key) for key in national.ministre.model_fields_set}
    inherited = {key: value for key, value in inherited.items() if isinstance(value, str)}
    # (« à compléter » in the territory is what it does not know: the programme knows it)
    own = {key: value for key, value in own.items()
           if not (is_to_complete(value) and key in inherited)}
    return {**data, "etat": {**etat, "ministre": {**inherited, **own}}}


def _signatures(territory: Territory) -> Iterator[tuple[tuple, dt.date]]:
    """The dates that record a signature: the convention's once signed, its feuille de
    route's, its avenants'."""
    if territory.statut == "signee" and isinstance(territory.signature.date, dt.date):
        yield ("signature", "date"), territory.signature.date
    if isinstance(territory.feuille_de_route.date, dt.date):
        yield ("feuille_de_route", "date"), territory.feuille_de_route.date
    for i, avenant in enumerate(territory.avenants):
        if isinstance(avenant.date, dt.date):
            yield ("avenants", i, "date"), avenant.date


def _one_per_place(problems: list[Problem]) -> list[Problem]:
    """A value the loader could not read is None for the schema too: one message there."""
    seen: set[tuple] = set()
    kept = []
    for problem in problems:
        place = (problem.line, problem.column) if problem.line is not None else id(problem)
        if place not in seen:
            seen.add(place)
            kept.append(problem)
    return kept


# The parts of a territory file that belong to the feuille de route (annexes 1 to 3),
# which Article 1 lets come after the convention's signature.
ROADMAP_PARTS = {"annexe_1_gouvernance", "annexe_2_axes", "annexe_3_operations",
                  "feuille_de_route", "avenants"}

# What the document prints of the annexes when they are empty, and the signatory's parts
# it leaves out: facts the templates complete, reported to the author here.
_EMPTY_ANNEXES = {
    "annexe_1_gouvernance": "instances de gouvernance (annexe 1) : le document imprime les "
                            "préconisations de la convention, présidence et fréquence à compléter",
    "annexe_2_axes": "axes stratégiques de la Feuille de route (annexe 2)",
    "annexe_3_operations": "opérations de la Feuille de route (annexe 3)",
}


def missing_facts(territory: Territory) -> list[tuple[tuple, Missing, int | None]]:
    """Every fact still to supply, with its YAML path, in the file's order, and the
    number of the avenant still to sign that alone prints it (None: the convention or
    its feuille de route do); not the facts of a signatory who does not sign (the
    minister when the préfet signs alone)."""
    unused = set()
    states = [(("etat",), territory.etat)]
    for where, act in [(("signature",), territory.signature),
                       (("feuille_de_route",), territory.feuille_de_route),
                       *((("avenants", i), a) for i, a in enumerate(territory.avenants))]:
        if act.signataires is not None and act.signataires.etat is not None:
            states.append(((*where, "signataires", "etat"), act.signataires.etat))
    # An avenant of prolongation still to sign is signed for the State by the préfet
    # (acts.signatories), whoever signs the convention: his or her name is a fact it prints.
    prolongation = next((a for a in territory.avenants if a.objet == "prolongation"
                         and not isinstance(a.date, dt.date)
                         and (a.signataires is None or a.signataires.etat is None)), None)
    for where, etat in states:
        if etat.signataire not in ("ministre", "ministre_ou_prefet"):
            unused.add((*where, "ministre"))
        if etat.signataire != "prefet" and not (prolongation and where == ("etat",)):
            unused.add((*where, "prefet"))
    # (the préfet of a convention the minister signs: only the prolongation prints him)
    prefect_for = prolongation.numero if prolongation and territory.etat.signataire != "prefet" \
        else None
    found = [(loc, missing, prefect_for if loc[:2] == ("etat", "prefet") else None)
             for loc, missing in _walk(territory) if not any(loc[:len(u)] == u for u in unused)]
    if prolongation and territory.etat.prefet is None:
        words = (f"préfet du département, qui signe l'avenant n° {prolongation.numero} "
                 "(prolongation) : etat.prefet (departement, civilite, prenom, nom)")
        found.append((("etat",), Missing(words, words), prolongation.numero))
    for name, words in _EMPTY_ANNEXES.items():
        if not getattr(territory, name):
            found.append(((name,), Missing(words, words), None))
    return found


def _walk(model: BaseModel, loc: tuple = ()) -> Iterator[tuple[tuple, Missing]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            where = (*loc, name, i) if isinstance(value, list) else (*loc, name)
            if isinstance(item, Missing):
                yield where, item
            elif isinstance(item, BaseModel):
                yield from _walk(item, where)


def _logos(path: Path, territory: Territory) -> tuple[list[Image], list[rules.Found]]:
    """The logos, read from files beside the territory file."""
    images, found = [], []
    for i, name in enumerate(territory.logos):
        if isinstance(name, Missing):
            continue
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


# --- pydantic's errors, in French --------------------------------------------------

MAX_SCHEMA_PROBLEMS = 100  # a file with more has a deeper trouble than its values


def _schema_problems(loaded: LoadedFile, exc: ValidationError) -> list[Problem]:
    errors = exc.errors(include_url=False)
    problems = []
    if len(errors) > MAX_SCHEMA_PROBLEMS:
        problems.append(Problem(loaded.path, None, None, "",
                                f"{len(errors)} erreurs dans ce fichier : voici les "
                                f"{MAX_SCHEMA_PROBLEMS} premières"))
    for error in errors[:MAX_SCHEMA_PROBLEMS]:
        loc = _clean_loc(error["loc"])
        unknown_key = error["type"] == "extra_forbidden"  # point at the key, not its value
        problems.append(Problem(loaded.path, *loaded.position(loc, key=unknown_key),
                                field_path(loc),
                                _translate(error, error.get("input"), loc, loaded.source(loc))))
    return problems


def _clean_loc(loc: tuple) -> tuple:
    # pydantic inserts the names of validators and union members in loc; they are not keys.
    return tuple(p for p in loc if isinstance(p, int) or not (
        "[" in p or p.startswith("function-") or p in {"literal", "nullable"}))


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "un oui/non (booléen)"
    if isinstance(value, (int, float, Decimal)):
        return "un nombre"
    if isinstance(value, dt.date):
        return "une date"
    if value is None:
        return "vide (rien après « : »)"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, dict):
        return "une rubrique"
    return "un texte"


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys of the rubric at `loc`."""
    current: Any = Territory
    for part in loc:
        if isinstance(part, int):
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return []
        annotation = info.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
                       None)
        if current is None:
            return []
    return list(current.model_fields)


def _suggestion(value: Any, choices: list[str]) -> str:
    """« (vouliez-vous dire « anru » ?) » whatever the case of what was written."""
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(str(value).lower(), list(by_lower), n=1, cutoff=0.5)
    return f"vouliez-vous dire « {by_lower[close[0]]} » ?" if close else ""


def _translate(error: dict, raw: Any, loc: tuple, source: str | None) -> str:
    """pydantic's error in French; `source` is the value as typed in the file."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"rubrique obligatoire « {loc[-1]} » absente"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = _suggestion(loc[-1], allowed)
        hint = f" : {hint}" if hint else (f" : clés possibles ici : {', '.join(allowed)}"
                                         if allowed else "")
        return f"clé inconnue « {loc[-1]} »{hint}"
    if kind == "string_type":
        if isinstance(raw, (bool, int, float, Decimal, dt.date)):
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
        expected = [e.strip().strip("'") for e in
                    str(ctx.get("expected", "")).replace(" or ", ", ").split(",")]
        if isinstance(raw, (list, dict)):  # (no suggestion for a whole list)
            return (f"{_describe(raw)} à la place d'une valeur : valeurs possibles : "
                    f"{', '.join(expected)}")
        hint = _suggestion(raw, expected)
        shown = f"« {raw} »"
        return (f"valeur {shown} non reconnue{f' ({hint})' if hint else ''} : valeurs "
                f"possibles : {', '.join(expected)}")
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
