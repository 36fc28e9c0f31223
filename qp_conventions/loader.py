"""Read a territory file safely: bytes → text → YAML node graph → plain Python data.

Every refusal is a located French `Problem`. Safe loading only (no object
construction), bounded size and alias expansion, duplicate keys detected with
both lines, control characters that Word cannot hold refused where they stand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import InvalidTerritory, Problem

MAX_FILE_BYTES = 1024 * 1024
# A real territory file has a few thousand nodes; a « billion laughs » has billions.
MAX_EXPANDED_NODES = 200_000

# XML 1.0 forbids these (python-docx would crash on them); tab, LF and CR are allowed.
FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


@dataclass
class LoadedFile:
    path: Path
    data: Any
    root: Node

    def locate(self, loc: tuple) -> tuple[Node, bool]:
        """The node at a path of keys and indexes; the deepest existing one and
        False when the path goes past what the file holds (a missing key)."""
        node = self.root
        for part in loc:
            child = _child(node, part)
            if child is None:
                return node, False
            node = child
        return node, True


    def mark(self, loc: tuple) -> tuple[int, int]:
        """1-based line and column for a path. A block (mapping or list) is pointed at by
        its key, where a person reads its name; a path that goes past the file (a missing
        key) by the key of the deepest block that exists."""
        node = self.root
        key: Node | None = None
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            key = key_node(node, part) if isinstance(part, str) else None
            node = child
        target = key if key is not None and not isinstance(node, ScalarNode) else node
        return target.start_mark.line + 1, target.start_mark.column + 1


def _child(node: Node, part: Any) -> Node | None:
    if isinstance(node, MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == part:
                return value
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]
    return None


def key_node(node: Node, key: str) -> Node | None:
    """The key's own node in a mapping (to point at an unknown key rather than its value)."""
    if isinstance(node, MappingNode):
        for k, _ in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return k
    return None


def _problem(path: Path, message: str, line: int | None = None, column: int | None = None,
             field: str = "") -> Problem:
    return Problem(path, line, column, field, message)


def _at(path: Path, mark, message: str) -> Problem:
    return _problem(path, message, mark.line + 1, mark.column + 1)


