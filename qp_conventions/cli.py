"""`qp`: a thin command line over `core`. It maps options to calls, prints in French
and turns errors into exit codes: 1 for the user's errors, 130 for Ctrl-C, 2 for usage
mistakes and 70 for a bug (never a traceback unless QP_DEBUG=1)."""

from __future__ import annotations

import os
import re
import sys

# qp uses no pydantic plugin: skip their discovery (an entry-point scan at every start).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from .errors import Problem, QPError, UsageError

HELP_TEXT = "Affiche cette aide et quitte."


def _french_typer() -> None:
    """Typer's own words, in French. Its help formatter (and rich) is imported only
    when help is shown: importing it up front doubled the start-up time of every command."""
    from typer import rich_utils

    rich_utils.OPTIONS_PANEL_TITLE = "Options"
    rich_utils.ARGUMENTS_PANEL_TITLE = "Arguments"
    rich_utils.COMMANDS_PANEL_TITLE = "Commandes"
    rich_utils.ERRORS_PANEL_TITLE = "Erreur"
    rich_utils.ABORTED_TEXT = "Interrompu."
    rich_utils.DEFAULT_STRING = "[par défaut : {}]"
    rich_utils.REQUIRED_LONG_STRING = "[obligatoire]"
    rich_utils.RICH_HELP = "Essayez [blue]'{command_path} {help_option}'[/] pour l'aide."


class _FrenchHelp:
    def format_help(self, ctx, formatter):
        _french_typer()
        for param in self.params:  # no « <list[str]> »: the argument's name says it in French
            if param.param_type_name == "argument":
                param.display_type_rich = lambda ctx: None
        return super().format_help(ctx, formatter)

    def get_help_option(self, ctx):  # click hard-codes « Show this message and exit. »
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_TEXT
            option.metavar = ""
        return option

    def get_usage(self, ctx) -> str:
        return super().get_usage(ctx).replace("Usage:", "Utilisation :", 1)


class Command(_FrenchHelp, TyperCommand):
    pass


class Group(_FrenchHelp, TyperGroup):
    pass


app = typer.Typer(
    cls=Group,
    help=(
        "Génère les conventions d'engagement Quartiers productifs (convention et annexes "
        "1 à 3) au format Word, à partir d'un fichier YAML par territoire."
    ),
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)

TERRITORIES_OPTION = typer.Option(
    Path("territories"), "--territories", "-t", metavar="DOSSIER",
    help="Dossier des fichiers de territoire.", show_default=True)


_consoles: dict = {}


def _console(stream):
    from rich.console import Console

    if stream not in _consoles:
        _consoles[stream] = Console(file=stream, highlight=False, soft_wrap=True)
    return _consoles[stream]


def _say(*parts, err: bool = False) -> None:
    """Print one message made of plain strings and (text, style) pairs. Texts are never
    read as markup (a path or a value may hold « [ »). Colours through rich on a terminal;
    plain lines elsewhere (CI logs, pipes), which also spares rich's import there."""
    stream = sys.stderr if err else sys.stdout
    try:
        if stream.isatty():
            from rich.text import Text

            _console(stream).print(Text.assemble(*parts))
        else:
            print("".join(p if isinstance(p, str) else p[0] for p in parts), file=stream,
                  flush=True)
    except BrokenPipeError:
        # The reader went away (`qp generate --all | head -1`): the batch goes on, its
        # messages go nowhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def _print_problem(problem: Problem) -> None:
    _say((problem.format(), "red" if problem.is_error else "yellow"), err=True)


