"""`qp import-operations`: annex 3 of a territory file (`annexe_3_operations`) from the
spreadsheet of operations a territory's finance team keeps, one row per financing line.

Rows are grouped into operations by their code: an operation's own columns agree on
all its rows (or are left empty after the first), and each row adds one financing. Each
cell is read as French Excel shows it (« 1 250 000,50 € », 01/11/2021, « Engagée »);
what cannot be read is a problem at its cell (« Opérations!F7 : … »). The operations
that read well then go through the territory file's own validation (the schema, the
rules: financings that add up to the cost, axes of annex 2, dates in order), whose
problems are told at the cells they come from. Nothing is written unless there is no
problem at all; then only the annex's lines of the territory file change.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

import yaml

from . import lifecycle, programme, rules
from .errors import InvalidTerritory, Problem, QPError, describe_os_error, field_path
from .french import euros, join_and, join_or
from .loader import FORBIDDEN_CHARS, MAX_FILE_BYTES, forbidden_message, load_territory_file
from .model import MAX_AMOUNT, Territory
from .output import ChangedMeanwhile, rewrite
from .spreadsheet import (ERROR, UNCALCULATED, Cell, CellProblem, Column, SpreadsheetError, Table,
                          fold, read_table, write_template)
from .validate import check_file
from .yaml_edit import replace_block

ANNEX = "annexe_3_operations"

STATUS_LABELS = list(programme.OPERATION_STATUSES.values())

# The columns, in the order of the model workbook: the territory file's key, and how
# the spreadsheet names it (headers are compared without case, accents, spaces,
# apostrophes, nor a note in brackets: « Coût total (€) » is « Coût total »).
COLUMNS: dict[str, Column] = {
    "code": Column(
        "Code", 10, "@", "oui, sur chaque ligne",
        "Code de l'opération. Les lignes d'un même code forment une opération : une ligne "
        "par financeur.", "OP1"),
    "intitule": Column(
        "Intitulé", 40, "@", "oui",
        "Intitulé de l'opération.", "Maison de la création d'entreprise"),
    "axe": Column(
        "Axe", 8, "@", "oui",
        "Code d'un axe stratégique de l'annexe 2 du fichier du territoire.", "A1"),
    "qpv": Column(
        "QPV", 30, "@", "non",
        "Quartiers prioritaires concernés, séparés par « ; » (ou par « , » si aucun nom "
        "n'en contient).", "Quartier des Tilleuls ; Quartier du Moulin"),
    "maitre_ouvrage": Column(
        "Maître d'ouvrage", 30, "@", "oui",
        "Qui porte l'opération.", "Communauté d'agglomération"),
    "cout_total": Column(
        "Coût total", 16, '#,##0.00 "€"', "oui",
        "Coût total de l'opération, en euros (centimes : deux décimales au plus). La somme "
        "des montants de ses lignes doit lui être égale.", "1 250 000,00 €"),
    "financeur": Column(
        "Financeur", 30, "@", "oui, sur chaque ligne",
        "Le financeur de cette ligne.", "Banque des Territoires"),
    "montant": Column(
        "Montant", 16, '#,##0.00 "€"', "oui, sur chaque ligne",
        "Le montant qu'apporte ce financeur, en euros.", "450 000,00 €"),
    "debut": Column(
        "Début", 12, "DD/MM/YYYY", "oui",
        "Date de début de l'opération (JJ/MM/AAAA).", "01/11/2021"),
    "fin": Column(
        "Fin", 12, "DD/MM/YYYY", "oui",
        "Date de fin de l'opération (JJ/MM/AAAA), après son début.", "30/06/2023"),
    "statut": Column(
        "Statut", 14, "@", "oui",
        f"Où en est l'opération : {join_or(STATUS_LABELS)} (liste proposée dans la "
        "cellule).", "Engagée"),
}
HEADERS = [column.header for column in COLUMNS.values()]
# An operation's own columns (the same on all its rows); the others are its financing's.
OPERATION_FIELDS = ("intitule", "axe", "qpv", "maitre_ouvrage", "cout_total", "debut", "fin",
                    "statut")
REQUIRED = ("intitule", "axe", "maitre_ouvrage", "cout_total", "debut", "fin", "statut")
# What a message calls each value (« montant illisible », « intitulé manquant »).
NAMES = {"code": "code de l'opération", "intitule": "intitulé", "axe": "axe",
         "qpv": "quartier prioritaire", "maitre_ouvrage": "maître d'ouvrage",
         "cout_total": "coût total", "financeur": "financeur", "montant": "montant",
         "debut": "date de début", "fin": "date de fin", "statut": "statut"}
_FEMININE = ("debut", "fin")

GUIDE = [
    "Tableau des opérations (annexe 3 de la convention d'engagement Quartiers productifs)",
    "Une ligne par financement : une opération financée par trois financeurs occupe trois "
    "lignes, avec le même code.",
    "Les colonnes de l'opération (de l'intitulé au coût total, les dates et le statut) "
    "peuvent n'être remplies que sur sa première ligne ; remplies sur plusieurs lignes, "
    "elles y sont identiques.",
    "Les en-têtes de la feuille « Opérations » ne se changent pas (majuscules, accents et "
    "espaces sont indifférents) ; n'ajoutez pas de colonne ni de ligne de total.",
    "Montants en euros (1 250 000,50 € ou 1250000,5) ; dates au format JJ/MM/AAAA.",
    "Import : qp import-operations TERRITOIRE operations.xlsx (ou un fichier CSV "
    "enregistré depuis Excel, « CSV (séparateur : point-virgule) »). Rien n'est écrit tant "
    "qu'une cellule pose problème : chacune est signalée (par exemple « Opérations!F7 »).",
]


@dataclass
class Imported:
    path: Path
    sheet: str | None  # the sheet read (None: a CSV file)
    operations: int
    financings: int
    warnings: list[Problem]
    replaced: int  # operations the file held before
    changed: bool  # False: the file already said exactly this


class Unreadable(Exception):
    """A cell whose value cannot be read; its message says why, in French."""


# --- reading one cell ----------------------------------------------------------------

def _shown(value: Any) -> str:
    """A cell's value as a message quotes it (a whole number without « .0 »)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        value = int(value)
    return str(value).strip()


