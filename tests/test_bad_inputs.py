"""Careless and hostile territory files: each gets its exact French message with file,
line and column, exit code 1, no traceback, and out/ stays as it was.

The files are in tests/bad_inputs/, each named after its mistake."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, checkout_env
from docx_text import paragraphs

BAD = Path(__file__).resolve().parent / "bad_inputs"

# file -> every error line `qp` must print for it (after « territories/<file>: »)
CASES = {
    'fin_de_fichier_dans_une_liste.yaml': [
        "3:1: erreur : le fichier se termine au milieu d'une valeur : une liste « [ » ou une rubrique « { » ouverte plus haut n'est pas fermée, ou une valeur manque après « - » ou « : »",
    ],
    'code_operation_en_double_a_la_casse_pres.yaml': [
        "23:11: erreur : annexe_3_operations[2].code : code d'opération « op1 » déjà utilisé par l'opération n°1 (écrit « OP1 »)",
    ],
    'genre_contredit_par_le_nom.yaml': [
        "3:10: erreur : intercommunalite.genre : le nom « le Grand Val-Fictif » commence par « le » : son genre est masculin (genre: masculin)",
    ],
    'nom_en_h_sans_h_initial.yaml': [
        "2:8: erreur : intercommunalite.nom : le nom « Hautes-Terres du Val-Fictif » commence par un h : dites s'il est muet (h_initial: muet, « d'Hérouville ») ou aspiré (h_initial: aspire, « de Hautes-Terres »)",
    ],
    'fonction_contredit_la_civilite.yaml': [
        "7:15: erreur : intercommunalite.representant.fonction : fonction « président » pour Madame : écrivez « présidente » (ou corrigez la civilité)",
    ],
    'valeur_par_defaut_vide.yaml': [
        "4:8: erreur : statut : une valeur vide ne convient pas ici : retirez la ligne pour la valeur par défaut (brouillon)",
        "5:15: erreur : labellisation : une valeur vide ne convient pas ici : retirez la ligne pour la valeur par défaut (2021-03-18)",
        "6:12: erreur : redaction : une valeur vide ne convient pas ici : retirez la ligne pour la valeur par défaut (modele-2026)",
    ],
    'a_completer_impossible.yaml': [
        "4:9: erreur : statut : « à compléter » ne convient pas ici : retirez la ligne pour la valeur par défaut (brouillon)",
        "5:16: erreur : labellisation : « à compléter » ne convient pas ici : retirez la ligne pour la valeur par défaut (2021-03-18)",
        "7:11: erreur : annexe_2_axes[1].code : « à compléter » ne convient pas ici : le code de l'axe relie les annexes entre elles, écrivez-le (par exemple A1)",
        "9:14: erreur : annexe_2_axes[1].domaine : « à compléter » ne convient pas ici : écrivez le domaine d'intervention (entrepreneuriat, commerce_artisanat ou activites_productives)",
        "14:10: erreur : annexe_3_operations[1].axe : « À compléter » ne convient pas ici : le code de l'axe de l'opération relie les annexes entre elles, écrivez-le (par exemple A1)",
        "24:17: erreur : signature.ordre[2] : « à compléter » ne convient pas ici : écrivez le signataire (intercommunalite ou etat)",
    ],
    'balise_contraire.yaml': [
        '3:17: erreur : balise YAML « !!str » contraire à la valeur qui la suit : retirez-la',
    ],
    'balise_bool_invalide.yaml': [
        '5:9: erreur : signature.lieu : valeur « Orléans » illisible (ne peut être lue comme « !!bool » : retirez la balise, ou corrigez la valeur)',
    ],
    'balise_date_invalide.yaml': [
        '5:9: erreur : signature.date : valeur « demain » illisible (date impossible : écrivez une date AAAA-MM-JJ existante, ou mettez le texte entre guillemets)',
    ],
    'code_hors_unicode.yaml': [
        ' erreur : code de caractère impossible dans un texte entre guillemets (« \\U… » au-delà de Unicode) : corrigez-le, ou mettez le texte entre guillemets simples',
    ],
    'trait_d_union_conditionnel.yaml': [
        "5:13: erreur : caractère invisible U+00AD (trait d'union conditionnel) interdit, souvent issu d'un copier-coller : supprimez-le",
    ],
    'caractere_etiquette_invisible.yaml': [
        "5:9: erreur : signature.lieu : caractère invisible U+E0041 interdit, souvent issu d'un copier-coller : supprimez-le",
    ],
    'point_d_interrogation.yaml': [
        "2:8: erreur : « ? » inattendu : une valeur qui commence par « ? » s'écrit entre guillemets",
    ],
    'tiret_apres_cle.yaml': [
        '2:8: erreur : « - » inattendu : une liste commence à la ligne suivante (« - … » sous la clé, indenté), ou mettez la valeur entre guillemets',
    ],
    'entete_yaml_inconnu.yaml': [
        '1:1: erreur : en-tête « %YAML » non reconnu : retirez cette ligne',
    ],
    'montant_vide.yaml': [
        "14:16: erreur : annexe_3_operations[1].cout_total : montant vide : écrivez un nombre d'euros sans espace ni symbole, avec un point pour les centimes (par exemple 1250000 ou 1250000.50)",
    ],
    'alias_recursif.yaml': [
        '5:5: erreur : alias récursif « *boucle » : la structure ancrée ligne 4 se contiendrait elle-même',
    ],
    'heure_sexagesimale.yaml': [
        '25:16: erreur : annexe_1_gouvernance[1].frequence : « 1:30 » ambigu (les deux-points annoncent un nombre en base 60) : YAML lirait le nombre 90 ; pour un texte, mettez-le entre guillemets ("1:30") ; pour un nombre, écrivez les chiffres seuls, sans zéro initial (par exemple 1250000 ou 1250000.50)',
    ],
    'imbrication_profonde.yaml': [
        '4:35: erreur : imbrication trop profonde (plus de 20 niveaux de listes et de rubriques ; un fichier de territoire en a 5) : fichier refusé',
    ],
    'tirets_imbriques.yaml': [
        '5:41: erreur : imbrication trop profonde (plus de 20 niveaux de listes et de rubriques ; un fichier de territoire en a 5) : fichier refusé',
    ],
    'alias_de_texte_geant.yaml': [
        '8:14: erreur : texte démesuré (plus de 2000000 caractères une fois les alias développés) : fichier refusé',
    ],
    'alias_sans_ancre.yaml': [
        '5:9: erreur : alias « *ville » qui ne renvoie à aucune ancre (« &ville ») écrite avant lui',
    ],
    'ancre_en_double.yaml': [
        '7:11: erreur : ancre « &v » définie deux fois : donnez-leur des noms différents',
    ],
    'montant_demesure.yaml': [
        '14:17: erreur : annexe_3_operations[1].cout_total : montant « 1.0e+27 » démesuré : un montant ne dépasse pas 1 000 000 000 000 000 € (10 puissance 15)',
    ],
    'montant_infini.yaml': [
        "14:17: erreur : annexe_3_operations[1].cout_total : « .inf » n'est pas un nombre utilisable : écrivez un nombre en chiffres",
    ],
    'nombre_octal.yaml': [
        '14:17: erreur : annexe_3_operations[1].cout_total : « 01250000 » ambigu (un zéro initial annonce un nombre octal, en base 8) : YAML lirait le nombre 348160 ; pour un texte, mettez-le entre guillemets ("01250000") ; pour un nombre, écrivez les chiffres seuls, sans zéro initial (par exemple 1250000 ou 1250000.50)',
    ],
    'nombre_hexadecimal.yaml': [
        '5:16: erreur : signature.exemplaires : « 0x2 » ambigu (« 0x », « 0o » et « 0b » annoncent un nombre hexadécimal, octal ou binaire) : YAML lirait le nombre 2 ; pour un texte, mettez-le entre guillemets ("0x2") ; pour un nombre, écrivez les chiffres seuls, sans zéro initial (par exemple 1250000 ou 1250000.50)',
    ],
    'nombre_geant.yaml': [
        '5:16: erreur : signature.exemplaires : nombre démesuré (5000 caractères ; 30 au plus)',
    ],
    'caractere_invalide_echappe.yaml': [
        '2:8: erreur : intercommunalite.nom : caractère invalide U+D800 (il ne correspond à aucune lettre) : supprimez-le',
    ],
    'caractere_invalide_dans_un_choix.yaml': [
        '4:15: erreur : chef_de_file : caractère invalide U+D800 (il ne correspond à aucune lettre) : supprimez-le',
    ],
    'cle_avec_caractere_invalide.yaml': [
        '4:1: erreur : caractère invalide U+D800 (il ne correspond à aucune lettre) : supprimez-le',
    ],
    'controle_c1_echappe.yaml': [
        "5:9: erreur : signature.lieu : caractère de contrôle interdit U+0092 (invisible, souvent issu d'un copier-coller) : supprimez-le",
    ],
    'controle_c1_brut.yaml': [
        "5:12: erreur : caractère de contrôle interdit U+0092 (invisible, souvent issu d'un copier-coller) : supprimez-le",
    ],
    'inversion_bidi.yaml': [
        "5:11: erreur : caractère invisible U+202E interdit : il change le sens d'affichage du texte (le document montrerait les lettres dans un autre ordre que le fichier) : supprimez-le",
    ],
    'inversion_bidi_echappee.yaml': [
        "5:9: erreur : signature.lieu : caractère invisible U+202E interdit : il change le sens d'affichage du texte (le document montrerait les lettres dans un autre ordre que le fichier) : supprimez-le",
    ],
    'espace_sans_largeur.yaml': [
        "5:12: erreur : caractère invisible U+200B (espace sans largeur) interdit, souvent issu d'un copier-coller : supprimez-le",
    ],
    'separateur_de_ligne.yaml': [
        "5:13: erreur : caractère invisible U+2028 (séparateur de ligne) interdit, souvent issu d'un copier-coller : supprimez-le",
    ],
    'chemin_windows.yaml': [
        "5:14: erreur : « \\U » n'est pas permis entre guillemets doubles : écrivez « \\\\ » pour une barre oblique inverse, ou mettez la valeur entre guillemets simples",
    ],
    'texte_trop_long.yaml': [
        '5:9: erreur : signature.lieu : texte trop long (100000 caractères ; 4000 au plus) : raccourcissez-le',
    ],
    'barre_oblique_entre_guillemets.yaml': [
        "2:23: erreur : « \\d » n'est pas permis entre guillemets doubles : écrivez « \\\\ » pour une barre oblique inverse, ou mettez la valeur entre guillemets simples",
    ],
    'crochet_non_ferme.yaml': [
        '4:1: erreur : « [ » ouvert ligne 3 et jamais fermé : ajoutez « ] », ou mettez la valeur entre guillemets',
    ],
    'texte_apres_guillemets.yaml': [
        '2:24: erreur : structure incohérente : alignez les clés de même niveau, et mettez entre guillemets une valeur qui contient des guillemets, crochets ou deux-points',
    ],
    'axe_inconnu.yaml': [
        '12:10: erreur : annexe_3_operations[1].axe : axe « A2 » inconnu (vouliez-vous dire « A1 » ?) : axes déclarés : A1',
    ],
    'caractere_de_controle.yaml': [
        "2:28: erreur : caractère de contrôle interdit U+000B (invisible, souvent issu d'un copier-coller) : supprimez-le",
    ],
    'cle_en_double.yaml': [
        "6:1: erreur : chef_de_file : clé « chef_de_file » en double dans la même rubrique (lignes 4 et 6) : ne gardez qu'une des deux",
    ],
    'cle_mal_orthographiee.yaml': [
        '1:1: erreur : intercommunalite.departements : rubrique obligatoire « departements » absente',
        '3:3: erreur : intercommunalite.departement : clé inconnue « departement » : vouliez-vous dire « departements » ?',
    ],
    'code_operation_en_double.yaml': [
        "23:11: erreur : annexe_3_operations[2].code : code d'opération « OP1 » déjà utilisé par l'opération n°1",
    ],
    'date_a_la_francaise.yaml': [
        '5:9: erreur : signature.date : date « 22/09/2021 » illisible : écrivez-la AAAA-MM-JJ, sans guillemets (par exemple 2021-09-22)',
    ],
    'date_au_lieu_de_texte.yaml': [
        '5:9: erreur : signature.lieu : texte attendu, mais YAML a lu une date : mettez la valeur entre guillemets, par exemple "2021-09-22"',
    ],
    'date_impossible.yaml': [
        '5:9: erreur : signature.date : valeur « 2021-02-30 » illisible (date impossible : écrivez une date AAAA-MM-JJ existante, ou mettez le texte entre guillemets)',
    ],
    'departement_inconnu.yaml': [
        '3:18: erreur : intercommunalite.departements[1] : département « Loirette » inconnu (vouliez-vous dire « Loiret » ?) : écrivez son nom officiel, sans article, par exemple « Haute-Garonne » ou « La Réunion »',
    ],
    'deux_documents.yaml': [
        '4:1: erreur : un seul document par fichier : retirez le séparateur « --- » en trop',
    ],
    'domaine_inconnu.yaml': [
        '7:14: erreur : annexe_2_axes[1].domaine : valeur « commerce » non reconnue (vouliez-vous dire « commerce_artisanat » ?) : valeurs possibles : entrepreneuriat, commerce_artisanat, activites_productives',
    ],
    'encodage_windows.yaml': [
        "2:20: erreur : le fichier n'est pas encodé en UTF-8 (octet 0xE9 illisible) : enregistrez-le en UTF-8 (dans le Bloc-notes : « Enregistrer sous », Codage « UTF-8 »)",
    ],
    'exemplaires_en_lettres.yaml': [
        '5:16: erreur : signature.exemplaires : nombre entier attendu',
    ],
    'financement_faux.yaml': [
        '15:5: erreur : annexe_3_operations[1].financements : le plan de financement totalise 1\u202f200\u202f000\xa0€ mais le coût total est de 1\u202f250\u202f000\xa0€ (écart : 50\u202f000\xa0€)',
    ],
    'guillemet_non_ferme.yaml': [
        '4:1: erreur : guillemets non fermés (ouverts ligne 2) : fermez-les sur la même valeur',
    ],
    'liste_au_lieu_de_rubrique.yaml': [
        '1:1: erreur : intercommunalite : rubrique attendue (des « clé: valeur » indentées en dessous), mais la valeur est une liste',
    ],
    'liste_en_tete.yaml': [
        '1:1: erreur : le fichier doit être une suite de « clé: valeur » (il contient une liste)',
    ],
    'milliard_de_rires.yaml': [
        '9:4: erreur : structure démesurée (plus de 200000 valeurs une fois les alias développés) : fichier refusé',
    ],
    'montant_en_texte.yaml': [
        "14:17: erreur : annexe_3_operations[1].cout_total : montant « 1 250 000 € » illisible : écrivez un nombre d'euros sans espace ni symbole, avec un point pour les centimes (par exemple 1250000 ou 1250000.50)",
    ],
    'montant_trois_decimales.yaml': [
        '14:17: erreur : annexe_3_operations[1].cout_total : montant « 1250000.555 » : deux décimales au plus (les centimes)',
    ],
    'nombre_au_lieu_de_texte.yaml': [
        '2:8: erreur : intercommunalite.nom : texte attendu, mais YAML a lu un nombre : mettez la valeur entre guillemets, par exemple "12345"',
    ],
    'objet_python.yaml': [
        '4:15: erreur : balise YAML « !!python/object/apply:os.system » refusée : un fichier de territoire ne contient que des textes, nombres, dates, listes et rubriques',
    ],
    'operation_finit_avant_de_commencer.yaml': [
        "21:10: erreur : annexe_3_operations[1].fin : l'opération finit (31/12/2021) avant de commencer (01/01/2022)",
    ],
    'oui_non.yaml': [
        '25:16: erreur : annexe_1_gouvernance[1].frequence : texte attendu, mais YAML a lu un oui/non (booléen) : mettez la valeur entre guillemets, par exemple "no"',
    ],
    'partenaire_inconnu.yaml': [
        '4:15: erreur : chef_de_file : valeur « bpi » non reconnue (vouliez-vous dire « bpifrance » ?) : valeurs possibles : anct, anru, banque_des_territoires, bpifrance',
    ],
    'pilotage_mal_ecrit.yaml': [
        '4:11: erreur : pilotage : valeur « equipe projet » non reconnue (vouliez-vous dire « equipe_projet » ?) : valeurs possibles : coordonnateur, equipe_projet',
    ],
    'prefet_hors_territoire.yaml': [
        "7:18: erreur : etat.prefet.departement : le département du préfet « Nord » n'est pas parmi ceux de l'intercommunalité (Loiret)",
    ],
    'rubrique_obligatoire_absente.yaml': [
        '1:1: erreur : intercommunalite : rubrique obligatoire « intercommunalite » absente',
    ],
    'seulement_commentaires.yaml': [
        "1:1: erreur : fichier vide : il doit décrire un territoire (voir l'exemple commenté du README)",
    ],
    'signature_avant_labellisation.yaml': [
        '5:9: erreur : signature.date : la signature (15/01/2021) ne peut précéder la labellisation (18/03/2021)',
    ],
    'tabulation.yaml': [
        "2:1: erreur : tabulation dans l'indentation : indentez uniquement avec des espaces",
    ],
    'vide.yaml': [
        "1:1: erreur : fichier vide : il doit décrire un territoire (voir l'exemple commenté du README)",
    ],
}


def test_the_corpus_is_complete():
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(CASES)
    assert len(CASES) >= 25


@pytest.fixture
def earlier_out(qp, tmp_path) -> Path:
    """An out/ folder holding a document qp wrote earlier, with its manifest."""
    folder = tmp_path / "earlier"
    folder.mkdir()
    shutil.copy(FIXTURES / "val-fictif.yaml", folder / "cas.yaml")
    assert qp("generate", "cas", "-t", folder, "-o", tmp_path / "out").code == 0
    return tmp_path / "out"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_is_refused_with_its_located_message(name, qp, tmp_path, earlier_out):
    territories = tmp_path / "territories"
    territories.mkdir()
    shutil.copy(BAD / name, territories / "cas.yaml")
    before = snapshot(earlier_out)

    result = qp("generate", "cas", "-t", territories, "-o", earlier_out)

    assert result.code == 1
    errors = [line for line in result.err.splitlines() if ": erreur :" in line]
    assert errors == [f"{territories / 'cas.yaml'}:{expected}" for expected in CASES[name]]
    assert "Traceback" not in result.out + result.err
    assert "cas : rien n'a été écrit" in result.err
    assert snapshot(earlier_out) == before

    validated = qp("validate", BAD / name)
    assert validated.code == 1
    assert [line for line in validated.err.splitlines() if ": erreur :" in line] == [
        f"{BAD / name}:{expected}" for expected in CASES[name]]


def test_file_over_one_mebibyte_is_refused(qp, tmp_path):
    big = tmp_path / "gros.yaml"
    big.write_text("intercommunalite:\n  nom: x\n  departements: [Loiret]\n# "
                   + "x" * (1024 * 1024) + "\n", encoding="utf-8")
    result = qp("validate", big)
    assert result.code == 1
    assert (f"{big}: erreur : fichier trop volumineux ({big.stat().st_size} octets) : "
            "un fichier de territoire ne dépasse pas 1024 Kio") in result.err


def test_windows_file_with_bom_and_crlf_validates_and_generates(qp, tmp_path):
    source = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")
    territories = tmp_path / "territories"
    territories.mkdir()
    (territories / "windows.yaml").write_bytes(
        "\ufeff".encode("utf-8") + source.replace("\n", "\r\n").encode("utf-8"))
    assert qp("validate", territories).code == 0
    result = qp("generate", "windows", "-t", territories, "-o", tmp_path / "out")
    assert result.code == 0, result.err
    reference = tmp_path / "ref"
    reference.mkdir()
    shutil.copy(FIXTURES / "val-fictif.yaml", reference / "windows.yaml")
    assert qp("generate", "windows", "-t", reference, "-o", tmp_path / "out2").code == 0
    assert (tmp_path / "out" / "windows.docx").read_bytes() == \
        (tmp_path / "out2" / "windows.docx").read_bytes()


def test_a_french_non_is_just_text(qp, tree):
    """Only YAML 1.1's English words (no, off, yes…) are booleans; « non » is text."""
    root = tree({"t/x.yaml": """
        intercommunalite:
          nom: la Communauté du Val-Fictif
          nature: non
          departements: [Loiret]
        """})
    assert qp("validate", root / "t").code == 0


