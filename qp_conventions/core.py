"""The tool's one job, as functions the CLI calls: find → load/validate → render → write.
Nothing here prints or exits; user errors are `QPError`s, progress goes to a callback."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import InvalidTerritory, Problem, QPError

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
EXTENSIONS = (".yaml", ".yml")
# Below this much territory data a second process costs more than it saves: measured
# with benchmarks/bench.py, 8 synthetic files of 6 KB gain 0.1 s on two cores with fork,
# the 14 real territories (17 KB) lose 0.1 s. Spawning (Windows, macOS) costs far more.
PARALLEL_FROM_BYTES = {"fork": 40_000, "spawn": 400_000}

WRITTEN, UNCHANGED, EDITED, FAILED = "écrit", "inchangé", "modifié à la main", "échec"
MISSING, STALE, EXTRA = "absent", "périmé", "en trop"


def territory_files(paths: list[Path]) -> list[Path]:
    """The territory files named, or found directly inside the folders named, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir()
                                if p.suffix in EXTENSIONS and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise QPError(f"{path} : fichier ou dossier introuvable")
    by_name: dict[str, Path] = {}
    for path in found:  # toulouse.yaml and toulouse.yml would both write out/toulouse.docx
        if path.stem in by_name and by_name[path.stem] != path:
            raise QPError(f"deux fichiers pour le territoire « {path.stem} » : {by_name[path.stem]} "
                          f"et {path} ; gardez-en un seul")
        by_name[path.stem] = path
    return found


def territory_path(territories: Path, slug: str) -> Path:
    """The file of a territory named by its slug, never outside the territories folder."""
    if not SLUG.match(slug):
        raise QPError(
            f"nom de territoire « {slug} » refusé : utilisez le nom du fichier sans extension, "
            "en minuscules, chiffres et tirets (par exemple « toulouse »)"
        )
    for extension in EXTENSIONS:
        candidate = territories / f"{slug}{extension}"
        if candidate.is_file():
            return candidate
    known = sorted(p.stem for p in territory_files([territories])) if territories.is_dir() else []
    import difflib

    close = difflib.get_close_matches(slug, known, n=1, cutoff=0.6)
    hint = f" Vouliez-vous dire « {close[0]} » ?" if close else (
        f" Territoires disponibles : {', '.join(known)}." if known else "")
    raise QPError(f"territoire « {slug} » introuvable dans {territories}/.{hint}")


def build_document(path: Path) -> tuple[bytes, list[Problem]]:
    """The .docx of one territory file and its warnings; InvalidTerritory on any error."""
    from .docx_writer import write_docx
    from .render import render_blocks, templates_dir
    from .validate import check_file

    checked = check_file(path)
    if checked.errors:
        raise InvalidTerritory(checked.errors)
    territory = checked.territory
    blocks = render_blocks(territory, checked.missing)
    interco = territory.intercommunalite.nom
    data = write_docx(
        blocks,
        templates_dir() / "reference.docx",
        title=f"Convention d'engagement Quartiers productifs – {interco}",
        subject="Convention d'engagement Quartiers productifs et ses annexes",
        when=territory.signature.date or territory.labellisation,
    )
    return data, checked.warnings


@dataclass
class Built:
    path: Path
    data: bytes | None
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)


def _build(path: Path) -> Built:
    try:
        data, warnings = build_document(path)
        return Built(path, data, warnings)
    except InvalidTerritory as exc:
        return Built(path, None, errors=exc.problems)


def _warm_up() -> None:
    from .docx_writer import load_reference
    from .render import _environment, _parser, templates_dir

    load_reference(templates_dir() / "reference.docx")
    _environment(templates_dir())
    _parser()


