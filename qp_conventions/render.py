"""Territory → the document's blocks: Jinja2 renders the national model (light Markdown,
templates/*.md.j2), markdown-it-py parses it into blocks (blocks.py).

Values from the territory file never become Markdown: while a template renders, each
printed value is set aside in a list of values (the `values` entry of the template's
context) and a private-use marker takes its place. Only the markers reach the Markdown
parser; each value's text is put back verbatim into the runs afterwards, so `**`, `|`,
`#`, `<w:p>` or `{{ 7*7 }}` in a value is printed as written and can never change the
document's structure. The model's own words reach the output through the `wording`
filter (markupsafe's Markup marks them), and get French typography.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import (Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined,
                    pass_context)
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.container import container_plugin

from . import acts, french, lifecycle, programme
from .blocks import Block, Line, Run
from .departements import of_departement
from .model import Avenant, Missing, Programme, Territory, Wave

OPEN, CLOSE = "\ue000", "\ue001"  # around the number of a value set aside
_MARKER = re.compile(f"{OPEN}(\\d+){CLOSE}")

# Each document, part by part: the convention, then its annexes; the feuille de route
# (the annexes on their own, Article 1); an avenant.
ANNEXES = ("annexe_1_gouvernance.md.j2", "annexe_2_axes.md.j2", "annexe_3_operations.md.j2")
CONVENTION = ("convention.md.j2", *ANNEXES)
ROADMAP = ("feuille_de_route.md.j2", *ANNEXES)
AVENANT = ("avenant.md.j2",)
PARTS = CONVENTION


def templates_dir() -> Path:
    """The repository's templates/ when running from a checkout, else the copy in the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "templates", here / "templates"):
        if (candidate / "convention.md.j2").is_file():
            return candidate
    raise FileNotFoundError("modèle national introuvable (dossier templates/)")


class AndList(list):
    """Values printed as a French list, « a, b et c » (the `join_and` filter): each item
    stays a value of its own, so it is printed exactly as written."""


class Concat(list):
    """The model's words and values printed side by side (« Au » and « Havre »): each
    value stays a value of its own."""


@pass_context
def _set_aside(context, value: Any) -> Any:
    """Jinja's `finalize`: what a template prints. The model's own wording stays text;
    a value is set aside and a marker printed instead."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, AndList):
        return french.join_and([_set_aside(context, item) for item in value])
    if isinstance(value, Concat):
        return "".join(_set_aside(context, item) for item in value)
    if value is None:
        raise ValueError("le modèle imprime une valeur vide (None) : erreur du modèle")
    values = context["values"]
    values.append(value if isinstance(value, Missing) else str(value))
    return f"{OPEN}{len(values) - 1}{CLOSE}"


def _passes_missing(func):
    """A filter that leaves a missing fact as it is (it is printed as a placeholder)."""
    @functools.wraps(func)
    def wrapper(value, *args):
        return value if isinstance(value, Missing) else func(value, *args)

    return wrapper


def _choose(code: Any, phrases: dict[str, str]) -> Any:
    """The model's phrase for a territory's choice (the phrase is the model's wording)."""
    return code if isinstance(code, Missing) else Markup(phrases[code])


def _agree(word: str, gender: Any = "masculin", plural: Any = False, before: Any = None) -> Any:
    """The model's word agreed with a gender and a number (see french.agree)."""
    agreed = french.agree(word, gender, bool(plural), before)
    return agreed if isinstance(agreed, Missing) else Markup(agreed)


def _at_place(place: Any) -> Concat:
    """« À Marseille », « Au Havre », « Aux Abymes », at the start of a line: the
    preposition is the model's, the place a value (« À [à compléter : …] »)."""
    if isinstance(place, Missing):
        return Concat([Markup("À "), place])
    preposition, rest = french.at(place)
    return Concat([Markup(french.capfirst(preposition) + " "), rest])


def cache_folder() -> Path | None:
    """The user's cache folder for qp: %LOCALAPPDATA%\\qp-conventions on Windows,
    $XDG_CACHE_HOME/qp-conventions or ~/.cache/qp-conventions elsewhere; None when the
    system names none (no home folder)."""
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA", "")
    else:  # (a relative XDG_CACHE_HOME is to be ignored, says the XDG specification)
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not os.path.isabs(base):
            base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "qp-conventions") if os.path.isabs(base) else None


