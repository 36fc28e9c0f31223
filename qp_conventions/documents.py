"""The documents of a territory, and what is kept of a signed convention.

A territory writes its convention (`toulouse.docx`), each of its avenants
(`toulouse.avenant-1.docx`…), and, when asked, its feuille de route
(`toulouse.feuille-de-route.docx`). Until it is signed, a document carries « PROJET »
across every page.

A signed convention is archived under `out/signees/` (`qp sign`): the document as signed,
and a record of its text. From then on, a change of data or of the model that would
alter that text is refused: a signed convention changes by avenant. A change that
leaves the text as it is (a style) may still regenerate the working copy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import lifecycle
from .blocks import Block
from .docx import write_docx
from .errors import WARNING, Problem, QPError, describe_os_error
from .french import capfirst
from .loader import NAME
from .render import AVENANT, CONVENTION, ROADMAP, render_blocks, templates_dir
from .validate import Checked

ARCHIVE = "signees"  # the folder of out/ where signed conventions are kept
ROADMAP_SUFFIX = ".feuille-de-route"


def avenant_suffix(number: int) -> str:
    return f".avenant-{number}"


def territory_of(name: str, roadmap: bool) -> str | None:
    """The territory whose document has this name in out/ (None for a copy kept aside,
    « x.modifie-a-la-main.docx »); feuilles de route count only when they are generated
    too."""
    match = re.fullmatch(r"(.+?)(\.feuille-de-route|\.avenant-\d+)?\.docx", name)
    if match and NAME.fullmatch(match.group(1)) and (roadmap or match.group(2) != ROADMAP_SUFFIX):
        return match.group(1)
    return None


@dataclass
class Document:
    name: str  # in out/
    data: bytes
    signatories: tuple[str, ...] = ()  # the parties of its signature block, in its order


def signatories(territory) -> tuple[str, ...]:
    """The parties who sign a territory's documents, as their signature fields name them
    (« Toulouse Métropole », « Etat »), in the order of the signature block."""
    return tuple(capfirst(territory.intercommunalite.nom) if party == "intercommunalite"
                 else "Etat" for party in territory.signature.ordre)


def build(checked: Checked, out: Path, roadmap: bool) -> tuple[list[Document], list[Problem]]:
    """The documents of a valid territory, and what to tell about them (a signed
    convention whose text would change is an error; one not archived, a warning)."""
    territory = checked.territory
    slug = checked.path.stem
    interco = territory.intercommunalite.nom
    reference = templates_dir() / "reference.docx"
    blocks = render_blocks(territory, CONVENTION)
    problems = _signed_text(checked, out, blocks) + signed_pdf_problems(checked.path, out)
    parties = signatories(territory)
    documents = [Document(f"{slug}.docx", convention(checked, blocks), parties)]
    for avenant in territory.avenants:
        documents.append(Document(f"{slug}{avenant_suffix(avenant.numero)}.docx", write_docx(
            render_blocks(territory, AVENANT, avenant), reference,
            draft=not isinstance(avenant.date, dt.date),
            title=f"Avenant n° {avenant.numero} à la convention d'engagement Quartiers "
                  f"productifs – {interco}",
            subject="Avenant à la convention d'engagement Quartiers productifs",
            when=avenant.date or territory.signature.date or territory.labellisation),
            parties))
    if roadmap:
        version = lifecycle.roadmap(territory)
        documents.append(Document(f"{slug}{ROADMAP_SUFFIX}.docx", write_docx(
            render_blocks(territory, ROADMAP), reference, logos=checked.logos,
            draft=not version.signed,
            title=f"Feuille de route Quartiers productifs – {interco}",
            subject="Feuille de route annexée à la convention d'engagement Quartiers productifs",
            when=version.date if version.signed else territory.labellisation),
            parties))
    return documents, problems


def convention(checked: Checked, blocks: list[Block] | None = None) -> bytes:
    """The .docx of a valid territory's convention (`blocks`: already rendered)."""
    territory = checked.territory
    signed = territory.statut == "signee"
    return write_docx(
        blocks or render_blocks(territory, CONVENTION), templates_dir() / "reference.docx",
        draft=not signed, logos=checked.logos,
        title=f"Convention d'engagement Quartiers productifs – {territory.intercommunalite.nom}",
        subject="Convention d'engagement Quartiers productifs et ses annexes",
        when=territory.signature.date or territory.labellisation)


