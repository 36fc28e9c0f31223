"""Any text in any text field is either printed exactly as written or refused with a
located error: never interpreted (Jinja, Markdown, XML), never a crash."""

from __future__ import annotations

import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from docx_text import paragraphs
from qp_conventions.batch import build_document
from qp_conventions.errors import InvalidTerritory
from qp_conventions.french import capfirst
from qp_conventions.loader import FORBIDDEN_CHARS

# The refusals a text value may get: an invisible or control character, or nothing in it.
REFUSALS = ("caractère de contrôle interdit", "caractère invisible", "caractère invalide",
            "valeur vide")
from qp_conventions.model import is_to_complete

BASE = yaml.safe_load((FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8"))

# Fields whose text the document prints verbatim somewhere.
FIELDS = [
    ("intercommunalite", "nom"),
    ("intercommunalite", "representant", "prenom"),
    ("etat", "ministre", "fonction"),
    ("signature", "lieu"),
    ("annexe_1_gouvernance", 0, "nom"),
    ("annexe_1_gouvernance", 0, "membres", 1),
    ("annexe_1_gouvernance", 1, "role"),
    ("annexe_2_axes", 0, "intitule"),
    ("annexe_2_axes", 0, "objectifs", 0),
    ("annexe_2_axes", 0, "qpv", 0),
    ("annexe_2_axes", 1, "indicateurs", 0, "cible"),
    ("annexe_3_operations", 0, "intitule"),
    ("annexe_3_operations", 1, "maitre_ouvrage"),
    ("annexe_3_operations", 0, "financements", 2, "financeur"),
]

# Text that tries every way of being interpreted, mixed with arbitrary text.
NASTY = st.sampled_from([
    "{{ 7*7 }}", "{% include 'x' %}", "{# c #}", "**gras**", "*i*", "# Titre", "- puce",
    "| a | b |", "<w:p>x</w:p>", "&amp;", "<", "&", "]]>", "\ue000" + "0" + "\ue001",
    "::: signatures", "***", "`code`", "[lien](http://x)", "\\", "1.", "> cite", "'", '"',
    "\n", "\t", "« »", "€", "𝕏", "\u202f",
])
TEXT = st.lists(st.one_of(NASTY, st.text(min_size=1, max_size=12)), min_size=1,
                max_size=5).map("".join)


def set_path(data: dict, path: tuple, value: str) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=TEXT)
def test_any_text_is_printed_literally_or_refused_with_its_location(tmp_path, field, value):
    data = copy.deepcopy(BASE)
    set_path(data, field, value)
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        document, _ = build_document(path)
    except InvalidTerritory as refused:
        # refused only for what a territory file may not hold, and located
        assert refused.problems
        for problem in refused.problems:
            assert problem.line is not None
            assert problem.message.startswith(REFUSALS), problem.message
        written = yaml.safe_load(path.read_text(encoding="utf-8"))
        for part in field:
            written = written[part]
        assert FORBIDDEN_CHARS.search(written) or not written.strip()
        return
    # The value as the file says it (YAML folds some line breaks into spaces), with line
    # breaks as Word holds them and typographic apostrophes; a value that begins a
    # paragraph or a bullet gets a capital.
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    for part in field:
        written = written[part]
    expected = written.replace("\r\n", "\n").replace("\r", "\n").strip().replace("'", "\u2019")
    out = tmp_path / "x.docx"
    out.write_bytes(document)
    text = "\n".join(paragraphs(out))
    if is_to_complete(expected):
        assert "[à compléter" in text
    else:
        assert expected in text or capfirst(expected) in text