class CompiledTemplates(FileSystemBytecodeCache):
    """The national model compiled once, not at each run: Jinja2's bytecode cache in the
    user's cache folder. Compiling the six templates was a sixth of the instructions of
    `qp generate toulouse` (1.71 -> 1.43 billion with the cache) and 13 % of the time of
    `qp generate --all` (benchmarks/bench.py).

    Never stale: Jinja2 keys a compiled template by its name and path, and compiles it
    again when its source's checksum, Jinja2's bytecode format or Python's version
    differ. What it does not see is the environment that compiled it: the key adds
    Jinja2's version and this module's text (environment()'s options and filters shape
    the compiled code). Shared safely by runs at once: Jinja2 (3.1.2 and later) writes
    each file under a temporary name, then renames it. Never fails a run: a folder that
    cannot be created or written, or a damaged file, and the template is compiled as
    without a cache."""

    def __init__(self, folder: Path):
        super().__init__(str(folder))
        try:
            own_text = Path(__file__).read_bytes()
        except OSError:
            own_text = b""
        self.fingerprint = hashlib.sha1(jinja2.__version__.encode() + own_text).hexdigest()

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{self.fingerprint}|{name}", filename)

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable or damaged (pickle and marshal raise many kinds)
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass  # not kept: compiled again next time


@functools.lru_cache(maxsize=None)
def environment(directory: Path) -> Environment:
    """The national model's Jinja environment: undefined variables and printing None
    are errors; no autoescaping (values never reach the output, see above)."""
    folder = cache_folder()
    env = Environment(loader=FileSystemLoader(str(directory)), autoescape=False,
                      undefined=StrictUndefined, finalize=_set_aside, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True,
                      bytecode_cache=CompiledTemplates(folder / "templates") if folder else None)
    env.globals["to_complete"] = lambda words: Missing(words, words)
    env.filters.update(
        wording=Markup,  # text of the model itself, passed through a variable
        join_and=AndList,
        choose=_choose,
        label=_choose,  # a code's display name (programme.py)
        agree=_agree,
        capfirst=_passes_missing(french.capfirst),
        upper=_passes_missing(lambda text: str(text).upper()),
        of=_passes_missing(french.of),
        at_place=_at_place,
        plural=_passes_missing(french.plural),
        of_departement=_passes_missing(of_departement),
        date_long=_passes_missing(french.date_long),
        month_year=_passes_missing(french.month_year),
        copies=french.copies,
        euros=_passes_missing(french.euros),
        percent_of=_passes_missing(french.percent),
        dash=lambda value: "–" if value is None else value,  # an optional cell left empty
    )
    return env


def _model_words(value: Any) -> Any:
    """A wording's text is the model's words; its flags stay flags."""
    return Markup(value) if isinstance(value, str) else value


def _gender_of(civilite: Any) -> Any:
    """The grammatical gender a civility asks for (a missing civility stays missing)."""
    return civilite if isinstance(civilite, Missing) else (
        "feminin" if civilite == "Madame" else "masculin")


