"""`qp report`: the programme seen across its territories, one line each.

The lines are computed once, from the validated territories (`build`); then one small
function per output: the terminal's table (`terminal`), a CSV for French Excel
(`to_csv`), a workbook (`to_xlsx`), a self-contained web page with its charts
(`to_html`, templates/report.html.j2). Nothing here prints or exits; `write` puts a
file in place atomically, and user errors are `QPError`s.

- A territory file in error keeps its line (« N erreur(s) : qp validate FICHIER ») and
  stays out of the totals and charts; a report is refused only when no file at all can
  be read.
- A fact still « à compléter » (`model.Missing`) is shown as « à compléter ».
- Nothing depends on the clock: the same files give the same bytes, workbook included.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import textwrap
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from markupsafe import Markup, escape

from . import core, french, lifecycle, programme
from .errors import TO_COMPLETE, QPError, describe_os_error, pasteable
from .model import Missing, Territory
from .output import write_together

# --- financing by partner -------------------------------------------------------------

STATE = "Etat"
OTHERS = "Autres"
# The four national partners in the programme's order, then the State, then the others.
GROUPS: tuple[str, ...] = (*(p.short_name for p in programme.PARTNERS.values()), STATE, OTHERS)

GROUPING_NOTE = french.typography(
    "Financement par partenaire : chaque financeur des opérations (annexe 3) est rattaché "
    "à l'ANCT, à l'ANRU, à la Banque des Territoires ou à Bpifrance s'il nomme ce "
    "partenaire (nom ou sigle, sans égard aux majuscules ni aux accents : « Banque des "
    "territoires », « ANRU (NPNRU) »), à « Etat » s'il commence par « Etat » ou « État » "
    "(« Etat (DSIL) »), et sinon à « Autres » (collectivités, entreprises, autres "
    "financeurs).")


_fold = french.fold  # (validate warns of a financeur written two ways with it too)


def _partner_names(partner: programme.Partner) -> set[str]:
    """How a financing line may name a partner: its short name, its full name, and the
    full name's two halves (« Agence Nationale … (ANCT) »: the name, the acronym)."""
    names = {partner.short_name, partner.full_name}
    match = re.fullmatch(r"(.*?)\s*\((.*)\)", partner.full_name)
    if match:
        names |= {match.group(1), match.group(2)}
    return {_fold(name) for name in names if _fold(name)}


_PARTNER_PATTERNS = [
    (p.short_name, re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, _partner_names(p)))) + r")\b"))
    for p in programme.PARTNERS.values()
]
_STATE_PATTERN = re.compile(r"(?:l )?etat\b")  # « Etat », « État (DSIL) », « l'Etat »


def financing_group(financeur: str | Missing) -> str:
    """The group of GROUPS a financing line's free-text `financeur` belongs to (a financeur
    still « à compléter » is none of the partners: « Autres »)."""
    if isinstance(financeur, Missing):
        return OTHERS
    folded = _fold(financeur)
    for name, pattern in _PARTNER_PATTERNS:
        if pattern.search(folded):
            return name
    if _STATE_PATTERN.match(folded):
        return STATE
    return OTHERS


# --- the lines, computed once ---------------------------------------------------------

# A value of a line: a text, a date, None (not given), or TO_COMPLETE (« à compléter »).
Value = Any


@dataclass(frozen=True)
class Line:
    """One territory file as the report shows it; `errors` > 0: unreadable, only its
    name and path are known."""

    name: str
    path: Path
    errors: int = 0
    intercommunalite: Value = None
    departements: tuple[str, ...] = ()
    statut: Value = None  # « projet », « signée »
    signed: bool = False
    signature: Value = None  # the convention's signature date (a draft's planned date)
    chef_de_file: Value = None  # short name, as the signed avenants have changed it
    pilotage: Value = None
    labellisation: dt.date | None = None
    roadmap_due: dt.date | None = None
    roadmap_signed: Value = None  # the feuille de route's own signature
    roadmap_revised: tuple[dt.date, int] | None = None  # the last revision in force, its avenant
    end: dt.date | None = None
    extended: bool = False  # the end of validity moved by a signed avenant
    avenants: tuple[str, ...] = ()  # what the avenants in force change
    axes: int = 0
    operations: int = 0
    cost: Decimal = Decimal(0)
    by_group: dict[str, Decimal] = field(default_factory=dict)  # every group of GROUPS
    by_field: dict[str, Decimal] = field(default_factory=dict)  # every domain of FIELDS
    others: tuple[str, ...] = ()  # the financeurs counted in « Autres », as written
    to_complete: int = 0

    @property
    def readable(self) -> bool:
        return not self.errors

    @property
    def error_text(self) -> str:
        return f"{self.errors} erreur(s) : qp validate {pasteable(self.path)}"


