"""A Word document as text, for people reviewing changes: `qp text` (one paragraph a line,
a table row a line; git's `textconv`, so that `git diff out/` shows sentences) and `qp
diff` (two conventions compared clause by clause: by article and by annex).

It reads any .docx, ours or one saved by Word, from its WordprocessingML: the body's
paragraphs and tables in order (text deleted under revision marks excluded), the outline
level of each paragraph (its own, or its style's) telling where a clause begins."""

from __future__ import annotations

import difflib
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Callable, Iterator

from lxml import etree

from .errors import QPError, describe_os_error
from .files import MAX_WORD_FILE, NotReadable, read_regular

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# Bounds of what is read, far above any convention (qp's are 20 KB, with a document.xml
# of 30 KB and 2 000 elements; Word's own are a few times larger), so that a hostile file
# is answered in a second or two and a few hundred megabytes at most.
MAX_ENTRIES = 10_000  # parts of the package (Word writes about twenty)
MAX_PART = 20 * 1024 * 1024  # bytes of one part once inflated, counted while inflating
MAX_MARKS = 250_000  # « < » and « = » in the document and its styles: each element
# needs a « < », each attribute a « = », so this bounds what the parser builds
CHUNK = 64 * 1024  # inflated and parsed this much at a time
# `qp diff`, whose comparisons take time growing faster than the product of what they
# compare (two hostile documents: hours): at most so many pairs of clauses (or of the lines
# of one clause) aligned (a convention has 100 clauses, of 50 lines at most); and, to show
# the similar lines of a rewritten passage side by side, at most so many pairs of lines,
# and characters read comparing each line with each other one. Beyond, the common
# beginning and end are kept, and the rest is shown removed, then added.
MAX_ALIGNED = 250_000
MAX_PAIRS = 10_000
MAX_COMPARED = 1_000_000
MAX_TITLE = 300  # characters of a title in the name of a clause


@dataclass(frozen=True)
class Line:
    text: str
    level: int | None  # outline level (0: title, convention or annex; 1: article); None: body


def read(path: Path) -> bytes:
    """The bytes of a .docx given by its path: a regular file of at most MAX_WORD_FILE
    bytes, checked before reading it."""
    try:
        return read_regular(path, MAX_WORD_FILE)
    except NotReadable as exc:
        raise QPError(f"{path} : {exc} ; qp lit un document Word (.docx)") from None
    except OSError as exc:
        raise QPError(f"{path} illisible ({describe_os_error(exc)})") from None


def lines(data: bytes, name: str) -> list[Line]:
    """The lines of the document `data` (its file name `name`, for messages). The package
    is read in bounds (see MAX_…), whatever sizes it declares."""
    if data.count(b"PK\x01\x02") > MAX_ENTRIES:  # each entry of the zip's directory starts so
        raise QPError(f"{name} : document Word refusé (plus de {MAX_ENTRIES} parties)")
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        raise QPError(f"{name} n'est pas un document Word (.docx)") from None
    budget = [MAX_MARKS]
    own: dict[str, int] = {}
    based: dict[str, str] = {}
    levels: dict[str, int] = {}
    found: list[Line] = []

    def style(element: etree._Element) -> None:
        _note_style(element, own, based)

    def body(element: etree._Element) -> None:
        if element.tag == f"{W}p":
            words = _text(element) if len(element) else ""  # (most paragraphs of a hostile
            if words:  # file are empty: left out at once, as every reader of lines does)
                found.append(Line(words, _level(element, levels)))
        elif element.tag == f"{W}tbl":
            for row in _outermost(element, f"{W}tr"):
                cells = [" / ".join(t for t in (_text(p) for p in _outermost(cell, f"{W}p"))
                                    if t)
                         for cell in _outermost(row, f"{W}tc")]
                found.append(Line(" | ".join(cells), None))

    with archive:
        _parse(archive, "word/styles.xml", name, f"{W}styles", (f"{W}style",), style, budget,
               required=False)
        levels.update(_style_levels(own, based))
        _parse(archive, "word/document.xml", name, f"{W}body", (f"{W}p", f"{W}tbl"), body,
               budget)
    return found


