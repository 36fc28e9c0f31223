"""Tables of operations as the territories' finance teams keep them: an Excel workbook
(.xlsx, read with openpyxl) or a CSV file as French Excel saves it; and the empty model
workbook that `qp import-operations --modele` writes.

Every cell read keeps where it stands — the sheet (or the CSV file), the row, the column —
so that a problem is told at the cell as Excel names it: « Opérations!F7 ». Reading never
trusts the file: its size is checked before it is opened, a workbook's size once
unzipped too, and rows are counted while they are read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import posixpath
import re
import stat
import tempfile
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.etree.ElementTree import iterparse

from .errors import QPError, UsageError, describe_os_error

MAX_ROWS = 5000  # filled rows; a territory file (1 Mio at most) holds far fewer operations
MAX_COLUMNS = 50  # the table has 11; a cell filled beyond this is a mistake
MAX_SHEET_ROWS = 100_000  # rows written in a sheet's file, filled or only formatted
MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024  # what the workbook's parts add up to, unzipped
MAX_CSV_BYTES = 10 * 1024 * 1024
MAX_CELL_TEXT = 10_000  # a territory file's texts hold 4 000 characters, spaces run together
WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm")
SHEET_NAME = "Opérations"  # the sheet read when a workbook has one of this name
GUIDE_SHEET_NAME = "Mode d'emploi"

# Where a cell stands is only known from its value's kind in these cases.
ERROR = "erreur"  # a formula whose result is an error (#DIV/0!, #VALUE!…)
UNCALCULATED = "formule sans valeur"  # a formula the file holds no result for


def fold(text: str) -> str:
    """« Maître d'ouvrage » → « maitredouvrage »: case, accents, spaces and punctuation
    ignored (headers, sheet names and statuses are compared this way)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def column_letter(number: int) -> str:
    """1 → « A », 27 → « AA », as Excel names columns."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_label(name: str) -> str:
    """A sheet's name as Excel writes it before « ! »: quoted when it holds a space or
    punctuation (« 'Mes opérations'!F7 »)."""
    if re.fullmatch(r"[\w.]+", name):
        return name
    return "'" + name.replace("'", "''") + "'"


@dataclass(frozen=True)
class Cell:
    value: Any  # str, int, float, bool, datetime, time, or None when empty
    row: int  # 1-based, as Excel shows it
    column: int  # 1-based
    kind: str = ""  # ERROR, UNCALCULATED, or "" for a plain value

    @property
    def empty(self) -> bool:
        return not self.kind and (self.value is None
                                  or (isinstance(self.value, str) and not self.value.strip()))


@dataclass(frozen=True, order=True)
class CellProblem:
    """One thing wrong in a spreadsheet, at its cell (row 0: the file as a whole)."""

    row: int
    column: int
    where: str  # « Opérations!F7 », « operations.csv!F7 », or the file's name
    message: str  # in French

    def format(self) -> str:
        return f"{self.where} : {self.message}"


class SpreadsheetError(QPError):
    """A table that cannot be used; carries every problem found in it, in order."""

    def __init__(self, problems: list[CellProblem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(p.format() for p in self.problems))


@dataclass
class Table:
    """The filled rows of one sheet (or of a CSV file), in order; empty rows left out."""

    source: Path
    label: str  # what cell references start with: the sheet's name, or the CSV file's
    sheet: str | None  # the sheet's name; None for a CSV file
    rows: list[list[Cell]] = field(default_factory=list)
    # cells merged across columns that hold a value: (row, column, « B2:C2 »); a title
    # above the table may be, a cell of the table may not
    merged_across: list[tuple[int, int, str]] = field(default_factory=list)
    # cells merged down a column: (first row, last row, column, « A1:A3 »)
    merged_down: list[tuple[int, int, int, str]] = field(default_factory=list)

    @property
    def description(self) -> str:
        return f"la feuille « {self.sheet} »" if self.sheet is not None else "le fichier CSV"

    def where(self, row: int, column: int) -> str:
        return f"{sheet_label(self.label)}!{column_letter(column)}{row}"

    def problem(self, row: int, column: int, message: str) -> CellProblem:
        return CellProblem(row, column, self.where(row, column), message)


def _file_problem(path: Path, message: str) -> SpreadsheetError:
    return SpreadsheetError([CellProblem(0, 0, path.name, message)])


# Text tables: Excel's « CSV (séparateur : point-virgule) » and « CSV UTF-8 » (.csv), and
# its « Texte Unicode » (.txt: UTF-16, tab-separated)
TEXT_EXTENSIONS = (".csv", ".txt")


def read_table(path: Path) -> Table:
    """The table of a .xlsx workbook or of a .csv or .txt file; SpreadsheetError
    otherwise."""
    extension = path.suffix.lower()
    if extension not in (*WORKBOOK_EXTENSIONS, *TEXT_EXTENSIONS):
        if extension in (".xls", ".ods", ".numbers", ".xlsb"):
            raise _file_problem(path, f"format « {extension} » non lu : ouvrez le fichier dans "
                                      "Excel (ou LibreOffice) et enregistrez-le au format "
                                      "« Classeur Excel (.xlsx) » ou « CSV (séparateur : "
                                      "point-virgule) »")
        raise _file_problem(path, f"extension « {path.suffix or '(aucune)'} » inconnue : "
                                  "le tableau des opérations est un classeur .xlsx ou un "
                                  "fichier .csv (ou .txt « Texte Unicode »)")
    limit = MAX_CSV_BYTES if extension in TEXT_EXTENSIONS else MAX_WORKBOOK_BYTES
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise _file_problem(path, f"fichier introuvable ({path})") from None
    except OSError as exc:
        raise _file_problem(path, f"lecture impossible ({describe_os_error(exc)})") from None
    if not stat.S_ISREG(info.st_mode):
        raise _file_problem(path, "ce n'est pas un fichier ordinaire (un dossier, un "
                                  "périphérique…)")
    if info.st_size > limit:
        raise _file_problem(path, f"fichier démesuré ({info.st_size // (1024 * 1024)} Mo ; "
                                  f"{limit // (1024 * 1024)} Mo au plus) : un tableau "
                                  f"d'opérations compte au plus {MAX_ROWS} lignes")
    if extension in TEXT_EXTENSIONS:
        return _read_csv(path, limit)
    return _read_workbook(path)


# --- Excel workbooks -----------------------------------------------------------------

def _not_a_workbook(path: Path, head: bytes) -> SpreadsheetError:
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE container: .xls, or encrypted
        why = ("c'est un classeur protégé par un mot de passe ou au format Excel 97-2003 : "
               "retirez le mot de passe (Fichier > Informations > Protéger le classeur) ou "
               "enregistrez-le au format « Classeur Excel (.xlsx) »")
    else:
        why = ("ce n'est pas un classeur Excel : ouvrez-le dans Excel et enregistrez-le au "
               "format « Classeur Excel (.xlsx) »")
    return _file_problem(path, why)


def _read_workbook(path: Path) -> Table:
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise _file_problem(path, f"lecture impossible ({describe_os_error(exc)})") from None
    if not zipfile.is_zipfile(path):
        raise _not_a_workbook(path, head)
    import openpyxl  # (0.2 s of imports, for this command only)

    # openpyxl warns about parts of a workbook it does not read (extensions, print
    # settings): nothing the user can act upon. A damaged workbook fails openpyxl (and
    # zipfile, and the XML parser) in many ways: each is the file's, told as such.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with zipfile.ZipFile(path) as archive:
                unzipped = sum(part.file_size for part in archive.infolist())
                if unzipped > MAX_UNZIPPED_BYTES:
                    raise _file_problem(
                        path, f"classeur démesuré ({unzipped // (1024 * 1024)} Mo une fois "
                              f"décompressé ; {MAX_UNZIPPED_BYTES // (1024 * 1024)} Mo au plus) "
                              ": copiez la feuille des opérations seule dans un nouveau classeur")
                workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
                try:
                    sheet = _choose_sheet(path, workbook)
                    table = Table(path, sheet.title, sheet.title)
                    layout = _scan(table, archive, _sheet_part(archive, sheet.title))
                    _values(table, sheet, layout)
                finally:
                    workbook.close()
        except (SpreadsheetError, KeyboardInterrupt, MemoryError, RecursionError):
            raise
        except Exception:  # noqa: BLE001
            raise _file_problem(path, "classeur Excel illisible (endommagé, ou enregistré par "
                                      "un logiciel qui ne suit pas le format .xlsx) : ouvrez-le "
                                      "dans Excel et enregistrez-le de nouveau") from None
    return table


def _choose_sheet(path: Path, workbook) -> Any:
    """The sheet named « Opérations » (case, accents and spaces ignored), else the first."""
    sheets = workbook.worksheets
    if not sheets:
        raise _file_problem(path, "le classeur n'a aucune feuille de calcul")
    for sheet in sheets:
        if fold(sheet.title) == fold(SHEET_NAME):
            return sheet
    return sheets[0]


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _sheet_part(archive: zipfile.ZipFile, title: str) -> str:
    """The name of a sheet's XML part in the workbook's zip, through the workbook's
    relationships (the package's own index of its parts)."""
    def targets(rels: str, folder: str) -> dict[str, tuple[str, str]]:
        found = {}
        for rel in ElementTree.fromstring(archive.read(rels)).iter(_RELATIONSHIP):
            target = rel.get("Target", "")
            target = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            found[rel.get("Id")] = (rel.get("Type", ""), posixpath.normpath(target))
        return found

    workbook = next(target for kind, target in targets("_rels/.rels", "").values()
                    if kind.endswith("/officeDocument"))
    folder, name = posixpath.split(workbook)
    parts = targets(posixpath.join(folder, "_rels", name + ".rels"), folder)
    for sheet in ElementTree.fromstring(archive.read(workbook)).iter(f"{_MAIN}sheet"):
        if sheet.get("name") == title:
            return parts[sheet.get(_RELATIONSHIP_ID)][1]
    raise KeyError(title)


@dataclass
class _Layout:
    """What the streaming reader of values does not tell about a sheet."""

    last_row: int = 0
    last_column: int = 0
    uncalculated: set[tuple[int, int]] = field(default_factory=set)  # formulas without result
    merged: list[str] = field(default_factory=list)  # « A2:A4 »


def _scan(table: Table, archive: zipfile.ZipFile, part: str) -> _Layout:
    """One streaming pass over the sheet's XML: how far the filled cells go (a sheet may
    claim a million rows; too many filled ones are refused as they are read), the
    formulas that hold no result (openpyxl reads them as empty cells, like a formula
    whose result is an empty text), and the merged cells."""
    from openpyxl.utils.cell import coordinate_to_tuple

    layout, filled_rows, written_rows, rows_read = _Layout(), 0, 0, None
    row_number = column = 0
    row_filled = False
    with archive.open(part) as source:
        for event, element in iterparse(source, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == f"{_MAIN}sheetData":
                    rows_read = element
                elif tag == f"{_MAIN}row":
                    row_number = int(element.get("r") or row_number + 1)
                    column, row_filled = 0, False
                continue
            if tag == f"{_MAIN}c":
                reference = element.get("r")
                row, column = coordinate_to_tuple(reference) if reference else (row_number,
                                                                                 column + 1)
                value = element.find(f"{_MAIN}v")
                formula = element.find(f"{_MAIN}f")
                # (a formula whose result is an empty text holds « <v></v> », typed « str »)
                if formula is not None and (value is None or not value.text) \
                        and element.get("t") != "str":
                    layout.uncalculated.add((row, column))
                if (value is not None and value.text) or formula is not None \
                        or element.find(f"{_MAIN}is") is not None:
                    if column > MAX_COLUMNS:
                        raise SpreadsheetError([table.problem(
                            row, column, f"cellule remplie au-delà de la colonne "
                                         f"{column_letter(MAX_COLUMNS)} : le tableau des "
                                         "opérations a 11 colonnes ; videz les colonnes en trop")])
                    row_filled = True
                    layout.last_row = max(layout.last_row, row)
                    layout.last_column = max(layout.last_column, column)
            elif tag == f"{_MAIN}row":
                rows_read.clear()  # (the rows read so far: memory stays small)
                written_rows += 1
                if written_rows > MAX_SHEET_ROWS:
                    raise _file_problem(
                        table.source, f"feuille « {table.label} » démesurée (plus de "
                                      f"{MAX_SHEET_ROWS} lignes remplies ou mises en forme) : "
                                      "copiez les opérations seules dans un nouveau classeur")
                filled_rows += row_filled
                if filled_rows > MAX_ROWS + 1:  # (the header row and MAX_ROWS of data)
                    raise _file_problem(
                        table.source, f"trop de lignes (plus de {MAX_ROWS}) dans la feuille "
                                      f"« {table.label} » : un tableau d'opérations en compte "
                                      "au plus quelques centaines")
            elif tag == f"{_MAIN}mergeCell":
                layout.merged.append(element.get("ref", ""))
    return layout


def _values(table: Table, sheet, layout: _Layout) -> None:
    """The values as Excel last showed them (a formula's result as last computed), in
    the rows and columns where the scan found something; empty rows left out."""
    sheet.reset_dimensions()  # (trust the cells, not what the sheet claims)
    rows: dict[int, list[Cell]] = {}
    if layout.last_row:
        for number, row in enumerate(sheet.iter_rows(min_row=1, max_row=layout.last_row,
                                                     min_col=1, max_col=layout.last_column),
                                     start=1):
            if all(cell.value is None and cell.data_type != "e" and (number, column)
                   not in layout.uncalculated for column, cell in enumerate(row, start=1)):
                continue  # (an empty row, perhaps formatted: nothing to keep)
            number = next((c.row for c in row if getattr(c, "row", None)), number)
            rows[number] = [
                Cell(cell.value, number, column,
                     ERROR if cell.data_type == "e" else
                     UNCALCULATED if (number, column) in layout.uncalculated else "")
                for column, cell in enumerate(row, start=1)]
    # One shared string may fill every cell of a small workbook: a text too long for any
    # field is refused before it is read cell after cell.
    too_long = [table.problem(cell.row, cell.column, f"texte de {len(cell.value)} caractères : "
                              f"une cellule du tableau en compte au plus {MAX_CELL_TEXT}")
                for number in sorted(rows) for cell in rows[number]
                if isinstance(cell.value, str) and len(cell.value) > MAX_CELL_TEXT]
    if too_long:
        shown = too_long[:10] + ([CellProblem(0, 0, table.source.name, (
            f"{len(too_long)} cellules de texte démesuré ; les 10 premières :"))]
            if len(too_long) > 10 else [])
        raise SpreadsheetError(shown)
    _fill_merged(table, rows, layout.merged)
    table.rows = [rows[n] for n in sorted(rows) if not all(cell.empty for cell in rows[n])]


def _fill_merged(table: Table, rows: dict[int, list[Cell]], ranges: list[str]) -> None:
    """Cells merged down a column hold the top cell's value on each of their rows (an
    operation's code or title written once for its financing lines); cells merged
    across columns that hold something are noted (in the table, the value would stand
    under two headers)."""
    from openpyxl.utils.cell import range_boundaries

    for reference in ranges:
        min_col, min_row, max_col, max_row = range_boundaries(reference)
        top_row = rows.get(min_row)
        if top_row is None or min_col > len(top_row):
            continue  # nothing in it
        top = top_row[min_col - 1]
        if max_col > min_col:
            if not top.empty:
                table.merged_across.append((min_row, min_col, reference))
            continue
        if max_row > min_row:
            table.merged_down.append((min_row, max_row, min_col, reference))
        for number in range(min_row + 1, max_row + 1):
            if number in rows and min_col <= len(rows[number]):
                rows[number][min_col - 1] = Cell(top.value, number, min_col, top.kind)


# --- CSV files -----------------------------------------------------------------------

_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _decode(path: Path, raw: bytes) -> str:
    """UTF-8 (with or without BOM, as « CSV UTF-8 » writes it), UTF-16 with its BOM
    (« Texte Unicode »), else Windows-1252 (« CSV (séparateur : point-virgule) » of
    French Excel). A file mixing UTF-8 and Windows-1252 is refused: read either way,
    some of its accents would come out wrong."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise _file_problem(path, "fichier UTF-16 illisible : enregistrez-le depuis Excel "
                                      "au format « CSV UTF-8 »") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc.start
    line = raw.count(b"\n", 0, bad) + 1
    if raw.startswith(b"\xef\xbb\xbf") or _UTF8_SEQUENCE.search(raw):
        raise _file_problem(path, f"encodage mélangé : le fichier est en UTF-8 sauf l'octet "
                                  f"0x{raw[bad]:02X} ligne {line} : enregistrez-le depuis "
                                  "Excel au format « CSV UTF-8 »")
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _file_problem(path, f"encodage inconnu (octet 0x{raw[exc.start]:02X} ligne "
                                  f"{line}, ni UTF-8 ni Windows-1252) : enregistrez le "
                                  "fichier depuis Excel au format « CSV UTF-8 »") from None


def _read_csv(path: Path, limit: int) -> Table:
    """A CSV file: « ; » separates the cells as French Excel writes them; a header line
    without « ; » may use a tabulation or « , » instead. A first line « sep=; » (that
    Excel writes and hides) gives the separator. Row numbers are those Excel shows."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise _file_problem(path, f"lecture impossible ({describe_os_error(exc)})") from None
    text = _decode(path, raw)
    lines = text.splitlines()
    hint = re.fullmatch(r'"?sep=(.)"?', lines[0].strip()) if lines else None
    if hint:
        delimiter = hint.group(1)
        text = text[text.find(lines[0]) + len(lines[0]):].lstrip("\r\n")
    else:
        header = next((line for line in lines if line.strip()), "")
        delimiter = next((d for d in (";", "\t", ",") if d in header), ";")
    table = Table(path, path.name, None)
    # (strict: an unclosed quote is an error, not the rest of the file read as one cell)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number, line = 0, 1  # the record being read, and the line where it starts
    try:
        for number, record in enumerate(reader, start=1):
            line = reader.line_num + 1
            last = next((i for i in range(len(record), 0, -1) if record[i - 1].strip()), 0)
            if not last:
                continue
            if last > MAX_COLUMNS:
                raise SpreadsheetError([table.problem(
                    number, last, f"cellule remplie au-delà de la colonne "
                                  f"{column_letter(MAX_COLUMNS)} : le tableau des opérations a "
                                  "11 colonnes ; vérifiez le séparateur (« ; ») et videz les "
                                  "colonnes en trop")])
            table.rows.append([Cell(value if value.strip() else None, number, column)
                               for column, value in enumerate(record[:last], start=1)])
            if len(table.rows) > MAX_ROWS + 1:
                raise _file_problem(path, f"trop de lignes (plus de {MAX_ROWS}) : un tableau "
                                          "d'opérations en compte au plus quelques centaines")
    except csv.Error as exc:
        if "field larger" in str(exc):
            why = "une cellule démesurée"
        elif "end of data" in str(exc):
            why = "des guillemets ouverts et jamais fermés"
        else:
            why = "un guillemet mal placé (dans une cellule, un guillemet s'écrit doublé : \"\")"
        raise _file_problem(path, f"fichier CSV illisible : {why}, à la ligne "
                                  f"{line + bool(hint)} du fichier") from None
    return table


# --- the model workbook --------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: str
    width: int
    number_format: str  # "@": text (Excel keeps « 1-2 » as typed, not as a date)
    required: str
    content: str
    example: str


def write_template(path: Path, columns: list[Column], statuses: list[str],
                   guide: list[str]) -> None:
    """An empty workbook to fill: the sheet « Opérations » with its header row (bold,
    frozen, amounts and dates formatted, statuses offered in a list) and the sheet
    « Mode d'emploi » (`guide`'s paragraphs, then one row per column). Never replaces an
    existing file."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"--modele écrit un classeur Excel : donnez un nom en .xlsx (par "
                         f"exemple {path.with_suffix('.xlsx').name})")
    if path.exists() or path.is_symlink():
        raise QPError(f"{path} existe déjà : il n'est pas remplacé ; choisissez un autre nom")
    if not path.parent.is_dir():
        raise QPError(f"{path.parent} : dossier introuvable")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for number, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=number, value=column.header)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="center")
        letter = column_letter(number)
        sheet.column_dimensions[letter].width = column.width
        sheet.column_dimensions[letter].number_format = column.number_format  # what is typed
    sheet.freeze_panes = "A2"
    status_column = column_letter(next(i for i, c in enumerate(columns, start=1)
                                       if c.header == "Statut"))
    choice = DataValidation(type="list", formula1='"' + ",".join(statuses) + '"',
                            allow_blank=True, showErrorMessage=True, errorTitle="Statut",
                            error="Choisissez un statut de la liste : " + ", ".join(statuses))
    choice.add(f"{status_column}2:{status_column}1048576")
    sheet.add_data_validation(choice)

    guide_sheet = workbook.create_sheet(GUIDE_SHEET_NAME)
    guide_sheet.column_dimensions["A"].width = 20
    guide_sheet.column_dimensions["B"].width = 26
    guide_sheet.column_dimensions["C"].width = 80
    guide_sheet.column_dimensions["D"].width = 34
    for number, paragraph in enumerate(guide, start=1):
        cell = guide_sheet.cell(row=number, column=1, value=paragraph)
        cell.font = Font(bold=number == 1, size=13 if number == 1 else 11)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        guide_sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=4)
        # (Excel does not fit a merged cell's height to its text: about 150 characters a line)
        guide_sheet.row_dimensions[number].height = 18 * (1 + len(paragraph) // 150)
    top = len(guide) + 2
    for number, title in enumerate(("Colonne", "Obligatoire", "Contenu", "Exemple"), start=1):
        cell = guide_sheet.cell(row=top, column=number, value=title)
        cell.font, cell.fill = bold, fill
    for offset, column in enumerate(columns, start=1):
        for number, value in enumerate((column.header, column.required, column.content,
                                        column.example), start=1):
            cell = guide_sheet.cell(row=top + offset, column=number, value=value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.font = bold if number == 1 else Font()
        lines = max(1 + len(column.content) // 75, 1 + len(column.example) // 30)
        guide_sheet.row_dimensions[top + offset].height = 15 * lines
    for printed in (sheet, guide_sheet):  # A4 landscape, as wide as the page
        printed.page_setup.orientation = "landscape"
        printed.page_setup.paperSize = printed.PAPERSIZE_A4
        printed.sheet_properties.pageSetUpPr.fitToPage = True
        printed.page_setup.fitToWidth, printed.page_setup.fitToHeight = 1, 0
    workbook.properties.creator = workbook.properties.lastModifiedBy = "qp-conventions"
    workbook.properties.language = "fr-FR"
    _write_new(path, _fixed_dates(workbook))


def _fixed_dates(workbook) -> bytes:
    """The workbook's bytes, the same each time: openpyxl dates the document and each
    part of its zip with the clock; here, once and for all, with the programme's
    labellisation."""
    from openpyxl.writer.excel import ExcelWriter

    moment = dt.datetime(2021, 3, 18)
    workbook.properties.created = workbook.properties.modified = moment
    raw, fixed = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(fixed, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=moment.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return fixed.getvalue()


def _write_new(path: Path, data: bytes) -> None:
    """Write a new file in one step (a temporary file linked to its name), never over
    a file that appeared meanwhile."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise QPError(f"{path} existe déjà : il n'est pas remplacé ; choisissez un autre "
                          "nom") from None
        except OSError:  # a file system without hard links (FAT, some network shares)
            if path.exists():
                raise QPError(f"{path} existe déjà : il n'est pas remplacé") from None
            os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