def _value(value: Any, names: dict[str, str] | None = None) -> Value:
    """A territory's value for the report: its display name, « à compléter » for a Missing."""
    if isinstance(value, Missing):
        return TO_COMPLETE
    if value is None or names is None:
        return value
    return names[value]


def _line(path: Path, territory: Territory, to_complete: int) -> Line:
    by_group = dict.fromkeys(GROUPS, Decimal(0))
    by_field = dict.fromkeys(programme.FIELDS, Decimal(0))
    domain_of = {axis.code: axis.domaine for axis in territory.annexe_2_axes}
    others: dict[str, None] = {}
    for operation in territory.annexe_3_operations:
        by_field[domain_of[operation.axe]] += operation.cout_total  # (rules: a declared axis)
        for financing in operation.financements:
            group = financing_group(financing.financeur)
            by_group[group] += financing.montant
            if group == OTHERS and isinstance(financing.financeur, str):
                others[financing.financeur] = None
    roadmap = lifecycle.roadmap(territory)
    revised = roadmap.revised_by
    return Line(
        name=path.stem, path=path,
        intercommunalite=_value(territory.intercommunalite.nom),
        departements=tuple(territory.intercommunalite.departements),
        statut=_value(territory.statut, programme.CONVENTION_STATUSES),
        signed=territory.statut == "signee",
        signature=_value(territory.signature.date),
        chef_de_file=_value(lifecycle.current(territory, "chef_de_file"), programme.PARTNERS_SHORT),
        pilotage=_value(lifecycle.current(territory, "pilotage"), programme.LOCAL_STEERING),
        labellisation=territory.labellisation,
        roadmap_due=lifecycle.roadmap_due(territory),
        roadmap_signed=_value(territory.feuille_de_route.date),
        roadmap_revised=(roadmap.date, revised.numero) if revised is not None else None,
        end=lifecycle.end_of_validity(territory),
        extended=lifecycle.duration_months(territory) != programme.VALIDITY_MONTHS,
        avenants=tuple(programme.AVENANT_OBJECTS[a.objet] for a in lifecycle.in_force(territory)),
        axes=len(territory.annexe_2_axes),
        operations=len(territory.annexe_3_operations),
        cost=sum((op.cout_total for op in territory.annexe_3_operations), Decimal(0)),
        by_group=by_group, by_field=by_field, others=tuple(others), to_complete=to_complete)


@dataclass(frozen=True)
class Report:
    folder: Path
    lines: tuple[Line, ...]

    @property
    def readable(self) -> list[Line]:
        return [line for line in self.lines if line.readable]

    @property
    def in_error(self) -> list[Line]:
        return [line for line in self.lines if not line.readable]

    @property
    def signed(self) -> int:
        return sum(line.signed for line in self.readable)

    @property
    def roadmaps_signed(self) -> int:
        return sum(isinstance(line.roadmap_signed, dt.date) for line in self.readable)

    @property
    def axes(self) -> int:
        return sum(line.axes for line in self.readable)

    @property
    def operations(self) -> int:
        return sum(line.operations for line in self.readable)

    @property
    def cost(self) -> Decimal:
        return sum((line.cost for line in self.readable), Decimal(0))

    @property
    def others_note(self) -> str:
        """Which financeurs « Autres » holds: where a partner written otherwise (« BPI
        France ») would show, to be written as the rule reads it."""
        names = sorted({name for line in self.readable for name in line.others},
                       key=lambda name: (_fold(name), name))
        if not names:
            return ""
        return french.typography(f"Comptés dans « Autres » : {' ; '.join(names)}.")

    @property
    def by_group(self) -> dict[str, Decimal]:
        return {group: sum((line.by_group[group] for line in self.readable), Decimal(0))
                for group in GROUPS}

    @property
    def by_field(self) -> dict[str, Decimal]:
        return {code: sum((line.by_field[code] for line in self.readable), Decimal(0))
                for code in programme.FIELDS}

    @property
    def national_share(self) -> Decimal:
        """What the four national partners finance together."""
        return sum((self.by_group[p.short_name] for p in programme.PARTNERS.values()), Decimal(0))


