"""Territory → text of the document: Jinja2 renders the national model (light Markdown),
markdown-it-py parses it into blocks that `docx_writer` turns into Word.

Values from the territory file never become Markdown: each printed value is replaced,
while the template renders, by a private-use marker pointing into a side table, and
only the markers' positions reach the Markdown parser. The value's text is put back
verbatim into the Word runs afterwards, so `**`, `|`, `#`, `<w:p>` or `{{ 7*7 }}` in a
value is printed as written and can never change the document's structure.
"""

from __future__ import annotations

import contextvars
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from . import french, programme
from .departements import of_departement
from .model import STATUS_LABELS, Territory

OPEN, CLOSE = "\ue000", "\ue001"
_MARKER = re.compile(f"{OPEN}(\\d+){CLOSE}")


@dataclass(frozen=True)
class Missing:
    """A fact still « à compléter »: falsy in templates, printed as a highlighted
    placeholder."""

    label: str

    def __bool__(self) -> bool:
        return False

    def placeholder(self) -> str:
        return f"[à compléter : {self.label}]".replace("'", "\u2019")

    def __str__(self) -> str:
        # A filter that turns values into text (join, format…) would print this object:
        # fail loudly so that the model prints the value itself, highlighted.
        raise TypeError(f"valeur à compléter ({self.label}) transformée en texte par le modèle")


class AndList(list):
    """Values printed as a French list, « a, b et c » (the `join_and` filter): each item
    stays a value of its own, so it is printed exactly as written."""


@dataclass
class Segment:
    text: str
    bold: bool = False
    missing: bool = False


@dataclass
class Block:
    # title, annex_title, heading, subheading, paragraph, bullet, table, signatures,
    # landscape_start, landscape_end
    kind: str
    segments: list[Segment] = field(default_factory=list)
    rows: list[list[list[Segment]]] = field(default_factory=list)  # table cells
    aligns: list[str] = field(default_factory=list)
    # signature columns: one entry a line; None is the space left for the signature
    columns: list[list[list[Segment] | None]] = field(default_factory=list)


_values: contextvars.ContextVar[list] = contextvars.ContextVar("qp_values")