@app.command(cls=Command)
def validate(
    paths: Optional[List[Path]] = typer.Argument(
        None, help="Fichiers ou dossiers à vérifier (par défaut : le dossier des territoires).",
        show_default=False, metavar="CHEMINS"),
    territories: Path = TERRITORIES_OPTION,
    strict: bool = typer.Option(False, "--strict", metavar="",
                                help="Traite les faits « à compléter » comme des erreurs."),
) -> None:
    """Vérifie les fichiers de territoire et signale chaque problème (fichier:ligne:colonne)."""
    from .core import territory_files
    from .validate import check_file

    files = territory_files(paths or [territories])
    if not files:
        raise QPError(f"aucun fichier de territoire (.yaml) trouvé dans {', '.join(map(str, paths or [territories]))}")
    errors = warnings = 0
    for path in files:
        checked = check_file(path)
        for problem in checked.problems:
            _print_problem(problem)
        errors += len(checked.errors)
        warnings += len(checked.warnings)
    valid = not errors and not (strict and warnings)
    _say(f"{len(files)} fichier(s) vérifié(s) : {errors} erreur(s), "
         f"{warnings} fait(s) à compléter — ",
         ("valide", "green") if valid else ("invalide", "red"),
         " (mode strict)" if strict else "")
    if errors or (strict and warnings):
        raise typer.Exit(1)


@app.command(cls=Command)
def generate(
    slugs: Optional[List[str]] = typer.Argument(
        None, help="Territoires à générer, par leur nom de fichier (par exemple : toulouse).",
        show_default=False, metavar="TERRITOIRES"),
    all_: bool = typer.Option(False, "--all", "-a", metavar="", help="Génère tous les territoires."),
    territories: Path = TERRITORIES_OPTION,
    out: Path = typer.Option(Path("out"), "--out", "-o", metavar="DOSSIER",
                             help="Dossier où écrire les documents."),
    check: bool = typer.Option(
        False, "--check", metavar="",
        help="N'écrit rien : signale chaque document absent, périmé ou en trop (code 1)."),
    pdf: bool = typer.Option(False, "--pdf", metavar="", help="Écrit aussi une copie PDF (LibreOffice)."),
    jobs: int = typer.Option(0, "--jobs", "-j", metavar="N",
                             help="Processus en parallèle (0 : automatique)."),
    force: bool = typer.Option(
        False, "--force", metavar="",
        help="Remplace aussi un document modifié à la main, gardé à côté en copie."),
    wait: int = typer.Option(
        60, "--wait", metavar="SECONDES",
        help="Attente maximale si un autre qp generate écrit dans le même dossier."),
) -> None:
    """Écrit out/<territoire>.docx : la convention suivie de ses trois annexes."""
    from . import core

    if all_ and slugs:
        raise QPError("indiquez des territoires ou --all, pas les deux")
    if not all_ and not slugs:
        raise QPError("indiquez au moins un territoire (par exemple : qp generate toulouse) ou --all")
    if check and pdf:
        raise QPError("--check vérifie les documents Word seulement : retirez --pdf")
    if wait < 0:
        raise UsageError("--wait attend un nombre de secondes")
    paths = core.territory_files([territories]) if all_ else [
        core.territory_path(territories, s) for s in slugs]
    if not paths:
        raise QPError(f"aucun fichier de territoire (.yaml) dans {territories}")
    if check:
        _check(paths, out, complete=all_, jobs=jobs)
        return
    batch = _with_progress(
        len(paths),
        lambda report: core.generate(
            paths, out, jobs=jobs, force=force, pdf=pdf, wait=wait, on_outcome=report,
            on_wait=lambda: _say(f"un autre « qp generate » écrit dans {out} : attente de "
                                 f"sa fin ({wait} s au plus)…", err=True)))
    outcomes = batch.outcomes
    failed = [o for o in outcomes if o.status in (core.FAILED, core.EDITED)]
    for outcome in failed:  # every error, together, at the end
        for problem in outcome.errors:
            _print_problem(problem)
        if outcome.status == core.EDITED:
            _say((f"{outcome.target} a été modifié depuis que qp l'a écrit (ouvert et "
                  f"enregistré dans Word ?) : il n'est pas remplacé. Pour le remplacer, "
                  f"relancez avec --force : le document modifié sera gardé sous "
                  f"{outcome.target.with_name(outcome.target.stem + '.modifie-a-la-main.docx')}.",
                  "red"), err=True)
        else:
            _say((f"{outcome.slug} : rien n'a été écrit", "red"), err=True)
    for outcome in outcomes:
        if outcome.backup is not None:
            _say((f"{outcome.target} avait été modifié à la main : copie gardée sous "
                  f"{outcome.backup}", "yellow"))
    counts = {status: sum(o.status == status for o in outcomes)
              for status in (core.WRITTEN, core.UNCHANGED, core.EDITED, core.FAILED)}
    edited = f", {counts[core.EDITED]} modifié(s) à la main" if counts[core.EDITED] else ""
    _say(f"{len(outcomes)} document(s) : {counts[core.WRITTEN]} écrit(s), "
         f"{counts[core.UNCHANGED]} inchangé(s){edited}, {counts[core.FAILED]} en échec")
    if batch.pdfs:
        _say(f"{len(batch.pdfs)} PDF écrit(s) dans {out} (une seule exécution de LibreOffice)")
    if batch.pdf_error:
        _say((f"erreur : {batch.pdf_error}", "red"), err=True)
    if failed or batch.pdf_error:
        raise typer.Exit(1)


