"""A Word document as text, for people reviewing changes: `qp text` (one paragraph a line,
a table row a line; git's `textconv`, so that `git diff out/` shows sentences) and `qp
diff` (two conventions compared clause by clause: by article and by annex).

It reads any .docx, ours or one saved by Word, from its WordprocessingML: the body's
paragraphs and tables in order (text deleted under revision marks excluded), the outline
level of each paragraph (its own, or its style's) telling where a clause begins."""

from __future__ import annotations

import difflib
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from lxml import etree

from .errors import QPError, describe_os_error

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_PART = 200 * 1024 * 1024  # bytes of document.xml: far above any convention


@dataclass(frozen=True)
class Line:
    text: str
    level: int | None  # outline level (0: title, convention or annex; 1: article); None: body


def read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise QPError(f"{path} illisible ({describe_os_error(exc)})") from None


def lines(data: bytes, name: str) -> list[Line]:
    """The lines of the document `data` (its file name `name`, for messages)."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            body = _part(archive, "word/document.xml", name)
            styles = _part(archive, "word/styles.xml", name, required=False)
    except zipfile.BadZipFile:
        raise QPError(f"{name} n'est pas un document Word (.docx)") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
        levels = _style_levels(etree.fromstring(styles, parser)) if styles else {}
    except etree.XMLSyntaxError:
        raise QPError(f"{name} : document Word endommagé (XML illisible)") from None
    found: list[Line] = []
    container = root.find(f"{W}body")
    for element in container if container is not None else []:
        if element.tag == f"{W}p":
            found.append(Line(_text(element), _level(element, levels)))
        elif element.tag == f"{W}tbl":
            for row in element.iter(f"{W}tr"):
                cells = [" / ".join(t for t in (_text(p) for p in cell.iter(f"{W}p")) if t)
                         for cell in row.iter(f"{W}tc")]
                found.append(Line(" | ".join(cells), None))
    return found


def _part(archive: zipfile.ZipFile, part: str, name: str, required: bool = True) -> bytes | None:
    try:
        info = archive.getinfo(part)
    except KeyError:
        if required:
            raise QPError(f"{name} n'est pas un document Word (pas de {part})") from None
        return None
    if info.file_size > MAX_PART:
        raise QPError(f"{name} : {part} démesuré ({info.file_size} octets)")
    return archive.read(info)


def _text(paragraph: etree._Element) -> str:
    parts = []
    for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br"):  # (not w:delText)
        if node.tag == f"{W}t":
            parts.append(node.text or "")
        elif node.tag in (f"{W}tab", f"{W}br"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def _style_levels(styles: etree._Element) -> dict[str, int]:
    """Each paragraph style's outline level, inherited through `basedOn`."""
    own, based = {}, {}
    for style in styles.iter(f"{W}style"):
        name = style.get(f"{W}styleId")
        level = style.find(f"{W}pPr/{W}outlineLvl")
        if level is not None:
            own[name] = int(level.get(f"{W}val", "9"))
        parent = style.find(f"{W}basedOn")
        if parent is not None:
            based[name] = parent.get(f"{W}val")
    levels = {}
    for name in set(own) | set(based):
        seen, current = set(), name
        while current is not None and current not in own and current not in seen:
            seen.add(current)
            current = based.get(current)
        if current in own:
            levels[name] = own[current]
    return levels


def _level(paragraph: etree._Element, levels: dict[str, int]) -> int | None:
    direct = paragraph.find(f"{W}pPr/{W}outlineLvl")
    if direct is not None:
        level = int(direct.get(f"{W}val", "9"))
    else:
        style = paragraph.find(f"{W}pPr/{W}pStyle")
        level = levels.get(style.get(f"{W}val")) if style is not None else None
    return level if level is not None and level < 9 else None  # (9: body text)


def plain(found: list[Line]) -> str:
    """`qp text`: one paragraph a line, empty paragraphs left out."""
    return "".join(f"{line.text}\n" for line in found if line.text)


def clauses(found: list[Line]) -> list[tuple[str, list[str]]]:
    """The document cut at its titles and articles: (where, its lines), in order. An
    article is named with the title it belongs to (« Annexe 2 – … › Axe A1 – … »)."""
    result: list[tuple[str, list[str]]] = [("Début du document", [])]
    title = ""
    for line in found:
        if not line.text:
            continue
        if line.level is not None and line.level <= 1:
            if line.level == 0:
                title = line.text
                where = line.text
            else:
                where = f"{title} › {line.text}" if title else line.text
            result.append((where, [line.text]))
        else:
            result[-1][1].append(line.text)
    return [(where, text) for where, text in result if text]


def compare(a: list[Line], b: list[Line], name_a: str, name_b: str) -> list[str]:
    """`qp diff`: for each clause that differs, its name, then its lines removed (« - »,
    as in `name_a`) and added (« + », as in `name_b`). Nothing when the texts are equal."""
    clauses_a, clauses_b = clauses(a), clauses(b)
    keys_a = [where for where, _ in clauses_a]
    keys_b = [where for where, _ in clauses_b]
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs = list(zip(clauses_a[i1:i2], clauses_b[j1:j2]))
        else:  # clauses renamed, added or removed: compared in order, the rest alone
            left, right = clauses_a[i1:i2], clauses_b[j1:j2]
            pairs = [(left[k] if k < len(left) else None, right[k] if k < len(right) else None)
                     for k in range(max(len(left), len(right)))]
        for old, new in pairs:
            old_lines = old[1] if old else []
            new_lines = new[1] if new else []
            if old_lines == new_lines:
                continue
            where = new[0] if new else old[0]
            if old and new and old[0] != new[0]:
                where = f"{old[0]} → {new[0]}"
            out.append(f"=== {where}")
            for change in difflib.ndiff(old_lines, new_lines):
                if change[:1] in "-+":
                    out.append(change)
    if out:
        out.insert(0, f"--- {name_a}")
        out.insert(1, f"+++ {name_b}")
    return out