# Excel stores its errors in English and shows them in the user's language.
_EXCEL_ERRORS = {"#VALUE!": "#VALEUR!", "#NAME?": "#NOM?", "#NUM!": "#NOMBRE!",
                 "#NULL!": "#NUL!", "#GETTING_DATA": "#CHARGEMENT_DONNEES"}


def _formula(cell: Cell) -> None:
    if cell.kind == ERROR:
        shown = _EXCEL_ERRORS.get(str(cell.value), str(cell.value))
        raise Unreadable(f"la formule de cette cellule donne l'erreur « {shown} » dans Excel : "
                         "corrigez-la")
    if cell.kind == UNCALCULATED:
        raise Unreadable("formule sans résultat enregistré (fichier écrit par un programme, "
                         "jamais ouvert dans un tableur) : ouvrez-le dans Excel ou LibreOffice, "
                         "enregistrez-le, puis relancez l'import")


def read_text(cell: Cell, name: str) -> str | None:
    """A text: Excel's line breaks within a cell (Alt+Entrée) and tabulations read as
    spaces, spaces run together; None when empty."""
    _formula(cell)
    value = cell.value
    if value is None:
        return None
    if isinstance(value, bool):
        raise Unreadable(f"{name} attendu, mais la cellule contient un oui/non "
                         f"({'VRAI' if value else 'FAUX'}) : écrivez un texte")
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        raise Unreadable(f"{name} attendu, mais Excel a lu une date ou une heure : mettez la "
                         "cellule au format Texte (Accueil > Nombre > Texte) et retapez la "
                         "valeur")
    if isinstance(value, (int, float)):
        return _shown(value)
    text = unicodedata.normalize("NFC", str(value))
    bad = FORBIDDEN_CHARS.search(text.replace("\r", " ").replace("\n", " "))
    if bad:
        raise Unreadable(forbidden_message(bad.group()))
    text = re.sub(r"[ \t\r\n]+", " ", text).strip()
    return text or None