def convention_text(blocks: list[Block]) -> list[str]:
    """The convention's own text (not its annexes), line by line: what was signed. Its
    look (styles, spacing) is not part of it."""
    lines = []
    for block in blocks:
        if block.kind == "annex_title":
            break
        if block.runs:
            lines.append("".join(run.text for run in block.runs))
        for row in block.rows:
            lines.append(" | ".join("".join(run.text for run in cell) for cell in row))
        for column in block.columns:
            lines.append(" / ".join("".join(run.text for run in line) if line else "…"
                                    for line in column))
    return lines


def _record_path(out: Path, slug: str) -> Path:
    return out / ARCHIVE / f"{slug}.json"


def record(out: Path, slug: str) -> dict | None:
    """What was kept of a signed convention, or None if it was not archived."""
    path = _record_path(out, slug)
    try:
        kept = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG):
            return None  # no such file can exist there (out/ itself is reported on writing)
        raise QPError(f"archive de la convention signée {path} illisible "
                      f"({describe_os_error(exc)})") from None
    except ValueError:
        kept = None
    if not (isinstance(kept, dict) and isinstance(kept.get("signee_le"), str)
            and isinstance(kept.get("texte"), list)
            and all(isinstance(line, str) for line in kept["texte"])):
        raise QPError(f"archive de la convention signée {path} endommagée (contenu inattendu) : "
                      "reprenez-la de l'historique (git) ; ne la supprimez pas, elle garde le "
                      "texte signé")
    return kept


def _signed_text(checked: Checked, out: Path, blocks: list[Block]) -> list[Problem]:
    """What to say of a territory whose convention is archived or says « signée »: an
    error if its text would change, or if the file no longer says it is signed."""
    territory = checked.territory
    slug = checked.path.stem
    try:
        kept = record(out, slug)
    except QPError as exc:  # this territory only: the others are generated
        return [Problem(checked.path, None, None, "statut", str(exc))]
    signed = territory.statut == "signee"
    if kept is None:
        if not signed:
            return []
        return [Problem(checked.path, None, None, "statut",
                        f"convention signée le {territory.signature.date:%d/%m/%Y}, mais pas "
                        "archivée : lancez "
                        f"« {_sign_command(checked.path, out, territory.signature.date)} » "
                        "pour garder le document signé", WARNING)]
    archived = out / ARCHIVE / f"{slug}.docx"
    if not signed:
        return [Problem(checked.path, None, None, "statut",
                        f"la convention est signée depuis le {kept['signee_le']} (archivée sous "
                        f"{archived}), mais le fichier ne le dit plus : remettez-y « statut: "
                        "signee » et la date de signature")]
    now = convention_text(blocks)
    if now == kept["texte"] and kept.get("labellisation", f"{territory.labellisation}") == \
            f"{territory.labellisation}":
        return []
    if now == kept["texte"]:
        return [Problem(checked.path, None, None, "labellisation",
                        f"la convention signée le {kept['signee_le']} compte ses délais depuis "
                        f"la labellisation du {_day(kept['labellisation'])} : cette date ne "
                        f"change plus (le fichier dit {territory.labellisation:%d/%m/%Y})")]
    before = next((old for old, new in zip(kept["texte"], now) if old != new),
                  kept["texte"][len(now)] if len(kept["texte"]) > len(now) else "")
    after = next((new for old, new in zip(kept["texte"], now) if old != new),
                 now[len(kept["texte"])] if len(now) > len(kept["texte"]) else "")
    return [Problem(checked.path, None, None, "statut",
                    f"la convention signée le {kept['signee_le']} ne peut plus changer : son "
                    f"texte deviendrait « {_short(after)} » au lieu de « {_short(before)} ». "
                    "Une convention signée se modifie par avenant (rubrique avenants) ; le "
                    f"document signé reste sous {archived}")]


