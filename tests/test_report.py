"""`qp report`: the programme across its territories, as a programme officer reads it —
in the terminal, in French Excel (CSV and workbook), and as a web page in a real browser.

The browser tests run headless Chromium; without it they skip, unless
QP_REQUIRE_BROWSER=1 (as in CI), where they fail instead. The CSV is also opened by
LibreOffice as French Excel would (`;`, UTF-8, French locale), when LibreOffice is there.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, checkout_env
from qp_conventions.core import territory_files

SHIPPED = sorted(p.stem for p in territory_files(ROOT / "territories"))
NNBSP, NBSP = "\u202f", "\u00a0"


def plain(text: str) -> str:
    """French spacing (narrow and plain non-breaking spaces) read as spaces."""
    return text.replace(NNBSP, " ").replace(NBSP, " ")


@pytest.fixture
def folder(tree) -> Path:
    """toulouse (shipped), the two fictional territories and a broken file."""
    root = tree({"t/broken.yaml": "intercommunalite: [\n"})
    shutil.copy(ROOT / "territories" / "toulouse.yaml", root / "t")
    for name in ("val-fictif", "val-signe"):
        shutil.copy(FIXTURES / f"{name}.yaml", root / "t")
    return root / "t"


# --- financing by partner ----------------------------------------------------------

@pytest.mark.parametrize("financeur, group", [
    ("Banque des Territoires", "Banque des Territoires"),
    ("banque des territoires (prêt)", "Banque des Territoires"),
    ("Groupe Caisse des Dépôts", "Banque des Territoires"),
    ("ANRU (NPNRU)", "ANRU"),
    ("Agence nationale pour la rénovation urbaine", "ANRU"),
    ("anct", "ANCT"),
    ("Agence Nationale de la Cohesion des Territoires", "ANCT"),
    ("BPIFRANCE", "Bpifrance"),
    ("Etat (DSIL)", "Etat"),
    ("État", "Etat"),
    ("l'État – DETR", "Etat"),
    ("Etat (ANCT)", "ANCT"),  # a national partner named: the partner
    ("Communauté d'agglomération du Val-Fictif", "Autres"),
    ("Région Occitanie", "Autres"),
    ("Sanctuaire de l'État", "Autres"),  # « anct » inside a word, « État » not first
    ("Etats généraux", "Autres"),
])
def test_each_financing_goes_to_its_group(financeur, group):
    from qp_conventions.report import financing_group

    assert financing_group(financeur) == group


# --- terminal ----------------------------------------------------------------------

def test_the_terminal_table(qp, folder):
    result = qp("report", "-t", folder)
    assert result.code == 0, result.err
    assert plain(result.out).splitlines() == [
        "Territoire  Statut  Chef de file  Fin         Op.      Coût total",
        f"broken      1 erreur(s) : qp validate {folder / 'broken.yaml'}",
        "toulouse    signée  BdT           18/03/2023    0             0 €",
        "val-fictif  projet  Bpifrance     18/03/2023    3  4 050 000,50 €",
        "val-signe   signée  ANCT          18/03/2024    3  4 050 000,50 €",
        "Ensemble : 3 territoires                        6     8 100 001 €",
        "BdT : Banque des Territoires.",
        f"1 territoire en erreur, hors totaux : qp validate {folder} dit quoi corriger",
        "Détail (pilotage, feuille de route, financeurs) : qp report --detail",
    ]
    # French amounts: narrow no-break space between thousands, no-break space before €
    assert f"4{NNBSP}050{NNBSP}000,50{NBSP}€" in result.out


def test_the_detail_of_a_territory(qp, folder):
    result = qp("report", "--detail", "-t", "t")  # (the test runs in the folder of t/)
    assert result.code == 0, result.err
    text = plain(result.out)
    block = text[text.index("\nval-signe —") + 1:].split("\n\n")[0]
    assert block.splitlines() == [
        "val-signe — la Communauté d'agglomération du Val-Fictif (Loiret)",
        "  Convention : signée le 15 octobre 2021 ; fin de validité : 18 mars 2024",
        "    (prolongée par avenant)",
        "  Chef de file : ANCT ; pilotage : Coordonnateur",
        "  Feuille de route : signée le 10 mars 2022 (attendue le 18 septembre 2021)",
        "  Avenants en vigueur : 2 (prolongation de la durée, changement de chef de file)",
        "  Annexes : 3 axes, 3 opérations, coût total 4 050 000,50 €",
        "  Financement : ANRU 1 000 000 € (24,7 %), Banque des Territoires 850 000 €",
        "    (21,0 %), Etat 300 000 € (7,4 %), Autres 1 900 000,50 € (46,9 %)",
        "  Par domaine : Soutien à l'entrepreneuriat 1 250 000 € (30,9 %), Développement",
        "    du commerce et de l'artisanat de proximité 800 000,50 € (19,8 %),",
        "    Implantation d'activités productives et de services 2 000 000 € (49,4 %)",
        "  À compléter : 0",
    ]
    assert "val-fictif — la Communauté d'agglomération du Val-Fictif (Loiret)\n" \
           "  Convention : projet, signature prévue le 15 octobre 2021 ; fin de validité :\n" \
           "    18 mars 2023\n" in text
    assert "  Feuille de route : attendue le 18 septembre 2021\n" in text
    assert "  Chef de file : Banque des Territoires ; pilotage : Équipe projet\n" in text
    assert "  À compléter : 4 (qp validate t/toulouse.yaml)" in text
    assert "Financement par partenaire : chaque financeur" in text  # how grouping works


def test_every_line_fits_80_columns(qp, tree):
    root = tree({"t/broken.yaml": "intercommunalite: [\n"})
    shutil.copytree(ROOT / "territories", root / "t", dirs_exist_ok=True)
    for name in ("val-fictif", "val-signe"):
        shutil.copy(FIXTURES / f"{name}.yaml", root / "t")
    result = qp("report", "-t", "t")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) == 1 + 17 + 4
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    for name in [*SHIPPED, "val-fictif", "val-signe", "broken"]:
        assert any(line.startswith(f"{name} ") for line in lines), name
    detail = qp("report", "--detail", "-t", "t")
    assert all(len(line) <= 80 for line in detail.out.splitlines())


def test_a_long_name_is_shortened_never_the_line(qp, tree):
    # operations worth hundreds of billions: the names give way, the amounts stay whole
    big = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8").replace(
        "cout_total: 2000000\n", "cout_total: 900000000000\n").replace(
        "montant: 1000000\n", "montant: 899999000000\n", 1)
    root = tree({"t/communaute-d-agglomeration-au-nom-tres-long.yaml": big})
    shutil.copy(ROOT / "territories" / "toulouse.yaml", root / "t")
    result = qp("report", "-t", "t")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert lines[1].startswith("communaute-d-agglo…  projet  Bpifrance")
    assert lines[1].endswith(f"  3  900{NNBSP}002{NNBSP}050{NNBSP}000,50{NBSP}€")
    assert lines[2].startswith("toulouse ")


def test_facts_to_complete_read_a_completer(qp, tree):
    root = tree({"t/x.yaml": """
        intercommunalite: {nom: à compléter, departements: [Nord]}
        signature: {date: à compléter}
        feuille_de_route: {date: à compléter}
        """})
    screen = qp("report", "--detail", "-t", root / "t")
    assert screen.code == 0, screen.err
    assert screen.out.splitlines()[1].split() == ["x", "projet", "à", "compléter",
                                                  "18/03/2023", "0", "0", "€"]
    assert "x — à compléter (Nord)" in screen.out
    assert "date de signature : à compléter" in screen.out
    assert "Feuille de route : signature à compléter (attendue le 18 septembre 2021)" \
        in screen.out
    files = qp("report", "-t", root / "t", "--csv", root / "r.csv", "--html", root / "r.html",
               "--xlsx", root / "r.xlsx")
    assert files.code == 0, files.err
    row = (root / "r.csv").read_text("utf-8-sig").splitlines()[1].split(";")
    assert row[:10] == ["x", "à compléter", "Nord", "projet", "à compléter", "à compléter",
                        "à compléter", "18/09/2021", "à compléter", "18/03/2023"]
    html = (root / "r.html").read_text("utf-8")
    assert html.count('<span class="a-completer">à compléter</span>') >= 5
    for text in (screen.out, html, (root / "r.csv").read_text("utf-8-sig")):
        assert "Missing" not in text and "None" not in text



def test_an_unknown_financeur_or_start_is_to_complete_everywhere(qp, tree):
    """Facts of annex 3 left « à compléter »: validated as such, printed as such, and the
    report counts the unknown financeur's money among « Autres »."""
    text = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8") \
        .replace("financeur: Banque des Territoires", "financeur: à compléter", 1) \
        .replace("debut: 2021-11-01", "debut: à compléter", 1)
    root = tree({"t/val-fictif.yaml": text})
    validated = qp("validate", "-t", root / "t")
    assert validated.code == 0
    assert validated.err.count("avertissement") == 2
    assert "annexe_3_operations[1].debut : à compléter : début de l'opération" in validated.err
    assert qp("generate", "--all", "-t", root / "t", "-o", root / "out").code == 0
    document = qp("text", root / "out" / "val-fictif.docx").out
    assert "[à compléter : début de l\u2019opération] – juin 2023" in document
    assert "| [à compléter : financeur] | 450 000 € | 36 %" in document
    screen = qp("report", "--detail", "-t", root / "t")
    assert screen.code == 0, screen.err
    shown = " ".join(screen.out.replace(NBSP, " ").replace(NNBSP, " ").split())
    assert "Banque des Territoires 400 000 € (9,9 %)" in shown
    assert "Autres 2 350 000,50 € (58,0 %)" in shown


