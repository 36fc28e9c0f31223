"""`qp import-operations`: annex 3 of a territory from a spreadsheet, as a finance team
keeps it in French Excel; every bad cell told at its place, the territory file untouched
unless the whole table is right, and then only its annex changed.

The Excel fixtures (tests/fixtures/operations-*.xlsx) were saved by LibreOffice Calc, so
that their formulas hold their results as a file saved by Excel does; how they were made:
tests/fixtures/make_spreadsheets.py. The other spreadsheets are built here with openpyxl
(numbers, dates as Excel dates, texts) or as bytes (CSV files in Windows-1252, UTF-8…).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

from conftest import FIXTURES
from docx_text import paragraphs
from qp_conventions.importing import read_amount, read_date, read_status, Unreadable
from qp_conventions.spreadsheet import Cell

HEADERS = ["Code", "Intitulé", "Axe", "QPV", "Maître d'ouvrage", "Coût total", "Financeur",
           "Montant", "Début", "Fin", "Statut"]
VAL_FICTIF = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")
BEFORE_ANNEX, ANNEX_OF_VAL_FICTIF = VAL_FICTIF.split("annexe_3_operations:\n")
ANNEX_OF_VAL_FICTIF = "annexe_3_operations:\n" + ANNEX_OF_VAL_FICTIF
ABOVE = "# Opérations : importées du tableau de la direction des finances\n"
BELOW = "\n# (fin du fichier : ce commentaire reste)\n"


@pytest.fixture
def territories(tmp_path) -> Path:
    """val-fictif without operations: « annexe_3_operations: [] » between two comments."""
    folder = tmp_path / "territories"
    folder.mkdir()
    (folder / "val-fictif.yaml").write_text(
        BEFORE_ANNEX + ABOVE + "annexe_3_operations: []\n" + BELOW, encoding="utf-8")
    return folder


def workbook(path: Path, rows: list[list], header: list | None = None,
             title: str = "Opérations") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(HEADERS if header is None else header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def run(qp, territories: Path, source: Path | str, *options: str):
    return qp("import-operations", "val-fictif", source, "-t", territories, *options)


ROW = ["OP1", "Maison de la création d'entreprise", "A1", "Quartier des Tilleuls", "Ville",
       1000, "Ville", 1000, dt.datetime(2021, 11, 1), dt.datetime(2023, 6, 30), "Engagée"]


# --- a spreadsheet saved by French Excel ----------------------------------------------

def test_a_workbook_saved_by_excel_fills_annex_3_and_nothing_else(qp, territories, tmp_path):
    """The operations of the fictional territory, as a finance team keeps them (headers
    their own way, merged codes, formulas, amounts and dates as numbers and as text): the
    annex written is the one of the hand-written fixture, the rest of the file as it was."""
    path = territories / "val-fictif.yaml"
    result = run(qp, territories, FIXTURES / "operations-excel.xlsx")
    assert result.code == 0, result.err
    assert result.out == (f"val-fictif : 3 opération(s), 7 financement(s) de "
                          f"operations-excel.xlsx (feuille « Opérations ») importé(s) dans "
                          f"{path} (annexe_3_operations)\n")
    assert path.read_text(encoding="utf-8") == BEFORE_ANNEX + ABOVE + ANNEX_OF_VAL_FICTIF + BELOW

    assert qp("validate", "--strict", path).code == 0
    generated = qp("generate", "val-fictif", "-t", territories, "-o", tmp_path / "out")
    assert generated.code == 0, generated.err
    text = paragraphs(tmp_path / "out" / "val-fictif.docx")
    annex = text[text.index("Annexe 3 – Opérations"):]
    for expected in ("Maison de la création d’entreprise", "1\u202f250\u202f000\xa0€",
                     "Foncière de redynamisation commerciale", "800\u202f000,50\xa0€",
                     "Hôtel d’entreprises productives", "À l’étude",
                     "Quartier des Tilleuls et Quartier du Moulin"):
        assert expected in annex


def test_crlf_byte_order_mark_and_decomposed_accents_stay_as_they_were(qp, territories):
    """A file from Windows (CRLF, BOM) edited on a Mac (accents decomposed): every byte
    outside the annex is kept; the new lines take the file's line endings."""
    path = territories / "val-fictif.yaml"
    before = unicodedata.normalize("NFD", BEFORE_ANNEX + ABOVE).replace("\n", "\r\n")
    after = BELOW.replace("\n", "\r\n")
    original = b"\xef\xbb\xbf" + (before + "annexe_3_operations: []   # vide\r\n" + after).encode()
    path.write_bytes(original)
    result = run(qp, territories, FIXTURES / "operations-excel.xlsx")
    assert result.code == 0, result.err
    written = path.read_bytes()
    expected_annex = ANNEX_OF_VAL_FICTIF.replace("annexe_3_operations:\n",
                                                 "annexe_3_operations:    # vide\n")
    assert written == (b"\xef\xbb\xbf" + before.encode() + expected_annex.replace(
        "\n", "\r\n").encode() + after.encode())
    assert qp("validate", "--strict", path).code == 0


