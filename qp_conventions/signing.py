"""`qp sign`: record that an act (the convention, its feuille de route, an avenant) was
signed. The territory file says so (its date, who signed it — `signataires` — and for
the convention `statut: signee`; the rest of the file untouched), and the documents that
were signed are archived under out/signees/ with the record of their text (acts.py):
from then on, the act changes only by avenant.

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

from . import acts, documents, pdf, pdf_signatures
from .errors import ERROR, InvalidTerritory, Problem, QPError, describe_os_error, field_path
from .output import ChangedMeanwhile, locked, prepare_folder, rewrite, write_atomic
from .validate import ROADMAP_PARTS, check_file
from .yaml_edit import edit_file


@dataclass
class Signed:
    act: acts.Act
    archive: Path
    territory_file: Path
    people: acts.People
    verification: pdf_signatures.Verification | None = None  # of the signed PDF, if given


def sign(path: Path, day: dt.date | None, out: Path, *, act_name: str = "convention",
         today: dt.date, wait: float = 60, on_wait: Callable[[], None] = lambda: None,
         signed_pdf: Path | None = None, trust: Path | None = None) -> Signed:
    """Sign the act `act_name` of the territory file `path` on `day`. Refused, with what
    is wrong, if the file has errors, if a fact the act prints is still to complete, if
    the date is impossible or is not the one the file already records, or if the act is
    already archived. With `signed_pdf`, the PDF that came back signed is verified first
    (pdf_signatures.py), dates the signature (`day`, if given, must agree), and is
    archived with what its verification found (`trust`: the PEM certificates the chain
    is checked against)."""
    slug = path.stem
    checked = check_file(path)
    if checked.errors:
        raise InvalidTerritory(checked.errors)
    territory = checked.territory
    act = acts.named(territory, act_name)
    recorded = act.date if act.signed else None
    kept = acts.record(out, slug, act)
    if kept is not None:
        again = "" if recorded else (
            f" ; {path} ne le dit plus : remettez-y sa date de signature")
        raise QPError(f"{act.label} de {slug} est déjà signé{act.e}"
                      f" (le {kept['signee_le']}) et archivé{act.e}"
                      f" sous {out / acts.ARCHIVE}{again} ; une modification passe par un "
                      "avenant")
    verification = None
    if signed_pdf is not None:
        verification = _verify(path, checked, out, act, signed_pdf, trust)
        if day is not None and day != verification.day:
            raise QPError(f"--date {day:%Y-%m-%d} ne s'accorde pas avec {signed_pdf}, dont la "
                          f"dernière signature date du {verification.day:%d/%m/%Y} (heure de "
                          "Paris) : rien n'a été changé")
        day = verification.day
        if isinstance(recorded, dt.date) and recorded != day:
            raise QPError(f"{path} dit déjà {act.signed_label} le {recorded:%d/%m/%Y}, mais la "
                          f"dernière signature de {signed_pdf} date du {day:%d/%m/%Y} : qp sign "
                          "ne change pas une date de signature ; rien n'a été changé")
    if isinstance(recorded, dt.date) and recorded != day:
        raise QPError(f"{path} dit déjà {act.label} signé{act.e} "
                      f"le {recorded:%d/%m/%Y} : qp sign ne change pas une date de signature "
                      f"(pour archiver {act.signed_label} : "
                      f"{acts.sign_command(path, out, act, recorded)})")
    if day > today:
        raise QPError(f"date de signature à venir ({day:%d/%m/%Y}) : qp sign enregistre une "
                      "signature faite")
    if act.kind == acts.CONVENTION:
        # A signed convention is complete; its annexes may follow (the feuille de route).
        blocking = [replace(p, severity=ERROR, message=p.message.replace(
                        "à compléter :", "à compléter avant de signer :", 1))
                    for p in checked.warnings if p.field.split(".")[0].split("[")[0]
                    not in ROADMAP_PARTS and p.field != "signature.date"]
        if blocking:
            raise InvalidTerritory(blocking)
    people = acts.signatories(territory, act)
    changes: dict[tuple, object] = {(*act.loc, "date"): day.isoformat()}
    if act.kind == acts.CONVENTION:
        changes = {("statut",): "signee", **changes}
        if "redaction" not in territory.model_fields_set:
            # the wording signed, written down: a later default model never changes it
            changes[("redaction",)] = territory.redaction
    written = acts.recorded_yaml(people)
    if act.recorded is None:
        changes[(*act.loc, "signataires")] = written
    else:  # signatories written by hand stay as written; the others are recorded
        for part in ("representant", "etat"):
            if getattr(act.recorded, part) is None:
                changes[(*act.loc, "signataires", part)] = written[part]
    original = path.read_bytes()
    new_text = edit_file(path, changes)
    signed = check_file(path, new_text.lstrip("\ufeff").replace("\r\n", "\n"))
    if signed.errors:  # the dates of a court: after the end of validity, before the act…
        raise InvalidTerritory(signed.errors)
    act = acts.named(signed.territory, act_name)
    if not act.signed or act.date != day or act.recorded is None \
            or act.recorded.representant is None or act.recorded.etat is None:
        # (a layout the change landed in without meaning it: a comment, a flow rubric)
        raise QPError(f"{path} : qp ne sait pas écrire la signature de {act.label} dans la "
                      f"mise en page de ce fichier : écrivez vous-même "
                      f"{field_path((*act.loc, 'date'))}: {day.isoformat()} (en lignes, une clé "
                      "par ligne), puis relancez ; rien n'a été changé")
    papers = []
    for paper in act.papers:
        blocks = documents.render_paper(signed, paper)
        missing = acts.missing_in(blocks if act.kind != acts.CONVENTION else acts.split(blocks)[0])
        if missing:
            raise InvalidTerritory([Problem(
                path, None, None, field_path(act.loc),
                f"{paper.file(slug)} imprime encore {m} : à compléter avant de signer (les "
                "personnes en fonction s'écrivent sous intercommunalite.representant et etat ; "
                f"celles de cet acte, s'il en a d'autres, sous {field_path(act.loc)}.signataires)")
                for m in missing])
        papers.append((paper.file(slug), documents.paper_document(signed, act, paper, blocks),
                       blocks))
    prepare_folder(out)
    with locked(out, wait, on_wait):
        try:
            target = rewrite(path, new_text.encode("utf-8"), was=original)  # (a link's file)
        except ChangedMeanwhile:
            raise QPError(f"{path} a été modifié pendant la signature : rien n'a été signé ; "
                          "relancez la commande") from None
        try:
            archived = acts.archive(
                out, slug, act, day, signed.territory.labellisation, people, papers,
                *((verification.data, verification.record()) if verification else ()))
        except BaseException as exc:  # nothing signed: the file as it was
            with contextlib.suppress(OSError):
                write_atomic(target, original)
            if isinstance(exc, (OSError, QPError)):
                why = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
                raise QPError(f"archive impossible sous {out / acts.ARCHIVE} ({why}) : "
                              f"rien n'a été signé, {path} est inchangé") from None
            raise
    return Signed(act, archived, path, people, verification)


def _verify(path: Path, checked, out: Path, act: acts.Act, signed_pdf: Path,
            trust: Path | None) -> pdf_signatures.Verification:
    """The signed PDF of an act verified: the fingerprints of the PDFs qp wrote for it,
    and its text as it is now or once signed on the day of its last signature."""
    slug = path.stem
    paper = act.papers[0]

    def texts(when: dt.date) -> tuple[list[str], list[str] | None]:
        now = acts.own_text(documents.render_paper(checked, paper))
        changes = {(*act.loc, "date"): when.isoformat()}
        if act.kind == acts.CONVENTION:
            changes[("statut",)] = "signee"
        if act.recorded is None:
            changes[(*act.loc, "signataires")] = acts.recorded_yaml(
                acts.signatories(checked.territory, act))
        edited = edit_file(path, changes)
        then = check_file(path, edited.lstrip("\ufeff").replace("\r\n", "\n"))
        return now, (None if then.errors else
                     acts.own_text(documents.render_paper(then, paper)))

    return pdf_signatures.verify_signed_pdf(
        signed_pdf, pdf.fingerprints(out).get(f"{slug}{act.suffix}.pdf", []), texts,
        pdf_signatures.signatories_of(checked.territory, acts.signatories(checked.territory, act)),
        f"{act.label} de {slug}", trust)


def signer_names(people: acts.People) -> str:
    """« Camille Exemple et Claude Fictif » (who signed, as the summary names them)."""
    return " et ".join(name or "?" for name in acts.people_record(people, civility=False).values())