def _parse(archive: zipfile.ZipFile, part: str, name: str, container: str, tags: tuple[str, ...],
           handle: Callable[[etree._Element], None], budget: list[int],
           required: bool = True) -> None:
    """Inflate and parse `part` piece by piece, calling `handle` with each complete child of
    the element `container` named in `tags`, then dropping it: memory holds one paragraph or
    table at a time. Refused beyond MAX_PART bytes, or beyond the « < » and « = » left in
    `budget` (counted in each piece before it is parsed, in C rather than element by
    element), or with a DTD (its entities would hide words: Word never writes one)."""
    try:
        info = archive.getinfo(part)
    except KeyError:
        if required:
            raise QPError(f"{name} n'est pas un document Word (pas de {part})") from None
        return
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):  # as Word writes
        raise QPError(f"{name} : document Word refusé ({part} compressé par une méthode "
                      "que Word n'emploie pas)")
    too_large = QPError(f"{name} : {part} démesuré (plus de {MAX_PART // (1024 * 1024)} Mo "
                        "une fois décompressé)")
    if info.file_size > MAX_PART:
        raise too_large
    parser = etree.XMLPullParser(events=("end",), tag=tags, resolve_entities=False,
                                 no_network=True, load_dtd=False, remove_comments=True,
                                 remove_pis=True, huge_tree=False)
    checked, size, root = False, 0, None
    outer: dict[etree._Element, bool] = {}  # (wrappers already seen: each climbed once)
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(CHUNK)  # (inflates at most CHUNK bytes)
                size += len(chunk)
                if size > MAX_PART:
                    raise too_large
                budget[0] -= chunk.count(b"<") + chunk.count(b"=")
                if budget[0] < 0:
                    raise QPError(f"{name} : document Word démesuré (plus de {MAX_MARKS} "
                                  "balises et attributs XML)")
                if chunk:
                    parser.feed(chunk)
                else:
                    root = parser.close()
                for _, element in parser.read_events():
                    if not checked:  # (the DTD comes before the first element)
                        _refuse_dtd(element, part, name)
                        checked = True
                    parent = element.getparent()
                    if not _outer(parent, container, outer):  # (in a table: read with it)
                        continue
                    handle(element)
                    element.clear()
                    while element.getprevious() is not None:
                        del parent[0]
                if not chunk:
                    if not checked:
                        _refuse_dtd(root, part, name)
                    return
    except etree.XMLSyntaxError:
        raise QPError(f"{name} : document Word endommagé ({part} : XML illisible)") from None
    except (zipfile.BadZipFile, EOFError, ValueError, RuntimeError, NotImplementedError,
            zlib.error):  # what zipfile raises on a damaged (or encrypted) part
        raise QPError(f"{name} : document Word endommagé ({part} illisible dans "
                      "l'archive)") from None


# What Word wraps around paragraphs and tables of the body without making them part of
# another: content controls (a table of contents, a form's fields), custom XML.
WRAPPERS = frozenset({f"{W}sdt", f"{W}sdtContent", f"{W}customXml"})


def _outer(parent: etree._Element | None, container: str,
           known: dict[etree._Element, bool]) -> bool:
    """Whether an element whose parent is `parent` lies in `container` itself, or only
    within wrappers there (not in a table's cell or any other element). `known`: the
    answer for the wrappers already climbed (kept, so that lxml keeps their identity)."""
    climbed = []
    while parent is not None and parent.tag in WRAPPERS and parent not in known:
        climbed.append(parent)
        parent = parent.getparent()
    if parent is None:
        answer = False
    elif parent in known:
        answer = known[parent]
    else:
        answer = parent.tag == container
    for wrapper in climbed:
        known[wrapper] = answer
    return answer


def _refuse_dtd(element: etree._Element, part: str, name: str) -> None:
    docinfo = element.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise QPError(f"{name} : document Word refusé : {part} déclare une DTD (<!DOCTYPE>), "
                      "que Word n'écrit jamais, et dont les entités cacheraient du texte")


def _outermost(element: etree._Element, tag: str) -> Iterator[etree._Element]:
    """The descendants of `element` named `tag` that are not inside another one: the rows
    of a table (a nested table's rows are read within their cell), the cells of a row, the
    paragraphs of a cell (a nested table's included). Each element is visited once, where
    `iter` would walk a nested table again for each level around it (a few kilobytes of
    nested tables then took minutes)."""
    pending = list(reversed(element))
    while pending:
        child = pending.pop()
        if child.tag == tag:
            yield child
        else:
            pending.extend(reversed(child))