def test_a_block_of_operations_is_replaced_between_its_comments(qp, territories, tmp_path):
    path = territories / "val-fictif.yaml"
    path.write_text(BEFORE_ANNEX + "annexe_3_operations:         # tableau du 12/01\n"
                    "  # les opérations ci-dessous viennent du tableau\n"
                    "  - code: ANCIENNE\n    intitule: à remplacer   # commentaire remplacé\n"
                    "\n# après l'annexe\nfeuille_de_route:\n  lieu: Val-Fictif\n",
                    encoding="utf-8")
    workbook(tmp_path / "t.xlsx", [ROW])
    result = run(qp, territories, tmp_path / "t.xlsx", "--replace")
    assert result.code == 0, result.err
    assert "à la place des 1 précédentes" in result.out
    assert path.read_text(encoding="utf-8") == BEFORE_ANNEX + (
        "annexe_3_operations:         # tableau du 12/01\n"
        "  # les opérations ci-dessous viennent du tableau\n"
        "  - code: OP1\n"
        "    intitule: Maison de la création d'entreprise\n"
        "    axe: A1\n"
        "    qpv: [Quartier des Tilleuls]\n"
        "    maitre_ouvrage: Ville\n"
        "    cout_total: 1000\n"
        "    financements:\n"
        "      - financeur: Ville\n"
        "        montant: 1000\n"
        "    debut: 2021-11-01\n"
        "    fin: 2023-06-30\n"
        "    statut: engagee\n"
        "\n# après l'annexe\nfeuille_de_route:\n  lieu: Val-Fictif\n")


def test_a_territory_without_the_key_gets_it_at_the_end(qp, territories, tmp_path):
    path = territories / "val-fictif.yaml"
    path.write_text(BEFORE_ANNEX.rstrip("\n"), encoding="utf-8")  # (no final line end)
    workbook(tmp_path / "t.xlsx", [ROW])
    assert run(qp, territories, tmp_path / "t.xlsx").code == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith(BEFORE_ANNEX.rstrip("\n") + "\nannexe_3_operations:\n  - code: OP1\n")
    assert qp("validate", "--strict", path).code == 0


# --- CSV files as French Excel saves them ---------------------------------------------

CSV = ("Code;Intitulé;Axe;QPV;Maître d'ouvrage;Coût total;Financeur;Montant;Début;Fin;Statut\r\n"
       "OP1;\"Café ; « atelier »\";A1;Quartier des Tilleuls, Quartier du Moulin;Ville;"
       "1\xa0250\xa0000,50 €;Ville;850\xa0000,50 €;01/11/2021;30/06/2023;En cours\r\n"
       "OP1;;;;;;\"Banque des\r\nTerritoires\";400000;;;\r\n"
       ";;;;;;;;;;\r\n"
       "OP2;no;A2;;Ville: centre;12,5;Ville;12,50;1/2/2022;2022-12-31;A L'ETUDE\r\n")
CSV_ANNEX = """\
annexe_3_operations:
  - code: OP1
    intitule: Café ; « atelier »
    axe: A1
    qpv: [Quartier des Tilleuls, Quartier du Moulin]
    maitre_ouvrage: Ville
    cout_total: 1250000.50
    financements:
      - financeur: Ville
        montant: 850000.50
      - financeur: Banque des Territoires
        montant: 400000
    debut: 2021-11-01
    fin: 2023-06-30
    statut: en_cours
  - code: OP2
    intitule: 'no'
    axe: A2
    maitre_ouvrage: 'Ville: centre'
    cout_total: 12.50
    financements:
      - financeur: Ville
        montant: 12.50
    debut: 2022-02-01
    fin: 2022-12-31
    statut: a_l_etude
"""


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-8"])
def test_csv_in_windows_1252_or_utf_8_with_semicolons(qp, territories, tmp_path, encoding):
    """« CSV (séparateur : point-virgule) » (Windows-1252) and « CSV UTF-8 » of French
    Excel: CRLF, amounts with no-break spaces and €, a cell on two lines (Alt+Entrée),
    an empty row; a text YAML would read otherwise (« no », « Ville: centre ») quoted."""
    (tmp_path / "operations.csv").write_bytes(CSV.encode(encoding))
    result = run(qp, territories, tmp_path / "operations.csv")
    assert result.code == 0, result.err
    assert "2 opération(s), 3 financement(s) de operations.csv importé(s)" in result.out
    path = territories / "val-fictif.yaml"
    assert path.read_text(encoding="utf-8") == BEFORE_ANNEX + ABOVE + CSV_ANNEX + BELOW
    assert qp("validate", "--strict", path).code == 0


def test_excels_unicode_text_is_utf_16_with_tabulations(qp, territories, tmp_path):
    """« Texte Unicode (*.txt) » of Excel: UTF-16 with its byte-order mark, tab-separated."""
    text = CSV.replace('"Café ; « atelier »"', "Café ; « atelier »").replace(";", "\t") \
        .replace("Café \t « atelier »", "Café ; « atelier »")
    (tmp_path / "operations.txt").write_bytes(text.encode("utf-16"))
    result = run(qp, territories, tmp_path / "operations.txt")
    assert result.code == 0, result.err
    path = territories / "val-fictif.yaml"
    assert path.read_text(encoding="utf-8") == BEFORE_ANNEX + ABOVE + CSV_ANNEX + BELOW


def test_csv_with_commas_and_excels_sep_line(qp, territories, tmp_path):
    """A header without « ; » separates with « , »; Excel's « sep=; » line gives the
    separator, and Excel hides it: row numbers are counted without it."""
    (tmp_path / "virgules.csv").write_text(
        ",".join(HEADERS) + "\nOP1,Titre,A1,,Ville,100,Ville,100,01/01/2022,31/12/2022,achevée\n",
        encoding="utf-8")
    assert run(qp, territories, tmp_path / "virgules.csv").code == 0
    (tmp_path / "sep.csv").write_text(
        "sep=;\n" + ";".join(HEADERS) + "\nOP1;Titre;A1;;Ville;100;Ville;1OO;01/01/2022;"
        "31/12/2022;achevée\n", encoding="utf-8")
    result = run(qp, territories, tmp_path / "sep.csv", "--replace")
    assert result.code == 1
    assert result.err.splitlines()[0] == ("sep.csv!H2 : montant illisible « 1OO » : écrivez un "
                                          "nombre, par exemple 1 250 000,50")