_AMOUNT_TEXT = re.compile(r"(?P<sign>[-+]?)(?P<units>\d+)(?:(?P<comma>,\d+)|(?P<point>\.\d{1,2}))?")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u2009]+")
_CENT = Decimal("0.01")


def read_amount(cell: Cell, name: str) -> Decimal | None:
    """Euros as French Excel shows them: a number, « 1 250 000,50 € », « 1250000,5 »
    (spaces, no-break spaces or narrow no-break spaces between thousands), or a point
    before the cents (« 1250000.50 », as a program writes it)."""
    _formula(cell)
    value = cell.value
    if value is None:
        return None
    example = "écrivez un nombre, par exemple 1 250 000,50"
    if isinstance(value, bool) or isinstance(value, (dt.date, dt.time, dt.timedelta)):
        raise Unreadable(f"{name} illisible (la cellule contient "
                         f"{'un oui/non' if isinstance(value, bool) else 'une date'}) : {example}")
    if isinstance(value, (int, float)):
        try:
            amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except (InvalidOperation, ValueError):
            raise Unreadable(f"{name} illisible « {value} » : {example}") from None
        if not amount.is_finite():
            raise Unreadable(f"{name} illisible « {value} » : {example}")
        if abs(amount) <= MAX_AMOUNT and isinstance(value, float):
            # a formula's result: « 0,1 + 0,2 » is 0.30000000000000004, shown « 0,30 »
            cents = amount.quantize(_CENT)
            if abs(amount - cents) < Decimal("0.000001"):
                amount = cents
        shown = _shown(value)
    else:
        shown = str(value).strip()
        text = _SPACES.sub("", shown)
        text = re.sub(r"(?i)^(€|eur(os?)?)|(€|eur(os?)?)$", "", text)
        match = _AMOUNT_TEXT.fullmatch(text)
        if not match:
            raise Unreadable(f"{name} illisible « {shown} » : {example}")
        decimals = (match.group("comma") or match.group("point") or "").lstrip(",.")
        amount = Decimal(f"{match.group('sign')}{match.group('units')}"
                         f"{'.' + decimals if decimals else ''}")
    if amount < 0:
        raise Unreadable(f"{name} négatif « {shown} » : un montant est un nombre positif "
                         "d'euros")
    amount += 0  # (« -0 » is 0)
    if amount > MAX_AMOUNT:
        raise Unreadable(f"{name} démesuré « {shown} » : un montant ne dépasse pas "
                         "1 000 000 000 000 000 € (10 puissance 15)")
    if amount != amount.quantize(_CENT):
        raise Unreadable(f"{name} « {shown} » : deux décimales au plus (les centimes)")
    return amount.quantize(_CENT) if amount != amount.to_integral_value() else \
        amount.quantize(Decimal(1))


_DATE_TEXT = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SHORT_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}")


