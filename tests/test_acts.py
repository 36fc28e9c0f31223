"""A convention's life over years, as the README tells it (tests/fixtures/histoire): every
act signed with `qp sign`, archived and frozen; the people in office apart from the people
who signed; the programme's minister in territories/programme.yaml."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from docx_text import paragraphs
from test_lifecycle import has_watermark

STORY = FIXTURES / "histoire"


def archives(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "out" / "signees").iterdir())}


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), "utf-8")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text("utf-8") + text, "utf-8")


def signed_convention(story: Path, qp) -> Path:
    """The story's territory file once its convention is signed (15/10/2021)."""
    assert qp("sign", "val-histoire", "--date", "2021-10-15").code == 0
    return story / "territories" / "val-histoire.yaml"


def kept_unchanged(root: Path, before: dict[str, str]) -> None:
    """Every archive as it was, byte for byte (new ones may have come)."""
    now = archives(root)
    assert {name: now[name] for name in before} == before


@pytest.fixture
def story(tmp_path, monkeypatch):
    root = tmp_path / "histoire"
    shutil.copytree(STORY, root)
    monkeypatch.chdir(root)
    return root


def test_five_years_of_a_convention(story, qp):
    territory = story / "territories" / "val-histoire.yaml"
    out = story / "out"

    # 2021: the convention, signed by the president and the programme's minister
    signed = qp("sign", "val-histoire", "--date", "2021-10-15")
    assert signed.code == 0, signed.err
    assert signed.out.splitlines()[0] == (
        "val-histoire : la convention signée le 15/10/2021 par Camille Exemple et Dominique "
        "Modèle ; territories/val-histoire.yaml mis à jour (statut: signee, signature.date, "
        "signature.signataires), document signé archivé sous out/signees/val-histoire.docx")
    assert "      nom: Modèle" in territory.read_text("utf-8")  # who signed, in the file

    # 2022: the feuille de route, signed on its own
    append(territory, "\nfeuille_de_route:\n  lieu: Val-Fictif\n  exemplaires: 3\n")
    signed = qp("sign", "val-histoire", "feuille-de-route", "--date", "2022-03-10")
    assert signed.code == 0, signed.err
    assert "écrit : out/val-histoire.feuille-de-route.docx" in signed.out
    assert not has_watermark(out / "val-histoire.feuille-de-route.docx")
    record = json.loads((out / "signees" / "val-histoire.feuille-de-route.json").read_text("utf-8"))
    assert record["acte"] == "feuille-de-route" and record["signee_le"] == "10/03/2022"
    assert record["documents"][0]["annexes_signees"] is True

    # 2023: a prolongation, signed for the State by the préfète (article 4)
    append(territory, (
        "\navenants:\n  - numero: 1\n    lieu: Val-Fictif\n    exemplaires: 3\n"
        "    objet: prolongation\n    duree_mois: 72\n"))
    signed = qp("sign", "val-histoire", "avenant-1", "--date", "2023-02-01")
    assert signed.code == 0, signed.err
    assert signed.out.startswith("val-histoire : l'avenant n° 1 signé le 01/02/2023 par Camille "
                                 "Exemple et Claude Fictif ;")
    avenant = paragraphs(out / "val-histoire.avenant-1.docx")
    assert "L’État représenté par la Préfète du département du Loiret, Claude Fictif," in avenant
    assert "Préfète du département du Loiret" in avenant
    before = archives(story)
    assert sorted(before) == [
        "val-histoire.avenant-1.docx", "val-histoire.avenant-1.json", "val-histoire.docx",
        "val-histoire.feuille-de-route.docx", "val-histoire.feuille-de-route.json",
        "val-histoire.json"]

    # 2026: an election, and a new minister for the programme
    edit(territory, "    civilite: Madame\n    prenom: Camille\n    nom: Exemple\n"
                    "    fonction: présidente\n",
         "    civilite: Monsieur\n    prenom: Alix\n    nom: Nouveau\n    fonction: président\n")
    edit(story / "territories" / "programme.yaml", "  civilite: Monsieur\n  prenom: Dominique\n"
         "  nom: Modèle", "  civilite: Madame\n  prenom: Sacha\n  nom: Suivante")
    edit(story / "territories" / "programme.yaml", "Ministre fictif chargé",
         "Ministre fictive chargée", count=2)
    edit(story / "territories" / "programme.yaml", "le Ministre fictive", "la Ministre fictive")
    generated = qp("generate", "--all")
    assert generated.code == 0, generated.err
    assert "3 document(s) : 0 écrit(s), 3 inchangé(s), 0 en échec" in generated.out
    assert "Madame Camille EXEMPLE | Monsieur Dominique MODÈLE" in [
        " | ".join(row) for row in _signature_rows(out / "val-histoire.docx")]

    # a change of annex 2 needs an avenant
    edit(territory, "Accompagner 40 porteurs de projet par an",
         "Accompagner 60 porteurs de projet par an")
    refused = qp("generate", "val-histoire")
    assert refused.code == 1
    assert ("territories/val-histoire.yaml: erreur : feuille_de_route.date : les annexes signées "
            "avec la feuille de route le 10/03/2022 ne peuvent plus changer : « Accompagner 60 "
            "porteurs de projet par an » au lieu de « Accompagner 40 porteurs de projet par an ». "
            "Pour les modifier, ajoutez un avenant « objet: feuille_de_route » (rubrique "
            "avenants) : la feuille de route révisée sera annexée à cet avenant") in refused.err
    kept_unchanged(story, before)

    # the avenant that revises the feuille de route: its own document, PROJET until signed,
    # naming the people in office; the signed documents stay as signed
    append(territory, (
        "  - numero: 2\n    lieu: Val-Fictif\n    exemplaires: 3\n"
        "    objet: feuille_de_route\n    feuille_de_route: 2026-09-01\n"))
    generated = qp("generate", "val-histoire")
    assert generated.code == 0, generated.err
    for name in ("val-histoire.docx", "val-histoire.feuille-de-route.docx"):
        assert (out / name).read_bytes() == (out / "signees" / name).read_bytes()
    revised = paragraphs(out / "val-histoire.feuille-de-route-2.docx")
    assert "Accompagner 60 porteurs de projet par an" in revised
    assert has_watermark(out / "val-histoire.feuille-de-route-2.docx")
    assert "Monsieur Alix NOUVEAU | Madame Sacha SUIVANTE" in [
        " | ".join(row) for row in _signature_rows(out / "val-histoire.avenant-2.docx")]
    assert "La Communauté d’agglomération du Val-Fictif représentée par son président Alix " \
        "Nouveau." in paragraphs(out / "val-histoire.avenant-2.docx")
    signed = qp("sign", "val-histoire", "avenant-2", "--date", "2026-09-01")
    assert signed.code == 0, signed.err
    assert not has_watermark(out / "val-histoire.feuille-de-route-2.docx")
    assert (out / "signees" / "val-histoire.feuille-de-route-2.docx").exists()
    kept_unchanged(story, before)
    detail = qp("report", "--detail")
    assert detail.code == 0, detail.err
    assert ("Feuille de route : signée le 10 mars 2022, révisée le 1er septembre 2026 "
            "(avenant n° 2) (attendue le 18 septembre 2021)") in " ".join(detail.out.split())
    assert "n°\u00a02" in detail.out

    # later: a new minister again changes no signed act
    edit(story / "territories" / "programme.yaml", "nom: Suivante", "nom: Troisième")
    generated = qp("generate", "--all")
    assert "5 document(s) : 0 écrit(s), 5 inchangé(s), 0 en échec" in generated.out
    listed = qp("list")
    assert listed.out.splitlines()[1:] == [
        "val-histoire  signée  Bpifrance               18/03/2027  rien",
        "  convention signée le 15/10/2021 · feuille de route signée le 10/03/2022 ·",
        "  avenant n° 1 signé le 01/02/2023 · avenant n° 2 signé le 01/09/2026"]