# --- every problem at its cell, all at once, nothing written --------------------------

def test_every_bad_cell_is_told_at_its_place_and_nothing_is_written(qp, territories, tmp_path):
    path = territories / "val-fictif.yaml"
    original = path.read_bytes()
    rows = [
        ["OP1", "Maison", "A1", None, "Ville", 1000, "Ville", "12,5,0", dt.datetime(2021, 11, 1),
         "31/02/2022", "Engage"],
        ["OP1", "Autre titre", None, None, None, 10**30, "Ville", True, None, None, None],
        [None, "Total", None, None, None, None, None, 1000],
        [dt.datetime(2022, 1, 2), "Code pris pour une date", "A1", None, "Ville", 5, "Ville", 5,
         "01/01/22", "2022-12-31", "achevee"],
        ["OP3", "Négatif", "A1", None, "Ville", -5, "Ville", "1,005", "1/1/2022", 44927, "en cours"],
        ["OP4", "Formule jamais calculée", "A1", None, "Ville", "=H7", "Ville", 10,
         "01/01/2022", "31/12/2022", "engagee"],
        ["OP5", "Axe inconnu, finit avant de commencer", "A7", None, "Ville", 100, "Ville", 60,
         "01/01/2023", "31/12/2022", "engagee"],
        ["OP5", None, None, None, None, None, "Région", 30],
        ["OP6", "Sans financeur", "A1", None, "Ville", 100, None, None, "01/01/2022",
         "31/12/2022", None],
    ]
    workbook(tmp_path / "t.xlsx", rows)
    result = run(qp, territories, tmp_path / "t.xlsx")
    assert result.code == 1
    assert result.err.splitlines() == [
        "Opérations!H2 : montant illisible « 12,5,0 » : écrivez un nombre, par exemple "
        "1 250 000,50",
        "Opérations!J2 : date de fin impossible « 31/02/2022 » : ce jour n'existe pas",
        "Opérations!K2 : statut « Engage » inconnu (vouliez-vous dire « Engagée » ?) : écrivez "
        "À l'étude, Programmée, Engagée, En cours ou Achevée",
        "Opérations!B3 : intitulé « Autre titre » différent de celui de la ligne 2 (« Maison ») "
        "pour l'opération OP1 : une opération garde les mêmes valeurs sur toutes ses lignes (ou "
        "laissez la cellule vide)",
        "Opérations!F3 : coût total démesuré « 1e+30 » : un montant ne dépasse pas "
        "1 000 000 000 000 000 € (10 puissance 15)",
        "Opérations!H3 : montant illisible (la cellule contient un oui/non) : écrivez un nombre, "
        "par exemple 1 250 000,50",
        "Opérations!A4 : code de l'opération manquant : chaque ligne porte le code de son "
        "opération (une ligne de total ou de commentaire se retire du tableau)",
        "Opérations!A5 : code de l'opération attendu, mais Excel a lu une date ou une heure : "
        "mettez la cellule au format Texte (Accueil > Nombre > Texte) et retapez la valeur",
        "Opérations!I5 : date de début « 01/01/22 » : écrivez l'année en entier (JJ/MM/AAAA)",
        "Opérations!F6 : coût total négatif « -5 » : un montant est un nombre positif d'euros",
        "Opérations!H6 : montant « 1,005 » : deux décimales au plus (les centimes)",
        "Opérations!J6 : date de fin illisible « 44927 » (la cellule contient un nombre) : "
        "écrivez-la JJ/MM/AAAA, par exemple 01/11/2021 (ou mettez la cellule au format Date)",
        "Opérations!F7 : formule sans résultat enregistré (fichier écrit par un programme, jamais "
        "ouvert dans un tableur) : ouvrez-le dans Excel ou LibreOffice, enregistrez-le, puis "
        "relancez l'import",
        "Opérations!C8 : opération OP5 : axe « A7 » inconnu (vouliez-vous dire « A3 » ?) : axes "
        "déclarés : A1, A2, A3",
        "Opérations!F8 : opération OP5 : le plan de financement totalise 90\xa0€ mais le coût "
        "total est de 100\xa0€ (écart : 10\xa0€) ; ses financements sont aux lignes 8 et 9",
        "Opérations!J8 : opération OP5 : l'opération finit (31/12/2022) avant de commencer "
        "(01/01/2023)",
        "Opérations!G10 : financeur manquant : chaque ligne est un financement, avec son "
        "financeur et son montant",
        "Opérations!H10 : montant manquant : chaque ligne est un financement, avec son "
        "financeur et son montant",
        "Opérations!K10 : statut manquant pour l'opération OP6 : écrivez-le sur l'une de ses "
        "lignes",
        f"erreur : t.xlsx : 19 problème(s) ; rien n'a été importé, {path} n'a pas été modifié",
    ]
    assert path.read_bytes() == original


def test_unknown_missing_and_doubled_headers(qp, territories, tmp_path):
    path = territories / "val-fictif.yaml"
    original = path.read_bytes()
    header = ["code", "INTITULE", "Axes", "QPV", "Maître d’ouvrage", "Coût total (€)",
              "Financeur", "Montant", "Début", "Début", "Commentaire"]
    workbook(tmp_path / "t.xlsx", [ROW[:11] + [None, "note"]], header=header,
             title="Feuil 1")
    result = run(qp, territories, tmp_path / "t.xlsx")
    assert result.code == 1
    expected = ("en-têtes attendus : Code, Intitulé, Axe, QPV, Maître d'ouvrage, Coût total, "
                "Financeur, Montant, Début, Fin, Statut")
    assert result.err.splitlines() == [
        f"'Feuil 1'!C1 : en-tête « Axes » inconnu (vouliez-vous dire « Axe » ?) : {expected} ; "
        "renommez la colonne, ou retirez-la",
        "'Feuil 1'!J1 : colonne « Début » en double (déjà en 'Feuil 1'!I1) : gardez-en une seule",
        f"'Feuil 1'!K1 : en-tête « Commentaire » inconnu : {expected} ; renommez la colonne, ou "
        "retirez-la",
        f"'Feuil 1'!L1 : colonnes manquantes : Axe, Fin, Statut ; {expected}",
        "'Feuil 1'!M2 : cellule remplie dans une colonne sans en-tête : videz-la, ou donnez un "
        f"en-tête à la colonne ({expected})",
        f"erreur : t.xlsx : 5 problème(s) ; rien n'a été importé, {path} n'a pas été modifié",
    ]
    assert path.read_bytes() == original


