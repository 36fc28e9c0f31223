"""The tool's one job, as functions the CLI calls: find → load/validate → render → write.
Nothing here prints or exits; user errors are `QPError`s, progress goes to a callback."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import InvalidTerritory, Problem, QPError, UsageError, describe_os_error
from .loader import EXTENSIONS, NAME, name_problem

MAX_JOBS = 64
# Below this much territory data a second process costs more than it saves: measured
# with benchmarks/bench.py, 8 synthetic files of 6 KB gain 0.1 s on two cores with fork,
# the 14 real territories (17 KB) lose 0.1 s. Spawning (Windows, macOS) costs far more.
PARALLEL_FROM_BYTES = {"fork": 40_000, "spawn": 400_000}

WRITTEN, UNCHANGED, EDITED, FAILED = "écrit", "inchangé", "modifié à la main", "échec"
MISSING, STALE, EXTRA = "absent", "périmé", "en trop"


def territory_files(paths: list[Path]) -> list[Path]:
    """The territory files named, or found directly inside the folders named, sorted. A
    file whose name breaks the naming rule is kept: validation reports it."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir()
                                if p.suffix.lower() in EXTENSIONS and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise QPError(f"{path} : fichier ou dossier introuvable")
    return _distinct(found)


def _distinct(paths: list[Path]) -> list[Path]:
    """Each file once; two files that would write the same document are refused."""
    by_name: dict[str, Path] = {}
    for path in paths:  # toulouse.yaml and toulouse.yml would both write out/toulouse.docx
        if path.stem in by_name and by_name[path.stem].resolve() != path.resolve():
            raise QPError(f"deux fichiers pour le territoire « {path.stem} » : {by_name[path.stem]} "
                          f"et {path} ; gardez-en un seul")
        by_name.setdefault(path.stem, path)
    return list(by_name.values())


def territory_path(territories: Path, slug: str) -> Path:
    """The file of a territory named by its slug, never outside the territories folder."""
    if not NAME.fullmatch(slug):
        raise QPError(
            f"nom de territoire « {slug} » refusé : utilisez le nom du fichier sans extension, "
            "en minuscules sans accents, chiffres, « - » et « _ » (par exemple « toulouse »)"
        )
    for extension in EXTENSIONS:
        candidate = territories / f"{slug}{extension}"
        if candidate.is_file():
            return candidate
    known = sorted(p.stem for p in territory_files([territories]) if name_problem(p) is None) \
        if territories.is_dir() else []
    import difflib

    close = difflib.get_close_matches(slug, known, n=1, cutoff=0.6)
    hint = f" Vouliez-vous dire « {close[0]} » ?" if close else (
        f" Territoires disponibles : {', '.join(known)}." if known else "")
    raise QPError(f"territoire « {slug} » introuvable dans {territories}/.{hint}")


def _check_jobs(jobs: int) -> None:
    if not 0 <= jobs <= MAX_JOBS:
        raise UsageError(f"--jobs attend un nombre de processus entre 0 (automatique) et {MAX_JOBS}")


