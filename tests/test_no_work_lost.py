"""Nothing a person wrote is lost, and nothing qp wrote is mistaken for a person's work:
kills at any point, runs at the same time, a broken output folder or environment."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, checkout_env
from qp_conventions.core import territory_files

INJECT = Path(__file__).resolve().parent / "inject.py"
QP = [sys.executable, "-m", "qp_conventions"]


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*map(str, args)], capture_output=True, text=True, encoding="utf-8",
                          env=checkout_env(), **kwargs)


def fictional_copies(folder: Path, count: int, change: str = "") -> Path:
    """`count` copies of the fictional territory; `change` varies their data."""
    folder.mkdir(exist_ok=True)
    source = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")
    source = source.replace("  lieu: Val-Fictif", f"  lieu: Val-Fictif{change}")
    for i in range(count):  # each document different from the others
        (folder / f"t{i:03}.yaml").write_text(
            source.replace("    prenom: Camille", f"    prenom: Camille {i}"), encoding="utf-8")
    return folder


# 1. --force keeps every hand-edited version

def test_force_with_a_territory_named_twice_keeps_the_hand_edits(qp, tmp_path):
    out = tmp_path / "out"
    assert qp("generate", "toulouse", "-t", ROOT / "territories", "-o", out).code == 0
    (out / "toulouse.docx").write_bytes(b"EDIT")
    result = qp("generate", "toulouse", "toulouse", "--force", "-t", ROOT / "territories", "-o", out)
    assert result.code == 0, result.err
    backup = out / "toulouse.modifie-a-la-main.docx"
    assert backup.read_bytes() == b"EDIT"
    assert result.out.count("copie gardée sous") == 1
    assert "1 document(s) : 1 écrit(s)" in result.out
    assert (out / "toulouse.docx").read_bytes() != b"EDIT"


def test_an_earlier_copy_kept_aside_is_never_replaced(qp, tmp_path):
    out = tmp_path / "out"
    assert qp("generate", "toulouse", "-t", ROOT / "territories", "-o", out).code == 0
    (out / "toulouse.modifie-a-la-main.docx").write_bytes(b"FIRST EDIT")
    (out / "toulouse.docx").write_bytes(b"SECOND EDIT")
    result = qp("generate", "toulouse", "--force", "-t", ROOT / "territories", "-o", out)
    assert result.code == 0, result.err
    assert (out / "toulouse.modifie-a-la-main.docx").read_bytes() == b"FIRST EDIT"
    assert (out / "toulouse.modifie-a-la-main-2.docx").read_bytes() == b"SECOND EDIT"
    assert f"copie gardée sous {out / 'toulouse.modifie-a-la-main-2.docx'}" in result.out


# 2. Kills at any point never make qp's own documents look hand-edited

@pytest.mark.parametrize("kill_at", [1, 2, 3])
def test_two_killed_runs_in_a_row_leave_no_false_hand_edit(tmp_path, kill_at):
    """Killed (as by kill -9 or a power cut) right after a save of the manifest, twice in
    a row with different data each time: the next plain run takes every document as its
    own."""
    territories, out = tmp_path / "territories", tmp_path / "out"
    fictional_copies(territories, 40)
    assert run(*QP, "generate", "--all", "-t", territories, "-o", out).returncode == 0
    for change in (" bis", " ter"):
        fictional_copies(territories, 40, change)
        killed = run(sys.executable, INJECT, "kill-after-manifest-save", kill_at,
                     "generate", "--all", "--jobs", "1", "-t", territories, "-o", out)
        assert killed.returncode == 137, killed.stderr
    result = run(*QP, "generate", "--all", "-t", territories, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "modifié à la main" not in result.stdout + result.stderr
    assert "40 document(s)" in result.stdout


# 3. Two runs on one folder at once

def test_two_batches_at_once_on_one_folder(tmp_path):
    """Two batches with different data write the same out/ at the same time: both finish,
    neither fails on the other's temporary files, and afterwards no document is taken for
    a hand-edited one."""
    out = tmp_path / "out"
    one = fictional_copies(tmp_path / "one", 60, " un")
    two = fictional_copies(tmp_path / "two", 60, " deux")
    runs = [subprocess.Popen([*QP, "generate", "--all", "--jobs", "1", "-t", str(folder),
                              "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, encoding="utf-8", env=checkout_env())
            for folder in (one, two)]
    for process in runs:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        assert "écriture impossible" not in stderr
    for folder in (one, two):  # whichever wrote last, each run recognises every document
        result = run(*QP, "generate", "--all", "-t", folder, "-o", out)
        assert result.returncode == 0, result.stderr
        assert "modifié à la main" not in result.stdout + result.stderr
    assert not list(out.glob(".*.tmp"))


def test_a_run_waits_for_the_folder_then_gives_up_in_french(qp, tmp_path):
    from filelock import FileLock

    out = tmp_path / "out"
    out.mkdir()
    with FileLock(out / ".qp-lock"):  # another qp generate is writing there
        result = qp("generate", "toulouse", "--wait", "1", "-t", ROOT / "territories", "-o", out)
    assert result.code == 1
    assert f"un autre « qp generate » écrit dans {out} : attente de sa fin (1 s au plus)…" in result.err
    assert (f"erreur : un autre « qp generate » écrit dans {out} depuis plus de 1 s : relancez "
            "la commande quand il aura fini (ou avec --wait pour attendre plus longtemps)") in result.err
    assert not (out / "toulouse.docx").exists()


# 4. A reader that goes away

def test_a_closed_pipe_does_not_stop_the_batch(tmp_path):
    """`qp generate --all | head -1`: the batch goes on to the end, quietly."""
    out = tmp_path / "out"
    shutil.copytree(ROOT / "out" / "signees", out / "signees")  # (or Toulouse's is not kept)
    process = subprocess.Popen([*QP, "generate", "--all", "-t", str(ROOT / "territories"),
                                "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=checkout_env())
    first = process.stdout.readline()
    process.stdout.close()  # as `head -1` does
    stderr = process.stderr.read().decode("utf-8")
    process.wait(timeout=120)
    assert first.startswith("écrit : ".encode())
    assert process.returncode == 0, stderr
    assert stderr == ""
    assert len(list(out.glob("*.docx"))) == 14


# 5. LibreOffice left behind by a killed run

def test_a_run_killed_during_pdf_conversion_is_cleaned_up_by_the_next(tmp_path):
    fake = tmp_path / "soffice"
    started = tmp_path / "started"
    fake.write_text(f"#!/bin/sh\ntouch {started}\n"
                    f'exec {sys.executable} -c "import time; time.sleep(600)" "$@"\n')
    fake.chmod(0o755)
    out = tmp_path / "out"
    env = checkout_env(QP_SOFFICE=str(fake))
    process = subprocess.Popen([*QP, "generate", "toulouse", "--pdf", "-t",
                                str(ROOT / "territories"), "-o", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.kill()
    process.wait()
    work = list(out.glob(".qp-pdf-*"))
    assert len(work) == 1
    needle = str(work[0].resolve()).encode()

    def soffice_running() -> bool:
        return any(needle in (p / "cmdline").read_bytes()
                   for p in Path("/proc").iterdir() if p.name.isdigit()
                   and (p / "cmdline").exists())

    assert soffice_running()  # the orphan LibreOffice
    result = run(*QP, "generate", "toulouse", "-t", ROOT / "territories", "-o", out)
    assert result.returncode == 0, result.stderr
    assert not list(out.glob(".qp-pdf-*"))
    deadline = time.monotonic() + 10
    while soffice_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not soffice_running()


# 11. The output folder and the environment: French errors, exit code 1

def test_out_is_a_file(qp, tmp_path):
    (tmp_path / "out").write_text("x")
    result = qp("generate", "toulouse", "-t", ROOT / "territories", "-o", tmp_path / "out")
    assert result.code == 1
    assert (f"erreur : {tmp_path / 'out'} n'est pas un dossier (c'est un fichier) : indiquez "
            "un dossier avec --out") in result.err


def test_out_is_a_dangling_symlink(qp, tmp_path):
    (tmp_path / "out").symlink_to(tmp_path / "gone")
    result = qp("generate", "toulouse", "-t", ROOT / "territories", "-o", tmp_path / "out")
    assert result.code == 1
    assert (f"erreur : {tmp_path / 'out'} est un lien symbolique vers {tmp_path / 'gone'}, qui "
            "n'existe pas : créez ce dossier ou indiquez-en un autre avec --out") in result.err


def test_out_the_system_refuses(qp, tmp_path, monkeypatch):
    """A read-only or immutable folder, as the system reports it (also for root)."""
    import filelock

    def refuse(self, *args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(filelock.FileLock, "acquire", refuse)
    out = tmp_path / "out"
    result = qp("generate", "toulouse", "-t", ROOT / "territories", "-o", out)
    assert result.code == 1
    assert (f"erreur : impossible d'écrire dans {out} ({out / '.qp-lock'}) : opération non permise (fichier ou "
            "dossier protégé)") in result.err


def test_disk_full_while_saving_the_manifest(qp, tmp_path, monkeypatch):
    import errno

    from qp_conventions import output

    real = output.write_atomic

    def write(path, data):
        if path.name == ".qp-manifest.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(output, "write_atomic", write)
    out = tmp_path / "out"
    result = qp("generate", "toulouse", "-t", ROOT / "territories", "-o", out)
    assert result.code == 1
    assert (f"erreur : écriture impossible de {out / '.qp-manifest.json'} : plus de place sur "
            "le disque : les documents de ce groupe n'ont pas été écrits") in result.err
    assert not (out / "toulouse.docx").exists()


DAMAGED = {
    "files is a list": ('{"version": 1, "files": []}',
                        "contenu inattendu (chaque document doit avoir une liste d'empreintes SHA-256)"),
    "null": ("null", "ce n'est pas un manifeste de qp (JSON illisible ou sans « files »)"),
    "wrong types": ('{"version": 1, "files": {"toulouse.docx": "abc"}}',
                    "contenu inattendu (chaque document doit avoir une liste d'empreintes SHA-256)"),
    "git conflict": ('{\n<<<<<<< HEAD\n "files": {}\n=======\n "files": {}\n>>>>>>> autre\n}\n',
                     "marques de conflit git ligne 2 : gardez les empreintes des deux versions "
                     "(la liste de chaque document réunit celles des deux côtés)"),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_a_damaged_manifest_is_named_never_emptied(qp, tmp_path, case):
    out = tmp_path / "out"
    assert qp("generate", "toulouse", "-t", ROOT / "territories", "-o", out).code == 0
    content, why = DAMAGED[case]
    (out / ".qp-manifest.json").write_text(content, encoding="utf-8")
    document = (out / "toulouse.docx").read_bytes()
    result = qp("generate", "toulouse", "--force", "-t", ROOT / "territories", "-o", out)
    assert result.code == 1
    assert (f"erreur : le manifeste {out / '.qp-manifest.json'} est endommagé : {why}. "
            "Réparez-le, ou supprimez-le : qp tiendra alors chaque document déjà présent pour "
            "modifié à la main, et ne le remplacera qu'avec --force (en gardant l'ancien à "
            "côté)") in result.err
    assert (out / ".qp-manifest.json").read_text(encoding="utf-8") == content
    assert (out / "toulouse.docx").read_bytes() == document


def test_a_manifest_that_is_a_folder(qp, tmp_path):
    out = tmp_path / "out"
    (out / ".qp-manifest.json").mkdir(parents=True)
    result = qp("generate", "toulouse", "-t", ROOT / "territories", "-o", out)
    assert result.code == 1
    assert (f"erreur : le manifeste {out / '.qp-manifest.json'} est endommagé : ce n'est pas "
            "un fichier ordinaire.") in result.err


@pytest.mark.parametrize("jobs", ["99999999999999999999999", "65", "-1"])
def test_impossible_numbers_of_processes(qp, jobs):
    result = qp("generate", "--all", "--jobs", jobs, "-t", ROOT / "territories")
    assert result.code == 2
    assert "erreur : --jobs attend un nombre de processus entre 0 (automatique) et 64" in result.err


# 12. A process limit

def test_a_process_limit_does_not_hang_the_batch(tmp_path):
    """The system refuses the third process: the batch is built in this process instead
    (it used to print the error, then wait forever for workers that got no work)."""
    out = tmp_path / "out"
    result = run(sys.executable, INJECT, "refuse-processes-after", 2, "generate", "--all",
                 "--jobs", "8", "-t", ROOT / "territories", "-o", out, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "14 document(s) : 14 écrit(s)" in result.stdout
    reference = tmp_path / "reference"
    assert run(*QP, "generate", "--all", "--jobs", "1", "-t", ROOT / "territories",
               "-o", reference).returncode == 0
    for document in reference.glob("*.docx"):
        assert (out / document.name).read_bytes() == document.read_bytes()


# 16. One rule for territory names

def test_one_naming_rule_everywhere(qp, tmp_path):
    territories = tmp_path / "territories"
    territories.mkdir()
    good = FIXTURES / "val-fictif.yaml"
    for name in ("bon.yaml", "Toulouse.YAML", "Métropole.yaml", "mon territoire.yaml",
                 "toulouse.modifie-a-la-main.yaml"):
        shutil.copy(good, territories / name)
    expected = {
        "Toulouse.YAML": "toulouse.yaml",
        "Métropole.yaml": "metropole.yaml",
        "mon territoire.yaml": "mon-territoire.yaml",
        "toulouse.modifie-a-la-main.yaml": "toulouse-modifie-a-la-main.yaml",
    }
    validated = qp("validate", territories)
    assert validated.code == 1
    for name, suggestion in expected.items():
        assert (f"{territories / name}: erreur : nom de fichier « {name} » refusé : le nom d'un "
                "territoire s'écrit en minuscules sans accents, chiffres, « - » et « _ », avec "
                f"l'extension .yaml : renommez-le « {suggestion} »") in validated.err
    generated = qp("generate", "--all", "-t", territories, "-o", tmp_path / "out")
    assert generated.code == 1
    assert "5 document(s) : 1 écrit(s), 0 inchangé(s), 4 en échec" in generated.out
    assert [p.name for p in (tmp_path / "out").glob("*.docx")] == ["bon.docx"]
    refused = qp("generate", "Métropole", "-t", territories, "-o", tmp_path / "out")
    assert refused.code == 1 and "nom de territoire « Métropole » refusé" in refused.err
    unknown = qp("generate", "bonne", "-t", territories, "-o", tmp_path / "out")
    assert "Vouliez-vous dire « bon » ?" in unknown.err
    missing = qp("generate", "zzz", "-t", territories, "-o", tmp_path / "out")
    assert "Territoires disponibles : bon." in missing.err


def test_the_manifest_written_is_plain_json(qp, tmp_path):
    out = tmp_path / "out"
    assert qp("generate", "toulouse", "-t", ROOT / "territories", "-o", out).code == 0
    manifest = json.loads((out / ".qp-manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["files"]) == ["toulouse.docx"]
    assert len(manifest["files"]["toulouse.docx"]) == 1


# Found by trying to break it (a second pass)

def test_a_document_saved_in_word_during_the_run_is_not_replaced(qp, tmp_path, monkeypatch):
    """Someone saves out/laval.docx after qp decided to rewrite it and before it does: the
    save is kept, and said."""
    from qp_conventions import output

    territories = tmp_path / "territories"
    shutil.copytree(ROOT / "territories", territories)
    out = tmp_path / "out"
    assert qp("generate", "--all", "-t", territories, "-o", out).code == 0
    for source in territory_files(territories):  # every document to rewrite
        source.write_text(source.read_text(encoding="utf-8") + "\n# v2\nlabellisation: 2021-03-19\n",
                          encoding="utf-8")
    real_save = output.Manifest.save

    def save_then_someone_saves_laval(self):
        real_save(self)
        if (out / "laval.docx").read_bytes() != b"SAVED IN WORD":
            (out / "laval.docx").write_bytes(b"SAVED IN WORD")

    monkeypatch.setattr(output.Manifest, "save", save_then_someone_saves_laval)
    result = qp("generate", "--all", "-t", territories, "-o", out)
    assert result.code == 1
    assert (out / "laval.docx").read_bytes() == b"SAVED IN WORD"
    assert (f"{out / 'laval.docx'}: erreur : {out / 'laval.docx'} a été enregistré par "
            "quelqu'un pendant que qp le préparait : il n'est pas remplacé") in result.err
    # (a labellisation of 19 March 2021 is a later wave's: Toulouse's Contexte says so too)
    assert "14 document(s) : 13 écrit(s), 0 inchangé(s), 1 modifié(s) à la main" in result.out


def test_a_refused_thread_does_not_hang_the_batch(tmp_path):
    out = tmp_path / "out"
    result = run(sys.executable, INJECT, "refuse-threads", 0, "generate", "--all", "--jobs", "4",
                 "-t", ROOT / "territories", "-o", out, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "14 document(s) : 14 écrit(s)" in result.stdout


def test_a_killed_batch_leaves_no_worker_behind(tmp_path):
    """Killed with SIGKILL, the batch cannot stop its workers: they end with it (Linux)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the end of a killed parent is a Linux signal")
    territories = fictional_copies(tmp_path / "territories", 200)
    process = subprocess.Popen([*QP, "generate", "--all", "--jobs", "2", "-t", str(territories),
                                "-o", str(tmp_path / "out")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=checkout_env())

    def children() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and (entry / "stat").read_text().split()[3] == str(process.pid):
                    found.append(int(entry.name))
            except OSError:
                pass
        return found

    deadline = time.monotonic() + 60
    while len(children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    workers = children()
    assert len(workers) >= 2
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
              for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()
             and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"]
    assert alive == []


def test_thousands_of_unknown_keys_are_reported_in_reasonable_number(qp, tree):
    """Each problem is located without scanning the file again, and a file with thousands
    gets the first hundred, counted."""
    source = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")
    root = tree({"t/x.yaml": source + "".join(f"k{i}: 0\n" for i in range(20000))})
    result = qp("validate", root / "t" / "x.yaml")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if ": erreur :" in line]
    assert errors[0] == (f"{root / 't' / 'x.yaml'}: erreur : 20000 erreurs dans ce fichier : "
                         "voici les 100 premières")
    assert len(errors) == 101


def test_closed_output_streams_stop_nothing(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([*QP, "generate", "--all", "-t", str(ROOT / "territories"), "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=checkout_env(),
                            preexec_fn=lambda: (os.close(1), os.close(2)))
    assert result.returncode == 0
    assert len(list(out.glob("*.docx"))) == 14


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "deep"])
def test_a_manifest_that_cannot_be_read_is_named(qp, tmp_path, kind):
    out = tmp_path / "out"
    out.mkdir()
    manifest = out / ".qp-manifest.json"
    if kind == "fifo":
        os.mkfifo(manifest)
    elif kind == "dev-zero":
        manifest.symlink_to("/dev/zero")
    else:
        manifest.write_text('{"files": ' + "[" * 100000 + "]" * 100000 + "}")
    result = qp("generate", "toulouse", "-t", ROOT / "territories", "-o", out)
    assert result.code == 1
    why = ("ce n'est pas un manifeste de qp (JSON illisible ou sans « files »)" if kind == "deep"
           else "ce n'est pas un fichier ordinaire")
    assert f"erreur : le manifeste {manifest} est endommagé : {why}." in result.err


def test_a_name_too_long_for_the_system(qp, tmp_path):
    out = tmp_path / ("a" * 300)
    result = qp("generate", "toulouse", "-t", ROOT / "territories", "-o", out)
    assert result.code == 1
    assert result.err.startswith("erreur : ") and result.err.rstrip().endswith(": nom trop long")


def test_disk_full_after_the_documents_are_written(qp, tmp_path, monkeypatch):
    """The manifest cannot be saved once the documents are written: they are listed as
    written, and the manifest saved before them already recognises them."""
    import errno

    from qp_conventions import output

    territories = tmp_path / "territories"
    shutil.copytree(ROOT / "territories", territories)
    out = tmp_path / "out"
    assert qp("generate", "laval", "-t", territories, "-o", out).code == 0
    source = territories / "laval.yaml"  # the document is to be rewritten
    source.write_text(source.read_text(encoding="utf-8") + "labellisation: 2021-03-19\n",
                      encoding="utf-8")
    real = output.write_atomic
    saves = []

    def write(path, data, **kwargs):
        if path.name == ".qp-manifest.json":
            saves.append(path)
            if len(saves) == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data, **kwargs)

    monkeypatch.setattr(output, "write_atomic", write)
    result = qp("generate", "laval", "-t", territories, "-o", out)
    assert result.code == 1
    assert f"écrit : {out / 'laval.docx'}" in result.out
    assert (f"erreur : écriture impossible de {out / '.qp-manifest.json'} : plus de place sur le "
            "disque : les documents de ce groupe sont écrits, et reconnus comme ceux de qp") in result.err
    monkeypatch.setattr(output, "write_atomic", real)
    again = qp("generate", "laval", "-t", territories, "-o", out)
    assert again.code == 0 and "inchangé" in again.out and "modifié à la main" not in again.out


