"""A wrong file gets a French message with file, line, column and field, exit 1, no
traceback, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES

GOOD = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")


def broken(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def earlier_output(tmp_path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / "val-fictif.docx").write_bytes(b"earlier document")
    return out


def generate_broken(qp, tree, content: str):
    root = tree({"territories/val-fictif.yaml": content})
    return qp("generate", "val-fictif", "-t", root / "territories", "-o", root / "out")


def assert_refused(result, earlier_output: Path, *expected: str) -> None:
    assert result.code == 1
    for message in expected:
        assert message in result.err, result.err
    assert "Traceback" not in result.err + result.out
    assert "rien n'a été écrit" in result.err
    assert [p.name for p in earlier_output.iterdir()] == ["val-fictif.docx"]
    assert (earlier_output / "val-fictif.docx").read_bytes() == b"earlier document"


# (what the file says, what it says instead, the line to point at, the expected error
# after « territories/val-fictif.yaml:<line>: »)
IN_CONTEXT = {
    "misspelt key": (
        "  departements: [Loiret]", "  departement: [Loiret]", "departement:",
        "3: erreur : intercommunalite.departement : clé inconnue « departement » : "
        "vouliez-vous dire « departements » ?"),
    "unknown partner": (
        "chef_de_file: bpifrance", "chef_de_file: bpi", "chef_de_file:",
        "15: erreur : chef_de_file : valeur « bpi » non reconnue (vouliez-vous dire "
        "« bpifrance » ?) : valeurs possibles : anct, anru, banque_des_territoires, bpifrance"),
    "financing that does not add up": (
        "        montant: 300000\n", "        montant: 299000\n", "financements:",
        "5: erreur : annexe_3_operations[1].financements : le plan de financement totalise "
        "1\u202f249\u202f000\u00a0€ mais le coût total est de 1\u202f250\u202f000\u00a0€ "
        "(écart : 1\u202f000\u00a0€)"),
    "operation on an undeclared axis": (
        "    axe: A3\n", "    axe: A4\n", "axe: A4",
        "10: erreur : annexe_3_operations[3].axe : axe « A4 » inconnu (vouliez-vous dire "
        "« A3 » ?) : axes déclarés : A1, A2, A3"),
    "signature before labellisation": (
        "  date: 2021-10-15", "  date: 2021-02-01", "date: 2021-02-01",
        "9: erreur : signature.date : la signature (01/02/2021) ne peut précéder la "
        "labellisation (18/03/2021)"),
}


@pytest.mark.parametrize("case", IN_CONTEXT)
def test_mistake_in_a_complete_file(case, qp, tree, earlier_output):
    old, new, needle, expected = IN_CONTEXT[case]
    content = broken(old, new)
    result = generate_broken(qp, tree, content)
    assert_refused(result, earlier_output,
                   f"territories/val-fictif.yaml:{line_of(content, needle)}:{expected}")


def test_every_problem_is_reported_in_one_run(qp, tree, earlier_output):
    content = broken("chef_de_file: bpifrance", "chef_de_file: bpi")
    content = content.replace("pilotage: coordonnateur", "pilotage: coordinateur")
    content = content.replace("    statut: engagee", "    statut: signée")
    result = generate_broken(qp, tree, content)
    assert_refused(result, earlier_output, "chef_de_file :", "pilotage :",
                   "annexe_3_operations[1].statut :")
    assert result.err.count("erreur :") == 3


def test_missing_required_section_points_at_its_parent(qp, tree, earlier_output):
    content = broken("  departements: [Loiret]\n", "")
    result = generate_broken(qp, tree, content)
    assert_refused(
        result, earlier_output,
        f"territories/val-fictif.yaml:{line_of(content, 'intercommunalite:')}:1: erreur : "
        "intercommunalite.departements : rubrique obligatoire « departements » absente",
    )


def test_validate_reports_errors_of_every_file(qp, tree):
    root = tree({
        "territories/a.yaml": broken("chef_de_file: bpifrance", "chef_de_file: bpi"),
        "territories/b.yaml": broken("  departements: [Loiret]", "  departements: [Loirette]"),
        "territories/c.yaml": GOOD,
    })
    result = qp("validate", root / "territories")
    assert result.code == 1
    assert "territories/a.yaml:" in result.err and "territories/b.yaml:" in result.err
    assert "département « Loirette » inconnu (vouliez-vous dire « Loiret » ?)" in result.err
    assert "3 fichier(s) vérifié(s) : 2 erreur(s)" in result.out


def test_a_badly_written_date_does_not_hide_a_financing_that_does_not_add_up(qp, tree):
    """Every problem of a file in one run, in the order of its lines: the rules between
    fields still run on the parts that are valid on their own."""
    content = broken("  date: 2021-10-15", "  date: 15/10/2021")
    content = content.replace("        montant: 300000\n", "        montant: 299000\n", 1)
    root = tree({"t/x.yaml": content})
    result = qp("validate", root / "t" / "x.yaml")
    assert result.code == 1
    errors = [line.split(": erreur : ")[1] for line in result.err.splitlines() if ": erreur : " in line]
    assert [e.split(" : ")[0] for e in errors] == ["signature.date", "annexe_3_operations[1].financements"]
    lines = [int(line.split(":")[1]) for line in result.err.splitlines() if ": erreur : " in line]
    assert lines == sorted(lines)
