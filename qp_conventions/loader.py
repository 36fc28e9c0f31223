"""Read a territory file safely: bytes → text → YAML node graph → plain Python data.

Every refusal is a located French `Problem`. The size of the file is checked before it
is read; the node graph is composed here from the parser's events, without recursion,
so that nesting depth and the size of the data once aliases are expanded are bounded
*while* reading (PyYAML's own composer recurses: deep nesting crashed it). Safe loading
only (no object construction), duplicate keys detected with both lines, invisible and
control characters refused where they stand, numbers only in plain decimal notation.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent,
                         StreamEndEvent)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import InvalidTerritory, Problem, describe_os_error, field_path
from .files import is_temporary

MAX_FILE_BYTES = 1024 * 1024
# A real territory file nests 5 levels (annexe_3_operations → operation → financements →
# financing → montant) and holds a few thousand values and characters; the bounds below
# count aliases as what they expand to (a « billion laughs » expands to billions).
MAX_DEPTH = 20
MAX_EXPANDED_NODES = 200_000
MAX_EXPANDED_CHARS = 2_000_000
MAX_NUMBER_CHARS = 30

# Characters Word cannot hold (XML 1.0 forbids them) or that hide what a contract says.
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_INVALID = "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Unicode's format characters (category Cf), invisible by definition, and the invisible
# fillers and variation selectors a copy and paste brings along.
_INVISIBLE = ("\u00ad\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200d"
              "\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
              "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
              "\U000e0001\U000e0020-\U000e007f"
              "\u034f\u115f\u1160\u3164\uffa0\ufe00-\ufe0f\U000e0100-\U000e01ef"
              "\u2028\u2029")
FORBIDDEN_CHARS = re.compile(f"[{_CONTROL}{_INVALID}{_BIDI}{_INVISIBLE}]")

_INVISIBLE_NAMES = {
    "\u00ad": "trait d'union conditionnel", "\u200b": "espace sans largeur",
    "\u200c": "antiliant sans largeur", "\u200d": "liant sans largeur",
    "\u2060": "gluon de mots", "\ufeff": "indicateur d'ordre des octets",
    "\u2028": "séparateur de ligne", "\u2029": "séparateur de paragraphe",
}


def forbidden_message(char: str) -> str:
    """Why a character is refused, in French."""
    code = f"U+{ord(char):04X}"
    if re.match(f"[{_CONTROL}]", char):
        return (f"caractère de contrôle interdit {code} (invisible, souvent issu d'un "
                "copier-coller) : supprimez-le")
    if re.match(f"[{_BIDI}]", char):
        return (f"caractère invisible {code} interdit : il change le sens d'affichage du texte "
                "(le document montrerait les lettres dans un autre ordre que le fichier) : "
                "supprimez-le")
    if re.match(f"[{_INVISIBLE}]", char):
        name = f" ({_INVISIBLE_NAMES[char]})" if char in _INVISIBLE_NAMES else ""
        return (f"caractère invisible {code}{name} interdit, souvent issu d'un copier-coller : "
                "supprimez-le")
    return f"caractère invalide {code} (il ne correspond à aucune lettre) : supprimez-le"


# One rule for territory names, everywhere: the file's name without its extension, which
# is also the document's name and what `qp generate` is given.
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,80}")
EXTENSIONS = (".yaml", ".yml")


def suggested_name(name: str) -> str:
    """« Métropole de Lyon » → « metropole-de-lyon »."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9_]+", "-", ascii_name).strip("-_")[:80] or "territoire"


SAYS_YAML = re.compile(r"\.ya?ml", re.IGNORECASE)  # a name a person meant for YAML


def name_problem(path: Path) -> str | None:
    """Why a territory file's name is refused, or None."""
    if path.suffix in EXTENSIONS and NAME.fullmatch(path.stem):
        return None
    if is_temporary(path.name):  # (never advise renaming it over the real file)
        return ("fichier temporaire laissé par un qp interrompu, pas un territoire : "
                "supprimez-le")
    meant = SAYS_YAML.search(path.name)
    base = path.name[:meant.start()] if meant else path.stem
    return (f"nom de fichier « {path.name} » refusé : le nom d'un territoire s'écrit en "
            "minuscules sans accents, chiffres, « - » et « _ », avec l'extension .yaml : "
            f"renommez-le « {suggested_name(base)}.yaml »")


