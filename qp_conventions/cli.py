"""`qp`: the command line. Each command maps its options to one function of `core` and
prints what it returns; `main` maps every error to its exit code (see the README's table):
1 for the user's files, folders and environment, 2 for usage mistakes, 130 for Ctrl-C,
70 for a bug, never a traceback (unless QP_DEBUG=1)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .cli_french import FrenchCommand, FrenchGroup, UnknownCommand, usage_error
from .errors import (InvalidTerritory, Problem, QPError, UsageError, describe_os_error, field_path,
                     pasteable)
from .screen import Progress, say

# `core` (pydantic, the model, YAML: 0.15 s of imports) and `batch` (Jinja2, Markdown, lxml:
# 0.09 s more) are imported by the commands that use them, not for `qp --help`, `--version`
# or a usage error (tests/test_startup.py).
app = typer.Typer(
    cls=FrenchGroup,
    help=("Génère les conventions d'engagement Quartiers productifs (convention et annexes "
          "1 à 3) au format Word, à partir d'un fichier YAML par territoire."),
    add_completion=False,
    rich_markup_mode=None,  # the help is written by cli_french
    options_metavar="[OPTIONS]",
    subcommand_metavar="COMMANDE [ARGUMENTS]...",
    context_settings={"help_option_names": ["-h", "--help"]},
)

# (readable=False: qp itself says in French what is wrong with a folder)
TERRITORIES = typer.Option(Path("territories"), "--territories", "-t", metavar="DOSSIER",
                           show_default=False, readable=False,
                           help="Dossier des fichiers de territoire (par défaut : territories).")
TARGETS_HELP = ("noms de territoires (toulouse), fichiers ou dossiers ; par défaut tout le "
                "dossier des territoires")


@app.callback(invoke_without_command=True)
def main_options(ctx: typer.Context,
                 version: bool = typer.Option(False, "--version", show_default=False,
                                              help="Affiche la version et quitte.")) -> None:
    if version:
        say(f"qp-conventions {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:  # `qp` alone: its help
        say(ctx.get_help())
        raise typer.Exit(0)


def _print_problem(problem: Problem) -> None:
    say((problem.format(), "red" if problem.is_error else "yellow"), err=True)


@app.command(cls=FrenchCommand, options_metavar="[OPTIONS]")
def validate(
    targets: Optional[List[str]] = typer.Argument(None, metavar="TERRITOIRES",
                                                  show_default=False, help=TARGETS_HELP),
    territories: Path = TERRITORIES,
    strict: bool = typer.Option(False, "--strict", show_default=False,
                                help="Traite les faits « à compléter » comme des erreurs."),
    out: Path = typer.Option(Path("out"), "--out", "-o", metavar="DOSSIER", show_default=False,
                             readable=False,
                             help="Dossier des documents (par défaut : out), où les PDF "
                                  "signés archivés sont vérifiés."),
) -> None:
    """Vérifie les fichiers de territoire et signale chaque problème (fichier:ligne:colonne)."""
    from . import core

    checked = core.validate(core.find(targets or [str(territories)], territories))
    from .acts import record_problems, signed_pdf_problems

    for result in checked:  # an archived signed document (Word, PDF) changed or gone
        if result.territory is not None:
            result.problems += [*record_problems(result.path, result.territory, out),
                                *signed_pdf_problems(result.path, out)]
    # (programme.yaml's problems come with every territory that waits for it: once here)
    problems = list(dict.fromkeys(p for result in checked for p in result.problems))
    for problem in problems:
        _print_problem(problem)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    valid = not errors and not (strict and warnings)
    say(f"{len(checked)} fichier(s) vérifié(s) : {errors} erreur(s), {warnings} fait(s) à "
        "compléter — ", ("valide", "green") if valid else ("invalide", "red"),
        " (mode strict)" if strict else "")
    if not valid:
        raise typer.Exit(1)


@app.command(cls=FrenchCommand, options_metavar="[OPTIONS]")
def generate(
    targets: Optional[List[str]] = typer.Argument(
        None, metavar="TERRITOIRES", show_default=False,
        help="noms de territoires (toulouse) ou fichiers de territoire"),
    all_: bool = typer.Option(False, "--all", "-a", show_default=False,
                              help="Génère tous les territoires du dossier."),
    territories: Path = TERRITORIES,
    out: Path = typer.Option(Path("out"), "--out", "-o", metavar="DOSSIER", show_default=False,
                             readable=False,
                             help="Dossier où écrire les documents (par défaut : out)."),
    check: bool = typer.Option(False, "--check", show_default=False,
                               help="N'écrit rien : dit ce que la génération changerait (code 1)."),
    pdf: bool = typer.Option(False, "--pdf", show_default=False,
                             help="Écrit aussi une copie PDF (LibreOffice)."),
    force: bool = typer.Option(False, "--force", show_default=False,
                               help="Remplace aussi un document modifié à la main, gardé à côté."),
    roadmap: bool = typer.Option(False, "--roadmap", show_default=False,
                                 help="Écrit aussi la feuille de route de chaque territoire "
                                      "(out/<territoire>.feuille-de-route.docx)."),
    prune: bool = typer.Option(False, "--prune", show_default=False,
                               help="Avec --all : supprime les documents qu'aucun territoire ne "
                                    "produit plus (s'ils n'ont pas été modifiés à la main)."),
    jobs: int = typer.Option(0, "--jobs", "-j", metavar="N", show_default=False,
                             help="Processus en parallèle (0, par défaut : automatique)."),
    wait: int = typer.Option(60, "--wait", metavar="SECONDES", show_default=False,
                             help="Attente maximale si un autre qp generate écrit dans le même "
                                  "dossier (par défaut : 60)."),
) -> None:
    """Écrit out/<territoire>.docx (la convention et ses annexes) et ses avenants."""
    if all_ == bool(targets):
        raise UsageError("indiquez des territoires (par exemple : qp generate toulouse) ou "
                         "--all, l'un ou l'autre")
    if check and (pdf or force or prune):
        raise UsageError("--check n'écrit rien : retirez --pdf, --force et --prune")
    if prune and not all_:
        raise UsageError("--prune demande --all : un document n'est en trop qu'au regard de "
                         "tous les territoires")
    if wait < 0:
        raise UsageError("--wait attend un nombre de secondes")
    from . import batch, core

    paths = core.territory_files(territories) if all_ else core.find(targets, territories)
    if not paths:
        raise QPError(f"aucun fichier de territoire (.yaml) dans {territories}")
    if check:
        outcomes = batch.check(paths, out, complete=all_, jobs=jobs, roadmap=roadmap,
                               on_outcome=_say_planned)
        _report_check(outcomes, paths, out)
        return
    with Progress(len(paths)) as progress:
        result = batch.generate(
            paths, out, jobs=jobs, force=force, prune=prune, pdf=pdf, roadmap=roadmap, wait=wait,
            on_outcome=progress.report,
            on_wait=lambda: say(f"un autre « qp generate » écrit dans {out} : attente de sa "
                                f"fin ({wait} s au plus)…", err=True))
    failed = _report_generate(result.outcomes)
    if result.pdfs:
        say(f"{len(result.pdfs)} PDF écrit(s) dans {out} (une seule exécution de LibreOffice)")
    if result.pdf_error:
        say((f"erreur : {result.pdf_error}", "red"), err=True)
    if failed or result.pdf_error:
        raise typer.Exit(1)


def _say_planned(outcome) -> None:
    say(f"{outcome.target} : {outcome.planned}")


def _report_check(outcomes: list, paths: list[Path], out: Path) -> None:
    for problem in dict.fromkeys(p for outcome in outcomes for p in outcome.errors):
        _print_problem(problem)
    if not outcomes:
        say((f"{out} est à jour ({len(paths)} document(s))", "green"))
        return
    say((f"{len(outcomes)} document(s) à mettre à jour ({len(paths)} territoire(s) "
         "vérifié(s)) :", "red"))
    for advice in dict.fromkeys(o.advice for o in outcomes):
        say(f"  {advice}")
    raise typer.Exit(1)


def _report_generate(outcomes: list) -> bool:
    """Every error together at the end, then the summary; True if something failed."""
    from . import batch

    failed = [o for o in outcomes if o.status in (batch.FAILED, batch.EDITED)]
    shown: set = set()  # (programme.yaml's problems: once, though every territory waits)
    for outcome in failed:
        for problem in outcome.errors:
            if problem not in shown:
                _print_problem(problem)
                shown.add(problem)
        say((outcome.refusal, "red"), err=True)
    for outcome in outcomes:
        if outcome.backup is not None:
            say((f"{outcome.target} avait été modifié à la main : copie gardée sous "
                 f"{outcome.backup}", "yellow"))
    count = {status: sum(o.status == status for o in outcomes)
             for status in (batch.WRITTEN, batch.UNCHANGED, batch.EDITED, batch.FAILED,
                            batch.PRUNED, batch.EXTRA)}
    produced = sum(count[s] for s in (batch.WRITTEN, batch.UNCHANGED, batch.EDITED, batch.FAILED))
    edited = f", {count[batch.EDITED]} modifié(s) à la main" if count[batch.EDITED] else ""
    pruned = f", {count[batch.PRUNED]} supprimé(s)" if count[batch.PRUNED] else ""
    say(f"{produced} document(s) : {count[batch.WRITTEN]} écrit(s), {count[batch.UNCHANGED]} "
        f"inchangé(s){edited}, {count[batch.FAILED]} en échec{pruned}")
    if count[batch.EXTRA]:
        say((f"{count[batch.EXTRA]} document(s) en trop, modifié(s) à la main : gardé(s)",
             "yellow"))
    return bool(failed)


@app.command(cls=FrenchCommand, options_metavar="[OPTIONS]")
def sign(
    target: str = typer.Argument(..., metavar="TERRITOIRE", show_default=False,
                                 help="nom du territoire (toulouse) ou fichier de territoire"),
    act: str = typer.Argument("convention", metavar="ACTE", show_default=False,
                              help="l'acte signé : convention (par défaut), feuille-de-route "
                                   "ou avenant-N (avenant-1, avenant-2…)"),
    date: Optional[str] = typer.Option(None, "--date", metavar="AAAA-MM-JJ",
                                       show_default=False,
                                       help="Date de la signature (avec --pdf : facultative, "
                                            "celle de la dernière signature du PDF)."),
    signed_pdf: Optional[Path] = typer.Option(None, "--pdf", metavar="SIGNÉ.pdf",
                                              show_default=False,
                                              help="Le PDF revenu signé du parapheur : vérifié, "
                                                   "puis archivé."),
    to_sign: bool = typer.Option(False, "--a-signer", show_default=False,
                                 help="N'enregistre rien : écrit le PDF de l'acte à déposer "
                                      "dans le parapheur (out/<territoire>.a-signer.pdf, sans "
                                      "« PROJET »)."),
    trust: Optional[Path] = typer.Option(None, "--confiance", metavar="FICHIER.pem",
                                         show_default=False,
                                         help="Avec --pdf : certificats (PEM) des autorités de "
                                              "confiance, pour vérifier la chaîne des "
                                              "certificats des signataires."),
    territories: Path = TERRITORIES,
    out: Path = typer.Option(Path("out"), "--out", "-o", metavar="DOSSIER", show_default=False,
                             readable=False,
                             help="Dossier des documents (par défaut : out) ; l'archive va "
                                  "dans son sous-dossier signees/."),
    wait: int = typer.Option(60, "--wait", metavar="SECONDES", show_default=False,
                             help="Si un autre qp écrit dans le dossier, l'attendre au plus "
                                  "SECONDES (par défaut : 60)."),
) -> None:
    """Enregistre la signature d'un acte (la convention, sa feuille de route, un avenant) :
    date et signataires inscrits dans le fichier de territoire, document signé archivé."""
    import datetime as dt
    import re

    from . import batch, core, lifecycle, signing

    if not re.fullmatch(r"convention|feuille-de-route|avenant-[1-9]\d?", act):
        raise UsageError(f"acte « {act} » inconnu : écrivez convention, feuille-de-route ou "
                         "avenant-N (avenant-1, avenant-2…)")
    if to_sign and (date is not None or signed_pdf is not None or trust is not None):
        raise UsageError("--a-signer écrit le PDF à faire signer, avant toute signature : "
                         "retirez --date, --pdf et --confiance")
    if date is None and signed_pdf is None and not to_sign:
        raise UsageError("indiquez la date de la signature (--date AAAA-MM-JJ) ou le PDF "
                         "signé (--pdf SIGNÉ.pdf) ; pour écrire le PDF à faire signer : "
                         "--a-signer")
    if trust is not None and signed_pdf is None:
        raise UsageError("--confiance vérifie les certificats d'un PDF signé : ajoutez --pdf")
    day = None
    if date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise UsageError(f"--date « {date} » : écrivez la date AAAA-MM-JJ, par exemple "
                         "2021-09-22")
    try:
        day = dt.date.fromisoformat(date) if date is not None else None
    except ValueError:
        raise UsageError(f"--date « {date} » : cette date n'existe pas") from None
    if wait < 0:
        raise UsageError("--wait attend un nombre de secondes")
    path = core.find_one(target, territories)

    def on_wait() -> None:
        say(f"un autre « qp » écrit dans {out} : attente de sa fin ({wait} s au plus)…",
            err=True)

    what = {"convention": "la convention ne peut être signée",
            "feuille-de-route": "la feuille de route ne peut être signée"}.get(
        act, f"l'avenant n° {act.removeprefix('avenant-')} ne peut être signé")
    if to_sign:
        try:
            written = signing.prepare(path, out, act_name=act, today=lifecycle.today(), wait=wait,
                                      on_wait=on_wait)
        except InvalidTerritory as exc:
            for problem in exc.problems:
                _print_problem(problem)
            raise QPError(f"{path.stem} : {what} en l'état, aucun PDF à signer n'a été "
                          "écrit") from None
        say((f"{written} écrit : le PDF à déposer dans le parapheur (PDF/A-2b, sans "
             "« PROJET », un champ de signature par signataire). Une fois signé : « qp sign "
             f"{path.stem}{'' if act == 'convention' else ' ' + act} --pdf SIGNÉ.pdf »",
             "green"))
        return
    try:
        signed = signing.sign(
            path, day, out, act_name=act, today=lifecycle.today(), wait=wait,
            on_wait=on_wait, signed_pdf=signed_pdf, trust=trust)
    except InvalidTerritory as exc:
        for problem in exc.problems:
            _print_problem(problem)
        raise QPError(f"{path.stem} : {what} en l'état, rien n'a été changé") from None
    if signed.verification is not None:
        _say_verification(signed.verification, signed_pdf, signed.act.label)
        day = signed.verification.day
    where = field_path(signed.act.loc)
    recorded = "statut: signee, " if signed.act.kind == "convention" else ""
    names = signing.signer_names(signed.people)
    say((f"{path.stem} : {signed.act.signed_label} le {day:%d/%m/%Y} par {names} ; "
         f"{signed.territory_file} mis à jour ({recorded}{where}.date, {where}.signataires), "
         f"document signé archivé sous {signed.archive}", "green"))
    result = batch.generate([path], out, on_outcome=lambda o: say(f"{o.status} : {o.target}"))
    if _report_generate(result.outcomes):
        raise typer.Exit(1)


def _say_verification(verification, pdf: Path, act: str) -> None:
    """What the signed PDF's verification found, in a few lines."""
    import datetime as dt

    from .pdf_signatures import BY_BYTES

    say(f"{pdf} : {len(verification.signers)} signature(s) intacte(s) et valide(s)")
    for signer in verification.signers:
        when = dt.datetime.fromisoformat(signer.signed_at)
        say(f"  {signer.party} : signé par {signer.name} le {when:%d/%m/%Y à %H:%M} "
            f"(certificat émis par {signer.issuer})")
    say("  contenu : " + ("identique, octet pour octet, au PDF écrit par qp"
                          if verification.origin == BY_BYTES else
                          "PDF réécrit par le parapheur, au texte identique à celui de "
                          f"{act}"))
    say(f"  {verification.chain}")
    for warning in verification.warnings:
        say((f"  avertissement : {warning}", "yellow"))


