"""The national model fails loudly on its own mistakes instead of printing nothing."""

from __future__ import annotations

import zipfile

import jinja2
import pytest

from qp_conventions.docx import load_reference
from qp_conventions.errors import QPError
from qp_conventions.render import environment, templates_dir


def render(tmp_path, source: str, **context) -> str:
    (tmp_path / "t.md.j2").write_text(source, encoding="utf-8")
    return environment(tmp_path).get_template("t.md.j2").render(values=[], **context)


def test_an_undefined_variable_is_an_error(tmp_path):
    with pytest.raises(jinja2.UndefinedError):
        render(tmp_path, "Le {{ chef_de_fil }} s'engage.")


def test_an_undefined_attribute_is_an_error(tmp_path):
    with pytest.raises(jinja2.UndefinedError):
        render(tmp_path, "{{ interco.nom_court }}", interco={"nom": "x"})


def test_printing_nothing_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="valeur vide"):
        render(tmp_path, "Fait en {{ exemplaires }} exemplaires", exemplaires=None)


def test_values_become_markers_and_the_model_text_stays(tmp_path):
    text = render(tmp_path, "**{{ nom }}** : {% if 1 %}texte{% endif %}", nom="{{ 7*7 }} **x**")
    assert text == "**\ue0000\ue001** : texte"


def test_a_reference_document_missing_a_style_is_explained(tmp_path):
    broken = tmp_path / "reference.docx"
    with zipfile.ZipFile(templates_dir() / "reference.docx") as source, \
            zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/styles.xml":  # as if renamed in Word
                data = data.replace(b'w:val="Tableau"', b'w:val="Cellule"')
            target.writestr(item, data)
    with pytest.raises(QPError, match="n'a plus le\\(s\\) style\\(s\\) Tableau"):
        load_reference(broken)