def read_date(cell: Cell, name: str) -> dt.date | None:
    """A date cell of Excel (its time of day ignored), or a text JJ/MM/AAAA (or
    AAAA-MM-JJ)."""
    _formula(cell)
    value = cell.value
    if value is None:
        return None
    example = "écrivez-la JJ/MM/AAAA, par exemple 01/11/2021"
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (dt.time, dt.timedelta)):
        raise Unreadable(f"{name} illisible (la cellule contient une heure ou une durée) : "
                         f"{example} (ou mettez la cellule au format Date)")
    if not isinstance(value, str):
        what = "un oui/non" if isinstance(value, bool) else "un nombre"
        raise Unreadable(f"{name} illisible « {_shown(value)} » (la cellule contient {what}) : "
                         f"{example} (ou mettez la cellule au format Date)")
    text = value.strip()
    if _SHORT_YEAR.fullmatch(text):
        raise Unreadable(f"{name} « {text} » : écrivez l'année en entier (JJ/MM/AAAA)")
    french, iso = _DATE_TEXT.fullmatch(text), _ISO_DATE.fullmatch(text)
    if not (french or iso):
        raise Unreadable(f"{name} illisible « {text} » : {example}")
    day, month, year = (int(g) for g in french.groups()[:3]) if french else \
        (int(g) for g in reversed(iso.groups()))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise Unreadable(f"{name} impossible « {text} » : ce jour n'existe pas") from None


def read_qpv(cell: Cell, name: str) -> list[str] | None:
    """Names separated by « ; », or by « , » when there is no « ; »."""
    text = read_text(cell, name)
    if text is None:
        return None
    names = [part.strip() for part in text.split(";" if ";" in text else ",")]
    return [n for n in names if n] or None


_STATUSES = {fold(key): code for code, label in programme.OPERATION_STATUSES.items()
             for key in (code, label)}


def read_status(cell: Cell, name: str) -> str | None:
    """The status's code (« engagee ») or its label (« Engagée », « en cours »)."""
    text = read_text(cell, name)
    if text is None:
        return None
    code = _STATUSES.get(fold(text))
    if code is None:
        close = difflib.get_close_matches(fold(text), list(_STATUSES), n=1, cutoff=0.6)
        hint = (f" (vouliez-vous dire « {programme.OPERATION_STATUSES[_STATUSES[close[0]]]} » ?)"
                if close else "")
        raise Unreadable(f"statut « {text} » inconnu{hint} : écrivez {join_or(STATUS_LABELS)}")
    return code


READERS: dict[str, Callable[[Cell, str], Any]] = {
    "code": read_text, "intitule": read_text, "axe": read_text, "qpv": read_qpv,
    "maitre_ouvrage": read_text, "cout_total": read_amount, "financeur": read_text,
    "montant": read_amount, "debut": read_date, "fin": read_date, "statut": read_status,
}


# --- the header row ------------------------------------------------------------------

_HEADER_KEYS = {fold(column.header): key for key, column in COLUMNS.items()}


def _header_key(value: Any) -> str:
    return fold(re.sub(r"\(.*?\)", "", str(value)))