@app.command("import-operations", cls=FrenchCommand, options_metavar="[OPTIONS]")
def import_operations(
    target: Optional[str] = typer.Argument(None, metavar="TERRITOIRE", show_default=False,
                                           help="nom du territoire (toulouse) ou fichier de "
                                                "territoire"),
    source: Optional[Path] = typer.Argument(None, metavar="FICHIER", show_default=False,
                                            help="tableau des opérations : classeur .xlsx, "
                                                 "fichier .csv (séparateur « ; ») ou .txt "
                                                 "(« Texte Unicode »)"),
    replace: bool = typer.Option(False, "--replace", show_default=False,
                                 help="Remplace les opérations déjà écrites dans le fichier du "
                                      "territoire."),
    model: Optional[Path] = typer.Option(None, "--modele", metavar="FICHIER.xlsx",
                                         show_default=False, readable=False,
                                         help="Écrit un tableau vide à remplir (en-têtes et mode "
                                              "d'emploi), sans rien importer."),
    territories: Path = TERRITORIES,
) -> None:
    """Remplit l'annexe 3 (opérations) d'un territoire à partir d'un tableau Excel ou CSV,
    une ligne par financement."""
    from . import core, importing
    from .spreadsheet import SpreadsheetError

    if model is not None:
        if target is not None or replace:
            raise UsageError("--modele s'emploie seul : qp import-operations --modele "
                             "operations.xlsx")
        importing.write_model(model)
        say((f"{model} écrit : remplissez la feuille « Opérations » (une ligne par "
             "financement, voir la feuille « Mode d'emploi »), puis : qp import-operations "
             f"TERRITOIRE {model}", "green"))
        return
    if target is None or source is None:
        raise UsageError("indiquez le territoire et le tableau (par exemple : qp "
                         "import-operations toulouse operations.xlsx), ou --modele "
                         "FICHIER.xlsx pour un tableau vide")
    if source.is_dir():  # (an empty argument too: « . »)
        raise UsageError(f"FICHIER « {source} » est un dossier : indiquez le tableau des "
                         "opérations (.xlsx, .csv ou .txt)")
    path = core.find_one(target, territories)
    try:
        imported = importing.import_operations(path, source, replace=replace)
    except InvalidTerritory as exc:
        for problem in exc.problems:
            _print_problem(problem)
        raise QPError(f"{path.stem} : corrigez d'abord le fichier du territoire (qp validate "
                      f"{path}) ; rien n'a été importé") from None
    except SpreadsheetError as exc:
        for problem in exc.problems:
            say((problem.format(), "red"), err=True)
        raise QPError(f"{source.name} : {len(exc.problems)} problème(s) ; rien n'a été "
                      f"importé, {path} n'a pas été modifié") from None
    sheet = f" (feuille « {imported.sheet} »)" if imported.sheet is not None else ""
    what = (f"{imported.operations} opération(s), {imported.financings} financement(s) de "
            f"{source.name}{sheet}")
    if not imported.changed:
        say(f"{path.stem} : {what} : {path} les contient déjà, inchangé")
    else:
        replaced = f", à la place des {imported.replaced} précédentes" if imported.replaced else ""
        say((f"{path.stem} : {what} importé(s) dans {path} ({importing.ANNEX}{replaced})",
             "green"))
    if imported.warnings:
        say((f"{len(imported.warnings)} fait(s) à compléter dans ce territoire : qp validate "
             f"{path}", "yellow"))


