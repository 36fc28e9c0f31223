"""Run `qp` with a fault injected at an exact point, for the tests only:

    python inject.py kill-after-manifest-save N ARGS…   the process dies (as under kill -9)
                                                       right after the N-th manifest save
    python inject.py refuse-processes-after N ARGS…     the system refuses every process
                                                       after the N-th (a process limit)
    python inject.py refuse-threads 0 ARGS…             the system refuses the process
                                                       pool its thread (a process limit)
    python inject.py kill-after-writes N ARGS…          the process dies right after its
                                                       N-th file written (qp sign)
    python inject.py pause-before-replace NAME ARGS…    the process says « paused » on
                                                       stderr and waits, its file NAME
                                                       written beside it but not yet put in
                                                       place: the moment a kill -9 leaves
                                                       a temporary file behind
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's code

from qp_conventions import output  # noqa: E402
from qp_conventions.cli import main  # noqa: E402


def kill_after_manifest_save(count: int) -> None:
    real_save = output.Manifest.save
    saves = 0

    def read(path):
        return path.read_bytes() if path.exists() else None

    def save(self):
        nonlocal saves
        before = read(self.path)
        real_save(self)
        if read(self.path) != before:  # the file was really written
            saves += 1
            if saves == count:
                os._exit(137)  # no cleanup, no lock release: as a kill -9 or a power cut

    output.Manifest.save = save


def refuse_processes_after(count: int) -> None:
    real_fork = os.fork
    forks = 0

    def fork():
        nonlocal forks
        forks += 1
        if forks > count:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real_fork()

    os.fork = fork


def refuse_threads(_: int) -> None:
    """The system refuses the process pool its own thread (a limit on processes)."""
    import threading

    real_start = threading.Thread.start

    def start(self):
        if type(self).__name__ == "_ExecutorManagerThread":
            raise RuntimeError("can't start new thread")
        return real_start(self)

    threading.Thread.start = start


def kill_after_writes(count: int) -> None:
    from qp_conventions import signing

    real_write = output.write_atomic
    writes = 0

    def write(*args, **kwargs):
        nonlocal writes
        real_write(*args, **kwargs)
        writes += 1
        if writes == count:
            os._exit(137)

    output.write_atomic = signing.write_atomic = write


def pause_before_replace(name: str) -> None:
    import time

    real_replace = output._replace

    def replace(temporary, path):
        if path.name == name:
            sys.stderr.write("paused\n")
            sys.stderr.flush()
            time.sleep(600)
        real_replace(temporary, path)

    output._replace = replace


if __name__ == "__main__":
    fault, count, *args = sys.argv[1:]
    {"kill-after-manifest-save": kill_after_manifest_save,
     "refuse-processes-after": refuse_processes_after,
     "refuse-threads": refuse_threads,
     "kill-after-writes": kill_after_writes,
     "pause-before-replace": pause_before_replace}[fault](
        count if fault == "pause-before-replace" else int(count))
    sys.argv = ["qp", *args]
    main()
