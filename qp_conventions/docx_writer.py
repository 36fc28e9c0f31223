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


def _table(doc, block: Block) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    align = {"right": WD_ALIGN_PARAGRAPH.RIGHT, "center": WD_ALIGN_PARAGRAPH.CENTER,
             "left": WD_ALIGN_PARAGRAPH.LEFT}
    columns = len(block.aligns)
    table = doc.add_table(rows=len(block.rows), cols=columns)
    table.style = doc.styles["Table Grid"]
    for r, (row, cells) in enumerate(zip(table.rows, block.rows)):
        _no_split(row)
        if r == 0:
            _repeat_header(row)
        for c, cell in enumerate(row.cells):
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles["Tableau"]
            paragraph.alignment = align[block.aligns[c]]
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
    for r, row in enumerate(table.rows):
        _no_split(row)
        for cell, column in zip(row.cells, block.columns):
            line = column[r] if r < len(column) else []
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles["Signature"]
            if line is None:
                row.height = Cm(2.5)
            else:
                _add_segments(paragraph, line)


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

    for block in blocks:
        if block.kind == "table":
            _table(doc, block)
        elif block.kind == "signatures":
            _signatures(doc, block)
        else:
            paragraph = doc.add_paragraph(style=doc.styles[_STYLES[block.kind]])
            _add_segments(paragraph, block.segments)

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
