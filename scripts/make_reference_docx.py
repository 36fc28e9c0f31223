"""Build templates/reference.docx: the Word styles, page setup, footer and settings of
every convention (as pandoc's reference-doc). Run it again after changing a style here, or
open templates/reference.docx in Word, change its styles and save it: the generator
only takes styles, page setup, footer and settings from it, never its text.

    python scripts/make_reference_docx.py

The package is made French and current: language fr-FR, compatibility mode 15 (Word
2013 and later, so Word does not open it in « Mode de compatibilité »), only the styles
the model uses (python-docx's template brings 160 sample styles and a stale copy of them,
stylesWithEffects.xml), no thumbnail, no custom XML, and document properties that name
this tool rather than « Microsoft Macintosh Word ».
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

FONT = "Arial"  # Word's everyday sans; LibreOffice substitutes the metric-identical Liberation Sans
BLACK = RGBColor(0, 0, 0)
LANGUAGE = "fr-FR"
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
WORD_2013 = "15"  # compatibilityMode: the current one (Word 2013 to Microsoft 365)

# The styles the national model uses (see docx_writer._STYLES), and the defaults Word
# expects every document to define. Every other style is removed.
KEPT_STYLES = {
    "Normal", "Title", "TitreAnnexe", "Heading2", "Heading3", "BodyText", "ListBullet",
    "Tableau", "Signature", "Footer", "TableGrid",
    "TableNormal", "DefaultParagraphFont", "NoList",
}

APP_XML = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>qp-conventions</Application><DocSecurity>0</DocSecurity>"
    "<ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate>"
    "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
    "</Properties>"
)


def _font(style, size: float, bold: bool | None = None) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    style.font.color.rgb = BLACK
    if bold is not None:
        style.font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(theme), None)


def _no_border(style) -> None:
    ppr = style.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)


def _outline_level(style, level: int) -> None:
    """Where a style's paragraphs sit in Word's navigation pane (0 is the top)."""
    ppr = style.element.get_or_add_pPr()
    for old in ppr.findall(qn("w:outlineLvl")):
        ppr.remove(old)
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), str(level))
    # outlineLvl comes after jc in the schema's order of paragraph properties
    ppr.append(outline)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) as begin/instr/separate/result/end runs."""
    for kind, text in (("begin", None), ("instr", instruction), ("separate", None),
                       ("text", "1"), ("end", None)):
        run = paragraph.add_run()
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {text} "
            run._r.append(instr)
        elif kind == "text":
            run.text = text
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)


def _styles(doc) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    _font(normal, 10.5)
    normal.paragraph_format.space_after = Pt(4)

    title = styles["Title"]
    _font(title, 15, bold=True)
    _no_border(title)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = Pt(6)
    title.paragraph_format.space_after = Pt(18)
    _outline_level(title, 0)  # the convention's title heads the outline

    annex = styles.add_style("Titre d'annexe", WD_STYLE_TYPE.PARAGRAPH)
    annex.style_id = "TitreAnnexe"
    annex.base_style = title
    annex.next_paragraph_style = styles["Body Text"]
    _font(annex, 14, bold=True)
    annex.paragraph_format.page_break_before = True
    annex.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _outline_level(annex, 0)  # each annex at the top of the outline too

    # « ## » (articles, annex sections) and « ### »: one level below their title.
    for name, size, before in (("Heading 2", 12, 14), ("Heading 3", 11, 10)):
        heading = styles[name]
        _font(heading, size, bold=True)
        heading.font.italic = False
        heading.paragraph_format.space_before = Pt(before)
        heading.paragraph_format.space_after = Pt(6)
        heading.paragraph_format.keep_with_next = True

    body = styles["Body Text"]
    _font(body, 10.5)
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    body.paragraph_format.space_after = Pt(6)

    bullet = styles["List Bullet"]
    _font(bullet, 10.5)
    bullet.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    bullet.paragraph_format.space_after = Pt(4)

    cell = styles.add_style("Tableau", WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    _font(cell, 9)
    cell.paragraph_format.space_after = Pt(0)

    signature = styles.add_style("Signature", WD_STYLE_TYPE.PARAGRAPH)
    signature.base_style = normal
    _font(signature, 10.5)
    signature.paragraph_format.space_after = Pt(6)
    signature.paragraph_format.keep_with_next = True
    _font(styles["Footer"], 9)


def _only_used_styles(doc) -> None:
    """Remove every style the model does not use, and what pointed at removed ones."""
    root = doc.styles.element
    for style in root.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in KEPT_STYLES:
            root.remove(style)
    for style in root.findall(qn("w:style")):
        for child in style.findall(qn("w:link")) + style.findall(qn("w:rsid")):
            style.remove(child)
    missing = KEPT_STYLES - {s.get(qn("w:styleId")) for s in root.findall(qn("w:style"))}
    assert not missing, missing


def _french(doc) -> None:
    """French in the document defaults and in every style that names a language."""
    for lang in doc.styles.element.iter(qn("w:lang")):
        lang.set(qn("w:val"), LANGUAGE)
        lang.set(qn("w:eastAsia"), LANGUAGE)
    settings = doc.settings.element
    settings.find(qn("w:themeFontLang")).set(qn("w:val"), LANGUAGE)
    settings.find(qn("w:decimalSymbol")).set(qn("w:val"), ",")
    settings.find(qn("w:listSeparator")).set(qn("w:val"), ";")


def _current_settings(doc) -> None:
    """Compatibility mode 15, and nothing left from the template's own editing sessions."""
    settings = doc.settings.element
    for setting in settings.iter(qn("w:compatSetting")):
        if setting.get(qn("w:name")) == "compatibilityMode":
            setting.set(qn("w:val"), WORD_2013)
    for name in ("w:proofState", "w:savePreviewPicture", "w:rsids", "w:attachedTemplate"):
        for element in settings.findall(qn(name)):
            settings.remove(element)
    for element in settings.findall("{http://schemas.microsoft.com/office/word/2010/wordml}docId"):
        settings.remove(element)


def _package_parts(doc) -> None:
    """Drop the template's stale parts; document properties that name this tool."""
    document_rels = doc.part.rels
    for rid, rel in list(document_rels.items()):
        if rel.reltype in (STYLES_WITH_EFFECTS, RT.CUSTOM_XML):
            document_rels.pop(rid)
    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype in (RT.THUMBNAIL, RT.EXTENDED_PROPERTIES):
            package.rels.pop(rid)
    app = Part(PackURI("/docProps/app.xml"),
               "application/vnd.openxmlformats-officedocument.extended-properties+xml",
               APP_XML.encode("utf-8"), package)
    package.relate_to(app, RT.EXTENDED_PROPERTIES)


def build(path: Path) -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    section.footer_distance = Cm(1.0)

    _styles(doc)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.style = doc.styles["Footer"]
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" sur ")
    _field(footer, "NUMPAGES")

    _only_used_styles(doc)
    _french(doc)
    _current_settings(doc)
    _package_parts(doc)

    props = doc.core_properties
    props.author = "Programme Quartiers productifs"
    props.title = "Convention d'engagement Quartiers productifs"
    props.comments = ""
    props.language = LANGUAGE
    doc.save(path)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(__file__).resolve().parent.parent / "templates" / "reference.docx")
    build(target)
    print(f"écrit : {target}")
