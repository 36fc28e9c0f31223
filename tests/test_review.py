"""Reviewing changes: `qp text` prints a document as text, git shows the changed
sentences of out/ through it, `qp diff` compares two conventions clause by clause."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, checkout_env


def test_text_prints_paragraphs_and_table_rows(qp):
    result = qp("text", ROOT / "out" / "toulouse.docx")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:3] == ["CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS", "ENTRE",
                         "Toulouse Métropole représenté par son président Jean-Luc Moudenc."]
    assert "Article 4. Durée" in lines
    assert "Jean-Luc MOUDENC | Nadia HAI" in lines  # the signature table, a row a line
    assert "" not in lines


def test_text_of_an_operations_table(qp, tmp_path):
    assert qp("generate", "val-fictif", "-t", FIXTURES, "-o", tmp_path / "out").code == 0
    lines = qp("text", tmp_path / "out" / "val-fictif.docx").out.splitlines()
    row = next(line for line in lines if line.startswith("OP1 |"))
    assert "Maison de la création d’entreprise" in row and "1 250 000 €" in row.replace("\u202f", " ")


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "n'est pas un document Word (.docx)"),
    (None, "illisible (fichier ou dossier introuvable)"),
])
def test_text_of_something_else_is_refused(qp, tmp_path, content, message):
    path = tmp_path / "x.docx"
    if content is not None:
        path.write_bytes(content)
    result = qp("text", path)
    assert result.code == 1
    assert message in result.err
    assert "Traceback" not in result.err


def test_diff_of_two_territories_by_clause(qp):
    result = qp("diff", "toulouse", "aix-marseille-provence", "-t", ROOT / "territories")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:2] == ["--- toulouse", "+++ aix-marseille-provence"]
    start = lines.index("=== CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS › Article 3. Gouvernance")
    assert lines[start + 1:start + 3] == [
        "- Le Chef de file désigné pour suivre le déploiement du programme sur Toulouse Métropole "
        "est la Banque des Territoires.",
        "+ Le Chef de file désigné pour suivre le déploiement du programme sur l’intercommunalité "
        "bénéficiaire est l’ANRU."]
    assert "=== CONVENTION D’ENGAGEMENT QUARTIERS PRODUCTIFS › Article 1. Objet de la " \
           "convention" not in lines  # the same in both
    assert lines[-1] == "6 clause(s) différente(s)"


def test_diff_of_a_territory_and_its_document(qp, tmp_path):
    territories = tmp_path / "territories"
    territories.mkdir()
    shutil.copy(FIXTURES / "val-fictif.yaml", territories)
    assert qp("generate", "val-fictif").code == 0
    same = qp("diff", "val-fictif", "out/val-fictif.docx")
    assert same.code == 0, same.err
    assert same.out == "textes identiques\n"
    path = territories / "val-fictif.yaml"
    path.write_text(path.read_text("utf-8").replace("cout_total: 1250000", "cout_total: 1300000")
                    .replace("montant: 500000", "montant: 550000"), "utf-8")
    changed = qp("diff", "out/val-fictif.docx", "val-fictif").out.splitlines()
    assert changed[2] == "=== Annexe 3 – Opérations › Liste des opérations"
    assert changed[3].startswith("- OP1 | Maison de la création d’entreprise")
    assert changed[4].startswith("+ OP1 | Maison de la création d’entreprise")
    assert changed[4].replace("\u202f", " ").replace("\xa0", " ").endswith("1 300 000 €")


def test_diff_of_a_territory_in_error(qp, tree):
    root = tree({"territories/x.yaml": "intercommunalite: [\n"})
    result = qp("diff", "x", "toulouse")
    assert result.code == 1
    assert result.err.rstrip().endswith("erreur : territories/x.yaml a des erreurs : "
                                         "corrigez-les pour le comparer")


@pytest.mark.skipif(shutil.which("git") is None, reason="git absent")
def test_git_diff_shows_the_changed_sentence(tmp_path):
    """The README's recipe: with qp as git's textconv for .docx, `git diff out/` after a
    change of a territory shows the sentence that changed."""
    repo = tmp_path / "repo"
    (repo / "territories").mkdir(parents=True)
    shutil.copy(ROOT / "territories" / "arras.yaml", repo / "territories")
    shutil.copy(ROOT / ".gitattributes", repo)
    env = checkout_env(GIT_CONFIG_NOSYSTEM="1", HOME=str(tmp_path))
    qp = [sys.executable, "-m", "qp_conventions"]

    def run(*args: str) -> str:
        result = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True,
                                encoding="utf-8")
        assert result.returncode == 0, result.stderr
        return result.stdout

    run("git", "init", "-q")
    run("git", "config", "user.email", "test@example.org")
    run("git", "config", "user.name", "Test")
    run("git", "config", "diff.qp-docx.textconv", f"{sys.executable} -m qp_conventions text")
    run(*qp, "generate", "arras")
    run("git", "add", "-A")
    run("git", "commit", "-qm", "arras")
    path = repo / "territories" / "arras.yaml"
    path.write_text(path.read_text("utf-8").replace(
        "chef_de_file: à compléter", "chef_de_file: anru"), "utf-8")
    run(*qp, "generate", "arras")
    diff = run("git", "diff", "out/arras.docx")
    assert ("+Le Chef de file désigné pour suivre le déploiement du programme sur "
            "l’intercommunalité bénéficiaire est l’ANRU.") in diff
    assert "-Le Chef de file désigné pour suivre le déploiement du programme sur " \
           "l’intercommunalité bénéficiaire est [à compléter" in diff
    assert "Binary files" not in diff


# Hostile or broken Word files: a French error at once, never a hang, a traceback, or
# words silently lost.

WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def word_file(path, document: bytes, *, method=zipfile.ZIP_DEFLATED, declared: int | None = None):
    """A copy of a real convention whose word/document.xml is `document`; `declared`: the
    size its zip directory claims instead of the real one."""
    with zipfile.ZipFile(ROOT / "out" / "toulouse.docx") as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "word/document.xml":
                target.writestr("word/document.xml", document, compress_type=method)
            else:
                target.writestr(info.filename, source.read(info.filename))
    if declared is not None:  # the central directory's « uncompressed size » of the part
        data = bytearray(path.read_bytes())
        entry = next(i for i in _entries(data) if data[i + 46:].startswith(b"word/document.xml"))
        struct.pack_into("<I", data, entry + 24, declared)
        path.write_bytes(bytes(data))
    return path


def _entries(data: bytes):
    position = data.find(b"PK\x01\x02")
    while position != -1:
        yield position
        position = data.find(b"PK\x01\x02", position + 4)


def body(content: bytes) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<w:document xmlns:w="' + WORD.encode() + b'"><w:body>' + content
            + b"</w:body></w:document>")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("kind, expected", [
    ("pipe", "c'est un tube"), ("folder", "c'est un dossier"), ("device", "c'est un périphérique")])
def test_text_reads_only_regular_files(qp, tmp_path, kind, expected):
    path = tmp_path / "x.docx"
    if kind == "pipe":
        os.mkfifo(path)  # (no writer: opening it to read would block forever)
    elif kind == "folder":
        path.mkdir()
    else:
        path = Path("/dev/zero")  # (would be read until memory runs out)
    result = qp("text", path)
    assert result.code == 1
    assert result.err == (f"erreur : {path} : ce n'est pas un fichier ordinaire ({expected}) ; "
                          "qp lit un document Word (.docx)\n")


def test_text_checks_the_size_before_reading(qp, tmp_path):
    path = tmp_path / "x.docx"
    with open(path, "wb") as handle:  # (sparse: nothing written)
        handle.truncate(60 * 1024 * 1024)
    result = qp("text", path)
    assert result.code == 1
    assert result.err == (f"erreur : {path} : fichier démesuré (60,0 Mo ; 50,0 Mo au plus) ; "
                          "qp lit un document Word (.docx)\n")


def test_a_part_is_inflated_only_up_to_the_limit(qp, tmp_path):
    huge = body(b"<w:p/>" * (21 * 1024 * 1024 // 6))  # 21 MB, 20 kB once compressed
    honest = word_file(tmp_path / "honest.docx", huge)
    result = qp("text", honest)
    assert result.code == 1
    assert result.err == (f"erreur : {honest} : word/document.xml démesuré (plus de 20 Mo une "
                          "fois décompressé)\n")
    lying = word_file(tmp_path / "lying.docx", huge, declared=5000)  # claims 5 000 bytes
    result = qp("text", lying)
    assert result.code == 1
    assert result.err == (f"erreur : {lying} : document Word endommagé (word/document.xml "
                          "illisible dans l'archive)\n")


def test_the_elements_of_a_document_are_counted(qp, tmp_path, monkeypatch):
    from qp_conventions import text

    monkeypatch.setattr(text, "MAX_MARKS", 5000)  # (250 000: 2 s of empty paragraphs)
    path = word_file(tmp_path / "x.docx", body(b"<w:p/>" * 5000))
    result = qp("text", path)
    assert result.code == 1
    assert result.err == (f"erreur : {path} : document Word démesuré (plus de 5000 balises et "
                          "attributs XML)\n")
    attributes = b" ".join(b'a%d=""' % i for i in range(5000))  # one element: no « < » to count
    path = word_file(tmp_path / "y.docx", body(b"<w:p " + attributes + b"/>"))
    assert qp("text", path).err == (f"erreur : {path} : document Word démesuré (plus de 5000 "
                                    "balises et attributs XML)\n")


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE w:document [<!ENTITY e "MILIEU">]>',  # its text would be lost: « AVANT »
    b'<!DOCTYPE w:document SYSTEM "http://example.org/word.dtd">',
])
def test_a_document_with_a_dtd_is_refused(qp, tmp_path, doctype):
    xml = body(b"<w:p><w:r><w:t>AVANT &e; APRES</w:t></w:r></w:p>"
               if b"ENTITY" in doctype else b"<w:p><w:r><w:t>AVANT</w:t></w:r></w:p>")
    xml = xml.replace(b"?>\n", b"?>\n" + doctype, 1)
    path = word_file(tmp_path / "x.docx", xml)
    result = qp("text", path)
    assert result.code == 1
    assert result.out == ""
    assert result.err == (f"erreur : {path} : document Word refusé : word/document.xml déclare "
                          "une DTD (<!DOCTYPE>), que Word n'écrit jamais, et dont les entités "
                          "cacheraient du texte\n")


@pytest.mark.parametrize("make, message", [
    (lambda p: word_file(p, body(b"<w:p/>"), method=zipfile.ZIP_BZIP2),
     " : document Word refusé (word/document.xml compressé par une méthode que Word n'emploie "
     "pas)"),
    (lambda p: word_file(p, body(b"<w:p>" + b"<w:r>" * 1000 + b"</w:r>" * 1000 + b"</w:p>")),
     " : document Word endommagé (word/document.xml : XML illisible)"),
    (lambda p: p.write_bytes((ROOT / "out" / "toulouse.docx").read_bytes()[:5000]),  # truncated
     " n'est pas un document Word (.docx)"),
])
def test_damaged_or_unusual_packages(qp, tmp_path, make, message):
    path = tmp_path / "x.docx"
    make(path)
    result = qp("text", path)
    assert result.code == 1
    assert result.err == f"erreur : {path}{message}\n"


def test_a_broken_outline_level_is_body_text(qp, tmp_path):
    path = word_file(tmp_path / "x.docx", body(
        b'<w:p><w:pPr><w:outlineLvl w:val="un"/></w:pPr><w:r><w:t>Texte</w:t></w:r></w:p>'))
    result = qp("text", path)
    assert (result.code, result.out) == (0, "Texte\n")


def test_diff_reads_documents_in_the_same_bounds(qp, tmp_path):
    path = word_file(tmp_path / "x.docx", body(b"<w:p/>" * (21 * 1024 * 1024 // 6)))
    result = qp("diff", "toulouse", path, "-t", ROOT / "territories")
    assert result.code == 1
    assert result.err == (f"erreur : {path} : word/document.xml démesuré (plus de 20 Mo une "
                          "fois décompressé)\n")
    if Path("/dev/zero").exists():
        result = qp("diff", "toulouse", "/dev/zero", "-t", ROOT / "territories")
        assert result.code == 1
        assert result.err == ("erreur : /dev/zero : ce n'est pas un fichier ordinaire (c'est un "
                              "périphérique) ; qp lit un document Word (.docx)\n")


def test_a_nested_table_is_read_once_in_its_cell(qp, tmp_path):
    def cell(content: bytes) -> bytes:
        return b"<w:tc>" + content + b"</w:tc>"

    def para(text: bytes) -> bytes:
        return b"<w:p><w:r><w:t>" + text + b"</w:t></w:r></w:p>"

    inner = b"<w:tbl><w:tr>" + cell(para(b"B")) + cell(para(b"C")) + b"</w:tr></w:tbl>"
    outer = b"<w:tbl><w:tr>" + cell(para(b"A") + inner) + cell(para(b"D")) + b"</w:tr></w:tbl>"
    path = word_file(tmp_path / "x.docx", body(outer + para(b"Fin")))
    result = qp("text", path)
    assert (result.code, result.err) == (0, "")
    assert result.out == "A / B / C | D\nFin\n"


def test_each_paragraph_of_nested_tables_is_read_once(monkeypatch):
    """Tables nested 80 deep around 1 000 paragraphs: each paragraph's text is taken once,
    not once for each row and cell around it (200 000 empty paragraphs so nested, 2 MB,
    took minutes)."""
    from qp_conventions import text

    taken = []
    real = text._text
    monkeypatch.setattr(text, "_text", lambda p: taken.append(p) or real(p))
    xml = body(b"<w:tbl><w:tr><w:tc>" * 80 + b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 1000
               + b"</w:tc></w:tr></w:tbl>" * 80)
    with zipfile.ZipFile(ROOT / "out" / "toulouse.docx") as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["word/document.xml"] = xml
    package = BytesIO()
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    found = text.lines(package.getvalue(), "x.docx")
    assert [line.text for line in found] == [" / ".join(["x"] * 1000)]
    assert len(taken) == 1000


@pytest.mark.parametrize("bounded", [None, "MAX_PAIRS", "MAX_COMPARED"])
def test_diff_shows_similar_lines_side_by_side_within_bounds(qp, tmp_path, monkeypatch, bounded):
    """Beyond MAX_PAIRS pairs of lines of a rewritten passage, or MAX_COMPARED characters
    read comparing them one by one (two hostile documents took hours, two lines of 5 MB
    as long), the lines removed, then those added."""
    from qp_conventions import text

    if bounded:  # (3 lines of 23 characters rewritten: 9 pairs, 414 characters read)
        monkeypatch.setattr(text, bounded, {"MAX_PAIRS": 8, "MAX_COMPARED": 400}[bounded])

    def document(path, words):
        return word_file(path, body(b"".join(
            b"<w:p><w:r><w:t>" + w.encode() + b"</w:t></w:r></w:p>" for w in words)))

    numbers = ["un", "deux", "trois"]
    old = document(tmp_path / "a.docx", ["Début"] + [f"article {n} : 1000 euros" for n in numbers]
                   + ["Fin"])
    new = document(tmp_path / "b.docx", ["Début"] + [f"article {n} : 2000 euros" for n in numbers]
                   + ["Fin"])
    result = qp("diff", old, new)
    assert (result.code, result.err) == (0, "")
    removed = [f"- article {n} : 1000 euros" for n in numbers]
    added = [f"+ article {n} : 2000 euros" for n in numbers]
    changes = removed + added if bounded else [line for pair in zip(removed, added)
                                               for line in pair]
    assert result.out.splitlines() == [f"--- {old}", f"+++ {new}", "=== Début du document",
                                       *changes, "1 clause(s) différente(s)"]


def headings(path, clauses):
    return word_file(path, body(b"".join(
        b'<w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>' + title.encode()
        + b"</w:t></w:r></w:p><w:p><w:r><w:t>" + content.encode() + b"</w:t></w:r></w:p>"
        for title, content in clauses)))


@pytest.mark.parametrize("bounded", [False, True])
def test_diff_aligns_clauses_within_bounds(qp, tmp_path, monkeypatch, bounded):
    """Beyond MAX_ALIGNED pairs of clauses to align, the common first and last clauses are
    kept, and the others compared in order."""
    from qp_conventions import text

    if bounded:
        monkeypatch.setattr(text, "MAX_ALIGNED", 11)  # (3 clauses against 4: 12 pairs)
    old = headings(tmp_path / "a.docx", [("A", "a"), ("B", "b"), ("C", "c"), ("D", "d")])
    new = headings(tmp_path / "b.docx", [("A", "a"), ("X", "x"), ("B", "b"), ("C", "c"),
                                         ("Y", "y")])
    result = qp("diff", old, new)
    assert (result.code, result.err) == (0, "")
    if bounded:
        changes = ["=== B → X", "- B", "- b", "+ X", "+ x", "=== C → B", "- C", "- c", "+ B",
                   "+ b", "=== D → C", "- D", "- d", "+ C", "+ c", "=== Y", "+ Y", "+ y",
                   "4 clause(s) différente(s)"]
    else:
        changes = ["=== X", "+ X", "+ x", "=== D → Y", "- D", "- d", "+ Y", "+ y",
                   "2 clause(s) différente(s)"]
    assert result.out.splitlines() == [f"--- {old}", f"+++ {new}", *changes]


def test_diff_aligns_repeated_clause_names_in_order(qp, tmp_path):
    old = headings(tmp_path / "a.docx", [("Article", "un"), ("Article", "deux"),
                                         ("Article", "trois")])
    new = headings(tmp_path / "b.docx", [("Article", "un"), ("Article", "DEUX"),
                                         ("Article", "trois")])
    result = qp("diff", old, new)
    assert result.out.splitlines() == [f"--- {old}", f"+++ {new}", "=== Article", "- deux",
                                       "+ DEUX", "1 clause(s) différente(s)"]


def test_the_parts_of_a_package_are_counted_before_it_is_opened(qp, tmp_path, monkeypatch):
    """(zipfile builds an object per entry of the directory: a million in 50 MB)"""
    from qp_conventions import text

    monkeypatch.setattr(text, "MAX_ENTRIES", 40)  # (10 000; qp's documents have about 15)
    path = word_file(tmp_path / "x.docx", body(b"<w:p/>"))
    with zipfile.ZipFile(path, "a") as package:
        for number in range(40):
            package.writestr(f"word/media/vide{number}.png", b"")
    result = qp("text", path)
    assert result.code == 1
    assert result.err == f"erreur : {path} : document Word refusé (plus de 40 parties)\n"


def test_paragraphs_and_tables_in_content_controls_are_read(qp, tmp_path):
    """Word wraps parts of the body in content controls (w:sdt: a table of contents, a
    form's fields) or custom XML: their words are read in place, once."""
    def para(text: bytes) -> bytes:
        return b"<w:p><w:r><w:t>" + text + b"</w:t></w:r></w:p>"

    def control(content: bytes) -> bytes:
        return (b"<w:sdt><w:sdtPr><w:alias w:val=\"champ\"/></w:sdtPr><w:sdtContent>" + content
                + b"</w:sdtContent></w:sdt>")

    table = (b"<w:tbl><w:tr><w:tc>" + control(para(b"cellule")) + b"</w:tc><w:tc>"
             + para(b"voisine") + b"</w:tc></w:tr></w:tbl>")
    path = word_file(tmp_path / "x.docx", body(
        para(b"Avant") + control(para(b"Sommaire") + control(para(b"Article 1"))) + table
        + b"<w:customXml w:element=\"x\">" + control(table) + para(b"Balise") + b"</w:customXml>"
        + para(b"Fin")))
    result = qp("text", path)
    assert (result.code, result.err) == (0, "")
    assert result.out == ("Avant\nSommaire\nArticle 1\ncellule | voisine\ncellule | voisine\n"
                          "Balise\nFin\n")


def test_each_style_of_a_chain_is_climbed_once():
    """Styles based one on the other (45 000 in a chain: hours when each style climbed the
    whole chain again); a level inherited, none through a loop."""
    from qp_conventions import text

    class Counted(dict):
        looked_up = 0

        def get(self, key, default=None):
            Counted.looked_up += 1
            return super().get(key, default)

    based = Counted({f"s{i}": f"s{i - 1}" for i in range(1, 2000)})
    based.update({"boucle-a": "boucle-b", "boucle-b": "boucle-a", "hors": "boucle-a"})
    levels = text._style_levels({"s0": 1}, based)
    assert levels == {f"s{i}": 1 for i in range(2000)}
    assert Counted.looked_up <= 2003  # (once each)


def test_a_long_title_is_cut_in_the_names_of_its_clauses(qp, tmp_path):
    """(a title of 9 MB named each of 20 000 articles: the memory filled)"""
    def document(path, content):
        return word_file(path, body(
            b'<w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>' + b"T" * 400
            + b'</w:t></w:r></w:p><w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>'
            b"Article</w:t></w:r></w:p><w:p><w:r><w:t>" + content + b"</w:t></w:r></w:p>"))

    old, new = document(tmp_path / "a.docx", b"un"), document(tmp_path / "b.docx", b"deux")
    result = qp("diff", old, new)
    assert result.out.splitlines() == [f"--- {old}", f"+++ {new}",
                                       "=== " + "T" * 299 + "… › Article", "- un", "+ deux",
                                       "1 clause(s) différente(s)"]
