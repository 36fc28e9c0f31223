"""The acts of a territory, in one place: the convention, its feuille de route and each
avenant. Each act has its rubric in the territory file (its date, place, copies and, once
signed, who signed it), its documents, and once signed its archive under out/signees/:
the documents as signed and a record of their text. `qp sign` signs an act, `qp
generate` refuses a change that would alter a signed act's text, `qp validate`, `qp
list` and `qp report` read an act's status from here.

A signed act never changes: its own text is frozen; its annexes (annexes 1 to 3) are
frozen once they were signed (with the feuille de route, or with the convention when
they were complete), and change only by an avenant « objet: feuille_de_route », whose
revised feuille de route is a document of its own. The signed document's working copy
then stays the archived one: nothing unsigned is ever written in its place.

The people in office (intercommunalite.representant, etat, the programme's minister)
sign the next act; a signed act keeps the people who signed it (its `signataires`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .blocks import Block
from .errors import WARNING, Problem, QPError, describe_os_error, field_path
from .files import MAX_SIGNED_PDF, MAX_WORD_FILE, NotReadable, holds, read_regular
from .model import Avenant, Prefect, Representative, Signatories, State, Territory

ARCHIVE = "signees"  # the folder of out/ where signed acts are kept
CONVENTION, ROADMAP, AVENANT = "convention", "feuille_de_route", "avenant"


@dataclass(frozen=True)
class Paper:
    """One document of an act: its name in out/ after the territory's, and what it is."""

    suffix: str  # "", ".feuille-de-route", ".avenant-2", ".feuille-de-route-2"
    kind: str  # CONVENTION, ROADMAP (original or revised) or AVENANT
    avenant: Avenant | None = None  # the avenant, or the one that revises the roadmap

    def file(self, slug: str) -> str:
        return f"{slug}{self.suffix}.docx"


@dataclass(frozen=True)
class Act:
    kind: str
    loc: tuple  # the act's rubric in the territory file
    date: Any  # a date once signed; None or a missing fact before
    signed: bool
    recorded: Signatories | None  # who signed, as the file records it
    avenant: Avenant | None = None

    @property
    def number(self) -> int:
        """Its place among the acts that change the convention (0: the convention and
        its feuille de route)."""
        return self.avenant.numero if self.avenant else 0

    @property
    def name(self) -> str:
        """As `qp sign` names it: convention, feuille-de-route, avenant-N."""
        return {CONVENTION: "convention", ROADMAP: "feuille-de-route"}.get(
            self.kind, f"avenant-{self.number}")

    @property
    def suffix(self) -> str:
        return {CONVENTION: "", ROADMAP: ".feuille-de-route"}.get(
            self.kind, f".avenant-{self.number}")

    @property
    def label(self) -> str:
        return {CONVENTION: "la convention", ROADMAP: "la feuille de route"}.get(
            self.kind, f"l'avenant n° {self.number}")

    @property
    def e(self) -> str:
        """The agreement of a participle with the act: « signée » (the convention, the
        feuille de route), « signé » (an avenant)."""
        return "" if self.kind == AVENANT else "e"

    @property
    def signed_label(self) -> str:
        """« la convention signée », « l'avenant n° 2 signé »."""
        return f"{self.label} signé{self.e}"

    @property
    def field(self) -> str:
        """The field a problem of the act names (the convention's: its statut)."""
        if self.kind == CONVENTION:
            return "statut"
        return field_path((*self.loc, "date"))

    @property
    def papers(self) -> list[Paper]:
        if self.kind == CONVENTION:
            return [Paper("", CONVENTION)]
        if self.kind == ROADMAP:
            return [Paper(".feuille-de-route", ROADMAP)]
        papers = [Paper(self.suffix, AVENANT, self.avenant)]
        if self.avenant.objet == "feuille_de_route":  # its revised feuille de route
            papers.append(Paper(f".feuille-de-route-{self.number}", ROADMAP, self.avenant))
        return papers