def test_odd_entries_of_the_territories_folder_are_reported_not_skipped(qp, tmp_path):
    territories = tmp_path / "territories"
    territories.mkdir()
    shutil.copy(FIXTURES / "val-fictif.yaml", territories / "bon.yaml")
    (territories / "casse.yaml").symlink_to(tmp_path / "nulle-part.yaml")
    (territories / "dossier.yaml").mkdir()
    os.mkfifo(territories / "tube.yaml")
    shutil.copy(FIXTURES / "val-fictif.yaml", territories / "espace.yaml ")
    result = qp("validate", territories)
    assert result.code == 1
    assert "5 fichier(s) vérifié(s) : 4 erreur(s)" in result.out
    assert f"{territories / 'casse.yaml'}: erreur : lien vers un fichier qui n'existe pas" in result.err
    for name in ("dossier.yaml", "tube.yaml"):
        assert (f"{territories / name}: erreur : ce n'est pas un fichier ordinaire (un dossier, "
                "un périphérique, un tube…) : un territoire s'écrit dans un fichier .yaml") in result.err
    assert "renommez-le « espace.yaml »" in result.err
    generated = qp("generate", "--all", "-t", territories, "-o", tmp_path / "out")
    assert "5 document(s) : 1 écrit(s), 0 inchangé(s), 4 en échec" in generated.out


