"""Blocks → a Word document (.docx bytes), with the styles, page setup, footer and
settings of templates/reference.docx.

The reference package is copied part by part; each document gets its own
`word/document.xml` and `docProps/core.xml`, and, with logos, their images. The body of
document.xml is written as WordprocessingML text by the small functions below, one per
element kind, each a readable template of the elements Word itself writes (building it
element by element with lxml took ten times longer: 30 ms for a document of thirty
operations, most of a batch); text is escaped, never interpreted. The reference itself is
read, and the envelope of document.xml written, with lxml.

The result is byte-reproducible: entries in the reference's order with a fixed date, and
document properties taken from the convention rather than from the clock.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from .blocks import Block, Line, Run
from .errors import QPError
from .images import Image

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"

TWIPS_PER_CHAR = 5.2 * 20  # a generous average character of 9 pt Arial
SIGNATURE_SPACE = 1985  # twips: 3.5 cm left blank for a handwritten signature and a stamp
# The bookmark in each signatory's space (« qpsignature1 »… in the block's column order):
# LibreOffice exports it as a named destination, where pdf.py finds that space in the PDF.
SIGNATURE_MARK = "qpsignature"
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


def q(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass(frozen=True)
class Reference:
    parts: dict[str, bytes]  # every part of the package, in its order
    head: str  # document.xml up to and including <w:body>
    tail: str  # from </w:body> to the end
    portrait: str  # the body's final section properties (page setup, footer)
    landscape: str  # the same, turned to landscape
    portrait_draft: str  # the same two with the header that carries « PROJET »
    landscape_draft: str
    page_width: int  # twips
    page_height: int
    margins: int  # left + right, twips
    styles: dict[str, str]  # block kind -> style id


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
    names = {style.find(q("name")).get(q("val")).lower(): style.get(q("styleId"))
             for style in styles.iter(q("style")) if style.find(q("name")) is not None}
    missing = [name for name in STYLES.values() if name.lower() not in names]
    if missing:
        raise QPError(f"le modèle Word {path} n'a plus le(s) style(s) {', '.join(missing)} : "
                      "rétablissez-les, ou reconstruisez-le avec scripts/make_reference_docx.py")
    body = document.find(q("body"))
    section = body.find(q("sectPr"))
    for child in list(body):
        body.remove(child)
    size, margin = section.find(q("pgSz")), section.find(q("pgMar"))
    landscape = copy.deepcopy(section)
    turned = landscape.find(q("pgSz"))
    turned.set(q("w"), size.get(q("h")))
    turned.set(q("h"), size.get(q("w")))
    turned.set(q("orient"), "landscape")
    head, tail, portrait_xml = _envelope(document, section)
    return Reference(
        parts=parts, head=head, tail=tail, portrait=portrait_xml,
        landscape=_envelope(document, landscape)[2],
        portrait_draft=_envelope(document, _with_watermark(section))[2],
        landscape_draft=_envelope(document, _with_watermark(landscape))[2],
        page_width=int(size.get(q("w"))), page_height=int(size.get(q("h"))),
        margins=int(margin.get(q("left"))) + int(margin.get(q("right"))),
        styles={kind: names[name.lower()] for kind, name in STYLES.items()},
    )


def _with_watermark(section: etree._Element) -> etree._Element:
    """A section whose pages have the header that carries the draft's watermark."""
    section = copy.deepcopy(section)
    reference = etree.Element(q("headerReference"))
    reference.set(q("type"), "default")
    reference.set(f"{{{R}}}id", WATERMARK_ID)
    section.insert(0, reference)  # headers come first in a section's properties
    return section


def _envelope(document: etree._Element, section: etree._Element) -> tuple[str, str, str]:
    """document.xml around a body holding only `section`: the text before the body's
    content, after it, and the section's own text (its namespaces declared by the root)."""
    body = document.find(q("body"))
    body.append(section)
    text = etree.tostring(document, xml_declaration=True, encoding="UTF-8",
                          standalone=True).decode("utf-8")
    body.remove(section)
    head, rest = text.split("<w:body>", 1)
    section_xml, tail = rest.rsplit("</w:body>", 1)
    return head + "<w:body>", "</w:body>" + tail, section_xml


# --- paragraphs and runs ------------------------------------------------------------

_RUN_PROPERTIES = {(False, False): "", (True, False): "<w:rPr><w:b/></w:rPr>",
                   (False, True): '<w:rPr><w:highlight w:val="yellow"/></w:rPr>',
                   (True, True): '<w:rPr><w:b/><w:highlight w:val="yellow"/></w:rPr>'}