@dataclass
class LoadedFile:
    path: Path
    data: Any  # plain data; None where a value could not be read (see problems)
    root: Node
    problems: list[Problem]  # values that could not be read; the rest of the file is usable
    _keys: dict = field(default_factory=dict, repr=False)  # mapping -> {key: (key, value)}

    def _entry(self, node: Node, part: Any) -> tuple[Node | None, Node | None]:
        """The key and value nodes at `part` (a key or a position) of `node`. A mapping
        is indexed once: locating thousands of problems stays linear."""
        if isinstance(node, MappingNode) and isinstance(part, str):
            if id(node) not in self._keys:
                self._keys[id(node)] = {}
                for key, value in node.value:
                    if isinstance(key, ScalarNode):
                        self._keys[id(node)].setdefault(key.value, (key, value))
            return self._keys[id(node)].get(part, (None, None))
        if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            return None, node.value[part]
        return None, None

    def position(self, loc: tuple, key: bool = False) -> tuple[int, int]:
        """1-based line and column of a path of keys and indexes. A block (mapping or
        list) is pointed at by its key, where a person reads its name, and so is a value
        when `key` is set (an unknown key); a path that goes past what the file holds (a
        missing key) by the key of the deepest block that exists."""
        node, key_of_node = self.root, None
        for part in loc:
            key_of_child, child = self._entry(node, part)
            if child is None:
                break
            key_of_node, node = key_of_child, child
        use_key = key_of_node is not None and (key or not isinstance(node, ScalarNode))
        target = key_of_node if use_key else node
        return target.start_mark.line + 1, target.start_mark.column + 1

    def source(self, loc: tuple) -> str | None:
        """The text of a value as typed in the file (before YAML 1.1 read it as a
        boolean, a number or a date), or None."""
        node = self.root
        for part in loc:
            node = self._entry(node, part)[1]
            if node is None:
                return None
        return node.value if isinstance(node, ScalarNode) else None


def _problem(path: Path, message: str, line: int | None = None, column: int | None = None,
             field: str = "") -> Problem:
    return Problem(path, line, column, field, message)


def _at(path: Path, mark, message: str, field: str = "") -> Problem:
    return _problem(path, message, mark.line + 1, mark.column + 1, field)


def _too_large(path: Path, size: int) -> InvalidTerritory:
    return InvalidTerritory([_problem(
        path,
        f"fichier trop volumineux ({size} octets) : un fichier de territoire ne "
        f"dépasse pas {MAX_FILE_BYTES // 1024} Kio",
    )])


