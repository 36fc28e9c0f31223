"""Change a value of a territory file in place, the rest of the file as the person wrote
it: comments, blank lines, order, quotes, line endings. The value's position comes from
the loader's own reading of the file (loader.py), and only that span of text changes."""

from __future__ import annotations

from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from .errors import InvalidTerritory, QPError
from .loader import load_territory_file, read_text


def _pair(mapping: Node, key: str) -> tuple[Node, Node] | None:
    if isinstance(mapping, MappingNode):
        for key_node, value in mapping.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return key_node, value
    return None


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


def set_value(text: str, root: Node, loc: tuple[str, ...], value: str) -> str:
    """`text` with the scalar at `loc` (keys of mappings) set to `value`, written as YAML
    text. A missing key is added at the end of its rubric, a missing rubric at the end of
    the file; a top-level key goes before the first one."""
    shared = _shared(root)
    parent: Node = root
    for depth, key in enumerate(loc[:-1]):
        pair = _pair(parent, key)
        if pair is None:  # the rubric itself is missing: at the end of the file
            lines = [f"{'  ' * d}{k}:" for d, k in enumerate(loc[depth:-1], start=depth)]
            lines.append(f"{'  ' * (len(loc) - 1)}{loc[-1]}: {value}")
            return text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
        parent = pair[1]
        if id(parent) in shared:
            raise QPError(f"« {'.'.join(loc[:depth + 1])} » est partagée avec une autre rubrique "
                          "(une ancre « & » et son alias « * ») : écrivez-la en entier à sa "
                          "place, sans alias, puis relancez")
    if not isinstance(parent, MappingNode):
        raise QPError(f"« {'.'.join(loc[:-1])} » n'est pas une rubrique : corrigez le fichier")
    pair = _pair(parent, loc[-1])
    if pair is not None:
        key_node, node = pair
        if not isinstance(node, ScalarNode):
            raise QPError(f"« {'.'.join(loc)} » n'est pas une simple valeur : corrigez le fichier")
        if id(node) in shared or text[node.start_mark.index:node.start_mark.index + 1] == "&":
            raise QPError(f"« {'.'.join(loc)} » porte une ancre « & » : écrivez sa valeur sans "
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
    last = parent.value[-1][1] if parent.value else None
    indent = parent.value[0][0].start_mark.column if parent.value else 0
    end = _line_end(text, last.end_mark.index if last is not None else parent.start_mark.index)
    if last is not None and last.end_mark.index and text[last.end_mark.index - 1:last.end_mark.index] == "\n":
        end = last.end_mark.index - 1  # a block value ends with the line after it
    return text[:end] + f"\n{' ' * indent}{loc[-1]}: {value}" + text[end:]


def edit_file(path: Path, changes: dict[tuple[str, ...], str]) -> str:
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
    if b"\r\n" in original and b"\n" not in original.replace(b"\r\n", b""):  # all CRLF
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
        wanted = ", ".join(f"{'.'.join(loc)}: {value}" for loc, value in edited.items())
        raise QPError(f"{path} : qp ne sait pas écrire la modification dans la mise en page de "
                      f"ce fichier ({exc.problems[0].message}) : écrivez vous-même {wanted}, "
                      "puis relancez") from None