@app.command("list", cls=FrenchCommand, options_metavar="[OPTIONS]")
def list_(territories: Path = TERRITORIES,
          out: Path = typer.Option(Path("out"), "--out", "-o", metavar="DOSSIER",
                                   show_default=False, readable=False,
                                   help="Dossier des documents (par défaut : out), où les "
                                        "actes signés archivés sont vérifiés.")) -> None:
    """Une ligne par territoire : statut, chef de file, fin de validité, faits à compléter ;
    en dessous, ses actes (convention, feuille de route, avenants), signés ou en projet."""
    import textwrap

    from . import core

    rows = core.overview(territories, out)
    where = "" if out == Path("out") else f" -o {pasteable(out)}"
    # 80 columns: the other columns take 57, a longer name is cut (« communaute-d-ag… »)
    width = min(max([len("Territoire"), *(len(row.name) for row in rows)]), 23)
    say(f"{'Territoire':<{width}}  {'Statut':<6}  {'Chef de file':<22}  {'Fin':<10}  "
        "À compléter")
    for row in rows:
        name = row.name if len(row.name) <= width else row.name[:width - 1] + "…"
        if row.errors:
            say(f"{name:<{width}}  ", (f"{row.errors} erreur(s) : qp validate "
                                       f"{pasteable(row.path)}{where}", "red"))
        else:
            say(f"{name:<{width}}  {row.statut:<6}  {row.chef_de_file:<22}  {row.fin:<10}  "
                f"{row.to_complete or 'rien'}")
            # below, each act: signed (its date) or a draft, within 80 columns
            for line in textwrap.wrap(" · ".join(row.acts), 80, initial_indent="  ",
                                      subsequent_indent="  ", break_on_hyphens=False):
                say((line, "dim"))


