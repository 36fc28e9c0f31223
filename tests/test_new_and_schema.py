"""Starting a territory: `qp new` writes a commented draft that validates and generates at
once; `qp schema` and the schema file let an editor complete and check territory files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import FIXTURES, ROOT
from qp_conventions.core import territory_files

SCHEMA = ROOT / "schema" / "territoire.schema.json"
SHIPPED = sorted(territory_files(ROOT / "territories")) + sorted(FIXTURES.glob("*.yaml"))


# 1. qp new

def test_new_writes_a_draft_that_validates_and_generates(qp, tmp_path):
    (tmp_path / "territories").mkdir()
    result = qp("new", "val-nouveau", "--nom", "la Communauté de communes du Val-Nouveau",
                "--departement", "Haute Garonne")
    assert result.code == 2
    assert result.err == ("erreur : --departement : département « Haute Garonne » inconnu "
                          "(vouliez-vous dire « Haute-Garonne » ?) : écrivez son nom officiel, "
                          "sans article, par exemple « Haute-Garonne » ou « La Réunion »\n")
    assert not (tmp_path / "territories" / "val-nouveau.yaml").exists()

    result = qp("new", "val-nouveau", "--nom", "la Communauté de communes du Val-Nouveau",
                "--departement", "Haute-Garonne", "--departement", "Tarn")
    assert result.code == 0, result.err
    assert result.out == (
        "écrit : schema/territoire.schema.json (le schéma que lisent les éditeurs)\n"
        "écrit : territories/val-nouveau.yaml (11 fait(s) à compléter)\n"
        "ensuite : complétez-le, puis « qp validate territories/val-nouveau.yaml » et "
        "« qp generate val-nouveau »\n")
    text = (tmp_path / "territories" / "val-nouveau.yaml").read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema/territoire.schema.json\n"
                           "# la Communauté de communes du Val-Nouveau — brouillon créé le ")
    assert "  nom: la Communauté de communes du Val-Nouveau\n" in text
    assert "  departements:" in text and "    - Haute-Garonne\n    - Tarn\n" in text
    assert "chef_de_file: à compléter          # anct, anru, banque_des_territoires ou " \
           "bpifrance\n" in text
    # the current model, written out: the file keeps it when the default changes
    assert "\nredaction: modele-2026             # la rédaction actuelle du modèle national" in text
    assert (tmp_path / "schema" / "territoire.schema.json").read_text("utf-8") == \
        SCHEMA.read_text("utf-8")

    validated = qp("validate", "--strict", "territories")
    assert validated.code == 1  # (drafts: facts to complete)
    assert validated.out.startswith("1 fichier(s) vérifié(s) : 0 erreur(s), 11 fait(s) à compléter")
    assert qp("validate", "territories").code == 0
    generated = qp("generate", "val-nouveau")
    assert generated.code == 0, generated.err
    assert (tmp_path / "out" / "val-nouveau.docx").exists()


def test_new_never_replaces_a_file(qp, tmp_path):
    (tmp_path / "territories").mkdir()
    (tmp_path / "territories" / "val.yml").write_text("# le travail de quelqu'un\n", "utf-8")
    result = qp("new", "val")
    assert result.code == 1
    assert result.err == ("erreur : territories/val.yml existe déjà : qp new ne remplace jamais "
                          "un fichier de territoire (choisissez un autre nom, ou modifiez "
                          "celui-ci)\n")
    assert (tmp_path / "territories" / "val.yml").read_text("utf-8") == "# le travail de quelqu'un\n"
    assert not (tmp_path / "territories" / "val.yaml").exists()


def test_new_refuses_a_name_that_breaks_the_rule(qp, tmp_path):
    (tmp_path / "territories").mkdir()
    result = qp("new", "Val Nouveau")
    assert result.code == 2
    assert "renommez-le « val-nouveau.yaml »" in result.err
    assert list((tmp_path / "territories").iterdir()) == []


@pytest.mark.parametrize("name, advice", [
    ("../ailleurs", "un nom, pas un chemin : le fichier va dans le dossier des territoires"),
    ("sous/dossier", "un nom, pas un chemin"),
    ("val.yaml", "écrivez le nom sans extension : qp new val"),
])
def test_new_refuses_a_path_for_a_name(qp, tmp_path, name, advice):
    (tmp_path / "territories").mkdir()
    result = qp("new", name)
    assert result.code == 2
    assert result.err.startswith(f"erreur : territoire « {name} » : {advice}")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["territories"]


@pytest.mark.parametrize("nom", ["yes", "#x: y", "- a", "{{ 7*7 }}", "a: b", "1:30", "null",
                                 "&a", "*a", "!tag", "'quoted'", "x #y", "a\nb: c"])
def test_new_writes_any_name_as_data(qp, tmp_path, nom):
    """What is typed on the command line is a value of the file, never YAML structure."""
    from qp_conventions.validate import check_file

    (tmp_path / "territories").mkdir()
    result = qp("new", "val", "--nom", nom, "--departement", "Loiret")
    assert result.code == 0, result.err
    checked = check_file(tmp_path / "territories" / "val.yaml")
    assert checked.errors == []
    assert checked.territory.intercommunalite.nom == nom


def test_new_refuses_an_invisible_character_and_writes_nothing(qp, tmp_path):
    (tmp_path / "territories").mkdir()
    result = qp("new", "val", "--nom", "Val\u202eFictif")
    assert result.code == 1
    assert ("territories/val.yaml:9:8: erreur : intercommunalite.nom : caractère invisible "
            "U+202E interdit") in result.err
    assert result.err.endswith("erreur : val : fichier non écrit, corrigez les valeurs données\n")
    assert list((tmp_path / "territories").iterdir()) == []
    assert not (tmp_path / "schema").exists()


def test_new_without_a_territories_folder(qp, tmp_path):
    result = qp("new", "val")
    assert result.code == 1
    assert result.err == ("erreur : dossier des territoires territories introuvable : créez-le, "
                          "ou indiquez-en un autre avec --territories\n")


# 2. The schema

def test_the_schema_file_is_what_qp_schema_prints(qp):
    result = qp("schema")
    assert result.code == 0
    assert result.out == SCHEMA.read_text("utf-8")


def yaml_as_an_editor_reads_it(path: Path):
    """The file's data as the YAML extension reads it (YAML 1.2: a date is a string)."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return yaml.load(path.read_text("utf-8-sig"), Loader=Loader)


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text("utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_territory_names_the_schema_and_satisfies_it(path, validator):
    first = path.read_text("utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    named = (path.parent / first.split("=", 1)[1]).resolve()
    assert named == SCHEMA.resolve()
    assert [e.message for e in validator.iter_errors(yaml_as_an_editor_reads_it(path))] == []


@pytest.mark.parametrize("change, complaint", [
    (("chef_de_fille", "anct"), "Additional properties are not allowed ('chef_de_fille' was unexpected)"),
    (("chef_de_file", "la banque"), "'la banque' is not valid under any of the given schemas"),
    (("labellisation", "18/03/2021"), "'18/03/2021' is not valid under any of the given schemas"),
])
def test_the_schema_rejects_what_validation_rejects(validator, change, complaint):
    data = yaml_as_an_editor_reads_it(FIXTURES / "val-fictif.yaml")
    data[change[0]] = change[1]
    assert [e.message for e in validator.iter_errors(data)] == [complaint]


def test_the_schema_speaks_french_and_names_the_codes():
    schema = json.loads(SCHEMA.read_text("utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["additionalProperties"] is False
    assert schema["title"] == "territoire"
    chef = schema["properties"]["chef_de_file"]
    assert chef["title"] == "chef de file"
    assert chef["default"] == "à compléter"
    assert chef["anyOf"][0]["enum"] == ["anct", "anru", "banque_des_territoires", "bpifrance"]
    assert chef["anyOf"][0]["enumDescriptions"] == ["ANCT", "ANRU", "Banque des Territoires",
                                                    "Bpifrance"]
    operation = schema["definitions"]["Operation"]
    assert operation["title"] == "opération"
    assert operation["description"].startswith("Une opération de la Feuille de route (annexe 3)")
    assert operation["properties"]["cout_total"]["type"] == "number"
    assert all(definition["additionalProperties"] is False
               for definition in schema["definitions"].values())


def test_the_programme_file_has_its_schema_and_satisfies_it(qp):
    schema_file = ROOT / "schema" / "programme.schema.json"
    result = qp("schema", "--programme")
    assert result.code == 0
    assert result.out == schema_file.read_text("utf-8")
    schema = json.loads(result.out)
    validator = jsonschema.Draft7Validator(schema,
                                           format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    for path in (ROOT / "territories" / "programme.yaml",
                 FIXTURES / "histoire" / "territories" / "programme.yaml"):
        first = path.read_text("utf-8").splitlines()[0]
        assert (path.parent / first.split("=", 1)[1]).resolve() == schema_file.resolve()
        assert [e.message for e in validator.iter_errors(yaml_as_an_editor_reads_it(path))] == []
    wrong = {"vagues": [{"date": "2021-03-18", "territoires": 0}], "ministere": {}}
    assert len(list(validator.iter_errors(wrong))) == 2