def test_the_timeline_prints_in_pictures_of_fifteen_rows(qp, tree):
    """A printed report of 40 territories splits its timeline between pictures (each
    with its years), never across a row; a long word of a name breaks in its cell."""
    text = (FIXTURES / "val-signe.yaml").read_text(encoding="utf-8")
    files = {f"t/territoire-{i:02}.yaml": text for i in range(1, 41)}
    files["t/territoire-07.yaml"] = text.replace("nom: la Communauté", "nom: " + "A" * 200, 1)
    root = tree(files)
    assert qp("report", "-t", root / "t", "--html", root / "r.html").code == 0
    html = (root / "r.html").read_text(encoding="utf-8")
    pictures = html.split('<div class="echeance">')[1:]
    assert [picture.count("convention valable du") for picture in pictures] == [15, 15, 10]
    assert all(">2021</text>" in picture for picture in pictures)
    assert "figure, .echeance, tr { break-inside: avoid; }" in html
    assert ".nom, .interco, td.erreur { overflow-wrap: anywhere; }" in html


def test_a_suggested_command_can_be_pasted_when_the_path_has_spaces(qp, tree):
    root = tree({"Mes territoires/bon.yaml": "intercommunalite: {nom: X, departements: [Nord]}\n",
                 "Mes territoires/faux.yaml": "intercommunalite: [\n"})
    result = qp("report", "-t", root / "Mes territoires")
    assert result.code == 0
    assert f'1 erreur(s) : qp validate "{root / "Mes territoires" / "faux.yaml"}"' in \
        " ".join(result.out.split())


