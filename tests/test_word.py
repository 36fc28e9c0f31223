"""The document as Word reads it: French, current, schema-valid, with a real outline, a
signature page that holds together, the State's three ways of signing, and logos."""

from __future__ import annotations

import itertools
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from docx import Document

from conftest import FIXTURES, ROOT
from docx_text import outline, paragraphs
from qp_conventions.core import territory_files

OUTLINES = Path(__file__).resolve().parent / "outlines"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
GOOD = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Path]:
    """The 14 territories and the fictional ones, each with its feuille de route, and the
    avenants of the signed one, generated once for this module."""
    from qp_conventions.batch import generate

    out = tmp_path_factory.mktemp("word")
    paths = sorted(territory_files(ROOT / "territories")) + [FIXTURES / "val-fictif.yaml",
                                                             FIXTURES / "val-signe.yaml"]
    batch = generate(paths, out, roadmap=True)
    assert all(o.status == "écrit" for o in batch.outcomes)
    assert len(batch.outcomes) == 2 * len(paths) + 2
    return {p.name.removesuffix(".docx"): p for p in out.glob("*.docx")}


def part(document: Path, name: str) -> str:
    with zipfile.ZipFile(document) as archive:
        return archive.read(name).decode("utf-8")


# 1. The outline of each part: a paragraph break lost or added in a template shows

def fictional_outline(documents) -> dict[str, list[str]]:
    parts: dict[str, list[str]] = {"convention": []}
    current = "convention"
    for line in outline(documents["val-fictif"]):
        if line.startswith("Titre d'annexe | Annexe "):
            current = f"annexe-{line.split('Annexe ')[1][0]}"
            parts[current] = []
        parts[current].append(line)
    return parts


@pytest.mark.parametrize("name", ["convention", "annexe-1", "annexe-2", "annexe-3"])
def test_each_part_has_its_expected_outline(documents, name):
    expected = (OUTLINES / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    assert fictional_outline(documents)[name] == expected


AXIS = """\
  - code: A1
    intitule: Faire naître des entreprises
    domaine: entrepreneuriat
{leviers}    objectifs: [Accompagner 40 porteurs de projet par an]
{qpv}{indicateurs}"""


@pytest.mark.parametrize("leviers, qpv, indicateurs", list(itertools.product([True, False], repeat=3)))
def test_every_label_of_annex_2_starts_its_own_paragraph(tree, qp, leviers, qpv, indicateurs):
    axis = AXIS.format(
        leviers="    leviers: [transition_numerique]\n" if leviers else "",
        qpv="    qpv: [Argonne, La Source]\n" if qpv else "",
        indicateurs=("    indicateurs:\n      - intitule: Entreprises créées\n"
                     "        cible: \"30 par an\"\n") if indicateurs else "")
    source = GOOD[:GOOD.index("annexe_2_axes:")] + "annexe_2_axes:\n" + axis + "\n"
    root = tree({"t/x.yaml": source})
    assert qp("generate", "x", "-t", root / "t", "-o", root / "out").code == 0
    annex = paragraphs(root / "out" / "x.docx")
    annex = annex[annex.index("Annexe 2 – Axes stratégiques"):]
    labels = {"Domaine d’intervention": True, "Leviers transverses": leviers, "Objectifs": True,
              "Quartiers prioritaires concernés": qpv, "Indicateurs": indicateurs}
    for label, present in labels.items():
        starting = [p for p in annex if p.startswith(label + "\u00a0:")]
        inside = [p for p in annex if label in p and not p.startswith(label)]
        assert (len(starting), inside) == (int(present), []), (label, annex)


# 2. French and current, as Word takes it

MODEL_STYLES = {"Normal", "Title", "Titre d'annexe", "heading 2", "heading 3", "Body Text",
                "List Bullet", "Tableau", "Signature", "footer", "Table Grid", "Normal Table",
                "Default Paragraph Font", "No List"}


def test_every_document_is_french_and_current(documents):
    for slug, document in documents.items():
        with zipfile.ZipFile(document) as archive:
            names = archive.namelist()
        assert "word/stylesWithEffects.xml" not in names, slug
        assert not any(n.startswith(("customXml/", "docProps/thumbnail")) for n in names), slug
        styles = part(document, "word/styles.xml")
        defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles, re.S).group(0)
        assert '<w:lang w:val="fr-FR"' in defaults, slug
        assert set(re.findall(r'<w:lang w:val="([^"]+)"', styles)) == {"fr-FR"}, slug
        assert set(re.findall(r'<w:name w:val="([^"]+)"', styles)) == MODEL_STYLES, slug
        settings = part(document, "word/settings.xml")
        assert re.search(r'w:name="compatibilityMode" [^>]*w:val="15"', settings), slug
        app = part(document, "docProps/app.xml")
        assert "<Application>qp-conventions</Application>" in app, slug
        assert not re.search(r"<(Pages|Words|Characters|Lines|Paragraphs|AppVersion)>", app), slug
        doc = Document(str(document))
        assert doc.core_properties.language == "fr-FR", slug