def _signature_rows(document: Path) -> list[list[str]]:
    """The signature block's first line of each column, row by row (names)."""
    import docx

    rows = []
    for table in docx.Document(str(document)).tables:
        for row in table.rows:
            rows.append([cell.text.strip() for cell in row.cells])
    return rows


def test_the_programme_file_is_never_a_territory(story, qp):
    validated = qp("validate")
    assert validated.code == 0
    assert "1 fichier(s) vérifié(s)" in validated.out
    assert qp("generate", "--all").code == 0
    assert sorted(p.name for p in (story / "out").glob("*.docx")) == ["val-histoire.docx"]
    refused = qp("generate", "programme")
    assert refused.code == 1
    assert ("erreur : territories/programme.yaml n'est pas un territoire : il tient les faits "
            "nationaux du programme (ministre, vagues de labellisation), que chaque territoire du "
            "dossier reprend ; qp validate le vérifie avec eux") in refused.err
    assert "programme" not in qp("list").out


def test_a_wrong_programme_file_is_named_for_every_territory(story, qp):
    edit(story / "territories" / "programme.yaml", "    territoires: 14", "    territoires: 0")
    validated = qp("validate")
    assert validated.code == 1
    assert validated.err.count("territories/programme.yaml:11:18: erreur : vagues[1].territoires") == 1