def of(territory: Territory) -> list[Act]:
    """The territory's acts, in their order."""
    signature, roadmap = territory.signature, territory.feuille_de_route
    found = [Act(CONVENTION, ("signature",), signature.date,
                 territory.statut == "signee" and isinstance(signature.date, dt.date),
                 signature.signataires),
             Act(ROADMAP, ("feuille_de_route",), roadmap.date, isinstance(roadmap.date, dt.date),
                 roadmap.signataires)]
    found += [Act(AVENANT, ("avenants", i), a.date, isinstance(a.date, dt.date), a.signataires, a)
              for i, a in enumerate(territory.avenants)]
    return found


def named(territory: Territory, name: str) -> Act:
    """The act `qp sign` names (convention, feuille-de-route, avenant-N)."""
    found = {act.name: act for act in of(territory)}
    if name in found:
        return found[name]
    known = ", ".join(found)
    if name.startswith("avenant-"):
        raise QPError(f"« {name} » : ce territoire n'a pas d'avenant n° {name[8:]} (ses actes : "
                      f"{known})")
    raise QPError(f"acte « {name} » inconnu : écrivez convention, feuille-de-route ou "
                  f"avenant-N (ses actes : {known})")


def act_of(territory: Territory, paper_kind: str, avenant: Avenant | None) -> Act:
    """The act a document belongs to (a revised feuille de route: its avenant's)."""
    found = of(territory)
    if avenant is not None:
        return next(act for act in found if act.avenant is avenant)
    return found[0] if paper_kind == CONVENTION else found[1]


# --- who signs -------------------------------------------------------------------------

@dataclass(frozen=True)
class People:
    representant: Representative
    etat: State


def signatories(territory: Territory, act: Act) -> People:
    """Who signs an act: those it records (a signed act, or one that names its own), or
    the people in office; an avenant of prolongation is signed for the State by the
    préfet of the département (Article 4: « à l'appréciation de l'Etat représenté par le
    préfet de département »)."""
    recorded = act.recorded
    representant = recorded.representant if recorded and recorded.representant else \
        territory.intercommunalite.representant
    if recorded and recorded.etat:
        etat = recorded.etat
    elif act.kind == AVENANT and act.avenant.objet == "prolongation":
        etat = _prefect_signs(territory)
    else:
        etat = territory.etat
    return People(representant, etat)


def out_of_office(territory: Territory, act: Act, day: dt.date) -> str | None:
    """Why the people in office may not be those who signed `act` on `day`: an act
    signed later by another person for the same party (an election came between). None
    when no later signature says otherwise, or when the act names its own signatories."""
    people = signatories(territory, act)
    mine = people_record(people, civility=False)
    for other in of(territory):
        if other is act or not other.signed or other.date <= day or other.recorded is None:
            continue
        theirs_people = signatories(territory, other)
        theirs = people_record(theirs_people, civility=False)
        same_role = theirs_people.etat.signataire == people.etat.signataire
        for party in ("intercommunalite", "etat"):
            own = act.recorded and getattr(act.recorded, "representant" if party ==
                                           "intercommunalite" else "etat")
            if own or (party == "etat" and not same_role):
                continue
            if party in theirs and party in mine and theirs[party] != mine[party]:
                return (f"{other.signed_label} le {other.date:%d/%m/%Y} l'a été par "
                        f"{theirs[party]}, après le {day:%d/%m/%Y} : ce jour-là, "
                        f"{mine[party]}, en fonction aujourd'hui, ne l'était peut-être pas")
    return None


def _prefect_signs(territory: Territory) -> State:
    prefet = territory.etat.prefet
    departements = territory.intercommunalite.departements
    if prefet is None and departements and isinstance(departements[0], str):
        prefet = Prefect(departement=departements[0])  # its name « à compléter »
    if prefet is None:
        return territory.etat
    return State(signataire="prefet", prefet=prefet)


