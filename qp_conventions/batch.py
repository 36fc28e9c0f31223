"""Writing the documents of a batch of territories: build them (load → validate →
render → write, on several processes for a large batch), plan what generating would do
to each document of out/, and apply the plan. Nothing here prints or exits; user errors
are `QPError`s, progress goes to callbacks.

`qp generate` and `qp generate --check` share one plan: for each territory, what
generating would do to its document (write it, rewrite it, leave it, refuse to replace
a hand-edited one…), and for the whole set, the documents no territory produces. The
check reports the plan; generating applies it, group by group, holding out/'s lock.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import acts, documents
from . import pdf as pdf_copies
from .core import distinct, fewer_cycle_collections
from .docx import load_reference
from .documents import Document
from .errors import InvalidTerritory, Problem, QPError, UsageError, describe_os_error, pasteable
from .files import MAX_WORD_FILE, NotReadable, read_regular
from .output import (HAND_EDITED, ChangedMeanwhile, Manifest, keep_aside, locked,
                     prepare_folder, remove_leftovers, write_atomic)
from .render import environment, templates_dir
from .validate import check_file

MAX_JOBS = 64
# Below this much territory data a second process costs more than it saves: measured
# with benchmarks/bench.py, 8 synthetic files of 6 KB gain 0.1 s on two cores with fork,
# the 14 real territories (17 KB) lose 0.1 s. Spawning (Windows, macOS) costs far more.
PARALLEL_FROM_BYTES = {"fork": 40_000, "spawn": 400_000}
GROUP = 16  # documents written between two saves of the manifest


# --- building documents --------------------------------------------------------------

def build_document(path: Path) -> tuple[bytes, list[Problem]]:
    """The convention of one territory file and its warnings; InvalidTerritory on any
    error (a shortcut for the tests and the benchmark)."""
    built = _build(path, Path("out"), roadmap=False)
    if built.documents is None:
        raise InvalidTerritory(built.errors)
    return built.documents[0].data, built.warnings


@dataclass
class Built:
    path: Path
    documents: list[Document] | None  # None: the territory is in error
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)


def _build(path: Path, out: Path, roadmap: bool) -> Built:
    checked = check_file(path)
    if checked.errors:
        return Built(path, None, errors=checked.errors)
    made, problems = documents.build(checked, out, roadmap)
    errors = [p for p in problems if p.is_error]
    if errors:
        return Built(path, None, errors=errors)
    return Built(path, made, checked.warnings + problems)


def _build_all(paths: list[Path], jobs: int, out: Path, roadmap: bool) -> Iterator[Built]:
    """Each territory's documents, in order; on several processes for a large batch."""
    build = functools.partial(_build, out=out, roadmap=roadmap)
    with fewer_cycle_collections():
        yield from _build_each(paths, jobs, build)