def read_text(path: Path) -> str:
    """The file's text: UTF-8 with or without BOM, any line endings, accents composed
    (NFC: « é » typed as « e » + accent on macOS is the same « é »). Its size is checked
    before it is read, so a huge file costs nothing."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # never open a FIFO or /dev/zero
            raise InvalidTerritory([_problem(
                path, "ce n'est pas un fichier ordinaire (un dossier, un périphérique, un "
                      "tube…) : un territoire s'écrit dans un fichier .yaml")])
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise _too_large(path, size)
            raw = handle.read(MAX_FILE_BYTES + 1)  # the size may have lied (a growing file)
    except FileNotFoundError:
        why = "lien vers un fichier qui n'existe pas" if path.is_symlink() else "fichier introuvable"
        raise InvalidTerritory([_problem(path, why)]) from None
    except OSError as exc:
        raise InvalidTerritory([_problem(path, f"lecture impossible ({describe_os_error(exc)})")]) \
            from None
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(path, len(raw))
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
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    problems = []
    for match in FORBIDDEN_CHARS.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        problems.append(_problem(path, forbidden_message(match.group()), line, column))
    if problems:
        raise InvalidTerritory(problems)
    return text


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or ""
    context = exc.context or ""
    if "'\\t'" in problem or "\\t" in problem:
        return "tabulation dans l'indentation : indentez uniquement avec des espaces"
    if "unknown escape character" in problem or "expected escape sequence" in problem:
        if "expected escape sequence" in problem:  # « \U », « \u » or « \x » not followed by a code
            char = {"2": "x", "4": "u", "8": "U"}.get(problem.split("of ")[1][:1], "?")
        else:
            char = problem.split("'")[1] if "'" in problem else "?"
        return (f"« \\{char} » n'est pas permis entre guillemets doubles : écrivez « \\\\ » pour "
                "une barre oblique inverse, ou mettez la valeur entre guillemets simples")
    if "quoted scalar" in context:
        opened = exc.context_mark.line + 1 if exc.context_mark else "?"
        return f"guillemets non fermés (ouverts ligne {opened}) : fermez-les sur la même valeur"
    if "found '<stream end>'" in problem or "found '<document end>'" in problem:
        return ("le fichier se termine au milieu d'une valeur : une liste « [ » ou une rubrique "
                "« { » ouverte plus haut n'est pas fermée, ou une valeur manque après « - » ou "
                "« : »")
    if "mapping values are not allowed" in problem:
        return ("« : » inattendu : si la valeur contient deux-points, mettez-la entre "
                "guillemets, sinon vérifiez l'indentation")
    if "could not find expected ':'" in problem:
        return "ligne sans « clé: valeur » ou indentation incorrecte"
    if "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        closing = "]" if "]" in problem else "}"
        opened = exc.context_mark.line + 1 if exc.context_mark else "?"
        return (f"« {'[' if closing == ']' else '{'} » ouvert ligne {opened} et jamais fermé : "
                f"ajoutez « {closing} », ou mettez la valeur entre guillemets")
    if "expected <block end>" in problem or "did not find expected" in problem:
        return ("structure incohérente : alignez les clés de même niveau, et mettez entre "
                "guillemets une valeur qui contient des guillemets, crochets ou deux-points")
    if "mapping keys are not allowed here" in problem:
        return ("« ? » inattendu : une valeur qui commence par « ? » s'écrit entre guillemets")
    if "sequence entries are not allowed here" in problem:
        return ("« - » inattendu : une liste commence à la ligne suivante (« - … » sous la clé, "
                "indenté), ou mettez la valeur entre guillemets")
    if "incompatible YAML document" in problem or "found duplicate YAML directive" in problem:
        return "en-tête « %YAML » non reconnu : retirez cette ligne"
    if "found character" in problem and "cannot start any token" in problem:
        char = problem.split("'")[1] if "'" in problem else "?"
        return f"caractère « {char} » inattendu en début de valeur : mettez la valeur entre guillemets"
    return f"syntaxe YAML invalide ({problem or context})"


def _syntax_problem(path: Path, text: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return _problem(path, _yaml_message(exc), mark.line + 1 if mark else None,
                        mark.column + 1 if mark else None)
    return _problem(path, f"syntaxe YAML invalide ({exc})")


class _Refused(Exception):
    """The file is refused as a whole (too deep, too large, an alias that cannot be
    followed, a second document)."""

    def __init__(self, mark, message: str):
        self.mark, self.message = mark, message


_YAML_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT = (_YAML_TAG + t for t in ("str", "int", "float"))
_PLAIN_TAGS = {_YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp",
                                       "seq", "map")}
# Numbers as people write them: digits, a point before the cents, an exponent. YAML 1.1
# also reads 0100 as octal (64), 0x10 as hexadecimal, 1_000 and 1:30 (base 60).
_PLAIN_NUMBER = re.compile(r"[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def _number_problem(node: ScalarNode) -> str | None:
    """Why a number is refused: YAML 1.1 reads some notations silently as another number."""
    text = node.value
    if _PLAIN_NUMBER.fullmatch(text):
        if len(text) > MAX_NUMBER_CHARS:
            return f"nombre démesuré ({len(text)} caractères ; {MAX_NUMBER_CHARS} au plus)"
        return None
    plain = text.lstrip("+-")
    if plain.lower() in (".inf", ".nan"):
        return f"« {text} » n'est pas un nombre utilisable : écrivez un nombre en chiffres"
    if ":" in plain:
        why = "les deux-points annoncent un nombre en base 60"
    elif plain[:2].lower() in ("0x", "0o", "0b"):
        why = "« 0x », « 0o » et « 0b » annoncent un nombre hexadécimal, octal ou binaire"
    elif "_" in plain:
        why = "les « _ » sont ignorés"
    elif plain[:1] == "0" and plain[1:2].isdigit():
        why = "un zéro initial annonce un nombre octal, en base 8"
    else:
        why = "notation inhabituelle"
    try:
        read_as = f"YAML lirait le nombre {SafeConstructor().construct_object(node)} ; "
    except (ValueError, OverflowError, yaml.YAMLError):
        read_as = ""
    return (f"« {text} » ambigu ({why}) : {read_as}pour un texte, mettez-le entre guillemets "
            f"(\"{text}\") ; pour un nombre, écrivez les chiffres seuls, sans zéro initial "
            "(par exemple 1250000 ou 1250000.50)")


class _Composer:
    """The node graph from the parser's events, built with an explicit stack: nesting
    depth, expanded size, foreign tags, duplicate keys, characters and numbers are
    checked on each node as it completes."""

    def __init__(self, path: Path, loader):
        self.path = path
        self.loader = loader  # a parser (events) and a resolver (implicit tags)
        self.problems: list[Problem] = []
        self.anchors: dict[str, tuple[Node, tuple[int, int]]] = {}  # node, expanded size
        self.open_anchors: dict[str, Any] = {}  # anchors of collections not yet closed

    def compose(self) -> Node | None:
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(StreamEndEvent):
            return None
        loader.get_event()  # document start
        root = self._document()
        loader.get_event()  # document end
        if not loader.check_event(StreamEndEvent):
            raise _Refused(loader.get_event().start_mark,
                           "un seul document par fichier : retirez le séparateur « --- » en trop")
        return root

    def _document(self) -> Node:
        """The document's root. Each collection being read is on a stack with its anchor,
        the key awaiting its value (in a mapping), and the size of what it holds so far,
        aliases counted as what they expand to: the bounds hold while reading."""
        loader = self.loader
        stack: list[list] = []  # [node, anchor, pending key, values, characters]
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is ScalarEvent:
                tag = event.tag
                if tag is None or tag == "!":
                    # a quoted scalar is text; only a plain one may be a number, a date…
                    tag = loader.resolve(ScalarNode, event.value, event.implicit) \
                        if event.implicit[0] else _STR
                else:
                    self._plain_tag(tag, event.start_mark, "scalar")
                node = ScalarNode(tag, event.value, event.start_mark, event.end_mark,
                                  style=event.style)
                size = (1, len(event.value))
                if event.anchor is not None:
                    self._anchored(event, node, size)
            elif kind is AliasEvent:
                node, size = self._alias(event)
            elif kind is SequenceStartEvent or kind is MappingStartEvent:
                node_kind = SequenceNode if kind is SequenceStartEvent else MappingNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(node_kind, None, event.implicit)
                else:
                    self._plain_tag(tag, event.start_mark,
                                    "seq" if kind is SequenceStartEvent else "map")
                if event.anchor is not None:
                    self._new_anchor(event)
                    self.open_anchors[event.anchor] = event.start_mark
                stack.append([node_kind(tag, [], event.start_mark, None,
                                        flow_style=event.flow_style), event.anchor, None, 1, 0])
                if len(stack) > MAX_DEPTH:
                    raise _Refused(event.start_mark,
                                   f"imbrication trop profonde (plus de {MAX_DEPTH} niveaux de "
                                   "listes et de rubriques ; un fichier de territoire en a 5) : "
                                   "fichier refusé")
                continue
            else:  # the end of a sequence or a mapping
                node, anchor, _, values, chars = stack.pop()
                node.end_mark = event.end_mark
                if isinstance(node, MappingNode):
                    self._check_keys(node)
                size = (values, chars)
                if anchor is not None:
                    del self.open_anchors[anchor]
                    self._anchored(event, node, size, anchor)
            if not stack:
                return node
            parent = stack[-1]
            parent[3] += size[0]
            parent[4] += size[1]
            if parent[3] > MAX_EXPANDED_NODES:
                raise _Refused(parent[0].start_mark,
                               f"structure démesurée (plus de {MAX_EXPANDED_NODES} valeurs une "
                               "fois les alias développés) : fichier refusé")
            if parent[4] > MAX_EXPANDED_CHARS:
                raise _Refused(parent[0].start_mark,
                               f"texte démesuré (plus de {MAX_EXPANDED_CHARS} caractères une "
                               "fois les alias développés) : fichier refusé")
            if isinstance(parent[0], SequenceNode):
                parent[0].value.append(node)
            elif parent[2] is None:
                parent[2] = node  # a key: its value comes next
            else:
                parent[0].value.append((parent[2], node))
                parent[2] = None

    def _alias(self, event) -> tuple[Node, tuple[int, int]]:
        if event.anchor in self.open_anchors:
            line = self.open_anchors[event.anchor].line + 1
            raise _Refused(event.start_mark,
                           f"alias récursif « *{event.anchor} » : la structure ancrée ligne "
                           f"{line} se contiendrait elle-même")
        if event.anchor not in self.anchors:
            raise _Refused(event.start_mark,
                           f"alias « *{event.anchor} » qui ne renvoie à aucune ancre "
                           f"(« &{event.anchor} ») écrite avant lui")
        return self.anchors[event.anchor]

    def _new_anchor(self, event) -> None:
        anchor = event.anchor
        if anchor in self.anchors or anchor in self.open_anchors:
            raise _Refused(event.start_mark, f"ancre « &{anchor} » définie deux fois : "
                                             "donnez-leur des noms différents")

    def _anchored(self, event, node: Node, size: tuple[int, int], anchor: str | None = None) -> None:
        """Remember an anchored node, and what it expands to, for its aliases."""
        if anchor is None:  # a scalar, complete as soon as it is read
            self._new_anchor(event)
            anchor = event.anchor
        self.anchors[anchor] = (node, size)

    def _plain_tag(self, tag: str, mark, kind: str) -> None:
        """An explicit tag is one of YAML's plain kinds, and says what the node is."""
        shown = tag.replace(_YAML_TAG, "!!")
        if tag not in _PLAIN_TAGS:
            raise _Refused(mark, f"balise YAML « {shown} » refusée : un fichier de territoire "
                                 "ne contient que des textes, nombres, dates, listes et "
                                 "rubriques")
        collection = tag in (_YAML_TAG + "seq", _YAML_TAG + "map")
        if collection != (kind != "scalar") or (collection and not tag.endswith(kind)):
            raise _Refused(mark, f"balise YAML « {shown} » contraire à la valeur qui la suit : "
                                 "retirez-la")

    def _check_keys(self, node: MappingNode) -> None:
        seen: dict[str, Node] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode):
                self.problems.append(_at(self.path, key.start_mark, "une clé doit être un simple mot"))
            elif key.value in seen:
                first = seen[key.value].start_mark.line + 1
                self.problems.append(Problem(
                    self.path, key.start_mark.line + 1, key.start_mark.column + 1, key.value,
                    f"clé « {key.value} » en double dans la même rubrique (lignes {first} "
                    f"et {key.start_mark.line + 1}) : ne gardez qu'une des deux",
                ))
            else:
                seen[key.value] = key


