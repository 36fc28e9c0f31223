"""Writing outputs without ever leaving a truncated file: temporary file in the same
folder, flushed to disk, then moved over the old one in one step."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import QPError


def _file_mode(path: Path) -> int:
    """The replaced file's permissions, or those a new file gets (mkstemp's are 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _file_mode(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.replace(temporary, path)
        except PermissionError:
            raise QPError(
                f"impossible de remplacer {path} : le fichier est sans doute ouvert dans Word "
                "(ou en lecture seule). Fermez-le puis relancez la commande."
            ) from None
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def remove_stale_temporaries(folder: Path) -> None:
    """Temporary files left by a run that was killed (never a finished output)."""
    if folder.is_dir():
        for leftover in folder.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
