"""The documents through the real office suite: LibreOffice turns them into PDF and
pdftotext reads them back as the person who signs would. Without LibreOffice these
tests skip, unless QP_REQUIRE_PDF=1 (as in CI), where they fail instead."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, checkout_env
from test_word import PREFET, png, with_state

HAVE_TOOLS = bool((shutil.which("soffice") or shutil.which("libreoffice")) and shutil.which("pdftotext"))
if not HAVE_TOOLS and os.environ.get("QP_REQUIRE_PDF") == "1":
    raise RuntimeError("QP_REQUIRE_PDF=1 mais LibreOffice ou pdftotext est absent")
pytestmark = pytest.mark.skipif(not HAVE_TOOLS, reason="LibreOffice (soffice) ou pdftotext absent")


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> tuple[Path, Path]:
    """toulouse, aix-marseille-provence and the fictional territory, converted once,
    through a wrapper that counts LibreOffice's runs."""
    root = tmp_path_factory.mktemp("pdf")
    territories = root / "territories"
    territories.mkdir()
    for slug in ("toulouse", "aix-marseille-provence"):
        shutil.copy(ROOT / "territories" / f"{slug}.yaml", territories)
    shutil.copy(ROOT / "tests" / "fixtures" / "val-fictif.yaml", territories)
    # the fictional territory signed by its préfet alone, with two logos
    (territories / "etat.png").write_bytes(png(400, 200))
    (territories / "region.png").write_bytes(png(300, 300, (200, 30, 30)))
    (territories / "prefete.yaml").write_text(
        "logos: [etat.png, region.png]\n" + with_state(PREFET), encoding="utf-8")
    log = root / "runs.log"
    wrapper = root / "soffice-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho run >> "{log}"\nexec "{shutil.which("soffice") or shutil.which("libreoffice")}" "$@"\n')
    wrapper.chmod(0o755)
    result = subprocess.run(
        [sys.executable, "-m", "qp_conventions", "generate", "--all", "--pdf",
         "-t", str(territories), "-o", str(root / "out")],
        capture_output=True, text=True, encoding="utf-8",
        env=checkout_env(QP_SOFFICE=str(wrapper)), timeout=600)
    assert result.returncode == 0, result.stderr
    assert "4 PDF écrit(s)" in result.stdout
    return root / "out", log


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def test_one_libreoffice_run_for_the_batch(pdfs):
    out, log = pdfs
    assert sorted(p.name for p in out.glob("*.pdf")) == [
        "aix-marseille-provence.pdf", "prefete.pdf", "toulouse.pdf", "val-fictif.pdf"]
    assert log.read_text().split() == ["run"]


@pytest.mark.parametrize("slug", ["toulouse", "aix-marseille-provence", "val-fictif", "prefete"])
def test_pdf_reads_as_a_contract(pdfs, slug):
    out, _ = pdfs
    pdf = out / f"{slug}.pdf"
    text = pdf_text(pdf)
    flat = " ".join(text.split())
    for heading in ("CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS", "Contexte",
                    "Article 1. Objet de la convention",
                    "Article 2. Engagements réciproques des parties",
                    "Article 3. Gouvernance", "Article 4. Durée",
                    "Annexe 1 – Gouvernance du projet", "Annexe 2 – Axes stratégiques",
                    "Annexe 3 – Opérations"):
        assert heading in flat, heading
    pages = page_count(pdf)
    assert 5 <= pages <= 12
    for number in range(1, pages + 1):
        assert f"Page {number} sur {pages}" in flat
    # each annex opens its own page
    for page in text.split("\f")[:pages]:
        titles = [t for t in ("Annexe 1 –", "Annexe 2 –", "Annexe 3 –") if t in page]
        assert len(titles) <= 1
    assert "**" not in flat and "{{" not in flat and "\ue000" not in flat