def templates_dir() -> Path:
    """The repository's templates/ when running from a checkout, else the copy in the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "templates", here / "templates"):
        if (candidate / "convention.md.j2").is_file():
            return candidate
    raise FileNotFoundError("modèle national introuvable (dossier templates/)")


def _passes_missing(func: Callable) -> Callable:
    @functools.wraps(func)
    def wrapper(value, *args):
        return value if isinstance(value, Missing) else func(value, *args)

    return wrapper


@functools.lru_cache(maxsize=None)
def _environment(directory: Path):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from markupsafe import Markup

    def marker(value: Any) -> str:
        if isinstance(value, Markup):  # the model's own wording (the « wording » filter)
            return value
        if value is None:
            raise ValueError("le modèle imprime une valeur vide (None) : erreur du modèle")
        table = _values.get()
        table.append(value if isinstance(value, Missing) else str(value))
        return f"{OPEN}{len(table) - 1}{CLOSE}"

    def finalize(value: Any) -> Any:
        if isinstance(value, AndList):  # each item its own value, the joints the model's text
            items = [marker(item) for item in value]
            return ", ".join(items[:-1]) + " et " + items[-1] if len(items) > 1 else "".join(items)
        return marker(value)

    class DataEnvironment(Environment):
        def getattr(self, obj, attribute):
            # The context is plain dicts: `op.intitule` is a key, and Jinja's default
            # (attribute first, then key) pays for an exception each time.
            if type(obj) is dict and attribute in obj:
                return obj[attribute]
            return super().getattr(obj, attribute)

    # No autoescaping: values never reach the output (finalize turns them into markers),
    # and the model's text is Markdown, not HTML.
    env = DataEnvironment(
        loader=FileSystemLoader(str(directory)),
        autoescape=False,
        undefined=StrictUndefined,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["to_complete"] = Missing  # a fact the model itself leaves to the territory
    env.filters.update(
        capfirst=_passes_missing(french.capfirst),
        upper=_passes_missing(lambda s: str(s).upper()),
        of=_passes_missing(french.of),
        of_departement=_passes_missing(of_departement),
        date_long=_passes_missing(french.date_long),
        month_year=_passes_missing(french.month_year),
        euros=_passes_missing(french.euros),
        percent_of=_passes_missing(french.percent),
        dash=lambda value: "–" if value is None else value,  # an optional cell left empty
        join_and=AndList,
        label=lambda code, labels: labels[code],  # a code's display name, e.g. a lever's
        wording=Markup,  # text of the model itself, passed through a variable
    )
    return env


def _context(territory: Territory, missing: list[tuple[tuple, str]]) -> dict:
    """Plain data for the templates (pydantic's own fast dump); each missing fact (see
    `validate.missing_facts`) becomes Missing, printed as a highlighted placeholder."""
    data = territory.model_dump()
    for loc, label in missing:
        parent = data
        for part in loc[:-1]:
            parent = parent[part]
        parent[loc[-1]] = Missing(label)
    return data


def build_context(territory: Territory, missing: list[tuple[tuple, str]]) -> dict:
    from markupsafe import Markup

    wording = Markup  # the programme's own words: typography applies, as in the templates

    ctx = _context(territory, missing)
    partner = programme.PARTNERS.get(territory.chef_de_file) if territory.chef_de_file else None
    total_cost = sum((op.cout_total for op in territory.annexe_3_operations), Decimal(0))
    financers: dict[str, Decimal] = {}
    for op in territory.annexe_3_operations:
        for financing in op.financements:
            financers[financing.financeur] = financers.get(financing.financeur, Decimal(0)) + financing.montant
    chosen = programme.WORDINGS[territory.redaction]
    return {
        "interco": ctx["intercommunalite"],
        "representant": ctx["intercommunalite"]["representant"],
        "etat": ctx["etat"],
        "ministre": ctx["etat"]["ministre"],
        "prefet": ctx["etat"]["prefet"],
        # « le Préfet du département … », « la Préfète … » (the sources' « le Préfet »
        # when the civility is not known)
        "prefet_title": wording("la Préfète" if _prefect_is_a_woman(territory) else "le Préfet"),
        "prefet_quality": wording("Préfète" if _prefect_is_a_woman(territory) else "Préfet"),
        "chef_de_file": {"with_article": wording(partner.with_article)} if partner
        else ctx["chef_de_file"],
        "pilotage": ctx["pilotage"],
        "wording": {name: wording(getattr(chosen, name)) for name in chosen.__dataclass_fields__},
        "signature": ctx["signature"],
        "programme": {
            "interministerial_committee": programme.INTERMINISTERIAL_COMMITTEE,
            "labellisation": programme.LABELLISATION,
            "pilot_count": len(programme.PILOT_TERRITORIES),
            "partner_count": len(programme.PARTNERS),
            "partner_count_word": wording(programme.NUMBER_WORDS[len(programme.PARTNERS)]),
            # the Contexte's list; the chosen wording names the Banque des Territoires
            "partners_in_context": [
                wording(chosen.banque_des_territoires_context
                        if p.code == "banque_des_territoires" else p.in_context)
                for p in programme.PARTNERS.values()],
            "partners_committed": [wording(programme.PARTNERS[code].with_article)
                                   for code in programme.COMMITMENT_ORDER],
            "roadmap_delay_months": programme.ROADMAP_DELAY_MONTHS,
            "validity_months": programme.VALIDITY_MONTHS,
            "annex_titles": [wording(t) for t in programme.ANNEX_TITLES],
        },
        "instances": ctx["annexe_1_gouvernance"],
        "axes": ctx["annexe_2_axes"],
        "operations": ctx["annexe_3_operations"],
        "total_cost": total_cost,
        # one number of decimals per column of shares
        "plan_decimals": french.share_decimals(
            (f.montant, op.cout_total) for op in territory.annexe_3_operations
            for f in op.financements),
        "financers_decimals": french.share_decimals(
            (amount, total_cost) for amount in financers.values()),
        "financers": [{"nom": name, "montant": amount} for name, amount in financers.items()],
        "fields": {k: wording(v) for k, v in programme.FIELDS.items()},
        "levers": {k: wording(v) for k, v in programme.LEVERS.items()},
        "statuses": {k: wording(v) for k, v in STATUS_LABELS.items()},
    }


def _prefect_is_a_woman(territory: Territory) -> bool:
    prefet = territory.etat.prefet
    return prefet is not None and prefet.civilite == "Madame"


# The document, part by part: the convention, then its annexes.
PARTS = ("convention.md.j2", "annexe_1_gouvernance.md.j2", "annexe_2_axes.md.j2",
         "annexe_3_operations.md.j2")


def render_markdown(territory: Territory, missing: list[tuple[tuple, str]]
                    ) -> tuple[list[str], list]:
    """The model's parts rendered for this territory, with markers in place of values
    (one table of values for the whole document)."""
    env = _environment(templates_dir())
    context = build_context(territory, missing)
    token = _values.set([])
    try:
        parts = [env.get_template(name).render(context) for name in PARTS]
        return parts, _values.get()
    finally:
        _values.reset(token)


@functools.lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.container import container_plugin

    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    for name in ("signatures", "colonne", "paysage", "ensemble"):
        md.use(container_plugin, name)
    return md


def _pattern(inline) -> tuple[tuple[str | int, bool], ...]:
    """An inline token as (piece, bold) pairs: the model's text with French typography
    already applied, or the index of a value."""
    out: list[tuple[str | int, bool]] = []
    bold = False
    for child in inline.children or []:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "softbreak":
            out.append((" ", bold))
        elif child.type == "hardbreak":
            out.append(("\n", bold))
        else:
            text = child.content
            pos = 0
            for match in _MARKER.finditer(text):
                if match.start() > pos:
                    out.append((french.typography(text[pos:match.start()]), bold))
                out.append((int(match.group(1)), bold))
                pos = match.end()
            if pos < len(text):
                out.append((french.typography(text[pos:]), bold))
    return tuple(out)


_SENTENCE_END = (".", "!", "?")


def _segments(pattern: tuple, values: list, sentences: bool = True) -> list[Segment]:
    """The runs of one inline token: the model's text gets French typography, values
    are put back as written, with typographic apostrophes and, in `sentences` (not in
    table cells), a capital when they begin a paragraph, a bullet or a sentence; missing
    facts become highlighted placeholders."""
    out: list[Segment] = []
    sentence_start = sentences
    for piece, bold in pattern:
        if isinstance(piece, str):
            out.append(Segment(piece, bold))
            if piece.strip():
                sentence_start = sentences and piece.rstrip().endswith(_SENTENCE_END)
            continue
        value = values[piece]
        if isinstance(value, Missing):
            out.append(Segment(value.placeholder(), bold, missing=True))
        else:
            text = value.replace("'", "\u2019")
            out.append(Segment(french.capfirst(text) if sentence_start else text, bold))
        sentence_start = False
    return out


@functools.lru_cache(maxsize=512)
def _skeleton(markdown: str) -> tuple[Block, ...]:
    """A part's blocks with patterns (see `_pattern`) in place of runs. Values are
    markers, so a part's Markdown is the same for every territory that takes the same
    branches of the model: each shape is parsed once per process, not once a document.
    A level-1 heading is left as "h1": whether it is the title depends on what precedes."""
    blocks: list[Block] = []
    list_depth = 0
    heading: str | None = None
    table: Block | None = None
    row: list | None = None
    signatures: Block | None = None
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
            table = Block("table")
        elif t == "table_close":
            blocks.append(table)
            table = None
        elif t == "tr_open":
            row = []
        elif t == "tr_close":
            table.rows.append(row)
            row = None
        elif t == "th_open" and table is not None and not table.rows:
            style = str(tok.attrs.get("style", "")) if tok.attrs else ""
            table.aligns.append("right" if "right" in style else
                                "center" if "center" in style else "left")
        elif t == "container_signatures_open":
            signatures = Block("signatures")
        elif t == "container_signatures_close":
            blocks.append(signatures)
            signatures = None
        elif t == "container_colonne_open":
            column = []
        elif t == "container_colonne_close":
            signatures.columns.append(column)
            column = None
        elif t == "container_paysage_open":
            blocks.append(Block("landscape_start"))
        elif t == "container_paysage_close":
            blocks.append(Block("landscape_end"))
        elif t == "container_ensemble_open":
            blocks.append(Block("keep_start"))
        elif t == "container_ensemble_close":
            blocks.append(Block("keep_end"))
        elif t == "hr" and column is not None:
            column.append(None)  # the space left for the handwritten signature
        elif t == "inline":
            pattern = _pattern(tok)
            if row is not None:
                row.append(pattern)
            elif column is not None:
                column.append(pattern)
            else:
                blocks.append(Block(heading or ("bullet" if list_depth else "paragraph"), pattern))
    return tuple(blocks)


def to_blocks(parts: list[str], values: list) -> list[Block]:
    """The document's blocks: each part's skeleton with this territory's values."""
    blocks: list[Block] = []
    seen_title = False
    for part in parts:
        for skeleton in _skeleton(part):
            kind = skeleton.kind
            if kind == "h1":  # the first is the document's title, the others open an annex
                kind = "annex_title" if seen_title else "title"
                seen_title = True
            blocks.append(Block(
                kind,
                _segments(skeleton.segments, values),
                rows=[[_segments(cell, values, sentences=False) for cell in row]
                      for row in skeleton.rows],
                aligns=skeleton.aligns,
                columns=[[None if line is None else _segments(line, values) for line in column]
                         for column in skeleton.columns],
            ))
    return blocks


def render_blocks(territory: Territory, missing: list[tuple[tuple, str]]) -> list[Block]:
    """The document's blocks; `missing` lists the facts still to complete
    (`validate.Checked.missing`)."""
    parts, values = render_markdown(territory, missing)
    return to_blocks(parts, values)