def _text(text: str) -> str:
    """Text, with line breaks and tabs as Word writes them."""
    if "\n" not in text and "\t" not in text:  # most runs
        return f'<w:t xml:space="preserve">{escape(text)}</w:t>' if text else ""
    out = []
    for number, line in enumerate(text.split("\n")):
        if number:
            out.append("<w:br/>")
        for position, piece in enumerate(line.split("\t")):
            if position:
                out.append("<w:tab/>")
            if piece:
                out.append(f'<w:t xml:space="preserve">{escape(piece)}</w:t>')
    return "".join(out)


_quoted = functools.lru_cache(maxsize=None)(quoteattr)  # a style id, quoted once


def _runs(runs: Line) -> str:
    return "".join(f"<w:r>{_RUN_PROPERTIES[run.bold, run.missing]}{_text(run.text)}</w:r>"
                   for run in runs)


def _paragraph(style: str, runs: Line, *, align: str = "", page_break_before: bool | None = None,
               keep_next: bool = False, mark: str = "") -> str:
    properties = f"<w:pStyle w:val={_quoted(style)}/>"
    if keep_next:  # on the same page as the next paragraph (the signature page)
        properties += "<w:keepNext/>"
    if page_break_before is False:  # the section break already starts a page
        properties += '<w:pageBreakBefore w:val="0"/>'
    if align:
        properties += f'<w:jc w:val="{align}"/>'
    if mark:  # (a document's only bookmarks: numbered by their column)
        number = mark[len(SIGNATURE_MARK):]
        mark = (f'<w:bookmarkStart w:id="{number}" w:name="{mark}"/>'
                f'<w:bookmarkEnd w:id="{number}"/>')
    return f"<w:p><w:pPr>{properties}</w:pPr>{mark}{_runs(runs)}</w:p>"


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


def _table_start(widths: list[int], style: str | None) -> str:
    look = ('<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
            'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/>')
    grid = "".join(f'<w:gridCol w:w="{width}"/>' for width in widths)
    return (f"<w:tbl><w:tblPr>{f'<w:tblStyle w:val={quoteattr(style)}/>' if style else ''}"
            f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
            f"{look if style else ''}</w:tblPr><w:tblGrid>{grid}</w:tblGrid>")


def _cell(width: int, content: str, shading: str = "", centred: bool = False) -> str:
    properties = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if shading:
        properties += f'<w:shd w:val="clear" w:color="auto" w:fill="{shading}"/>'
    if centred:
        properties += '<w:vAlign w:val="center"/>'
    return f"<w:tc><w:tcPr>{properties}</w:tcPr>{content}</w:tc>"


def _table(block: Block, ref: Reference, width: int) -> str:
    """A table of the annexes: the header row bold, shaded, repeated on every page."""
    widths = _column_widths(block, width)
    rows = []
    for r, cells in enumerate(block.rows):
        header = r == 0
        row = ""
        for c, cell_width in enumerate(widths):
            runs = cells[c] if c < len(cells) else []
            if header:
                runs = [Run(run.text, True, run.missing) for run in runs]
            row += _cell(cell_width, _paragraph(ref.styles["table_cell"], runs,
                                                align=block.aligns[c]),
                         shading=HEADER_SHADING if header else "")
        rows.append(f"<w:tr><w:trPr><w:cantSplit/>{'<w:tblHeader/>' if header else ''}"
                    f"</w:trPr>{row}</w:tr>")
    return (_table_start(widths, ref.styles["table"]) + "".join(rows) + "</w:tbl>"
            + _paragraph(ref.styles["paragraph"], []))  # breathing space after a table


def _signatures(block: Block, ref: Reference, width: int, marked: bool) -> str:
    """The parties side by side in a borderless table, one row per line so that the
    names and titles of both columns stay level; a tall empty row for the signatures.
    Every row but the last is kept with the next: the block never splits across pages.
    `marked`: the document's first block, whose spaces carry the signature marks."""
    count = len(block.columns)
    column = width // count
    height = max(len(c) for c in block.columns)
    rows = []
    for r in range(height):
        lines = [c[r] if r < len(c) else [] for c in block.columns]
        space = f'<w:trHeight w:val="{SIGNATURE_SPACE}"/>' if None in lines else ""
        cells = "".join(_cell(column, _paragraph(ref.styles["signature"], line or [],
                                                 keep_next=r < height - 1,
                                                 mark=f"{SIGNATURE_MARK}{c + 1}"
                                                 if line is None and marked else ""))
                        for c, line in enumerate(lines))
        rows.append(f"<w:tr><w:trPr><w:cantSplit/>{space}</w:trPr>{cells}</w:tr>")
    # no table style: the document's default table style has no borders
    return (_table_start([column] * count, None) + "".join(rows) + "</w:tbl>"
            + _paragraph(ref.styles["paragraph"], []))  # breathing space after the signatures


