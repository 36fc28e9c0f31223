"""Build templates/reference.docx: the Word styles, page setup and footer of every
convention (as pandoc's reference-doc). Run it again after changing a style here, or
open templates/reference.docx in Word, change its styles and save it: the generator
only takes styles, page setup and footer from it, never its text.

    python scripts/make_reference_docx.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

FONT = "Arial"  # Word's everyday sans; LibreOffice substitutes the metric-identical Liberation Sans
BLACK = RGBColor(0, 0, 0)


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


def build(path: Path) -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    section.footer_distance = Cm(1.0)

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

    annex = styles.add_style("Titre d'annexe", WD_STYLE_TYPE.PARAGRAPH)
    annex.base_style = title
    annex.next_paragraph_style = styles["Body Text"]
    _font(annex, 14, bold=True)
    annex.paragraph_format.page_break_before = True
    annex.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

    for name, size, before in (("Heading 1", 12, 14), ("Heading 2", 11, 10)):
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

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.style = styles["Footer"]
    _font(styles["Footer"], 9)
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" sur ")
    _field(footer, "NUMPAGES")

    props = doc.core_properties
    props.author = "Programme Quartiers productifs"
    props.title = "Convention d'engagement Quartiers productifs"
    props.comments = ""
    doc.save(path)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(__file__).resolve().parent.parent / "templates" / "reference.docx")
    build(target)
    print(f"écrit : {target}")