def test_the_report_names_what_it_counted_in_others(qp, tree):
    """« BPI France » is not « Bpifrance » for the rule: the report says it put it in
    « Autres », so that the file can be corrected."""
    text = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8") \
        .replace("financeur: Banque des Territoires", "financeur: BPI France", 1)
    root = tree({"t/val-fictif.yaml": text})
    note = ("Comptés dans « Autres » : BPI France ; Communauté d\u2019agglomération du "
            "Val-Fictif ; Société d\u2019économie mixte fictive.")
    screen = qp("report", "--detail", "-t", root / "t")
    assert note in " ".join(screen.out.split())
    assert qp("report", "-t", root / "t", "--html", root / "r.html").code == 0
    html = " ".join((root / "r.html").read_text(encoding="utf-8").split())  # (spaces: any)
    assert f'<p class="note">{note}</p>' in html

# --- exit codes and files ----------------------------------------------------------

def test_the_files_of_a_report_are_written_all_or_none(qp, tree):
    root = tree({"t/x.yaml": (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8"),
                 "r.csv": "ancien rapport\n"})
    result = qp("report", "-t", root / "t", "--csv", root / "r.csv", "--xlsx", root / "r.xlsx",
                "--html", root / "absent" / "r.html")
    assert result.code == 1
    assert result.err == (f"erreur : {root / 'absent' / 'r.html'} : le dossier {root / 'absent'} "
                          "n'existe pas ; créez-le ou indiquez un autre chemin\n")
    assert (root / "r.csv").read_text() == "ancien rapport\n"
    assert not (root / "r.xlsx").exists()
    assert sorted(p.name for p in root.iterdir()) == ["r.csv", "t"]  # no temporary left


def test_a_report_needs_one_readable_territory(qp, tree):
    root = tree({"t/a.yaml": "intercommunalite: [\n", "t/b.yaml": "chef_de_file: anru\n",
                 "vide/.gitkeep": "", "r.csv": "ancien rapport\n"})
    result = qp("report", "-t", root / "t", "--csv", root / "r.csv")
    assert result.code == 1
    assert (f"erreur : aucun territoire lisible dans {root / 't'} : ses 2 fichier(s) sont en "
            f"erreur ; qp validate {root / 't'} dit lesquelles, ligne par ligne") in result.err
    assert (root / "r.csv").read_text() == "ancien rapport\n"  # untouched
    empty = qp("report", "-t", root / "vide")
    assert (empty.code, empty.err) == (1, f"erreur : aucun fichier de territoire (.yaml) dans "
                                          f"{root / 'vide'}\n")
    missing = qp("report", "-t", root / "absent")
    assert (missing.code, missing.err) == (1, f"erreur : {root / 'absent'} : dossier introuvable\n")


def test_files_go_in_an_existing_folder_and_are_written_whole(qp, folder, tmp_path):
    result = qp("report", "-t", folder, "--csv", tmp_path / "nulle-part" / "r.csv")
    assert result.code == 1
    assert (f"erreur : {tmp_path / 'nulle-part' / 'r.csv'} : le dossier "
            f"{tmp_path / 'nulle-part'} n'existe pas ; créez-le ou indiquez un autre chemin") \
        in result.err
    assert not (tmp_path / "nulle-part").exists()
    (tmp_path / "dossier.csv").mkdir()
    result = qp("report", "-t", folder, "--csv", tmp_path / "dossier.csv")
    assert result.code == 1
    assert f"{tmp_path / 'dossier.csv'} est un dossier : indiquez le nom du fichier" in result.err
    (tmp_path / "out").mkdir()
    result = qp("report", "-t", folder, "--csv", "out/r.csv", "--xlsx", "out/r.xlsx",
                "--html", "out/r.html")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [f"rapport écrit : out/r.{kind} (4 territoire(s))"
                                       for kind in ("csv", "xlsx", "html")]
    assert result.err == (f"1 territoire(s) en erreur, listé(s) hors totaux : "
                          f"qp validate {folder}\n")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["r.csv", "r.html", "r.xlsx"]


@pytest.mark.parametrize("args, message", [
    (["--detail", "--csv", "r.csv"], "erreur : --detail règle l'affichage à l'écran ; les "
     "fichiers --csv, --xlsx et --html ont toujours tout le détail : retirez l'un ou l'autre"),
    (["--xlsx", "r.csv"], "erreur : --xlsx r.csv : le nom du fichier doit finir par .xlsx"),
    (["--html", "r"], "erreur : --html r : le nom du fichier doit finir par .html"),
    (["--csv", "r.CSV", "--html", "r.htm"], None),
    (["--csv", "r.csv", "--csv", "r.csv"], None),  # (the last one counts, as for any option)
])
def test_report_options(qp, folder, args, message):
    result = qp("report", "-t", folder, *args)
    if message is None:
        assert result.code == 0, result.err
    else:
        assert (result.code, result.err) == (2, message + "\n")
        assert not list(Path(".").glob("r*"))


# --- CSV -----------------------------------------------------------------------------

HEADER = ("Territoire;Intercommunalité;Départements;Statut;Date de signature;Chef de file;"
          "Pilotage;Feuille de route attendue le;Feuille de route signée le;Fin de validité;"
          "Axes;Opérations;Coût total (€);ANCT (€);ANRU (€);Banque des Territoires (€);"
          "Bpifrance (€);Etat (€);Autres (€);Soutien à l'entrepreneuriat (€);"
          "Développement du commerce et de l'artisanat de proximité (€);"
          "Implantation d'activités productives et de services (€);Faits à compléter;Erreurs")


def test_the_csv_is_for_french_excel(qp, folder, tmp_path):
    assert qp("report", "-t", folder, "--csv", tmp_path / "r.csv").code == 0
    data = (tmp_path / "r.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel shows the accents
    assert data.count(b"\r\n") == 5 and b"\n" not in data.replace(b"\r\n", b"")
    lines = data[3:].decode("utf-8").split("\r\n")
    assert lines == [
        HEADER,
        f"broken{';' * 23}1 erreur(s) : qp validate {folder / 'broken.yaml'}",
        "toulouse;Toulouse Métropole;Haute-Garonne;signée;22/09/2021;Banque des Territoires;"
        "Équipe projet;18/09/2021;;18/03/2023;0;0;0;0;0;0;0;0;0;0;0;0;4;",
        "val-fictif;la Communauté d'agglomération du Val-Fictif;Loiret;projet;15/10/2021;"
        "Bpifrance;Coordonnateur;18/09/2021;;18/03/2023;3;3;4050000,50;0;1000000;850000;0;"
        "300000;1900000,50;1250000;800000,50;2000000;0;",
        "val-signe;la Communauté d'agglomération du Val-Fictif;Loiret;signée;15/10/2021;ANCT;"
        "Coordonnateur;18/09/2021;10/03/2022;18/03/2024;3;3;4050000,50;0;1000000;850000;0;"
        "300000;1900000,50;1250000;800000,50;2000000;0;",
        "",
    ]


def test_a_value_is_never_a_formula(qp, tree, tmp_path):
    text = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8").replace(
        "nom: la Communauté d'agglomération du Val-Fictif",
        'nom: "=HYPERLINK(\\"http://exemple.invalid\\";\\"Val\\")"', 1)
    root = tree({"t/val.yaml": text})
    result = qp("report", "-t", root / "t", "--csv", "r.csv", "--xlsx", "r.xlsx")
    assert result.code == 0, result.err
    rows = list(csv.reader(io.StringIO((root / "r.csv").read_text("utf-8-sig")), delimiter=";"))
    assert rows[1][1] == "'=HYPERLINK(\"http://exemple.invalid\";\"Val\")"
    from openpyxl import load_workbook

    cell = load_workbook(root / "r.xlsx")["Territoires"]["B2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://exemple.invalid";"Val")', "s")


def test_the_csv_opens_in_french_excel(qp, folder, tmp_path):
    """LibreOffice reads the CSV as French Excel does (`;`, UTF-8, French locale): the
    amounts become numbers, the dates dates, the accents stay."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    program = Path(soffice).resolve().parent if soffice else None
    calc = program is not None and any(  # (Calc's library beside soffice, as installed)
        (program / name).exists() for name in ("libsclo.so", "libsclo.dylib", "sclo.dll"))
    if not calc:
        if os.environ.get("QP_REQUIRE_CALC") == "1":
            pytest.fail("QP_REQUIRE_CALC=1 mais LibreOffice Calc est absent")
        pytest.skip("LibreOffice Calc absent")
    assert qp("report", "-t", folder, "--csv", tmp_path / "r.csv").code == 0
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path / 'profil'}",
                    "--infilter=CSV:59,34,76,1,,1036", "--convert-to", "xlsx",
                    "--outdir", str(tmp_path / "excel"), str(tmp_path / "r.csv")],
                   check=True, capture_output=True, timeout=180)
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "excel" / "r.xlsx").active
    header = [cell.value for cell in sheet[1]]
    assert header == HEADER.split(";")
    row = {h: cell.value for h, cell in zip(header, sheet[5])}
    assert row["Territoire"] == "val-signe"
    assert row["Intercommunalité"] == "la Communauté d'agglomération du Val-Fictif"
    assert row["Coût total (€)"] == 4050000.5
    assert row["Autres (€)"] == 1900000.5 and row["ANRU (€)"] == 1000000
    assert row["Fin de validité"] == dt.datetime(2024, 3, 18)
    assert row["Feuille de route signée le"] == dt.datetime(2022, 3, 10)


# --- workbook ------------------------------------------------------------------------

def test_the_workbook(qp, folder, tmp_path):
    from openpyxl import load_workbook

    assert qp("report", "-t", folder, "--xlsx", tmp_path / "r.xlsx").code == 0
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["Territoires", "Synthèse"]
    sheet = book["Territoires"]
    assert sheet.freeze_panes == "B2"  # the header row and the names stay in view
    assert sheet.auto_filter.ref == "A1:X5"
    assert [cell.value for cell in sheet[1]] == HEADER.split(";")
    assert sheet.column_dimensions["B"].width == 40
    row = {h: cell for h, cell in zip(HEADER.split(";"), sheet[5])}
    assert row["Territoire"].value == "val-signe"
    assert row["Date de signature"].value == dt.datetime(2021, 10, 15)
    assert row["Date de signature"].number_format == "DD/MM/YYYY"
    assert row["Feuille de route signée le"].value == dt.datetime(2022, 3, 10)
    assert row["Fin de validité"].value == dt.datetime(2024, 3, 18)
    assert row["Coût total (€)"].value == 4050000.5
    assert row["Autres (€)"].value == 1900000.5
    assert row["Banque des Territoires (€)"].value == 850000
    for header in ("Coût total (€)", "ANCT (€)", "Etat (€)", "Soutien à l'entrepreneuriat (€)"):
        assert row[header].data_type == "n" and row[header].number_format == '#,##0.00 "€"'
    assert (row["Axes"].value, row["Opérations"].value) == (3, 3)
    broken = [cell.value for cell in sheet[2]]
    assert broken[0] == "broken" and broken[-1] == \
        f"1 erreur(s) : qp validate {folder / 'broken.yaml'}"
    assert set(broken[1:-1]) == {None}
    summary = {row[0].value: row[1].value for row in book["Synthèse"].iter_rows()
               if row[0].value and len(row) > 1}
    assert summary["Territoires lisibles"] == 3
    assert summary["Conventions signées"] == 2
    assert summary["Coût total des opérations"] == 8100001
    assert summary["ANRU"] == 2000000 and summary["Autres"] == 3800001
    assert summary["Implantation d'activités productives et de services"] == 4000000


def test_the_workbook_is_the_same_bytes_every_time(qp, folder, tmp_path):
    assert qp("report", "-t", folder, "--xlsx", tmp_path / "a.xlsx").code == 0
    assert qp("report", "-t", folder, "--xlsx", tmp_path / "b.xlsx").code == 0
    data = (tmp_path / "a.xlsx").read_bytes()
    assert data == (tmp_path / "b.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2021-03-18T00:00:00Z" in core and str(dt.date.today().year) + "-" not in core


# --- web page ------------------------------------------------------------------------

def test_the_page_is_self_contained_and_prints_values_as_text(qp, tree):
    text = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8").replace(
        "nom: la Communauté d'agglomération du Val-Fictif",
        'nom: "<script>alert(1)</script> & <b>Cie</b>"', 1)
    root = tree({"t/val.yaml": text})
    assert qp("report", "-t", root / "t", "--html", "r.html").code == 0
    html = (root / "r.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;Cie&lt;/b&gt;" in html
    assert "<script" not in html and "<b>" not in html
    for fetch in ("http:", "https:", "src=", "href=", "url(", "@import", "<link", "@font-face"):
        assert fetch not in html, fetch  # nothing comes from the network
    assert "default-src 'none'" in html  # and the browser is told so
    assert '<html lang="fr">' in html and '<meta charset="utf-8">' in html
    assert "@page { size: A4 landscape" in html and "@media print" in html


def test_the_page_of_the_shipped_territories(qp, tmp_path):
    result = qp("report", "-t", ROOT / "territories", "--html", tmp_path / "r.html")
    assert result.code == 0, result.err
    html = (tmp_path / "r.html").read_text("utf-8")
    for name in SHIPPED:
        assert f'<span class="nom">{name}</span>' in html
        assert f">{name}</text>" in html  # its row in the timeline
    assert len(SHIPPED) == 14
    assert "Aucune opération n'est encore décrite dans les annexes 3" in html
    assert "<title>Échéances des conventions</title>" in html


# --- in a real browser ---------------------------------------------------------------

CHROMIUM = next((c for c in ("/usr/bin/chromium", shutil.which("chromium"),
                             shutil.which("chromium-browser")) if c and os.path.exists(c)), None)
if CHROMIUM is None and os.environ.get("QP_REQUIRE_BROWSER") == "1":
    raise RuntimeError("QP_REQUIRE_BROWSER=1 mais Chromium est absent")
browser = pytest.mark.skipif(CHROMIUM is None, reason="Chromium absent")


def chromium(user_data: Path, *args: str) -> None:
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={user_data}", *args],
                   check=True, capture_output=True, timeout=180)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The report of the 14 shipped territories and the two fictional ones (whose
    operations fill the charts), written by `qp report --html`."""
    root = tmp_path_factory.mktemp("page")
    shutil.copytree(ROOT / "territories", root / "t")
    for name in ("val-fictif", "val-signe"):
        shutil.copy(FIXTURES / f"{name}.yaml", root / "t")
    subprocess.run([sys.executable, "-m", "qp_conventions", "report", "-t", str(root / "t"),
                    "--html", str(root / "rapport.html")],
                   check=True, capture_output=True, env=checkout_env(), timeout=120)
    return root / "rapport.html"


def read_png(data: bytes) -> tuple[int, int, list[bytes], int]:
    """Width, height, the rows of pixels and the bytes per pixel of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed = 8, []
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0
        elif kind == b"IDAT":
            compressed.append(body)
    raw = zlib.decompress(b"".join(compressed))
    step = 3 if colour == 2 else 4
    stride = width * step
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 2:  # (most rows: the row above, added)
            line = bytearray((a + b) & 255 for a, b in zip(line, previous))
        for i in range(stride) if kind in (1, 3, 4) else ():
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], (previous[i - step] if i >= step else 0)
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            else:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up),
                           (abs(guess - corner), 2, corner))
                line[i] = (line[i] + near[2]) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, rows, step


def where(rows: list[bytes], step: int, colour: str) -> tuple[int, tuple[int, int, int, int]]:
    """How many pixels have exactly `colour` (« #E69F00 »), and their box (x0, y0, x1, y1)."""
    pixel = bytes.fromhex(colour[1:])
    count, xs, ys = 0, [], []
    for y, row in enumerate(rows):
        start = row.find(pixel)
        while start != -1:
            if start % step == 0:
                count += 1
                xs.append(start // step)
                ys.append(y)
            start = row.find(pixel, start + 1)
    return count, ((min(xs), min(ys), max(xs), max(ys)) if count else (0, 0, 0, 0))


@browser
def test_the_page_in_chromium_shows_the_charts_then_the_table(page, tmp_path):
    from qp_conventions.report import FIELD_COLOURS, GROUP_COLOURS, VALIDITY_COLOUR

    shot = tmp_path / "ecran.png"
    chromium(tmp_path / "profil", "--hide-scrollbars", "--force-color-profile=srgb",
             "--window-size=1280,1600", f"--screenshot={shot}", page.as_uri())
    width, height, rows, step = read_png(shot.read_bytes())
    assert (width, height) == (1280, 1600)
    validity = where(rows, step, VALIDITY_COLOUR)
    charts = rows[:validity[1][1]]  # what stands above the timeline
    bars = {group: where(charts, step, GROUP_COLOURS[group]) for group in ("ANRU", "Etat", "Autres")}
    domains = {code: where(charts, step, colour) for code, colour in FIELD_COLOURS.items()}
    table_header = where(rows, step, "#E8EAF0")
    # each financed partner has its bar (far more than its 12 × 12 legend square)…
    for group, (count, box) in bars.items():
        assert count > 4 * 144, group
        assert box[2] < width / 2, group  # in the left-hand chart
    assert bars["Autres"][0] > bars["ANRU"][0] > bars["Etat"][0]  # 3.8, 2.0, 0.6 million
    # …the domains theirs, in the right-hand chart, beside it
    for code, (count, box) in domains.items():
        assert count > 1000 and box[0] > width / 2, code
    # below them the timeline, a validity bar for each of the 16 territories
    assert validity[0] > 16 * 1000 and validity[1][1] > 300
    # then the table, its header below the timeline, its last column in the window: the
    # six partners' colours over their columns
    assert table_header[0] > 5000 and table_header[1][1] > validity[1][3], table_header
    table = rows[validity[1][3] + 1:]
    for group, colour in GROUP_COLOURS.items():
        count, box = where(table, step, colour)
        assert count > 100 and box[2] < width - 20, group


@browser
def test_the_page_prints_on_a4_landscape_with_every_territory(page, tmp_path):
    pdf = tmp_path / "rapport.pdf"
    chromium(tmp_path / "profil", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
             page.as_uri())
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(width), round(height)) == (842, 595)  # A4 landscape
    text = plain(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                                capture_output=True, text=True).stdout)
    for name in [*SHIPPED, "val-fictif", "val-signe"]:
        assert re.search(rf"^\s*{re.escape(name)}\s", text, re.M), name
    for expected in ("Rapport des territoires", "Financement des opérations par partenaire",
                     "Coût des opérations par domaine d'intervention",
                     "Échéances des conventions", "Les territoires",
                     "8 100 001 €", "4 050 000,50 €", "2 000 000 € · 24,7 %",
                     "3 800 001 € · 46,9 %", "45,7 %", "10/03/2022", "18/03/2024",
                     "Ensemble : 16 territoires"):
        assert expected in text, expected