def test_a_wrong_programme_file_is_printed_once_and_named_by_each_territory(story, qp):
    shutil.copy(story / "territories" / "val-histoire.yaml", story / "territories" / "val-bis.yaml")
    edit(story / "territories" / "programme.yaml", "    territoires: 14", "    territoires: 0")
    for command in (("validate",), ("generate", "--all")):
        result = qp(*command)
        assert result.code == 1
        assert result.err.count("territories/programme.yaml:11:18: erreur : vagues[1].territoires") == 1
        for name in ("val-bis", "val-histoire"):
            assert (f"territories/{name}.yaml: erreur : en attente des faits nationaux : corrigez "
                    "d'abord territories/programme.yaml (1 erreur(s))") in result.err
    assert "2 fichier(s) vérifié(s) : 3 erreur(s)" in qp("validate").out


@pytest.mark.parametrize("name", ["Programme.yaml", "programme.yml", "PROGRAMME.YML"])
def test_the_programme_file_under_another_spelling_is_still_the_national_facts(story, qp, name):
    (story / "territories" / "programme.yaml").rename(story / "territories" / name)
    edit(story / "territories" / name, "    territoires: 14", "    territoires: 0")
    validated = qp("validate")
    assert validated.code == 1
    assert f"territories/{name}:11:18: erreur : vagues[1].territoires" in validated.err
    assert "rubrique obligatoire" not in validated.err  # (never read as a territory)
    assert "1 fichier(s) vérifié(s)" in validated.out


def test_two_programme_files_are_refused(story, qp):
    shutil.copy(story / "territories" / "programme.yaml", story / "territories" / "programme.yml")
    validated = qp("validate")
    assert validated.code == 1
    assert ("territories/programme.yml: erreur : deux fichiers des faits nationaux : "
            "programme.yaml, programme.yml ; gardez-en un seul, nommé programme.yaml") in validated.err


def test_a_territory_of_a_later_wave_says_its_own_labellisation(story, qp):
    edit(story / "territories" / "programme.yaml", "    territoires: 14",
         "    territoires: 14\n  - date: 2027-01-15\n    territoires: 10")
    territory = story / "territories" / "val-histoire.yaml"
    territory.write_text("labellisation: 2027-01-15\n" + territory.read_text("utf-8"), "utf-8")
    edit(territory, "  date: 2021-10-15\n", "")
    assert qp("generate", "val-histoire").code == 0
    text = paragraphs(story / "out" / "val-histoire.docx")
    assert ("L’intercommunalité signataire a confirmé sa volonté de participer à ce programme "
            "expérimental par retour écrit adressé au Ministère chargé de la ville. Lancé le 18 "
            "mars 2021 avec la labellisation des premiers territoires Quartiers productifs, le "
            "programme l’a labellisée territoire Quartiers productifs le 15 janvier 2027 "
            "(ci-après désignée «\xa0la Labellisation\xa0»).") in text
    assert any(line.startswith("Le programme est déployé sur 24 territoires expérimentateurs")
               for line in text)
    assert not any("ont été labellisés les 14 territoires" in line for line in text)


