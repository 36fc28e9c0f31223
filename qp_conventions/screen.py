"""What the command line prints: colours and a progress bar on a terminal (rich), plain
lines elsewhere (CI logs, pipes); a reader that goes away does not stop the work.

rich is imported only for a coloured message or a progress bar on a terminal: importing
it and setting up its console took 25 ms, a fifth of `qp --version` typed in a terminal
(108 -> 87 ms on a pseudo-terminal; benchmarks/bench.py measures without a terminal)."""

from __future__ import annotations

import functools
import os
import sys

from .errors import TO_COMPLETE, pasteable


@functools.lru_cache(maxsize=None)
def _console(stream):
    from rich.console import Console

    return Console(file=stream, highlight=False, soft_wrap=True)


def say(*parts, err: bool = False) -> None:
    """Print one message made of plain strings and (text, style) pairs. Texts are never
    read as markup (a path or a value may hold « [ »)."""
    stream = sys.stderr if err else sys.stdout
    coloured = any(not isinstance(part, str) and part[1] != "default" for part in parts)
    try:
        if coloured and stream.isatty():
            from rich.text import Text

            _console(stream).print(Text.assemble(*parts))
        else:
            print("".join(p if isinstance(p, str) else p[0] for p in parts), file=stream,
                  flush=True)
    except BrokenPipeError:
        # The reader went away (`qp generate --all | head -1`): the work goes on, its
        # messages go nowhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


class Progress:
    """A batch's progress: a bar on a terminal, one line per document elsewhere."""

    def __init__(self, total: int):
        self.bar = None
        if sys.stdout.isatty() and total > 1:
            from rich.progress import (BarColumn, MofNCompleteColumn, TextColumn,
                                       TimeElapsedColumn)
            from rich.progress import Progress as Bar

            self.bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn(), console=_console(sys.stdout), transient=True)
            self.task = self.bar.add_task("Génération", total=total)

    def __enter__(self) -> "Progress":
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def report(self, outcome) -> None:
        colour = "default" if outcome.status in ("écrit", "inchangé", "supprimé") else "red"
        note = ""
        facts = [p for p in outcome.warnings if p.message.startswith(TO_COMPLETE)]
        if facts:
            note = (f" ({len(facts)} fait(s) à compléter, surlignés dans le "
                    f"document : qp validate {pasteable(outcome.source)})")
        line = (f"{outcome.status} : {outcome.target}", colour), (note, "yellow")
        if self.bar is None:
            say(*line)
        else:
            self.bar.advance(self.task)
            if outcome.status != "inchangé":
                from rich.text import Text

                self.bar.console.print(Text.assemble(*line))
        for other in outcome.warnings:  # not a fact of the file (a convention not archived)
            if not other.message.startswith(TO_COMPLETE):
                say((other.format(), "yellow"), err=True)