@pytest.mark.parametrize("name, message", [
    ("Toulouse", "nom de territoire « Toulouse » refusé"),
    ("", "nom de territoire «  » refusé"),
    ("../toulouse", "../toulouse : fichier introuvable"),
    ("toulouse/../../x", "toulouse/../../x : fichier introuvable"),
    ("/etc/passwd", "nom de fichier « passwd » refusé"),
])
def test_a_name_never_leaves_the_territories_folder(qp, tmp_path, name, message):
    """A name is looked for in the territories folder only; a path is taken as written,
    and must still be a territory file."""
    result = qp("generate", name, "-t", ROOT / "territories", "-o", tmp_path / "out")
    assert result.code == 1
    assert message in result.err
    assert not (tmp_path / "out").exists()


def test_a_territory_is_named_or_given_by_its_path(qp, tmp_path):
    for target in ("toulouse", "toulouse.yaml", str(ROOT / "territories" / "toulouse.yaml")):
        result = qp("validate", target, "-t", ROOT / "territories")
        assert result.code == 0, result.err
        out = tmp_path / target.replace("/", "_")
        assert qp("generate", target, "-t", ROOT / "territories", "-o", out).code == 0
        assert (out / "toulouse.docx").is_file()


def test_hand_edited_document_is_not_overwritten_without_force(qp, fictional, tmp_path):
    out = tmp_path / "out"
    assert qp("generate", "val-fictif", "-t", fictional, "-o", out).code == 0
    document = out / "val-fictif.docx"
    edited = document.read_bytes() + b"saved by Word"
    document.write_bytes(edited)
    source = fictional / "val-fictif.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace("exemplaires: 3", "exemplaires: 4"),
                      encoding="utf-8")

    refused = qp("generate", "val-fictif", "-t", fictional, "-o", out)
    assert refused.code == 1
    assert (f"{document} a été modifié depuis que qp l'a écrit (ouvert et enregistré dans "
            "Word ?) : il n'est pas remplacé. Pour le remplacer : « qp generate val-fictif "
            f"--force » (le document modifié sera gardé sous "
            f"{out / 'val-fictif.modifie-a-la-main.docx'}).") \
        in refused.err.replace("\n", " ")
    assert document.read_bytes() == edited

    forced = qp("generate", "val-fictif", "-t", fictional, "-o", out, "--force")
    assert forced.code == 0
    backup = out / "val-fictif.modifie-a-la-main.docx"
    assert backup.read_bytes() == edited
    assert f"copie gardée sous {backup}" in forced.out
    assert document.read_bytes() != edited
    # the backup is not mistaken for an extra document by --check
    assert qp("generate", "--all", "--check", "-t", fictional, "-o", out).code == 0