def build_document(path: Path) -> tuple[bytes, list[Problem]]:
    """The .docx of one territory file and its warnings; InvalidTerritory on any error."""
    from .docx import write_docx
    from .render import render_blocks, templates_dir
    from .validate import check_file

    checked = check_file(path)
    if checked.errors:
        raise InvalidTerritory(checked.errors)
    territory = checked.territory
    interco = territory.intercommunalite.nom
    data = write_docx(
        render_blocks(territory),
        templates_dir() / "reference.docx",
        title=f"Convention d'engagement Quartiers productifs – {interco}",
        subject="Convention d'engagement Quartiers productifs et ses annexes",
        when=territory.signature.date or territory.labellisation,
        logos=checked.logos,
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
    from .docx import load_reference
    from .render import environment, templates_dir

    load_reference(templates_dir() / "reference.docx")
    environment(templates_dir())


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

    jobs = min(jobs, len(paths))
    context = multiprocessing.get_context(method)
    if method == "fork":
        _warm_up()  # load once what every worker would otherwise load again
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        try:  # the workers start here, at the first task
            results = pool.map(_build, paths, chunksize=max(1, len(paths) // (jobs * 8)))
        except OSError:
            # The system refused a process (a limit on processes): stop the workers that
            # did start, or the interpreter would wait for them forever, and build here.
            for worker in multiprocessing.active_children():
                worker.terminate()
                worker.join()
            results = None
        if results is not None:
            yield from results
            return
    yield from map(_build, paths)


@dataclass
class Outcome:
    slug: str
    target: Path
    status: str  # WRITTEN, UNCHANGED, EDITED, FAILED (generate); MISSING, STALE, EXTRA (check)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    backup: Path | None = None  # where a hand-edited document was kept (--force)


@dataclass
class Batch:
    outcomes: list[Outcome]
    pdfs: list[Path] = field(default_factory=list)
    pdf_error: str | None = None  # the documents are written even when their PDFs are not


_CHUNK = 16  # documents written between two saves of the manifest


def _on_disk(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise QPError(f"lecture impossible de {target} : {describe_os_error(exc)}") from None


def _failure(built_path: Path, target: Path, message: str) -> Outcome:
    return Outcome(built_path.stem, target, FAILED, errors=[Problem(target, None, None, "", message)])


def generate(paths: list[Path], out: Path, *, jobs: int = 0, force: bool = False,
             pdf: bool = False, wait: float = 60,
             on_outcome: Callable[[Outcome], None] = lambda o: None,
             on_wait: Callable[[], None] = lambda: None) -> Batch:
    """Write out/<slug>.docx for each territory (and its PDF with `pdf`). A territory in
    error writes nothing and does not stop the others; a document identical to the one in
    place is not rewritten; a document changed by hand since qp wrote it is kept, or with
    `force` moved aside.

    Documents are built in groups; each group is written holding out/'s lock, with the
    manifest read again under it: runs on the same folder wait for each other, and each
    keeps what the other wrote. A run whose territories all fail touches nothing."""
    from itertools import islice

    from . import pdf as pdf_copies
    from .output import locked, prepare_folder, remove_leftovers

    paths = _distinct(paths)
    _check_jobs(jobs)
    outcomes: list[Outcome] = []
    cleaned = False
    built_all = _build_all(paths, jobs)
    while chunk := list(islice(built_all, _CHUNK)):
        if all(built.data is None for built in chunk):
            done = [Outcome(b.path.stem, out / f"{b.path.stem}.docx", FAILED, errors=b.errors)
                    for b in chunk]
        else:
            prepare_folder(out)
            with locked(out, wait, on_wait):
                if not cleaned:  # what killed runs left, now that none is running
                    remove_leftovers(out)
                    pdf_copies.remove_abandoned_work(out)
                    cleaned = True
                done = _write_chunk(chunk, out, force)
        for outcome in done:
            on_outcome(outcome)
        outcomes.extend(done)
    batch = Batch(outcomes)
    if pdf and documents(outcomes):
        with locked(out, wait, on_wait):
            try:
                batch.pdfs = pdf_copies.convert(documents(outcomes), out)
            except QPError as exc:
                batch.pdf_error = str(exc)
    return batch


def _write_chunk(chunk: list[Built], out: Path, force: bool) -> list[Outcome]:
    """Write a group of built documents (out/'s lock held), in the group's order."""
    from .output import Manifest, keep_aside, write_atomic

    manifest = Manifest(out)
    done: dict[str, Outcome] = {}
    pending = []
    for built in chunk:
        slug = built.path.stem
        target = out / f"{slug}.docx"
        if built.data is None:
            done[slug] = Outcome(slug, target, FAILED, errors=built.errors)
            continue
        try:
            current = _on_disk(target)
        except QPError as exc:
            done[slug] = _failure(built.path, target, str(exc))
            continue
        edited = current is not None and not manifest.written_by_us(target.name, current)
        if current == built.data:
            manifest.settle(target.name, built.data)
            done[slug] = Outcome(slug, target, UNCHANGED, built.warnings)
        elif edited and not force:
            done[slug] = Outcome(slug, target, EDITED, built.warnings)
        else:
            # a hand-edited file is kept aside: only the new content will be ours
            manifest.expect(target.name, None if edited else current, built.data)
            pending.append((built, target, edited))
    if pending:
        manifest.save()  # first accept both contents: a kill now leaves either
    for built, target, edited in pending:
        slug = built.path.stem
        try:
            backup = keep_aside(target) if edited else None
            write_atomic(target, built.data)
        except QPError as exc:  # Word holds the file
            done[slug] = _failure(built.path, target, str(exc))
            continue
        except OSError as exc:  # disk full, permissions…
            done[slug] = _failure(built.path, target,
                                  f"écriture impossible ({describe_os_error(exc)})")
            continue
        manifest.settle(target.name, built.data)
        done[slug] = Outcome(slug, target, WRITTEN, built.warnings, backup=backup)
    manifest.save()
    return [done[built.path.stem] for built in chunk]


def check(paths: list[Path], out: Path, *, complete: bool, jobs: int = 0,
          on_outcome: Callable[[Outcome], None] = lambda o: None) -> list[Outcome]:
    """What `generate` would change in out/, writing nothing: each document missing or
    stale, each territory in error, and (for the whole set, `complete`) each document
    of out/ that no territory produces. Up-to-date documents are not reported."""
    paths = _distinct(paths)
    _check_jobs(jobs)
    if out.exists() and not out.is_dir():
        raise QPError(f"{out} n'est pas un dossier (c'est un fichier) : indiquez un dossier avec --out")
    outcomes = []
    expected = set()
    for built in _build_all(paths, jobs):
        target = out / f"{built.path.stem}.docx"
        expected.add(target.name)
        try:
            current = _on_disk(target)
        except QPError as exc:
            current, built.data, built.errors = None, None, [Problem(target, None, None, "", str(exc))]
        if built.data is None:
            outcome = Outcome(built.path.stem, target, FAILED, errors=built.errors)
        elif current is None:
            outcome = Outcome(built.path.stem, target, MISSING)
        elif current != built.data:
            outcome = Outcome(built.path.stem, target, STALE)
        else:
            continue
        outcomes.append(outcome)
        on_outcome(outcome)
    if complete and out.is_dir():
        # documents kept aside (« x.modifie-a-la-main.docx ») have no territory's name
        for extra in sorted(p for p in out.glob("*.docx")
                            if p.name not in expected and NAME.fullmatch(p.stem)):
            outcome = Outcome(extra.stem, extra, EXTRA)
            outcomes.append(outcome)
            on_outcome(outcome)
    return outcomes


def documents(outcomes: Iterable[Outcome]) -> list[Path]:
    """The documents a batch has in place (written or unchanged)."""
    return [o.target for o in outcomes if o.status in (WRITTEN, UNCHANGED)]
