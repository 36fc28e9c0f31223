"""Batch regeneration as CI runs it: reproducible bytes, --check, atomic writes,
failures that do not stop the batch."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, checkout_env


def copy_territories(tmp_path: Path) -> Path:
    folder = tmp_path / "territories"
    shutil.copytree(ROOT / "territories", folder)
    return folder


def test_two_runs_give_identical_bytes_even_with_the_clock_moved(qp, tmp_path, monkeypatch):
    assert qp("generate", "--all", "-t", ROOT / "territories", "-o", tmp_path / "a").code == 0
    later = time.time() + 20 * 365 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda t=None: time.gmtime(later))
    assert qp("generate", "--all", "-t", ROOT / "territories", "-o", tmp_path / "b").code == 0
    names = sorted(p.name for p in (tmp_path / "a").glob("*.docx"))
    assert len(names) == 14
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_identical_bytes_across_processes_and_time_zones(tmp_path):
    for zone in ("UTC", "Pacific/Kiritimati"):
        subprocess.run([sys.executable, "-m", "qp_conventions", "generate", "toulouse",
                        "-t", str(ROOT / "territories"), "-o", str(tmp_path / zone.replace("/", "-"))],
                       check=True, capture_output=True, env=checkout_env(TZ=zone))
    assert ((tmp_path / "UTC" / "toulouse.docx").read_bytes()
            == (tmp_path / "Pacific-Kiritimati" / "toulouse.docx").read_bytes())


def test_second_run_reports_unchanged_and_keeps_files(qp, tmp_path):
    territories = copy_territories(tmp_path)
    assert qp("generate", "--all", "-t", territories, "-o", "out").code == 0
    before = {p.name: p.stat().st_mtime_ns for p in Path("out").iterdir()}
    assert ".qp-manifest.json" in before
    result = qp("generate", "--all", "-t", territories, "-o", "out")
    assert result.code == 0
    assert "14 document(s) : 0 écrit(s), 14 inchangé(s), 0 en échec" in result.out
    assert {p.name: p.stat().st_mtime_ns for p in Path("out").iterdir()} == before


def test_check_is_clean_on_a_fresh_out(qp, tmp_path):
    territories = copy_territories(tmp_path)
    assert qp("generate", "--all", "-t", territories, "-o", "out").code == 0
    result = qp("generate", "--all", "--check", "-t", territories, "-o", "out")
    assert result.code == 0
    assert "out est à jour (14 document(s))" in result.out


def test_check_names_missing_stale_and_extra_and_writes_nothing(qp, tmp_path):
    territories = copy_territories(tmp_path)
    assert qp("generate", "--all", "-t", territories, "-o", "out").code == 0
    source = territories / "toulouse.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace("exemplaires: 2", "exemplaires: 3"),
                      encoding="utf-8")
    Path("out/laval.docx").unlink()
    Path("out/ancien.docx").write_bytes(b"x")
    snapshot = {p.name: p.read_bytes() for p in Path("out").iterdir()}
    result = qp("generate", "--all", "--check", "-t", territories, "-o", "out")
    assert result.code == 1
    assert "out/toulouse.docx : périmé : serait réécrit" in result.out
    assert "out/laval.docx : absent : serait écrit" in result.out
    assert "out/ancien.docx : en trop : aucun territoire ne le produit" in result.out
    assert "3 document(s) à mettre à jour (14 territoire(s) vérifié(s)) :" in result.out
    # each with the command that resolves it
    assert "  qp generate toulouse" in result.out and "  qp generate laval" in result.out
    assert "  qp generate --all --prune" in result.out
    assert {p.name: p.read_bytes() for p in Path("out").iterdir()} == snapshot


def test_one_failing_territory_does_not_stop_the_others(qp, tmp_path):
    territories = copy_territories(tmp_path)
    broken = territories / "arras.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("chef_de_file: à compléter",
                                                                 "chef_de_file: anrru"),
                      encoding="utf-8")
    result = qp("generate", "--all", "-t", territories, "-o", "out")
    assert result.code == 1
    assert "14 document(s) : 13 écrit(s), 0 inchangé(s), 1 en échec" in result.out
    assert "arras.yaml" in result.err and "vouliez-vous dire « anru » ?" in result.err
    assert "arras : rien n'a été écrit" in result.err
    assert not Path("out/arras.docx").exists() and Path("out/roubaix.docx").exists()
    # the list of documents names arras in its place; its errors come together, on stderr
    assert "en erreur : out/arras.docx" in result.out.splitlines()[1]
    assert result.err.splitlines()[-1] == "arras : rien n'a été écrit"


def test_parallel_batch_gives_the_same_files(qp, tmp_path):
    territories = copy_territories(tmp_path)
    assert qp("generate", "--all", "-t", territories, "-o", "one", "--jobs", "1").code == 0
    assert qp("generate", "--all", "-t", territories, "-o", "two", "--jobs", "2").code == 0
    for document in Path("one").glob("*.docx"):
        assert document.read_bytes() == (Path("two") / document.name).read_bytes()


def many_territories(tmp_path: Path, count: int = 150) -> tuple[Path, str]:
    """A folder of copies of the fictional territory: a batch long enough to interrupt."""
    territories = tmp_path / "territories"
    territories.mkdir()
    source = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")
    for i in range(count):
        (territories / f"t{i:03}.yaml").write_text(source, encoding="utf-8")
    return territories, source


def test_killed_batch_leaves_old_or_new_files_only(tmp_path):
    territories, source = many_territories(tmp_path)
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "qp_conventions", "generate", "--all",
                    "-t", str(territories), "-o", str(out)], check=True, capture_output=True, env=checkout_env())
    old = (out / "t000.docx").read_bytes()
    for i in range(150):  # the data change: every document is to be rewritten
        (territories / f"t{i:03}.yaml").write_text(
            source.replace("exemplaires: 3", "exemplaires: 4"), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "qp_conventions", "generate", "--all", "--jobs", "1",
         "-t", str(territories), "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=checkout_env())
    deadline = time.time() + 60
    while time.time() < deadline and all(p.read_bytes() == old for p in out.glob("t*.docx")):
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    subprocess.run([sys.executable, "-m", "qp_conventions", "generate", "t000",
                    "-t", str(territories), "-o", str(tmp_path / "ref")], check=True,
                   capture_output=True, env=checkout_env())
    new = (tmp_path / "ref" / "t000.docx").read_bytes()
    contents = [p.read_bytes() for p in sorted(out.glob("t*.docx"))]
    assert len(contents) == 150
    assert new != old
    assert all(c in (old, new) for c in contents)
    assert 0 < contents.count(new) < 150, "the batch was not interrupted half-way"
    with zipfile.ZipFile(out / "t000.docx") as archive:
        assert archive.testzip() is None
    # A later run clears the temporary files the killed one left behind, and takes every
    # document, old or new, as its own (none is mistaken for a hand-edited one).
    result = subprocess.run([sys.executable, "-m", "qp_conventions", "generate", "--all",
                             "-t", str(territories), "-o", str(out)], capture_output=True,
                            text=True, encoding="utf-8", env=checkout_env())
    assert result.returncode == 0, result.stderr
    assert not list(out.glob(".*.tmp"))
    assert all(p.read_bytes() == new for p in out.glob("t*.docx"))


def test_without_libreoffice_the_docx_are_still_written(tmp_path):
    env = checkout_env(PATH=str(tmp_path / "empty"))  # no soffice on the PATH
    env.pop("QP_SOFFICE", None)
    result = subprocess.run(
        [sys.executable, "-m", "qp_conventions", "generate", "toulouse", "--pdf",
         "-t", str(ROOT / "territories"), "-o", str(tmp_path)],
        capture_output=True, text=True, encoding="utf-8", env=env)
    assert result.returncode == 1
    assert "LibreOffice est introuvable : les documents Word ont été écrits" in result.stderr
    assert "apt-get install libreoffice-writer" in result.stderr
    assert "1 document(s) : 1 écrit(s)" in result.stdout
    assert (tmp_path / "toulouse.docx").is_file() and not (tmp_path / "toulouse.pdf").exists()


@pytest.mark.parametrize("soffice, why", [("absent", "qui n'existe pas"),
                                           ("not-executable", "qui n'est pas exécutable")])
def test_a_wrong_qp_soffice_is_named(qp, tmp_path, monkeypatch, soffice, why):
    (tmp_path / "not-executable").write_text("#!/bin/sh\n")
    monkeypatch.setenv("QP_SOFFICE", str(tmp_path / soffice))
    result = qp("generate", "toulouse", "--pdf", "-t", ROOT / "territories", "-o", tmp_path / "out")
    assert result.code == 1
    assert (f"erreur : QP_SOFFICE désigne {tmp_path / soffice}, {why} : les documents Word ont "
            "été écrits, mais pas les PDF") in result.err
    assert (tmp_path / "out" / "toulouse.docx").is_file()


def test_the_repository_out_folder_is_up_to_date(qp):
    """out/ is committed so that reviewers see each document change; it must match."""
    result = qp("generate", "--all", "--check", "-t", ROOT / "territories", "-o", ROOT / "out")
    assert result.code == 0, result.out + result.err


def test_a_document_that_cannot_be_replaced_fails_alone(qp, tmp_path, monkeypatch):
    """As when Word holds the file open on Windows: that document fails, the others are
    written, and the message says what to do."""
    import qp_conventions.output as output

    real_replace = os.replace

    def replace(source, target):
        if str(target).endswith("laval.docx"):
            raise PermissionError(13, "Permission denied")
        return real_replace(source, target)

    monkeypatch.setattr(output.os, "replace", replace)
    result = qp("generate", "--all", "-t", ROOT / "territories", "-o", tmp_path / "out")
    assert result.code == 1
    assert (f"{tmp_path / 'out' / 'laval.docx'}: erreur : impossible de remplacer "
            f"{tmp_path / 'out' / 'laval.docx'} : le fichier est sans doute ouvert dans Word "
            "(ou en lecture seule). Fermez-le puis relancez la commande.") in result.err
    assert "14 document(s) : 13 écrit(s), 0 inchangé(s), 1 en échec" in result.out
    assert not (tmp_path / "out" / "laval.docx").exists()
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_ctrl_c_stops_the_batch_cleanly(tmp_path):
    territories, _ = many_territories(tmp_path)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "qp_conventions", "generate", "--all", "-t", str(territories),
         "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        encoding="utf-8", start_new_session=True, env=checkout_env())
    deadline = time.time() + 60
    while time.time() < deadline and not list(out.glob("t*.docx")):
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrompu : les documents déjà écrits sont complets" in err
    assert "Traceback" not in err
    for document in out.glob("t*.docx"):
        with zipfile.ZipFile(document) as archive:
            assert archive.testzip() is None


def test_on_a_terminal_a_progress_bar_then_the_summary(tmp_path):
    import pty

    territories = copy_territories(tmp_path)
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "qp_conventions", "generate", "--all", "-t", str(territories),
         "-o", str(tmp_path / "out")], stdin=slave, stdout=slave, stderr=slave,
        env=checkout_env(COLUMNS="100", TERM="xterm"))
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(master)
    text = output.decode("utf-8", "replace")
    assert process.returncode == 0
    assert "Génération" in text and "━" in text  # rich's progress bar
    assert "14 document(s) : 14 écrit(s), 0 inchangé(s), 0 en échec" in text