def recorded_yaml(people: People) -> dict:
    """The `signataires` that `qp sign` writes beside an act's date: the people who
    sign, each part the signature block and the parties print."""

    def fields(section) -> dict:
        return {name: getattr(section, name) for name in type(section).model_fields
                if isinstance(getattr(section, name), str)}  # (not a fact still missing)

    etat: dict[str, Any] = {"signataire": people.etat.signataire}
    if people.etat.signataire in ("ministre", "ministre_ou_prefet"):
        etat["ministre"] = fields(people.etat.ministre)
    if people.etat.prefet is not None and people.etat.signataire != "ministre":
        etat["prefet"] = fields(people.etat.prefet)
    return {"representant": fields(people.representant), "etat": etat}


# --- the text of a signed act ------------------------------------------------------------

def _lines(blocks: list[Block]) -> list[str]:
    lines = []
    for block in blocks:
        if block.runs:
            lines.append("".join(run.text for run in block.runs))
        for row in block.rows:
            lines.append(" | ".join("".join(run.text for run in cell) for cell in row))
        for column in block.columns:
            lines.append(" / ".join("".join(run.text for run in line) if line else "…"
                                    for line in column))
    return lines


def split(blocks: list[Block]) -> tuple[list[Block], list[Block]]:
    """A document's own blocks, and its annexes' (from the first annex title)."""
    for index, block in enumerate(blocks):
        if block.kind == "annex_title":
            return blocks[:index], blocks[index:]
    return blocks, []


def own_text(blocks: list[Block]) -> list[str]:
    """A document's own text (not its annexes), line by line: what was signed. Its look
    (styles, spacing) is not part of it."""
    return _lines(split(blocks)[0])


def _complete(blocks: list[Block]) -> bool:
    runs = [run for b in blocks for run in (*b.runs, *(r for row in b.rows for cell in row
                                                       for r in cell))]
    return bool(blocks) and not any(run.missing for run in runs)


def missing_in(blocks: list[Block]) -> list[str]:
    """The placeholders a document still prints, in order, once each."""
    found: list[str] = []
    for block in blocks:
        lines = [block.runs, *(cell for row in block.rows for cell in row),
                 *(line for column in block.columns for line in column if line)]
        for line in lines:
            for run in line:
                if run.missing and run.text not in found:
                    found.append(run.text)
    return found


# --- the archive -------------------------------------------------------------------------

def record_path(out: Path, slug: str, act: Act) -> Path:
    return out / ARCHIVE / f"{slug}{act.suffix}.json"


def record(out: Path, slug: str, act: Act) -> dict | None:
    """What was kept of a signed act, or None if it was not archived. A record of the
    first releases (the convention only, its own text) reads as one document whose
    annexes were not kept."""
    path = record_path(out, slug, act)
    try:
        kept = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG):
            return None  # no such file can exist there (out/ itself is reported on writing)
        raise QPError(f"archive de {act.signed_label} {path} illisible "
                      f"({describe_os_error(exc)})") from None
    except ValueError:
        kept = None
    if isinstance(kept, dict) and "documents" not in kept and isinstance(kept.get("texte"), list):
        kept = {**kept, "documents": [{"fichier": f"{slug}.docx", "texte": kept["texte"],
                                       "sha256": kept.get("document_sha256")}]}
    documents = kept.get("documents") if isinstance(kept, dict) else None
    if not (isinstance(kept.get("signee_le") if isinstance(kept, dict) else None, str)
            and isinstance(documents, list) and documents
            and all(isinstance(d, dict) and isinstance(d.get("fichier"), str)
                    and isinstance(d.get("texte"), list)
                    and all(isinstance(line, str) for line in d["texte"])
                    and (d.get("annexes") is None or isinstance(d["annexes"], list))
                    for d in documents)):
        raise QPError(f"archive de {act.signed_label} {path} endommagée (contenu inattendu) : "
                      "reprenez-la de l'historique (git) ; ne la supprimez pas, elle garde le "
                      "texte signé")
    return kept