def read_header(table: Table) -> tuple[dict[str, int], list[CellProblem], bool]:
    """The column of each field, from the header row (rows above it dropped from the
    table); the problems, and whether the rows can be read at all (every column there,
    once)."""
    problems: list[CellProblem] = []
    if not table.rows:
        return {}, [CellProblem(0, 0, table.source.name,
                                f"{table.description} est vide : la première ligne porte les "
                                f"en-têtes {', '.join(HEADERS)}, puis une ligne par "
                                "financement")], False
    # A title above the table (« Plan de financement 2022 ») is left out: the header row is
    # the first to name three columns, or else the first filled row.
    recognised = [sum(1 for cell in row if not cell.empty
                      and _header_key(cell.value) in _HEADER_KEYS) for row in table.rows[:20]]
    start = next((i for i, count in enumerate(recognised) if count >= 3), 0)
    del table.rows[:start]
    header = table.rows[0]
    expected = f"en-têtes attendus : {', '.join(HEADERS)}"
    for row, column, reference in table.merged_across:
        if row >= header[0].row:
            problems.append(table.problem(
                row, column, f"cellules fusionnées sur plusieurs colonnes ({reference}) : "
                             "chaque colonne a sa propre valeur ; annulez la fusion (Accueil > "
                             "Fusionner et centrer)"))
    for first, last, column, reference in table.merged_down:
        if first <= header[0].row < last:  # the header would be read as data below it
            problems.append(table.problem(
                header[0].row, column, f"en-tête fusionné avec les cellules du dessous "
                                       f"({reference}) : annulez la fusion (Accueil > "
                                       "Fusionner et centrer)"))
    columns: dict[str, int] = {}
    doubled = False
    for cell in header:
        if cell.empty:
            continue
        key = _HEADER_KEYS.get(_header_key(cell.value))
        if key is None:
            shown = _shown(cell.value)
            close = difflib.get_close_matches(_header_key(cell.value), list(_HEADER_KEYS), n=1,
                                              cutoff=0.5)
            hint = f" (vouliez-vous dire « {COLUMNS[_HEADER_KEYS[close[0]]].header} » ?)" \
                if close else ""
            problems.append(table.problem(cell.row, cell.column,
                                          f"en-tête « {shown} » inconnu{hint} : {expected} ; "
                                          "renommez la colonne, ou retirez-la"))
        elif key in columns:
            doubled = True
            first = table.where(cell.row, columns[key])
            problems.append(table.problem(cell.row, cell.column,
                                          f"colonne « {COLUMNS[key].header} » en double (déjà "
                                          f"en {first}) : gardez-en une seule"))
        else:
            columns[key] = cell.column
    missing = [COLUMNS[key].header for key in COLUMNS if key not in columns]
    if missing:
        last = max((c.column for c in header if not c.empty), default=0)
        problems.append(table.problem(
            header[0].row, last + 1,
            f"{'colonnes manquantes' if len(missing) > 1 else 'colonne manquante'} : "
            f"{', '.join(missing)} ; {expected}"))
    # A filled cell under no header: a value that would be lost (unless the header row
    # itself is not one: then it is what to fix).
    headed = {cell.column for cell in header if not cell.empty}
    reported = set()
    for row in table.rows[1:] if len(columns) >= 3 else []:
        for cell in row:
            if not cell.empty and cell.column not in headed and cell.column not in reported:
                reported.add(cell.column)
                problems.append(table.problem(
                    cell.row, cell.column, "cellule remplie dans une colonne sans en-tête : "
                                           "videz-la, ou donnez un en-tête à la colonne "
                                           f"({expected})"))
    return columns, problems, not missing and not doubled


# --- rows into operations ------------------------------------------------------------

@dataclass
class Operation:
    """An operation as its rows give it, and the cell each value came from."""

    code: str
    code_cell: Cell
    values: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    financings: list[tuple[str, Decimal, Cell, Cell]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)  # its columns with a cell not read
    broken: bool = False  # a cell of it could not be read: it is neither checked nor written

    def as_yaml_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code}
        for key in ("intitule", "axe", "qpv", "maitre_ouvrage", "cout_total"):
            if self.values.get(key) is not None:
                data[key] = _Flow(self.values[key]) if key == "qpv" else self.values[key]
        data["financements"] = [{"financeur": financeur, "montant": amount}
                                for financeur, amount, _, _ in self.financings]
        for key in ("debut", "fin", "statut"):
            data[key] = self.values[key]
        return data


def _as_shown(key: str, value: Any) -> str:
    if isinstance(value, Decimal):
        return euros(value)
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, list):
        return " ; ".join(value)
    if key == "statut":
        return programme.OPERATION_STATUSES[value]
    return str(value)


