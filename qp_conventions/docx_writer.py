"""Blocks → Word document bytes, with the styles, page setup and footer of
templates/reference.docx.

The reference package is read once per process; each document only gets its own
`word/document.xml` and `docProps/core.xml`, written directly as WordprocessingML (the
same elements python-docx would create, but without its object model, which cost about
100 ms a document against a target of a few). The tests read every document back with
python-docx and LibreOffice.

The result is byte-reproducible: zip entries in the reference's order with a fixed
timestamp, and core properties derived from the territory rather than from the clock.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .images import Image
from .render import Block, Segment

_TWIPS_PER_CHAR = 5.2 * 20  # a generous average character of 9 pt Arial
_SIGNATURE_SPACE = 1985  # twips: 3.5 cm left blank for a handwritten signature and a stamp
_HEADER_SHADING = "D9D9D9"  # light grey behind the header row of a table
_LOGO_HEIGHT = 720_000  # EMU: logos 2 cm high (narrower if their row would overflow)
_EMU_PER_TWIP = 635

_STYLES = {
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


@dataclass(frozen=True)
class _Entry:
    """One part of the package, compressed once: the reference's parts are the same in
    every document, so a batch compresses only what changes."""

    name: bytes
    crc: int
    size: int
    data: bytes  # raw deflate

    @classmethod
    def of(cls, name: str, content: bytes, level: int = 9) -> "_Entry":
        packer = zlib.compressobj(level, zlib.DEFLATED, -15)
        data = packer.compress(content) + packer.flush()
        return cls(name.encode("utf-8"), zlib.crc32(content), len(content), data)


# 1980-01-01 00:00 in MS-DOS format: the fixed date of every entry.
_DOS_TIME, _DOS_DATE = 0, (1 << 5) | 1


def _zip(entries: list[_Entry]) -> bytes:
    """A plain deflated zip (what python's zipfile writes, without the clock)."""
    out, directory = bytearray(), bytearray()
    for entry in entries:
        offset = len(out)
        common = struct.pack("<HHHHHIII", 20, 0, 8, _DOS_TIME, _DOS_DATE, entry.crc,
                             len(entry.data), entry.size)
        out += b"PK\x03\x04" + common + struct.pack("<HH", len(entry.name), 0) + entry.name
        out += entry.data
        directory += (b"PK\x01\x02" + struct.pack("<H", 0x0314) + common
                      + struct.pack("<HHHHHII", len(entry.name), 0, 0, 0, 0, 0o644 << 16, offset)
                      + entry.name)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                      len(directory), len(out), 0)
    return bytes(out + directory + end)


@dataclass(frozen=True)
class Reference:
    parts: dict[str, _Entry]  # every part, compressed, in the reference's order
    document_head: str  # document.xml up to and including <w:body>
    section: str  # the body's final <w:sectPr …>…</w:sectPr> (page setup, footer)
    landscape_section: str  # the same, turned to landscape
    page_width: int  # twips
    page_height: int
    margins: int  # left + right, twips
    styles: dict[str, str]  # style name (lower case) -> style id
    document_rels: str  # word/_rels/document.xml.rels, to which logos add their images
    content_types: str  # [Content_Types].xml, to which logos add their image types


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@functools.lru_cache(maxsize=None)
def load_reference(path: Path) -> Reference:
    """The reference package, read with an XML parser (not patterns): it may have been
    opened and saved again in Word, which writes the same things differently."""
    from lxml import etree

    from .errors import QPError

    entries = []
    try:
        with zipfile.ZipFile(path) as archive:
            for item in archive.infolist():
                entries.append((item.filename, archive.read(item.filename)))
        parts = dict(entries)
        document = parts["word/document.xml"].decode("utf-8")
        root = etree.fromstring(parts["word/document.xml"])
        styles_root = etree.fromstring(parts["word/styles.xml"])
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise QPError(f"modèle Word illisible ({path}) : {exc}") from None
    section = root.find(f"{_W}body/{_W}sectPr")
    size, margin = section.find(f"{_W}pgSz"), section.find(f"{_W}pgMar")
    landscape = copy.deepcopy(section)
    landscape_size = landscape.find(f"{_W}pgSz")
    landscape_size.set(f"{_W}w", size.get(f"{_W}h"))
    landscape_size.set(f"{_W}h", size.get(f"{_W}w"))
    landscape_size.set(f"{_W}orient", "landscape")
    names = {style.find(f"{_W}name").get(f"{_W}val").lower(): style.get(f"{_W}styleId")
             for style in styles_root.iter(f"{_W}style") if style.find(f"{_W}name") is not None}
    missing = [name for name in _STYLES.values() if name.lower() not in names]
    if missing:
        raise QPError(f"le modèle Word {path} n'a plus le(s) style(s) {', '.join(missing)} : "
                      "rétablissez-les, ou reconstruisez-le avec scripts/make_reference_docx.py")
    head_end = document.index(">", document.index("<w:body")) + 1

    def fragment(element) -> str:  # the document's root declares every namespace already
        return re.sub(r'\s+xmlns:\w+="[^"]*"', "", etree.tostring(element, encoding="unicode"))

    return Reference(
        parts={name: _Entry.of(name, data) for name, data in entries},
        document_head=document[:head_end],
        section=fragment(section),
        landscape_section=fragment(landscape),
        page_width=int(size.get(f"{_W}w")),
        page_height=int(size.get(f"{_W}h")),
        margins=int(margin.get(f"{_W}left")) + int(margin.get(f"{_W}right")),
        styles={key: names[name.lower()] for key, name in _STYLES.items()},
        document_rels=parts["word/_rels/document.xml.rels"].decode("utf-8"),
        content_types=parts["[Content_Types].xml"].decode("utf-8"),
    )