@pytest.mark.parametrize("damage", ["truncated", "not a zip"])
def test_a_document_that_is_no_longer_word_is_named_so(qp, fictional, tmp_path, damage):
    out = tmp_path / "out"
    assert qp("generate", "val-fictif", "-t", fictional, "-o", out).code == 0
    document = out / "val-fictif.docx"
    broken = document.read_bytes()[:3000] if damage == "truncated" else b"<html>404</html>"
    document.write_bytes(broken)
    source = fictional / "val-fictif.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace("exemplaires: 3", "exemplaires: 4"),
                      encoding="utf-8")

    check = qp("generate", "val-fictif", "--check", "-t", fictional, "-o", out)
    assert check.code == 1
    assert f"{document} : n'est plus un document Word : ne serait remplacé qu'avec --force" \
        in check.out.splitlines()
    refused = qp("generate", "val-fictif", "-t", fictional, "-o", out)
    assert refused.code == 1
    assert (f"{document} n'est plus un document Word (tronqué, ou remplacé par un autre "
            "fichier) : il n'est pas remplacé. Pour le remplacer : « qp generate val-fictif "
            f"--force » (le fichier sera gardé sous {out / 'val-fictif.modifie-a-la-main.docx'}).") \
        in refused.err.replace("\n", " ")
    assert "modifié depuis que qp" not in refused.err
    assert document.read_bytes() == broken
    assert qp("generate", "val-fictif", "-t", fictional, "-o", out, "--force").code == 0
    assert (out / "val-fictif.modifie-a-la-main.docx").read_bytes() == broken


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_in_place_of_a_document_is_never_read(qp, fictional, tmp_path):
    import os

    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "val-fictif.docx")  # (no writer: reading it would block forever)
    os.mkfifo(out / "autre.docx")  # (a document no territory produces)
    result = qp("generate", "--all", "-t", fictional, "-o", out)
    assert result.code == 1
    assert (f"{out / 'val-fictif.docx'}: erreur : ce n'est pas un fichier ordinaire (c'est un "
            "tube) ; il n'est pas remplacé : déplacez-le") in result.err.splitlines()
    check = qp("generate", "--all", "--check", "-t", fictional, "-o", out)
    assert check.code == 1
    assert f"{out / 'autre.docx'} : en trop : aucun territoire ne le produit" in check.out


