"""Blocks → a Word document (.docx bytes), with the styles, page setup, footer and
settings of templates/reference.docx.

The reference package is copied part by part; each document gets its own
`word/document.xml` (built with lxml, element by element, in the elements Word itself
writes) and `docProps/core.xml`, and, with logos, their images. The result is
byte-reproducible: entries in the reference's order with a fixed date, and document
properties taken from the convention rather than from the clock.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .blocks import Block, Line, Run
from .errors import QPError
from .images import Image

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
PIC = "http://schemas.openxmlformats.org/drawingml/2006/picture"
XML = "http://www.w3.org/XML/1998/namespace"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"

TWIPS_PER_CHAR = 5.2 * 20  # a generous average character of 9 pt Arial
SIGNATURE_SPACE = 1985  # twips: 3.5 cm left blank for a handwritten signature and a stamp
HEADER_SHADING = "D9D9D9"  # light grey behind the header row of a table
CELL_MARGIN = 108  # twips: a table cell's default left and right margins
LOGO_HEIGHT = 720_000  # EMU: logos 2 cm high (narrower if their row would overflow)
EMU_PER_TWIP = 635

# The styles each kind of block takes, by their names in the reference.
STYLES = {
    "title": "Title",
    "annex_title": "Titre d'annexe",
    "heading": "heading 2",  # « ## »: one outline level below its title (see reference.docx)
    "subheading": "heading 3",
    "paragraph": "Body Text",
    "bullet": "List Bullet",
    "table_cell": "Tableau",
    "signature": "Signature",
    "table": "Table Grid",
}


def q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def w(parent: etree._Element, tag: str, **attributes: object) -> etree._Element:
    """A WordprocessingML element under `parent`; attributes in the w: namespace."""
    return etree.SubElement(parent, q(W, tag), {q(W, k): str(v) for k, v in attributes.items()})


@dataclass(frozen=True)
class Reference:
    parts: dict[str, bytes]  # every part of the package, in its order
    document: etree._Element  # word/document.xml, its body emptied but for the section
    section: etree._Element  # the body's last sectPr: page setup and footer
    styles: dict[str, str]  # block kind -> style id

    @property
    def page_width(self) -> int:
        return int(self.section.find(q(W, "pgSz")).get(q(W, "w")))

    @property
    def page_height(self) -> int:
        return int(self.section.find(q(W, "pgSz")).get(q(W, "h")))

    @property
    def margins(self) -> int:
        margin = self.section.find(q(W, "pgMar"))
        return int(margin.get(q(W, "left"))) + int(margin.get(q(W, "right")))


@functools.lru_cache(maxsize=None)  # read once per process: every document copies it
def load_reference(path: Path) -> Reference:
    """The reference package, read with an XML parser: it may have been opened and saved
    again in Word or LibreOffice, which write the same things differently."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = {item.filename: archive.read(item.filename) for item in archive.infolist()}
        document = etree.fromstring(parts["word/document.xml"])
        styles = etree.fromstring(parts["word/styles.xml"])
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise QPError(f"modèle Word illisible ({path}) : {exc}") from None
    body = document.find(q(W, "body"))
    section = body.find(q(W, "sectPr"))
    for child in list(body):
        body.remove(child)
    names = {style.find(q(W, "name")).get(q(W, "val")).lower(): style.get(q(W, "styleId"))
             for style in styles.iter(q(W, "style")) if style.find(q(W, "name")) is not None}
    missing = [name for name in STYLES.values() if name.lower() not in names]
    if missing:
        raise QPError(f"le modèle Word {path} n'a plus le(s) style(s) {', '.join(missing)} : "
                      "rétablissez-les, ou reconstruisez-le avec scripts/make_reference_docx.py")
    return Reference(parts, document, section,
                     {kind: names[name.lower()] for kind, name in STYLES.items()})


# --- paragraphs and runs ------------------------------------------------------------

def _runs(paragraph: etree._Element, runs: Line) -> None:
    for run in runs:
        r = w(paragraph, "r")
        if run.bold or run.missing:
            properties = w(r, "rPr")
            if run.bold:
                w(properties, "b")
            if run.missing:
                w(properties, "highlight", val="yellow")
        for piece in _pieces(run.text):
            if piece == "\n":
                w(r, "br")
            elif piece == "\t":
                w(r, "tab")
            else:
                text = w(r, "t")
                text.set(q(XML, "space"), "preserve")
                text.text = piece


