"""Blocks → Word document bytes, with the styles of templates/reference.docx.

The result is byte-reproducible: zip entries in a fixed order with a fixed timestamp,
and core properties derived from the territory rather than from the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import zipfile
from pathlib import Path

from .render import Block, Segment

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@functools.lru_cache(maxsize=None)
def _reference_bytes(path: Path) -> bytes:
    return path.read_bytes()


def _add_segments(paragraph, segments: list[Segment]) -> None:
    from docx.enum.text import WD_COLOR_INDEX

    for segment in segments:
        run = paragraph.add_run(segment.text)
        if segment.bold:
            run.bold = True
        if segment.missing:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _no_split(row) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _usable_width(doc) -> int:
    section = doc.sections[-1]
    return section.page_width - section.left_margin - section.right_margin


_CHAR_WIDTH = 5.2 * 12700  # a generous average character of 9 pt Arial, in EMU


def _column_widths(block: Block, total: int) -> list[int]:
    """Share the line between columns: first each column's longest word (never broken
    inside), then the rest of the width by how much more text each column holds."""
    minimum, wanted = [], []
    for c in range(len(block.aligns)):
        longest = longest_word = 1.0
        for r, row in enumerate(block.rows):
            if c >= len(row):
                continue
            text = "".join(s.text for s in row[c])
            # bold (the header row, totals) is wider than regular text
            factor = 1.15 if r == 0 or any(s.bold for s in row[c]) else 1.0
            longest = max(longest, len(text) * factor)
            longest_word = max([longest_word] + [len(w) * factor for w in text.split(" ")])  # non-breaking spaces hold
        margin = 2.5  # the cell's own left and right margins, in characters
        minimum.append(longest_word + margin)
        wanted.append(max(longest_word, min(longest, 45)) + margin)
    capacity = total / _CHAR_WIDTH
    if sum(wanted) <= capacity:
        chars = [w * capacity / sum(wanted) for w in wanted]
    else:
        spare = max(capacity - sum(minimum), 0)
        extra = [w - m for w, m in zip(wanted, minimum)]
        chars = [m + (spare * e / sum(extra) if sum(extra) else 0) for m, e in zip(minimum, extra)]
    scale = total / sum(chars)  # never wider than the page, even when words are long
    return [int(c * scale) for c in chars]


def _table(doc, block: Block) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    align = {"right": WD_ALIGN_PARAGRAPH.RIGHT, "center": WD_ALIGN_PARAGRAPH.CENTER,
             "left": WD_ALIGN_PARAGRAPH.LEFT}
    columns = len(block.aligns)
    table = doc.add_table(rows=len(block.rows), cols=columns)
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    widths = _column_widths(block, _usable_width(doc))
    for column, width in zip(table.columns, widths):
        column.width = width
    for r, (row, cells) in enumerate(zip(table.rows, block.rows)):
        _no_split(row)
        if r == 0:
            _repeat_header(row)
        for c, cell in enumerate(row.cells):
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles["Tableau"]
            paragraph.alignment = align[block.aligns[c]]
            cell.width = widths[c]
            segments = cells[c] if c < len(cells) else []
            if r == 0:
                segments = [Segment(s.text, True, s.missing) for s in segments]
            _add_segments(paragraph, segments)
    doc.add_paragraph(style=doc.styles["Body Text"])  # breathing space after a table


def _signatures(doc, block: Block) -> None:
    """The parties side by side in a borderless table, one row per line so that the
    names and titles of both columns stay level; a tall empty row for the signatures."""
    from docx.shared import Cm

    height = max(len(column) for column in block.columns)
    table = doc.add_table(rows=height, cols=len(block.columns))  # default style: no borders
    table.autofit = False
    width = _usable_width(doc) // len(block.columns)
    for column in table.columns:
        column.width = width
    for r, row in enumerate(table.rows):
        _no_split(row)
        for cell, column in zip(row.cells, block.columns):
            cell.width = width
            line = column[r] if r < len(column) else []
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles["Signature"]
            if line is None:
                row.height = Cm(2.5)
            else:
                _add_segments(paragraph, line)


def _new_section(doc, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT, WD_SECTION

    previous = doc.sections[-1]
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    short, long_ = sorted((previous.page_width, previous.page_height))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long_, short) if landscape else (short, long_)


_STYLES = {
    "title": "Title",
    "annex_title": "Titre d'annexe",
    "heading": "Heading 1",
    "subheading": "Heading 2",
    "paragraph": "Body Text",
    "bullet": "List Bullet",
}


def write_docx(blocks: list[Block], reference: Path, *, title: str, subject: str,
               when: dt.date) -> bytes:
    from docx import Document

    doc = Document(io.BytesIO(_reference_bytes(reference)))
    body = doc.element.body
    for child in list(body):
        if not child.tag.endswith("}sectPr"):
            body.remove(child)

    first_of_section = False
    for index, block in enumerate(blocks):
        if block.kind == "landscape_end" and index == len(blocks) - 1:
            break  # nothing follows: no portrait page to open
        if block.kind in ("landscape_start", "landscape_end"):
            _new_section(doc, landscape=block.kind == "landscape_start")
            first_of_section = True
            continue
        if block.kind == "table":
            _table(doc, block)
        elif block.kind == "signatures":
            _signatures(doc, block)
        else:
            paragraph = doc.add_paragraph(style=doc.styles[_STYLES[block.kind]])
            _add_segments(paragraph, block.segments)
            if first_of_section:  # the section break already starts a page
                paragraph.paragraph_format.page_break_before = False
        first_of_section = False

    moment = dt.datetime(when.year, when.month, when.day)
    props = doc.core_properties
    props.title = title
    props.subject = subject
    props.author = "Programme Quartiers productifs"
    props.last_modified_by = "qp-conventions"
    props.created = moment
    props.modified = moment
    props.revision = 1
    props.comments = ""
    props.keywords = "Quartiers productifs"

    buffer = io.BytesIO()
    doc.save(buffer)
    return normalise_zip(buffer.getvalue())


def normalise_zip(data: bytes) -> bytes:
    """The same entries, in the same order, with a fixed date and fixed attributes, so
    that the same inputs give the same bytes on any machine and any day."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(item.filename), compresslevel=6)
    return out.getvalue()