def test_signature_blocks_in_the_pdf(pdfs):
    out, _ = pdfs
    toulouse = " ".join(pdf_text(out / "toulouse.pdf").split())
    assert "Pour Toulouse Métropole" in toulouse and "Jean-Luc MOUDENC" in toulouse
    assert "Président de Toulouse Métropole" in toulouse and "Nadia HAI" in toulouse
    amp = " ".join(pdf_text(out / "aix-marseille-provence.pdf").split())
    assert "Madame Nadia HAI" in amp and "Madame Martine VASSAL" in amp
    assert "A Marseille, le …" in amp


def test_operations_table_in_landscape(pdfs):
    out, _ = pdfs
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "20", str(out / "val-fictif.pdf")],
                          check=True, capture_output=True, text=True).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
    assert float(sizes[0][0]) < float(sizes[0][1])  # A4 portrait
    assert float(sizes[-1][0]) > float(sizes[-1][1])  # annex 3: landscape
    text = " ".join(pdf_text(out / "val-fictif.pdf").split())
    assert "4 050 000,50 €" in text.replace("\u202f", " ").replace("\u00a0", " ")


@pytest.mark.parametrize("slug, dated, signers", [
    ("toulouse", "Le 22 septembre 2021", ["MOUDENC", "HAI"]),
    ("aix-marseille-provence", "A Marseille, le …", ["VASSAL", "HAI"]),
    ("val-fictif", "À Val-Fictif, le 15 octobre 2021", ["EXEMPLE", "MODÈLE"]),
    ("prefete", "À Val-Fictif, le 15 octobre 2021", ["EXEMPLE", "FICTIVE"]),
])
def test_the_signatures_are_on_the_page_of_the_date(pdfs, slug, dated, signers):
    out, _ = pdfs
    pages = [" ".join(page.split()) for page in pdf_text(out / f"{slug}.pdf").split("\f")]
    page = next(page for page in pages if dated in page)
    assert all(signer in page for signer in signers)


def test_the_prefet_and_the_logos_in_the_pdf(pdfs):
    out, _ = pdfs
    text = " ".join(pdf_text(out / "prefete.pdf").split())
    assert "L’État représenté par la Préfète du département du Loiret, Claude Fictive," in text
    assert "Madame Claude FICTIVE" in text and "Préfète du département du Loiret" in text
    images = subprocess.run(["pdfimages", "-list", str(out / "prefete.pdf")], check=True,
                            capture_output=True, text=True).stdout.splitlines()[2:]
    assert [line.split()[0] for line in images] == ["1", "1"]  # both logos, on page 1


# The draft's watermark, seen as LibreOffice prints it: « PROJET » in light grey across
# the page. Rendered at 40 dpi, its letters fill thousands of pixels of one grey (223 of
# 255); text alone gives that grey only to a few of its edges (under 300 a page).
WATERMARK_GREY = 223


def watermark_pixels(pdf: Path) -> list[int]:
    """For each page of `pdf`, the pixels of the watermark's grey."""
    counts = []
    for page in range(1, page_count(pdf) + 1):
        image = subprocess.run(["pdftoppm", "-gray", "-r", "40", "-f", str(page), "-l", str(page),
                                str(pdf)], check=True, capture_output=True).stdout
        pixels = image.split(b"\n", 3)[3]  # (P5 header: magic, size, depth)
        counts.append(pixels.count(bytes([WATERMARK_GREY])))
    return counts


def test_every_page_of_a_draft_says_projet_and_no_page_of_a_signed_one(pdfs):
    out, _ = pdfs
    for slug in ("aix-marseille-provence", "val-fictif", "prefete"):
        assert all(n > 1000 for n in watermark_pixels(out / f"{slug}.pdf")), slug
    assert all(n < 300 for n in watermark_pixels(out / "toulouse.pdf"))  # signed


@pytest.fixture(scope="module")
def lifecycle_pdfs(tmp_path_factory) -> Path:
    """The signed fictional territory (its convention, feuille de route and two avenants)
    and the draft one with its feuille de route, as PDF."""
    root = tmp_path_factory.mktemp("lifecycle")
    territories = root / "territories"
    territories.mkdir()
    for name in ("val-signe", "val-fictif"):
        shutil.copy(ROOT / "tests" / "fixtures" / f"{name}.yaml", territories)
    result = subprocess.run(
        [sys.executable, "-m", "qp_conventions", "generate", "--all", "--roadmap", "--pdf",
         "-t", str(territories), "-o", str(root / "out")],
        capture_output=True, text=True, encoding="utf-8", env=checkout_env(), timeout=600)
    assert result.returncode == 0, result.stderr
    assert "6 PDF écrit(s)" in result.stdout
    return root / "out"