def _text(paragraph: etree._Element) -> str:
    parts = []
    for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br"):  # (not w:delText)
        if node.tag == f"{W}t":
            parts.append(node.text or "")
        elif node.tag in (f"{W}tab", f"{W}br"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def _note_style(style: etree._Element, own: dict[str, int], based: dict[str, str]) -> None:
    """A paragraph style's own outline level, and the style it is based on."""
    name = style.get(f"{W}styleId")
    level = style.find(f"{W}pPr/{W}outlineLvl")
    if level is not None:
        own[name] = _int(level.get(f"{W}val", "9"))
    parent = style.find(f"{W}basedOn")
    if parent is not None:
        based[name] = parent.get(f"{W}val")


def _style_levels(own: dict[str, int], based: dict[str, str]) -> dict[str, int]:
    """Each paragraph style's outline level, inherited through `basedOn` (none through a
    loop). Each chain is climbed once: a style met again gives its answer at once (a
    chain of 45 000 styles, each based on the previous one, took hours)."""
    found: dict[str, int | None] = {}
    for name in set(own) | set(based):
        climbed, current = {}, name  # (a dict: in order, and quick to look in)
        while current is not None and current not in own and current not in found \
                and current not in climbed:
            climbed[current] = None
            current = based.get(current)
        if current in own:
            level = own[current]
        elif current in found:
            level = found[current]
        else:  # (no level at the end of the chain, or a loop)
            level = None
        for style in climbed:
            found[style] = level
        found.setdefault(name, level)
    return {name: level for name, level in found.items() if level is not None}


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:  # (a damaged value: body text)
        return 9


def _level(paragraph: etree._Element, levels: dict[str, int]) -> int | None:
    direct = paragraph.find(f"{W}pPr/{W}outlineLvl")
    if direct is not None:
        level = _int(direct.get(f"{W}val", "9"))
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
                title = where = _shortened(line.text)
            else:
                where = f"{title} › {_shortened(line.text)}" if title \
                    else _shortened(line.text)
            result.append((where, [line.text]))
        else:
            result[-1][1].append(line.text)
    return [(where, text) for where, text in result if text]


def _shortened(title: str) -> str:
    """A title as it names a clause: whole up to MAX_TITLE characters (a convention's are
    under 150), cut beyond (a title of 9 MB repeated in the name of each of 20 000 articles
    filled the memory)."""
    return title if len(title) <= MAX_TITLE else title[:MAX_TITLE - 1] + "…"


def compare(a: list[Line], b: list[Line], name_a: str, name_b: str) -> list[str]:
    """`qp diff`: for each clause that differs, its name, then its lines removed (« - »,
    as in `name_a`) and added (« + », as in `name_b`). Nothing when the texts are equal."""
    clauses_a, clauses_b = clauses(a), clauses(b)
    keys_a, keys_b = _numbered(where for where, _ in clauses_a), \
        _numbered(where for where, _ in clauses_b)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in _opcodes(keys_a, keys_b, autojunk=False):
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
            out.extend(_changes(old_lines, new_lines))
    if out:
        out.insert(0, f"--- {name_a}")
        out.insert(1, f"+++ {name_b}")
    return out


def _numbered(keys) -> list[tuple[str, int]]:
    """Each key with the number of the same key before it: the second « Article 3 » of a
    document is aligned with the other's second one (and difflib, which takes time growing
    with the square of a repeated key's occurrences, sees only distinct keys)."""
    seen: dict[str, int] = {}
    result = []
    for key in keys:
        seen[key] = seen.get(key, -1) + 1
        result.append((key, seen[key]))
    return result


def _opcodes(a: list, b: list, autojunk: bool = True) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes from `a` to `b`, within MAX_ALIGNED: their common beginning and end
    are equal, and what lies between is aligned by difflib if it is small enough, else
    replaced as a whole."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a, end_b = end_a - 1, end_b - 1
    result = [("equal", 0, start, 0, start)] if start else []
    if (end_a - start) * (end_b - start) <= MAX_ALIGNED:
        matcher = difflib.SequenceMatcher(None, a[start:end_a], b[start:end_b],
                                          autojunk=autojunk)
        result += [(tag, i1 + start, i2 + start, j1 + start, j2 + start)
                   for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
    else:
        result.append(("replace", start, end_a, start, end_b))
    if end_a < len(a):
        result.append(("equal", end_a, len(a), end_b, len(b)))
    return result


def _changes(old: list[str], new: list[str]) -> list[str]:
    """The lines removed (« - ») and added (« + ») from `old` to `new`, as `difflib.ndiff`
    gives them, similar lines side by side (within MAX_ALIGNED, MAX_PAIRS and MAX_COMPARED:
    beyond, the lines removed, then those added)."""
    result: list[str] = []
    for tag, i1, i2, j1, j2 in _opcodes(old, new):
        removed, added = old[i1:i2], new[j1:j2]
        if tag == "replace" and len(removed) * len(added) <= MAX_PAIRS and \
                sum(map(len, removed)) * len(added) + sum(map(len, added)) * len(removed) \
                <= MAX_COMPARED:
            result.extend(change for change in difflib.ndiff(removed, added)
                          if change[:1] in "-+")
            continue
        if tag in ("replace", "delete"):
            result.extend(f"- {line}" for line in removed)
        if tag in ("replace", "insert"):
            result.extend(f"+ {line}" for line in added)
    return result
