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
    _refuse_changed_acts(checked, out)
    _refuse_incomplete(checked, act)  # (before a signed PDF is compared with the text)
    verification = None
    if signed_pdf is not None:
        _one_document(act)
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
    doubt = acts.out_of_office(territory, act, day)
    if doubt:
        raise QPError(f"{doubt} : inscrivez ceux qui ont signé {act.label} sous "
                      f"{field_path(act.loc)}.signataires (mêmes clés que "
                      "intercommunalite.representant et etat), puis relancez ; rien n'a été "
                      "changé")
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
        blocks = _complete_blocks(signed, act, paper)
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
                *((verification.data, verification.record()) if verification else (None, None)),
                territory_text=new_text.lstrip("\ufeff").replace("\r\n", "\n"))
        except BaseException as exc:  # nothing signed: the file as it was
            with contextlib.suppress(OSError):
                write_atomic(target, original)
            if isinstance(exc, (OSError, QPError)):
                why = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
                raise QPError(f"archive impossible sous {out / acts.ARCHIVE} ({why}) : "
                              f"rien n'a été signé, {path} est inchangé") from None
            raise
        with contextlib.suppress(OSError):  # signed: no PDF of it is left to sign
            (out / to_sign_name(slug, act)).unlink()
    return Signed(act, archived, path, people, verification)


def _refuse_changed_acts(checked, out: Path) -> None:
    """No act is signed on top of a signed act changed since (its text, its archive):
    the dates and durations checked for the new one would be the changed ones."""
    errors = [p for p in documents.build(checked, out, roadmap=False)[1] if p.is_error]
    if errors:
        raise InvalidTerritory(errors)


def _refuse_incomplete(checked, act: acts.Act) -> None:
    """A convention is signed complete (its annexes may follow, with the feuille de
    route): its facts still « à compléter » refused, each where it is (but its date,
    which the signature gives)."""
    if act.kind != acts.CONVENTION:
        return
    blocking = [replace(p, severity=ERROR, message=p.message.replace(
                    "à compléter :", "à compléter avant de signer :", 1))
                for p in checked.warnings if p.field.split(".")[0].split("[")[0]
                not in ROADMAP_PARTS and p.field != "signature.date"]
    if blocking:
        raise InvalidTerritory(blocking)


def _complete_blocks(checked, act: acts.Act, paper: acts.Paper) -> list:
    """The blocks of one of an act's documents, refused while they print a fact « à
    compléter » (the annexes of a convention may: the feuille de route brings them)."""
    blocks = documents.render_paper(checked, paper)
    missing = acts.missing_in(blocks if act.kind != acts.CONVENTION else acts.split(blocks)[0])
    if missing:
        raise InvalidTerritory([Problem(
            checked.path, None, None, field_path(act.loc),
            f"{paper.file(checked.path.stem)} imprime encore {m} : à compléter avant de signer "
            "(les personnes en fonction s'écrivent sous intercommunalite.representant et etat ; "
            f"celles de cet acte, s'il en a d'autres, sous {field_path(act.loc)}.signataires)")
            for m in missing])
    return blocks


def to_sign_name(slug: str, act: acts.Act) -> str:
    """The PDF of an act to deposit in the parapheur: « toulouse.a-signer.pdf »."""
    return f"{slug}{act.suffix}.a-signer.pdf"


