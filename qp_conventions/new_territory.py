"""`qp new`: a new territory file, the commented draft a person completes
(templates/territoire.yaml.j2). What is given on the command line is filled in, the rest
is « à compléter »; the file is checked before it is written, and never replaces one.

Its first line names the JSON Schema, kept beside the territories folder
(schema/territoire.schema.json, written if the project has none yet), so that an
editor completes and checks the file while it is typed (schema.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from . import programme
from .errors import InvalidTerritory, QPError, UsageError
from .french import join_or
from .loader import EXTENSIONS, NAME, name_problem
from .model import official_departement
from .output import rewrite, write_atomic
from .render import templates_dir
from .schema import SCHEMA_FILE, header_line, schema_text
from .validate import check_file


@dataclass
class Created:
    path: Path
    schema: Path | None  # the schema file, when it had to be written too
    to_complete: int  # facts left « à compléter »


def _scalar(value: str) -> str:
    """`value` as one YAML scalar: plain when YAML reads it back as the same text,
    quoted otherwise (« yes », « 1:30 », « # », a leading « - »…)."""
    text = yaml.safe_dump(value, allow_unicode=True, width=10**6).removesuffix("\n...\n")
    if "\n" in text.rstrip("\n"):  # a line break: written « \n » in one double-quoted line
        text = yaml.safe_dump(value, allow_unicode=True, width=10**6, default_style='"')
    return text.rstrip("\n")


def _departements(names: list[str]) -> list[str]:
    """The official names, or a usage error saying which one is unknown."""
    official = []
    for name in names:
        try:
            official.append(official_departement(name))
        except ValueError as exc:
            raise UsageError(f"--departement : {exc}") from None
    return official


def text(path: Path, nom: str | None, departements: list[str], schema_file: Path,
         today: dt.date) -> str:
    env = Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=False,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["scalar"] = _scalar
    codes = {name: join_or(list(getattr(programme, name))) for name in (
        "GENDERS", "CIVILITIES", "STATE_SIGNATORIES", "PARTNERS_SHORT", "LOCAL_STEERING")}
    return env.get_template("territoire.yaml.j2").render(
        header=header_line(path, schema_file),
        title=" ".join((nom or path.stem).split()),  # (a comment: one line)
        today=f"{today:%d/%m/%Y}", nom=nom or "à compléter",
        departements=departements or ["à compléter"], codes=codes,
        redaction=programme.CURRENT_WORDING)


def _name_advice(slug: str, path: Path) -> str:
    if "/" in slug or "\\" in slug:  # « ../x » would be written outside the folder
        return ("un nom, pas un chemin : le fichier va dans le dossier des territoires "
                "(--territories pour en choisir un autre)")
    if Path(slug).suffix.lower() in EXTENSIONS:
        return f"écrivez le nom sans extension : qp new {Path(slug).stem}"
    return name_problem(path) or ("le nom d'un territoire s'écrit en minuscules sans "
                                  "accents, chiffres, « - » et « _ »")


def create(slug: str, territories: Path, nom: str | None, departements: list[str],
           today: dt.date) -> Created:
    """Write territories/<slug>.yaml. Refused if the name breaks the naming rule, if the
    territory exists, or if what was given makes the file invalid (nothing written)."""
    path = territories / f"{slug}.yaml"
    if not NAME.fullmatch(slug):
        raise UsageError(f"territoire « {slug} » : {_name_advice(slug, path)}")
    for extension in EXTENSIONS:
        existing = territories / f"{slug}{extension}"
        if existing.exists() or existing.is_symlink():
            raise QPError(f"{existing} existe déjà : qp new ne remplace jamais un fichier de "
                          "territoire (choisissez un autre nom, ou modifiez celui-ci)")
    if not territories.is_dir():
        raise QPError(f"dossier des territoires {territories} introuvable : créez-le, ou "
                      "indiquez-en un autre avec --territories")
    schema_file = territories.parent / SCHEMA_FILE
    new = text(path, nom, _departements(departements), schema_file, today)
    checked = check_file(path, new)
    if checked.errors:  # a value given on the command line that the file cannot hold
        raise InvalidTerritory(checked.errors)
    written_schema = None
    if not schema_file.exists():
        schema_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(schema_file, schema_text().encode("utf-8"))
        written_schema = schema_file
    rewrite(path, new.encode("utf-8"), was=b"")  # (under the lock of territory files)
    return Created(path, written_schema, len(checked.warnings))