def _pieces(text: str) -> list[str]:
    """Text, line breaks and tabs, each its own piece."""
    pieces, current = [], ""
    for char in text:
        if char in "\n\t":
            pieces += [current, char] if current else [char]
            current = ""
        else:
            current += char
    return pieces + [current] if current else pieces


def _paragraph(parent: etree._Element, style: str, runs: Line, *, align: str = "",
               page_break_before: bool | None = None, keep_next: bool = False) -> etree._Element:
    p = w(parent, "p")
    properties = w(p, "pPr")
    w(properties, "pStyle", val=style)
    if keep_next:  # on the same page as the next paragraph (the signature page)
        w(properties, "keepNext")
    if page_break_before is False:  # the section break already starts a page
        w(properties, "pageBreakBefore", val="0")
    if align:
        w(properties, "jc", val=align)
    _runs(p, runs)
    return p


# --- tables -------------------------------------------------------------------------

def _column_widths(block: Block, total: int) -> list[int]:
    """Share the line between columns: first each column's longest word (never broken
    inside), then the rest of the width by how much more text each column holds."""
    columns = len(block.aligns)
    longest, longest_word = [1.0] * columns, [1.0] * columns
    for r, row in enumerate(block.rows):
        for c, cell in enumerate(row[:columns]):
            text = "".join(run.text for run in cell)
            # bold (the header row, totals) is wider than regular text
            factor = 1.15 if r == 0 or (cell and cell[0].bold) else 1.0
            longest[c] = max(longest[c], len(text) * factor)
            # split on ordinary spaces only: non-breaking ones (« 1 250 000 € ») hold
            longest_word[c] = max(longest_word[c], max(map(len, text.split(" "))) * factor)
    margin = 2.5  # the cell's own left and right margins, in characters
    minimum = [word + margin for word in longest_word]
    wanted = [max(word, min(text, 45)) + margin for word, text in zip(longest_word, longest)]
    capacity = total / TWIPS_PER_CHAR
    if sum(wanted) <= capacity:
        chars = [want * capacity / sum(wanted) for want in wanted]
    else:
        spare = max(capacity - sum(minimum), 0)
        extra = [want - least for want, least in zip(wanted, minimum)]
        chars = [least + (spare * more / sum(extra) if sum(extra) else 0)
                 for least, more in zip(minimum, extra)]
    scale = total / sum(chars)  # never wider than the page, even when words are long
    return [int(c * scale) for c in chars]


def _table_start(body: etree._Element, widths: list[int], style: str | None) -> etree._Element:
    table = w(body, "tbl")
    properties = w(table, "tblPr")
    if style:
        w(properties, "tblStyle", val=style)
    w(properties, "tblW", w=sum(widths), type="dxa")
    w(properties, "tblLayout", type="fixed")
    if style:
        w(properties, "tblLook", val="04A0", firstRow="1", lastRow="0", firstColumn="1",
          lastColumn="0", noHBand="0", noVBand="1")
    grid = w(table, "tblGrid")
    for width in widths:
        w(grid, "gridCol", w=width)
    return table


def _cell(row: etree._Element, width: int, shading: str = "", centred: bool = False) -> etree._Element:
    cell = w(row, "tc")
    properties = w(cell, "tcPr")
    w(properties, "tcW", w=width, type="dxa")
    if shading:
        w(properties, "shd", val="clear", color="auto", fill=shading)
    if centred:
        w(properties, "vAlign", val="center")
    return cell


def _table(body: etree._Element, block: Block, ref: Reference, width: int) -> None:
    """A table of the annexes: the header row bold, shaded, repeated on every page."""
    widths = _column_widths(block, width)
    table = _table_start(body, widths, ref.styles["table"])
    for r, cells in enumerate(block.rows):
        row = w(table, "tr")
        properties = w(row, "trPr")
        w(properties, "cantSplit")
        if r == 0:
            w(properties, "tblHeader")
        for c, cell_width in enumerate(widths):
            runs = cells[c] if c < len(cells) else []
            if r == 0:
                runs = [Run(run.text, True, run.missing) for run in runs]
            cell = _cell(row, cell_width, HEADER_SHADING if r == 0 else "")
            _paragraph(cell, ref.styles["table_cell"], runs, align=block.aligns[c])
    _paragraph(body, ref.styles["paragraph"], [])  # breathing space after a table


