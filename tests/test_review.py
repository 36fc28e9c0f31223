"""Reviewing changes: `qp text` prints a document as text, git shows the changed
sentences of out/ through it, `qp diff` compares two conventions clause by clause."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, checkout_env


def test_text_prints_paragraphs_and_table_rows(qp):
    result = qp("text", ROOT / "out" / "toulouse.docx")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:3] == ["CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS", "ENTRE",
                         "Toulouse Métropole représenté par son président Jean-Luc Moudenc."]
    assert "Article 4. Durée" in lines
    assert "Jean-Luc MOUDENC | Nadia HAI" in lines  # the signature table, a row a line
    assert "" not in lines


def test_text_of_an_operations_table(qp, tmp_path):
    assert qp("generate", "val-fictif", "-t", FIXTURES, "-o", tmp_path / "out").code == 0
    lines = qp("text", tmp_path / "out" / "val-fictif.docx").out.splitlines()
    row = next(line for line in lines if line.startswith("OP1 |"))
    assert "Maison de la création d’entreprise" in row and "1 250 000 €" in row.replace("\u202f", " ")


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "n'est pas un document Word (.docx)"),
    (None, "illisible (fichier ou dossier introuvable)"),
])
def test_text_of_something_else_is_refused(qp, tmp_path, content, message):
    path = tmp_path / "x.docx"
    if content is not None:
        path.write_bytes(content)
    result = qp("text", path)
    assert result.code == 1
    assert message in result.err
    assert "Traceback" not in result.err


def test_diff_of_two_territories_by_clause(qp):
    result = qp("diff", "toulouse", "aix-marseille-provence", "-t", ROOT / "territories")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:2] == ["--- toulouse", "+++ aix-marseille-provence"]
    start = lines.index("=== CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS › Article 3. Gouvernance")
    assert lines[start + 1:start + 3] == [
        "- Le Chef de file désigné pour suivre le déploiement du programme sur Toulouse Métropole "
        "est la Banque des Territoires.",
        "+ Le Chef de file désigné pour suivre le déploiement du programme sur l’intercommunalité "
        "bénéficiaire est l’ANRU."]
    assert "=== CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS › Article 1. Objet de la " \
           "convention" not in lines  # the same in both
    assert lines[-1] == "6 clause(s) différente(s)"


def test_diff_of_a_territory_and_its_document(qp, tmp_path):
    territories = tmp_path / "territories"
    territories.mkdir()
    shutil.copy(FIXTURES / "val-fictif.yaml", territories)
    assert qp("generate", "val-fictif").code == 0
    same = qp("diff", "val-fictif", "out/val-fictif.docx")
    assert same.code == 0, same.err
    assert same.out == "textes identiques\n"
    path = territories / "val-fictif.yaml"
    path.write_text(path.read_text("utf-8").replace("cout_total: 1250000", "cout_total: 1300000")
                    .replace("montant: 500000", "montant: 550000"), "utf-8")
    changed = qp("diff", "out/val-fictif.docx", "val-fictif").out.splitlines()
    assert changed[2] == "=== Annexe 3 – Opérations › Liste des opérations"
    assert changed[3].startswith("- OP1 | Maison de la création d’entreprise")
    assert changed[4].startswith("+ OP1 | Maison de la création d’entreprise")
    assert changed[4].replace("\u202f", " ").replace("\xa0", " ").endswith("1 300 000 €")


def test_diff_of_a_territory_in_error(qp, tree):
    root = tree({"territories/x.yaml": "intercommunalite: [\n"})
    result = qp("diff", "x", "toulouse")
    assert result.code == 1
    assert result.err.rstrip().endswith("erreur : territories/x.yaml a des erreurs : "
                                         "corrigez-les pour le comparer")


@pytest.mark.skipif(shutil.which("git") is None, reason="git absent")
def test_git_diff_shows_the_changed_sentence(tmp_path):
    """The README's recipe: with qp as git's textconv for .docx, `git diff out/` after a
    change of a territory shows the sentence that changed."""
    repo = tmp_path / "repo"
    (repo / "territories").mkdir(parents=True)
    shutil.copy(ROOT / "territories" / "arras.yaml", repo / "territories")
    shutil.copy(ROOT / ".gitattributes", repo)
    env = checkout_env(GIT_CONFIG_NOSYSTEM="1", HOME=str(tmp_path))
    qp = [sys.executable, "-m", "qp_conventions"]

    def run(*args: str) -> str:
        result = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True,
                                encoding="utf-8")
        assert result.returncode == 0, result.stderr
        return result.stdout

    run("git", "init", "-q")
    run("git", "config", "user.email", "test@example.org")
    run("git", "config", "user.name", "Test")
    run("git", "config", "diff.qp-docx.textconv", f"{sys.executable} -m qp_conventions text")
    run(*qp, "generate", "arras")
    run("git", "add", "-A")
    run("git", "commit", "-qm", "arras")
    path = repo / "territories" / "arras.yaml"
    path.write_text(path.read_text("utf-8").replace(
        "chef_de_file: à compléter", "chef_de_file: anru"), "utf-8")
    run(*qp, "generate", "arras")
    diff = run("git", "diff", "out/arras.docx")
    assert ("+Le Chef de file désigné pour suivre le déploiement du programme sur "
            "l’intercommunalité bénéficiaire est l’ANRU.") in diff
    assert "-Le Chef de file désigné pour suivre le déploiement du programme sur " \
           "l’intercommunalité bénéficiaire est [à compléter" in diff
    assert "Binary files" not in diff
