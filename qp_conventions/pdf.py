"""PDF copies of the documents through LibreOffice, in one run for the whole batch."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import QPError
from .output import write_atomic

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


def find_soffice() -> str | None:
    explicit = os.environ.get("QP_SOFFICE")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for place in _WINDOWS_PLACES + ("/Applications/LibreOffice.app/Contents/MacOS/soffice",):
        if Path(place).is_file():
            return place
    return None


def convert(documents: list[Path], out: Path) -> list[Path]:
    """Write out/<name>.pdf for each document with one LibreOffice run; each PDF is put
    in place atomically, so an interrupted conversion leaves the previous PDFs."""
    if not documents:
        return []
    soffice = find_soffice()
    if soffice is None:
        raise QPError(INSTALL_HINT)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".qp-pdf-", dir=out) as work:
        work_dir = Path(work)
        # A profile of its own: a LibreOffice already open on the desktop would otherwise
        # take the request and silently convert nothing.
        profile = (work_dir / "profile").resolve().as_uri()
        command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                   "--convert-to", "pdf", "--outdir", str(work_dir),
                   *(str(d.resolve()) for d in documents)]
        try:
            result = subprocess.run(command, capture_output=True, text=True,
                                    timeout=120 + 10 * len(documents))
        except subprocess.TimeoutExpired:
            raise QPError("LibreOffice n'a pas terminé la conversion en PDF à temps") from None
        written = []
        missing = []
        for document in documents:
            produced = work_dir / f"{document.stem}.pdf"
            if not produced.is_file():
                missing.append(document.name)
                continue
            target = out / produced.name
            write_atomic(target, produced.read_bytes())
            written.append(target)
        if missing:
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
            raise QPError(f"LibreOffice n'a pas converti en PDF : {', '.join(missing)} "
                          f"({detail[0]})")
    return written