def test_a_prolongation_after_the_end_is_refused_and_changes_nothing(story, qp):
    territory = signed_convention(story, qp)
    append(territory, (
        "\navenants:\n  - numero: 1\n    objet: prolongation\n    duree_mois: 36\n"))
    before_file, before = territory.read_bytes(), archives(story)
    refused = qp("sign", "val-histoire", "avenant-1", "--date", "2023-04-01")
    assert refused.code == 1
    assert ("erreur : avenants[1].date : l'avenant de prolongation (01/04/2023) suit la fin "
            "qu'il prolongerait (18/03/2023) : une convention échue ne se prolonge plus ; une "
            "prolongation se signe avant la fin de la convention") in refused.err
    assert territory.read_bytes() == before_file and archives(story) == before


def test_a_hand_typed_date_of_an_act_is_reported_with_its_command(story, qp):
    territory = signed_convention(story, qp)
    append(territory, "\nfeuille_de_route:\n  date: 2022-03-10\n")
    generated = qp("generate", "val-histoire")
    assert generated.code == 0
    assert ("territories/val-histoire.yaml: avertissement : feuille_de_route.date : la feuille de "
            "route signée le 10/03/2022, mais pas archivée : lancez « qp sign val-histoire "
            "feuille-de-route --date 2022-03-10 » pour garder le document signé") in generated.err


def test_an_archived_avenant_that_left_the_file_is_an_error(story, qp):
    territory = signed_convention(story, qp)
    original = territory.read_text("utf-8")
    territory.write_text(original + (
        "\navenants:\n  - numero: 1\n    objet: prolongation\n    duree_mois: 36\n"), "utf-8")
    assert qp("sign", "val-histoire", "avenant-1", "--date", "2022-06-01").code == 0
    territory.write_text(original, "utf-8")
    refused = qp("generate", "val-histoire")
    assert refused.code == 1
    assert ("erreur : avenants : l'avenant n° 1 est signé et archivé sous out/signees, mais le "
            "fichier ne l'a plus : remettez-le dans la rubrique avenants") in refused.err


def test_a_new_territory_takes_the_minister_of_the_programme(story, qp):
    created = qp("new", "val-neuf", "--nom", "Communauté de communes du Val-Neuf",
                 "--departement", "Loiret")
    assert created.code == 0, created.err
    text = (story / "territories" / "val-neuf.yaml").read_text("utf-8")
    assert "\n  ministre:" not in text  # (qp new writes no minister: programme.yaml's)
    edit(story / "territories" / "val-neuf.yaml", "  signataire: à compléter",
         "  signataire: ministre")
    assert qp("generate", "val-neuf").code == 0
    document = paragraphs(story / "out" / "val-neuf.docx")
    assert "L’État représenté par le Ministre fictif chargé de la Ville, Dominique Modèle," \
        in document
    # « à compléter » in a territory is what it does not know: the programme knows it
    edit(story / "territories" / "val-neuf.yaml", "  signataire: ministre",
         "  signataire: ministre\n  ministre:\n    nom: à compléter\n    prenom: Camille")
    assert qp("generate", "val-neuf").code == 0
    assert "L’État représenté par le Ministre fictif chargé de la Ville, Camille Modèle," \
        in paragraphs(story / "out" / "val-neuf.docx")


def test_a_layout_qp_cannot_sign_in_is_refused_and_nothing_archived(story, qp):
    territory = signed_convention(story, qp)
    append(territory, (
        "\navenants:\n  - {numero: 1, objet: prolongation,\n     duree_mois: 72  # six ans\n"
        "    }\n"))
    before_file, before = territory.read_bytes(), archives(story)
    refused = qp("sign", "val-histoire", "avenant-1", "--date", "2023-02-01")
    assert refused.code == 1
    assert ("erreur : territories/val-histoire.yaml : qp ne sait pas écrire la signature de "
            "l'avenant n° 1 dans la mise en page de ce fichier : écrivez vous-même "
            "avenants[1].date: 2023-02-01 (en lignes, une clé par ligne), puis relancez ; rien "
            "n'a été changé") in refused.err
    assert territory.read_bytes() == before_file and archives(story) == before


