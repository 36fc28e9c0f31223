from __future__ import annotations

import os
import shutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def checkout_env(**extra: str) -> dict[str, str]:
    """The environment for `python -m qp_conventions` in a subprocess: this checkout's code,
    whatever copy of the package is installed."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def qp(capsys, monkeypatch):
    """Run `qp ARGS…` in-process, exactly as the console script does."""
    from qp_conventions.cli import main

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["qp", *map(str, args)])
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        return Result(exit_info.value.code, captured.out, captured.err)

    return run


@pytest.fixture
def tree(tmp_path):
    """Write files from dedented text: tree({"territories/x.yaml": "..."}) -> tmp_path."""

    def build(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return build


@pytest.fixture
def fictional(tmp_path) -> Path:
    """A territories folder holding the complete fictional territory."""
    folder = tmp_path / "territories"
    folder.mkdir()
    shutil.copy(FIXTURES / "val-fictif.yaml", folder / "val-fictif.yaml")
    return folder


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory):
    """qp's cache (the compiled templates, render.py) in a folder of the test session's,
    never the user's: for the in-process runs and the subprocesses alike."""
    names = ("XDG_CACHE_HOME", "LOCALAPPDATA")
    saved = {name: os.environ.get(name) for name in names}
    folder = str(tmp_path_factory.mktemp("cache"))
    os.environ.update(dict.fromkeys(names, folder))
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def _stay_in_tmp(tmp_path, monkeypatch):
    # Relative paths (the default territories/ and out/) resolve inside the test's folder,
    # so no test can write into the repository by accident.
    monkeypatch.chdir(tmp_path)