def test_billion_laughs_is_refused_with_bounded_memory():
    import tracemalloc

    from qp_conventions.validate import check_file

    assert (BAD / "milliard_de_rires.yaml").stat().st_size < 1024
    tracemalloc.start()
    checked = check_file(BAD / "milliard_de_rires.yaml")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert checked.territory is None and checked.errors
    assert peak < 20 * 1024 * 1024


def test_a_huge_file_is_refused_before_it_is_read(qp, tmp_path):
    """A 2 GiB file (sparse: it costs no disk) is refused from its size alone."""
    import tracemalloc

    from qp_conventions.validate import check_file

    huge = tmp_path / "enorme.yaml"
    with open(huge, "wb") as handle:
        handle.truncate(2 * 1024 ** 3)
    tracemalloc.start()
    checked = check_file(huge)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [p.format() for p in checked.problems] == [
        f"{huge}: erreur : fichier trop volumineux (2147483648 octets) : un fichier de "
        "territoire ne dépasse pas 1024 Kio"]
    assert peak < 5 * 1024 * 1024


def test_nesting_that_crashed_libyaml_is_refused_and_the_batch_goes_on(tmp_path):
    """30 000 nested brackets (60 KB) made libyaml's composer overflow the C stack: the
    whole batch died with a segmentation fault. Now that file is refused and the good
    territories are still written."""
    territories = tmp_path / "territories"
    territories.mkdir()
    shutil.copy(FIXTURES / "val-fictif.yaml", territories / "bon.yaml")
    (territories / "profond.yaml").write_text(
        "intercommunalite: " + "[" * 30000 + "]" * 30000 + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "qp_conventions", "generate", "--all", "-t", str(territories),
         "-o", str(tmp_path / "out")], capture_output=True, text=True, encoding="utf-8",
        env=checkout_env())
    assert result.returncode == 1, result.stderr
    assert (f"{territories / 'profond.yaml'}:1:38: erreur : imbrication trop profonde (plus de "
            "20 niveaux de listes et de rubriques ; un fichier de territoire en a 5) : fichier "
            "refusé") in result.stderr
    assert "2 document(s) : 1 écrit(s), 0 inchangé(s), 1 en échec" in result.stdout
    assert (tmp_path / "out" / "bon.docx").is_file()