@app.command("report", cls=FrenchCommand, options_metavar="[OPTIONS]")
def report(
    detail: bool = typer.Option(False, "--detail", show_default=False,
                                help="Ajoute sous le tableau le détail de chaque territoire "
                                     "(pilotage, feuille de route, financeurs, domaines)."),
    csv_file: Optional[Path] = typer.Option(None, "--csv", metavar="FICHIER", show_default=False,
                                            help="Écrit le rapport en CSV pour Excel "
                                                 "(séparateur point-virgule, UTF-8)."),
    xlsx_file: Optional[Path] = typer.Option(None, "--xlsx", metavar="FICHIER",
                                             show_default=False,
                                             help="Écrit le rapport en classeur Excel (.xlsx)."),
    html_file: Optional[Path] = typer.Option(None, "--html", metavar="FICHIER",
                                             show_default=False,
                                             help="Écrit le rapport en page web autonome, avec "
                                                  "ses graphiques (.html)."),
    territories: Path = TERRITORIES,
) -> None:
    """Le rapport du programme : une ligne par territoire (statut, chef de file, échéances,
    coût, financement par partenaire), à l'écran, en CSV, en Excel ou en page web."""
    from . import report as programme_report

    files = {option: path for option, path in
             (("--csv", csv_file), ("--xlsx", xlsx_file), ("--html", html_file)) if path is not None}
    if detail and files:
        raise UsageError("--detail règle l'affichage à l'écran ; les fichiers --csv, --xlsx et "
                         "--html ont toujours tout le détail : retirez l'un ou l'autre")
    for option, path in files.items():
        endings = (".html", ".htm") if option == "--html" else (f".{option[2:]}",)
        if path.suffix.lower() not in endings:
            raise UsageError(f"{option} {path} : le nom du fichier doit finir par {endings[0]}")
    result = programme_report.build(territories)
    if not files:
        for printed in programme_report.terminal(result, detail=detail):
            say(*printed)
        return
    formats = {"--csv": programme_report.to_csv, "--xlsx": programme_report.to_xlsx,
               "--html": programme_report.to_html}
    programme_report.write({path: formats[option](result) for option, path in files.items()})
    for path in files.values():
        say(f"rapport écrit : {path} ({len(result.lines)} territoire(s))")
    if result.in_error:
        say((f"{len(result.in_error)} territoire(s) en erreur, listé(s) hors totaux : "
             f"qp validate {pasteable(territories)}", "yellow"), err=True)