def test_the_outline_levels(documents):
    """The title and each annex title at the top of Word's navigation pane, the articles and
    the annexes' sections one level below."""
    doc = Document(str(documents["val-fictif"]))

    def level(style) -> int | None:
        while style is not None:
            found = style.element.find(f"{W}pPr/{W}outlineLvl")
            if found is not None:
                return int(found.get(f"{W}val"))
            style = style.base_style
        return None

    assert level(doc.styles["Title"]) == 0
    assert level(doc.styles["Titre d'annexe"]) == 0
    assert doc.styles["Heading 2"].element.find(f"{W}pPr/{W}outlineLvl").get(f"{W}val") == "1"
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert headings[:5] == ["Contexte", "Article 1. Objet de la convention",
                            "Article 2. Engagements réciproques des parties",
                            "Article 3. Gouvernance", "Article 4. Durée"]


def test_the_reference_is_what_the_script_builds(tmp_path):
    """templates/reference.docx is rebuilt by scripts/make_reference_docx.py, part for part."""
    import runpy

    runpy.run_path(str(ROOT / "scripts" / "make_reference_docx.py"))["build"](tmp_path / "r.docx")
    with zipfile.ZipFile(tmp_path / "r.docx") as built, \
            zipfile.ZipFile(ROOT / "templates" / "reference.docx") as shipped:
        assert built.namelist() == shipped.namelist()
        for name in built.namelist():
            assert built.read(name) == shipped.read(name), name


# 3. Valid against the Office Open XML schema

@pytest.fixture(scope="module")
def validator():
    from openxml_audit import FileFormat, OpenXmlValidator

    return OpenXmlValidator(file_format=FileFormat.MICROSOFT_365, max_errors=0, strict=True)


def test_every_document_passes_the_schema_validator(documents, validator):
    for slug, document in documents.items():
        result = validator.validate(document)
        assert result.errors == [], (slug, [str(e) for e in result.errors])


def test_the_validator_does_see_a_broken_document(documents, validator, tmp_path):
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(documents["toulouse"]) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:pPr>", b"<w:pPr><w:bogus/>", 1)
            target.writestr(item, data)
    assert validator.validate(broken).errors


# 4. The State's three ways of signing

PREFET = """\
etat:
  signataire: prefet
  prefet:
    departement: Loiret
    civilite: Madame
    prenom: Claude
    nom: Fictive

"""


def with_state(state: str, presentation: str = "") -> str:
    source = GOOD[:GOOD.index("etat:")] + state + GOOD[GOOD.index("chef_de_file:"):]
    if presentation:
        source = source.replace("  exemplaires: 3\n", f"  exemplaires: 3\n  presentation: {presentation}\n")
    return source


def signature_rows(document: Path) -> list[list[str]]:
    doc = Document(str(document))
    table = next(t for t in doc.tables if "EXEMPLE" in t.cell(0, 0).text)
    return [[c.text for c in row.cells] for row in table.rows]


def test_the_prefet_signs_alone(qp, tree):
    root = tree({"t/x.yaml": with_state(PREFET)})
    validated = qp("validate", "--strict", root / "t")
    assert validated.code == 0, validated.err
    assert qp("generate", "x", "-t", root / "t", "-o", root / "out").code == 0
    body = paragraphs(root / "out" / "x.docx")
    assert "L’État représenté par la Préfète du département du Loiret, Claude Fictive," in body
    assert not any("Ministre" in p for p in body)
    assert signature_rows(root / "out" / "x.docx") == [
        ["Madame Camille EXEMPLE", "Madame Claude FICTIVE"],
        ["", ""],
        ["Présidente de la Communauté d’agglomération du Val-Fictif",
         "Préfète du département du Loiret"],
    ]


