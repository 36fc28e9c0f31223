"""`qp sign`: record that a convention was signed. The territory file says so
(`statut: signee`, `signature.date`, the rest of the file untouched), and the document
that was signed is archived under out/signees/ with the record of its text (see
documents.py): from then on, the convention changes only by avenant.

The territory file is written first, then the archive, its record last. A run stopped
in between (a power cut) leaves a file that says « signée » without an archive:
`qp generate` reports it, and `qp sign` again, with the same date, finishes the job. A
failure or an interruption that Python sees puts the file back as it was."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from . import documents, pdf, pdf_signatures
from .errors import ERROR, InvalidTerritory, QPError, describe_os_error
from .output import ChangedMeanwhile, locked, prepare_folder, rewrite, write_atomic
from .render import CONVENTION, render_blocks
from .validate import ROADMAP_PARTS, check_file
from .yaml_edit import edit_file


@dataclass
class Signed:
    archive: Path
    territory_file: Path
    verification: pdf_signatures.Verification | None = None  # of the signed PDF, if given


def sign(path: Path, day: dt.date | None, out: Path, *, today: dt.date, wait: float = 60,
         on_wait: Callable[[], None] = lambda: None, signed_pdf: Path | None = None,
         trust: Path | None = None) -> Signed:
    """Sign the convention of the territory file `path` on `day`. Refused, with what is
    wrong, if the file has errors, if a fact of the convention is still to complete, if
    the date is impossible or is not the one the file already records, or if the
    convention is already archived. With `signed_pdf`, the PDF that came back signed is
    verified first (pdf_signatures.py), dates the signature (`day`, if given, must
    agree), and is archived with what its verification found (`trust`: the PEM
    certificates the chain is checked against)."""
    slug = path.stem
    checked = check_file(path)
    if checked.errors:
        raise InvalidTerritory(checked.errors)
    territory = checked.territory
    recorded = territory.signature.date if territory.statut == "signee" else None
    kept = documents.record(out, slug)
    if kept is not None:
        again = "" if recorded else (
            f" ; {path} ne le dit plus : remettez-y « statut: signee » et la date de "
            "signature")
        raise QPError(f"la convention de {slug} est déjà signée (le {kept['signee_le']}) et "
                      f"archivée sous {out / documents.ARCHIVE}{again} ; une modification "
                      "passe par un avenant")
    verification = None
    if signed_pdf is not None:
        verification = _verify(path, checked, out, signed_pdf, trust)
        if day is not None and day != verification.day:
            raise QPError(f"--date {day:%Y-%m-%d} ne s'accorde pas avec {signed_pdf}, dont la "
                          f"dernière signature date du {verification.day:%d/%m/%Y} (heure de "
                          "Paris) : rien n'a été changé")
        day = verification.day
    if isinstance(recorded, dt.date) and recorded != day and verification is not None:
        raise QPError(f"{path} dit déjà la convention signée le {recorded:%d/%m/%Y}, mais la "
                      f"dernière signature de {signed_pdf} date du {day:%d/%m/%Y} : qp sign "
                      "ne change pas une date de signature ; rien n'a été changé")
    if isinstance(recorded, dt.date) and recorded != day:
        raise QPError(f"{path} dit déjà la convention signée le {recorded:%d/%m/%Y} : qp sign "
                      "ne change pas une date de signature (pour archiver la convention "
                      f"signée : qp sign {slug} --date {recorded:%Y-%m-%d})")
    if day > today:
        raise QPError(f"date de signature à venir ({day:%d/%m/%Y}) : qp sign enregistre une "
                      "signature faite")
    if day < territory.labellisation:
        raise QPError(f"la signature ({day:%d/%m/%Y}) ne peut précéder la labellisation "
                      f"({territory.labellisation:%d/%m/%Y})")
    # A signed convention is complete; its annexes may follow (the feuille de route), and
    # the date is the one given here.
    blocking = [replace(p, severity=ERROR, message=p.message.replace(
                    "à compléter :", "à compléter avant de signer :", 1))
                for p in checked.warnings if p.field.split(".")[0].split("[")[0]
                not in ROADMAP_PARTS and p.field != "signature.date"]
    if blocking:
        raise InvalidTerritory(blocking)
    original = path.read_bytes()
    new_text = edit_file(path, {("statut",): "signee", ("signature", "date"): day.isoformat()})
    signed = check_file(path, new_text.lstrip("\ufeff").replace("\r\n", "\n"))
    if signed.errors:  # what a signed convention may not leave to complete
        raise InvalidTerritory(signed.errors)
    blocks = render_blocks(signed.territory, CONVENTION)
    document = documents.convention(signed, blocks)
    prepare_folder(out)
    with locked(out, wait, on_wait):
        try:
            target = rewrite(path, new_text.encode("utf-8"), was=original)  # (a link's file)
        except ChangedMeanwhile:
            raise QPError(f"{path} a été modifié pendant la signature : rien n'a été signé ; "
                          "relancez la commande") from None
        try:
            archived = documents.archive(
                out, slug, day, document, blocks, signed.territory.labellisation,
                *((verification.data, verification.record()) if verification else ()))
        except BaseException as exc:  # nothing signed: the file as it was
            with contextlib.suppress(OSError):
                write_atomic(target, original)
            if isinstance(exc, (OSError, QPError)):
                why = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
                raise QPError(f"archive impossible sous {out / documents.ARCHIVE} ({why}) : "
                              f"rien n'a été signé, {path} est inchangé") from None
            raise
    return Signed(archived, path, verification)


def _verify(path: Path, checked, out: Path, signed_pdf: Path,
            trust: Path | None) -> pdf_signatures.Verification:
    """The signed PDF of the convention verified: the fingerprints of the PDFs qp wrote
    for it, and its text as it is now or once signed on the day of its last signature."""
    slug = path.stem

    def texts(when: dt.date) -> tuple[list[str], list[str] | None]:
        now = documents.convention_text(render_blocks(checked.territory, CONVENTION))
        edited = edit_file(path, {("statut",): "signee", ("signature", "date"): when.isoformat()})
        then = check_file(path, edited.lstrip("\ufeff").replace("\r\n", "\n"))
        return now, (None if then.errors else
                     documents.convention_text(render_blocks(then.territory, CONVENTION)))

    return pdf_signatures.verify_signed_pdf(
        signed_pdf, pdf.fingerprints(out).get(f"{slug}.pdf", []), texts,
        pdf_signatures.signatories_of(checked.territory), f"la convention de {slug}", trust)