def _signatures(body: etree._Element, block: Block, ref: Reference, width: int) -> None:
    """The parties side by side in a borderless table, one row per line so that the
    names and titles of both columns stay level; a tall empty row for the signatures.
    Every row but the last is kept with the next: the block never splits across pages."""
    count = len(block.columns)
    column = width // count
    height = max(len(c) for c in block.columns)
    table = _table_start(body, [column] * count, None)  # the default table style: no borders
    for r in range(height):
        lines = [c[r] if r < len(c) else [] for c in block.columns]
        row = w(table, "tr")
        properties = w(row, "trPr")
        w(properties, "cantSplit")
        if any(line is None for line in lines):
            w(properties, "trHeight", val=SIGNATURE_SPACE)
        for line in lines:
            _paragraph(_cell(row, column), ref.styles["signature"], line or [],
                       keep_next=r < height - 1)
    _paragraph(body, ref.styles["paragraph"], [])  # breathing space after the signatures


# --- logos --------------------------------------------------------------------------

def _logos(body: etree._Element, logos: list[Image], width: int) -> None:
    """The logos in one row at the top of the first page: a borderless table, one cell
    each, every logo as high as the others (smaller if the row would overflow)."""
    column = width // len(logos)
    usable = (column - 2 * CELL_MARGIN) * EMU_PER_TWIP
    table = _table_start(body, [column] * len(logos), None)
    row = w(table, "tr")
    w(w(row, "trPr"), "cantSplit")
    for number, logo in enumerate(logos, 1):
        cx, cy = LOGO_HEIGHT * logo.width // logo.height, LOGO_HEIGHT
        if cx > usable:
            cx, cy = usable, usable * logo.height // logo.width
        paragraph = w(_cell(row, column, centred=True), "p")
        properties = w(paragraph, "pPr")
        w(properties, "spacing", after=0)
        w(properties, "jc", val="center")
        _drawing(w(w(paragraph, "r"), "drawing"), number, logo, cx, cy)


def _drawing(drawing: etree._Element, number: int, logo: Image, cx: int, cy: int) -> None:
    """An inline picture, as Word writes one."""
    def el(parent, namespace, tag, nsmap=None, **attributes):
        return etree.SubElement(parent, q(namespace, tag), {k: str(v) for k, v in attributes.items()},
                                nsmap=nsmap)

    inline = el(drawing, WP, "inline", distT=0, distB=0, distL=0, distR=0)
    el(inline, WP, "extent", cx=cx, cy=cy)
    el(inline, WP, "effectExtent", l=0, t=0, r=0, b=0)
    el(inline, WP, "docPr", id=number, name=f"Logo {number}", descr=logo.name)
    frame = el(inline, WP, "cNvGraphicFramePr")
    el(frame, A, "graphicFrameLocks", nsmap={"a": A}, noChangeAspect=1)
    graphic = el(inline, A, "graphic", nsmap={"a": A})
    data = el(graphic, A, "graphicData", uri=PIC)
    picture = el(data, PIC, "pic", nsmap={"pic": PIC})
    names = el(picture, PIC, "nvPicPr")
    el(names, PIC, "cNvPr", id=number, name=logo.name)
    el(names, PIC, "cNvPicPr")
    fill = el(picture, PIC, "blipFill")
    blip = el(fill, A, "blip")
    blip.set(q(R, "embed"), _logo_id(number))
    el(el(fill, A, "stretch"), A, "fillRect")
    shape = el(picture, PIC, "spPr")
    transform = el(shape, A, "xfrm")
    el(transform, A, "off", x=0, y=0)
    el(transform, A, "ext", cx=cx, cy=cy)
    el(el(shape, A, "prstGeom", prst="rect"), A, "avLst")


def _logo_id(number: int) -> str:
    return f"rIdLogo{number}"


def _logo_part(number: int, logo: Image) -> str:
    return f"word/media/logo{number}.{logo.kind}"


def _with_logos(ref: Reference, logos: list[Image]) -> dict[str, bytes]:
    """The parts that change when a document carries logos: the images themselves, the
    document's relationships to them, and their content types."""
    parts = {_logo_part(n, logo): logo.data for n, logo in enumerate(logos, 1)}
    relationships = etree.fromstring(ref.parts["word/_rels/document.xml.rels"])
    for number, logo in enumerate(logos, 1):
        etree.SubElement(relationships, q(PACKAGE_RELS, "Relationship"),
                         Id=_logo_id(number), Type=IMAGE_REL,
                         Target=_logo_part(number, logo).removeprefix("word/"))
    types = etree.fromstring(ref.parts["[Content_Types].xml"])
    for kind in sorted({logo.kind for logo in logos}):
        etree.SubElement(types, q(CONTENT_TYPES, "Default"), Extension=kind,
                         ContentType=f"image/{kind}")
    parts["word/_rels/document.xml.rels"] = _xml(relationships)
    parts["[Content_Types].xml"] = _xml(types)
    return parts