def test_the_signed_documents_carry_no_watermark_and_the_drafts_do(lifecycle_pdfs):
    for name in ("val-signe", "val-signe.feuille-de-route", "val-signe.avenant-1",
                 "val-signe.avenant-2"):
        assert all(n < 300 for n in watermark_pixels(lifecycle_pdfs / f"{name}.pdf")), name
    for name in ("val-fictif", "val-fictif.feuille-de-route"):
        assert all(n > 1000 for n in watermark_pixels(lifecycle_pdfs / f"{name}.pdf")), name


@pytest.mark.parametrize("number, dated, article", [
    (1, "À Val-Fictif, le 1er février 2023", "Article 1. Prolongation de la durée"),
    (2, "À Val-Fictif, le 15 juin 2023", "Article 1. Changement de chef de file"),
])
def test_an_avenant_is_one_page_with_its_signatures(lifecycle_pdfs, number, dated, article):
    pdf = lifecycle_pdfs / f"val-signe.avenant-{number}.pdf"
    assert page_count(pdf) == 1
    text = " ".join(pdf_text(pdf).split())
    assert text.startswith(f"AVENANT N° {number} À LA CONVENTION D’ENGAGEMENT QUARTIERS "
                           "PRODUCTIFS ENTRE")
    # a prolongation is signed for the State by the préfet (article 4), the other by the minister
    signer = "Madame Claude FICTIF" if number == 1 else "Monsieur Dominique MODÈLE"
    for words in (article, "Article 2. Autres stipulations",
                  "Les autres stipulations de la Convention demeurent inchangées.", dated,
                  "Madame Camille EXEMPLE", signer, "Page 1 sur 1"):
        assert words in text, words


def test_the_feuille_de_route_has_its_signatures_then_its_annexes(lifecycle_pdfs):
    pages = [" ".join(page.split()) for page in
             pdf_text(lifecycle_pdfs / "val-signe.feuille-de-route.pdf").split("\f")]
    assert pages[0].startswith("FEUILLE DE ROUTE ANNEXÉE À LA CONVENTION D’ENGAGEMENT "
                               "QUARTIERS PRODUCTIFS")
    assert "À Val-Fictif, le 10 mars 2022" in pages[0] and "Camille EXEMPLE" in pages[0]
    assert [next((t for t in ("Annexe 1 –", "Annexe 2 –", "Annexe 3 –") if t in page), None)
            for page in pages[1:4]] == ["Annexe 1 –", "Annexe 2 –", "Annexe 3 –"]


# --- the PDF to sign and archive: PDF/A-2, tagged, in French, one field per signatory ----
# (no veraPDF here: pikepdf reads the properties PDF/A and tagged PDF ask for)

DOCUMENTS = ["toulouse", "aix-marseille-provence", "val-fictif", "prefete"]
TITLES = {"toulouse": "Toulouse Métropole",
          "aix-marseille-provence": "la Métropole Aix-Marseille-Provence",
          "val-fictif": "la Communauté d'agglomération du Val-Fictif",
          "prefete": "la Communauté d'agglomération du Val-Fictif"}


def structure_tags(pdf) -> set[str]:
    """The structure types of a tagged PDF's tree, with its role map applied."""
    import pikepdf

    roles = pdf.Root.StructTreeRoot.get("/RoleMap", {})
    tags, todo = set(), [pdf.Root.StructTreeRoot.K]
    while todo:
        node = todo.pop()
        if isinstance(node, pikepdf.Array):
            todo.extend(node)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            tags.add(str(roles.get(node.S, node.S)))
            if "/K" in node:
                todo.append(node.K)
    return tags


def outline_titles(pdf) -> list[str]:
    titles, todo = [], [pdf.Root.Outlines.First]
    while todo:
        item = todo.pop()
        titles.append(str(item.Title))
        todo += [item[key] for key in ("/Next", "/First") if key in item]
    return titles