def context(territory: Territory, avenant: Avenant | None = None,
            in_force: bool = False, waves: list[Wave] | None = None) -> dict:
    """What the templates read: the validated territory itself (missing facts in their
    place), the programme's fixed facts and display names, and the wording the
    territory signed. The programme's words are marked as the model's wording.

    The convention shows its chef de file and pilotage as signed; the feuille de route
    (`in_force`) as the signed avenants have changed them; an `avenant`, with the
    avenants before it. `waves`: the programme's waves of labellisation
    (territories/programme.yaml), for a territory of a later wave."""
    wording = programme.WORDINGS[territory.redaction]
    waves = waves or Programme().vagues
    # the territories labelled by this one's labellisation, itself included
    pilot_count = sum(w.territoires for w in waves if w.date <= territory.labellisation) \
        or len(programme.PILOT_TERRITORIES)
    if in_force:  # a feuille de route: the original, or the one an avenant revises
        previous = territory.avenants[:avenant.numero] if avenant else []
        roadmap = lifecycle.roadmap_version(territory, avenant)
        act = acts.act_of(territory, acts.ROADMAP, avenant)
        # the avenants signed by its own signature, or those up to its revision
        changes = previous if avenant else lifecycle.in_force(
            territory, roadmap.date if roadmap.signed else None)
        avenant = None
    else:
        previous = territory.avenants[:avenant.numero - 1] if avenant else []
        roadmap = lifecycle.roadmap(territory)
        act = acts.act_of(territory, acts.AVENANT if avenant else acts.CONVENTION, avenant)
        changes = previous
    chef_de_file = lifecycle.current(territory, "chef_de_file", changes)
    partner = programme.PARTNERS.get(chef_de_file) if isinstance(chef_de_file, str) else None
    operations = territory.annexe_3_operations
    total_cost = sum((op.cout_total for op in operations), Decimal(0))
    financers: dict[str, Decimal] = {}
    for op in operations:
        for financing in op.financements:
            financers[financing.financeur] = financers.get(financing.financeur, Decimal(0)) \
                + financing.montant
    names = lambda table: {code: Markup(name) for code, name in table.items()}  # noqa: E731
    people = acts.signatories(territory, act)  # the act's own, or those in office
    etat = people.etat
    return {
        "values": [],  # filled while rendering (see _set_aside)
        "interco": territory.intercommunalite,
        "representant": people.representant,
        "representant_genre": _gender_of(people.representant.civilite),
        "etat": etat,
        "ministre": etat.ministre,
        "prefet": etat.prefet,
        "prefet_genre": _gender_of(etat.prefet.civilite) if etat.prefet else "masculin",
        "chef_de_file": Markup(partner.with_article) if partner else chef_de_file,
        "pilotage": lifecycle.current(territory, "pilotage", changes),
        "signature": territory.signature,
        # the convention's life (lifecycle.py)
        "convention_signed": territory.signature.date if territory.statut == "signee" else None,
        "roadmap": roadmap,
        "avenant": avenant,
        "previous_avenants": previous,
        "end_of_validity": lifecycle.end_of_validity(territory, [*previous, avenant])
        if avenant else lifecycle.end_of_validity(territory),
        "avenant_objects": names(programme.AVENANT_OBJECTS),
        "partners": {code: Markup(p.with_article) for code, p in programme.PARTNERS.items()},
        "wording": {name: _model_words(getattr(wording, name))
                    for name in wording.__dataclass_fields__},
        "programme": {
            "interministerial_committee": programme.INTERMINISTERIAL_COMMITTEE,
            "labellisation": programme.LABELLISATION,
            "pilot_count": pilot_count,
            # labelled with the 14 pilots of 18 March 2021, or in a later wave
            "first_wave": territory.labellisation == programme.LABELLISATION,
            "territory_labellisation": territory.labellisation,
            "partner_count": len(programme.PARTNERS),
            "partner_count_word": Markup(programme.NUMBER_WORDS[len(programme.PARTNERS)]),
            # the Contexte's list; the chosen wording names the Banque des Territoires
            "partners_in_context": [
                Markup(wording.banque_des_territoires_context
                       if p.code == "banque_des_territoires" else p.in_context)
                for p in programme.PARTNERS.values()],
            "partners_committed": [Markup(programme.PARTNERS[code].with_article)
                                   for code in programme.COMMITMENT_ORDER],
            "roadmap_delay_months": programme.ROADMAP_DELAY_MONTHS,
            "validity_months": programme.VALIDITY_MONTHS,
            "annex_titles": [Markup(title) for title in programme.ANNEX_TITLES],
        },
        "steering": names(programme.LOCAL_STEERING),
        "fields": names(programme.FIELDS),
        "levers": names(programme.LEVERS),
        "statuses": names(programme.OPERATION_STATUSES),
        "instances": territory.annexe_1_gouvernance,
        "axes": territory.annexe_2_axes,
        "operations": operations,
        "total_cost": total_cost,
        "financers": [{"nom": name, "montant": amount} for name, amount in financers.items()],
        # one number of decimals per column of shares
        "plan_decimals": french.share_decimals(
            (f.montant, op.cout_total) for op in operations for f in op.financements),
        "financers_decimals": french.share_decimals(
            (amount, total_cost) for amount in financers.values()),
    }