def build(folder: Path) -> Report:
    """Every territory file of `folder`, validated once; QPError if none can be read."""
    paths = core.territory_files(folder)
    if not paths:
        raise QPError(f"aucun fichier de territoire (.yaml) dans {folder}")
    lines = []
    for checked in core.validate(paths):
        if checked.territory is None:
            lines.append(Line(checked.path.stem, checked.path, errors=max(1, len(checked.errors))))
        else:
            lines.append(_line(checked.path, checked.territory, len(checked.warnings)))
    report = Report(folder, tuple(lines))
    if not report.readable:
        raise QPError(f"aucun territoire lisible dans {folder} : ses {len(lines)} fichier(s) "
                      f"sont en erreur ; qp validate {pasteable(folder)} dit lesquelles, ligne par ligne")
    return report


# --- shared formats -------------------------------------------------------------------

def shown(value: Value) -> str:
    """A text of a line: « à compléter » as it is, « — » when not given."""
    return "—" if value is None else str(value)


def short_date(value: Value) -> str:
    """« 22/09/2021 »; « à compléter »; « — » when not given."""
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return "—" if value is None else str(value)


def long_date(value: Value) -> str:
    """« 22 septembre 2021 »; « à compléter »; « — » when not given."""
    if isinstance(value, dt.date):
        return french.date_long(value)
    return "—" if value is None else str(value)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count < 2 else (many or one + 's')}"


def _shares(amounts: dict[str, Decimal], total: Decimal) -> list[tuple[str, Decimal, str]]:
    """(name, amount, « 24,7 % ») for each non-zero amount, one number of decimals for all."""
    decimals = french.share_decimals((amount, total) for amount in amounts.values())
    return [(name, amount, french.percent(amount, total, decimals))
            for name, amount in amounts.items() if amount]


def _roadmap_words(line: Line) -> str:
    due = long_date(line.roadmap_due)
    if isinstance(line.roadmap_signed, dt.date):
        revised = ""
        if line.roadmap_revised is not None:
            day, number = line.roadmap_revised
            when = f"le {long_date(day)}" if isinstance(day, dt.date) else "à une date à compléter"
            revised = f", révisée {when} (avenant n°\u00a0{number})"
        return f"signée le {long_date(line.roadmap_signed)}{revised} (attendue le {due})"
    if line.roadmap_signed == TO_COMPLETE:
        return f"signature à compléter (attendue le {due})"
    return f"attendue le {due}"


# --- terminal -------------------------------------------------------------------------

WIDTH = 80
_TERMINAL_NAMES = {"Banque des Territoires": "BdT"}  # (80 columns; said below the table)

Printed = tuple  # the parts of one line, for screen.say: texts and (text, style) pairs