def _build_all(paths: list[Path], jobs: int) -> Iterator[Built]:
    """Each territory's document, in order; on several processes for a large batch."""
    import multiprocessing  # (cheap: its heavy parts load on first use)

    # fork shares what this process has already imported and loaded; elsewhere spawn
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    if jobs == 0:
        size = sum(p.stat().st_size for p in paths)
        jobs = min(os.cpu_count() or 1, 4) if size >= PARALLEL_FROM_BYTES[method] else 1
    if jobs <= 1 or len(paths) < 2:
        yield from map(_build, paths)
        return
    from concurrent.futures import ProcessPoolExecutor  # only large batches pay its import

    context = multiprocessing.get_context(method)
    if method == "fork":
        _warm_up()  # load once what every worker would otherwise load again
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        yield from pool.map(_build, paths, chunksize=max(1, len(paths) // (jobs * 8)))


@dataclass
class Outcome:
    slug: str
    target: Path
    status: str  # WRITTEN, UNCHANGED, EDITED, FAILED (generate); MISSING, STALE, EXTRA (check)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    backup: Path | None = None  # where a hand-edited document was kept (--force)


_CHUNK = 16  # documents written between two saves of the manifest


def generate(paths: list[Path], out: Path, *, jobs: int = 0, force: bool = False,
             on_outcome: Callable[[Outcome], None] = lambda o: None) -> list[Outcome]:
    """Write out/<slug>.docx for each territory. A territory in error writes nothing and
    does not stop the others; a document identical to the one in place is not rewritten;
    a document changed by hand since qp wrote it is kept, or with `force` moved aside."""
    from itertools import islice

    from .output import Manifest, backup_name, remove_stale_temporaries, write_atomic

    remove_stale_temporaries(out)
    manifest = Manifest(out)
    outcomes: list[Outcome] = []
    built_all = _build_all(paths, jobs)
    while chunk := list(islice(built_all, _CHUNK)):
        pending = []
        for built in chunk:
            target = out / f"{built.path.stem}.docx"
            if built.data is None:
                outcomes.append(Outcome(built.path.stem, target, FAILED, errors=built.errors))
                continue
            current = target.read_bytes() if target.is_file() else None
            edited = current is not None and not manifest.written_by_us(target.name, current)
            if current == built.data:
                manifest.settle(target.name, built.data)
                outcomes.append(Outcome(built.path.stem, target, UNCHANGED, built.warnings))
            elif edited and not force:
                outcomes.append(Outcome(built.path.stem, target, EDITED, built.warnings))
            else:
                manifest.expect(target.name, built.data)
                pending.append((built, target, backup_name(target) if edited else None))
        if pending:
            manifest.save()  # first accept both contents: a kill now leaves either
            for built, target, backup in pending:
                try:
                    if backup is not None:
                        os.replace(target, backup)
                    write_atomic(target, built.data)
                except (QPError, OSError) as exc:  # Word holds the file, disk full…
                    message = str(exc) if isinstance(exc, QPError) else (
                        f"écriture impossible ({exc.strerror or exc})")
                    outcomes.append(Outcome(built.path.stem, target, FAILED, errors=[
                        Problem(target, None, None, "", message)]))
                    continue
                manifest.settle(target.name, built.data)
                outcomes.append(Outcome(built.path.stem, target, WRITTEN, built.warnings,
                                        backup=backup))
        for outcome in outcomes[-len(chunk):]:
            on_outcome(outcome)
    manifest.save()
    return outcomes


def check(paths: list[Path], out: Path, *, complete: bool, jobs: int = 0,
          on_outcome: Callable[[Outcome], None] = lambda o: None) -> list[Outcome]:
    """What `generate` would change in out/, writing nothing: each document missing or
    stale, each territory in error, and (for the whole set, `complete`) each document
    of out/ that no territory produces. Up-to-date documents are not reported."""
    outcomes = []
    expected = set()
    for built in _build_all(paths, jobs):
        target = out / f"{built.path.stem}.docx"
        expected.add(target.name)
        if built.data is None:
            outcome = Outcome(built.path.stem, target, FAILED, errors=built.errors)
        elif not target.is_file():
            outcome = Outcome(built.path.stem, target, MISSING)
        elif target.read_bytes() != built.data:
            outcome = Outcome(built.path.stem, target, STALE)
        else:
            continue
        outcomes.append(outcome)
        on_outcome(outcome)
    if complete and out.is_dir():
        for extra in sorted(p for p in out.glob("*.docx")
                            if p.name not in expected and ".modifie-a-la-main" not in p.name):
            outcome = Outcome(extra.stem, extra, EXTRA)
            outcomes.append(outcome)
            on_outcome(outcome)
    return outcomes


def documents(outcomes: Iterable[Outcome]) -> list[Path]:
    """The documents a batch has in place (written or unchanged)."""
    return [o.target for o in outcomes if o.status in (WRITTEN, UNCHANGED)]
