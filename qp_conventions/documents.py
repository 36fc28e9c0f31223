"""The documents of a territory, each the paper of one of its acts (acts.py).

A territory writes its convention (`toulouse.docx`), each of its avenants
(`toulouse.avenant-1.docx`…) with, for an avenant that revises the feuille de route, the
revised feuille de route (`toulouse.feuille-de-route-1.docx`), and, when asked, its
feuille de route (`toulouse.feuille-de-route.docx`). Until its act is signed, a document
carries « PROJET » across every page.

A signed act is archived under `out/signees/` (`qp sign`): from then on, a change of data
or of the model that would alter its text is refused (acts.check). A change that leaves
the text as it is (a style) may still regenerate the working copy.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from . import acts, lifecycle
from .acts import Act, Paper
from .blocks import Block
from .docx import write_docx
from .errors import Problem
from .french import capfirst
from .loader import NAME
from .render import AVENANT, CONVENTION, ROADMAP, render_blocks, templates_dir
from .validate import Checked

ROADMAP_SUFFIX = ".feuille-de-route"
_PARTS = {acts.CONVENTION: CONVENTION, acts.ROADMAP: ROADMAP, acts.AVENANT: AVENANT}


def territory_of(name: str, roadmap: bool) -> str | None:
    """The territory whose document has this name in out/ (None for a copy kept aside,
    « x.modifie-a-la-main.docx »); feuilles de route count only when they are generated
    too."""
    match = re.fullmatch(r"(.+?)(\.feuille-de-route|\.feuille-de-route-\d+|\.avenant-\d+)?"
                         r"\.docx", name)
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
    """The documents of a valid territory, and what to tell about them (a signed act
    whose text would change is an error; one not archived, a warning). The feuille de
    route is written with `roadmap` or once signed, and checked against its archive
    always."""
    territory = checked.territory
    path = checked.path
    documents: list[Document] = []
    problems: list[Problem] = [*acts.orphans(path, territory, out),
                               *acts.signed_pdf_problems(path, out)]
    parties = signatories(territory)
    for act in acts.of(territory):
        wanted = roadmap or act.kind != acts.ROADMAP or act.signed
        if not wanted and not act.signed and acts.record(out, path.stem, act) is None:
            continue  # (neither written nor archived: nothing to render)
        rendered = {paper.file(path.stem): render_paper(checked, paper)
                    for paper in act.papers}
        frozen = acts.check(path, territory, out, act, rendered,
                            functools.partial(_render_signed, path, act.name))
        problems += frozen.problems
        if not wanted:
            continue
        for paper in act.papers:
            name = paper.file(path.stem)
            data = frozen.kept.get(name) or paper_document(checked, act, paper, rendered[name])
            documents.append(Document(name, data, parties))
    return documents, problems


def _render_signed(path: Path, act_name: str, text: str) -> dict[str, list[Block]] | None:
    """The documents of the act `act_name` rendered with today's model from the
    territory file's `text` as it was signed (None if it no longer validates)."""
    from .validate import check_file

    then = check_file(path, text)
    if then.territory is None:
        return None
    act = acts.named(then.territory, act_name)
    return {paper.file(path.stem): render_paper(then, paper) for paper in act.papers}


def render_paper(checked: Checked, paper: Paper) -> list[Block]:
    return render_blocks(checked.territory, _PARTS[paper.kind], paper.avenant,
                         checked.national.vagues)


def paper_document(checked: Checked, act: Act, paper: Paper,
                   blocks: list[Block] | None = None, draft: bool | None = None) -> bytes:
    """The .docx of one of a valid territory's documents (`blocks`: already rendered);
    « PROJET » on every page until its act is signed, unless `draft` says otherwise (the
    PDF to sign)."""
    territory = checked.territory
    draft = not act.signed if draft is None else draft
    interco = territory.intercommunalite.nom
    blocks = blocks or render_paper(checked, paper)
    reference = templates_dir() / "reference.docx"
    if paper.kind == acts.CONVENTION:
        return write_docx(
            blocks, reference, draft=draft, logos=checked.logos,
            title=f"Convention d'engagement Quartiers productifs – {interco}",
            subject="Convention d'engagement Quartiers productifs et ses annexes",
            when=territory.signature.date or territory.labellisation)
    if paper.kind == acts.AVENANT:
        avenant = paper.avenant
        return write_docx(
            blocks, reference, draft=draft,
            title=f"Avenant n° {avenant.numero} à la convention d'engagement Quartiers "
                  f"productifs – {interco}",
            subject="Avenant à la convention d'engagement Quartiers productifs",
            when=avenant.date or territory.signature.date or territory.labellisation)
    version = lifecycle.roadmap_version(territory, paper.avenant)
    revised = f" révisée (avenant n° {paper.avenant.numero})" if paper.avenant else ""
    return write_docx(
        blocks, reference, logos=checked.logos, draft=draft,
        title=f"Feuille de route{revised} Quartiers productifs – {interco}",
        subject="Feuille de route annexée à la convention d'engagement Quartiers productifs",
        when=version.date if isinstance(version.date, dt.date) else territory.labellisation)


def convention(checked: Checked) -> bytes:
    """The .docx of a valid territory's convention, as generated now."""
    act = acts.of(checked.territory)[0]
    return paper_document(checked, act, act.papers[0])