def terminal(report: Report, detail: bool = False) -> list[Printed]:
    """The table, within 80 columns; with `detail`, a block per territory below it."""
    headers = ("Territoire", "Statut", "Chef de file", "Fin", "Op.", "Coût total")
    right = (False, False, False, False, True, True)
    cells = {line.name: (line.name, shown(line.statut),
                         _TERMINAL_NAMES.get(line.chef_de_file, shown(line.chef_de_file)),
                         short_date(line.end), str(line.operations), french.euros(line.cost))
             for line in report.readable}
    total = (str(report.operations), french.euros(report.cost))
    widths = [max(len(headers[i]), *(len(row[i]) for row in cells.values())) for i in range(6)]
    widths[4] = max(widths[4], len(total[0]))
    widths[5] = max(widths[5], len(total[1]))
    widths[0] = max(len(headers[0]), *(len(line.name) for line in report.lines))
    others = sum(widths[1:]) + 2 * (len(widths) - 1)
    widths[0] = max(8, min(widths[0], WIDTH - others))  # a long name is shortened, not the line

    def row(values: tuple[str, ...]) -> str:
        return "  ".join(_fit(value, width, align)
                         for value, width, align in zip(values, widths, right)).rstrip()

    printed: list[Printed] = [(row(headers),)]
    for line in report.lines:
        if line.readable:
            printed.append((row(cells[line.name]),))
        else:
            printed.append((_fit(line.name, widths[0], False) + "  ", (line.error_text, "red")))
    label_width = sum(widths[:4]) + 2 * 3
    label = _fit(f"Ensemble : {_plural(len(report.readable), 'territoire')}", label_width, False)
    printed.append((label + "  " + "  ".join(
        _fit(value, width, True) for value, width in zip(total, widths[4:])),))
    if any(line.chef_de_file in _TERMINAL_NAMES for line in report.readable):
        printed.append(("BdT : Banque des Territoires.",))
    if report.in_error:
        printed.append(((f"{_plural(len(report.in_error), 'territoire')} en erreur, hors "
                         f"totaux : qp validate {pasteable(report.folder)} dit quoi corriger", "red"),))
    if not detail:
        printed.append(("Détail (pilotage, feuille de route, financeurs) : qp report --detail",))
        return printed
    for line in report.readable:
        printed.append(("",))
        printed += [(text,) for text in _detail(line)]
    printed.append(("",))
    printed += [(text,) for text in _wrap(GROUPING_NOTE, "")]
    if report.others_note:
        printed += [(text,) for text in _wrap(report.others_note, "")]
    return printed


def _fit(value: str, width: int, right: bool) -> str:
    if len(value) > width:
        value = value[:width - 1] + "…"
    return value.rjust(width) if right else value.ljust(width)


def _wrap(text: str, indent: str) -> list[str]:
    """Lines of at most 80 columns (amounts and dates keep their non-breaking spaces)."""
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=False, break_on_hyphens=False)


def _detail(line: Line) -> list[str]:
    places = f" ({', '.join(line.departements)})" if line.departements else ""
    signature = (f"signée le {long_date(line.signature)}" if line.signed
                 else f"projet, signature prévue le {long_date(line.signature)}"
                 if isinstance(line.signature, dt.date)
                 else f"projet, date de signature : {long_date(line.signature)}")
    end = long_date(line.end) + (" (prolongée par avenant)" if line.extended else "")
    facts = [
        f"{line.name} — {shown(line.intercommunalite)}{places}",
        f"Convention : {signature} ; fin de validité : {end}",
        f"Chef de file : {shown(line.chef_de_file)} ; pilotage : {shown(line.pilotage)}",
        f"Feuille de route : {_roadmap_words(line)}",
    ]
    if line.avenants:
        facts.append(f"Avenants en vigueur : {len(line.avenants)} ({', '.join(line.avenants)})")
    facts.append(f"Annexes : {_plural(line.axes, 'axe')}, {_plural(line.operations, 'opération')}, "
                 f"coût total {french.euros(line.cost)}")
    if line.cost:
        facts.append("Financement : " + ", ".join(
            f"{name} {french.euros(amount)} ({share})"
            for name, amount, share in _shares(line.by_group, line.cost)))
        facts.append("Par domaine : " + ", ".join(
            f"{programme.FIELDS[code]} {french.euros(amount)} ({share})"
            for code, amount, share in _shares(line.by_field, line.cost)))
    facts.append(f"À compléter : {line.to_complete}"
                 + (f" (qp validate {pasteable(line.path)})" if line.to_complete else ""))
    printed = _wrap(facts[0], "")
    for fact in facts[1:]:
        printed += _wrap(fact, "  ")
    return printed


# --- CSV and workbook: one column list ------------------------------------------------

TEXT, DATE, COUNT, EUROS = "text", "date", "count", "euros"


@dataclass(frozen=True)
class Column:
    header: str
    kind: str
    value: Any  # Line -> the cell's value (None: empty)
    width: int  # in the workbook, in characters