def test_decomposed_accents_are_the_same_letters(qp, tree):
    """macOS may save « é » as « e » + combining accent (NFD): it is read as « é »."""
    source = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8")
    source = source.replace("departements: [Loiret]", "departements: [Loiret, H\u0065\u0301rault]")
    source = source.replace("nom: Exemple", "nom: E\u0301lise")
    root = tree({"t/x.yaml": source})
    assert qp("validate", "--strict", root / "t").code == 0
    assert qp("generate", "x", "-t", root / "t", "-o", root / "out").code == 0
    body = "\n".join(paragraphs(root / "out" / "x.docx"))
    assert "Camille \u00c9lise" in body and "\u0301" not in body


def test_amounts_keep_every_cent_up_to_the_limit(qp, tree):
    """A YAML number with a point is read as written, not as a float (16 digits): at
    10^14 € the cents of a plan that adds up exactly must still add up."""
    source = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8") \
        .replace("cout_total: 1250000\n", "cout_total: 999999999999999.99\n", 1) \
        .replace("montant: 500000\n", "montant: 999999999999999.97\n", 1) \
        .replace("montant: 450000\n", "montant: 0.01\n", 1) \
        .replace("montant: 300000\n", "montant: 0.01\n", 1)
    root = tree({"t/x.yaml": source})
    validated = qp("validate", "--strict", root / "t")
    assert validated.code == 0, validated.err
    assert qp("generate", "x", "-t", root / "t", "-o", root / "out").code == 0
    body = "\n".join(paragraphs(root / "out" / "x.docx"))
    assert "999\u202f999\u202f999\u202f999\u202f999,99\u00a0€" in body
    assert "999\u202f999\u202f999\u202f999\u202f999,97\u00a0€" in body


