"""PDF copies of the documents through LibreOffice, in one run for the whole batch.

Each PDF is meant to be signed and archived: PDF/A-2b, tagged (headings, lists, table
cells for a screen reader), in French, with its title, bookmarks from the outline and
every font embedded, as LibreOffice's export writes it; then qp adds one empty signature
field per signatory over the space left for that signatory in the signature block, and
records the PDF's fingerprint (`qp sign --pdf` recognises its own PDF by it)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from .docx import CELL_MARGIN, SIGNATURE_MARK, SIGNATURE_SPACE
from .errors import QPError, describe_os_error
from .output import PDF_FINGERPRINTS as FINGERPRINTS, PDF_WORK_PREFIX, write_atomic

# writer_pdf_Export's options (LibreOffice 7.4 or newer): SelectPdfVersion 2 is PDF/A-2b;
# ExportBookmarksToPDFDestination turns the signature marks into named destinations.
EXPORT_OPTIONS = {"SelectPdfVersion": ("long", "2"), "UseTaggedPDF": ("boolean", "true"),
                  "ExportBookmarks": ("boolean", "true"),
                  "ExportBookmarksToPDFDestination": ("boolean", "true")}
EXPORT_FILTER = "pdf:writer_pdf_Export:" + json.dumps(
    {name: {"type": kind, "value": value} for name, (kind, value) in EXPORT_OPTIONS.items()},
    separators=(",", ":"))
FIELD_PREFIX = "Signature — "
KEPT_FINGERPRINTS = 20  # per PDF: a parapheur may have been sent any recent one

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


def field_name(party: str) -> str:
    """The name of a signatory's signature field: « Signature — Toulouse Métropole »."""
    return f"{FIELD_PREFIX}{party}"


def convert(documents: list[Path], out: Path,
            signatories: dict[str, list[str]] | None = None) -> list[Path]:
    """Write out/<name>.pdf for each document with one LibreOffice run; each PDF is put
    in place atomically, so an interrupted conversion leaves the previous PDFs.
    `signatories`: by document name (« toulouse.docx »), the parties whose signature
    fields its PDF gets, in the order of its signature block."""
    if not documents:
        return []
    soffice = find_soffice()
    with tempfile.TemporaryDirectory(prefix=PDF_WORK_PREFIX, dir=out) as work:
        work_dir = Path(work)
        # A profile of its own: a LibreOffice already open on the desktop would otherwise
        # take the request and silently convert nothing.
        profile = (work_dir / "profile").resolve().as_uri()
        command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                   "--convert-to", EXPORT_FILTER, "--outdir", str(work_dir),
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
            data = finish(produced.read_bytes(), (signatories or {}).get(document.name, []),
                          target)
            try:
                remember(out, target.name, data)  # (first: a PDF on disk is always known)
                write_atomic(target, data)
            except OSError as exc:
                raise QPError(f"écriture impossible de {target} : {describe_os_error(exc)}") from None
            written.append(target)
        if missing:
            said = (result.stderr or "").strip().splitlines()[-1:]
            detail = f" ({said[0][:300]})" if said else f" (code de sortie {result.returncode})"
            raise QPError(f"LibreOffice n'a pas converti en PDF : {', '.join(missing)}{detail}")
    return written