_RUN_PROPS = {(False, False): "", (True, False): "<w:rPr><w:b/></w:rPr>",
              (False, True): '<w:rPr><w:highlight w:val="yellow"/></w:rPr>',
              (True, True): '<w:rPr><w:b/><w:highlight w:val="yellow"/></w:rPr>'}
_BREAKS = re.compile(r"(\n|\t)")


def _runs(segments: list[Segment]) -> str:
    out = []
    for segment in segments:
        text = segment.text
        if "\n" in text or "\t" in text:
            content = "".join(
                "<w:br/>" if piece == "\n" else "<w:tab/>" if piece == "\t" else
                f'<w:t xml:space="preserve">{escape(piece)}</w:t>'
                for piece in _BREAKS.split(text) if piece)
        else:
            content = f'<w:t xml:space="preserve">{escape(text)}</w:t>' if text else ""
        out.append(f"<w:r>{_RUN_PROPS[segment.bold, segment.missing]}{content}</w:r>")
    return "".join(out)


@functools.lru_cache(maxsize=None)
def _paragraph_start(style_id: str, align: str, no_page_break: bool, keep_next: bool) -> str:
    props = f"<w:pStyle w:val={quoteattr(style_id)}/>"
    if keep_next:  # on the same page as the next paragraph (the signature page)
        props += "<w:keepNext/>"
    if no_page_break:
        props += '<w:pageBreakBefore w:val="0"/>'
    if align:
        props += f'<w:jc w:val="{align}"/>'
    return f"<w:p><w:pPr>{props}</w:pPr>"


def _paragraph(style_id: str, segments: list[Segment], *, align: str = "",
               no_page_break: bool = False, keep_next: bool = False) -> str:
    return (_paragraph_start(style_id, align, no_page_break, keep_next) + _runs(segments)
            + "</w:p>")


def _column_widths(block: Block, total: int) -> list[int]:
    """Share the line between columns: first each column's longest word (never broken
    inside), then the rest of the width by how much more text each column holds."""
    columns = len(block.aligns)
    longest, longest_word = [1.0] * columns, [1.0] * columns
    for r, row in enumerate(block.rows):
        for c, cell in enumerate(row[:columns]):
            text = cell[0].text if len(cell) == 1 else "".join(s.text for s in cell)
            # bold (the header row, totals) is wider than regular text
            factor = 1.15 if r == 0 or (cell and cell[0].bold) else 1.0
            longest[c] = max(longest[c], len(text) * factor)
            # split on ordinary spaces only: non-breaking ones (« 1 250 000 € ») hold
            word = max(map(len, text.split(" "))) * factor
            if word > longest_word[c]:
                longest_word[c] = word
    margin = 2.5  # the cell's own left and right margins, in characters
    minimum = [w + margin for w in longest_word]
    wanted = [max(w, min(t, 45)) + margin for w, t in zip(longest_word, longest)]
    capacity = total / _TWIPS_PER_CHAR
    if sum(wanted) <= capacity:
        chars = [w * capacity / sum(wanted) for w in wanted]
    else:
        spare = max(capacity - sum(minimum), 0)
        extra = [w - m for w, m in zip(wanted, minimum)]
        chars = [m + (spare * e / sum(extra) if sum(extra) else 0) for m, e in zip(minimum, extra)]
    scale = total / sum(chars)  # never wider than the page, even when words are long
    return [int(c * scale) for c in chars]


