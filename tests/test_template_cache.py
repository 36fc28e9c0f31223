"""The national model's compiled templates, kept in the user's cache folder (render.py):
a changed template is never printed from its old compiled code, and a cache folder that
cannot be used never stops a run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from conftest import ROOT
from docx_text import paragraphs


def generate(code, cache, out):
    """`qp generate toulouse` with the package in `code` and its cache under `cache`."""
    env = {**os.environ, "PYTHONPATH": str(code), "XDG_CACHE_HOME": str(cache),
           "LOCALAPPDATA": str(cache)}
    result = subprocess.run(
        [sys.executable, "-m", "qp_conventions", "generate", "toulouse",
         "-t", str(ROOT / "territories"), "-o", str(out)],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return paragraphs(out / "toulouse.docx")


def copy_of_the_package(tmp_path):
    code = tmp_path / "code"
    shutil.copytree(ROOT / "qp_conventions", code / "qp_conventions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "templates", code / "templates")
    return code


def test_a_changed_template_is_compiled_again(tmp_path):
    code = copy_of_the_package(tmp_path)
    cache = tmp_path / "cache"
    before = generate(code, cache, tmp_path / "out1")
    assert "Il est convenu ce qui suit." in before
    assert list((cache / "qp-conventions" / "templates").glob("*.cache"))  # it was kept
    template = code / "templates" / "convention.md.j2"
    template.write_text(template.read_text(encoding="utf-8").replace(
        "Il est convenu ce qui suit.", "Il est convenu, après relecture, ce qui suit."),
        encoding="utf-8")
    after = generate(code, cache, tmp_path / "out2")
    assert "Il est convenu, après relecture, ce qui suit." in after
    assert "Il est convenu ce qui suit." not in after


def test_the_same_document_from_the_cache(tmp_path):
    code = copy_of_the_package(tmp_path)
    cache = tmp_path / "cache"
    first = generate(code, cache, tmp_path / "out1")  # compiles, keeps
    second = generate(code, cache, tmp_path / "out2")  # from the cache
    assert second == first
    assert ((tmp_path / "out1" / "toulouse.docx").read_bytes()
            == (tmp_path / "out2" / "toulouse.docx").read_bytes())


def test_a_damaged_cache_is_compiled_again(tmp_path):
    code = copy_of_the_package(tmp_path)
    cache = tmp_path / "cache"
    first = generate(code, cache, tmp_path / "out1")
    kept = list((cache / "qp-conventions" / "templates").glob("*.cache"))
    for file in kept:  # cut short, as by a full disk, or overwritten
        file.write_bytes(file.read_bytes()[:40] if file == kept[0] else b"\0garbage")
    assert generate(code, cache, tmp_path / "out2") == first


def test_a_cache_folder_that_cannot_be_made_never_fails_a_run(tmp_path):
    code = copy_of_the_package(tmp_path)
    blocked = tmp_path / "a-file"  # (a file where the folder would be: refused even to root)
    blocked.write_text("not a folder", encoding="utf-8")
    expected = generate(code, tmp_path / "cache", tmp_path / "out1")
    assert generate(code, blocked, tmp_path / "out2") == expected
    assert blocked.read_text(encoding="utf-8") == "not a folder"


def test_runs_at_once_share_the_cache(tmp_path):
    """Four runs started together on an empty cache: each compiles and keeps the templates
    while the others read them; every one writes the same document."""
    code = copy_of_the_package(tmp_path)
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(code), "XDG_CACHE_HOME": str(cache),
           "LOCALAPPDATA": str(cache)}
    runs = [subprocess.Popen(
        [sys.executable, "-m", "qp_conventions", "generate", "toulouse",
         "-t", str(ROOT / "territories"), "-o", str(tmp_path / f"out{i}")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for i in range(4)]
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read()
        run.stderr.close()
    documents = {(tmp_path / f"out{i}" / "toulouse.docx").read_bytes() for i in range(4)}
    assert len(documents) == 1
    assert not list((cache / "qp-conventions" / "templates").glob("*.tmp"))  # none left
    assert (generate(code, cache, tmp_path / "out")  # (and the cache they left is sound)
            == paragraphs(tmp_path / "out0" / "toulouse.docx"))