def test_formula_errors_are_told_as_french_excel_shows_them(qp, territories):
    result = run(qp, territories, FIXTURES / "operations-formules-en-erreur.xlsx")
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        "Opérations!F2 : la formule de cette cellule donne l'erreur « #DIV/0! » dans Excel : "
        "corrigez-la",
        "Opérations!H2 : la formule de cette cellule donne l'erreur « #VALEUR! » dans Excel : "
        "corrigez-la",
    ]


def test_merged_cells_across_columns_are_refused(qp, territories, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Opérations"
    sheet.append(HEADERS)
    sheet.append(ROW)
    sheet.merge_cells("B2:C2")
    book.save(tmp_path / "t.xlsx")
    result = run(qp, territories, tmp_path / "t.xlsx")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "Opérations!B2 : cellules fusionnées sur plusieurs colonnes (B2:C2) : chaque colonne a "
        "sa propre valeur ; annulez la fusion (Accueil > Fusionner et centrer)")


def test_a_header_merged_with_the_cells_below_is_refused(qp, territories, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Opérations"
    sheet.append(HEADERS)
    sheet.append(ROW)
    sheet.merge_cells("A1:A2")  # (the code of row 2 would read « Code »)
    book.save(tmp_path / "t.xlsx")
    result = run(qp, territories, tmp_path / "t.xlsx")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "Opérations!A1 : en-tête fusionné avec les cellules du dessous (A1:A2) : annulez la "
        "fusion (Accueil > Fusionner et centrer)")
    assert "annexe_3_operations: []" in (territories / "val-fictif.yaml").read_text("utf-8")


def test_invisible_characters_in_a_csv_cell(qp, territories, tmp_path):
    rows = ";".join(HEADERS) + "\r\nOP1;Ti\x01tre;A1;;Ville\u202e;1;Ville;1;01/01/2022;01/02/2022;engagee\r\n"
    (tmp_path / "t.csv").write_bytes(rows.encode("utf-8"))
    result = run(qp, territories, tmp_path / "t.csv")
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        "t.csv!B2 : caractère de contrôle interdit U+0001 (invisible, souvent issu d'un "
        "copier-coller) : supprimez-le",
        "t.csv!E2 : caractère invisible U+202E interdit : il change le sens d'affichage du texte "
        "(le document montrerait les lettres dans un autre ordre que le fichier) : supprimez-le",
    ]