COLUMNS: tuple[Column, ...] = (
    Column("Territoire", TEXT, lambda l: l.name, 24),
    Column("Intercommunalité", TEXT, lambda l: l.intercommunalite, 40),
    Column("Départements", TEXT, lambda l: ", ".join(l.departements) or None, 18),
    Column("Statut", TEXT, lambda l: l.statut, 9),
    Column("Date de signature", DATE, lambda l: l.signature, 12),
    Column("Chef de file", TEXT, lambda l: l.chef_de_file, 22),
    Column("Pilotage", TEXT, lambda l: l.pilotage, 14),
    Column("Feuille de route attendue le", DATE, lambda l: l.roadmap_due, 12),
    Column("Feuille de route signée le", DATE, lambda l: l.roadmap_signed, 12),
    Column("Fin de validité", DATE, lambda l: l.end, 12),
    Column("Axes", COUNT, lambda l: l.axes, 7),
    Column("Opérations", COUNT, lambda l: l.operations, 11),
    Column("Coût total (€)", EUROS, lambda l: l.cost, 16),
    *(Column(f"{group} (€)", EUROS, lambda l, g=group: l.by_group[g], 15) for group in GROUPS),
    *(Column(f"{name} (€)", EUROS, lambda l, c=code: l.by_field[c], 18)
      for code, name in programme.FIELDS.items()),
    Column("Faits à compléter", COUNT, lambda l: l.to_complete, 11),
    Column("Erreurs", TEXT, lambda l: None, 40),
)


def _cells(line: Line) -> list[Any]:
    if not line.readable:
        return [line.name, *(None,) * (len(COLUMNS) - 2), line.error_text]
    return [column.value(line) for column in COLUMNS]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _as_text(value: str) -> str:
    """A text a spreadsheet would take for a formula (« =… », « +… ») is kept a text:
    a value from a territory file is data, never a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_amount(amount: Decimal) -> str:
    """« 1250000 », « 800000,50 »: a number for French Excel (decimal comma, no
    thousands separator)."""
    if amount == amount.to_integral_value():
        return f"{amount:.0f}"
    return f"{amount:.2f}".replace(".", ",")


def _csv_cell(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == EUROS and isinstance(value, Decimal):
        return _csv_amount(value)
    if kind == DATE and isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if kind == COUNT:
        return str(value)
    return _as_text(str(value))


def to_csv(report: Report) -> bytes:
    """`;`-separated, UTF-8 with BOM, CRLF: French Excel opens it with its accents, its
    dates and its amounts as numbers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.header for column in COLUMNS])
    for line in report.lines:
        writer.writerow([_csv_cell(column.kind, value)
                         for column, value in zip(COLUMNS, _cells(line))])
    return buffer.getvalue().encode("utf-8-sig")


