"""The tool's one job, as functions the CLI calls: find → load/validate → render → write.
Nothing here prints or exits; user errors are `QPError`s."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidTerritory, Problem, QPError

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
EXTENSIONS = (".yaml", ".yml")


def territory_files(paths: list[Path]) -> list[Path]:
    """The territory files named, or found directly inside the folders named, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir()
                                if p.suffix in EXTENSIONS and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise QPError(f"{path} : fichier ou dossier introuvable")
    return found


def territory_path(territories: Path, slug: str) -> Path:
    """The file of a territory named by its slug, never outside the territories folder."""
    if not SLUG.match(slug):
        raise QPError(
            f"nom de territoire « {slug} » refusé : utilisez le nom du fichier sans extension, "
            "en minuscules, chiffres et tirets (par exemple « toulouse »)"
        )
    for extension in EXTENSIONS:
        candidate = territories / f"{slug}{extension}"
        if candidate.is_file():
            return candidate
    known = sorted(p.stem for p in territory_files([territories])) if territories.is_dir() else []
    import difflib

    close = difflib.get_close_matches(slug, known, n=1, cutoff=0.6)
    hint = f" Vouliez-vous dire « {close[0]} » ?" if close else (
        f" Territoires disponibles : {', '.join(known)}." if known else "")
    raise QPError(f"territoire « {slug} » introuvable dans {territories}/.{hint}")


@dataclass
class Written:
    slug: str
    path: Path
    warnings: list[Problem]


def build_document(path: Path) -> tuple[bytes, list[Problem]]:
    """The .docx of one territory file and its warnings; InvalidTerritory on any error."""
    from .docx_writer import write_docx
    from .render import render_blocks, templates_dir
    from .validate import check_file

    checked = check_file(path)
    if checked.errors:
        raise InvalidTerritory(checked.errors)
    territory = checked.territory
    blocks = render_blocks(territory)
    interco = territory.intercommunalite.nom
    data = write_docx(
        blocks,
        templates_dir() / "reference.docx",
        title=f"Convention d'engagement Quartiers productifs – {interco}",
        subject="Convention d'engagement Quartiers productifs et ses annexes",
        when=territory.signature.date or territory.labellisation,
    )
    return data, checked.warnings


def generate(path: Path, out: Path) -> Written:
    from .output import write_atomic

    data, warnings = build_document(path)
    target = out / f"{path.stem}.docx"
    write_atomic(target, data)
    return Written(path.stem, target, warnings)