def test_no_act_is_signed_on_top_of_a_signed_act_changed_since(story, qp):
    territory = signed_convention(story, qp)
    append(territory, (
        "\navenants:\n  - numero: 1\n    lieu: Val-Fictif\n    exemplaires: 3\n"
        "    objet: prolongation\n    duree_mois: 36\n"))
    assert qp("sign", "val-histoire", "avenant-1", "--date", "2023-02-01").code == 0
    # the signed prolongation changed by hand, then another avenant signed after the end
    # the signed one gives (18/03/2024)
    edit(territory, "duree_mois: 36", "duree_mois: 60")
    append(territory, (
        "  - numero: 2\n    lieu: Val-Fictif\n    exemplaires: 3\n"
        "    objet: chef_de_file\n    chef_de_file: anru\n"))
    before_file, before = territory.read_bytes(), archives(story)
    for command in (("avenant-2", "--date", "2025-01-10"), ("avenant-2", "--a-signer")):
        refused = qp("sign", "val-histoire", *command)
        assert refused.code == 1
        assert ("territories/val-histoire.yaml: erreur : avenants[1].date : l'avenant n° 1 signé "
                "le 01/02/2023 ne peut plus changer") in refused.err
        assert territory.read_bytes() == before_file and archives(story) == before
    assert not (story / "out" / "val-histoire.avenant-2.a-signer.pdf").exists()


def test_a_signature_changed_by_hand_is_named_by_validate_and_list(story, qp):
    territory = signed_convention(story, qp)
    signed = territory.read_text("utf-8")
    edit(territory, "  date: 2021-10-15", "  date: 2021-10-16")
    validated = qp("validate")
    assert validated.code == 1
    assert ("territories/val-histoire.yaml: erreur : signature.date : la convention signée le "
            "15/10/2021 (archivée sous out/signees) : le fichier dit le 16/10/2021 ; une date de "
            "signature ne change pas, remettez-y 2021-10-15") in validated.err
    assert "val-histoire  1 erreur(s) : qp validate territories/val-histoire.yaml" in qp("list").out
    territory.write_text(signed, "utf-8")
    edit(territory, "      nom: Modèle", "      nom: Autre")
    validated = qp("validate")
    assert validated.code == 1
    assert ("territories/val-histoire.yaml: erreur : signature.signataires : la convention "
            "signée le 15/10/2021 l'a été par Madame Camille Exemple et Monsieur Dominique "
            "Modèle (archivée sous out/signees) : le fichier nomme Madame Camille Exemple et "
            "Monsieur Dominique Autre ; ceux qui ont signé ne changent pas") in validated.err
    territory.write_text(signed, "utf-8")
    assert qp("validate").code == 0
    edit(territory, "statut: signee", "statut: brouillon")
    validated = qp("validate")
    assert validated.code == 1
    assert ("territories/val-histoire.yaml: erreur : statut : la convention est signée depuis le "
            "15/10/2021 (archivée sous out/signees/val-histoire.docx), mais le fichier ne le dit "
            "plus : remettez-y « statut: signee » et la date de signature") in validated.err
    territory.write_text(signed, "utf-8")
    (story / "out" / "signees" / "val-histoire.json").write_text("{", "utf-8")
    validated = qp("validate")
    assert validated.code == 1
    assert ("erreur : statut : archive de la convention signée out/signees/val-histoire.json "
            "endommagée (contenu inattendu)") in validated.err


@pytest.fixture
def corrected_model(tmp_path, monkeypatch):
    """A copy of the national model, for a test to correct (the templates of a checkout
    stay as they are)."""
    import qp_conventions.render as render

    from conftest import ROOT

    copy = tmp_path / "modele"
    shutil.copytree(ROOT / "templates", copy)
    monkeypatch.setattr(render, "templates_dir", lambda: copy)
    return copy


