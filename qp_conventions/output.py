"""The output folder, where nothing a person wrote may be lost.

- Each file is written to a temporary file of the same folder, flushed to disk, then moved
  over the old one in one step: a run killed at any moment leaves the old file or the new
  one, never a truncated one.
- One run at a time writes a folder: a run holds a lock on `out/.qp-lock` (released by the
  system if the run is killed); a second run waits, then gives up with a French message.
- The manifest `out/.qp-manifest.json` lists, for each document, the fingerprints of the
  contents qp put there; any other content was changed by someone (opened and saved in
  Word) and is never replaced silently.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

from .errors import QPError, describe_os_error
from .files import TEMPORARY, NotReadable, is_temporary, read_regular

MANIFEST = ".qp-manifest.json"
PDF_FINGERPRINTS = ".qp-pdf.json"  # the fingerprints of the PDFs qp wrote (see pdf.py)
MAX_MANIFEST_BYTES = 10 * 1024 * 1024  # a manifest of thousands of documents is 0.2 MB
LOCK = ".qp-lock"
PDF_WORK_PREFIX = ".qp-pdf-"  # LibreOffice's working folder (see pdf.py)
HAND_EDITED = ".modifie-a-la-main"  # the name part of a hand-edited document kept aside
STARTED = time.time()  # (about) when this run started: a leftover of a killed run is older


def _file_mode(path: Path) -> int:
    """The replaced file's permissions, or those a new file gets (mkstemp's are 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class ChangedMeanwhile(QPError):
    """The file changed on disk while qp was preparing to replace it (saved in Word)."""


def write_atomic(path: Path, data: bytes, *, unless_changed_from: bytes | None = None) -> None:
    """Put `data` at `path` in one step; OSError if it cannot (disk full, permissions),
    QPError if the old file cannot be replaced (open in Word on Windows).

    With `unless_changed_from` (what was on disk when the replacement was decided; b"" for
    no file), the file is read again at the last moment and left alone if someone saved
    it in between (ChangedMeanwhile)."""
    temporary = _staged(path, data)
    try:
        if unless_changed_from is not None:
            try:  # (bounded: anything larger, or not a file, is not what was read)
                now = read_regular(path, len(unless_changed_from))
            except FileNotFoundError:
                now = b""
            except NotReadable:
                now = None
            if now != unless_changed_from:
                raise ChangedMeanwhile(
                    f"{path} a été enregistré par quelqu'un pendant que qp le préparait : il "
                    "n'est pas remplacé ; relancez la commande (avec --force pour le remplacer "
                    "en le gardant à côté)")
        _replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def rewrite(path: Path, data: bytes, *, was: bytes) -> Path:
    """Replace a file a person keeps (a territory file) by `data`, unless it is no longer
    `was`, what was read to compute `data` (ChangedMeanwhile). A symbolic link keeps
    pointing to its file, which is the one rewritten. The last reading and the replacement
    are done under a lock that every qp of this machine takes for that file: two commands
    editing it at once cannot both think they succeeded. Returns the file written."""
    target = path.resolve() if path.is_symlink() else path
    try:
        with _file_lock(target).acquire(timeout=60):  # (held for the time of one write)
            _remove_stale(target.parent, lambda name: name == target.name)
            write_atomic(target, data, unless_changed_from=was)
    except Timeout:
        raise QPError(f"{path} : un autre qp le modifie depuis plus d'une minute ; relancez "
                      "la commande") from None
    return target


def _file_lock(target: Path) -> FileLock:
    """The lock every qp of this machine takes to write the file `target` (a territory)."""
    name = hashlib.sha256(str(target.absolute()).encode("utf-8", "surrogateescape")).hexdigest()
    return FileLock(Path(tempfile.gettempdir()) / f"qp-{name[:24]}.lock")


def write_together(files: dict[Path, bytes]) -> None:
    """Several files put in place together (the formats of one report): each is first
    written in full beside its target, so that a full disk or a refused folder leaves
    every target as it was; only then are they all put in place."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            staged.append((_staged(path, data), path))
        for temporary, path in staged:
            _replace(temporary, path)
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def _staged(path: Path, data: bytes) -> str:
    """A temporary file beside `path` holding `data`, on disk, with the mode of `path`."""
    mode = _file_mode(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return temporary


def _replace(temporary: str, path: Path) -> None:
    try:
        os.replace(temporary, path)
    except PermissionError:
        raise QPError(
            f"impossible de remplacer {path} : le fichier est sans doute ouvert dans Word "
            "(ou en lecture seule). Fermez-le puis relancez la commande."
        ) from None


def prepare_folder(out: Path) -> None:
    """Create the output folder if needed; a French error when it cannot be one."""
    if out.is_symlink() and not out.exists():
        raise QPError(f"{out} est un lien symbolique vers {os.readlink(out)}, qui n'existe pas : "
                      "créez ce dossier ou indiquez-en un autre avec --out")
    if out.exists() and not out.is_dir():
        raise QPError(f"{out} n'est pas un dossier (c'est un fichier) : indiquez un dossier "
                      "avec --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QPError(f"impossible de créer le dossier {out} : {describe_os_error(exc)}") from None


@contextlib.contextmanager
def locked(out: Path, wait: float, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold the folder's lock for a whole run: wait at most `wait` seconds for another
    run to finish. The system releases the lock of a killed run."""
    lock = FileLock(out / LOCK)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            on_wait()
            lock.acquire(timeout=wait)
    except Timeout:
        raise QPError(f"un autre « qp generate » écrit dans {out} depuis plus de {wait:g} s : "
                      "relancez la commande quand il aura fini (ou avec --wait pour "
                      "attendre plus longtemps)") from None
    except OSError as exc:
        raise QPError(f"impossible d'écrire dans {out} ({out / LOCK}) : "
                      f"{describe_os_error(exc)}") from None
    try:
        yield
    finally:
        lock.release()


