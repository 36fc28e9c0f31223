"""The one family of user-facing errors, and the located problem they report."""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from pathlib import Path

ERROR = "erreur"
WARNING = "avertissement"


# How the message of a fact still to supply begins (a warning, highlighted in the document)
TO_COMPLETE = "à compléter"


def pasteable(path: Path | str) -> str:
    """A path as a command suggested to the user writes it, so that it can be pasted as
    is (Windows' cmd and POSIX shells alike): in double quotes when it holds a space or a
    character a shell would read."""
    text = str(path)
    return f'"{text}"' if re.search(r"[^\w./:\\+-]", text) else text


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


def field_path(loc: tuple) -> str:
    """« annexe_3_operations[2].cout_total » (list positions counted from 1, as people do)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += ("." if text else "") + str(part)
    return text


class QPError(Exception):
    """A problem the user can fix (a file, a folder, the machine): printed in French, exit
    code 1, no traceback."""

    exit_code = 1


class UsageError(QPError):
    """A command line that cannot be run as written (options, arguments): exit code 2."""

    exit_code = 2


# What the system says when a file cannot be read or written, in French (strerror is in
# the system's language, usually English on a server).
_OS_ERRORS = {
    "ENOSPC": "plus de place sur le disque",
    "EDQUOT": "quota disque dépassé",
    "EACCES": "permission refusée",
    "EPERM": "opération non permise (fichier ou dossier protégé)",
    "EROFS": "disque en lecture seule",
    "ENOTDIR": "un élément du chemin n'est pas un dossier",
    "EISDIR": "c'est un dossier",
    "ENOENT": "fichier ou dossier introuvable",
    "EEXIST": "existe déjà",
    "ENAMETOOLONG": "nom trop long",
    "ELOOP": "trop de liens symboliques",
    "EIO": "erreur d'entrée-sortie du disque",
    "EBUSY": "fichier occupé par un autre programme",
    "ETXTBSY": "fichier occupé par un autre programme",
    "ENOEXEC": "ce n'est pas un programme exécutable",
}


def describe_os_error(exc: OSError) -> str:
    """« plus de place sur le disque », « permission refusée »…"""
    name = errno.errorcode.get(exc.errno or 0, "")
    return _OS_ERRORS.get(name, exc.strerror or str(exc))


class InvalidTerritory(QPError):
    """A territory file that cannot be used; carries every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.format() for p in problems))