def render_markdown(territory: Territory, parts: tuple[str, ...] = CONVENTION,
                    avenant: Avenant | None = None,
                    waves: list[Wave] | None = None) -> tuple[list[str], list]:
    """A document's parts rendered for this territory, with markers in place of values,
    and the values (one list for the whole document)."""
    env = environment(templates_dir())
    variables = context(territory, avenant, in_force=parts == ROADMAP, waves=waves)  # (`avenant` with
    # ROADMAP: the avenant whose revised feuille de route this is)
    rendered = [env.get_template(name).render(variables) for name in parts]
    if programme.WORDINGS[territory.redaction].capitals_2021:
        rendered = [french.capitals_2021(part) for part in rendered]
    return rendered, variables["values"]


@functools.lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    for name in ("signatures", "colonne", "paysage", "ensemble"):
        md.use(container_plugin, name)
    return md


_SENTENCE_END = (".", "!", "?")

# A line of a rendered part, its values left as their numbers: (piece, bold, capital)
# where piece is the model's text (French typography applied) or a value's number, and
# capital says that the value begins a sentence.
Pattern = tuple[tuple[str | int, bool, bool], ...]


@dataclass(frozen=True)
class Shape:
    """A block of a rendered part before its values are put back (see Block)."""

    kind: str  # as Block's, but "h1": the title or an annex's, by what precedes
    line: Pattern = ()
    rows: tuple[tuple[Pattern, ...], ...] = ()
    aligns: tuple[str, ...] = ()
    columns: tuple[tuple[Pattern | None, ...], ...] = ()


@functools.lru_cache(maxsize=256)
def shapes(markdown: str) -> tuple[Shape, ...]:
    """The blocks of a rendered part, values left as numbers. Values are markers, so
    territories whose data has the same shape (same branches of the model, as many axes
    and operations) render the same Markdown: parsing it and walking its tokens is most
    of a document's rendering (benchmarks/bench.py), and a batch does it once per shape."""
    found: list[Shape] = []
    list_depth = 0
    heading: str | None = None
    table: dict | None = None
    row: list | None = None
    signatures: list | None = None
    column: list | None = None
    for tok in _parser().parse(markdown):
        t = tok.type
        if t == "heading_open":
            heading = {"h1": "h1", "h2": "heading"}.get(tok.tag, "subheading")
        elif t == "heading_close":
            heading = None
        elif t == "bullet_list_open":
            list_depth += 1
        elif t == "bullet_list_close":
            list_depth -= 1
        elif t == "table_open":
            table = {"rows": [], "aligns": []}
        elif t == "table_close":
            found.append(Shape("table", rows=tuple(table["rows"]), aligns=tuple(table["aligns"])))
            table = None
        elif t == "tr_open":
            row = []
        elif t == "tr_close":
            table["rows"].append(tuple(row))
            row = None
        elif t == "th_open" and not table["rows"]:
            style = str(tok.attrs.get("style", "")) if tok.attrs else ""
            table["aligns"].append("right" if "right" in style else
                                   "center" if "center" in style else "left")
        elif t == "container_signatures_open":
            signatures = []
        elif t == "container_signatures_close":
            found.append(Shape("signatures", columns=tuple(signatures)))
            signatures = None
        elif t == "container_colonne_open":
            column = []
        elif t == "container_colonne_close":
            signatures.append(tuple(column))
            column = None
        elif t in ("container_paysage_open", "container_paysage_close"):
            found.append(Shape("landscape_start" if t.endswith("open") else "landscape_end"))
        elif t in ("container_ensemble_open", "container_ensemble_close"):
            found.append(Shape("keep_start" if t.endswith("open") else "keep_end"))
        elif t == "hr" and column is not None:
            column.append(None)  # the space left for the handwritten signature
        elif t == "inline":
            if row is not None:
                row.append(_pattern(tok, sentences=False))
            elif column is not None:
                column.append(_pattern(tok, sentences=True))
            else:
                found.append(Shape(heading or ("bullet" if list_depth else "paragraph"),
                                   _pattern(tok, sentences=True)))
    return tuple(found)