def read_operations(table: Table,
                    columns: dict[str, int]) -> tuple[list[Operation], list[CellProblem]]:
    """The rows after the header, grouped into operations by their code."""
    problems: list[CellProblem] = []
    operations: dict[str, Operation] = {}

    def at(cell: Cell, message: str) -> None:
        problems.append(table.problem(cell.row, cell.column, message))

    for row in table.rows[1:]:
        number = row[0].row
        cells = {key: row[column - 1] if column <= len(row) else Cell(None, number, column)
                 for key, column in columns.items()}
        if all(cell.empty for cell in cells.values()):
            continue  # (something in a column without a header only: reported there)
        values: dict[str, Any] = {}
        unreadable: set[str] = set()
        for key, cell in cells.items():
            try:
                values[key] = READERS[key](cell, NAMES[key])
            except Unreadable as exc:
                at(cell, str(exc))
                unreadable.add(key)
        code_cell = cells["code"]
        code = values.get("code")
        if code is None:
            if "code" in values:  # (empty, not unreadable)
                at(code_cell, "code de l'opération manquant : chaque ligne porte le code de son "
                              "opération (une ligne de total ou de commentaire se retire du "
                              "tableau)")
            continue
        operation = operations.setdefault(code, Operation(code, code_cell))
        operation.rows.append(number)
        operation.unreadable |= unreadable
        operation.broken |= bool(unreadable)
        for key in OPERATION_FIELDS:
            value = values.get(key)
            if value is None:
                continue
            if key not in operation.values:
                operation.values[key], operation.cells[key] = value, cells[key]
            elif operation.values[key] != value:
                first, before = operation.cells[key], _as_shown(key, operation.values[key])
                at(cells[key], f"{NAMES[key]} « {_as_shown(key, value)} » différent de celui de "
                               f"la ligne {first.row} (« {before} ») pour l'opération {code} : "
                               "une opération garde les mêmes valeurs "
                               "sur toutes ses lignes (ou laissez la cellule vide)")
                operation.broken = True
        financeur, amount = values.get("financeur"), values.get("montant")
        for key, value in (("financeur", financeur), ("montant", amount)):
            if value is None and key in values:
                at(cells[key], f"{NAMES[key]} manquant : chaque ligne est un financement, avec "
                               "son financeur et son montant")
                operation.broken = True
        if financeur is not None and amount is not None:
            operation.financings.append((financeur, amount, cells["financeur"], cells["montant"]))
    for operation in operations.values():
        for key in REQUIRED:
            if key not in operation.values and key not in operation.unreadable:
                cell = operation.code_cell
                where = Cell(None, cell.row, columns[key])
                missing, it = ("manquante", "la") if key in _FEMININE else ("manquant", "le")
                at(where, f"{NAMES[key]} {missing} pour l'opération {operation.code} : "
                          f"écrivez-{it} sur l'une de ses lignes")
                operation.broken = True
    if not operations and not problems:
        header = table.rows[0][0]
        problems.append(table.problem(header.row + 1, 1,
                                      "aucune opération : le tableau n'a que ses en-têtes ; "
                                      "ajoutez une ligne par financement"))
    return list(operations.values()), problems


# --- operations as YAML --------------------------------------------------------------

class _Flow(list):
    """A list written on one line, as the shipped files write quartiers: [A, B]."""


class _Dumper(yaml.SafeDumper):
    """PyYAML's emitter, as the territory files are read with PyYAML (YAML 1.1): a text
    that the reader would take for something else (« no », « 0100 », « 2021-11-01 »,
    « 1:30 ») is quoted, and only then. Lists indented under their key, as in the shipped
    files; double quotes when a quoted text holds an apostrophe (« "… d'entreprise : …" »
    reads better than « '… d''entreprise : …' »)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)

    def choose_scalar_style(self):
        style = super().choose_scalar_style()
        if style == "'" and "'" in self.event.value:
            return '"'
        return style


def _amount(dumper: yaml.SafeDumper, value: Decimal):
    # 1250000 or 1250000.50: euros, and cents when there are some
    kind = "int" if value == value.to_integral_value() else "float"
    return dumper.represent_scalar(f"tag:yaml.org,2002:{kind}", str(value))


_Dumper.add_representer(Decimal, _amount)
_Dumper.add_representer(_Flow, lambda dumper, value: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", value, flow_style=True))


def operations_yaml(operations: list[Operation]) -> list[str]:
    """The lines of the annex's value, indented under its key."""
    text = yaml.dump({ANNEX: [op.as_yaml_data() for op in operations]}, Dumper=_Dumper,
                     allow_unicode=True, sort_keys=False, default_flow_style=False,
                     width=1_000_000)
    return text.splitlines()[1:]