def _table(block: Block, ref: Reference, width: int) -> str:
    widths = _column_widths(block, width)
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    rows = []
    for r, cells in enumerate(block.rows):
        row_props = "<w:cantSplit/>" + ("<w:tblHeader/>" if r == 0 else "")
        shading = f'<w:shd w:val="clear" w:color="auto" w:fill="{_HEADER_SHADING}"/>' if r == 0 else ""
        tcs = []
        for c, w in enumerate(widths):
            segments = cells[c] if c < len(cells) else []
            if r == 0:
                segments = [Segment(s.text, True, s.missing) for s in segments]
            tcs.append(f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/>{shading}</w:tcPr>'
                       + _paragraph(ref.styles["table_cell"], segments, align=block.aligns[c])
                       + "</w:tc>")
        rows.append(f"<w:tr><w:trPr>{row_props}</w:trPr>{''.join(tcs)}</w:tr>")
    return (f'<w:tbl><w:tblPr><w:tblStyle w:val={quoteattr(ref.styles["table"])}/>'
            f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
            f'<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
            f'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
            # breathing space after a table
            + _paragraph(ref.styles["paragraph"], []))


def _signatures(block: Block, ref: Reference, width: int) -> str:
    """The parties side by side in a borderless table, one row per line so that the
    names and titles of both columns stay level; a tall empty row for the signatures.
    Every row but the last is kept with the next: the block never splits across pages."""
    count = len(block.columns)
    column = width // count
    height = max(len(c) for c in block.columns)
    rows = []
    for r in range(height):
        lines = [c[r] if r < len(c) else [] for c in block.columns]
        row_props = "<w:cantSplit/>"
        if any(line is None for line in lines):
            row_props += f'<w:trHeight w:val="{_SIGNATURE_SPACE}"/>'
        cells = "".join(
            f'<w:tc><w:tcPr><w:tcW w:w="{column}" w:type="dxa"/></w:tcPr>'
            + _paragraph(ref.styles["signature"], line or [], keep_next=r < height - 1)
            + "</w:tc>"
            for line in lines)
        rows.append(f"<w:tr><w:trPr>{row_props}</w:trPr>{cells}</w:tr>")
    grid = f'<w:gridCol w:w="{column}"/>' * count
    # No table style: the document's default table style has no borders.
    return (f'<w:tbl><w:tblPr><w:tblW w:w="{column * count}" w:type="dxa"/>'
            f'<w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
            f"{''.join(rows)}</w:tbl>"
            # breathing space after the signatures
            + _paragraph(ref.styles["paragraph"], []))


def _logos(logos: list[Image], width: int) -> str:
    """The logos in one row at the top of the first page: a borderless table, one cell
    each, every logo as high as the others (smaller if the row would overflow)."""
    column = width // len(logos)
    usable = (column - 2 * 108) * _EMU_PER_TWIP  # the cell's default side margins
    drawings = []
    for number, logo in enumerate(logos, 1):
        cx = _LOGO_HEIGHT * logo.width // logo.height
        cy = _LOGO_HEIGHT
        if cx > usable:
            cx, cy = usable, usable * logo.height // logo.width
        drawings.append(
            f'<w:tc><w:tcPr><w:tcW w:w="{column}" w:type="dxa"/><w:vAlign w:val="center"/>'
            f'</w:tcPr><w:p><w:pPr><w:spacing w:after="0"/><w:jc w:val="center"/></w:pPr>'
            f"<w:r>{_drawing(number, logo, cx, cy)}</w:r></w:p></w:tc>")
    grid = f'<w:gridCol w:w="{column}"/>' * len(logos)
    return (f'<w:tbl><w:tblPr><w:tblW w:w="{column * len(logos)}" w:type="dxa"/>'
            f'<w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
            f'<w:tr><w:trPr><w:cantSplit/></w:trPr>{"".join(drawings)}</w:tr></w:tbl>')