def finish(data: bytes, parties: list[str], target: Path) -> bytes:
    """LibreOffice's PDF made ready to sign: its XMP title as its title, then the
    signature fields (`target`: the PDF named in a message)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as document:
        # LibreOffice 7.4 escapes an apostrophe twice in the XMP (« d&apos;engagement »):
        # PDF/A wants the XMP and the document information to say the same.
        info = document.docinfo
        with document.open_metadata(set_pikepdf_as_editor=False,
                                    update_docinfo=False) as metadata:
            for key, name in (("dc:title", "/Title"), ("dc:description", "/Subject")):
                if name in info:
                    metadata[key] = str(info[name])
        fixed = io.BytesIO()
        document.save(fixed)
    return add_signature_fields(fixed.getvalue(), parties, target) if parties else \
        fixed.getvalue()


def signature_spaces(data: bytes) -> list[tuple[int, tuple[float, float, float, float]]]:
    """Where each signatory signs, in the order of the signature block: the page (from
    0) and the box (left, bottom, right, top, in points) of the space left for the
    signature. Found from the marks the document carries (named destinations at the top
    left of each space's text), as wide as its column and as tall as the space."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as document:
        dests = document.Root.get("/Dests")
        marks = {}
        for key in (dests.keys() if dests is not None else []):
            if key.startswith(f"/{SIGNATURE_MARK}") and key[len(SIGNATURE_MARK) + 1:].isdigit():
                dest = dests[key]
                page = document.pages.index(dest[0])
                marks[int(key[len(SIGNATURE_MARK) + 1:])] = (page, float(dest[2]), float(dest[3]))
        if sorted(marks) != list(range(1, len(marks) + 1)):
            return []  # (none, or not the block qp wrote: said by the caller)
        spaces = []
        margin = CELL_MARGIN / 20
        page_width = float(document.pages[marks[1][0]].mediabox[2])
        for number in range(1, len(marks) + 1):
            page, left, top = marks[number]
            # the block spans the text's width, between margins as wide on both sides
            text_left = marks[1][1] - margin
            column = (page_width - 2 * text_left) / len(marks)
            # (the row starts a little above the space's first line: kept within it)
            spaces.append((page, (left, top - SIGNATURE_SPACE / 20 + margin,
                                  left + column - 2 * margin, top)))
        return spaces


@contextlib.contextmanager
def quiet_pyhanko():
    """Importing pyHanko: it loads the DSA keys that `cryptography` deprecates, a warning
    for its developers, not for the person who runs qp."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="DSA is deprecated")
        yield


def add_signature_fields(data: bytes, parties: list[str], target: Path) -> bytes:
    """One empty signature field per party, named after it, over its space in the
    signature block, added as an incremental update (the PDF/A document is kept as is)."""
    with quiet_pyhanko():
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    spaces = signature_spaces(data)
    if len(spaces) != len(parties):
        raise QPError(f"{target} : {len(spaces)} espace(s) de signature trouvé(s) dans le PDF "
                      f"pour {len(parties)} signataire(s) : les champs de signature n'ont pas "
                      "été ajoutés (LibreOffice 7.4 ou plus récent est nécessaire)")
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    for party, (page, box) in zip(parties, spaces):
        append_signature_field(writer, SigFieldSpec(
            sig_field_name=field_name(party), on_page=page,
            box=tuple(round(v, 2) for v in box), empty_field_appearance=True,
            readable_field_name=f"Signature de {party}"))
    result = io.BytesIO()
    writer.write(result)
    return result.getvalue()


def fingerprint(data: bytes) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "octets": len(data)}


def remember(out: Path, name: str, data: bytes) -> None:
    """Add the fingerprint of a PDF qp writes to out/'s record (its lock held)."""
    kept = fingerprints(out)
    entry = {**fingerprint(data), "ecrit_le": f"{dt.datetime.now().astimezone():%Y-%m-%dT%H:%M:%S%z}"}
    history = [e for e in kept.get(name, []) if e.get("sha256") != entry["sha256"]]
    kept[name] = (history + [entry])[-KEPT_FINGERPRINTS:]
    write_atomic(out / FINGERPRINTS,
                 (json.dumps(kept, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def fingerprints(out: Path) -> dict[str, list[dict]]:
    """The fingerprints of the PDFs qp wrote in out/, by PDF name, oldest first; a
    record that cannot be read counts as none (a PDF is then recognised by its text)."""
    try:
        kept = json.loads((out / FINGERPRINTS).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(kept, dict):
        return {}
    return {name: [e for e in entries if isinstance(e, dict) and isinstance(e.get("sha256"), str)
                   and isinstance(e.get("octets"), int)]
            for name, entries in kept.items() if isinstance(entries, list)}
