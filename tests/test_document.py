"""What the person who signs sees: styles, tables, amounts, page numbers, placeholders,
and values printed exactly as written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.shared import Mm

from conftest import FIXTURES, ROOT
from docx_text import paragraphs, text

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.fixture
def fictional_docx(qp, fictional, tmp_path) -> Path:
    result = qp("generate", "val-fictif", "-t", fictional, "-o", tmp_path / "out")
    assert result.code == 0, result.err
    assert "à compléter" not in result.out
    return tmp_path / "out" / "val-fictif.docx"


def styled(doc, style: str) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == style]


def test_structure_and_styles(fictional_docx):
    doc = Document(str(fictional_docx))
    assert styled(doc, "Title") == ["CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS"]
    assert styled(doc, "Heading 2")[:5] == [
        "Contexte", "Article 1. Objet de la convention",
        "Article 2. Engagements réciproques des parties", "Article 3. Gouvernance",
        "Article 4. Durée"]
    # Each annex opens a page: its style breaks the page, or a section break does.
    annexes = [p for p in doc.paragraphs if p.style.name == "Titre d'annexe"]
    assert [p.text for p in annexes] == [
        "Annexe 1 – Gouvernance du projet", "Annexe 2 – Axes stratégiques",
        "Annexe 3 – Opérations"]
    assert doc.styles["Titre d'annexe"].paragraph_format.page_break_before
    assert doc.styles["Body Text"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    bullets = styled(doc, "List Bullet")
    assert "définir et mettre en œuvre leur projet de territoire" in bullets
    assert "Accompagner 40 porteurs de projet par an" in bullets


def test_a4_pages_numbered_page_x_of_y(fictional_docx):
    doc = Document(str(fictional_docx))
    first, landscape = doc.sections[0], doc.sections[-1]
    def size(section):  # Word stores twentieths of a point: compare to a tenth of a mm
        return (round(section.page_width / Mm(1)), round(section.page_height / Mm(1)))

    assert size(first) == (210, 297)
    assert size(landscape) == (297, 210)  # annex 3
    footer = first.footer.paragraphs[0]._p.xml
    assert "Page " in footer and " sur " in footer
    assert " PAGE " in footer and " NUMPAGES " in footer


def test_defined_terms_in_bold(fictional_docx):
    doc = Document(str(fictional_docx))
    bold = set()
    for paragraph in doc.paragraphs:  # consecutive bold runs read as one phrase
        phrase = ""
        for run in paragraph.runs + [None]:
            if run is not None and run.bold:
                phrase += run.text
            elif phrase:
                bold.add(phrase)
                phrase = ""
    assert "Comité interministériel des villes qui s’est tenu le 29 janvier 2021" in bold
    assert "les Partenaires" in bold and "Chef de file" in bold and "24 mois maximum" in bold


def test_signature_block_is_a_borderless_two_column_table(fictional_docx):
    doc = Document(str(fictional_docx))
    table = next(t for t in doc.tables if "EXEMPLE" in t.cell(0, 0).text)
    assert table.style is None or table.style.name != "Table Grid"
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows == [
        ["Madame Camille EXEMPLE", "Monsieur Dominique MODÈLE"],
        ["", ""],  # the space for the handwritten signatures
        ["Présidente de la Communauté d’agglomération du Val-Fictif",
         "Ministre fictif chargé de la Ville"],
    ]


def test_operations_table(fictional_docx):
    doc = Document(str(fictional_docx))
    table = next(t for t in doc.tables if t.cell(0, 0).text == "N°" and len(t.columns) == 8)
    header = table.rows[0]
    assert [c.text for c in header.cells] == [
        "N°", "Opération", "Axe", "QPV", "Maître d’ouvrage", "Calendrier", "Statut", "Coût total"]
    assert "w:tblHeader" in header._tr.xml  # repeated at the top of every page
    assert all(run.bold for c in header.cells for run in c.paragraphs[0].runs)
    first = [c.text for c in table.rows[1].cells]
    assert first == ["OP1", "Maison de la création d’entreprise", "A1", "Quartier des Tilleuls",
                     "Communauté d’agglomération du Val-Fictif", "novembre 2021 – juin 2023",
                     "Engagée", f"1{NNBSP}250{NNBSP}000{NBSP}€"]
    amount = table.rows[1].cells[7].paragraphs[0]
    assert amount.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    total = [c.text for c in table.rows[-1].cells]
    assert total[0] == "Total" and total[-1] == f"4{NNBSP}050{NNBSP}000,50{NBSP}€"


def test_financing_tables_add_up(fictional_docx):
    doc = Document(str(fictional_docx))
    by_financer = next(t for t in doc.tables if t.cell(0, 0).text == "Financeur")
    rows = [[c.text for c in r.cells] for r in by_financer.rows]
    # one number of decimals per column: 37,0 % beside 7,4 %
    assert rows[1] == ["Communauté d’agglomération du Val-Fictif",
                       f"1{NNBSP}500{NNBSP}000{NBSP}€", f"37,0{NBSP}%"]
    assert [r[2] for r in rows[1:-1]] == [f"37,0{NBSP}%", f"21,0{NBSP}%", f"7,4{NBSP}%",
                                          f"9,9{NBSP}%", f"24,7{NBSP}%"]
    assert rows[-1] == ["Total", f"4{NNBSP}050{NNBSP}000,50{NBSP}€", f"100,0{NBSP}%"]


def test_french_typography_in_the_model_text(fictional_docx):
    body = text(fictional_docx)
    assert f"ci-après, «{NBSP}l’intercommunalité bénéficiaire{NBSP}»{NBSP};" in body
    assert f"En particulier{NBSP}:" in body
    assert "le 29 janvier 2021" in body and "À Val-Fictif, le 15 octobre 2021" in body


def test_values_are_printed_exactly_as_written(qp, tree):
    hostile = "{{ 7*7 }} **gras** | <w:p>x</w:p> # & {% raw %} [lien](http://x) `code`"
    source = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")
    source = source.replace("    intitule: Maison de la création d'entreprise",
                            f"    intitule: '{hostile}'")
    source = source.replace("  nom: la Communauté d'agglomération du Val-Fictif",
                            "  nom: '{{ 7*7 }} & *Val*'")
    root = tree({"territories/x.yaml": source})
    result = qp("generate", "x", "-t", root / "territories", "-o", root / "out")
    assert result.code == 0, result.err
    lines = paragraphs(root / "out" / "x.docx")
    assert hostile in lines  # a table cell of annex 3, intact
    assert "{{ 7*7 }} & *Val* représentée par sa présidente Camille Exemple." in lines
    assert not any("49" in line for line in lines)


def test_missing_facts_are_highlighted_placeholders(qp, tmp_path):
    result = qp("generate", "arras", "-t", ROOT / "territories", "-o", tmp_path)
    assert result.code == 0
    doc = Document(str(tmp_path / "arras.docx"))
    runs = [r for p in doc.paragraphs for r in p.runs if r.text.startswith("[à compléter")]
    assert runs and all(r.font.highlight_color == WD_COLOR_INDEX.YELLOW for r in runs)
    body = text(tmp_path / "arras.docx")
    assert "sur l’intercommunalité bénéficiaire est [à compléter : chef de file" in body
    assert "[à compléter : axes stratégiques de la Feuille de route]" in body
    # Annex 1 falls back on what the convention says of local governance
    assert "constituent de simples préconisations" in body
    assert "Instance de pilotage locale" in body
    assert "[à compléter : présidence de l’instance de pilotage locale]" in body


def test_same_inputs_give_identical_bytes(qp, fictional, tmp_path):
    for folder in ("a", "b"):
        assert qp("generate", "val-fictif", "-t", fictional, "-o", tmp_path / folder).code == 0
    a, b = (tmp_path / f / "val-fictif.docx" for f in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2021-10-15T00:00:00Z" in core  # the signature date, not the clock


@pytest.mark.parametrize("old, new, label", [
    ("  lieu: Val-Fictif", "  lieu: à compléter", "lieu de signature"),
    ("    qualite_signature: Ministre fictif chargé de la Ville",
     "    qualite_signature: à compléter", "qualité du ministre sous sa signature"),
    ("    frequence: Deux fois par an", "    frequence: à compléter", "fréquence des réunions"),
    ("    qpv: [Quartier des Tilleuls]\n    indicateurs:",
     "    qpv: [à compléter]\n    indicateurs:", "quartier prioritaire"),
    ('        cible: "10 %"', "        cible: à compléter", "cible"),
    ("    maitre_ouvrage: Société d'économie mixte fictive",
     "    maitre_ouvrage: à compléter", "maître d'ouvrage"),
])
def test_any_text_to_complete_is_highlighted_where_it_belongs(qp, tree, old, new, label):
    source = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")
    assert old in source
    root = tree({"t/x.yaml": source.replace(old, new, 1)})
    validated = qp("validate", root / "t")
    assert validated.code == 0 and f"à compléter : {label}" in validated.err
    assert qp("generate", "x", "-t", root / "t", "-o", root / "out").code == 0
    doc = Document(str(root / "out" / "x.docx"))
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for t in doc.tables for row in t.rows for c in row.cells
             for p in c.paragraphs for r in p.runs]
    placeholder = [r for r in runs if r.text == f"[à compléter : {label}]".replace("'", "’")]
    assert placeholder and all(r.font.highlight_color == WD_COLOR_INDEX.YELLOW for r in placeholder)