def _drawing(number: int, logo: Image, cx: int, cy: int) -> str:
    """An inline picture, as Word writes one."""
    name = escape(logo.name, {'"': "&quot;"})
    return (
        f'<w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{number}" name="Logo {number}" descr="{name}"/>'
        '<wp:cNvGraphicFramePr><a:graphicFrameLocks '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" noChangeAspect="1"/>'
        '</wp:cNvGraphicFramePr>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<pic:nvPicPr><pic:cNvPr id="{number}" name="{name}"/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip r:embed="{_logo_rid(number)}"/><a:stretch><a:fillRect/>'
        '</a:stretch></pic:blipFill>'
        f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>'
        '</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing>')


def _logo_rid(number: int) -> str:
    return f"rIdLogo{number}"


def _logo_part(number: int, logo: Image) -> str:
    return f"word/media/logo{number}.{logo.kind}"


def _section(ref: Reference, landscape: bool) -> str:
    """The reference's section properties, turned to landscape when asked."""
    return ref.landscape_section if landscape else ref.section


def _core_xml(title: str, subject: str, when: dt.date) -> str:
    moment = f"{when.isoformat()}T00:00:00Z"
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:subject>{escape(subject)}</dc:subject>"
        "<dc:creator>Programme Quartiers productifs</dc:creator>"
        "<cp:keywords>Quartiers productifs</cp:keywords>"
        "<dc:language>fr-FR</dc:language>"
        "<cp:lastModifiedBy>qp-conventions</cp:lastModifiedBy><cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{moment}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{moment}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def document_xml(blocks: list[Block], ref: Reference, logos: list[Image] = ()) -> str:
    body: list[str] = []
    if logos:
        body.append(_logos(list(logos), ref.page_width - ref.margins))
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
            body.append(f"<w:p><w:pPr>{_section(ref, landscape)}</w:pPr></w:p>")
            landscape = block.kind == "landscape_start"
            first_of_section = True
            continue
        if block.kind == "table":
            body.append(_table(block, ref, width))
        elif block.kind == "signatures":
            body.append(_signatures(block, ref, width))
        else:
            # the section break already starts a page
            body.append(_paragraph(ref.styles[block.kind], block.segments,
                                   no_page_break=first_of_section, keep_next=keeping))
        first_of_section = False
    return ref.document_head + "".join(body) + _section(ref, landscape) + "</w:body></w:document>"


_IMAGE_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


def _with_logos(ref: Reference, logos: list[Image]) -> dict[str, bytes]:
    """The parts that change when a document carries logos: the images themselves, the
    document's relationships to them, and their content types."""
    parts = {_logo_part(n, logo): logo.data for n, logo in enumerate(logos, 1)}
    rels = "".join(f'<Relationship Id="{_logo_rid(n)}" Type="{_IMAGE_TYPE}" '
                   f'Target="{_logo_part(n, logo).removeprefix("word/")}"/>'
                   for n, logo in enumerate(logos, 1))
    parts["word/_rels/document.xml.rels"] = ref.document_rels.replace(
        "</Relationships>", rels + "</Relationships>").encode("utf-8")
    kinds = sorted({logo.kind for logo in logos})
    defaults = "".join(f'<Default Extension="{kind}" ContentType="image/{kind}"/>'
                       for kind in kinds)
    parts["[Content_Types].xml"] = ref.content_types.replace(
        "</Types>", defaults + "</Types>").encode("utf-8")
    return parts


def write_docx(blocks: list[Block], reference: Path, *, title: str, subject: str,
               when: dt.date, logos: list[Image] = ()) -> bytes:
    ref = load_reference(reference)
    replaced = {
        "word/document.xml": document_xml(blocks, ref, logos).encode("utf-8"),
        "docProps/core.xml": _core_xml(title, subject, when).encode("utf-8"),
    }
    if logos:
        replaced.update(_with_logos(ref, list(logos)))
    # The constant parts are compressed hard once per process; each document's own text
    # lightly (level 3 takes a third of level 6's time for a few more kilobytes).
    entries = [_Entry.of(name, replaced.pop(name), 3) if name in replaced else entry
               for name, entry in ref.parts.items()]
    # new parts (the images, already compressed) after the reference's
    entries += [_Entry.of(name, data, 0) for name, data in replaced.items()]
    return _zip(entries)