@pytest.mark.parametrize("name, content, message", [
    ("vide.xlsx", None, "vide.xlsx : la feuille « Opérations » est vide : la première ligne "
                        "porte les en-têtes Code, Intitulé, Axe, QPV, Maître d'ouvrage, Coût "
                        "total, Financeur, Montant, Début, Fin, Statut, puis une ligne par "
                        "financement"),
    ("entetes.xlsx", [], "Opérations!A2 : aucune opération : le tableau n'a que ses en-têtes ; "
                         "ajoutez une ligne par financement"),
    ("texte.xlsx", b"Code;Intitul\xe9\n", "texte.xlsx : ce n'est pas un classeur Excel : "
                                          "ouvrez-le dans Excel et enregistrez-le au format "
                                          "« Classeur Excel (.xlsx) »"),
    ("ancien.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
     "ancien.xlsx : c'est un classeur protégé par un mot de passe ou au format Excel 97-2003 : "
     "retirez le mot de passe (Fichier > Informations > Protéger le classeur) ou "
     "enregistrez-le au format « Classeur Excel (.xlsx) »"),
    ("abime.xlsx", "zip", "abime.xlsx : classeur Excel illisible (endommagé, ou enregistré par un "
                          "logiciel qui ne suit pas le format .xlsx) : ouvrez-le dans Excel et "
                          "enregistrez-le de nouveau"),
    ("vieux.xls", b"x", "vieux.xls : format « .xls » non lu : ouvrez le fichier dans Excel (ou "
                        "LibreOffice) et enregistrez-le au format « Classeur Excel (.xlsx) » ou "
                        "« CSV (séparateur : point-virgule) »"),
    ("notes.doc", b"x", "notes.doc : extension « .doc » inconnue : le tableau des opérations est "
                        "un classeur .xlsx ou un fichier .csv (ou .txt « Texte Unicode »)"),
    ("absent.csv", "absent", "absent.csv : fichier introuvable (absent.csv)"),
    ("melange.csv", "Code;Intitulé\n".encode() + b"OP1;Caf\xe9\n",
     "melange.csv : encodage mélangé : le fichier est en UTF-8 sauf l'octet 0xE9 ligne 2 : "
     "enregistrez-le depuis Excel au format « CSV UTF-8 »"),
    ("inconnu.csv", b"Code;Intitul\x81\n", "inconnu.csv : encodage inconnu (octet 0x81 ligne 1, "
                                          "ni UTF-8 ni Windows-1252) : enregistrez le fichier "
                                          "depuis Excel au format « CSV UTF-8 »"),
])
def test_files_that_are_not_a_table(qp, territories, tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        openpyxl.Workbook().save(path)
        openpyxl_book = openpyxl.load_workbook(path)
        openpyxl_book.active.title = "Opérations"
        openpyxl_book.save(path)
    elif content == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
    elif content == "absent":
        pass
    elif isinstance(content, list):
        workbook(path, content)
    else:
        path.write_bytes(content)
    original = (territories / "val-fictif.yaml").read_bytes()
    result = qp("import-operations", "val-fictif", name, "-t", territories)
    assert result.code == 1
    assert result.err.splitlines()[0] == message
    assert "Traceback" not in result.err
    assert (territories / "val-fictif.yaml").read_bytes() == original


def test_huge_spreadsheets_are_refused_quickly(qp, territories, tmp_path):
    rows = ";".join(HEADERS) + "\n" + "OP1;T;A1;;V;1;V;1;01/01/2022;01/02/2022;engagee\n" * 100_000
    (tmp_path / "long.csv").write_text(rows, encoding="utf-8")
    result = run(qp, territories, tmp_path / "long.csv")
    assert result.code == 1
    assert result.err.splitlines()[0] == ("long.csv : trop de lignes (plus de 5000) : un tableau "
                                          "d'opérations en compte au plus quelques centaines")
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Opérations")
    sheet.append(HEADERS)
    for _ in range(5001):
        sheet.append(ROW)
    book.save(tmp_path / "long.xlsx")
    result = run(qp, territories, tmp_path / "long.xlsx")
    assert result.err.splitlines()[0] == ("long.xlsx : trop de lignes (plus de 5000) dans la "
                                          "feuille « Opérations » : un tableau d'opérations en "
                                          "compte au plus quelques centaines")
    with zipfile.ZipFile(tmp_path / "bombe.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (61 * 1024 * 1024))
    result = run(qp, territories, tmp_path / "bombe.xlsx")
    assert result.err.splitlines()[0] == ("bombe.xlsx : classeur démesuré (61 Mo une fois "
                                          "décompressé ; 60 Mo au plus) : copiez la feuille des "
                                          "opérations seule dans un nouveau classeur")
    book = openpyxl.Workbook()
    book.active.title = "Opérations"
    book.active.append(HEADERS)
    book.active.append(ROW)
    book.active.cell(row=2, column=16384, value="loin")
    book.save(tmp_path / "large.xlsx")
    result = run(qp, territories, tmp_path / "large.xlsx")
    assert result.err.splitlines()[0] == ("Opérations!XFD2 : cellule remplie au-delà de la "
                                          "colonne AX : le tableau des opérations a 11 colonnes ; "
                                          "videz les colonnes en trop")


def test_empty_rows_in_the_middle_and_a_sheet_claiming_a_million_rows(qp, territories, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Opérations"
    sheet.append(HEADERS)
    sheet.append(ROW)
    sheet.cell(row=40, column=1, value=" ")  # spaces only: an empty row
    sheet.cell(row=1_048_576, column=11).number_format = "@"  # formatted, not filled
    sheet["A900"] = "OP2"
    for column, value in enumerate(ROW[1:], start=2):
        sheet.cell(row=900, column=column, value=value)
    book.save(tmp_path / "t.xlsx")
    result = run(qp, territories, tmp_path / "t.xlsx")
    assert result.code == 0, result.err
    assert "2 opération(s), 2 financement(s)" in result.out


def test_a_title_above_the_headers_is_left_out(qp, territories, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Opérations"
    sheet["A1"] = "Plan de financement 2022 (montants HT)"
    sheet.merge_cells("A1:K1")
    sheet.append([])
    sheet.append(HEADERS)
    sheet.append(ROW[:7] + ["douze"] + ROW[8:])
    book.save(tmp_path / "t.xlsx")
    result = run(qp, territories, tmp_path / "t.xlsx")
    assert result.err.splitlines()[0] == ("Opérations!H4 : montant illisible « douze » : écrivez "
                                          "un nombre, par exemple 1 250 000,50")


def test_a_header_row_that_is_none_is_said_once(qp, territories, tmp_path):
    workbook(tmp_path / "t.xlsx", [ROW], header=["Tableau"])
    result = run(qp, territories, tmp_path / "t.xlsx")
    assert len(result.err.splitlines()) == 3  # the unknown header, the missing ones, the end
    assert result.err.splitlines()[1].startswith("Opérations!B1 : colonnes manquantes : Code, ")


@pytest.mark.parametrize("line, message", [
    ('OP1;"Titre;A1;;V;1;V;1;01/01/2022;01/02/2022;engagee', "des guillemets ouverts et jamais "
                                                             "fermés, à la ligne 3 du fichier"),
    ('OP1;"Titre" 2;A1;;V;1;V;1;01/01/2022;01/02/2022;engagee', "un guillemet mal placé (dans une "
                                                                "cellule, un guillemet s'écrit "
                                                                "doublé : \"\"), à la ligne 3 du "
                                                                "fichier"),
])
def test_quotes_a_csv_cannot_be_read_with(qp, territories, tmp_path, line, message):
    (tmp_path / "t.csv").write_text("sep=;\n" + ";".join(HEADERS) + "\n" + line + "\n",
                                    encoding="utf-8")
    result = run(qp, territories, tmp_path / "t.csv")
    assert result.err.splitlines()[0] == f"t.csv : fichier CSV illisible : {message}"


def test_a_sheet_of_a_million_formatted_rows_is_refused_before_it_is_read(qp, territories,
                                                                          tmp_path):
    workbook(tmp_path / "base.xlsx", [ROW])
    with zipfile.ZipFile(tmp_path / "base.xlsx") as source, \
            zipfile.ZipFile(tmp_path / "t.xlsx", "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                empty = "".join(f'<row r="{r}" s="0" customFormat="1"/>'
                                for r in range(3, 1_048_577))
                data = data.replace(b"</sheetData>", empty.encode() + b"</sheetData>")
            target.writestr(info.filename, data)
    result = run(qp, territories, tmp_path / "t.xlsx")
    assert result.err.splitlines()[0] == ("t.xlsx : feuille « Opérations » démesurée (plus de "
                                          "100000 lignes remplies ou mises en forme) : copiez les "
                                          "opérations seules dans un nouveau classeur")


# --- which sheet ----------------------------------------------------------------------

def test_the_sheet_named_operations_is_read_else_the_first(qp, territories, tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active["A1"] = "Notes de la direction des finances"
    sheet = book.create_sheet("OPERATIONS")
    sheet.append(HEADERS)
    sheet.append(ROW)
    book.save(tmp_path / "named.xlsx")
    result = run(qp, territories, tmp_path / "named.xlsx")
    assert result.code == 0, result.err
    assert "(feuille « OPERATIONS »)" in result.out

    book = openpyxl.Workbook()
    book.active.title = "Budget 2022"
    book.active.append(HEADERS)
    book.active.append(ROW[:7] + ["beaucoup"] + ROW[8:])
    book.create_sheet("Autre").append(HEADERS)
    book.save(tmp_path / "first.xlsx")
    result = run(qp, territories, tmp_path / "first.xlsx", "--replace")
    assert result.err.splitlines()[0] == ("'Budget 2022'!H2 : montant illisible « beaucoup » : "
                                          "écrivez un nombre, par exemple 1 250 000,50")


# --- the territory file ---------------------------------------------------------------

def test_operations_already_there_are_replaced_only_with_replace(qp, tmp_path):
    folder = tmp_path / "territories"
    folder.mkdir()
    shutil.copy(FIXTURES / "val-fictif.yaml", folder)
    path = folder / "val-fictif.yaml"
    original = path.read_bytes()
    workbook(tmp_path / "t.xlsx", [ROW])
    result = run(qp, folder, tmp_path / "t.xlsx")
    assert result.code == 1
    assert result.err == ("erreur : val-fictif a déjà 3 opération(s) dans annexe_3_operations : "
                          "--replace les remplace toutes par celles du tableau\n")
    assert path.read_bytes() == original

    result = run(qp, folder, FIXTURES / "operations-excel.xlsx", "--replace")
    assert result.code == 0, result.err
    assert result.out.endswith(f"operations-excel.xlsx (feuille « Opérations ») : {path} les "
                               "contient déjà, inchangé\n")
    assert path.read_bytes() == original

    result = run(qp, folder, tmp_path / "t.xlsx", "--replace")
    assert result.code == 0, result.err
    assert "(annexe_3_operations, à la place des 3 précédentes)" in result.out
    assert path.read_text(encoding="utf-8").startswith(BEFORE_ANNEX + "annexe_3_operations:\n"
                                                       "  - code: OP1\n")


def test_a_signed_feuille_de_route_changes_only_by_avenant(qp, tmp_path):
    folder = tmp_path / "territories"
    folder.mkdir()
    shutil.copy(FIXTURES / "val-signe.yaml", folder)
    path = folder / "val-signe.yaml"
    original = path.read_bytes()
    workbook(tmp_path / "t.xlsx", [ROW])
    result = qp("import-operations", "val-signe", tmp_path / "t.xlsx", "-t", folder, "--replace")
    assert result.code == 1
    assert result.err == (
        "erreur : la feuille de route de val-signe est signée (le 10/03/2022) : l'annexe 3 en "
        "fait partie et ne change plus que par un avenant « feuille_de_route » (feuille de "
        "route révisée) ; ajoutez-le, sans date, à la rubrique avenants, puis relancez "
        "l'import\n")
    assert path.read_bytes() == original

    # the revised feuille de route being prepared: its annex 3 may change
    path.write_text(original.decode() + "  - numero: 3\n    objet: feuille_de_route\n"
                    "    feuille_de_route: 2023-09-01\n", encoding="utf-8")
    result = qp("import-operations", "val-signe", tmp_path / "t.xlsx", "-t", folder, "--replace")
    assert result.code == 0, result.err


def test_a_territory_file_in_error_is_fixed_first(qp, territories, tmp_path):
    path = territories / "val-fictif.yaml"
    path.write_text(BEFORE_ANNEX.replace("chef_de_file: bpifrance", "chef_de_file: bpi")
                    + "annexe_3_operations: []\n", encoding="utf-8")
    original = path.read_bytes()
    workbook(tmp_path / "t.xlsx", [ROW])
    result = run(qp, territories, tmp_path / "t.xlsx")
    assert result.code == 1
    line = BEFORE_ANNEX.split("\n").index("chef_de_file: bpifrance") + 1
    assert result.err.splitlines() == [
        f"{path}:{line}:15: erreur : chef_de_file : valeur « bpi » non reconnue (vouliez-vous "
        "dire « bpifrance » ?) : valeurs possibles : anct, anru, banque_des_territoires, "
        "bpifrance",
        f"erreur : val-fictif : corrigez d'abord le fichier du territoire (qp validate {path}) ; "
        "rien n'a été importé",
    ]
    assert path.read_bytes() == original


def test_a_broken_annex_3_is_what_replace_mends(qp, territories, tmp_path):
    path = territories / "val-fictif.yaml"
    path.write_text(BEFORE_ANNEX + "annexe_3_operations:\n  - code: OP1\n    cout_total: 12 €\n",
                    encoding="utf-8")
    workbook(tmp_path / "t.xlsx", [ROW])
    result = run(qp, territories, tmp_path / "t.xlsx", "--replace")
    assert result.code == 0, result.err
    assert qp("validate", "--strict", path).code == 0


def test_texts_yaml_would_misread_are_quoted_and_read_back_as_written(territories, tmp_path):
    from qp_conventions.importing import import_operations
    from qp_conventions.validate import check_file

    texts = ["yes", "0012", "1:30", "2021-11-01", "- tiret", "# dièse", "@arobase",
             "Il dit \"oui\" et l'autre 'non'", "à compléter bientôt", "~", "null", "12,5",
             "[crochets]", "{accolades}", "clé: valeur", "100 %", "*étoile", "&ancre", "!bang",
             "%pourcent", "|barre", ">chevron", "Espace\u00a0insécable", "1e3"]
    rows = [[f"C{i}", text, "A1", text.replace(",", ""), text, 1, text, 1, "01/01/2022",
             "02/01/2022", "engagee"] for i, text in enumerate(texts)]
    workbook(tmp_path / "t.xlsx", rows)
    path = territories / "val-fictif.yaml"
    import_operations(path, tmp_path / "t.xlsx")
    checked = check_file(path)
    assert checked.errors == []
    read = [(op.intitule, op.qpv, op.maitre_ouvrage, op.financements[0].financeur)
            for op in checked.territory.annexe_3_operations]
    assert read == [(t, [t.replace(",", "")], t, t) for t in texts]


# --- reading one cell -----------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (1250000, "1250000"), (1250000.5, "1250000.50"), (0.1 + 0.2, "0.30"),
    ("1 250 000,50 €", "1250000.50"), ("1\u00a0250\u00a0000,50\u00a0€", "1250000.50"),
    ("1\u202f250\u202f000", "1250000"), ("1250000.5", "1250000.50"), ("€ 12", "12"),
    ("12 EUR", "12"), ("12,10", "12.10"), ("+7", "7"), ("0", "0"),
])
def test_amounts_as_french_excel_shows_them(value, expected):
    assert str(read_amount(Cell(value, 2, 8), "montant")) == expected


@pytest.mark.parametrize("value", ["1.250.000", "1,250.00", "12,5,0", "1.2345", "douze", "12 %",
                                   "(1 250,00)", "1e3", float("inf")])
def test_amounts_that_are_not(value):
    with pytest.raises(Unreadable, match="illisible"):
        read_amount(Cell(value, 2, 8), "montant")


@pytest.mark.parametrize("value, expected", [
    (dt.datetime(2021, 11, 1, 14, 30), dt.date(2021, 11, 1)), (dt.date(2021, 11, 1),
                                                               dt.date(2021, 11, 1)),
    ("01/11/2021", dt.date(2021, 11, 1)), ("1/11/2021", dt.date(2021, 11, 1)),
    ("01.11.2021", dt.date(2021, 11, 1)), ("2021-11-01", dt.date(2021, 11, 1)),
    ("01/11/2021 00:00", dt.date(2021, 11, 1)), ("29/02/2024", dt.date(2024, 2, 29)),
])
def test_dates(value, expected):
    assert read_date(Cell(value, 2, 9), "date de début") == expected


@pytest.mark.parametrize("value, expected", [
    ("EN COURS", "en_cours"), ("a_l_etude", "a_l_etude"), ("A l’étude", "a_l_etude"),
    (" achevée ", "achevee"), ("Programmée", "programmee"), ("engagee", "engagee"),
])
def test_statuses_by_code_or_label(value, expected):
    assert read_status(Cell(value, 2, 11), "statut") == expected


# --- the model workbook ---------------------------------------------------------------

def test_model_workbook_to_fill(qp, territories, tmp_path):
    result = qp("import-operations", "--modele", "operations.xlsx")
    assert result.code == 0, result.err
    assert result.out == ("operations.xlsx écrit : remplissez la feuille « Opérations » (une "
                          "ligne par financement, voir la feuille « Mode d'emploi »), puis : qp "
                          "import-operations TERRITOIRE operations.xlsx\n")
    book = openpyxl.load_workbook(tmp_path / "operations.xlsx")
    assert book.sheetnames == ["Opérations", "Mode d'emploi"]
    sheet = book["Opérations"]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].number_format == '#,##0.00 "€"'
    assert sheet.column_dimensions["I"].number_format == "DD/MM/YYYY"
    assert sheet.column_dimensions["A"].number_format == "@"
    (validation,) = sheet.data_validations.dataValidation
    assert validation.formula1 == '"À l\'étude,Programmée,Engagée,En cours,Achevée"'
    assert str(validation.sqref) == "K2:K1048576"
    guide = [row for row in book["Mode d'emploi"].iter_rows(values_only=True)]
    assert guide[0][0].startswith("Tableau des opérations")
    explained = {row[0]: row for row in guide if row[0] in HEADERS}
    assert list(explained) == HEADERS
    assert explained["Statut"][2].startswith("Où en est l'opération : À l'étude, Programmée")

    # filled in (as Excel would), then imported
    book["Opérations"].append(ROW)
    book.save(tmp_path / "operations.xlsx")
    assert run(qp, territories, tmp_path / "operations.xlsx").code == 0
    assert qp("validate", "--strict", territories / "val-fictif.yaml").code == 0


def test_model_workbook_is_the_same_each_time_and_never_replaces_a_file(qp, tmp_path):
    assert qp("import-operations", "--modele", "a.xlsx").code == 0
    assert qp("import-operations", "--modele", "b.xlsx").code == 0
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    (tmp_path / "a.xlsx").write_bytes(b"mon tableau")
    result = qp("import-operations", "--modele", "a.xlsx")
    assert (result.code, result.err) == (1, "erreur : a.xlsx existe déjà : il n'est pas "
                                            "remplacé ; choisissez un autre nom\n")
    assert (tmp_path / "a.xlsx").read_bytes() == b"mon tableau"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("args, message", [
    ([], "erreur : indiquez le territoire et le tableau (par exemple : qp import-operations "
         "toulouse operations.xlsx), ou --modele FICHIER.xlsx pour un tableau vide"),
    (["val-fictif"], "erreur : indiquez le territoire et le tableau (par exemple : qp "
                     "import-operations toulouse operations.xlsx), ou --modele FICHIER.xlsx pour "
                     "un tableau vide"),
    (["val-fictif", "--modele", "m.xlsx"], "erreur : --modele s'emploie seul : qp "
                                           "import-operations --modele operations.xlsx"),
    (["--modele", "m.csv"], "erreur : --modele écrit un classeur Excel : donnez un nom en .xlsx "
                            "(par exemple m.xlsx)"),
])
def test_usage_mistakes(qp, args, message):
    result = qp("import-operations", *args)
    assert (result.code, result.err.splitlines()[0]) == (2, message)


def test_help_is_french(qp):
    result = qp("import-operations", "--help")
    assert result.code == 0
    assert result.out.startswith("Utilisation : qp import-operations [OPTIONS] [TERRITOIRE] "
                                 "[FICHIER]")
    assert "--replace" in result.out and "--modele FICHIER.xlsx" in result.out


# --- the territory file as people keep it ---------------------------------------------

def test_an_annex_last_in_a_file_without_a_final_line_end_is_replaced(qp, territories,
                                                                      tmp_path):
    path = territories / "val-fictif.yaml"
    path.write_text(VAL_FICTIF.rstrip("\n"), encoding="utf-8")  # (its annex 3 is last)
    workbook(tmp_path / "t.xlsx", [ROW])
    result = run(qp, territories, tmp_path / "t.xlsx", "--replace")
    assert result.code == 0, result.err
    text = path.read_text(encoding="utf-8")
    assert text.startswith(BEFORE_ANNEX + "annexe_3_operations:\n  - code: OP1\n")
    assert text.count("code: OP") == 1
    assert qp("validate", "--strict", path).code == 0


def test_a_linked_territory_file_is_written_through_its_link(qp, territories, tmp_path):
    kept = tmp_path / "ailleurs.yaml"
    (territories / "val-fictif.yaml").rename(kept)
    (territories / "val-fictif.yaml").symlink_to(kept)
    workbook(tmp_path / "t.xlsx", [ROW])
    assert run(qp, territories, tmp_path / "t.xlsx").code == 0
    assert (territories / "val-fictif.yaml").is_symlink()
    assert "  - code: OP1\n" in kept.read_text(encoding="utf-8")


def test_a_folder_is_not_a_territory(qp, territories, tmp_path):
    workbook(tmp_path / "t.xlsx", [ROW])
    result = qp("import-operations", territories, tmp_path / "t.xlsx", "-t", territories)
    assert result.code == 2
    assert result.err.startswith(f"erreur : {territories} est un dossier : indiquez un seul "
                                 "territoire")
    assert "annexe_3_operations: []" in (territories / "val-fictif.yaml").read_text("utf-8")


def test_texts_longer_than_any_field_are_refused_at_once(qp, territories,
                                                                    tmp_path):
    """One shared string of millions of characters may fill every cell of a small
    workbook: refused before the cells are read one by one (this took more than 10
    minutes)."""
    long = "a " * 10_000  # (Excel's cells hold 32 767 characters; a crafted file, millions)
    rows = [["OP1", long, "A1", long, long, 1000, long, 1000, dt.datetime(2021, 11, 1),
             dt.datetime(2023, 6, 30), "Engagée"] for _ in range(50)]
    result = run(qp, territories, workbook(tmp_path / "t.xlsx", rows))
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0] == "t.xlsx : 200 cellules de texte démesuré ; les 10 premières :"
    assert lines[1] == ("Opérations!B2 : texte de 20000 caractères : une cellule du tableau "
                        "en compte au plus 10000")
    assert len(lines) == 12


def test_an_operation_with_an_unreadable_cell_is_still_checked(qp, territories, tmp_path):
    """All at once: the date cannot be read, and the axis and the plan are wrong too."""
    (tmp_path / "t.csv").write_text(
        ";".join(HEADERS) + "\nOP1;Maison;A9;;Ville;1000;Ville;900;xx/11/2021;30/06/2023;"
        "Engagée\n", encoding="utf-8")
    result = run(qp, territories, tmp_path / "t.csv")
    assert result.code == 1
    assert result.err.splitlines() == [
        "t.csv!C2 : opération OP1 : axe « A9 » inconnu (vouliez-vous dire « A3 » ?) : axes "
        "déclarés : A1, A2, A3",
        "t.csv!F2 : opération OP1 : le plan de financement totalise 900\u00a0€ mais le coût "
        "total est de 1\u202f000\u00a0€ (écart : 100\u00a0€) ; son financement est à la ligne 2",
        "t.csv!I2 : date de début illisible « xx/11/2021 » : écrivez-la JJ/MM/AAAA, par exemple "
        "01/11/2021",
        f"erreur : t.csv : 3 problème(s) ; rien n'a été importé, {territories / 'val-fictif.yaml'} "
        "n'a pas été modifié"]


def test_an_annex_added_to_a_file_closed_by_a_document_end_goes_before_it(qp, territories,
                                                                         tmp_path):
    path = territories / "val-fictif.yaml"
    path.write_text(BEFORE_ANNEX + "...\n# fin du document\n", encoding="utf-8")
    workbook(tmp_path / "t.xlsx", [ROW])
    assert run(qp, territories, tmp_path / "t.xlsx").code == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith(BEFORE_ANNEX + "annexe_3_operations:\n  - code: OP1\n")
    assert text.endswith("    statut: engagee\n...\n# fin du document\n")
    assert qp("validate", "--strict", path).code == 0