def test_a_correction_of_the_model_keeps_the_signed_acts_as_signed(story, qp, corrected_model):
    territory = story / "territories" / "val-histoire.yaml"
    out = story / "out"
    assert qp("sign", "val-histoire", "--date", "2021-10-15").code == 0
    append(territory, (
        "\navenants:\n  - numero: 1\n    lieu: Val-Fictif\n    exemplaires: 3\n"
        "    objet: prolongation\n    duree_mois: 36\n"))
    assert qp("sign", "val-histoire", "avenant-1", "--date", "2023-02-01").code == 0
    before = archives(story)
    signed = (out / "val-histoire.avenant-1.docx").read_bytes()
    edit(corrected_model / "avenant.md.j2", "demeurent inchangées", "restent inchangées")
    generated = qp("generate", "--all")
    assert generated.code == 0, generated.err
    assert ("territories/val-histoire.yaml: avertissement : avenants[1].date : le modèle "
            "national a changé le texte de l'avenant n° 1 signé le 01/02/2023 : le document "
            "signé est gardé tel quel (out/signees/val-histoire.avenant-1.docx)") in generated.err
    assert (out / "val-histoire.avenant-1.docx").read_bytes() == signed
    kept_unchanged(story, before)
    # a new avenant takes the corrected model; a change of the data is still refused
    append(territory, (
        "  - numero: 2\n    lieu: Val-Fictif\n    exemplaires: 3\n"
        "    objet: chef_de_file\n    chef_de_file: anru\n"))
    assert qp("generate", "--all").code == 0
    assert "Les autres stipulations de la Convention restent inchangées." in paragraphs(
        out / "val-histoire.avenant-2.docx")
    edit(territory, "duree_mois: 36", "duree_mois: 48")
    refused = qp("generate", "--all")
    assert refused.code == 1
    assert ("erreur : avenants[1].date : l'avenant n° 1 signé le 01/02/2023 ne peut plus "
            "changer") in refused.err


def test_an_avenant_that_names_only_its_state_signatory_is_signed(story, qp):
    territory = signed_convention(story, qp)
    append(territory, (
        "\navenants:\n  - numero: 1\n    lieu: Orléans\n    exemplaires: 2\n"
        "    objet: chef_de_file\n    chef_de_file: anct\n    signataires:\n      etat:\n"
        "        signataire: prefet\n        prefet: {departement: Loiret, civilite: Madame, "
        "prenom: Claude, nom: Fictif}\n"))
    signed = qp("sign", "val-histoire", "avenant-1", "--date", "2023-01-15")
    assert signed.code == 0, signed.err
    assert territory.read_text("utf-8").endswith(
        "    signataires:\n      etat:\n        signataire: prefet\n        prefet: {departement: "
        "Loiret, civilite: Madame, prenom: Claude, nom: Fictif}\n      representant:\n"
        "        civilite: Madame\n        prenom: Camille\n        nom: Exemple\n"
        "        fonction: présidente\n    date: 2023-01-15\n")
    assert "Madame Camille EXEMPLE | Madame Claude FICTIF" in [
        " | ".join(row) for row in _signature_rows(story / "out" / "signees" /
                                                   "val-histoire.avenant-1.docx")]


def test_an_act_dated_before_a_later_signature_names_who_signed_it(story, qp):
    territory = signed_convention(story, qp)
    append(territory, "\nfeuille_de_route:\n  lieu: Val-Fictif\n  exemplaires: 3\n")
    assert qp("sign", "val-histoire", "feuille-de-route", "--date", "2022-03-10").code == 0
    edit(territory, "    civilite: Madame\n    prenom: Camille\n    nom: Exemple\n"
                    "    fonction: présidente\n",
         "    civilite: Monsieur\n    prenom: Alix\n    nom: Nouveau\n    fonction: président\n")
    append(territory, (
        "avenants:\n  - numero: 1\n    lieu: Val-Fictif\n    exemplaires: 3\n"
        "    objet: chef_de_file\n    chef_de_file: anru\n"))
    before_file, before = territory.read_bytes(), archives(story)
    refused = qp("sign", "val-histoire", "avenant-1", "--date", "2021-12-01")
    assert refused.code == 1
    assert refused.err == (
        "erreur : la feuille de route signée le 10/03/2022 l'a été par Camille Exemple, après "
        "le 01/12/2021 : ce jour-là, Alix Nouveau, en fonction aujourd'hui, ne l'était peut-être "
        "pas : inscrivez ceux qui ont signé l'avenant n° 1 sous avenants[1].signataires (mêmes "
        "clés que intercommunalite.representant et etat), puis relancez ; rien n'a été changé\n")
    assert territory.read_bytes() == before_file and archives(story) == before
    signed = qp("sign", "val-histoire", "avenant-1", "--date", "2023-01-10")
    assert signed.code == 0, signed.err
    assert "par Alix Nouveau et Dominique Modèle" in signed.out