# libyaml when PyYAML has it (ten times faster); the pure-Python parser explains errors
# better (it names the offending character), so a file in error is read again with it.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(path: Path, text: str, loader_class) -> tuple[Node | None, list[Problem]]:
    loader = loader_class(text)
    try:
        composer = _Composer(path, loader)
        try:
            root = composer.compose()
        except _Refused as refused:
            raise InvalidTerritory([_at(path, refused.mark, refused.message)]) from None
        return root, composer.problems
    finally:
        loader.dispose()


def _printable(path: Path, node: ScalarNode, problems: list[Problem], loc: tuple) -> bool:
    """False, with a problem, for a character written as a YAML escape (« \\x85 »,
    « \\u202e ») that the scan of the file's text cannot see."""
    bad = FORBIDDEN_CHARS.search(node.value)
    if bad:
        problems.append(_at(path, node.start_mark, forbidden_message(bad.group()), field_path(loc)))
    return bad is None


def _build(path: Path, constructor: SafeConstructor, node: Node, problems: list[Problem],
           loc: tuple = ()) -> Any:
    """Plain data from the graph (its depth is bounded). Keys stay the text as written
    (so `no:` is not a boolean key); scalar values keep YAML's types so that the model
    can explain them."""
    if isinstance(node, MappingNode):
        data = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode) and _printable(path, key, problems, loc):
                data[key.value] = _build(path, constructor, value, problems, (*loc, key.value))
        return data
    if isinstance(node, SequenceNode):
        return [_build(path, constructor, item, problems, (*loc, i))
                for i, item in enumerate(node.value)]
    if not _printable(path, node, problems, loc):
        return None
    if node.tag == _STR:  # most values: the text itself, as PyYAML's constructor would give
        return node.value
    if node.tag in (_INT, _FLOAT):
        wrong = _number_problem(node)
        if wrong:
            problems.append(_at(path, node.start_mark, wrong, field_path(loc)))
            return None
        if node.tag == _FLOAT:  # exactly as written: a float has 16 digits, an amount 18
            return Decimal(node.value)
    try:
        return constructor.construct_object(node, deep=True)
    except Exception:  # noqa: BLE001 — PyYAML's constructors fail in many ways on odd values
        if node.tag == _YAML_TAG + "timestamp":
            why = ("date impossible : écrivez une date AAAA-MM-JJ existante, ou mettez le "
                   "texte entre guillemets")
        else:
            why = (f"ne peut être lue comme « {node.tag.replace(_YAML_TAG, '!!')} » : retirez "
                   "la balise, ou corrigez la valeur")
        problems.append(Problem(path, node.start_mark.line + 1, node.start_mark.column + 1,
                                field_path(loc), f"valeur « {node.value} » illisible ({why})"))
        return None