EURO_FORMAT = '#,##0.00 "€"'  # French Excel shows « 1 250 000,00 € »
DATE_FORMAT = "DD/MM/YYYY"
PERCENT_FORMAT = "0.0%"
_FIXED_MOMENT = dt.datetime.combine(programme.LABELLISATION, dt.time())  # not the clock's
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def to_xlsx(report: Report) -> bytes:
    """A workbook: « Territoires » (header frozen, filters, amounts in euros, real
    dates) and « Synthèse » (the programme's totals and how financings are grouped)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Territoires"
    bold, header_fill = Font(bold=True), PatternFill("solid", fgColor="E8EAF0")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(1, index, column.header)
        cell.font, cell.fill = bold, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for row, line in enumerate(report.lines, start=2):
        for index, (column, value) in enumerate(zip(COLUMNS, _cells(line)), start=1):
            _put(sheet.cell(row, index), column.kind, value)
            if not line.readable and index == len(COLUMNS):
                sheet.cell(row, index).font = Font(color="C00000")
    last = f"{get_column_letter(len(COLUMNS))}{len(report.lines) + 1}"
    sheet.freeze_panes = "B2"  # the header row and the territory's name stay in view
    sheet.auto_filter.ref = f"A1:{last}"
    sheet.row_dimensions[1].height = 45
    _print_setup(sheet)  # 24 columns over several pages, each with the header and the names
    sheet.print_title_rows, sheet.print_title_cols = "1:1", "A:A"

    summary = workbook.create_sheet("Synthèse")
    _summary(summary, report, bold)
    _print_setup(summary)
    summary.page_setup.fitToWidth, summary.page_setup.fitToHeight = 1, 0
    summary.sheet_properties.pageSetUpPr.fitToPage = True

    properties = workbook.properties
    properties.title = "Programme Quartiers productifs : rapport des territoires"
    properties.creator = properties.lastModifiedBy = "qp-conventions"
    properties.language = "fr-FR"
    properties.created = properties.modified = _FIXED_MOMENT
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    # openpyxl dates each part of the package with the clock: the same parts, dated once
    # and for all, give the same bytes for the same territories
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(fixed, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return fixed.getvalue()


def _put(cell, kind: str, value: Any) -> None:
    cell.value = value
    if kind == EUROS and isinstance(value, Decimal):
        cell.value = float(value) if value != value.to_integral_value() else int(value)
        cell.number_format = EURO_FORMAT
    elif kind == DATE and isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text begins with


def _print_setup(sheet) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4


def _summary(sheet, report: Report, bold) -> None:
    """The programme's figures, then each chart's table, then the notes."""
    from openpyxl.styles import Alignment

    rows: list[tuple] = [
        ("Programme Quartiers productifs : synthèse",),
        (),
        ("Territoires lisibles", len(report.readable)),
        ("Territoires en erreur (hors totaux)", len(report.in_error)),
        ("Conventions signées", report.signed),
        ("Feuilles de route signées", report.roadmaps_signed),
        ("Axes stratégiques", report.axes),
        ("Opérations", report.operations),
        ("Coût total des opérations", report.cost),
        (),
        ("Financement par partenaire", "Montant", "Part"),
        *((group, amount, amount / report.cost if report.cost else Decimal(0))
          for group, amount in report.by_group.items()),
        (),
        ("Coût par domaine d'intervention", "Montant", "Part"),
        *((programme.FIELDS[code], amount, amount / report.cost if report.cost else Decimal(0))
          for code, amount in report.by_field.items()),
        (),
        (GROUPING_NOTE,),
        *([(report.others_note,)] if report.others_note else []),
        ("Un fait « à compléter » est un fait que le fichier du territoire ne donne pas "
         "encore ; qp validate le nomme.",),
    ]
    for number, values in enumerate(rows, start=1):
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(number, index)
            if isinstance(value, Decimal) and index == 3:
                cell.value, cell.number_format = float(value), PERCENT_FORMAT
            elif isinstance(value, Decimal):
                _put(cell, EUROS, value)
            else:
                _put(cell, TEXT, value)
        if len(values) == 3 and values[1] == "Montant" or number == 1:
            for index in range(1, len(values) + 1):
                sheet.cell(number, index).font = bold
                if index > 1:  # over their figures
                    sheet.cell(number, index).alignment = Alignment(horizontal="right")
    sheet.column_dimensions["A"].width = 58
    sheet.column_dimensions["B"].width = 18
    sheet.column_dimensions["C"].width = 9
    for number in (len(rows) - 1, len(rows)):  # the notes, on one wide wrapped cell
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=3)
        sheet.cell(number, 1).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[number].height = 75 if number == len(rows) - 1 else 30


# --- web page -------------------------------------------------------------------------

# Each group's colour in the charts (mostly Okabe-Ito's colour-blind-safe set, the State
# in indigo), each domain's, and the timeline's; each used by one thing only on the page
# (tests/test_report.py finds each chart by its colours on a screenshot).
GROUP_COLOURS = {"ANCT": "#56B4E9", "ANRU": "#E69F00", "Banque des Territoires": "#009E73",
                 "Bpifrance": "#CC79A7", STATE: "#303F9F", OTHERS: "#A39E93"}
FIELD_COLOURS = {"entrepreneuriat": "#D55E00", "commerce_artisanat": "#7B3294",
                 "activites_productives": "#1B7837"}
VALIDITY_COLOUR = "#C6DBEF"
CONVENTION_COLOUR = "#08519C"
ROADMAP_DUE_COLOUR = "#D62728"
ROADMAP_SIGNED_COLOUR = "#2CA02C"


def to_html(report: Report) -> bytes:
    """One self-contained page: no script, no font, no image fetched from anywhere."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from . import __version__
    from .render import templates_dir

    env = Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(euros=french.euros, short_date=short_date, amount=_table_amount)
    html = env.get_template("report.html.j2").render(
        report=report, groups=GROUPS, to_complete=TO_COMPLETE,
        group_colours=GROUP_COLOURS,
        colours={"validity": VALIDITY_COLOUR, "convention": CONVENTION_COLOUR,
                 "roadmap_due": ROADMAP_DUE_COLOUR, "roadmap_signed": ROADMAP_SIGNED_COLOUR},
        grouping_note=GROUPING_NOTE, version=__version__, plural=_plural,
        national_share=french.percent(report.national_share, report.cost, 1)
        if report.cost else None,
        partner_chart=bar_chart(
            [(group, amount, GROUP_COLOURS[group]) for group, amount in report.by_group.items()],
            "Financement des opérations par partenaire"),
        field_chart=bar_chart(
            [(programme.FIELDS[code], amount, FIELD_COLOURS[code])
             for code, amount in report.by_field.items()],
            "Coût des opérations par domaine d'intervention"),
        timelines=timeline_charts(report.readable))
    return html.encode("utf-8")


