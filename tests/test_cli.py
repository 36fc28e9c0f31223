"""The commands as a programme officer uses them: output, exit codes, French help."""

from __future__ import annotations

import re
import shutil

import pytest

from conftest import ROOT, checkout_env
from qp_conventions.core import territory_files

PILOTS = {
    "toulouse", "aix-marseille-provence", "arras", "laval", "maubeuge-val-de-sambre",
    "montbeliard", "montpellier", "est-ensemble", "grand-paris-sud", "grand-narbonne",
    "grand-nancy", "orly-choisy", "roubaix", "saint-louis-la-reunion",
}


def test_the_fourteen_pilot_territories_are_there():
    assert {p.stem for p in territory_files(ROOT / "territories")} == PILOTS


def test_validate_passes_and_lists_what_drafts_miss(qp):
    result = qp("validate", ROOT / "territories")
    assert result.code == 0
    assert "14 fichier(s) vérifié(s) : 0 erreur(s)" in result.out
    assert re.search(r"territories/arras\.yaml:\d+:\d+: avertissement : chef_de_file : "
                     r"à compléter : chef de file", result.err)
    assert "arras.yaml" in result.err and "intercommunalite.representant.nom" in result.err
    assert "erreur :" not in result.err


def test_validate_strict_refuses_drafts(qp):
    result = qp("validate", "--strict", ROOT / "territories")
    assert result.code == 1
    assert "invalide" in result.out and "(mode strict)" in result.out


def test_validate_defaults_to_the_territories_folder(qp, tmp_path):
    shutil.copytree(ROOT / "territories", tmp_path / "territories")
    assert qp("validate").code == 0


def test_generate_all_writes_fourteen_documents(qp, tmp_path):
    result = qp("generate", "--all", "-t", ROOT / "territories", "-o", tmp_path / "out")
    assert result.code == 0, result.err
    assert {p.stem for p in (tmp_path / "out").glob("*.docx")} == PILOTS
    assert f"écrit : {tmp_path / 'out' / 'toulouse.docx'}" in result.out
    assert "fait(s) à compléter, surlignés dans le document" in result.out


def test_generate_needs_a_territory(qp):
    result = qp("generate")
    assert result.code == 2
    assert ("erreur : indiquez des territoires (par exemple : qp generate toulouse) ou --all, "
            "l'un ou l'autre") in result.err


def test_generate_unknown_territory_suggests_the_nearest(qp):
    result = qp("generate", "toulous", "-t", ROOT / "territories", "-o", "out")
    assert result.code == 1
    assert "territoire « toulous » introuvable" in result.err
    assert "Vouliez-vous dire « toulouse » ?" in result.err
    assert "Traceback" not in result.err + result.out


def test_generate_takes_a_territory_file_too(qp, tmp_path):
    result = qp("generate", ROOT / "territories" / "laval.yaml", "-o", tmp_path / "out")
    assert result.code == 0, result.err
    assert (tmp_path / "out" / "laval.docx").is_file()


def test_list_shows_one_line_per_territory_within_80_columns(qp, tree):
    root = tree({"t/broken.yaml": "intercommunalite: [\n"})
    shutil.copytree(ROOT / "territories", root / "t", dirs_exist_ok=True)
    shutil.copy(ROOT / "territories" / "arras.yaml",
                root / "t" / "communaute-d-agglomeration-du-pays-tres-long.yaml")
    result = qp("list", "-t", "t")  # (the test runs in its own folder)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["Territoire", "Statut", "Chef", "de", "file", "Fin", "À", "compléter"]
    assert all(len(line) <= 80 for line in lines)
    rows = {line.split()[0]: line for line in lines[1:] if not line.startswith("  ")}
    assert len(rows) == 16
    # below each territory, its acts
    assert lines[lines.index(rows["toulouse"]) + 1] == \
        "  convention signée le 22/09/2021 · feuille de route en projet"
    assert rows["communaute-d-agglomera…"].split()[1:] == ["projet", "—", "18/03/2023", "11"]
    assert rows["toulouse"].split()[1:] == ["signée", "Banque", "des", "Territoires", "18/03/2023", "4"]
    assert rows["aix-marseille-provence"].split()[1:] == ["projet", "ANRU", "18/03/2023", "3"]
    assert rows["arras"].split()[1:] == ["projet", "—", "18/03/2023", "11"]
    assert rows["broken"].split(maxsplit=1)[1] == "1 erreur(s) : qp validate t/broken.yaml"