@pytest.mark.parametrize("slug", DOCUMENTS)
def test_the_pdf_is_pdfa_2_tagged_and_in_french(pdfs, slug):
    import pikepdf

    out, _ = pdfs
    with pikepdf.open(out / f"{slug}.pdf") as pdf:
        metadata = pdf.open_metadata()
        assert metadata["pdfaid:part"] == "2" and metadata["pdfaid:conformance"] == "B"
        title = f"Convention d'engagement Quartiers productifs – {TITLES[slug]}"
        assert str(pdf.docinfo.Title) == title and metadata["dc:title"] == title
        intent, = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and intent.DestOutputProfile.N == 3  # sRGB
        assert pdf.Root.Lang == "fr-FR" and pdf.Root.MarkInfo.Marked
        tags = structure_tags(pdf)
        assert {"/Document", "/H1", "/H2", "/P", "/L", "/LI", "/Table", "/TR", "/TD"} <= tags
        titles = outline_titles(pdf)
        assert "Article 1. Objet de la convention" in titles
        assert "Annexe 3 – Opérations" in titles
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                descriptor = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def words_on(pdf: Path, page: int) -> list[tuple[float, float, float, float, str]]:
    """The words of a page (from 0), with their box in points from the page's top left."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page + 1), "-l", str(page + 1),
                           str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [(float(a), float(b), float(c), float(d), word) for a, b, c, d, word in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        html)]


@pytest.mark.parametrize("slug, signers", [
    ("toulouse", {"Toulouse Métropole": "MOUDENC", "Etat": "HAI"}),
    ("aix-marseille-provence", {"Etat": "HAI", "La Métropole Aix-Marseille-Provence": "VASSAL"}),
    ("val-fictif", {"La Communauté d'agglomération du Val-Fictif": "EXEMPLE",
                    "Etat": "MODÈLE"}),
    ("prefete", {"La Communauté d'agglomération du Val-Fictif": "EXEMPLE",
                 "Etat": "FICTIVE"}),
])
def test_one_empty_signature_field_per_signatory_over_its_space(pdfs, slug, signers):
    """Each field is on the signature page, holds no text, and has its signatory's name
    right above it, in its column."""
    import pikepdf

    out, _ = pdfs
    pdf_path = out / f"{slug}.pdf"
    with pikepdf.open(pdf_path) as pdf:
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields}
        assert list(fields) == [f"Signature — {party}" for party in signers]
        height = float(pdf.pages[0].mediabox[3])
        for party, name in signers.items():
            field = fields[f"Signature — {party}"]
            assert field.FT == "/Sig" and "/V" not in field  # empty
            assert int(field.F) & 4  # printed (PDF/A)
            page = pdf.pages.index(field.P)
            left, bottom, right, top = (float(v) for v in field.Rect)
            top, bottom = height - top, height - bottom  # as pdftotext counts
            assert bottom - top > 80 and right - left > 150
            words = words_on(pdf_path, page)
            assert not [w for w in words if w[0] < right and w[2] > left
                        and w[1] < bottom and w[3] > top], party
            column = [w for w in words if w[0] < right and w[2] > left and w[3] <= top]
            line = max(w[3] for w in column)
            assert name in [w[4] for w in column if w[3] == line] and top - line < 20, party


@pytest.mark.parametrize("name", ["val-signe.feuille-de-route", "val-signe.avenant-1",
                                  "val-fictif.feuille-de-route"])
def test_the_feuille_de_route_and_the_avenants_are_pdfa_with_their_fields(lifecycle_pdfs, name):
    import pikepdf

    with pikepdf.open(lifecycle_pdfs / f"{name}.pdf") as pdf:
        assert pdf.open_metadata()["pdfaid:part"] == "2" and pdf.Root.Lang == "fr-FR"
        assert "/H1" in structure_tags(pdf)
        assert [str(f.T) for f in pdf.Root.AcroForm.Fields] == [
            "Signature — La Communauté d'agglomération du Val-Fictif", "Signature — Etat"]