# --- logos --------------------------------------------------------------------------

def _logos(logos: list[Image], width: int) -> str:
    """The logos in one row at the top of the first page: a borderless table, one cell
    each, every logo as high as the others (smaller if the row would overflow)."""
    column = width // len(logos)
    usable = (column - 2 * CELL_MARGIN) * EMU_PER_TWIP
    cells = ""
    for number, logo in enumerate(logos, 1):
        cx, cy = LOGO_HEIGHT * logo.width // logo.height, LOGO_HEIGHT
        if cx > usable:
            cx, cy = usable, usable * logo.height // logo.width
        paragraph = ('<w:p><w:pPr><w:spacing w:after="0"/><w:jc w:val="center"/></w:pPr>'
                     f"<w:r>{_drawing(number, logo, cx, cy)}</w:r></w:p>")
        cells += _cell(column, paragraph, centred=True)
    return (_table_start([column] * len(logos), None)
            + f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{cells}</w:tr></w:tbl>")


def _drawing(number: int, logo: Image, cx: int, cy: int) -> str:
    """An inline picture, as Word writes one."""
    name = quoteattr(logo.name)
    return (
        f'<w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{number}" name="Logo {number}" descr={name}/>'
        '<wp:cNvGraphicFramePr><a:graphicFrameLocks '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" noChangeAspect="1"/>'
        '</wp:cNvGraphicFramePr>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<pic:nvPicPr><pic:cNvPr id="{number}" name={name}/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip r:embed="{_logo_id(number)}"/><a:stretch><a:fillRect/>'
        '</a:stretch></pic:blipFill>'
        f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>'
        '</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing>')


def _logo_id(number: int) -> str:
    return f"rIdLogo{number}"


def _logo_part(number: int, logo: Image) -> str:
    return f"word/media/logo{number}.{logo.kind}"


def _extra_parts(ref: Reference, logos: list[Image], draft: bool) -> dict[str, bytes]:
    """The parts a document adds to the reference's: its logos' images and a draft's
    watermark, with the document's relationships to them and their content types."""
    parts = {_logo_part(n, logo): logo.data for n, logo in enumerate(logos, 1)}
    relationships = etree.fromstring(ref.parts["word/_rels/document.xml.rels"])
    for number, logo in enumerate(logos, 1):
        etree.SubElement(relationships, f"{{{PACKAGE_RELS}}}Relationship",
                         Id=_logo_id(number), Type=IMAGE_REL,
                         Target=_logo_part(number, logo).removeprefix("word/"))
    types = etree.fromstring(ref.parts["[Content_Types].xml"])
    for kind in sorted({logo.kind for logo in logos}):
        etree.SubElement(types, f"{{{CONTENT_TYPES}}}Default", Extension=kind,
                         ContentType=f"image/{kind}")
    if draft:
        parts[WATERMARK_PART] = WATERMARK.encode("utf-8")
        etree.SubElement(relationships, f"{{{PACKAGE_RELS}}}Relationship", Id=WATERMARK_ID,
                         Type=HEADER_REL, Target=WATERMARK_PART.removeprefix("word/"))
        etree.SubElement(types, f"{{{CONTENT_TYPES}}}Override", PartName=f"/{WATERMARK_PART}",
                         ContentType=HEADER_TYPE)
    parts["word/_rels/document.xml.rels"] = _xml(relationships)
    parts["[Content_Types].xml"] = _xml(types)
    return parts


# --- the document -------------------------------------------------------------------

def document_xml(blocks: list[Block], ref: Reference, logos: list[Image] = (),
                 draft: bool = False) -> bytes:
    body: list[str] = []
    if logos:
        body.append(_logos(list(logos), ref.page_width - ref.margins))
    landscape = False
    first_of_section = False
    keeping = False  # inside « ::: ensemble »: each paragraph stays with the next
    signature_blocks = 0
    for index, block in enumerate(blocks):
        width = (ref.page_height if landscape else ref.page_width) - ref.margins
        if block.kind in ("keep_start", "keep_end"):
            keeping = block.kind == "keep_start"
            continue
        if block.kind in ("landscape_start", "landscape_end"):
            if block.kind == "landscape_end" and index == len(blocks) - 1:
                break  # nothing follows: no portrait page to open
            # A section ends with a paragraph carrying that section's properties.
            body.append(f"<w:p><w:pPr>{_section(ref, landscape, draft)}</w:pPr></w:p>")
            landscape = block.kind == "landscape_start"
            first_of_section = True
            continue
        if block.kind == "table":
            body.append(_table(block, ref, width))
        elif block.kind == "signatures":
            body.append(_signatures(block, ref, width, marked=not signature_blocks))
            signature_blocks += 1
        else:
            body.append(_paragraph(ref.styles[block.kind], block.runs, keep_next=keeping,
                                   page_break_before=False if first_of_section else None))
        first_of_section = False
    return (ref.head + "".join(body) + _section(ref, landscape, draft) + ref.tail).encode("utf-8")


def _section(ref: Reference, landscape: bool, draft: bool) -> str:
    if draft:
        return ref.landscape_draft if landscape else ref.portrait_draft
    return ref.landscape if landscape else ref.portrait


# --- the draft's watermark -----------------------------------------------------------

WATERMARK_ID = "rIdProjet"
WATERMARK_PART = "word/header-projet.xml"
HEADER_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
HEADER_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"

# The header of every page of a draft: « PROJET » across the page, light grey, behind the
# text, as Word's own Design > Watermark writes it (a VML text shape), which LibreOffice
# also shows.
WATERMARK = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w10="urn:schemas-microsoft-com:office:word">'
    '<w:p><w:pPr><w:spacing w:after="0"/></w:pPr><w:r><w:rPr><w:noProof/></w:rPr><w:pict>'
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
    'path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas><v:f eqn="sum #0 0 10800"/>'
    '<v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/>'
    '<v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/><v:f eqn="if @0 21600 @1"/>'
    '<v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/>'
    '<v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/>'
    '<v:f eqn="sum @6 0 @5"/></v:formulas><v:path textpathok="t" o:connecttype="custom" '
    'o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" o:connectangles="270,180,90,0"/>'
    '<v:textpath on="t" fitshape="t"/><v:handles><v:h position="#0,bottomRight" '
    'xrange="6629,14971"/></v:handles><o:lock v:ext="edit" text="t" shapetype="t"/>'
    '</v:shapetype>'
    '<v:shape id="PowerPlusWaterMarkObject1" o:spid="_x0000_s1025" type="#_x0000_t136" '
    'style="position:absolute;margin-left:0;margin-top:0;width:400pt;height:130pt;'
    'rotation:315;z-index:-251657216;mso-position-horizontal:center;'
    'mso-position-horizontal-relative:margin;mso-position-vertical:center;'
    'mso-position-vertical-relative:margin" o:allowincell="f" fillcolor="silver" '
    'stroked="f"><v:fill opacity=".5"/><v:textpath style="font-family:&quot;Arial&quot;;'
    'font-size:1pt" string="PROJET"/><w10:wrap anchorx="margin" anchory="margin"/>'
    '</v:shape></w:pict></w:r></w:p></w:hdr>')


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def core_xml(title: str, subject: str, when: dt.date) -> bytes:
    """The document's properties: dated by the convention, not by the clock."""
    cp = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
    dc, dcterms = "http://purl.org/dc/elements/1.1/", "http://purl.org/dc/terms/"
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element(f"{{{cp}}}coreProperties", nsmap={
        "cp": cp, "dc": dc, "dcterms": dcterms, "dcmitype": "http://purl.org/dc/dcmitype/",
        "xsi": xsi})
    moment = f"{when.isoformat()}T00:00:00Z"
    for namespace, tag, text in (
            (dc, "title", title), (dc, "subject", subject),
            (dc, "creator", "Programme Quartiers productifs"),
            (cp, "keywords", "Quartiers productifs"), (dc, "language", "fr-FR"),
            (cp, "lastModifiedBy", "qp-conventions"), (cp, "revision", "1"),
            (dcterms, "created", moment), (dcterms, "modified", moment)):
        element = etree.SubElement(root, f"{{{namespace}}}{tag}")
        element.text = text
        if namespace == dcterms:
            element.set(f"{{{xsi}}}type", "dcterms:W3CDTF")
    return _xml(root)


_DATE = (1980, 1, 1, 0, 0, 0)  # every entry's date: the documents do not depend on the clock


def write_docx(blocks: list[Block], reference: Path, *, title: str, subject: str,
               when: dt.date, logos: list[Image] = (), draft: bool = False) -> bytes:
    """The .docx of `blocks`; a `draft` carries « PROJET » across every page."""
    ref = load_reference(reference)
    own = {"word/document.xml": document_xml(blocks, ref, logos, draft),
           "docProps/core.xml": core_xml(title, subject, when)}
    if logos or draft:
        own.update(_extra_parts(ref, list(logos), draft))
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