def _pattern(inline, sentences: bool) -> Pattern:
    """An inline token's pieces: the model's text gets French typography; in `sentences`
    (not in table cells), a value that begins a paragraph, a bullet or a sentence will
    get a capital."""
    pieces: list = []
    bold = False
    sentence_start = sentences
    for child in inline.children or []:
        if child.type in ("strong_open", "strong_close"):
            bold = child.type == "strong_open"
            continue
        if child.type in ("softbreak", "hardbreak"):
            pieces.append((" " if child.type == "softbreak" else "\n", bold, False))
            continue
        for position, piece in enumerate(_MARKER.split(child.content)):  # text, number, text…
            if position % 2 == 0:
                if piece:
                    pieces.append((french.typography(piece), bold, False))
                    if piece.strip():
                        sentence_start = sentences and piece.rstrip().endswith(_SENTENCE_END)
                continue
            pieces.append((int(piece), bold, sentence_start))
            sentence_start = False
    return tuple(pieces)


def _line(pattern: Pattern, values: list) -> Line:
    """The runs of a line: values put back as written, with typographic apostrophes and
    the capital the pattern asks for; missing facts as highlighted placeholders."""
    runs: Line = []
    for piece, bold, capital in pattern:
        if isinstance(piece, str):
            runs.append(Run(piece, bold))
            continue
        value = values[piece]
        if isinstance(value, Missing):
            runs.append(Run(value.placeholder(), bold, missing=True))
        else:
            text = value.replace("'", "\u2019")
            runs.append(Run(french.capfirst(text) if capital else text, bold))
    return runs


def to_blocks(parts: list[str], values: list) -> list[Block]:
    """The document's blocks: each rendered part's shapes with this territory's values."""
    blocks: list[Block] = []
    seen_title = False
    for part in parts:
        for shape in shapes(part):
            kind = shape.kind
            if kind == "h1":  # the first is the document's title, the others open an annex
                kind = "annex_title" if seen_title else "title"
                seen_title = True
            blocks.append(Block(
                kind, _line(shape.line, values),
                rows=[[_line(cell, values) for cell in row] for row in shape.rows],
                aligns=list(shape.aligns),
                columns=[[None if line is None else _line(line, values) for line in column]
                         for column in shape.columns]))
    return blocks


def render_blocks(territory: Territory, parts: tuple[str, ...] = CONVENTION,
                  avenant: Avenant | None = None,
                  waves: list[Wave] | None = None) -> list[Block]:
    """The blocks of one of a territory's documents: the convention (by default), its
    feuille de route (ROADMAP), or an avenant (AVENANT, with `avenant`)."""
    rendered, values = render_markdown(territory, parts, avenant, waves)
    return to_blocks(rendered, values)