# --- the territory file's problems, at the cells they come from ----------------------

def _cells_of(operations: list[Operation]) -> dict[str, Cell]:
    """The cell behind each path of the annex (« annexe_3_operations[2].fin »)."""
    found: dict[str, Cell] = {}
    for i, op in enumerate(operations):
        base = (ANNEX, i)
        found[field_path(base)] = op.code_cell
        found[field_path((*base, "code"))] = op.code_cell
        for key, cell in op.cells.items():
            found[field_path((*base, key))] = cell
        found[field_path((*base, "financements"))] = op.cells.get("cout_total", op.code_cell)
        for j, (_, _, financeur_cell, amount_cell) in enumerate(op.financings):
            found[field_path((*base, "financements", j))] = financeur_cell
            found[field_path((*base, "financements", j, "financeur"))] = financeur_cell
            found[field_path((*base, "financements", j, "montant"))] = amount_cell
    return found


def _relocated(problem: Problem, table: Table, cells: dict[str, Cell],
               operations: list[Operation], path: Path) -> CellProblem:
    where = problem.field
    while where and where not in cells:
        where = where[:max(where.rfind("."), where.rfind("["), 0)]
    if not where:  # not a value of the annex (none is expected): in the file's words
        return CellProblem(0, 0, str(path), f"{problem.field} : {problem.message} (dans le "
                                            "fichier qu'écrirait l'import)")
    cell = cells[where]
    position = int(re.match(rf"{ANNEX}\[(\d+)\]", where).group(1)) - 1
    operation = operations[position]
    message = f"opération {operation.code} : {problem.message}"
    if where.endswith(".financements"):
        message += _rows_of(operation)
    return table.problem(cell.row, cell.column, message)


def _rows_of(operation: Operation) -> str:
    rows = join_and([str(row) for row in operation.rows])
    return (f" ; ses financements sont aux lignes {rows}" if len(operation.rows) > 1
            else f" ; son financement est à la ligne {rows}")


def _checked_alone(table: Table, operation: Operation, axis_codes: list[str]) -> list[CellProblem]:
    """What the territory's rules say of an operation that is not written (a cell of it
    could not be read), as far as its readable cells allow: every problem at once."""
    found = []
    axe = operation.values.get("axe")
    wrong = rules.unknown_axis(axe, axis_codes) if axe is not None else None
    if wrong:
        cell = operation.cells["axe"]
        found.append(table.problem(cell.row, cell.column, f"opération {operation.code} : {wrong}"))
    cost = operation.values.get("cout_total")
    if cost is not None and len(operation.financings) == len(operation.rows):  # all read
        gap = rules.financing_gap([amount for _, amount, _, _ in operation.financings], cost)
        if gap:
            cell = operation.cells["cout_total"]
            found.append(table.problem(cell.row, cell.column, f"opération {operation.code} : "
                                                              f"{gap}{_rows_of(operation)}"))
    return found


# --- the command ---------------------------------------------------------------------

def _outside_annex(problem: Problem) -> bool:
    return not (problem.field == ANNEX or problem.field.startswith((f"{ANNEX}[", f"{ANNEX}.")))