def test_sigterm_stops_the_batch_like_ctrl_c(tmp_path):
    territories = fictional_copies(tmp_path / "territories", 150)
    out = tmp_path / "out"
    process = subprocess.Popen([*QP, "generate", "--all", "-t", str(territories), "-o", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               encoding="utf-8", env=checkout_env())
    deadline = time.monotonic() + 60
    while not list(out.glob("t*.docx")) and time.monotonic() < deadline:
        time.sleep(0.005)
    process.terminate()
    _, err = process.communicate(timeout=60)
    assert process.returncode in (143, 0)  # (0: it had just finished)
    if process.returncode == 143:
        assert "interrompu : les documents déjà écrits sont complets" in err
    assert "Traceback" not in err


# 6. A kill -9 inside each write leaves a temporary file: the next run is not disturbed
# by it, and removes it

def killed_while_writing(root: Path, name: str, *args) -> None:
    """Run `qp ARGS…` in `root` and kill it (SIGKILL) once it has written its file `name`
    beside it, before putting it in place (tests/inject.py holds it there)."""
    process = subprocess.Popen([sys.executable, str(INJECT), "pause-before-replace", name,
                                *map(str, args)], cwd=root, env=checkout_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr.readline() == "paused\n"
    finally:
        process.kill()
        process.wait()


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob(".*.tmp"))


def draft_project(tmp_path: Path, change: str = "") -> Path:
    (tmp_path / "territories").mkdir()
    text = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")
    (tmp_path / "territories" / "val-fictif.yaml").write_text(
        text.replace("intitule: Maison de la création d'entreprise", f"intitule: Maison{change}"),
        encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("name", ["val-fictif.docx", ".qp-manifest.json"])
def test_generate_killed_while_writing(tmp_path, name):
    root = draft_project(tmp_path)
    killed_while_writing(root, name, "generate", "--all")
    [leftover] = leftovers(root)
    assert leftover.startswith(f"out/.{name}.")
    again = run(*QP, "generate", "--all", cwd=root)
    assert again.returncode == 0, again.stderr
    assert "1 document(s) : 1 écrit(s)" in again.stdout
    assert leftovers(root) == []


def test_import_killed_while_writing_the_territory_file(tmp_path):
    root = draft_project(tmp_path, " X")
    before = (root / "territories" / "val-fictif.yaml").read_bytes()
    killed_while_writing(root, "val-fictif.yaml", "import-operations", "val-fictif",
                         FIXTURES / "operations-excel.xlsx", "--replace")
    assert (root / "territories" / "val-fictif.yaml").read_bytes() == before
    [leftover] = leftovers(root)
    assert leftover.startswith("territories/.val-fictif.yaml.")
    validated = run(*QP, "validate", cwd=root)  # never a territory, never « renommez-le »
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout == ("1 fichier(s) vérifié(s) : 0 erreur(s), 0 fait(s) à compléter "
                                "— valide\n")
    generated = run(*QP, "generate", "--all", cwd=root)
    assert generated.returncode == 0, generated.stderr
    assert "renommez" not in generated.stdout + generated.stderr
    assert leftovers(root) == []


def test_import_killed_then_run_again(tmp_path):
    root = draft_project(tmp_path, " X")
    killed_while_writing(root, "val-fictif.yaml", "import-operations", "val-fictif",
                         FIXTURES / "operations-excel.xlsx", "--replace")
    again = run(*QP, "import-operations", "val-fictif", FIXTURES / "operations-excel.xlsx",
                "--replace", cwd=root)
    assert again.returncode == 0, again.stderr
    assert "Maison de la création d'entreprise" in \
        (root / "territories" / "val-fictif.yaml").read_text("utf-8")
    assert leftovers(root) == []


@pytest.mark.parametrize("name", ["val-fictif.yaml", "val-fictif.docx", "val-fictif.json"])
def test_sign_killed_while_writing(tmp_path, name):
    root = draft_project(tmp_path)
    killed_while_writing(root, name, "sign", "val-fictif", "--date", "2021-10-15")
    [leftover] = leftovers(root)
    assert leftover.startswith({"val-fictif.yaml": "territories/", "val-fictif.docx": "out/signees/",
                                "val-fictif.json": "out/signees/"}[name] + f".{name}.")
    again = run(*QP, "sign", "val-fictif", "--date", "2021-10-15", cwd=root)
    assert again.returncode == 0, again.stderr
    assert (root / "out" / "signees" / "val-fictif.json").exists()
    assert leftovers(root) == []


def test_new_killed_while_writing(tmp_path):
    (tmp_path / "territories").mkdir()
    killed_while_writing(tmp_path, "val-neuf.yaml", "new", "val-neuf")
    assert not (tmp_path / "territories" / "val-neuf.yaml").exists()
    assert len(leftovers(tmp_path)) == 1
    again = run(*QP, "new", "val-neuf", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "territories" / "val-neuf.yaml").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["validate", "generate"])
def test_a_temporary_file_named_on_the_command_line_is_not_a_territory(qp, tmp_path, command):
    root = draft_project(tmp_path)
    leftover = Path("territories") / ".val-fictif.yaml.abcdefgh.tmp"
    (root / leftover).write_text("nom: Val-Fic", encoding="utf-8")  # (truncated by a kill)
    result = qp(command, leftover)
    assert result.code == 1
    assert (f"{leftover}: erreur : fichier temporaire laissé par un qp interrompu, pas un "
            "territoire : supprimez-le") in result.err.splitlines()
    assert "renommez" not in result.err