def test_the_prefect_who_signs_a_prolongation_is_a_fact_to_complete(story, qp):
    territory = signed_convention(story, qp)
    edit(territory, "    departement: Loiret\n    civilite: Madame\n    prenom: Claude\n"
                    "    nom: Fictif\n", "    departement: Loiret\n")
    assert "0 erreur(s), 1 fait(s) à compléter" in qp("validate").out
    append(territory, (
        "\navenants:\n  - numero: 1\n    lieu: Val-Fictif\n    exemplaires: 3\n"
        "    objet: prolongation\n    duree_mois: 36\n"))
    validated = qp("validate")
    assert validated.code == 0
    assert "0 erreur(s), 4 fait(s) à compléter" in validated.out
    assert ("territories/val-histoire.yaml:21:3: avertissement : etat.prefet.nom : à compléter : "
            "nom du préfet (l'avenant n° 1 l'imprime)") in validated.err
    assert "val-histoire  signée  Bpifrance               18/03/2023  4" in qp("list").out


def test_a_new_minister_whose_title_keeps_the_former_gender_is_refused(story, qp):
    programme = story / "territories" / "programme.yaml"
    edit(programme, "  civilite: Monsieur\n  prenom: Dominique\n  nom: Modèle",
         "  civilite: Madame\n  prenom: Sophie\n  nom: Nouvelle")
    validated = qp("validate")
    assert validated.code == 1
    assert ("territories/programme.yaml:7:13: erreur : ministre.fonction : « le Ministre fictif "
            "chargé de la Ville » pour Madame Sophie Nouvelle : l'accord ne suit pas la civilité "
            "(le → la, chargé → chargée) ; corrigez le titre ou la civilité") in validated.err
    edit(programme, "fonction: le Ministre fictif chargé", "fonction: la Ministre fictive chargée")
    edit(programme, "Ministre fictif chargé de la Ville", "Ministre fictive chargée de la Ville")
    assert qp("validate").code == 0


def test_no_pdf_to_sign_for_an_act_that_could_not_be_signed_today(story, qp):
    territory = signed_convention(story, qp)
    append(territory, (
        "\navenants:\n  - numero: 1\n    lieu: Val-Fictif\n    exemplaires: 3\n"
        "    objet: chef_de_file\n    chef_de_file: anru\n"
        "  - numero: 2\n    lieu: Val-Fictif\n    exemplaires: 3\n"
        "    objet: feuille_de_route\n    feuille_de_route: 2022-12-01\n"))
    late = qp("sign", "val-histoire", "avenant-1", "--a-signer")
    assert late.code == 1
    assert "suit la fin de la convention (18/03/2023)" in late.err
    assert late.err.endswith("erreur : val-histoire : l'avenant n° 1 ne peut être signé en "
                             "l'état, aucun PDF à signer n'a été écrit\n")
    two = qp("sign", "val-histoire", "avenant-2", "--a-signer")
    assert two.code == 1
    assert two.err == ("erreur : l'avenant n° 2 révise la feuille de route, qu'il annexe : ses "
                       "deux documents se signent ensemble, et qp ne sait pas encore les réunir "
                       "en un seul PDF à signer ; signez-les sur papier, puis enregistrez la "
                       "signature avec « qp sign … avenant-2 --date AAAA-MM-JJ »\n")
    assert not list((story / "out").glob("*.pdf"))


def test_one_copy_is_un_exemplaire(story, qp):
    territory = story / "territories" / "val-histoire.yaml"
    edit(territory, "exemplaires: 3", "exemplaires: 1")
    assert qp("sign", "val-histoire", "--date", "2021-10-15").code == 0
    append(territory, (
        "\nfeuille_de_route:\n  lieu: Val-Fictif\n  exemplaires: 1\n"
        "avenants:\n  - numero: 1\n    lieu: Val-Fictif\n    exemplaires: 1\n"
        "    objet: prolongation\n    duree_mois: 36\n"))
    assert qp("generate", "--all", "--roadmap").code == 0
    for name in ("val-histoire", "val-histoire.feuille-de-route", "val-histoire.avenant-1"):
        text = paragraphs(story / "out" / f"{name}.docx")
        assert "Fait en un exemplaire," in text, name
        assert not any("1 exemplaires" in line for line in text)