def _table_amount(amount: Decimal) -> str:
    """An amount in a table of the page: « – » for none, so the figures stand out."""
    return french.euros(amount) if amount else "–"


def _svg(width: float, height: float, title: str, body: Iterable[str]) -> Markup:
    return Markup(
        f'<svg viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: float = 13,
          weight: str = "normal", fill: str = "#1e1e1e") -> str:
    return (f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}">{escape(text)}</text>')


def bar_chart(items: list[tuple[str, Decimal, str]], title: str) -> Markup:
    """Horizontal bars, one per (label, amount, colour), each with its amount and share;
    a colour square before each label, so the legend is there even with no amount."""
    width, label_width, value_width, bar_height, gap = 560, 215, 150, 22, 14
    total = sum((amount for _, amount, _ in items), Decimal(0))
    biggest = max((amount for _, amount, _ in items), default=Decimal(0))
    decimals = french.share_decimals((amount, total) for _, amount, _ in items)
    body, y = [], 8
    for label, amount, colour in items:
        lines = textwrap.wrap(label, 26) or [""]
        height = max(bar_height, 16 * len(lines) + 4)
        middle = y + height / 2
        body.append(f'<rect x="0" y="{middle - 6:g}" width="12" height="12" fill="{colour}"/>')
        first = middle - 8 * (len(lines) - 1) + 4.5
        body += [_text(18, first + 16 * i, text) for i, text in enumerate(lines)]
        length = float(amount / biggest) * (width - label_width - value_width) if biggest else 0
        if length:
            body.append(f'<rect x="{label_width}" y="{middle - bar_height / 2:g}" '
                        f'width="{length:.1f}" height="{bar_height}" fill="{colour}">'
                        f"<title>{escape(label)} : {escape(french.euros(amount))}</title></rect>")
        value = french.euros(amount) + (
            f" · {french.percent(amount, total, decimals)}" if total else "")
        body.append(_text(label_width + length + 6, middle + 4.5, value, size=12))
        y += height + gap
    body.append(f'<line x1="{label_width}" y1="2" x2="{label_width}" y2="{y - gap + 6}" '
                f'stroke="#6b6b6b" stroke-width="1"/>')
    return _svg(width, y - gap + 8, title, body)


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


# Rows of one timeline picture: at most what an A4 landscape page holds, so that a
# printed report of 30 or 300 territories splits between pictures, never across a row.
TIMELINE_ROWS = 15