def test_the_prefet_signs_for_the_state(qp, tree):
    root = tree({"t/x.yaml": with_state(PREFET.replace("Madame", "Monsieur"), "pour")})
    assert qp("generate", "x", "-t", root / "t", "-o", root / "out").code == 0
    body = paragraphs(root / "out" / "x.docx")
    assert "L’État représenté par le Préfet du département du Loiret, Claude Fictive," in body
    doc = Document(str(root / "out" / "x.docx"))
    table = next(t for t in doc.tables if "Pour l’État" in t.cell(0, 1).text)
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["Pour la Communauté d’agglomération du Val-Fictif",
         "Pour l’État, le Préfet du département du Loiret"],
        ["Camille EXEMPLE", "Claude FICTIVE"],
        ["", ""],
        ["Présidente de la Communauté d’agglomération du Val-Fictif", ""],
    ]


SIGNATORY_MISTAKES = {
    "prefet without a prefet": (
        "etat:\n  signataire: prefet\n\n", "etat.signataire",
        "signataire « prefet » : indiquez le préfet (rubrique prefet, avec au moins son departement)"),
    "a prefet named while the minister signs alone": (
        "etat:\n  signataire: ministre\n  prefet:\n    departement: Loiret\n\n", "etat.prefet",
        "le préfet n'est pas nommé quand le ministre signe seul : retirez la rubrique prefet, "
        "ou écrivez signataire: ministre_ou_prefet"),
    "a minister named while the prefet signs alone": (
        PREFET + "  ministre:\n    nom: Modèle\n\n", "etat.ministre",
        "le ministre n'est pas nommé quand le préfet signe seul : retirez la rubrique "
        "ministre, ou écrivez signataire: ministre_ou_prefet"),
}


@pytest.mark.parametrize("case", SIGNATORY_MISTAKES)
def test_signatory_mistakes_are_located(qp, tree, case):
    state, field, message = SIGNATORY_MISTAKES[case]
    root = tree({"t/x.yaml": with_state(state)})
    result = qp("validate", root / "t" / "x.yaml")
    assert result.code == 1
    assert re.search(rf"x\.yaml:\d+:\d+: erreur : {re.escape(field)} : {re.escape(message)}$",
                     result.err, re.M), result.err


def test_an_unnamed_prefet_is_to_complete_and_the_minister_is_not_asked(qp, tree):
    root = tree({"t/x.yaml": with_state("etat:\n  signataire: prefet\n  prefet:\n    departement: Loiret\n\n")})
    result = qp("validate", root / "t")
    assert result.code == 0
    warned = re.findall(r"avertissement : (\S+) :", result.err)
    assert warned == ["etat.prefet.civilite", "etat.prefet.prenom", "etat.prefet.nom"]


# 5. The signature page holds together

def test_the_signature_page_holds_together(documents):
    """« Fait en », the place and date and every row of the signatures but the last are
    kept with what follows: Word never leaves the signatures alone on a page."""
    from docx.shared import Cm

    doc = Document(str(documents["val-fictif"]))
    kept = {p.text: p.paragraph_format.keep_with_next for p in doc.paragraphs
            if p.text.startswith(("Fait en", "À Val-Fictif"))}
    assert kept == {"Fait en 3 exemplaires,": True, "À Val-Fictif, le 15 octobre 2021": True}
    table = next(t for t in doc.tables if "EXEMPLE" in t.cell(0, 0).text)
    rows = [[c.paragraphs[0].paragraph_format.keep_with_next for c in row.cells]
            for row in table.rows]
    assert rows == [[True, True], [True, True], [None, None]]
    space = table.rows[1]
    assert not space.cells[0].text and space.height >= Cm(3.5) - 100  # a signature and a stamp


# 6. Typography

def test_typography_of_values(documents):
    body = paragraphs(documents["val-fictif"])
    # a bullet that begins with a value begins with a capital; apostrophes are typographic
    assert any(p.startswith("La Communauté d’agglomération du Val-Fictif s’engage à renforcer")
               for p in body)
    assert not any("'" in p for p in body)
    # table header rows are shaded
    document = part(documents["val-fictif"], "word/document.xml")
    for table in re.findall(r'<w:tbl><w:tblPr><w:tblStyle.*?</w:tbl>', document):
        first_row = re.search(r"<w:tr>.*?</w:tr>", table).group(0)
        assert first_row.count('w:fill="D9D9D9"') == first_row.count("<w:tc>")


# 7. Logos