def test_a_damaged_archive_is_named_and_never_copied(story, qp):
    assert qp("sign", "val-histoire", "--date", "2021-10-15").code == 0
    kept = story / "out" / "signees" / "val-histoire.docx"
    kept.write_bytes(b"garbage")
    working = (story / "out" / "val-histoire.docx").read_bytes()
    damaged = ("territories/val-histoire.yaml: erreur : statut : document signé "
               "out/signees/val-histoire.docx endommagé (son empreinte a changé) : ce n'est plus "
               "le document archivé le 15/10/2021 ; reprenez-le de l'historique (git), ne le "
               "supprimez pas")
    refused = qp("generate", "--all")
    assert refused.code == 1
    assert refused.err.count(damaged) == 1
    assert (story / "out" / "val-histoire.docx").read_bytes() == working
    # said by every command that reads the territory, not only when generating
    validated = qp("validate")
    assert validated.code == 1 and damaged in validated.err
    listed = qp("list")
    assert listed.code == 0
    assert "val-histoire  1 erreur(s) : qp validate territories/val-histoire.yaml" in listed.out
    kept.unlink()
    gone = qp("validate")
    assert ("territories/val-histoire.yaml: erreur : statut : document signé le 15/10/2021, "
            "archivé sous out/signees/val-histoire.docx, illisible ou absent (fichier ou dossier "
            "introuvable) : reprenez-le de l'historique (git)") in gone.err


def test_signatories_written_in_part_are_completed_at_signature(story, qp):
    territory = story / "territories" / "val-histoire.yaml"
    edit(territory, "  exemplaires: 3\n", "  exemplaires: 3\n  signataires:\n    etat:\n"
         "      signataire: prefet\n      prefet: {departement: Loiret, civilite: Monsieur, "
         "prenom: Luc, nom: Autre}\n")
    signed = qp("sign", "val-histoire", "--date", "2021-10-15")
    assert signed.code == 0, signed.err
    assert "par Camille Exemple et Luc Autre" in signed.out
    edit(territory, "    prenom: Camille\n    nom: Exemple\n", "    prenom: Alix\n    nom: Nouveau\n")
    assert qp("generate", "val-histoire").code == 0  # the president in office changed


@pytest.mark.parametrize("act", ["avenant-x", "Avenant-1", "avenant-0", "annexe"])
def test_an_act_badly_written_is_a_usage_error(story, qp, act):
    result = qp("sign", "val-histoire", act, "--date", "2021-10-15")
    assert result.code == 2
    assert result.err.startswith(f"erreur : acte « {act} » inconnu : écrivez convention, "
                                 "feuille-de-route ou avenant-N (avenant-1, avenant-2…)")


def test_waves_in_order_from_the_launch(story, qp):
    edit(story / "territories" / "programme.yaml", "    territoires: 14",
         "    territoires: 14\n  - date: 2021-03-18\n    territoires: 14")
    result = qp("validate")
    assert result.code == 1
    assert ("territories/programme.yaml:12:11: erreur : vagues[2].date : vague du 18/03/2021 : "
            "les vagues se suivent, une date par vague, de la plus ancienne à la plus récente"
            ) in result.err
    territory = story / "territories" / "val-histoire.yaml"
    edit(story / "territories" / "programme.yaml", "  - date: 2021-03-18\n    territoires: 14\n"
         "  - date: 2021-03-18", "  - date: 2021-03-18\n    territoires: 14\n  - date: 2022-01-10")
    territory.write_text("labellisation: 2021-01-01\n" + territory.read_text("utf-8"), "utf-8")
    result = qp("validate")
    assert ("territories/val-histoire.yaml:1:16: erreur : labellisation : labellisation du "
            "01/01/2021 : le programme a été lancé le 18/03/2021, avec la première vague"
            ) in result.err
