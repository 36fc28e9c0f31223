"""The one family of user-facing errors, and the located problem they report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ERROR = "erreur"
WARNING = "avertissement"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or missing) in a territory file, with where it is."""

    file: Path
    line: int | None  # 1-based
    column: int | None  # 1-based
    field: str  # the YAML path, e.g. « annexe_3_operations[2].cout_total »; "" for the file
    message: str  # in French
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def location(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def format(self) -> str:
        field = f" {self.field} :" if self.field else ""
        return f"{self.location()}: {self.severity} :{field} {self.message}"


class QPError(Exception):
    """A problem the user can fix: printed in French, exit code 1, no traceback."""


class InvalidTerritory(QPError):
    """A territory file that cannot be used; carries every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.format() for p in problems))