def prepare(path: Path, out: Path, *, act_name: str = "convention", today: dt.date,
            wait: float = 60, on_wait: Callable[[], None] = lambda: None) -> Path:
    """Write the PDF of the act `act_name` to deposit in the parapheur: the act as it
    will be signed, without « PROJET » (a working draft keeps it), so refused while a
    fact it prints is still « à compléter » or once the act is signed; PDF/A, one
    signature field per signatory, its fingerprint kept so that `qp sign --pdf`
    recognises it. Its date is the one planned (signature.date), or « le … » for the
    signatures to date it: the archived document says the day of the last signature."""
    import tempfile

    from .output import PDF_WORK_PREFIX

    slug = path.stem
    checked = check_file(path)
    if checked.errors:
        raise InvalidTerritory(checked.errors)
    act = acts.named(checked.territory, act_name)
    kept = acts.record(out, slug, act)
    if act.signed or kept is not None:
        day = kept["signee_le"] if kept is not None else f"{act.date:%d/%m/%Y}"
        raise QPError(f"{act.label} de {slug} est déjà signé{act.e} (le {day}) : il n'y a "
                      "plus de PDF à signer ; une modification passe par un avenant")
    _one_document(act)
    _refuse_changed_acts(checked, out)
    _refuse_incomplete(checked, act)
    # the dates of a signature today (after the end of validity, before the act it
    # modifies…): refused now rather than once the parapheur has made everyone sign
    then = _as_signed(path, checked, act, today)
    if then.errors:
        raise InvalidTerritory(then.errors)
    paper = act.papers[0]
    data = documents.paper_document(checked, act, paper, _complete_blocks(checked, act, paper),
                                    draft=False)
    name = to_sign_name(slug, act)
    prepare_folder(out)
    with locked(out, wait, on_wait):
        with tempfile.TemporaryDirectory(prefix=PDF_WORK_PREFIX, dir=out) as work:
            source = Path(work) / f"{name[:-len('.pdf')]}.docx"
            source.write_bytes(data)
            [written] = pdf.convert([source], out,
                                    {source.name: list(documents.signatories(checked.territory))})
    return written


def _as_signed(path: Path, checked, act: acts.Act, day: dt.date):
    """The territory file checked as it would be once `act` is signed on `day` (its date,
    for the convention its statut, and its signatories if it names none)."""
    changes: dict[tuple, object] = {(*act.loc, "date"): day.isoformat()}
    if act.kind == acts.CONVENTION:
        changes[("statut",)] = "signee"
    if act.recorded is None:
        changes[(*act.loc, "signataires")] = acts.recorded_yaml(
            acts.signatories(checked.territory, act))
    edited = edit_file(path, changes)
    return check_file(path, edited.lstrip("\ufeff").replace("\r\n", "\n"))


def _one_document(act: acts.Act) -> None:
    """An act signed electronically is one PDF: an avenant that annexes a revised
    feuille de route has two documents, each with its signature block."""
    if len(act.papers) > 1:
        raise QPError(f"{act.label} révise la feuille de route, qu'il annexe : ses deux "
                      "documents se signent ensemble, et qp ne sait pas encore les réunir en "
                      "un seul PDF à signer ; signez-les sur papier, puis enregistrez la "
                      f"signature avec « qp sign … {act.name} --date AAAA-MM-JJ »")


def _verify(path: Path, checked, out: Path, act: acts.Act, signed_pdf: Path,
            trust: Path | None) -> pdf_signatures.Verification:
    """The signed PDF of an act verified: the fingerprints of the PDFs qp wrote for it,
    and its text as it is now or once signed on the day of its last signature."""
    slug = path.stem
    paper = act.papers[0]
    written = pdf.fingerprints(out)

    def texts(when: dt.date) -> tuple[list[str], list[str] | None]:
        now = acts.own_text(documents.render_paper(checked, paper))
        then = _as_signed(path, checked, act, when)
        if then.errors:
            return now, None
        # (the act of the territory once signed: an avenant's paper names its avenant)
        signed_paper = acts.named(then.territory, act.name).papers[0]
        return now, acts.own_text(documents.render_paper(then, signed_paper))

    # The working copy of an act not yet signed carries « PROJET » on every page: it is
    # not what gets signed (the PDF to sign is)
    if pdf_signatures.begins_with(pdf_signatures.read_pdf(signed_pdf),
                                  written.get(f"{slug}{act.suffix}.pdf", [])):
        command = f"qp sign {slug}{'' if act.kind == acts.CONVENTION else ' ' + act.name} --a-signer"
        raise QPError(f"{signed_pdf} est la copie de travail de {act.label} de {slug}, écrite par "
                      "qp generate --pdf : « PROJET » y est sur chaque page. Faites signer le "
                      f"PDF à signer, écrit par « {command} » ; rien n'a été changé")
    return pdf_signatures.verify_signed_pdf(
        signed_pdf, written.get(to_sign_name(slug, act), []), texts,
        pdf_signatures.signatories_of(checked.territory, acts.signatories(checked.territory, act)),
        f"{act.label} de {slug}", trust)


def signer_names(people: acts.People) -> str:
    """« Camille Exemple et Claude Fictif » (who signed, as the summary names them)."""
    return " et ".join(name or "?" for name in acts.people_record(people, civility=False).values())