def test_minus_zero_is_zero(qp, tree):
    source = (FIXTURES / "val-fictif.yaml").read_text(encoding="utf-8") \
        .replace("cout_total: 1250000\n", "cout_total: 1250000.00\n", 1) \
        .replace("montant: 500000\n", "montant: 500000\n      - financeur: Mécène\n"
                                      "        montant: -0.0\n", 1)
    root = tree({"t/x.yaml": source})
    assert qp("validate", "--strict", root / "t").code == 0
    assert qp("generate", "x", "-t", root / "t", "-o", root / "out").code == 0
    body = "\n".join(paragraphs(root / "out" / "x.docx"))
    assert "Mécène" in body and "-0" not in body


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("kind", ["pipe", "device", "too large"])
def test_sign_reads_only_a_regular_pdf_of_sensible_size(qp, fictional, tmp_path, kind):
    import os

    signed = tmp_path / "signe.pdf"
    if kind == "pipe":
        os.mkfifo(signed)  # (no writer: reading it would block forever)
        why = "ce n'est pas un fichier ordinaire (c'est un tube)"
    elif kind == "device":
        signed = Path("/dev/zero")  # (would be read until memory runs out)
        why = "ce n'est pas un fichier ordinaire (c'est un périphérique)"
    else:
        with open(signed, "wb") as handle:  # (sparse: nothing written)
            handle.write(b"%PDF-1.7\n")
            handle.truncate(110 * 1024 * 1024)
        why = "fichier démesuré (110,0 Mo ; 100,0 Mo au plus)"
    before = (fictional / "val-fictif.yaml").read_bytes()
    result = qp("sign", "val-fictif", "--pdf", signed, "-t", fictional, "-o", tmp_path / "out")
    assert result.code == 1
    assert result.err == f"erreur : {signed} : {why} ; qp lit un PDF signé\n"
    assert (fictional / "val-fictif.yaml").read_bytes() == before


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="named pipes are POSIX")
def test_an_archived_signed_pdf_replaced_by_a_pipe_is_reported(qp, fictional, tmp_path):
    import json
    import os

    archive = tmp_path / "out" / "signees"
    archive.mkdir(parents=True)
    (archive / "val-fictif.json").write_text(json.dumps({"pdf_signe": {"sha256": "0" * 64}}),
                                             encoding="utf-8")
    os.mkfifo(archive / "val-fictif.pdf")  # (no writer: reading it would block forever)
    result = qp("validate", fictional, "--out", tmp_path / "out")
    assert result.code == 1
    assert (f"{fictional / 'val-fictif.yaml'}: erreur : statut : le PDF signé de la convention, "
            f"archivé sous {archive / 'val-fictif.pdf'}, illisible (ce n'est pas un fichier "
            "ordinaire (c'est un tube)) ; reprenez-le de l'historique (git) ou de la copie du "
            "parapheur") in result.err.splitlines()