def png(width: int, height: int, rgb=(0, 0, 145)) -> bytes:
    """A plain PNG image, made here: the project ships no logo it does not own."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg_header(width: int, height: int) -> bytes:
    """The first segments of a JPEG file (start, JFIF, frame with its size)."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def with_logos(root: Path, names: str) -> None:
    (root / "t" / "x.yaml").write_text(f"logos: {names}\n" + GOOD, encoding="utf-8")


def test_logos_in_a_row_at_the_top_of_the_first_page(qp, tree, validator):
    root = tree({"t/x.yaml": GOOD, "t/logos/etat.png": png(400, 200),
                 "t/region.png": png(300, 300, (200, 30, 30)), "t/bloc.jpg": jpeg_header(600, 150)})
    with_logos(root, "[logos/etat.png, region.png, bloc.jpg]")
    assert qp("validate", "--strict", root / "t").code == 0
    for out in ("a", "b"):
        assert qp("generate", "x", "-t", root / "t", "-o", root / out).code == 0
    document = root / "a" / "x.docx"
    assert document.read_bytes() == (root / "b" / "x.docx").read_bytes()  # reproducible
    assert validator.validate(document).errors == []
    with zipfile.ZipFile(document) as archive:
        assert archive.read("word/media/logo1.png") == png(400, 200)
        assert archive.read("word/media/logo3.jpeg") == jpeg_header(600, 150)
    body = part(document, "word/document.xml")
    first_table = body[body.index("<w:body>"):body.index("</w:tbl>")]
    extents = [(int(cx), int(cy)) for cx, cy in re.findall(r'<wp:extent cx="(\d+)" cy="(\d+)"/>', first_table)]
    # 2 cm high (720 000 EMU) with their proportions; the wide one fits its third of the
    # line: (16.6 cm / 3 - the cell's margins) wide, a quarter of that high
    assert extents == [(1_440_000, 720_000), (720_000, 720_000), (1_854_835, 463_708)]
    assert body.index("</w:tbl>") < body.index("CONVENTION D’ENGAGEMENT")


LOGO_MISTAKES = {
    "absent.png": "image introuvable : {folder}/absent.png",
    "texte.png": "{folder}/texte.png n'est pas une image PNG ou JPEG : enregistrez le logo dans "
                 "l'un de ces formats",
    "lourd.png": "image trop lourde (2,0 Mo ; 2 Mo au plus) : {folder}/lourd.png — réduisez-la "
                 "(un logo de 600 pixels de large suffit)",
    "/etc/logo.png": "« /etc/logo.png » : indiquez le nom d'une image placée dans le dossier du "
                     "fichier de territoire ({folder}), ou dans un de ses sous-dossiers",
    "../logo.png": "« ../logo.png » : indiquez le nom d'une image placée dans le dossier du "
                   "fichier de territoire ({folder}), ou dans un de ses sous-dossiers",
    "dossier.png": "{folder}/dossier.png n'est pas un fichier",
    "immense.png": "image trop grande (30000 × 30000 pixels, soit 900 millions de pixels ; 25 "
                   "millions au plus) : {folder}/immense.png — réduisez-la (un logo de 600 "
                   "pixels de large suffit)",
    "immense.jpg": "image trop grande (6000 × 5000 pixels, soit 30 millions de pixels ; 25 "
                   "millions au plus) : {folder}/immense.jpg — réduisez-la (un logo de 600 "
                   "pixels de large suffit)",
}


@pytest.mark.parametrize("name", LOGO_MISTAKES)
def test_a_wrong_logo_is_located(qp, tree, name):
    root = tree({"t/x.yaml": GOOD, "t/texte.png": "ceci n'est pas une image\n",
                 "t/lourd.png": png(10, 10) + b"\0" * (2 * 1024 * 1024),
                 # (sizes in the header only: what is read of them)
                 "t/immense.png": png(1, 1).replace(struct.pack(">II", 1, 1),
                                                    struct.pack(">II", 30000, 30000), 1),
                 "t/immense.jpg": jpeg_header(6000, 5000)})
    (root / "t" / "dossier.png").mkdir()
    with_logos(root, f"[\"{name}\"]")
    result = qp("generate", "x", "-t", root / "t", "-o", root / "out")
    assert result.code == 1
    message = LOGO_MISTAKES[name].format(folder=root / "t")
    assert f"{root / 't' / 'x.yaml'}:1:9: erreur : logos[1] : {message}" in result.err
    assert not (root / "out").exists()
