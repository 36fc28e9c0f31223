"""PDF copies of the documents through LibreOffice, in one run for the whole batch."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import QPError, describe_os_error
from .output import PDF_WORK_PREFIX, write_atomic

INSTALL_HINT = (
    "LibreOffice est introuvable : les documents Word ont été écrits, mais pas les PDF. "
    "Installez LibreOffice (Debian/Ubuntu : « sudo apt-get install libreoffice-writer » ; "
    "Windows et macOS : https://fr.libreoffice.org/download/), ou indiquez le chemin de "
    "soffice dans la variable d'environnement QP_SOFFICE."
)

_WINDOWS_PLACES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)


def find_soffice() -> str:
    """LibreOffice's `soffice`: QP_SOFFICE, else the PATH, else its usual places."""
    explicit = os.environ.get("QP_SOFFICE")
    if explicit:
        if not Path(explicit).exists():
            raise QPError(f"QP_SOFFICE désigne {explicit}, qui n'existe pas : les documents Word "
                          "ont été écrits, mais pas les PDF")
        if not Path(explicit).is_file():
            raise QPError(f"QP_SOFFICE désigne {explicit}, qui n'est pas un programme : les "
                          "documents Word ont été écrits, mais pas les PDF")
        if not os.access(explicit, os.X_OK):
            raise QPError(f"QP_SOFFICE désigne {explicit}, qui n'est pas exécutable : les "
                          "documents Word ont été écrits, mais pas les PDF")
        return explicit
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for place in _WINDOWS_PLACES + ("/Applications/LibreOffice.app/Contents/MacOS/soffice",):
        if Path(place).is_file():
            return place
    raise QPError(INSTALL_HINT)


def stop_orphan_soffice(work: Path) -> None:
    """Stop a LibreOffice left running in a working folder by a qp that was killed. Its
    processes are recognised by that folder in their command line, which only Linux's
    /proc shows; elsewhere such a LibreOffice ends by itself when its conversion is done."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    needle = str(work.resolve()).encode()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "cmdline").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)


def remove_abandoned_work(out: Path) -> None:
    """LibreOffice's working folders left by killed runs (called with out/'s lock held,
    so none belongs to a running qp)."""
    for work in out.glob(f"{PDF_WORK_PREFIX}*"):
        if work.is_dir() and not work.is_symlink():
            stop_orphan_soffice(work)
            shutil.rmtree(work, ignore_errors=True)


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run LibreOffice in a process group of its own, stopped entirely (the launcher and
    soffice.bin) if qp is interrupted or the conversion takes too long."""
    posix = sys.platform != "win32"
    try:
        # (its standard output only lists the conversions: not kept)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True, errors="replace", start_new_session=posix)
    except OSError as exc:
        raise QPError(f"impossible de lancer LibreOffice ({command[0]}) : "
                      f"{describe_os_error(exc)}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException as exc:
        if posix:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
        process.kill()
        process.wait()
        if isinstance(exc, subprocess.TimeoutExpired):
            raise QPError("LibreOffice n'a pas terminé la conversion en PDF à temps") from None
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def convert(documents: list[Path], out: Path) -> list[Path]:
    """Write out/<name>.pdf for each document with one LibreOffice run; each PDF is put
    in place atomically, so an interrupted conversion leaves the previous PDFs."""
    if not documents:
        return []
    soffice = find_soffice()
    with tempfile.TemporaryDirectory(prefix=PDF_WORK_PREFIX, dir=out) as work:
        work_dir = Path(work)
        # A profile of its own: a LibreOffice already open on the desktop would otherwise
        # take the request and silently convert nothing.
        profile = (work_dir / "profile").resolve().as_uri()
        command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                   "--convert-to", "pdf", "--outdir", str(work_dir),
                   *(str(d.resolve()) for d in documents)]
        result = _run(command, timeout=120 + 10 * len(documents))
        written = []
        missing = []
        for document in documents:
            produced = work_dir / f"{document.stem}.pdf"
            if not produced.is_file():
                missing.append(document.name)
                continue
            target = out / produced.name
            try:
                write_atomic(target, produced.read_bytes())
            except OSError as exc:
                raise QPError(f"écriture impossible de {target} : {describe_os_error(exc)}") from None
            written.append(target)
        if missing:
            said = (result.stderr or "").strip().splitlines()[-1:]
            detail = f" ({said[0][:300]})" if said else f" (code de sortie {result.returncode})"
            raise QPError(f"LibreOffice n'a pas converti en PDF : {', '.join(missing)}{detail}")
    return written