def archived_avenants(out: Path, slug: str) -> list[int]:
    """The numbers of the avenants archived for a territory."""
    folder = out / ARCHIVE
    prefix = f"{slug}.avenant-"
    numbers = []
    with contextlib.suppress(OSError):
        for path in folder.glob(f"{prefix}*.json"):
            number = path.name[len(prefix):-len(".json")]
            if number.isdigit():
                numbers.append(int(number))
    return sorted(numbers)


def archive(out: Path, slug: str, act: Act, signed_on: dt.date, labellisation: dt.date,
            people: People, papers: list[tuple[str, bytes, list[Block]]],
            signed_pdf: bytes | None = None, pdf_record: dict | None = None,
            territory_text: str | None = None) -> Path:
    """Keep a signed act: its documents (and the PDF that came back signed, byte for
    byte, with what its verification found: `pdf_record`), then the record of their text
    (written last: an archive without its record is unfinished, and finished by the same
    documents). Never replaces an archive."""
    from .output import write_atomic

    folder = out / ARCHIVE
    if folder.exists() and not folder.is_dir():
        raise QPError(f"{folder} est un fichier : les actes signés sont gardés dans un "
                      "dossier de ce nom")
    folder.mkdir(parents=True, exist_ok=True)
    kept_path = record_path(out, slug, act)
    if kept_path.exists():
        raise QPError(f"{kept_path} existe déjà : {act.label} de {slug} est déjà archivé(e)")
    files = [(name, data) for name, data, _ in papers]
    if signed_pdf is not None:
        files.append((f"{slug}{act.suffix}.pdf", signed_pdf))
    for name, data in files:
        target = folder / name
        if target.exists() and not holds(target, data):
            raise QPError(f"{target} existe déjà, sans son enregistrement {kept_path.name}, et "
                          "n'est pas le document à signer : déplacez-le avant de signer")
    documents = []
    for name, data, blocks in papers:
        own, annexes = split(blocks)
        documents.append({
            "fichier": name, "sha256": hashlib.sha256(data).hexdigest(),
            "texte": _lines(own), "annexes": _lines(annexes),
            # annexes signed: a feuille de route's always; the convention's when complete
            "annexes_signees": bool(annexes) and (act.kind != CONVENTION or _complete(annexes))})
    kept = {"territoire": slug, "acte": act.name, "signee_le": f"{signed_on:%d/%m/%Y}",
            "labellisation": f"{labellisation}", "signataires": people_record(people),
            "documents": documents}
    if pdf_record is not None:
        kept["pdf_signe"] = pdf_record
    if territory_text is not None:  # (tells a change of the national model from the data's)
        kept["fichier_territoire"] = territory_text
    written = []
    try:
        for name, data in files:
            target = folder / name
            if not target.exists():
                written.append(target)
                write_atomic(target, data)
        write_atomic(kept_path,
                     (json.dumps(kept, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    except BaseException:
        for target in written:  # (what this call wrote: nothing half-archived is left)
            with contextlib.suppress(OSError):
                target.unlink()
        raise
    return folder / papers[0][0]


def people_record(people: People, civility: bool = True) -> dict:
    """Each party's signatory by name (« Madame Camille Exemple »; without `civility`,
    « Camille Exemple »)."""
    keys = ("civilite", "prenom", "nom") if civility else ("prenom", "nom")

    def named(section) -> str:
        return " ".join(str(getattr(section, key)) for key in keys
                        if isinstance(getattr(section, key), str))

    etat = people.etat
    parties = {"intercommunalite": named(people.representant)}
    if etat.signataire in ("ministre", "ministre_ou_prefet"):
        parties["etat"] = named(etat.ministre)
    elif etat.prefet is not None:
        parties["etat"] = named(etat.prefet)
    return parties


# --- a signed act never changes ---------------------------------------------------------

@dataclass
class Frozen:
    """What the archive says of an act's documents: the problems, and the documents to
    keep as archived (a signed document whose annexes an avenant now revises)."""

    problems: list[Problem]
    kept: dict[str, bytes]
    record: dict | None = None  # the act's archive record, when it could be read


def check(path: Path, territory: Territory, out: Path, act: Act,
          rendered: dict[str, list[Block]],
          render_signed: Callable[[str], dict[str, list[Block]] | None] = lambda text: None,
          ) -> Frozen:
    """The problems of an act against its archive (`rendered`: its documents' blocks by
    file name): an error if its text would change, if the file no longer says it is
    signed, or if its annexes changed without an avenant that revises them; a warning if
    it is signed but not archived. A text that the national model alone changed (the
    territory file as signed, `render_signed` with today's model, gives today's text)
    keeps the signed document, with a warning."""
    slug = path.stem
    frozen = Frozen([], {})

    def problem(message: str, severity: str = "erreur", field: str = act.field) -> Frozen:
        frozen.problems.append(Problem(path, None, None, field, message, severity))
        return frozen

    try:
        kept = frozen.record = record(out, slug, act)
    except QPError as exc:  # this territory only: the others are generated
        return problem(str(exc))
    archived = out / ARCHIVE / act.papers[0].file(slug)
    if kept is None:
        if not act.signed:
            return frozen
        return problem(f"{act.signed_label} le {act.date:%d/%m/%Y}, mais pas archivé"
                       f"{act.e} : lancez « "
                       f"{sign_command(path, out, act, act.date)} » pour garder le document "
                       "signé", WARNING)
    archived_bytes: dict[str, bytes] = {}
    for document in kept["documents"]:  # the signed documents themselves, as kept
        archived_copy = out / ARCHIVE / document["fichier"]
        data, why = _archived(archived_copy, document.get("sha256"), MAX_WORD_FILE)
        if why:  # (each damaged copy named; none is compared, nor copied)
            problem(_archived_copy_message(archived_copy, why, kept["signee_le"]),
                    field="statut")
        archived_bytes[document["fichier"]] = data
    if not act.signed:
        again = "« statut: signee » et la date de signature" if act.kind == CONVENTION else \
            f"sa date de signature ({field_path(act.loc)}.date)"
        return problem(f"{act.label} est signé{act.e} depuis le "
                       f"{kept['signee_le']} (archivé{act.e} sous "
                       f"{archived}), mais le fichier ne le "
                       f"dit plus : remettez-y {again}")
    if act.kind == CONVENTION and kept.get("labellisation", f"{territory.labellisation}") != \
            f"{territory.labellisation}":
        return problem(f"la convention signée le {kept['signee_le']} compte ses délais depuis la "
                       f"labellisation du {_day(kept['labellisation'])} : cette date ne change "
                       f"plus (le fichier dit {territory.labellisation:%d/%m/%Y})",
                       field="labellisation")
    if frozen.problems:
        return frozen
    revised_later = any(a.objet == "feuille_de_route" and a.numero > act.number
                        for a in territory.avenants)
    model_only = None  # (computed once, if a text changed)
    for document in kept["documents"]:
        blocks = rendered.get(document["fichier"])
        if blocks is None:
            continue
        own, annexes = split(blocks)
        now = _lines(own)
        changed = now != document["texte"] or (
            document.get("annexes") is not None and _lines(annexes) != document["annexes"]
            and document.get("annexes_signees") and not revised_later)
        if changed:
            if model_only is None:
                model_only = _model_only(kept, rendered, render_signed)
            if model_only:
                frozen.kept[document["fichier"]] = archived_bytes[document["fichier"]]
                problem(f"le modèle national a changé le texte de {act.signed_label} le "
                        f"{kept['signee_le']} : le document signé est gardé tel quel "
                        f"({archived})", WARNING)
                continue
        if now != document["texte"]:
            before, after = _first_difference(document["texte"], now)
            fix = ("se modifie par avenant (rubrique avenants)" if act.kind != AVENANT else
                   "ne change plus : un autre avenant (rubrique avenants) peut le modifier")
            person = "" if act.recorded else (  # (an archive of the first releases)
                " ; si les signataires ont changé depuis, inscrivez ceux qui ont signé sous "
                f"{field_path(act.loc)}.signataires")
            return problem(f"{act.signed_label} le {kept['signee_le']} ne peut plus changer : "
                           f"son texte deviendrait « {_short(after)} » au lieu de "
                           f"« {_short(before)} ». Un acte signé {fix} ; le document signé "
                           f"reste sous {archived}{person}")
        if document.get("annexes") is None or _lines(annexes) == document["annexes"]:
            continue
        if document.get("annexes_signees") and not revised_later:
            before, after = _first_difference(document["annexes"], _lines(annexes))
            return problem(f"les annexes signées avec {act.label} le {kept['signee_le']} ne "
                           f"peuvent plus changer : « {_short(after)} » au lieu de "
                           f"« {_short(before)} ». Pour les modifier, ajoutez un avenant "
                           "« objet: feuille_de_route » (rubrique avenants) : la feuille de "
                           "route révisée sera annexée à cet avenant")
        # The annexes go on in a revision (or were not signed): the signed document
        # stays as it was signed.
        frozen.kept[document["fichier"]] = archived_bytes[document["fichier"]]
    return frozen


def _model_only(kept: dict, rendered: dict[str, list[Block]],
                render_signed: Callable[[str], dict[str, list[Block]] | None]) -> bool:
    """Whether the territory file as it was signed gives, with today's national model,
    the text today's file gives: then only the model changed the act's text."""
    text = kept.get("fichier_territoire")
    then = render_signed(text) if isinstance(text, str) else None
    return then is not None and all(
        name in then and _lines(then[name]) == _lines(blocks) for name, blocks in rendered.items())


def orphans(path: Path, territory: Territory, out: Path) -> list[Problem]:
    """Archived avenants that the territory file no longer has."""
    have = {a.numero for a in territory.avenants}
    return [Problem(path, None, None, "avenants",
                    f"l'avenant n° {number} est signé et archivé sous {out / ARCHIVE}, mais le "
                    "fichier ne l'a plus : remettez-le dans la rubrique avenants")
            for number in archived_avenants(out, path.stem) if number not in have]


def record_problems(path: Path, territory: Territory, out: Path) -> list[Problem]:
    """What the archive says of the territory file's acts without rendering them (`qp
    validate` and `qp list`; `qp generate` also compares their text): all `check` finds
    but a text, an avenant archived and gone from the file, and an error for each act
    whose signature the file no longer tells as its archive does (another date, other
    signatories)."""
    problems = orphans(path, territory, out)
    for act in of(territory):
        frozen = check(path, territory, out, act, {})
        problems += frozen.problems
        kept = frozen.record
        if frozen.problems or kept is None or not act.signed:
            continue
        if f"{act.date:%d/%m/%Y}" != kept["signee_le"]:
            problems.append(Problem(
                path, None, None, field_path((*act.loc, "date")),
                f"{act.signed_label} le {kept['signee_le']} (archivé{act.e} sous "
                f"{out / ARCHIVE}) : le fichier dit le {act.date:%d/%m/%Y} ; une date de "
                f"signature ne change pas, remettez-y {_iso(kept['signee_le'])}"))
        elif isinstance(kept.get("signataires"), dict) and kept["signataires"] != \
                people_record(signatories(territory, act)):
            problems.append(Problem(
                path, None, None, field_path((*act.loc, "signataires")),
                f"{act.signed_label} le {kept['signee_le']} l'a été par "
                f"{' et '.join(kept['signataires'].values())} (archivé{act.e} sous "
                f"{out / ARCHIVE}) : le fichier nomme "
                f"{' et '.join(people_record(signatories(territory, act)).values())} ; ceux "
                "qui ont signé ne changent pas (les personnes en fonction s'écrivent sous "
                "intercommunalite.representant et etat)"))
    return problems


def signed_pdf_problems(path: Path, out: Path) -> list[Problem]:
    """An error for each signed PDF archived for the territory file `path` that is no
    longer the one verified when its act was signed (changed or gone). Reads only the
    records and fingerprints, renders nothing (the Word copies are `check`'s)."""
    problems = []
    folder = out / ARCHIVE
    with contextlib.suppress(OSError):
        for kept_path in sorted(folder.glob(f"{path.stem}*.json")):
            suffix = kept_path.name[len(path.stem):-len(".json")]
            if suffix and not (suffix == ".feuille-de-route" or (
                    suffix.startswith(".avenant-") and suffix[9:].isdigit())):
                continue  # (another territory's, whose name starts like this one's)
            try:
                kept = json.loads(kept_path.read_text("utf-8"))
            except (OSError, ValueError):
                continue  # (said by the check of the signed text)
            pdf = kept.get("pdf_signe") if isinstance(kept, dict) else None
            if not isinstance(pdf, dict) or not isinstance(pdf.get("sha256"), str):
                continue
            archived = folder / f"{path.stem}{suffix}.pdf"
            why = _archived(archived, pdf["sha256"], MAX_SIGNED_PDF)[1]
            if why:
                label = {"": "de la convention", ".feuille-de-route": "de la feuille de route"}.get(
                    suffix, f"de l'avenant n° {suffix[9:]}")
                if why == CHANGED:
                    why = "a été modifié depuis son archivage : ses signatures ne le couvrent plus"
                problems.append(Problem(
                    path, None, None, "statut",
                    f"le PDF signé {label}, archivé sous {archived}, {why} ; reprenez-le de "
                    "l'historique (git) ou de la copie du parapheur"))
    return problems


CHANGED = "endommagé (son empreinte a changé)"


def _archived(archived: Path, sha256: Any, limit: int) -> tuple[bytes, str]:
    """An archived file's bytes, and why it is not the one of fingerprint `sha256` ("" when
    it is, or when the record of an early release kept no fingerprint)."""
    try:
        data = read_regular(archived, limit)
    except OSError as exc:
        return b"", f"illisible ou absent ({describe_os_error(exc)})"
    except NotReadable as exc:
        return b"", f"illisible ({exc})"
    if isinstance(sha256, str) and hashlib.sha256(data).hexdigest() != sha256:
        return data, CHANGED
    return data, ""


def _archived_copy_message(archived: Path, why: str, day: str) -> str:
    if why == CHANGED:
        return (f"document signé {archived} {why} : ce n'est plus le document archivé le "
                f"{day} ; reprenez-le de l'historique (git), ne le supprimez pas")
    return (f"document signé le {day}, archivé sous {archived}, {why} : reprenez-le de "
            "l'historique (git)")


def is_signed_act_problem(problem: Problem) -> bool:
    """A problem `check` reports (the file is valid, the act's text would change)."""
    return problem.line is None and (
        problem.field in ("statut", "labellisation", "feuille_de_route.date", "avenants")
        or (problem.field.startswith("avenants[") and problem.field.endswith("].date")))


def _first_difference(old: list[str], new: list[str]) -> tuple[str, str]:
    before = next((a for a, b in zip(old, new) if a != b),
                  old[len(new)] if len(old) > len(new) else "")
    after = next((b for a, b in zip(old, new) if a != b),
                 new[len(old)] if len(new) > len(old) else "")
    return before, after


def _iso(day: str) -> str:
    """« 15/10/2021 » as a territory file writes it: « 2021-10-15 »."""
    try:
        return dt.datetime.strptime(day, "%d/%m/%Y").date().isoformat()
    except ValueError:
        return day


def _day(iso: str) -> str:
    try:
        return f"{dt.date.fromisoformat(iso):%d/%m/%Y}"
    except (TypeError, ValueError):
        return str(iso)


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def sign_command(path: Path, out: Path, act: Act, day: dt.date) -> str:
    """The `qp sign` command for this act, file and out/ (options only where they are
    not the defaults)."""
    name = "" if act.kind == CONVENTION else f" {act.name}"
    command = f"qp sign {path.stem}{name} --date {day:%Y-%m-%d}"
    if path.parent.resolve() != Path("territories").resolve():
        command += f" -t {path.parent}"
    if out.resolve() != Path("out").resolve():
        command += f" -o {out}"
    return command