def _with_progress(total: int, run):
    """Run a batch, showing a progress bar on a terminal and one line per document
    elsewhere (CI logs)."""

    def line(outcome) -> tuple:
        colour = "default" if outcome.status in ("écrit", "inchangé") else "red"
        note = ""
        if outcome.warnings:
            note = (f" ({len(outcome.warnings)} fait(s) à compléter, surlignés dans le "
                    f"document : qp validate {outcome.warnings[0].file})")
        return (f"{outcome.status} : {outcome.target}", colour), (note, "yellow")

    if not sys.stdout.isatty() or total == 1:
        return run(lambda outcome: _say(*line(outcome)))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.text import Text

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=_console(sys.stdout), transient=True) as progress:
        task = progress.add_task("Génération", total=total)

        def report(outcome):
            progress.advance(task)
            if outcome.status != "inchangé":
                progress.console.print(Text.assemble(*line(outcome)))
        return run(report)


def _check(paths: list[Path], out: Path, *, complete: bool, jobs: int) -> None:
    from . import core

    reasons = {core.MISSING: "absent : serait écrit", core.STALE: "périmé : serait réécrit",
               core.EXTRA: "en trop : aucun territoire ne le produit",
               core.FAILED: "territoire en erreur"}
    outcomes = core.check(paths, out, complete=complete, jobs=jobs,
                          on_outcome=lambda o: _say(f"{o.target} : {reasons[o.status]}"))
    for outcome in outcomes:
        for problem in outcome.errors:
            _print_problem(problem)
    if outcomes:
        _say((f"{len(outcomes)} document(s) à régénérer sur {len(paths)} : "
              f"lancez qp generate{' --all' if complete else ''}", "red"))
        raise typer.Exit(1)
    _say((f"{out} est à jour ({len(paths)} document(s))", "green"))


@app.command("list", cls=Command)
def list_(territories: Path = TERRITORIES_OPTION) -> None:
    """Affiche un tableau des territoires : chef de file, pilotage, ce qui manque."""
    from rich.table import Table
    from rich.text import Text

    from . import programme
    from .core import territory_files
    from .validate import check_file

    table = Table(title=f"Territoires ({territories})", show_lines=False)
    table.add_column("Territoire", no_wrap=True)
    for column in ("Intercommunalité", "Chef de file", "Pilotage", "À compléter"):
        table.add_column(column, overflow="fold")
    for path in territory_files([territories]):
        checked = check_file(path)
        t = checked.territory
        if t is None:
            table.add_row(path.stem, Text("fichier invalide", "red"), "", "",
                          Text(f"{len(checked.errors)} erreur(s) : qp validate {path}"))
            continue
        partner = programme.PARTNERS[t.chef_de_file].short_name if t.chef_de_file else "—"
        steering = programme.LOCAL_STEERING[t.pilotage] if t.pilotage else "—"
        missing = list(dict.fromkeys(_short_label(w.field) for w in checked.warnings))
        table.add_row(path.stem, Text(t.intercommunalite.nom), partner, steering,
                      Text(", ".join(missing) if missing else "rien"))
    _console(sys.stdout).print(table)