def test_unknown_option_is_explained_in_french(qp):
    result = qp("generate", "--bogus")
    assert result.code == 2
    assert "option inconnue : --bogus" in result.err
    assert "Essayez « qp generate --help » pour l'aide." in result.err


def test_a_missing_argument_is_named_and_the_usage_line_is_plain(qp):
    result = qp("sign")
    assert result.code == 2
    assert result.err.splitlines() == ["erreur : TERRITOIRE manquant",
                                       "Essayez « qp sign --help » pour l'aide."]
    assert qp("sign", "--help").out.splitlines()[0] == \
        "Utilisation : qp sign [OPTIONS] TERRITOIRE [ACTE]"
    assert qp("diff", "--help").out.splitlines()[0] == "Utilisation : qp diff [OPTIONS] A B"


def test_every_command_has_french_help_and_is_in_the_readme(qp):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    main_help = qp("--help")
    assert main_help.code == 0
    assert "Affiche cette aide et quitte." in main_help.out
    import typer

    from qp_conventions.cli import app

    commands = list(typer.main.get_command(app).commands)
    assert {"validate", "generate", "list", "sign"} <= set(commands)
    for command in commands:
        assert command in main_help.out
        result = qp(command, "--help")
        assert result.code == 0
        assert "Affiche cette aide et quitte." in result.out
        assert f"qp {command}" in readme


def test_python_dash_m_works(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "qp_conventions", "validate", str(ROOT / "territories")],
                            capture_output=True, text=True, encoding="utf-8", env=checkout_env())
    assert result.returncode == 0, result.stderr
    assert "14 fichier(s) vérifié(s)" in result.stdout


def test_the_readme_example_is_a_valid_territory(qp, tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Le fichier de territoire"):]
    example = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    (tmp_path / "exemple.yaml").write_text(example, encoding="utf-8")
    result = qp("validate", "--strict", tmp_path / "exemple.yaml")
    assert result.code == 0, result.err
    assert qp("generate", "exemple", "-t", tmp_path, "-o", tmp_path / "out").code == 0


def test_wrong_option_value_is_explained_in_french(qp):
    result = qp("generate", "--all", "--jobs", "x")
    assert result.code == 2
    assert "erreur : valeur invalide pour --jobs / -j : nombre entier attendu" in result.err


def test_two_files_for_one_territory_are_refused(qp, tree):
    root = tree({"t/x.yaml": "intercommunalite: {nom: X, departements: [Nord]}\n",
                 "t/x.yml": "intercommunalite: {nom: Y, departements: [Nord]}\n"})
    result = qp("generate", "--all", "-t", root / "t", "-o", root / "out")
    assert result.code == 1
    assert f"deux fichiers pour le territoire « x » : {root / 't' / 'x.yaml'} et {root / 't' / 'x.yml'}" in result.err
    assert not (root / "out").exists()


def test_qp_alone_shows_the_help(qp):
    result = qp()
    assert result.code == 0
    assert result.out.startswith("Utilisation : qp [OPTIONS] COMMANDE [ARGUMENTS]...")
    assert "Commandes :" in result.out and "erreur" not in result.err


def test_version(qp):
    from qp_conventions import __version__

    result = qp("--version")
    assert (result.code, result.out) == (0, f"qp-conventions {__version__}\n")


@pytest.mark.parametrize("args, message", [
    (["valid"], "erreur : commande inconnue « valid » (vouliez-vous dire validate ?) : "
                "validate, generate, sign, "),
    (["list", "en-trop"], "erreur : argument(s) en trop : en-trop"),
    (["generate", "--all=3"], "erreur : l'option --all ne prend pas de valeur"),
    (["generate", "--jobs"], "erreur : l'option --jobs attend une valeur"),
    (["generate", "--all", "--jobs", "65"],
     "erreur : --jobs attend un nombre de processus entre 0 (automatique) et 64"),
    (["generate", "toulouse", "--prune"],
     "erreur : --prune demande --all : un document n'est en trop qu'au regard de tous les "
     "territoires"),
])
def test_usage_mistakes_are_said_in_french_with_exit_code_2(qp, args, message):
    result = qp(args[0], "-t", ROOT / "territories", *args[1:])
    assert result.code == 2
    assert message in result.err


def test_a_code_in_capitals_gets_its_suggestion(qp, tree):
    root = tree({"t/x.yaml": "intercommunalite: {nom: X, departements: [Nord]}\nchef_de_file: ANRU\n"})
    result = qp("validate", root / "t")
    assert "chef_de_file : valeur « ANRU » non reconnue (vouliez-vous dire « anru » ?)" in result.err