def _check_territory(path: Path, replace: bool) -> tuple[Territory, int, bytes]:
    """The territory the operations go into: valid (but for its annex 3, about to be
    replaced), its annex 3 empty or replaced on purpose, its feuille de route not
    signed. Also the number of operations it holds, and the file's bytes."""
    checked = check_file(path)
    blocking = [p for p in checked.errors if _outside_annex(p)]
    if blocking:
        raise InvalidTerritory(blocking)
    loaded = load_territory_file(path)
    data = loaded.data
    current = data.get(ANNEX)
    held = len(current) if isinstance(current, list) else (0 if current in (None, "") else 1)
    if held and not replace:
        raise QPError(f"{path.stem} a déjà {held} opération(s) dans {ANNEX} : --replace les "
                      "remplace toutes par celles du tableau")
    try:
        territory = Territory.model_validate({**data, ANNEX: []})
    except Exception:  # noqa: BLE001 — its annex's problems reported as they are
        raise InvalidTerritory(checked.errors) from None
    version = lifecycle.roadmap(territory)
    revising = any(a.objet == "feuille_de_route" and not isinstance(a.date, dt.date)
                   for a in territory.avenants)
    if version.signed and not revising:
        raise QPError(f"la feuille de route de {path.stem} est signée (le "
                      f"{version.date:%d/%m/%Y}) : l'annexe 3 en fait partie et ne change plus "
                      "que par un avenant « feuille_de_route » (feuille de route révisée) ; "
                      "ajoutez-le, sans date, à la rubrique avenants, puis relancez l'import")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise QPError(f"{path} : lecture impossible ({describe_os_error(exc)})") from None
    return territory, held, raw


def import_operations(path: Path, source: Path, *, replace: bool = False) -> Imported:
    """Fill annex 3 of the territory file `path` from the spreadsheet `source`. Raises
    InvalidTerritory (the territory file is to be fixed first), SpreadsheetError (every
    problem of the spreadsheet, at its cell) or QPError; writes nothing then."""
    territory, held, raw = _check_territory(path, replace)
    table = read_table(source)
    columns, problems, readable = read_header(table)
    if not readable:
        raise SpreadsheetError(problems)
    operations, found = read_operations(table, columns)
    problems += found
    axis_codes = [axis.code for axis in territory.annexe_2_axes]
    for operation in operations:
        if operation.broken:
            problems += _checked_alone(table, operation, axis_codes)
    usable = [op for op in operations if not op.broken]
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw[3 if bom else 0:].decode("utf-8")  # (validated above: UTF-8)
    if not usable:  # (every operation has a problem of its own)
        raise SpreadsheetError(problems)
    new_text = replace_block(text, load_territory_file(path, text).root, ANNEX,
                             operations_yaml(usable))
    data = ("\ufeff" if bom else "").encode("utf-8") + new_text.encode("utf-8")
    if len(data) > MAX_FILE_BYTES:  # (it could not be read again)
        raise SpreadsheetError([*problems, CellProblem(
            0, 0, source.name, f"trop d'opérations : le fichier du territoire dépasserait "
                               f"{MAX_FILE_BYTES // 1024} Kio, la taille d'un fichier lisible")])
    # (the territory file as it would be read: line ends and accents made uniform)
    checked = check_file(path, unicodedata.normalize(
        "NFC", new_text.replace("\r\n", "\n").replace("\r", "\n")))
    cells = _cells_of(usable)
    problems += [_relocated(p, table, cells, usable, path) for p in checked.errors]
    if problems:
        raise SpreadsheetError(problems)
    changed = data != raw
    if changed:
        try:
            rewrite(path, data, was=raw)
        except ChangedMeanwhile:
            raise QPError(f"{path} a été modifié pendant l'import : il n'est pas remplacé ; "
                          "relancez la commande") from None
        except OSError as exc:
            raise QPError(f"écriture impossible de {path} ({describe_os_error(exc)}) : rien n'a "
                          "été importé") from None
    return Imported(path, table.sheet, len(usable),
                    sum(len(op.financings) for op in usable), checked.warnings, held, changed)


def write_model(path: Path) -> None:
    """`--modele`: the empty workbook to fill, with its « Mode d'emploi » sheet."""
    write_template(path, list(COLUMNS.values()), STATUS_LABELS, GUIDE)
