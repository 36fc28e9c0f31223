"""The territory file's JSON Schema, for editors: VS Code (Red Hat's YAML extension)
completes the keys, offers the codes with their display names and underlines mistakes
while the file is typed. `qp schema` prints it; the repository keeps a copy in
schema/territoire.schema.json, which each territory file names on its first line.

The schema comes from the pydantic model (model.py), so it cannot drift from what `qp
validate` accepts; what it cannot say (an operation's financings add up to its cost…)
stays with `qp validate`. It is written as JSON Schema draft-07, the version the YAML
extension supports fully."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, NoDefault

from .model import Missing, Programme, Territory  # noqa: F401

# Where a project keeps it: beside territories/ (`qp new` writes it there if absent).
SCHEMA_FILE = Path("schema") / "territoire.schema.json"
# The first line of a territory file: the YAML extension reads the schema it names.
HEADER = "# yaml-language-server: $schema="

# Each rubric's French name and what it holds, shown by the editor (the model's
# docstrings are for the code's readers).
RUBRICS = {
    "Territory": ("territoire", "Un territoire pilote du programme Quartiers productifs : les "
                  "parties de sa convention d'engagement, ses dates et ses annexes 1 à 3. Un "
                  "fait encore inconnu s'écrit « à compléter »."),
    "Intercommunality": ("intercommunalité", "L'intercommunalité bénéficiaire, telle que la "
                         "convention la nomme."),
    "Representative": ("représentant", "Qui signe pour l'intercommunalité."),
    "State": ("État", "Qui signe pour l'État : le ministre, le préfet, ou le ministre « ou le "
              "Préfet du département … le cas échéant »."),
    "Minister": ("ministre", "Le ministre qui signe pour l'État."),
    "Prefect": ("préfet", "Le préfet de département, quand il signe pour l'État."),
    "Signature": ("signature", "Lieu, date et présentation des signatures de la convention."),
    "Instance": ("instance de gouvernance", "Une instance de gouvernance du projet (annexe 1)."),
    "Axis": ("axe stratégique", "Un axe stratégique de la Feuille de route (annexe 2)."),
    "Indicator": ("indicateur", "Un indicateur de suivi d'un axe."),
    "Operation": ("opération", "Une opération de la Feuille de route (annexe 3) : la somme "
                  "de ses financements égale son coût total."),
    "Financing": ("financement", "Une ligne du plan de financement d'une opération."),
    "Roadmap": ("feuille de route", "La feuille de route (annexes 1 à 3), signée à part dans "
                "les 6 mois de la labellisation (article 1)."),
    "Signatories": ("signataires", "Qui a signé l'acte (qp sign l'écrit à côté de sa date) : "
                    "les personnes en fonction peuvent changer ensuite sans changer l'acte "
                    "signé. Un acte à signer peut aussi nommer ses propres signataires."),
    "Programme": ("programme", "Les faits nationaux du programme (territories/programme.yaml), "
                  "que chaque territoire du dossier reprend et peut remplacer : le ministre en "
                  "fonction, les vagues de labellisation."),
    "Wave": ("vague de labellisation", "Une vague de labellisation : sa date et le nombre de "
             "territoires labellisés."),
    "Avenant": ("avenant", "Un avenant à la convention signée : un objet par avenant, "
                "numérotés 1, 2, … sans lacune ; daté, il est en vigueur."),
}


class _Generator(GenerateJsonSchema):
    """pydantic's generator, with the defaults a person would write: « à compléter » for
    a fact left out, none for a whole rubric."""

    def get_default_value(self, schema) -> Any:
        default = super().get_default_value(schema)
        if isinstance(default, Missing):
            return "à compléter"
        if isinstance(default, BaseModel):
            return NoDefault
        return default


PROGRAMME_SCHEMA_FILE = Path("schema") / "programme.schema.json"


def json_schema(model: type[BaseModel] = Territory) -> dict[str, Any]:
    """The schema of a territory file, or of territories/programme.yaml (Programme)."""
    schema = model.model_json_schema(ref_template="#/definitions/{model}",
                                     schema_generator=_Generator)
    definitions = schema.pop("$defs", {})
    for name, rubric in definitions.items():
        rubric["title"], rubric["description"] = RUBRICS[name]
    schema["title"], schema["description"] = RUBRICS[model.__name__]
    return {"$schema": "http://json-schema.org/draft-07/schema#", **schema,
            "definitions": definitions}


def schema_text(model: type[BaseModel] = Territory) -> str:
    """The schema as the repository keeps it (stable: same model, same bytes)."""
    return json.dumps(json_schema(model), ensure_ascii=False, indent=2) + "\n"


def header_line(territory_file: Path, schema_file: Path) -> str:
    """The first line of `territory_file`, naming `schema_file` relatively to it, with
    « / » on every system (the form the YAML extension reads)."""
    relative = os.path.relpath(schema_file.resolve(), territory_file.resolve().parent)
    return HEADER + relative.replace(os.sep, "/")