@app.command(cls=FrenchCommand, options_metavar="[OPTIONS]")
def new(
    target: str = typer.Argument(..., metavar="TERRITOIRE", show_default=False,
                                 help="nom du nouveau territoire (minuscules, chiffres, - et _)"),
    nom: Optional[str] = typer.Option(None, "--nom", metavar="NOM", show_default=False,
                                      help="Nom de l'intercommunalité, tel que la convention "
                                           "l'écrit (« la Communauté d'agglomération … »)."),
    departements: Optional[List[str]] = typer.Option(
        None, "--departement", metavar="DÉPARTEMENT", show_default=False,
        help="Département de l'intercommunalité (nom officiel ; l'option se répète)."),
    territories: Path = TERRITORIES,
) -> None:
    """Crée le fichier d'un nouveau territoire : un brouillon commenté, le reste « à
    compléter »."""
    import datetime as dt

    from . import new_territory

    try:
        created = new_territory.create(target, territories, nom, departements or [],
                                       today=dt.date.today())
    except InvalidTerritory as exc:
        for problem in exc.problems:
            _print_problem(problem)
        raise QPError(f"{target} : fichier non écrit, corrigez les valeurs données") from None
    if created.schema:
        say(f"écrit : {created.schema} (le schéma que lisent les éditeurs)")
    say((f"écrit : {created.path} ({created.to_complete} fait(s) à compléter)", "green"))
    say(f"ensuite : complétez-le, puis « qp validate {pasteable(created.path)} » et "
        f"« qp generate {created.path.stem}"
        + ("" if territories == Path("territories") else f" -t {territories}") + " »")