def load_territory_file(path: Path, text: str | None = None) -> LoadedFile:
    """The file at `path`, or `text` given for it (a change not yet written)."""
    text = read_text(path) if text is None else text
    try:
        root, problems = _compose(path, text, _FAST_LOADER)
    except (yaml.YAMLError, ValueError, OverflowError):
        try:
            root, problems = _compose(path, text, yaml.SafeLoader)
        except yaml.YAMLError as exc:
            raise InvalidTerritory([_syntax_problem(path, text, exc)]) from None
        except (ValueError, OverflowError):  # an escape beyond Unicode (« \U00110000 »)
            raise InvalidTerritory([_problem(
                path, "code de caractère impossible dans un texte entre guillemets (« \\U… » "
                      "au-delà de Unicode) : corrigez-le, ou mettez le texte entre guillemets "
                      "simples")]) from None
    if root is None:
        raise InvalidTerritory([_problem(path, "fichier vide : il doit décrire un territoire "
                                               "(voir l'exemple commenté du README)", 1, 1)])
    if not isinstance(root, MappingNode):
        kind = "une liste" if isinstance(root, SequenceNode) else "une simple valeur"
        raise InvalidTerritory([_at(path, root.start_mark,
                                    f"le fichier doit être une suite de « clé: valeur » "
                                    f"(il contient {kind})")])
    data = _build(path, SafeConstructor(), root, problems)
    return LoadedFile(path, data, root, problems)