def timeline_charts(lines: list[Line]) -> list[Markup]:
    """One row per territory, in two lanes: above, the convention (its validity from the
    labellisation to its end, its signature); below, the feuille de route (its due date
    and, once signed, its signature). Two dates a few days apart never hide each other.
    Every TIMELINE_ROWS rows a new picture, with its years, on the same scale."""
    label_width, plot_width, row_height, top = 190, 780, 32, 34
    width = label_width + plot_width + 20
    days = [d for line in lines for d in (line.labellisation, line.end, line.signature,
                                           line.roadmap_due, line.roadmap_signed)
            if isinstance(d, dt.date)]
    start = _quarter_start(min(days))
    end = lifecycle.add_months(_quarter_start(max(days)), 3)
    span = (end - start).days

    def x(day: dt.date) -> float:
        return label_width + (day - start).days / span * plot_width

    def chart(rows: list[Line]) -> Markup:
        height = top + row_height * len(rows) + 8
        body = []
        for number in range(1, len(rows), 2):  # every other row shaded
            body.append(f'<rect x="0" y="{top + row_height * number}" width="{width}" '
                        f'height="{row_height}" fill="#f4f5f8"/>')
        quarter = start
        while quarter <= end:  # a light line each quarter, the year's name each January
            strong = quarter.month == 1
            body.append(f'<line x1="{x(quarter):.1f}" y1="{top - 6}" x2="{x(quarter):.1f}" '
                        f'y2="{height - 8}" stroke="{"#9a9a9a" if strong else "#e1e1e1"}" '
                        'stroke-width="1"/>')
            if strong:
                body.append(_text(x(quarter) + 4, top - 12, str(quarter.year), size=12,
                                  weight="bold"))
            quarter = lifecycle.add_months(quarter, 3)
        for number, line in enumerate(rows):
            body += row(line, top + row_height * number + row_height / 2)
        return _svg(width, height, "Échéances des conventions", body)

    def row(line: Line, middle: float) -> list[str]:
        convention, roadmap = middle - 6, middle + 8  # the two lanes
        body = [_text(label_width - 8, middle + 4.5, line.name, anchor="end")]
        left, right = x(line.labellisation), x(line.end)
        body.append(
            f'<rect x="{left:.1f}" y="{convention - 4:g}" width="{right - left:.1f}" height="8" '
            f'fill="{VALIDITY_COLOUR}"><title>{escape(line.name)} : convention valable du '
            f"{escape(long_date(line.labellisation))} au {escape(long_date(line.end))}"
            "</title></rect>")
        body.append(f'<rect x="{right - 1.5:.1f}" y="{convention - 7:g}" width="3" height="14" '
                    f'fill="{CONVENTION_COLOUR}"/>')
        if isinstance(line.signature, dt.date):
            hollow = not line.signed
            body.append(
                f'<circle cx="{x(line.signature):.1f}" cy="{convention:g}" r="4.5" '
                f'fill="{"#ffffff" if hollow else CONVENTION_COLOUR}" stroke="{CONVENTION_COLOUR}" '
                f'stroke-width="2"><title>{escape(line.name)} : convention '
                f'{"non signée, date prévue" if hollow else "signée"} le '
                f"{escape(long_date(line.signature))}</title></circle>")
        signed = isinstance(line.roadmap_signed, dt.date)
        body.append(_diamond(x(line.roadmap_due), roadmap, "#ffffff" if signed else ROADMAP_DUE_COLOUR,
                             ROADMAP_DUE_COLOUR,
                             f"{line.name} : feuille de route attendue le "
                             f"{long_date(line.roadmap_due)}"))
        if signed:
            body.append(_diamond(x(line.roadmap_signed), roadmap, ROADMAP_SIGNED_COLOUR,
                                 ROADMAP_SIGNED_COLOUR,
                                 f"{line.name} : feuille de route signée le "
                                 f"{long_date(line.roadmap_signed)}"))
        return body

    return [chart(lines[i:i + TIMELINE_ROWS]) for i in range(0, len(lines), TIMELINE_ROWS)]


def _diamond(cx: float, cy: float, fill: str, stroke: str, title: str) -> str:
    points = f"{cx:.1f},{cy - 6:g} {cx + 6:.1f},{cy:g} {cx:.1f},{cy + 6:g} {cx - 6:.1f},{cy:g}"
    return (f'<polygon points="{points}" fill="{fill}" stroke="{stroke}" stroke-width="1.5">'
            f"<title>{escape(title)}</title></polygon>")


# --- writing --------------------------------------------------------------------------

def write(files: dict[Path, bytes]) -> None:
    """Put the report's files in place, all or none (never a partial file); their folders
    must exist."""
    for path in files:
        if path.is_dir():
            raise QPError(f"{path} est un dossier : indiquez le nom du fichier à écrire")
        if not path.parent.is_dir():
            raise QPError(f"{path} : le dossier {path.parent} n'existe pas ; créez-le ou "
                          "indiquez un autre chemin")
    try:
        write_together(files)
    except OSError as exc:
        where = f"{exc.filename} : " if exc.filename else ""
        raise QPError(f"écriture impossible ({where}{describe_os_error(exc)}) : aucun fichier "
                      "du rapport n'a été écrit") from None