@app.command(cls=FrenchCommand, options_metavar="[OPTIONS]")
def schema(
    national: bool = typer.Option(False, "--programme", show_default=False,
                                  help="Le schéma de territories/programme.yaml (les faits "
                                       "nationaux) au lieu de celui d'un territoire."),
) -> None:
    """Affiche le schéma JSON des fichiers de territoire (complétion dans VS Code)."""
    from .model import Programme, Territory
    from .schema import schema_text

    sys.stdout.write(schema_text(Programme if national else Territory))


@app.command(cls=FrenchCommand, options_metavar="[OPTIONS]")
def text(
    document: Path = typer.Argument(..., metavar="FICHIER.docx", show_default=False,
                                    readable=False, help="document Word"),
) -> None:
    """Affiche le texte d'un document Word : un paragraphe par ligne, une ligne par
    rangée de tableau (pour git diff)."""
    from . import text as reading

    sys.stdout.write(reading.plain(reading.lines(reading.read(document), str(document))))


@app.command(cls=FrenchCommand, options_metavar="[OPTIONS]")
def diff(
    first: str = typer.Argument(..., metavar="A", show_default=False,
                                help="territoire (toulouse, ou son fichier) ou document .docx"),
    second: str = typer.Argument(..., metavar="B", show_default=False,
                                 help="territoire ou document .docx"),
    territories: Path = TERRITORIES,
) -> None:
    """Compare deux conventions (deux territoires, ou un territoire et un document),
    article par article et annexe par annexe."""
    from . import text as reading

    lines = [_convention_lines(name, territories) for name in (first, second)]
    changes = reading.compare(*lines, first, second)
    for change in changes:
        colour = {"-": "red", "+": "green", "=": "bold"}.get(change[:1], "default")
        say((change, colour))
    clauses = sum(1 for change in changes if change.startswith("=== "))
    say(f"{clauses} clause(s) différente(s)" if clauses else "textes identiques")


