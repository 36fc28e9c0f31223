"""The convention's life after labellisation: a draft, `qp sign`, the signed text kept,
the feuille de route on its own, the avenants; and the dates computed from them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from docx_text import paragraphs
from qp_conventions.core import territory_files

SIGNED = (FIXTURES / "val-signe.yaml").read_text(encoding="utf-8")
DRAFT = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")


def has_watermark(document: Path) -> bool:
    """Whether the pages of `document` carry the « PROJET » header (the PDF tests check
    that it shows on every page)."""
    with zipfile.ZipFile(document) as archive:
        return "word/header-projet.xml" in archive.namelist()


@pytest.fixture
def signed(qp, tree):
    """The fictional territory signed with `qp sign`, then its documents generated:
    the folder holding territories/ and out/."""
    root = tree({"territories/val-signe.yaml": SIGNED})
    result = qp("sign", "val-signe", "--date", "2021-10-15", "-t", root / "territories",
                "-o", root / "out")
    assert result.code == 0, result.err
    result = qp("generate", "val-signe", "--roadmap", "-t", root / "territories",
                "-o", root / "out")
    assert result.code == 0, result.err
    return root


# 1. The documents of the worked example

def test_the_worked_example_writes_its_convention_roadmap_and_two_avenants(signed):
    out = signed / "out"
    assert sorted(p.name for p in out.glob("*.docx")) == [
        "val-signe.avenant-1.docx", "val-signe.avenant-2.docx", "val-signe.docx",
        "val-signe.feuille-de-route.docx"]
    assert not any(has_watermark(p) for p in out.glob("*.docx"))  # all four are signed


def test_an_avenant_of_prolongation(signed):
    text = paragraphs(signed / "out" / "val-signe.avenant-1.docx")
    assert text[:2] == ["AVENANT N°\xa01 À LA CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS", "ENTRE"]
    assert ("La Communauté d’agglomération du Val-Fictif représentée par sa présidente Camille "
            "Exemple.") in text
    assert ("Vu la convention d’engagement Quartiers productifs signée le 15 octobre 2021 entre "
            "la Communauté d’agglomération du Val-Fictif et l’État (« la Convention »)\xa0;"
            ).replace(" »", "\xa0»").replace("« ", "«\xa0") in text
    start = text.index("Article 1. Prolongation de la durée")
    assert text[start:start + 8] == [
        "Article 1. Prolongation de la durée",
        "L’article 4 «\xa0Durée\xa0» de la Convention est remplacé par les dispositions suivantes\xa0:",
        "«\xa0La présente Convention est valable pour une durée de 36 mois maximum à compter de la "
        "labellisation. Selon les besoins exprimés par l’instance de pilotage locale, cette durée "
        "pourra être prolongée par avenant à l’appréciation de l’État représenté par le préfet de "
        "département.\xa0»",
        "La Convention prend ainsi fin le 18 mars 2024.",
        "Article 2. Autres stipulations",
        "Les autres stipulations de la Convention demeurent inchangées.",
        "Fait en 3 exemplaires,",
        "À Val-Fictif, le 1er février 2023",
    ]
    # a prolongation is « à l'appréciation de l'Etat représenté par le préfet de
    # département » (article 4): the préfet signs it, and the parties say so
    assert "Madame Camille EXEMPLE" in text and "Madame Claude FICTIF" in text
    assert "Préfète du département du Loiret" in text
    assert "Monsieur Dominique MODÈLE" not in text
    assert ("L’État représenté par la Préfète du département du Loiret, Claude Fictif,"
            in text)


def test_an_avenant_of_chef_de_file_cites_the_avenants_before_it(signed):
    text = paragraphs(signed / "out" / "val-signe.avenant-2.docx")
    assert "Vu l’avenant n°\xa01 à la Convention, signé le 1er février 2023\xa0;" in text
    start = text.index("Article 1. Changement de chef de file")
    assert text[start + 1:start + 3] == [
        "Le premier alinéa de l’article 3 «\xa0Gouvernance\xa0» de la Convention est remplacé par "
        "les dispositions suivantes\xa0:",
        "«\xa0Le Chef de file désigné pour suivre le déploiement du programme sur la Communauté "
        "d’agglomération du Val-Fictif est l’ANCT.\xa0»",
    ]
    assert "À Val-Fictif, le 15 juin 2023" in text


def test_the_feuille_de_route_on_its_own(signed):
    text = paragraphs(signed / "out" / "val-signe.feuille-de-route.docx")
    assert text[:2] == [
        "FEUILLE DE ROUTE ANNEXÉE À LA CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS",
        "Convention de la Communauté d’agglomération du Val-Fictif, signée le 15 octobre 2021."]
    # signed before the avenant that changed the chef de file: the partner of its day
    assert "Le Chef de file qui accompagne sa mise en œuvre est Bpifrance." in text
    assert "À Val-Fictif, le 10 mars 2022" in text
    annexes = [t for t in text if t.startswith("Annexe ") and " – " in t]
    assert annexes == ["Annexe 1 – Gouvernance du projet", "Annexe 2 – Axes stratégiques",
                       "Annexe 3 – Opérations"]


def test_the_convention_itself_keeps_what_was_signed(signed):
    """The avenants change the convention without rewriting it: it still names its first
    chef de file and its 24 months."""
    text = "\n".join(paragraphs(signed / "out" / "val-signe.docx"))
    assert "du programme sur la Communauté d’agglomération du Val-Fictif est Bpifrance." in text
    assert "durée de 24 mois maximum" in text


def test_list_follows_the_avenants_in_force(signed, qp):
    result = qp("list", "-t", signed / "territories")
    assert result.code == 0
    row = result.out.splitlines()[1].split()
    assert row == ["val-signe", "signée", "ANCT", "18/03/2024", "rien"]


def test_an_avenant_not_yet_signed_is_a_draft_and_changes_nothing_yet(qp, tree):
    source = SIGNED.replace("    date: 2023-06-15\n", "")
    root = tree({"territories/val-signe.yaml": source})
    result = qp("generate", "val-signe", "-t", root / "territories", "-o", root / "out")
    assert result.code == 0, result.err
    assert has_watermark(root / "out" / "val-signe.avenant-2.docx")
    assert not has_watermark(root / "out" / "val-signe.avenant-1.docx")
    assert "Le 15\xa0juin" not in "\n".join(paragraphs(root / "out" / "val-signe.avenant-2.docx"))
    assert "À Val-Fictif, le …" in paragraphs(root / "out" / "val-signe.avenant-2.docx")
    row = qp("list", "-t", root / "territories").out.splitlines()[1].split()
    assert row == ["val-signe", "signée", "Bpifrance", "18/03/2024", "rien"]


def test_a_revised_feuille_de_route(qp, tree):
    source = SIGNED + (
        "  - numero: 3\n    date: 2023-09-01\n    lieu: Val-Fictif\n"
        "    objet: feuille_de_route\n    feuille_de_route: 2023-09-01\n")
    root = tree({"territories/val-signe.yaml": source})
    assert qp("generate", "val-signe", "--roadmap", "-t", root / "territories",
              "-o", root / "out").code == 0
    avenant = paragraphs(root / "out" / "val-signe.avenant-3.docx")
    assert ("La Feuille de route annexée à la Convention est remplacée par la Feuille de route "
            "révisée du 1er septembre 2023, annexée au présent avenant.") in avenant
    # the revision is the avenant's own document; the feuille de route of 2022 stays
    assert paragraphs(root / "out" / "val-signe.feuille-de-route.docx")[0] == (
        "FEUILLE DE ROUTE ANNEXÉE À LA CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS")
    roadmap = paragraphs(root / "out" / "val-signe.feuille-de-route-3.docx")
    assert roadmap[:3] == [
        "FEUILLE DE ROUTE RÉVISÉE ANNEXÉE À LA CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS",
        "Convention de la Communauté d’agglomération du Val-Fictif, signée le 15 octobre 2021\xa0; "
        "avenant n°\xa03, signé le 1er septembre 2023.",
        "La présente feuille de route révisée, annexée à l’avenant n°\xa03 à la convention, "
        "remplace la Feuille de route annexée à la convention."]
    assert "Le Chef de file qui accompagne sa mise en œuvre est l’ANCT." in roadmap
    assert "À Val-Fictif, le 1er septembre 2023" in roadmap


def test_an_avenant_of_pilotage_changes_articles_2_and_3(qp, tree):
    source = SIGNED + (
        "  - numero: 3\n    objet: pilotage\n    pilotage: equipe_projet\n")
    root = tree({"territories/val-signe.yaml": source})
    assert qp("generate", "val-signe", "-t", root / "territories", "-o", root / "out").code == 0
    text = paragraphs(root / "out" / "val-signe.avenant-3.docx")
    start = text.index("Article 1. Changement de pilotage local")
    assert text[start + 1:start + 4] == [
        "I. – À l’article 2 «\xa0Engagements réciproques des parties\xa0» de la Convention, les "
        "mots\xa0: «\xa0d’un “Coordonnateur”\xa0» sont remplacés par les mots\xa0: «\xa0d’une "
        "“Équipe projet”\xa0».",
        "II. – Le dernier alinéa de l’article 3 «\xa0Gouvernance\xa0» de la Convention est "
        "remplacé par les dispositions suivantes\xa0:",
        "«\xa0La Communauté d’agglomération du Val-Fictif s’engage à désigner une «\xa0Équipe "
        "projet\xa0» Quartiers productifs au sein de ses services. Cette dernière est chargée "
        "d’assurer le suivi du programme et rend notamment compte de l’avancée des travaux aux "
        "instances de gouvernance arrêtées localement.\xa0»"]


# 2. Drafts are marked, signed conventions are not

def test_drafts_carry_the_watermark_and_the_signed_convention_does_not(tmp_path):
    from qp_conventions.batch import generate

    generate(sorted(territory_files(ROOT / "territories")), tmp_path)
    marked = {p.stem: has_watermark(p) for p in tmp_path.glob("*.docx")}
    assert len(marked) == 14
    assert marked.pop("toulouse") is False  # signed on 22 September 2021
    assert all(marked.values())


# 3. What is signed stays signed

def test_a_signed_convention_changes_only_by_avenant(signed, qp):
    archive = signed / "out" / "signees" / "val-signe.docx"
    kept = archive.read_bytes()
    working = (signed / "out" / "val-signe.docx").read_bytes()
    territory = signed / "territories" / "val-signe.yaml"
    territory.write_text(territory.read_text("utf-8").replace(
        "designation: nom", "designation: intercommunalite_beneficiaire"), encoding="utf-8")
    result = qp("generate", "val-signe", "-t", signed / "territories", "-o", signed / "out")
    assert result.code == 1
    assert (f"{territory}: erreur : statut : la convention signée le 15/10/2021 ne peut plus "
            "changer : son texte deviendrait « L’intercommunalité bénéficiaire s’engage à "
            "renforcer les dynamiques locales destinées à f… » au lieu de « La Communauté "
            "d’agglomération du Val-Fictif s’engage à renforcer les dynamiques locales d… ». Un "
            "acte signé se modifie par avenant (rubrique avenants) ; le document signé reste "
            f"sous {archive}") in result.err
    assert archive.read_bytes() == kept
    assert (signed / "out" / "val-signe.docx").read_bytes() == working
    result = qp("generate", "--all", "--check", "-t", signed / "territories", "-o", signed / "out")
    assert result.code == 1


def test_a_change_that_leaves_the_signed_text_may_regenerate_the_working_copy(signed, qp):
    """A logo changes the look of the document, not its text."""
    from test_word import png

    archive = signed / "out" / "signees" / "val-signe.docx"
    kept = archive.read_bytes()
    territories = signed / "territories"
    (territories / "logo.png").write_bytes(png(300, 100))
    territory = territories / "val-signe.yaml"
    territory.write_text("logos: [logo.png]\n" + territory.read_text("utf-8"), encoding="utf-8")
    result = qp("generate", "val-signe", "-t", territories, "-o", signed / "out")
    assert result.code == 0, result.err
    assert f"écrit : {signed / 'out' / 'val-signe.docx'}" in result.out
    assert archive.read_bytes() == kept
    assert (signed / "out" / "val-signe.docx").read_bytes() != kept


def test_the_archive_records_the_document_signed(signed):
    import hashlib

    record = json.loads((signed / "out" / "signees" / "val-signe.json").read_text("utf-8"))
    document = (signed / "out" / "signees" / "val-signe.docx").read_bytes()
    assert record["territoire"] == "val-signe"
    assert record["signee_le"] == "15/10/2021"
    assert record["documents"][0]["fichier"] == "val-signe.docx"
    assert record["documents"][0]["sha256"] == hashlib.sha256(document).hexdigest()
    assert record["documents"][0]["texte"][0] == "CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS"
    assert record["signataires"] == {"intercommunalite": "Madame Camille Exemple",
                                     "etat": "Monsieur Dominique Modèle"}
    assert "Madame Camille EXEMPLE / … / Présidente de la Communauté d’agglomération du " \
        "Val-Fictif" in record["documents"][0]["texte"]  # the signature blocks, column by column
    # the annexes apart: complete in this fixture, so signed with the convention
    assert "Annexe 1 – Gouvernance du projet" not in record["documents"][0]["texte"]
    assert record["documents"][0]["annexes"][0] == "Annexe 1 – Gouvernance du projet"
    assert record["documents"][0]["annexes_signees"] is True


def test_a_signed_convention_without_its_archive_is_reported(qp, tree):
    root = tree({"territories/val-signe.yaml": SIGNED})
    result = qp("generate", "val-signe", "-t", root / "territories", "-o", root / "out")
    assert result.code == 0
    assert (f"{root / 'territories' / 'val-signe.yaml'}: avertissement : statut : la convention "
            "signée le 15/10/2021, mais pas archivée : lancez « qp sign val-signe --date "
            "2021-10-15 » pour garder le document signé") in result.err  # (run in root)
    result = qp("generate", "val-signe", "-t", root / "territories", "-o", root / "ailleurs")
    assert ("lancez « qp sign val-signe --date 2021-10-15 -o "
            f"{root / 'ailleurs'} » pour garder le document signé") in result.err


# 4. qp sign

def test_sign_changes_two_lines_and_keeps_the_rest_of_the_file(qp, tree):
    source = DRAFT.replace("\n", "\r\n")
    assert "\nstatut:" not in source
    root = tree({"territories/val-fictif.yaml": source.encode("utf-8")})
    path = root / "territories" / "val-fictif.yaml"
    result = qp("sign", "val-fictif", "--date", "2021-11-02", "-t", root / "territories",
                "-o", root / "out")
    assert result.code == 0, result.err
    assert result.out.startswith(
        f"val-fictif : la convention signée le 02/11/2021 par Camille Exemple et Dominique "
        f"Modèle ; {path} mis à jour (statut: signee, signature.date, signature.signataires), "
        f"document signé archivé sous {root / 'out' / 'signees' / 'val-fictif.docx'}\n")
    after = path.read_bytes().decode("utf-8")
    assert after.count("\r\n") == after.count("\n")  # Windows line endings kept
    before_lines, after_lines = source.split("\r\n"), after.split("\r\n")
    added = [line for line in after_lines if line not in before_lines]
    removed = [line for line in before_lines if line not in after_lines]
    # the wording signed, written down (a later default never changes a signed text)
    assert added[:4] == ["redaction: modele-2026", "statut: signee", "  date: 2021-11-02",
                         "  signataires:"]
    assert "      nom: Exemple" in added  # who signed, kept beside the date
    assert removed == [line for line in before_lines if line.startswith("  date:")][:1]
    assert [line for line in after_lines if line.lstrip().startswith("#")] == \
        [line for line in before_lines if line.lstrip().startswith("#")]
    assert not has_watermark(root / "out" / "val-fictif.docx")
    assert (root / "out" / "signees" / "val-fictif.json").exists()


@pytest.mark.parametrize("date, message", [
    ("2099-01-01", "erreur : date de signature à venir (01/01/2099) : qp sign enregistre une "
                   "signature faite"),
    ("2021-01-01", "erreur : signature.date : la signature (01/01/2021) ne peut précéder la "
                   "labellisation (18/03/2021)"),
    ("2023-03-19", "erreur : signature.date : la convention ne peut être signée le 19/03/2023 : "
                   "sa validité a pris fin le 18/03/2023 (24 mois après la labellisation du "
                   "18/03/2021, article 4)"),
    ("22/09/2021", "erreur : --date « 22/09/2021 » : écrivez la date AAAA-MM-JJ, par exemple "
                   "2021-09-22"),
])
def test_sign_refuses_an_impossible_date(qp, tree, date, message):
    root = tree({"territories/val-fictif.yaml": DRAFT})
    before = (root / "territories" / "val-fictif.yaml").read_bytes()
    result = qp("sign", "val-fictif", "--date", date, "-t", root / "territories", "-o", root / "out")
    assert result.code in (1, 2)
    assert message in result.err
    assert (root / "territories" / "val-fictif.yaml").read_bytes() == before
    assert not (root / "out").exists()


def test_sign_refuses_a_convention_with_facts_to_complete(qp, tmp_path):
    territories = tmp_path / "territories"
    territories.mkdir()
    shutil.copy(ROOT / "territories" / "arras.yaml", territories)
    before = (territories / "arras.yaml").read_bytes()
    result = qp("sign", "arras", "--date", "2021-10-01", "-t", territories, "-o", tmp_path / "out")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"{territories / 'arras.yaml'}:15:15: erreur : intercommunalite.representant.civilite :"
        " à compléter avant de signer : civilité du représentant (Madame ou Monsieur)")
    assert len(result.err.splitlines()) == 9  # the annexes may follow, in the feuille de route
    assert result.err.rstrip().endswith(
        "erreur : arras : la convention ne peut être signée en l'état, rien n'a été changé")
    assert (territories / "arras.yaml").read_bytes() == before
    assert not (tmp_path / "out" / "signees").exists()


def test_sign_twice_is_refused(signed, qp):
    territory = signed / "territories" / "val-signe.yaml"
    before = territory.read_bytes()
    result = qp("sign", "val-signe", "--date", "2021-10-16", "-t", signed / "territories",
                "-o", signed / "out")
    assert result.code == 1
    assert ("erreur : la convention de val-signe est déjà signée (le 15/10/2021) et archivée "
            f"sous {signed / 'out' / 'signees'} ; une modification passe par un avenant"
            ) in result.err
    assert territory.read_bytes() == before


# 5. Mistakes in the convention's life, located

def mistake(qp, tree, old: str, new: str) -> list[str]:
    assert old in SIGNED
    root = tree({"t/val-signe.yaml": SIGNED.replace(old, new, 1)})
    result = qp("validate", root / "t")
    assert result.code == 1
    prefix = f"{root / 't' / 'val-signe.yaml'}:"
    return [line.removeprefix(prefix) for line in result.err.splitlines()]


def line_of(text: str) -> int:
    """The line of SIGNED that starts with `text` (its comment aside)."""
    return next(n for n, line in enumerate(SIGNED.splitlines(), 1) if line.startswith(text))


# (what is replaced, by what, the line where the error is, its column, the message)
AVENANT_MISTAKES = {
    "unknown objet": (
        "objet: chef_de_file", "objet: chef-de-file", "    objet: chef_de_file", 12,
        "avenants[2].objet : valeur « chef-de-file » non reconnue (vouliez-vous dire "
        "« chef_de_file » ?) : valeurs possibles : prolongation, chef_de_file, pilotage, "
        "feuille_de_route"),
    "gap in the numbering": (
        "numero: 2", "numero: 3", "  - numero: 2", 13,
        "avenants[2].numero : avenant n° 3 : les avenants se suivent sans lacune, celui-ci "
        "est le n° 2"),
    "before the signature": (
        "date: 2023-02-01", "date: 2021-06-01", "    date: 2023-02-01", 11,
        "avenants[1].date : l'avenant (01/06/2021) ne peut précéder la signature de la "
        "convention (15/10/2021)"),
    "shorter": (
        "duree_mois: 36", "duree_mois: 18", "    duree_mois: 36", 17,
        "avenants[1].duree_mois : l'avenant ne prolonge pas la convention : sa durée est déjà "
        "de 24 mois ; écrivez la nouvelle durée totale, plus longue"),
    "changes nothing": (
        "chef_de_file: anct", "chef_de_file: bpifrance", "    chef_de_file: anct", 19,
        "avenants[2].chef_de_file : l'avenant ne change rien : Bpifrance est déjà celui de la "
        "convention"),
}


@pytest.mark.parametrize("case", AVENANT_MISTAKES)
def test_avenant_mistakes_are_located(qp, tree, case):
    old, new, line, column, message = AVENANT_MISTAKES[case]
    assert mistake(qp, tree, old, new) == [f"{line_of(line)}:{column}: erreur : {message}"]


def test_an_avenant_to_a_draft(qp, tree):
    errors = mistake(qp, tree, "statut: signee", "statut: brouillon")
    assert any(error.endswith(": erreur : avenants : un avenant modifie une convention signée, "
                              "et celle-ci est encore un projet (statut: brouillon) : signez "
                              "d'abord la convention, puis ajoutez l'avenant")
               for error in errors)


def test_an_avenant_signed_before_an_earlier_one(qp, tree):
    errors = mistake(qp, tree, "    date: 2023-02-01\n", "")
    assert errors == [f"{line_of('    date: 2023-06-15') - 1}:11: erreur : avenants[2].date : "
                      "l'avenant n° 1 n'est pas encore signé (sans date) : un avenant qui le suit "
                      "ne peut l'être avant lui"]


def test_a_late_feuille_de_route_is_reported(qp, tree):
    source = SIGNED.replace("  date: 2022-03-10\n", "")
    assert source != SIGNED
    root = tree({"t/val-signe.yaml": source})
    result = qp("validate", root / "t")
    assert result.code == 0
    assert ("avertissement : feuille_de_route : à compléter : feuille de route, attendue depuis "
            "le 18/09/2021 (6 mois après la labellisation, article 1) : datez-la "
            "(feuille_de_route.date) quand elle est signée") in result.err


# 6. The dates, computed in one place

@pytest.mark.parametrize("day, months, expected", [
    (dt.date(2021, 3, 18), 6, dt.date(2021, 9, 18)),
    (dt.date(2021, 8, 31), 6, dt.date(2022, 2, 28)),
    (dt.date(2023, 8, 31), 6, dt.date(2024, 2, 29)),
    (dt.date(2021, 3, 18), 24, dt.date(2023, 3, 18)),
    (dt.date(2021, 12, 15), 1, dt.date(2022, 1, 15)),
])
def test_months_are_added_as_calendars_do(day, months, expected):
    from qp_conventions.lifecycle import add_months

    assert add_months(day, months) == expected


# 7. What trying to break it found

INJECT = Path(__file__).resolve().parent / "inject.py"


@pytest.mark.parametrize("writes", [1, 2])
def test_a_sign_killed_midway_is_finished_by_signing_again(tree, qp, writes):
    """Killed after the territory file (1) or the archived document (2) is written: the
    file says « signée », nothing is half-archived for good, and `qp sign` again finishes."""
    import subprocess
    import sys

    from conftest import checkout_env

    root = tree({"territories/val-fictif.yaml": DRAFT})
    killed = subprocess.run([sys.executable, str(INJECT), "kill-after-writes", str(writes),
                             "sign", "val-fictif", "--date", "2021-10-15"], cwd=root,
                            env=checkout_env(), capture_output=True, text=True)
    assert killed.returncode == 137
    assert "statut: signee" in (root / "territories" / "val-fictif.yaml").read_text("utf-8")
    assert not (root / "out" / "signees" / "val-fictif.json").exists()
    warned = qp("generate", "val-fictif")
    assert warned.code == 0
    assert "mais pas archivée : lancez « qp sign val-fictif --date 2021-10-15 »" in warned.err
    again = qp("sign", "val-fictif", "--date", "2021-10-15")
    assert again.code == 0, again.err
    assert (root / "out" / "signees" / "val-fictif.json").exists()
    assert qp("generate", "val-fictif").err == ""


def test_a_sign_that_cannot_archive_changes_nothing(tree, qp):
    root = tree({"territories/val-fictif.yaml": DRAFT, "out/signees": "un fichier, pas un dossier"})
    before = (root / "territories" / "val-fictif.yaml").read_bytes()
    result = qp("sign", "val-fictif", "--date", "2021-10-15")
    assert result.code == 1
    assert ("erreur : archive impossible sous out/signees (out/signees est un fichier : les "
            "actes signés sont gardés dans un dossier de ce nom) : rien n'a été signé, "
            "territories/val-fictif.yaml est inchangé") in result.err
    assert (root / "territories" / "val-fictif.yaml").read_bytes() == before


def test_sign_does_not_change_a_recorded_date(signed, qp):
    """Signed on 15/10/2021 and archived in out/; signing it again elsewhere with another
    date would rewrite the date of a signed convention."""
    territory = signed / "territories" / "val-signe.yaml"
    before = territory.read_bytes()
    result = qp("sign", "val-signe", "--date", "2021-12-01", "-o", signed / "ailleurs")
    assert result.code == 1
    assert ("dit déjà la convention signée le 15/10/2021 : qp sign ne change pas une date de "
            "signature (pour archiver la convention signée : qp sign val-signe --date "
            "2021-10-15") in result.err
    assert territory.read_bytes() == before


def test_an_archived_convention_stays_signed_whatever_the_file_says(signed, qp):
    territory = signed / "territories" / "val-signe.yaml"
    territory.write_text(territory.read_text("utf-8").replace("statut: signee", "statut: brouillon")
                         .replace("avenants:", "avenants_retires:").split("avenants_retires:")[0]
                         .replace("feuille_de_route:", "ancienne_feuille:").split("ancienne_feuille:")[0],
                         "utf-8")
    working = (signed / "out" / "val-signe.docx").read_bytes()
    result = qp("generate", "val-signe", "-t", signed / "territories", "-o", signed / "out")
    assert result.code == 1
    assert ("la convention est signée depuis le 15/10/2021 (archivée sous "
            f"{signed / 'out' / 'signees' / 'val-signe.docx'}), mais le fichier ne le dit plus : "
            "remettez-y « statut: signee » et la date de signature") in result.err
    assert (signed / "out" / "val-signe.docx").read_bytes() == working


@pytest.mark.parametrize("record", ['{"texte": 5}', "[]", "null", "{}", "pas du JSON"])
def test_a_damaged_archive_stops_its_territory_only(signed, qp, record):
    shutil.copy(ROOT / "territories" / "arras.yaml", signed / "territories")
    (signed / "out" / "signees" / "val-signe.json").write_text(record, "utf-8")
    result = qp("generate", "--all", "-t", signed / "territories", "-o", signed / "out")
    assert result.code == 1
    assert (f"archive de la convention signée {signed / 'out' / 'signees' / 'val-signe.json'} "
            "endommagée (contenu inattendu) : reprenez-la de l'historique (git)") in result.err
    assert (signed / "out" / "arras.docx").exists()
    assert "Traceback" not in result.err


def test_prune_keeps_every_document_of_a_territory_in_error(signed, qp):
    territory = signed / "territories" / "val-signe.yaml"
    territory.write_text(territory.read_text("utf-8").replace("pilotage: coordonnateur",
                                                              "pilotage: coordinateur"), "utf-8")
    check = qp("generate", "--all", "--check", "--roadmap", "-t", signed / "territories",
               "-o", signed / "out")
    assert "en trop" not in check.out
    pruned = qp("generate", "--all", "--prune", "--roadmap", "-t", signed / "territories",
                "-o", signed / "out")
    assert pruned.code == 1
    assert "supprimé" not in pruned.out
    assert sorted(p.name for p in (signed / "out").glob("*.docx")) == [
        "val-signe.avenant-1.docx", "val-signe.avenant-2.docx", "val-signe.docx",
        "val-signe.feuille-de-route.docx"]


@pytest.mark.parametrize("layout, expected", [
    ("signature: {lieu: Val-Fictif, exemplaires: 3}",
     "signature: {lieu: Val-Fictif, exemplaires: 3, date: 2021-10-15, signataires: "
     "{representant: {civilite: Madame, prenom: Camille, nom: Exemple, fonction: présidente}, "
     "etat: {signataire: ministre_ou_prefet, ministre: {civilite: Monsieur, "),
    ("signature: {}", "signature: {date: 2021-10-15, signataires: {representant: {"),
    ("signature:\n  lieu: Val-Fictif\n  exemplaires: 3",
     "signature:\n  lieu: Val-Fictif\n  exemplaires: 3\n  date: 2021-10-15\n  signataires:\n"
     "    representant:\n      civilite: Madame\n"),
])
def test_sign_writes_the_date_in_the_file_s_own_layout(tree, qp, layout, expected):
    source = DRAFT.replace("signature:\n  lieu: Val-Fictif\n  date: 2021-10-15\n  exemplaires: 3",
                           layout)
    assert source != DRAFT
    root = tree({"territories/val-fictif.yaml": source})
    result = qp("sign", "val-fictif", "--date", "2021-10-15")
    assert result.code == 0, result.err
    assert expected in (root / "territories" / "val-fictif.yaml").read_text("utf-8")


def test_sign_refuses_a_signature_shared_by_an_alias(tree, qp):
    source = DRAFT.replace("signature:\n  lieu: Val-Fictif\n  date: 2021-10-15\n  exemplaires: 3",
                           "feuille_de_route: &commun\n  lieu: Val-Fictif\n  exemplaires: 3\n"
                           "signature: *commun")
    root = tree({"territories/val-fictif.yaml": source})
    result = qp("sign", "val-fictif", "--date", "2021-10-15")
    assert result.code == 1
    assert ("erreur : « signature » est partagée avec une autre rubrique (une ancre « & » et son "
            "alias « * ») : écrivez-la en entier à sa place, sans alias, puis relancez"
            ) in result.err
    assert (root / "territories" / "val-fictif.yaml").read_text("utf-8") == source


LIFE_MISTAKES = {
    "objet à compléter": (
        "objet: chef_de_file", "objet: à compléter", "    objet: chef_de_file", 12,
        "avenants[2].objet : valeur « à compléter » non reconnue : valeurs possibles : "
        "prolongation, chef_de_file, pilotage, feuille_de_route"),
    "after the end": (
        "date: 2023-02-01", "date: 2023-06-01", "    date: 2023-02-01", 11,
        "avenants[1].date : l'avenant de prolongation (01/06/2023) suit la fin qu'il "
        "prolongerait (18/03/2023) : une convention échue ne se prolonge plus ; une prolongation "
        "se signe avant la fin de la convention"),
    "in the future": (
        "date: 2023-06-15", "date: 2099-06-15", "    date: 2023-06-15", 11,
        "avenants[2].date : date à venir (15/06/2099) : une signature s'enregistre une fois "
        "faite"),
    "year": (
        "date: 2022-03-10", "date: 9998-03-10", "  date: 2022-03-10", 9,
        "feuille_de_route.date : date « 9998-03-10 » invraisemblable : le programme date de "
        "2021, ses dates vont de 2000 à 2099"),
    "roadmap before the convention": (
        "date: 2022-03-10", "date: 2021-09-10", "  date: 2022-03-10", 9,
        "feuille_de_route.date : la feuille de route (10/09/2021) ne peut précéder la "
        "signature de la convention (15/10/2021) à laquelle elle est annexée"),
    "signed avenant not complete": (
        "chef_de_file: anct", "chef_de_file: à compléter", "    chef_de_file: anct", 19,
        "avenants[2].chef_de_file : un avenant signé (daté) est complet : indiquez "
        "chef_de_file"),
}


@pytest.mark.parametrize("case", LIFE_MISTAKES)
def test_life_mistakes_are_located(qp, tree, case):
    old, new, line, column, message = LIFE_MISTAKES[case]
    assert mistake(qp, tree, old, new) == [f"{line_of(line)}:{column}: erreur : {message}"]


def test_an_avenant_may_follow_one_not_yet_signed_in_a_draft(qp, tree):
    source = SIGNED.replace("    date: 2023-02-01\n", "").replace("    date: 2023-06-15\n", "")
    root = tree({"territories/val-signe.yaml": source})
    result = qp("generate", "val-signe")
    assert result.code == 0, result.err
    text = paragraphs(root / "out" / "val-signe.avenant-2.docx")
    assert ("Vu l’avenant n°\xa01 à la Convention, signé le [à compléter : date de signature de "
            "l’avenant n° 1]\xa0;") in text
