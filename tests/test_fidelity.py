"""The generated conventions reproduce the two signed texts word for word where the
territory's data is the same (seeds 000 and 001, kept in tests/fixtures)."""

from __future__ import annotations

import difflib
from collections import Counter

import pytest

from conftest import FIXTURES, ROOT
from docx_text import text, words

CASES = {
    # slug: (seed, words the document has and the seed lacks, with the reason)
    "toulouse": ("seed_toulouse.txt", {
        "septembre": 1,  # the seed shows the date stamp « 22 SEP. 2021 »
    }),
    "aix-marseille-provence": ("seed_aix_marseille_provence.txt", {
        # The list of annexes closes the convention (as in seed 000); the extraction of
        # seed 001 stops at the signatures.
        "Annexes": 1, ":": 4, "Annexe": 3, "1": 1, "2": 1, "3": 1, "Gouvernance": 1,
        "du": 1, "projet": 1, "Axes": 1, "stratégiques": 1, "Opérations": 1,
    }),
}


def convention_words(slug: str, out) -> list[str]:
    document = text(out / f"{slug}.docx")
    before_annexes = document.split("\nAnnexe 1 – ")[0]  # the annexes start on their own page
    return words(before_annexes)


@pytest.mark.parametrize("slug", CASES)
def test_generated_convention_matches_signed_text(slug, qp, tmp_path):
    result = qp("generate", slug, "--territories", ROOT / "territories", "--out", tmp_path / "out")
    assert result.code == 0, result.err
    seed, allowed_extras = CASES[slug]
    expected = words((FIXTURES / seed).read_text(encoding="utf-8"))
    generated = convention_words(slug, tmp_path / "out")

    matcher = difflib.SequenceMatcher(None, expected, generated, autojunk=False)
    found_in_order = sum(block.size for block in matcher.get_matching_blocks())
    assert found_in_order / len(expected) >= 0.98, matcher.get_opcodes()

    extras = Counter(generated) - Counter(expected)
    assert dict(extras) == allowed_extras


def test_both_conventions_come_from_the_same_model(qp, tmp_path):
    """The differences between the two documents are the territories' data only."""
    for slug in CASES:
        assert qp("generate", slug, "-t", ROOT / "territories", "-o", tmp_path).code == 0
    toulouse = text(tmp_path / "toulouse.docx")
    amp = text(tmp_path / "aix-marseille-provence.docx")
    assert "Toulouse Métropole s’engage à désigner une « Equipe Projet »" in toulouse.replace("\u00a0", " ")
    assert "L’intercommunalité bénéficiaire s’engage à désigner un « Coordonnateur »" in amp.replace("\u00a0", " ")
    assert "ou le Préfet du département des Bouches-du-Rhône le cas échéant," in amp
    assert "est la Banque des Territoires." in toulouse
    assert "est l’ANRU." in amp
    assert "A Marseille, le …" in amp
    assert "Fait en 2 exemplaires," in toulouse and "Le 22 septembre 2021" in toulouse