def _convention_lines(name: str, territories: Path) -> list:
    """The text of a document file, or of a territory's convention as generated now."""
    from . import text as reading

    path = Path(name)  # (a file that is no territory file, /dev/zero too, is a document)
    if name.lower().endswith(".docx") or (path.exists() and not path.is_dir()
                                          and path.suffix.lower() not in (".yaml", ".yml")):
        return reading.lines(reading.read(path), name)
    from . import core, documents

    checked = core.validate([core.find_one(name, territories)])[0]
    if checked.errors:
        for problem in checked.errors:
            _print_problem(problem)
        raise QPError(f"{checked.path} a des erreurs : corrigez-les pour le comparer")
    return reading.lines(documents.convention(checked), name)


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, a CI job cancelled): the same clean stop as Ctrl-C, exit code 143."""


_terminated: list[bool] = []  # (typer turns any interruption into exit code 130)


def _terminate(signum, frame) -> None:
    _terminated.append(True)
    raise Terminated


def main() -> None:
    """Entry point: runs the app and maps every outcome to an exit code."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:  # closed by the caller (`qp … >&-`): its messages go nowhere
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
        elif hasattr(stream, "reconfigure"):
            # « », accents, narrow no-break spaces: UTF-8 when redirected (a Windows log
            # would be cp1252), and never a crash on a terminal that cannot show them
            stream.reconfigure(errors="replace", **({} if stream.isatty() else {"encoding": "utf-8"}))
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        code = _run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    sys.exit(code)