@pytest.mark.parametrize("compressed", [True, False])
def test_sign_refuses_a_pdf_that_inflates_beyond_bounds(qp, fictional, tmp_path, monkeypatch,
                                                        compressed):
    """(1 MB of PDF holding 1 GB of spaces took 12 s and 2 GB to read)"""
    import zlib

    from qp_conventions import pdf_signatures

    monkeypatch.setattr(pdf_signatures, "MAX_INFLATED", 1024 * 1024)  # (50 MB)
    content = b"BT /F1 12 Tf 72 712 Td (AVANT) Tj ET\n" + b" " * (2 * 1024 * 1024)
    data = zlib.compress(content) if compressed else content
    signed = tmp_path / "signe.pdf"
    signed.write_bytes(b"%%PDF-1.7\n1 0 obj\n<< /Length %d%s >>\nstream\n" % (
        len(data), b" /Filter /FlateDecode" if compressed else b"") + data
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    result = qp("sign", "val-fictif", "--pdf", signed, "-t", fictional, "-o", tmp_path / "out")
    assert result.code == 1
    if compressed:
        assert result.err == (f"erreur : {signed} : PDF démesuré (plus de 1 Mo une fois "
                              "décompressé) : ce n'est pas un acte écrit par qp\n")
    else:  # (read as it is: pyHanko says what it is)
        assert "démesuré" not in result.err and "Traceback" not in result.err
