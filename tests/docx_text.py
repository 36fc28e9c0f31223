"""Reading back what a user reads: the text of a .docx, paragraphs and table cells in
document order, and the word folding used to compare it with the signed seeds."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def paragraphs(path: Path) -> list[str]:
    """Each paragraph of the body (table cells included, in order), as Word shows it."""
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    out = []
    for p in root.iter(f"{W}p"):
        text = []
        for node in p.iter(f"{W}t", f"{W}br", f"{W}tab"):
            if node.tag == f"{W}t":
                text.append(node.text or "")
            elif node.tag == f"{W}br":
                text.append("\n")
            else:
                text.append("\t")
        out.append("".join(text))
    return out


def text(path: Path) -> str:
    return "\n".join(paragraphs(path))


# Descriptions of the handwritten signatures in the seed are pictures, not words.
_PICTURES = re.compile(r"^Handwritten signature of .*$", re.MULTILINE)
_BULLETS = re.compile(r"^\s*[-\uf0b7•]\s+", re.MULTILINE)


def words(raw: str) -> list[str]:
    """Fold what differs only in typesetting: whitespace and line breaks, typographic
    apostrophes, bold markers, list bullets, words cut by a PDF line break (« sur- mesure »)."""
    raw = _PICTURES.sub(" ", raw)
    raw = _BULLETS.sub(" ", raw)
    raw = raw.replace("\u2019", "'").replace("**", "")
    raw = re.sub(r"(\w)-\s+(\w)", r"\1-\2", raw)
    return raw.split()


def outline(path: Path, words: int = 6) -> list[str]:
    """The document's skeleton as a reader scans it: each body paragraph as « style |
    its first words », each table as « [tableau] its header cells ». A paragraph break
    lost or added in a template changes it."""
    from docx import Document
    from docx.table import Table

    lines = []
    for item in Document(str(path)).iter_inner_content():
        if isinstance(item, Table):
            header = " | ".join(cell.text for cell in item.rows[0].cells)
            lines.append(f"[tableau {len(item.rows)}×{len(item.columns)}] {header}")
        elif item.text.strip():
            lines.append(f"{item.style.name} | {' '.join(item.text.split()[:words])}")
    return lines