def _build_each(paths: list[Path], jobs: int, build) -> Iterator[Built]:
    # fork shares what this process has already imported and loaded; elsewhere spawn
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    if jobs == 0:
        size = sum(p.stat().st_size for p in paths if p.is_file())
        jobs = min(os.cpu_count() or 1, 4) if size >= PARALLEL_FROM_BYTES[method] else 1
    jobs = min(jobs, len(paths))
    if jobs <= 1:
        yield from map(build, paths)
        return
    if method == "fork":  # load once what every worker would otherwise load again
        load_reference(templates_dir() / "reference.docx")
        environment(templates_dir())
    context = multiprocessing.get_context(method)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                               initializer=_worker_setup, initargs=(os.getpid(),))
    try:  # the workers start here, at the first task
        results = pool.map(build, paths, chunksize=max(1, len(paths) // (jobs * 8)))
    except (OSError, RuntimeError):
        # The system refused a process or a thread (a limit on processes): stop the
        # workers that did start, or the interpreter would wait for them forever, and
        # build here.
        _stop_workers(pool, started=False)
        yield from map(build, paths)
        return
    try:
        yield from results
        pool.shutdown(wait=True)
    except BaseException:  # interrupted (Ctrl-C, even while the pool closes), or the batch
        # stopped reading: the pool's thread must be joined here, or it races with the
        # interpreter's exit (a traceback, Python 3.11: cpython gh-125451)
        _stop_workers(pool)  # they only build: nothing they hold needs to be kept
        raise


def _stop_workers(pool: ProcessPoolExecutor, started: bool = True) -> None:
    """Stop the workers now; then, if the pool had started, let its own thread finish
    (it would otherwise write to a closed pipe as the interpreter exits)."""
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in multiprocessing.active_children():
        worker.kill()  # (SIGKILL: a worker that is still starting cannot delay it)
        worker.join()
    if started:
        pool.shutdown(wait=True)


def _worker_setup(batch: int) -> None:
    """In a worker: Ctrl-C stops the batch, which stops the workers (each would print its
    own interruption otherwise); on Linux, a worker ends with the batch (process `batch`)
    even if the batch is killed (SIGKILL), instead of waiting forever for work."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != batch:  # the batch died before the line above: nobody will
            os._exit(1)  # send the signal


def _check_jobs(jobs: int) -> None:
    if not 0 <= jobs <= MAX_JOBS:
        raise UsageError(f"--jobs attend un nombre de processus entre 0 (automatique) et {MAX_JOBS}")


# --- the plan --------------------------------------------------------------------------

# What generating would do to a document (the plan), then what it did.
NEW, STALE, CURRENT, EDITED, EXTRA, FAILED = (
    "absent", "périmé", "à jour", "modifié à la main", "en trop", "en erreur")
WRITTEN, UNCHANGED, PRUNED = "écrit", "inchangé", "supprimé"


@dataclass
class Outcome:
    """One document: its status in the plan, or what generating did."""

    slug: str
    target: Path
    status: str
    source: Path | None = None  # the territory file (None for a document in excess)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    backup: Path | None = None  # where a hand-edited document was kept (--force)
    broken: bool = False  # (EDITED) no longer a Word document at all: truncated, replaced

    @property
    def planned(self) -> str:
        """What generating would do, as `--check` says it."""
        return {
            NEW: "absent : serait écrit",
            STALE: "périmé : serait réécrit",
            EDITED: (NOT_WORD if self.broken else "modifié à la main depuis que qp l'a écrit")
                    + " : ne serait remplacé qu'avec --force",
            EXTRA: "en trop : aucun territoire ne le produit",
            FAILED: "territoire en erreur",
        }[self.status]

    @property
    def refusal(self) -> str:
        """Why generating left this document as it was."""
        if self.status == EDITED:
            what = (f"{NOT_WORD} (tronqué, ou remplacé par un autre fichier)" if self.broken
                    else "a été modifié depuis que qp l'a écrit (ouvert et enregistré dans "
                         "Word ?)")
            kept = "le fichier" if self.broken else "le document modifié"
            return (f"{self.target} {what} : il n'est pas remplacé. Pour le remplacer : « qp "
                    f"generate {self.slug} --force » ({kept} sera gardé sous "
                    f"{self.target.with_name(self.target.stem + HAND_EDITED + '.docx')}).")
        return f"{self.slug} : rien n'a été écrit"

    @property
    def advice(self) -> str:
        """The command that resolves this document's status."""
        return {
            NEW: f"qp generate {self.slug}",
            STALE: f"qp generate {self.slug}",
            EDITED: (f"qp generate {self.slug} --force (le document modifié sera gardé à "
                     "côté)"),
            EXTRA: "qp generate --all --prune",
            FAILED: f"qp validate {pasteable(self.source)}" if not self.signed_text else
                    f"{self.slug} : acte signé, voir l'erreur ci-dessus",
        }.get(self.status, "")

    @property
    def signed_text(self) -> bool:
        """Refused because it would change a signed act (acts.check), though the file
        itself is valid."""
        return bool(self.errors) and all(acts.is_signed_act_problem(p) for p in self.errors)


NOT_WORD = "n'est plus un document Word"


def _on_disk(target: Path) -> bytes | None:
    try:
        return read_regular(target, MAX_WORD_FILE)
    except FileNotFoundError:
        return None
    except NotReadable as exc:
        # (its Problem names the file)
        raise QPError(f"{exc} ; il n'est pas remplacé : déplacez-le") from None
    except OSError as exc:
        raise QPError(f"lecture impossible de {target} : {describe_os_error(exc)}") from None


@dataclass
class Step:
    """One document of the plan: its outcome, what is on disk, what would replace it."""

    outcome: Outcome
    current: bytes | None = None
    data: bytes | None = None


def _plan(built: Built, out: Path, manifest: Manifest | None) -> list[Step]:
    """What generating would do with each document of one territory (a territory in
    error needs no manifest)."""
    slug = built.path.stem
    if built.documents is None:
        return [Step(Outcome(slug, out / f"{slug}.docx", FAILED, built.path, built.warnings,
                             built.errors))]
    steps = []
    for number, document in enumerate(built.documents):
        target = out / document.name
        # the territory's warnings go with its first document
        outcome = Outcome(slug, target, FAILED, built.path, built.warnings if number == 0 else [])
        try:
            current = _on_disk(target)
        except QPError as exc:
            outcome.errors = [Problem(target, None, None, "", str(exc))]
            steps.append(Step(outcome))
            continue
        if current is None:
            outcome.status = NEW
        elif current == document.data:
            outcome.status = CURRENT
        elif manifest.written_by_us(target.name, current):
            outcome.status = STALE
        else:
            outcome.status = EDITED
            outcome.broken = not zipfile.is_zipfile(BytesIO(current))
        steps.append(Step(outcome, current, document.data))
    return steps


def _extra(out: Path, built_all: list[Built], manifest: Manifest,
           roadmap: bool) -> list[tuple[Outcome, bool]]:
    """The documents of out/ that no territory produces, and whether qp wrote them as
    they are (see documents.territory_of). A territory in error keeps all its documents
    (its avenants too): they are not in excess."""
    produced = {d.name for built in built_all for d in built.documents or []}
    in_error = {built.path.stem for built in built_all if built.documents is None}
    found = []
    for document in sorted(out.glob("*.docx")):
        slug = documents.territory_of(document.name, roadmap)
        if document.name not in produced and slug is not None and slug not in in_error:
            try:
                ours = manifest.written_by_us(document.name, _on_disk(document) or b"")
            except QPError:  # (a folder, a pipe named .docx: not qp's, kept)
                ours = False
            found.append((Outcome(document.stem, document, EXTRA), ours))
    return found


def check(paths: list[Path], out: Path, *, complete: bool, jobs: int = 0, roadmap: bool = False,
          on_outcome: Callable[[Outcome], None] = lambda o: None) -> list[Outcome]:
    """The plan, writing nothing: each document that generating would change (absent,
    stale, hand-edited), each territory in error, and, for the whole set (`complete`),
    each document of out/ that no territory produces. Documents up to date are left out."""
    paths = distinct(paths)
    _check_jobs(jobs)
    if out.exists() and not out.is_dir():
        raise QPError(f"{out} n'est pas un dossier (c'est un fichier) : indiquez un dossier "
                      "avec --out")
    manifest = Manifest(out)
    outcomes, built_all = [], []
    for built in _build_all(paths, jobs, out, roadmap):
        built_all.append(built)
        for step in _plan(built, out, manifest):
            if step.outcome.status != CURRENT:
                outcomes.append(step.outcome)
                on_outcome(step.outcome)
    if complete and out.is_dir():
        for outcome, _ in _extra(out, built_all, manifest, roadmap):
            outcomes.append(outcome)
            on_outcome(outcome)
    return outcomes


# --- generating --------------------------------------------------------------------------

@dataclass
class Batch:
    outcomes: list[Outcome]
    pdfs: list[Path] = field(default_factory=list)
    pdf_error: str | None = None  # the documents are written even when their PDFs are not


def generate(paths: list[Path], out: Path, *, jobs: int = 0, force: bool = False,
             prune: bool = False, pdf: bool = False, roadmap: bool = False, wait: float = 60,
             on_outcome: Callable[[Outcome], None] = lambda o: None,
             on_wait: Callable[[], None] = lambda: None) -> Batch:
    """Apply the plan: write each territory's documents (and their PDF with `pdf`); a
    territory in error writes nothing and does not stop the others; a document up to
    date is not rewritten; a hand-edited one is kept, or with `force` moved aside; with
    `prune` (the whole set), the documents no territory produces are removed.

    Documents are built in groups; each group is planned and written holding out/'s lock,
    with the manifest read again under it: runs on the same folder wait for each other,
    and each keeps what the other wrote. A run whose territories all fail touches nothing."""
    paths = distinct(paths)
    _check_jobs(jobs)
    outcomes: list[Outcome] = []
    built_all: list[Built] = []
    cleaned = False
    waited: list[bool] = []

    def on_wait_once() -> None:  # (the lock is taken once per group of documents)
        if not waited:
            waited.append(True)
            on_wait()

    building = _build_all(paths, jobs, out, roadmap)
    while group := list(islice(building, GROUP)):
        built_all += group
        if all(built.documents is None for built in group):
            done = [step.outcome for built in group for step in _plan(built, out, None)]
        else:
            prepare_folder(out)
            with locked(out, wait, on_wait_once):
                if not cleaned:  # what killed runs left, now that none is running
                    remove_leftovers(out)
                    remove_leftovers(out / acts.ARCHIVE)  # (qp sign's, same lock)
                    pdf_copies.remove_abandoned_work(out)
                    cleaned = True
                try:
                    done = _write_group(group, out, force)
                except Unsettled as unsettled:
                    for outcome in unsettled.done:
                        on_outcome(outcome)
                    raise
        for outcome in done:
            on_outcome(outcome)
        outcomes.extend(done)
    if prune and out.is_dir():
        with locked(out, wait, on_wait_once):
            done = _prune(out, built_all, roadmap)
        for outcome in done:
            on_outcome(outcome)
        outcomes.extend(done)
    batch = Batch(outcomes)
    if pdf and documents_in_place(outcomes):
        with locked(out, wait, on_wait_once):
            try:
                batch.pdfs = pdf_copies.convert(
                    documents_in_place(outcomes), out,
                    {d.name: list(d.signatories) for b in built_all for d in b.documents or []})
            except QPError as exc:
                batch.pdf_error = str(exc)
    return batch


def _write_group(group: list[Built], out: Path, force: bool) -> list[Outcome]:
    """Plan and write a group of built documents (out/'s lock held), in the group's order."""
    manifest = Manifest(out)
    planned = [step for built in group for step in _plan(built, out, manifest)]
    writing = []
    for step in planned:
        outcome = step.outcome
        if outcome.status == CURRENT:
            outcome.status = UNCHANGED
            manifest.settle(outcome.target.name, step.data)
        elif outcome.status in (NEW, STALE) or (outcome.status == EDITED and force):
            # a hand-edited file is kept aside: only the new content will be ours
            manifest.expect(outcome.target.name,
                            None if outcome.status == EDITED else step.current, step.data)
            writing.append(step)
    if writing:
        try:  # first accept both contents: a kill now leaves either
            manifest.save()
        except QPError as exc:
            raise QPError(f"{exc} : les documents de ce groupe n'ont pas été écrits") from None
    for step in writing:
        outcome, current = step.outcome, step.current
        try:
            if outcome.status == EDITED:
                outcome.backup = keep_aside(outcome.target)
                current = None
            # a document saved in Word since it was read is never replaced
            write_atomic(outcome.target, step.data, unless_changed_from=current or b"")
        except ChangedMeanwhile as exc:
            outcome.status, outcome.errors = EDITED, [Problem(outcome.target, None, None, "", str(exc))]
            continue
        except QPError as exc:  # Word holds the file
            outcome.status, outcome.errors = FAILED, [Problem(outcome.target, None, None, "", str(exc))]
            continue
        except OSError as exc:  # disk full, permissions…
            outcome.status, outcome.errors = FAILED, [Problem(
                outcome.target, None, None, "", f"écriture impossible ({describe_os_error(exc)})")]
            continue
        outcome.status = WRITTEN
        manifest.settle(outcome.target.name, step.data)
    done = [step.outcome for step in planned]
    try:
        manifest.save()
    except QPError as exc:  # the documents are written, and the saved manifest accepts them
        raise Unsettled(done, f"{exc} : les documents de ce groupe sont écrits, et reconnus "
                              "comme ceux de qp ; relancez qp generate une fois de la place "
                              "faite") from None
    return done


class Unsettled(QPError):
    """A group was written but the manifest could not be saved afterwards."""

    def __init__(self, done: list[Outcome], message: str):
        super().__init__(message)
        self.done = done


def _prune(out: Path, built_all: list[Built], roadmap: bool) -> list[Outcome]:
    """Remove the documents no territory produces, when qp wrote them as they are; a
    hand-edited one is kept and reported."""
    manifest = Manifest(out)
    outcomes = []
    for outcome, ours in _extra(out, built_all, manifest, roadmap):
        if ours:  # a hand-edited one stays, reported as in excess
            try:
                outcome.target.unlink()
            except OSError as exc:
                raise QPError(f"suppression impossible de {outcome.target} : "
                              f"{describe_os_error(exc)}") from None
            manifest.forget(outcome.target.name)
            outcome.status = PRUNED
        outcomes.append(outcome)
    manifest.save()
    return outcomes


def documents_in_place(outcomes: Iterable[Outcome]) -> list[Path]:
    """The documents a batch has in place (written or unchanged)."""
    return [o.target for o in outcomes if o.status in (WRITTEN, UNCHANGED)]


