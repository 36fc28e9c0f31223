"""Start-up: each command imports only what it uses (issue 20). The commands a person types
many times an hour (`qp --version`, `--help`, `validate`, `list`, `generate`) must not pay
for the writer, the report, the spreadsheet reader or the PDF code they do not use.

Each command runs in a fresh interpreter, as the console script runs it, and the test reads
that interpreter's `sys.modules` afterwards: a heavy import added at the top of a module
that a light command loads makes these tests fail, naming the module."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, checkout_env

# Runs `qp ARGS…` like the console script, then writes the names of every module loaded
# into the file given as first argument.
RUN = """
import json, sys
modules_file = sys.argv[1]
sys.argv = ["qp", *sys.argv[2:]]
from qp_conventions.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
with open(modules_file, "w", encoding="utf-8") as file:
    json.dump({"code": code, "modules": sorted(sys.modules)}, file)
"""

WRITER = ["qp_conventions.batch", "qp_conventions.documents", "qp_conventions.render",
          "qp_conventions.docx", "qp_conventions.output", "jinja2", "markdown_it", "lxml"]
REPORT = ["qp_conventions.report"]
IMPORT = ["qp_conventions.importing", "qp_conventions.spreadsheet", "openpyxl"]
# (qp_conventions.pdf itself is light: `generate` uses it to clean LibreOffice's leftovers)
PDF_LIBRARIES = ["qp_conventions.pdf_signatures", "pikepdf", "pyhanko", "pdfminer"]
PDF = ["qp_conventions.pdf", *PDF_LIBRARIES]
# What `qp --version` and `qp --help` may load of qp itself: the command line, nothing more
COMMAND_LINE = {"qp_conventions", "qp_conventions.cli", "qp_conventions.cli_french",
                "qp_conventions.errors", "qp_conventions.screen"}


def loaded(tmp_path, *args: str) -> tuple[int, list[str]]:
    """The exit code of `qp ARGS…` run in a new interpreter, and the modules it loaded."""
    modules_file = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", RUN, str(modules_file), *args], cwd=tmp_path,
                   env=checkout_env(XDG_CACHE_HOME=str(tmp_path / "cache")), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    result = json.loads(modules_file.read_text(encoding="utf-8"))
    return result["code"], result["modules"]


def imported(modules: list[str], packages: list[str]) -> list[str]:
    """Which of `packages` (or of their submodules) were loaded."""
    return [name for name in modules
            if any(name == package or name.startswith(package + ".") for package in packages)]


@pytest.fixture
def territories(tmp_path):
    shutil.copytree(ROOT / "territories", tmp_path / "territories")
    return tmp_path / "territories"


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["generate", "--help"], []])
def test_version_and_help_load_only_the_command_line(tmp_path, args):
    code, modules = loaded(tmp_path, *args)
    assert code == 0
    assert imported(modules, ["pydantic", "rich"]) == []
    assert {name for name in modules if name.startswith("qp_conventions")} <= COMMAND_LINE


@pytest.mark.parametrize("command", ["validate", "list"])
def test_validate_and_list_load_no_writer_report_spreadsheet_or_pdf(tmp_path, territories,
                                                                    command):
    code, modules = loaded(tmp_path, command)
    assert code == 0
    assert imported(modules, WRITER + REPORT + IMPORT + PDF + ["rich"]) == []


def test_generate_loads_no_report_spreadsheet_or_pdf(tmp_path, territories):
    code, modules = loaded(tmp_path, "generate", "toulouse")
    assert code == 0
    assert (tmp_path / "out" / "toulouse.docx").is_file()
    assert imported(modules, REPORT + IMPORT + PDF_LIBRARIES + ["rich"]) == []


def test_a_usage_error_loads_only_the_command_line(tmp_path):
    code, modules = loaded(tmp_path, "generate")  # neither territories nor --all
    assert code == 2
    assert {name for name in modules if name.startswith("qp_conventions")} <= COMMAND_LINE


def loaded_on_a_terminal(tmp_path, *args: str) -> tuple[int, list[str], str]:
    """`loaded`, its output a terminal (a pseudo-terminal): also what it printed."""
    import os
    import threading

    master, terminal = os.openpty()
    printed = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # (the terminal closed: Linux says EIO)
                return
            if not chunk:
                return
            printed.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    modules_file = tmp_path / "modules.json"
    try:
        subprocess.run([sys.executable, "-c", RUN, str(modules_file), *args], cwd=tmp_path,
                       env=checkout_env(XDG_CACHE_HOME=str(tmp_path / "cache"), TERM="xterm"),
                       check=True, stdout=terminal, stderr=terminal, timeout=120)
    finally:
        os.close(terminal)
        reader.join(timeout=10)
        os.close(master)
    result = json.loads(modules_file.read_text(encoding="utf-8"))
    return result["code"], result["modules"], printed.decode("utf-8", "replace")


terminal_only = pytest.mark.skipif(not hasattr(__import__("os"), "openpty"),
                                   reason="no pseudo-terminal on this system")


@terminal_only
@pytest.mark.parametrize("args", [["--version"], []])
def test_a_plain_message_on_a_terminal_loads_no_rich(tmp_path, args):
    code, modules, printed = loaded_on_a_terminal(tmp_path, *args)
    assert code == 0
    assert "qp-conventions" in printed or "Utilisation : qp" in printed
    assert imported(modules, ["rich", "pydantic"]) == []


@terminal_only
def test_a_coloured_message_on_a_terminal_is_coloured(tmp_path, territories):
    code, modules, printed = loaded_on_a_terminal(tmp_path, "validate")
    assert code == 0
    assert "\x1b[" in printed and "valide" in printed  # « valide » in green
    assert imported(modules, ["rich"]) != []