# --- the document -------------------------------------------------------------------

def document_xml(blocks: list[Block], ref: Reference, logos: list[Image] = ()) -> bytes:
    document = copy.deepcopy(ref.document)
    body = document.find(q(W, "body"))
    if logos:
        _logos(body, list(logos), ref.page_width - ref.margins)
    landscape = False
    first_of_section = False
    keeping = False  # inside « ::: ensemble »: each paragraph stays with the next
    for index, block in enumerate(blocks):
        width = (ref.page_height if landscape else ref.page_width) - ref.margins
        if block.kind in ("keep_start", "keep_end"):
            keeping = block.kind == "keep_start"
            continue
        if block.kind in ("landscape_start", "landscape_end"):
            if block.kind == "landscape_end" and index == len(blocks) - 1:
                break  # nothing follows: no portrait page to open
            # A section ends with a paragraph carrying that section's properties.
            w(w(body, "p"), "pPr").append(_section(ref, landscape))
            landscape = block.kind == "landscape_start"
            first_of_section = True
            continue
        if block.kind == "table":
            _table(body, block, ref, width)
        elif block.kind == "signatures":
            _signatures(body, block, ref, width)
        else:
            _paragraph(body, ref.styles[block.kind], block.runs, keep_next=keeping,
                       page_break_before=False if first_of_section else None)
        first_of_section = False
    body.append(_section(ref, landscape))
    return _xml(document)


def _section(ref: Reference, landscape: bool) -> etree._Element:
    """The reference's section properties, turned to landscape when asked."""
    section = copy.deepcopy(ref.section)
    if landscape:
        size = section.find(q(W, "pgSz"))
        width, height = size.get(q(W, "w")), size.get(q(W, "h"))
        size.set(q(W, "w"), height)
        size.set(q(W, "h"), width)
        size.set(q(W, "orient"), "landscape")
    return section


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def core_xml(title: str, subject: str, when: dt.date) -> bytes:
    """The document's properties: dated by the convention, not by the clock."""
    cp = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
    dc, dcterms = "http://purl.org/dc/elements/1.1/", "http://purl.org/dc/terms/"
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element(q(cp, "coreProperties"), nsmap={
        "cp": cp, "dc": dc, "dcterms": dcterms, "dcmitype": "http://purl.org/dc/dcmitype/",
        "xsi": xsi})
    moment = f"{when.isoformat()}T00:00:00Z"
    for namespace, tag, text in (
            (dc, "title", title), (dc, "subject", subject),
            (dc, "creator", "Programme Quartiers productifs"),
            (cp, "keywords", "Quartiers productifs"), (dc, "language", "fr-FR"),
            (cp, "lastModifiedBy", "qp-conventions"), (cp, "revision", "1"),
            (dcterms, "created", moment), (dcterms, "modified", moment)):
        element = etree.SubElement(root, q(namespace, tag))
        element.text = text
        if namespace == dcterms:
            element.set(q(xsi, "type"), "dcterms:W3CDTF")
    return _xml(root)


_DATE = (1980, 1, 1, 0, 0, 0)  # every entry's date: the documents do not depend on the clock


def write_docx(blocks: list[Block], reference: Path, *, title: str, subject: str,
               when: dt.date, logos: list[Image] = ()) -> bytes:
    ref = load_reference(reference)
    own = {"word/document.xml": document_xml(blocks, ref, logos),
           "docProps/core.xml": core_xml(title, subject, when)}
    if logos:
        own.update(_with_logos(ref, list(logos)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in [*ref.parts, *(n for n in own if n not in ref.parts)]:
            entry = zipfile.ZipInfo(name, date_time=_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            # A document's own text is compressed lightly: level 3 takes a third of the
            # time of the default for a few more kilobytes. Images are compressed already.
            level = 0 if name.startswith("word/media/") else 3 if name in own else 9
            archive.writestr(entry, own.get(name, ref.parts.get(name)), compresslevel=level)
    return buffer.getvalue()
