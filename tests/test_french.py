"""French formatting: dates and amounts written by qp, checked against Babel's fr_FR."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from qp_conventions.departements import DEPARTEMENTS, of_departement
from qp_conventions.french import at, date_long, euros, month_year, of, percent, typography

AMOUNTS = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False,
                      allow_infinity=False)


@settings(derandomize=True)  # the same examples on every run: CI never flakes
@given(AMOUNTS)
def test_euros_match_babel(amount):
    whole = amount == amount.to_integral_value()
    pattern = "#,##0" if whole else "#,##0.00"
    assert euros(amount) == format_decimal(amount, format=pattern, locale="fr_FR") + "\u00a0€"


@settings(derandomize=True)
@given(AMOUNTS, AMOUNTS.filter(lambda d: d > 0))
def test_percent_matches_babel(part, whole):
    share = (part * 100 / whole).quantize(Decimal("0.1"))
    assert percent(part, whole) == format_decimal(share, format="#,##0.#", locale="fr_FR") + "\u00a0%"


def test_dates_match_babel():
    day = dt.date(2024, 1, 1)  # (a leap year: every day a date can be)
    while day.year == 2024:
        babel = format_date(day, format="d MMMM y", locale="fr_FR")
        assert date_long(day) == ("1er" + babel[1:] if day.day == 1 else babel)
        assert month_year(day) == format_date(day, format="MMMM y", locale="fr_FR")
        day += dt.timedelta(days=1)


def test_examples_a_reader_checks():
    assert euros(1250000) == "1\u202f250\u202f000\u00a0€"
    assert euros(Decimal("800000.50")) == "800\u202f000,50\u00a0€"
    assert date_long(dt.date(2021, 9, 22)) == "22 septembre 2021"
    assert date_long(dt.date(2021, 3, 1)) == "1er mars 2021"


def test_departement_articles():
    assert len(DEPARTEMENTS) == 101
    assert of_departement("Bouches-du-Rhône") == "des Bouches-du-Rhône"
    assert of_departement("Haute-Garonne") == "de la Haute-Garonne"
    assert of_departement("Nord") == "du Nord"
    assert of_departement("Hérault") == "de l'Hérault"
    assert of_departement("La Réunion") == "de La Réunion"


def test_contraction_of_de():
    assert of("Toulouse Métropole") == "de Toulouse Métropole"
    assert of("le Grand Narbonne") == "du Grand Narbonne"
    assert of("la Métropole Aix-Marseille-Provence") == "de la Métropole Aix-Marseille-Provence"
    assert of("l'EPT Est Ensemble") == "de l'EPT Est Ensemble"
    assert of("Laval Agglomération") == "de Laval Agglomération"
    assert of("Orly-Choisy") == "d'Orly-Choisy"
    assert of("Orée-du-Bois Agglomération") == "d'Orée-du-Bois Agglomération"
    assert of("Yerres") == "d'Yerres"
    assert of("Hérouville", "muet") == "d'Hérouville"
    assert of("Hautes-Terres Communauté", "aspire") == "de Hautes-Terres Communauté"
    assert of("les Communes du Val") == "des Communes du Val"


def test_contraction_of_a():
    assert at("Marseille") == ("à", "Marseille")
    assert at("Le Havre") == ("au", "Havre")
    assert at("Les Abymes") == ("aux", "Abymes")
    assert at("La Rochelle") == ("à", "La Rochelle")


def test_typography_of_the_model_text():
    assert typography("« la Convention » : l'objet ; 100 %") == \
        "«\u00a0la Convention\u00a0»\u00a0: l’objet\u00a0; 100\u00a0%"


def test_a_ministers_title_agrees_with_the_civility():
    from qp_conventions.french import title_disagreements

    assert title_disagreements("le Ministre délégué chargé de la Ville", "feminin") == [
        "le → la", "délégué → déléguée", "chargé → chargée"]
    assert title_disagreements("la Ministre déléguée auprès de la Ministre de la cohésion des "
                               "territoires, chargée de la Ville", "feminin") == []
    assert title_disagreements("la Ministre déléguée, chargée de la Ville", "masculin") == [
        "la → le", "déléguée → délégué", "chargée → chargé"]
    assert title_disagreements("Ministre chargé de la Ville", "masculin") == []