def remove_leftovers(folder: Path) -> None:
    """Temporary files left by a killed run (never a finished output). Called with the
    folder's lock held, so none of them belongs to a running qp."""
    _remove_stale(folder, lambda name: True)


def remove_territory_leftovers(folder: Path) -> None:
    """The temporary files of territory files that a killed run left in `folder`: each
    one's writer is gone when its territory file's lock is free (every qp writing a
    territory file holds it)."""
    def free(name: str) -> bool:
        if not name.lower().endswith((".yaml", ".yml")):  # (another command's, not ours to judge)
            return False
        lock = _file_lock(folder / name)
        try:
            lock.acquire(timeout=0)
        except (Timeout, OSError):
            return False
        lock.release()
        return True

    _remove_stale(folder, free)


def _remove_stale(folder: Path, free: Callable[[str], bool]) -> None:
    """Remove qp's temporary files of `folder` older than this run whose target file is
    `free` (no running qp writes it)."""
    try:
        names = [name for name in os.listdir(folder) if is_temporary(name)]
    except OSError:
        return
    for name in names:
        leftover = folder / name
        with contextlib.suppress(OSError):
            if leftover.lstat().st_mtime < STARTED and free(TEMPORARY.fullmatch(name)["target"]):
                leftover.unlink()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_DIGEST = re.compile(r"[0-9a-f]{64}")
_CONFLICT = re.compile(r"^(<<<<<<<|=======|>>>>>>>)", re.MULTILINE)


class Manifest:
    """What qp wrote in a folder: for each document, the fingerprints (SHA-256) of the
    contents qp put there. A document whose fingerprint is not listed was changed by
    someone else and is never replaced silently.

    While a document is being replaced its entry lists both the content on disk and the
    new one, and is saved before the file is touched: a run killed at any moment, however
    many times in a row, leaves a manifest that accepts whatever the disk holds."""

    def __init__(self, folder: Path):
        self.path = folder / MANIFEST
        self.files: dict[str, list[str]] = self._read()
        self._saved = {k: list(v) for k, v in self.files.items()}

    def _read(self) -> dict[str, list[str]]:
        try:
            if not stat.S_ISREG(os.stat(self.path).st_mode):  # a folder, /dev/zero, a FIFO…
                raise self._damaged("ce n'est pas un fichier ordinaire")
            if os.stat(self.path).st_size > MAX_MANIFEST_BYTES:
                raise self._damaged("démesuré (plus de 10 Mo)")
            text = self.path.read_text("utf-8-sig")  # (a BOM, if an editor added one)
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            why = describe_os_error(exc) if isinstance(exc, OSError) else "pas en UTF-8"
            raise self._damaged(f"illisible ({why})") from None
        conflict = _CONFLICT.search(text)
        if conflict:
            line = text.count("\n", 0, conflict.start()) + 1
            raise self._damaged(
                f"marques de conflit git ligne {line} : gardez les empreintes des deux "
                "versions (la liste de chaque document réunit celles des deux côtés)")
        try:
            files = json.loads(text)["files"]
        except (ValueError, KeyError, TypeError, RecursionError):
            raise self._damaged("ce n'est pas un manifeste de qp (JSON illisible ou sans « files »)") \
                from None
        if not isinstance(files, dict) or not all(
                isinstance(name, str) and isinstance(hashes, list)
                and all(isinstance(h, str) and _DIGEST.fullmatch(h) for h in hashes)
                for name, hashes in files.items()):
            raise self._damaged("contenu inattendu (chaque document doit avoir une liste "
                                "d'empreintes SHA-256)")
        return files

    def _damaged(self, why: str) -> QPError:
        return QPError(
            f"le manifeste {self.path} est endommagé : {why}. Réparez-le, ou supprimez-le : qp "
            "tiendra alors chaque document déjà présent pour modifié à la main, et ne le "
            "remplacera qu'avec --force (en gardant l'ancien à côté)")

    def written_by_us(self, name: str, data: bytes) -> bool:
        return digest(data) in self.files.get(name, [])

    def expect(self, name: str, on_disk: bytes | None, new: bytes) -> None:
        """Accept both the content on disk (None: no file, or one kept aside) and the new
        one, until `settle`."""
        accepted = {digest(new)} | ({digest(on_disk)} if on_disk is not None else set())
        self.files[name] = sorted(accepted)

    def settle(self, name: str, data: bytes) -> None:
        self.files[name] = [digest(data)]

    def forget(self, name: str) -> None:
        self.files.pop(name, None)

    def save(self) -> None:
        """Write the manifest if it changed (a run that writes nothing leaves it alone)."""
        if self.files == self._saved:
            return
        text = json.dumps({"version": 1, "files": dict(sorted(self.files.items()))},
                          indent=1, sort_keys=True) + "\n"
        try:
            write_atomic(self.path, text.encode("utf-8"))
        except OSError as exc:
            raise QPError(f"écriture impossible de {self.path} : {describe_os_error(exc)}") from None
        self._saved = {k: list(v) for k, v in self.files.items()}


def keep_aside(target: Path) -> Path:
    """Move a hand-edited document to `<name>.modifie-a-la-main[-N].docx` and return
    that name. The name is reserved by creating it exclusively, at the moment of the move:
    two documents kept aside can never get the same name."""
    number = 1
    while True:
        suffix = HAND_EDITED if number == 1 else f"{HAND_EDITED}-{number}"
        candidate = target.with_name(f"{target.stem}{suffix}{target.suffix}")
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            number += 1
            continue
        try:
            os.replace(target, candidate)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(candidate)
            raise
        return candidate
