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
        for pattern in (".*.docx.*.tmp", ".*.pdf.*.tmp", f".{MANIFEST}.*.tmp"):
            for leftover in folder.glob(pattern):  # only what write_atomic names
                leftover.unlink(missing_ok=True)


MANIFEST = ".qp-manifest.json"


def digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


class Manifest:
    """What qp wrote in a folder: for each document, the hashes of the contents qp put
    there. A document whose hash is not listed was changed by someone else (opened and
    saved in Word) and is never replaced silently.

    While a batch is writing, a document's entry lists both its old and its new hash,
    so that a run killed half-way leaves a manifest that accepts either file."""

    def __init__(self, folder: Path):
        import json

        self.path = folder / MANIFEST
        try:
            self.files: dict[str, list[str]] = json.loads(self.path.read_text("utf-8"))["files"]
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            self.files = {}
        self._saved = {k: list(v) for k, v in self.files.items()}

    def written_by_us(self, name: str, data: bytes) -> bool:
        return digest(data) in self.files.get(name, [])

    def expect(self, name: str, data: bytes) -> None:
        known = self.files.get(name, [])
        self.files[name] = sorted(set(known[-1:]) | {digest(data)})

    def settle(self, name: str, data: bytes) -> None:
        self.files[name] = [digest(data)]

    def save(self) -> None:
        """Write the manifest if it changed (a run that writes nothing leaves it alone)."""
        import json

        if self.files == self._saved:
            return
        self._saved = {k: list(v) for k, v in self.files.items()}
        text = json.dumps({"version": 1, "files": dict(sorted(self.files.items()))},
                          indent=1, sort_keys=True) + "\n"
        write_atomic(self.path, text.encode("utf-8"))


def backup_name(target: Path) -> Path:
    """Where a hand-edited document is kept when --force replaces it."""
    candidate = target.with_name(f"{target.stem}.modifie-a-la-main{target.suffix}")
    number = 2
    while candidate.exists():
        candidate = target.with_name(f"{target.stem}.modifie-a-la-main-{number}{target.suffix}")
        number += 1
    return candidate