def read_text(path: Path) -> str:
    """The file's text: UTF-8 with or without BOM, any line endings."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidTerritory([_problem(path, "fichier introuvable")]) from None
    except OSError as exc:
        raise InvalidTerritory([_problem(path, f"lecture impossible ({exc.strerror})")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidTerritory([_problem(
            path,
            f"fichier trop volumineux ({len(raw)} octets) : un fichier de territoire ne "
            f"dépasse pas {MAX_FILE_BYTES // 1024} Kio",
        )])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InvalidTerritory([_problem(
            path,
            f"le fichier n'est pas encodé en UTF-8 (octet 0x{raw[exc.start]:02X} illisible) : "
            "enregistrez-le en UTF-8 (dans le Bloc-notes : « Enregistrer sous », "
            "Codage « UTF-8 »)",
            line, column,
        )]) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    problems = []
    for match in FORBIDDEN_CHARS.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        problems.append(_problem(
            path,
            f"caractère de contrôle interdit U+{ord(match.group()):04X} (invisible, souvent "
            "issu d'un copier-coller) : supprimez-le",
            line, column,
        ))
    if problems:
        raise InvalidTerritory(problems)
    return text


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or ""
    context = exc.context or ""
    if "'\\t'" in problem or "\\t" in problem:
        return "tabulation dans l'indentation : indentez uniquement avec des espaces"
    if "unknown escape character" in problem:
        char = problem.split("'")[1] if "'" in problem else "?"
        return (f"« \\{char} » n'est pas permis entre guillemets doubles : écrivez « \\\\ » pour "
                "une barre oblique inverse, ou mettez la valeur entre guillemets simples")
    if "quoted scalar" in context:
        opened = exc.context_mark.line + 1 if exc.context_mark else "?"
        return f"guillemets non fermés (ouverts ligne {opened}) : fermez-les sur la même valeur"
    if "mapping values are not allowed" in problem:
        return ("« : » inattendu : si la valeur contient deux-points, mettez-la entre "
                "guillemets, sinon vérifiez l'indentation")
    if "could not find expected ':'" in problem:
        return "ligne sans « clé: valeur » ou indentation incorrecte"
    if "found undefined alias" in problem:
        return "alias (*nom) qui ne renvoie à aucune ancre (&nom)"
    if "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        closing = "]" if "]" in problem else "}"
        opened = exc.context_mark.line + 1 if exc.context_mark else "?"
        return (f"« {'[' if closing == ']' else '{'} » ouvert ligne {opened} et jamais fermé : "
                f"ajoutez « {closing} », ou mettez la valeur entre guillemets")
    if "expected <block end>" in problem or "did not find expected" in problem:
        return ("structure incohérente : alignez les clés de même niveau, et mettez entre "
                "guillemets une valeur qui contient des guillemets, crochets ou deux-points")
    if "expected a single document" in problem + context or "another document" in problem:
        return "un seul document par fichier : retirez le séparateur « --- » en trop"
    if "found character" in problem and "cannot start any token" in problem:
        char = problem.split("'")[1] if "'" in problem else "?"
        return f"caractère « {char} » inattendu en début de valeur : mettez la valeur entre guillemets"
    return f"syntaxe YAML invalide ({problem or context})"


def _raise_yaml_error(path: Path, exc: yaml.YAMLError):
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        raise InvalidTerritory([_problem(path, _yaml_message(exc),
                                         mark.line + 1 if mark else None,
                                         mark.column + 1 if mark else None)]) from None
    raise InvalidTerritory([_problem(path, f"syntaxe YAML invalide ({exc})")]) from None


def _walk(path: Path, root: Node) -> list[Problem]:
    """Check the composed graph before building anything from it: duplicate keys,
    non-scalar keys, and the size of the structure once aliases are expanded."""
    problems: list[Problem] = []
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if node.tag not in _PLAIN_TAGS:
            raise _TooLarge(node, f"balise YAML « {node.tag.replace(_YAML_TAG, '!!')} » refusée : "
                                  "un fichier de territoire ne contient que des textes, nombres, "
                                  "dates, listes et rubriques")
        if key in in_progress:
            raise _TooLarge(node, "alias récursif : une structure qui se contient elle-même")
        in_progress.add(key)
        total = 1
        if isinstance(node, MappingNode):
            seen: dict[str, Node] = {}
            for k, v in node.value:
                if not isinstance(k, ScalarNode):
                    problems.append(_at(path, k.start_mark, "une clé doit être un simple mot"))
                elif k.value in seen:
                    first = seen[k.value].start_mark.line + 1
                    problems.append(Problem(
                        path, k.start_mark.line + 1, k.start_mark.column + 1, k.value,
                        f"clé « {k.value} » en double dans la même rubrique (lignes {first} "
                        f"et {k.start_mark.line + 1}) : ne gardez qu'une des deux",
                    ))
                else:
                    seen[k.value] = k
                total += size(v)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                total += size(item)
        if total > MAX_EXPANDED_NODES:
            raise _TooLarge(node, f"structure démesurée (plus de {MAX_EXPANDED_NODES} valeurs "
                                  "une fois les alias développés) : fichier refusé")
        in_progress.discard(key)
        sizes[key] = total
        return total

    try:
        size(root)
    except _TooLarge as exc:
        return [_at(path, exc.node.start_mark, exc.message)]
    return problems


_YAML_TAG = "tag:yaml.org,2002:"
_STR = _YAML_TAG + "str"
_PLAIN_TAGS = {_YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp",
                                       "seq", "map")}


class _TooLarge(Exception):
    """The graph is refused as a whole (too large, recursive, or a foreign tag)."""

    def __init__(self, node: Node, message: str):
        self.node, self.message = node, message


def _build(path: Path, loader: yaml.SafeLoader, node: Node, problems: list[Problem],
           loc: tuple = ()) -> Any:
    """Plain data from the graph. Keys stay the text as written (so `no:` is not a
    boolean key); scalar values keep YAML's types so that the model can explain them."""
    if isinstance(node, MappingNode):
        return {k.value: _build(path, loader, v, problems, (*loc, k.value)) for k, v in node.value
                if isinstance(k, ScalarNode)}
    if isinstance(node, SequenceNode):
        return [_build(path, loader, item, problems, (*loc, i)) for i, item in enumerate(node.value)]
    if node.tag == _STR:  # most values: the text itself, as PyYAML's constructor would give
        return node.value
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError):
        from .validate import field_path

        problems.append(Problem(path, node.start_mark.line + 1, node.start_mark.column + 1,
                                field_path(loc),
                                f"valeur « {node.value} » illisible (date impossible ?) : "
                                "écrivez une date AAAA-MM-JJ existante, ou mettez le texte "
                                "entre guillemets"))
        return None


# libyaml when PyYAML has it (ten times faster); the pure-Python loader explains errors
# better (it names the offending character), so errors are re-read with it.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str, loader_class) -> tuple[Node | None, yaml.SafeLoader]:
    loader = loader_class(text)
    try:
        return loader.get_single_node(), loader
    finally:
        loader.dispose()


def load_territory_file(path: Path) -> LoadedFile:
    text = read_text(path)
    try:
        root, loader = _compose(text, _FAST_LOADER)
    except yaml.YAMLError:
        try:
            root, loader = _compose(text, yaml.SafeLoader)
        except yaml.YAMLError as exc:
            _raise_yaml_error(path, exc)
    if root is None:
        raise InvalidTerritory([_problem(path, "fichier vide : il doit décrire un territoire "
                                               "(voir l'exemple commenté du README)", 1, 1)])
    if not isinstance(root, MappingNode):
        kind = "une liste" if isinstance(root, SequenceNode) else "une simple valeur"
        raise InvalidTerritory([_at(path, root.start_mark,
                                    f"le fichier doit être une suite de « clé: valeur » "
                                    f"(il contient {kind})")])
    problems = _walk(path, root)
    if problems:
        raise InvalidTerritory(problems)
    data = _build(path, loader, root, problems)
    if problems:
        raise InvalidTerritory(problems)
    return LoadedFile(path, data, root)
