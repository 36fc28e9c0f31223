"""What the commands do with territory files, as functions: find them (by name or
path, one naming rule), validate them, and sum them up for `qp list`. Writing documents
is batch.py's. Nothing here prints or exits; user errors are `QPError`s.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from . import acts, lifecycle, programme
from .errors import QPError, UsageError
from .files import is_temporary
from .loader import EXTENSIONS, NAME, SAYS_YAML, name_problem
from .validate import Checked, check_file, is_programme_name


# --- finding territory files ---------------------------------------------------------

def territory_files(folder: Path) -> list[Path]:
    """The territory files of a folder, sorted: every entry whose name says YAML. One that
    breaks the naming rule, or is not a plain file (a broken link, a folder), is kept:
    validation reports it, rather than the batch silently counting one territory less.
    qp's own temporary files (`.x.yaml.<random>.tmp`) are not territories: left out, and
    removed when the run that wrote them is gone."""
    if not folder.is_dir():
        if folder.exists():
            raise QPError(f"{folder} n'est pas un dossier : --territories désigne le dossier "
                          "des fichiers de territoire")
        raise QPError(f"{folder} : dossier introuvable")
    found = sorted(p for p in folder.iterdir()
                   if SAYS_YAML.search(p.name) and not is_programme_file(p))
    if any(is_temporary(p.name) for p in found):  # what a killed qp left: never a territory
        from .output import remove_territory_leftovers

        remove_territory_leftovers(folder)
        found = [p for p in found if not is_temporary(p.name)]
    return distinct(found)


def is_programme_file(path: Path) -> bool:
    """territories/programme.yaml holds the programme's national facts: never a
    territory (validate.check_programme reads it for every territory beside it)."""
    return is_programme_name(path.name)


def _not_programme(path: Path) -> Path:
    if is_programme_file(path):
        raise QPError(f"{path} n'est pas un territoire : il tient les faits nationaux du "
                      "programme (ministre, vagues de labellisation), que chaque territoire du "
                      "dossier reprend ; qp validate le vérifie avec eux")
    return path


def find(targets: list[str], territories: Path) -> list[Path]:
    """The files named on the command line: a territory's name (« toulouse », looked for
    in the territories folder), a file's path, or a folder's path (all its territories)."""
    found: list[Path] = []
    for target in targets:
        path = Path(target)
        if not target.strip():
            found.append(_by_name(territories, target))
        elif path.is_dir():
            found += territory_files(path)
        elif path.suffix.lower() in EXTENSIONS or os.sep in target or "/" in target:
            if not path.exists() and path.name == target and (territories / target).exists():
                path = territories / target  # « toulouse.yaml »: the territories folder's
            if not path.exists():
                raise QPError(f"{path} : fichier introuvable")
            found.append(_not_programme(path))  # (validation says if it is not a plain file)
        else:
            found.append(_by_name(territories, target))
    return distinct(found)


def find_one(target: str, territories: Path) -> Path:
    """The one territory file a command works on (sign, import-operations): a name or a
    file, never a folder (whose first file would be taken by mistake)."""
    if Path(target).is_dir():
        raise UsageError(f"{target} est un dossier : indiquez un seul territoire, par son nom "
                         "(toulouse) ou son fichier")
    return find([target], territories)[0]


def _by_name(territories: Path, name: str) -> Path:
    if not NAME.fullmatch(name):
        raise QPError(
            f"nom de territoire « {name} » refusé : utilisez le nom du fichier sans extension, "
            "en minuscules sans accents, chiffres, « - » et « _ » (par exemple « toulouse »)")
    for extension in EXTENSIONS:
        candidate = territories / f"{name}{extension}"
        if candidate.is_file():
            return _not_programme(candidate)
    known = [p.stem for p in territory_files(territories) if name_problem(p) is None] \
        if territories.is_dir() else []
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" Vouliez-vous dire « {close[0]} » ?" if close else (
        f" Territoires disponibles : {', '.join(known)}." if known else "")
    raise QPError(f"territoire « {name} » introuvable dans {territories}/.{hint}")


def distinct(paths: list[Path]) -> list[Path]:
    """Each file once; two files that would write the same document are refused."""
    by_name: dict[str, Path] = {}
    for path in paths:  # toulouse.yaml and toulouse.yml would both write out/toulouse.docx
        if path.stem in by_name and by_name[path.stem].resolve() != path.resolve():
            raise QPError(f"deux fichiers pour le territoire « {path.stem} » : "
                          f"{by_name[path.stem]} et {path} ; gardez-en un seul")
        by_name.setdefault(path.stem, path)
    return list(by_name.values())


# --- validating ----------------------------------------------------------------------

def validate(paths: list[Path]) -> list[Checked]:
    if not paths:
        raise QPError("aucun fichier de territoire (.yaml) à vérifier")
    with fewer_cycle_collections():
        return [check_file(path) for path in paths]


@contextlib.contextmanager
def fewer_cycle_collections() -> Iterator[None]:
    """Reading territories and building documents makes many short-lived objects and
    almost no reference cycles: collecting cycles less often saves a fifth of a
    document's time (benchmarks/bench.py). Python's thresholds come back afterwards."""
    previous = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


# --- overview ------------------------------------------------------------------------

@dataclass
class Row:
    """One territory, as `qp list` shows it (the chef de file and the end of validity
    as the signed avenants have changed them)."""

    name: str
    path: Path
    statut: str  # display names; « — » when still to complete
    chef_de_file: str
    fin: str
    to_complete: int
    errors: int
    acts: list[str] = field(default_factory=list)  # « convention signée le 15/10/2021 »…


def overview(folder: Path, out: Path) -> list[Row]:
    rows = []
    for checked in validate(territory_files(folder)):
        territory = checked.territory
        broken = [p for p in (*acts.record_problems(checked.path, territory, out),
                              *acts.signed_pdf_problems(checked.path, out)) if p.is_error] \
            if territory is not None else []
        if territory is None or broken:
            rows.append(Row(checked.path.stem, checked.path, "", "", "", 0,
                            len(checked.errors) + len(broken)))
            continue
        partner = lifecycle.current(territory, "chef_de_file")
        rows.append(Row(checked.path.stem, checked.path,
                        programme.CONVENTION_STATUSES[territory.statut],
                        programme.PARTNERS_SHORT.get(partner, "—") if isinstance(partner, str) else "—",
                        f"{lifecycle.end_of_validity(territory):%d/%m/%Y}",
                        len(checked.warnings), 0,
                        [act_status(act) for act in acts.of(territory)]))
    return rows


def act_status(act: acts.Act) -> str:
    """« convention signée le 15/10/2021 », « avenant n° 2 en projet »."""
    name = act.label.split(" ", 1)[1] if act.kind != acts.AVENANT else act.label[2:]
    if act.signed:
        return f"{name} {act.signed_label.rsplit(' ', 1)[1]} le {act.date:%d/%m/%Y}"
    return f"{name} en projet"
