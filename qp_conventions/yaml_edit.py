"""Change a value of a territory file in place, the rest of the file as the person wrote
it: comments, blank lines, order, quotes, line endings. The value's position comes from
the loader's own reading of the file (loader.py), and only that span of text changes."""

from __future__ import annotations

import bisect
import re
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import InvalidTerritory, QPError, field_path
from .loader import load_territory_file, read_text


def _pair(mapping: Node, key: str | int) -> tuple[Node, Node] | None:
    if isinstance(key, int):  # an item of a list (an avenant)
        if isinstance(mapping, SequenceNode) and 0 <= key < len(mapping.value):
            return mapping, mapping.value[key]
        return None
    if isinstance(mapping, MappingNode):
        for key_node, value in mapping.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return key_node, value
    return None


def _end_of(text: str, node: Node) -> int:
    """Where the text of a rubric's value ends: the end of the line of its last value
    (a block rubric's own end mark is where the next key starts), before the line break
    that ends a block scalar."""
    while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
    index = node.end_mark.index
    if index and text[index - 1:index] == "\n":
        return index - 1
    return _line_end(text, index)


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end == -1 else end


def _shared(root: Node) -> set[int]:
    """The nodes written once and used in several places (an anchor « & » and its
    aliases « * »): changing one would change the others."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif not isinstance(node, ScalarNode):
            stack.extend(node.value)
    return shared


def _yaml(value: object, indent: int, flow: bool) -> str:
    """A rubric (`value` a dict: who signed an act) as YAML text after its key: on the
    lines below, indented, or in braces inside a rubric written in braces."""
    import yaml

    if not flow:
        lines = yaml.safe_dump(value, allow_unicode=True, sort_keys=False,
                               default_flow_style=False, width=10 ** 6).splitlines()
        return "".join(f"\n{' ' * (indent + 2)}{line}" for line in lines)
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=True,
                          width=10 ** 6).strip()


def set_value(text: str, root: Node, loc: tuple[str | int, ...], value: str | dict) -> str:
    """`text` with the scalar at `loc` (keys of mappings, indexes of lists) set to `value`,
    written as YAML text (or a new rubric, `value` a dict). A missing key is added at the
    end of its rubric, a missing rubric at the end of the file; a top-level key goes
    before the first one."""
    shared = _shared(root)
    parent: Node = root
    loc = tuple(loc)
    for depth, key in enumerate(loc[:-1]):
        pair = _pair(parent, key)
        if pair is None and isinstance(key, int):
            raise QPError(f"« {'.'.join(map(str, loc[:depth + 1]))} » introuvable : corrigez le fichier")
        if pair is None:  # the rubric itself is missing: at the end of the file
            if isinstance(value, dict):
                value = _yaml(value, 2 * (len(loc) - 1), flow=False)
            else:
                value = " " + value
            lines = [f"{'  ' * d}{k}:" for d, k in enumerate(loc[depth:-1], start=depth)]
            lines.append(f"{'  ' * (len(loc) - 1)}{loc[-1]}:{value}")
            return text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
        parent = pair[1]
        if id(parent) in shared:
            raise QPError(f"« {'.'.join(map(str, loc[:depth + 1]))} » est partagée avec une autre rubrique "
                          "(une ancre « & » et son alias « * ») : écrivez-la en entier à sa "
                          "place, sans alias, puis relancez")
    if not isinstance(parent, MappingNode):
        raise QPError(f"« {'.'.join(map(str, loc[:-1]))} » n'est pas une rubrique : corrigez le "
                      "fichier")
    pair = _pair(parent, loc[-1])
    if isinstance(value, dict):
        if pair is not None:
            raise QPError(f"« {'.'.join(map(str, loc))} » existe déjà : corrigez le fichier")
        indent = parent.value[0][0].start_mark.column if parent.value else 0
        value = _yaml(value, indent, flow=parent.flow_style)
        if parent.flow_style:
            pass
        elif parent is root:
            raise QPError("qp ne crée pas de rubrique au premier niveau")  # (never asked)
        else:  # after the rubric's last key, on the lines below
            end = _end_of(text, parent.value[-1][1])
            return text[:end] + f"\n{' ' * indent}{loc[-1]}:{value}" + text[end:]
    if pair is not None:
        key_node, node = pair
        if not isinstance(node, ScalarNode):
            raise QPError(f"« {'.'.join(map(str, loc))} » n'est pas une simple valeur : corrigez le fichier")
        if id(node) in shared or text[node.start_mark.index:node.start_mark.index + 1] == "&":
            raise QPError(f"« {'.'.join(map(str, loc))} » porte une ancre « & » : écrivez sa valeur sans "
                          "ancre ni alias, puis relancez")
        if node.value == "" and node.start_mark.index == node.end_mark.index:  # « date: » empty
            colon = text.index(":", key_node.end_mark.index) + 1
            spaces = len(text[colon:]) - len(text[colon:].lstrip(" "))
            rest = text[colon + spaces:]
            # keep a comment where it was when there is room for the value
            keep = max(1, spaces - len(value) - 1) if rest.startswith("#") else 0
            return text[:colon] + " " + value + " " * keep + rest
        return text[:node.start_mark.index] + value + text[node.end_mark.index:]
    if parent.flow_style:  # « signature: {lieu: X} »: inside the braces
        closing = text.rindex("}", 0, parent.end_mark.index)
        before = text[:closing].rstrip()  # (the spaces and line breaks before « } » stay)
        separator = "" if before.endswith("{") else ", "
        return before + f"{separator}{loc[-1]}: {value}" + text[len(before):]
    if parent is root and loc[0] != "" and len(loc) == 1:  # a top-level key: first
        if not parent.value:
            return text + f"{loc[-1]}: {value}\n"
        first = parent.value[0][0].start_mark
        return (text[:first.index] + f"{loc[-1]}: {value}\n" + " " * first.column
                + text[first.index:])
    indent = parent.value[0][0].start_mark.column if parent.value else 0
    end = _end_of(text, parent.value[-1][1]) if parent.value else \
        _line_end(text, parent.start_mark.index)
    return text[:end] + f"\n{' ' * indent}{loc[-1]}: {value}" + text[end:]


def edit_file(path: Path, changes: dict[tuple, str | dict]) -> str:
    """The file's new text after `changes` ({path of keys: YAML text}), line endings and
    byte-order mark as the file had them. Nothing is written here."""
    original = path.read_bytes()
    try:
        text = read_text(path)
    except InvalidTerritory as exc:
        raise QPError("\n".join(p.format() for p in exc.problems)) from None
    root = _root(path, text)
    for loc, value in changes.items():
        text = set_value(text, root, loc, value)
        root = _root(path, text, edited=changes)  # (and positions for the next change)
    if _newline_of(original.decode("utf-8", "replace")) == "\r\n":
        text = text.replace("\n", "\r\n")
    if original.startswith(b"\xef\xbb\xbf"):
        text = "\ufeff" + text
    return text


def _root(path: Path, text: str, edited: dict | None = None) -> Node:
    try:
        return load_territory_file(path, text=text).root
    except InvalidTerritory as exc:
        if not edited:
            raise
        # the change cannot be written in this file's layout: the person writes it
        wanted = ", ".join(f"{field_path(loc)}: {_yaml(value, 0, flow=True) if isinstance(value, dict) else value}"
                           for loc, value in edited.items())
        raise QPError(f"{path} : qp ne sait pas écrire la modification dans la mise en page de "
                      f"ce fichier ({exc.problems[0].message}) : écrivez vous-même {wanted}, "
                      "puis relancez") from None


_LINE_END = re.compile(r"\r\n|\r|\n")
_DOCUMENT_END = re.compile(r"^\.\.\.[ \t]*(#.*)?$", re.M)


def _newline_of(text: str) -> str:
    """The line end a file uses, when it uses only one kind; « \\n » otherwise."""
    ends = set(_LINE_END.findall(text))
    return ends.pop() if len(ends) == 1 else "\n"


def replace_block(text: str, root: Node, key: str, lines: list[str]) -> str:
    """`text` with the whole value of the top-level `key` replaced by `lines` (YAML lines,
    indented under the key), every other character as it was: comments above and below
    the value, a comment on the key's line, blank lines, line endings (the new lines take
    the file's), accents as typed. `text` is the file as written (without its byte-order
    mark) and `root` the loader's reading of that very text; positions are taken from
    its lines and columns, which every YAML parser counts alike. A missing key is added
    at the end of the file.

    (Why not a ruamel.yaml round trip: it re-emits the whole file, and quotes, spacing
    or a long line's folding may come out otherwise; here the rest of the file is
    untouched by construction, not by the care of an emitter.)"""
    newline = _newline_of(text)
    block = "".join(line + newline for line in lines)
    starts = [0] + [match.end() for match in _LINE_END.finditer(text)]

    def offset(mark) -> int:
        if mark.line >= len(starts):  # the end of a file without a final line break
            return len(text)
        return min(starts[mark.line] + mark.column, len(text))

    pairs = root.value if isinstance(root, MappingNode) else []
    index = next((i for i, (k, _) in enumerate(pairs)
                  if isinstance(k, ScalarNode) and k.value == key), None)
    if index is None:  # at the end of the document: before a « ... » that closes it
        closing = _DOCUMENT_END.search(text, offset(root.end_mark))
        head, tail = (text[:closing.start()], text[closing.start():]) if closing else (text, "")
        ending = "" if not head or head.endswith(("\n", "\r")) else newline
        return f"{head}{ending}{key}:{newline}{block}{tail}"
    key_node, value = pairs[index]
    if offset(value.start_mark) < offset(key_node.end_mark):  # marks of another place
        raise QPError(f"« {key} » renvoie à une ancre (alias « * ») : écrivez la liste à sa "
                      f"place, ou videz-la (« {key}: [] »)")
    if isinstance(value, (SequenceNode, MappingNode)) and not value.flow_style:
        # From its first item's line to its last line that holds something: the blank
        # lines and comments before the next key stay (they belong to what follows).
        limit = offset(pairs[index + 1][0].start_mark) if index + 1 < len(pairs) \
            else offset(root.end_mark)
        line = bisect.bisect_right(starts, max(limit - 1, 0)) - 1
        while line > value.start_mark.line:
            content = text[starts[line]:starts[line + 1] if line + 1 < len(starts) else len(text)]
            if content.strip() and not content.lstrip().startswith("#"):
                break
            line -= 1
        end = starts[line + 1] if line + 1 < len(starts) else len(text)
        return text[:starts[value.start_mark.line]] + block + text[end:]
    # A value on the key's line (« [] », a flow list, nothing): taken out, a comment
    # after it kept, the block put on the lines below.
    if isinstance(value, ScalarNode) and value.value == "" and not value.style:
        start = end = text.index(":", offset(key_node.end_mark)) + 1  # (marks vary: none used)
    else:
        start, end = offset(value.start_mark), offset(value.end_mark)
    line_end = _LINE_END.search(text, end)
    rest = text[end:line_end.start() if line_end else len(text)]
    head = text[:start]
    if not rest.strip():
        head, rest = head.rstrip(" \t"), ""
    after = line_end.end() if line_end else len(text)
    return head + rest + (line_end.group() if line_end else newline) + block + text[after:]