def _run() -> int:
    try:
        # Without standalone mode click hands back the exit code instead of exiting.
        code = typer.main.get_command(app).main(prog_name="qp", standalone_mode=False)
        if code == 130:  # typer's own way of saying Ctrl-C
            raise KeyboardInterrupt
    except typer.Exit as exc:
        code = exc.exit_code
    except QPError as exc:
        say((f"erreur : {exc}", "red"), err=True)
        code = exc.exit_code
    except UnknownCommand as exc:
        say((f"erreur : {exc}", "red"), err=True)
        code = 2
    except typer.TyperException as exc:  # click's usage errors
        say((f"erreur : {usage_error(exc, sys.argv)}", "red"), err=True)
        context = getattr(exc, "ctx", None)  # the command whose line is wrong
        say(f"Essayez « {context.command_path if context else 'qp'} --help » pour l'aide.",
            err=True)
        code = 2
    except (KeyboardInterrupt, typer.Abort) as exc:
        say(("interrompu : les documents déjà écrits sont complets, les autres n'ont pas "
             "été touchés", "red"), err=True)
        code = 143 if isinstance(exc, Terminated) or _terminated else 130
    except OSError as exc:  # the machine refused a file or a folder: not a bug of qp's
        where = f"{exc.filename} : " if exc.filename else ""
        say((f"erreur : {where}{describe_os_error(exc)}", "red"), err=True)
        code = 1
    except Exception as exc:  # a bug, never passed off as the user's error
        if os.environ.get("QP_DEBUG"):
            raise
        say((f"erreur inattendue (anomalie de qp-conventions, pas de votre fichier) : "
             f"{type(exc).__name__}: {exc}", "red"), err=True)
        say("Relancez avec QP_DEBUG=1 pour le détail.", err=True)
        code = 70
    return code if isinstance(code, int) else 0