_SHORT_LABELS = {
    "intercommunalite.representant": "représentant",
    "intercommunalite.genre": "genre",
    "intercommunalite.nature": "nature",
    "signature.lieu": "lieu",
    "etat.signataire": "signataire de l'Etat",
    "etat.ministre": "ministre",
    "etat.prefet": "préfet",
    "chef_de_file": "chef de file",
    "pilotage": "pilotage",
    "annexe_2_axes": "annexe 2",
    "annexe_3_operations": "annexe 3",
}


def _short_label(field: str) -> str:
    """What `qp list` says is missing: « représentant », « ministre », « annexe 2 »…"""
    for prefix, label in _SHORT_LABELS.items():
        if field.startswith(prefix):
            return label
    return field


_CLICK_MESSAGES = [
    (r"No such option: (\S+)(?:.*Did you mean (\S+)\?)?", lambda m: f"option inconnue : {m[1]}"
     + (f" (vouliez-vous dire {m[2]} ?)" if m[2] else "")),
    (r"No such command '(.*)'\.", lambda m: f"commande inconnue « {m[1]} » : validate, generate ou list"),
    (r"Missing argument '(.*)'\.", lambda m: f"argument manquant {m[1]}"),
    (r"Missing option '(.*)'\.", lambda m: f"option manquante {m[1]}"),
    (r"Option '(.*)' requires an argument\.", lambda m: f"l'option {m[1]} attend une valeur"),
    (r"Got unexpected extra arguments? \((.*)\)", lambda m: f"argument(s) en trop : {m[1]}"),
    (r"Missing command\.", lambda m: "commande manquante : validate, generate ou list"),
    (r"Invalid value for (.*?): (.*)", lambda m: f"valeur invalide pour {m[1]}"
     + (" : nombre entier attendu" if "integer" in m[2] else "")),
]


def _french_usage(message: str) -> str:
    for pattern, build in _CLICK_MESSAGES:
        match = re.search(pattern, message)
        if match:
            return build(match)
    return message


def _utf8_when_redirected() -> None:
    """Messages hold « », accents and narrow no-break spaces: written to a file or a CI log
    on Windows (cp1252) they would not encode. Terminals are left to rich."""
    for stream in (sys.stdout, sys.stderr):
        if not stream.isatty() and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")


def main() -> None:
    """Entry point: runs the app and maps every outcome to an exit code."""
    import gc

    # Reading YAML and building documents makes many short-lived objects and almost no
    # reference cycles: collecting cycles less often saves a sixth of a batch's time.
    gc.set_threshold(100_000, 50, 100)
    _utf8_when_redirected()
    # typer re-exports Exit and Abort; click's base exception is reached through BadParameter
    # so that this works whether typer vendors click or depends on it.
    ClickExit, Abort = typer.Exit, typer.Abort
    ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

    try:
        # Without standalone mode click hands back the exit code instead of exiting.
        code = typer.main.get_command(app).main(prog_name="qp", standalone_mode=False)
    except ClickExit as exc:
        sys.exit(exc.exit_code)
    except QPError as exc:
        _say((f"erreur : {exc}", "red"), err=True)
        sys.exit(exc.exit_code)
    except ClickException as exc:
        _say((f"erreur : {_french_usage(exc.format_message())}", "red"), err=True)
        _say("Essayez « qp --help » pour l'aide.", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, Abort):
        code = 130
    except Exception as exc:  # a bug, never passed off as the user's error
        if os.environ.get("QP_DEBUG"):
            raise
        _say((f"erreur inattendue (anomalie de qp-conventions, pas de votre fichier) : "
              f"{type(exc).__name__}: {exc}", "red"), err=True)
        _say("Relancez avec QP_DEBUG=1 pour le détail.", err=True)
        sys.exit(70)
    if code == 130:  # Ctrl-C (typer turns it into exit code 130)
        _say(("interrompu : les documents déjà écrits sont complets, les autres n'ont pas "
              "été touchés", "red"), err=True)
    sys.exit(code if isinstance(code, int) else 0)
