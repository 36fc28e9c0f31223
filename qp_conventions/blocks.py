"""The document between rendering and writing: a list of blocks made of runs of text.
`render` makes them from the national model; `docx` writes them as Word."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Run:
    """Text printed with one look."""

    text: str
    bold: bool = False
    missing: bool = False  # a fact « à compléter »: highlighted


Line = list[Run]


@dataclass
class Block:
    """One paragraph, table or signature block, or a mark in the flow of the document.

    kind: title, annex_title (opens a page), heading, subheading, paragraph, bullet:
    a paragraph of `runs`; table: `rows` of cells, aligned by column as `aligns` says;
    signatures: `columns`, one entry a line, None for the space left to sign;
    landscape_start / landscape_end: the pages between are in landscape;
    keep_start / keep_end: the paragraphs between stay on one page."""

    kind: str
    runs: Line = field(default_factory=list)
    rows: list[list[Line]] = field(default_factory=list)
    aligns: list[str] = field(default_factory=list)  # left, center, right
    columns: list[list[Line | None]] = field(default_factory=list)
