"""Two rules about files that several commands share, with nothing but the standard
library (so that any command may use them without slowing its start):

- a file given to qp is read only if it is a regular file, and only up to a limit checked
  before reading: a pipe would block, a device (/dev/zero) would never end;
- qp's own temporary files (output.py writes each file as `.<name>.<random>.tmp` beside
  it, then renames it) are never a territory or a document, whatever their name says.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

# A Word document qp reads (qp's are 20 KB; Word's, with pictures, a few MB).
MAX_WORD_FILE = 50 * 1024 * 1024
MAX_SIGNED_PDF = 100 * 1024 * 1024  # a signed PDF: the document and its signatures

# The names tempfile.mkstemp gives with the prefix « .<name>. » and the suffix « .tmp »:
# 8 characters of its alphabet between them.
TEMPORARY = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp")


def is_temporary(name: str) -> bool:
    return TEMPORARY.fullmatch(name) is not None


class NotReadable(ValueError):
    """Why a file is not read, in French (the caller names the file)."""


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file `path`, refused (NotReadable) if it is anything else
    or holds more than `limit` bytes; OSError as the system gives it (FileNotFoundError…).
    The file is opened without waiting (a pipe with no writer would block the open) and
    checked on what was opened, not on its name."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotReadable(f"ce n'est pas un fichier ordinaire (c'est {_kind(info.st_mode)})")
        if info.st_size > limit:
            raise NotReadable(_too_large(info.st_size, limit))
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        data = handle.read(limit + 1)  # (a file growing meanwhile stops at the limit)
    if len(data) > limit:
        raise NotReadable(_too_large(len(data), limit))
    return data


def holds(path: Path, data: bytes) -> bool:
    """Whether the file `path` holds `data` (read no further than its length)."""
    try:
        return read_regular(path, len(data)) == data
    except NotReadable:  # (a folder, a pipe, a larger file)
        return False


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "un dossier"
    if stat.S_ISFIFO(mode):
        return "un tube"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "un périphérique"
    return "une socket" if stat.S_ISSOCK(mode) else "un fichier spécial"


def _too_large(size: int, limit: int) -> str:
    return f"fichier démesuré ({_megabytes(size)} ; {_megabytes(limit)} au plus)"


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")