def _day(iso: str) -> str:
    try:
        return f"{dt.date.fromisoformat(iso):%d/%m/%Y}"
    except (TypeError, ValueError):
        return str(iso)


def _sign_command(path: Path, out: Path, day: dt.date) -> str:
    """The `qp sign` command for this file and this out/ (options only where they are not
    the defaults)."""
    command = f"qp sign {path.stem} --date {day:%Y-%m-%d}"
    if path.parent.resolve() != Path("territories").resolve():
        command += f" -t {path.parent}"
    if out.resolve() != Path("out").resolve():
        command += f" -o {out}"
    return command


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def archive(out: Path, slug: str, signed_on: dt.date, document: bytes,
            blocks: list[Block], labellisation: dt.date, signed_pdf: bytes | None = None,
            pdf_record: dict | None = None) -> Path:
    """Keep a signed convention: the document (and the signed PDF, byte for byte, with
    what its verification found: `pdf_record`), then the record of its text (written
    last: an archive without its record is unfinished, and finished by the same
    document). Never replaces an archive."""
    from .output import write_atomic

    folder = out / ARCHIVE
    if folder.exists() and not folder.is_dir():
        raise QPError(f"{folder} est un fichier : les conventions signées sont gardées dans "
                      "un dossier de ce nom")
    folder.mkdir(parents=True, exist_ok=True)
    target, kept_path = folder / f"{slug}.docx", _record_path(out, slug)
    if kept_path.exists():
        raise QPError(f"{kept_path} existe déjà : la convention de {slug} est déjà archivée")
    pdf_target = folder / f"{slug}.pdf"
    files = [(target, document)] + ([(pdf_target, signed_pdf)] if signed_pdf is not None else [])
    for path, data in files:
        if path.exists() and path.read_bytes() != data:
            raise QPError(f"{path} existe déjà, sans son enregistrement {kept_path.name}, et "
                          "n'est pas le document à signer : déplacez-le avant de signer")
    kept = {"territoire": slug, "signee_le": f"{signed_on:%d/%m/%Y}",
            "labellisation": f"{labellisation}",
            "document_sha256": hashlib.sha256(document).hexdigest(),
            "texte": convention_text(blocks)}
    if pdf_record is not None:
        kept["pdf_signe"] = pdf_record
    written = []
    try:
        for path, data in files:
            if not path.exists():
                written.append(path)
            write_atomic(path, data)
        write_atomic(kept_path,
                     (json.dumps(kept, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    except BaseException:
        for path in written:  # (what this call wrote: nothing half-archived is left)
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return target


def signed_pdf_problems(path: Path, out: Path) -> list[Problem]:
    """An error if the signed PDF archived for the territory file `path` is no longer
    the one verified when it was signed (changed or gone)."""
    try:
        kept = record(out, path.stem)
    except QPError:
        return []  # (said by the check of the signed text)
    pdf = (kept or {}).get("pdf_signe")
    if not isinstance(pdf, dict) or not isinstance(pdf.get("sha256"), str):
        return []
    archived = out / ARCHIVE / f"{path.stem}.pdf"
    try:
        same = hashlib.sha256(archived.read_bytes()).hexdigest() == pdf["sha256"]
        why = "a été modifié depuis son archivage : ses signatures ne le couvrent plus"
    except OSError as exc:
        same, why = False, f"est illisible ({describe_os_error(exc)})"
    if same:
        return []
    return [Problem(path, None, None, "statut",
                    f"le PDF signé de la convention, archivé sous {archived}, {why} ; "
                    "reprenez-le de l'historique (git) ou de la copie du parapheur")]
