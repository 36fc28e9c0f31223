"""French grammar of every variable part: each shape of name a territory file allows,
printed at each place a document prints it, against the French a reader expects (a
table, not rules mirroring the code); the current model's corrections of the source
texts; the file's grammatical keys and what contradicts them."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from qp_conventions.model import Territory
from qp_conventions.render import AVENANT, CONVENTION, ROADMAP, render_blocks

# A signed convention whose articles name the intercommunality (designation: nom), with
# a signed feuille de route and an avenant that changes the pilotage: each document
# prints the name in every position the model has.
BASE = {
    "statut": "signee",
    "intercommunalite": {
        "nom": "Toulouse Métropole", "genre": "masculin", "designation": "nom",
        "departements": ["Loiret"],
        "representant": {"civilite": "Monsieur", "prenom": "Jean", "nom": "Exemple",
                         "fonction": "président"},
    },
    "etat": {"signataire": "prefet",
             "prefet": {"departement": "Loiret", "civilite": "Madame", "prenom": "Claude",
                        "nom": "Fictive"}},
    "chef_de_file": "anct",
    "pilotage": "coordonnateur",
    "signature": {"lieu": "Orléans", "date": "2021-10-15", "presentation": "civilite"},
    "feuille_de_route": {"date": "2022-03-10", "lieu": "Orléans"},
    "avenants": [{"numero": 1, "date": "2023-02-01", "lieu": "Orléans", "objet": "pilotage",
                  "pilotage": "equipe_projet"}],
}


def territory(**changes) -> Territory:
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = data
        for parent in parents:
            target = target[parent]
        target[key] = value
    # the loader reads YAML dates as dates
    data["signature"]["date"] = dt.date.fromisoformat(data["signature"]["date"])
    data["feuille_de_route"]["date"] = dt.date.fromisoformat(data["feuille_de_route"]["date"])
    for avenant in data["avenants"]:
        avenant["date"] = dt.date.fromisoformat(avenant["date"])
    return Territory.model_validate(data)


def _line(runs) -> str:
    return "".join(run.text for run in runs).replace("\u2019", "'").replace("\xa0", " ")


def lines(blocks) -> list[str]:
    """The document's paragraphs and the lines of its signature columns, as a reader
    reads them (typographic apostrophes and non-breaking spaces made plain)."""
    found = []
    for block in blocks:
        found.append(_line(block.runs))
        for column in block.columns:
            found += [_line(line) for line in column if line is not None]
    return [line for line in found if line]


def documents(t: Territory) -> dict[str, list[str]]:
    return {"convention": lines(render_blocks(t, CONVENTION)),
            "feuille de route": lines(render_blocks(t, ROADMAP)),
            "avenant": lines(render_blocks(t, AVENANT, t.avenants[0]))}


def has(document: list[str], expected: str) -> bool:
    """Whether `expected` is one of the document's paragraphs, or part of one."""
    return any(expected in line for line in document)


# --- 1. Each shape of name × each place it is printed ---------------------------------

# (name, the file's other keys, civility and function of the representative)
#   -> the French of each position. Positions:
#   parties      the first party, in the convention and the avenant
#   article 2    the intercommunality's commitment (Article 2)
#   lead partner the chef de file's commitment (Article 2)
#   signature    the intercommunality's signature block (all three documents)
#   roadmap      the feuille de route's first lines
#   avenant      the new last paragraph of Article 3, quoted by the avenant
NAMES = [
    ("Toulouse Métropole", {"genre": "masculin"}, ("Monsieur", "président"), {
        "parties": "Toulouse Métropole représenté par son président Jean Exemple.",
        "article 2": "Toulouse Métropole s'engage à renforcer",
        "territoire": "du programme sur son territoire, notamment",
        "lead partner": "à appuyer Toulouse Métropole dans la mise en œuvre de "
                        "l'expérimentation et dans la priorisation de ses projets ;",
        "signature": "Président de Toulouse Métropole",
        "roadmap": "Convention de Toulouse Métropole, signée le 15 octobre 2021.",
        "roadmap subject": "Toulouse Métropole formalise la présente feuille de route",
        "strategy": "le renforcement de sa stratégie",
        "avenant": "« Toulouse Métropole s'engage à désigner une « Équipe projet » "
                   "Quartiers productifs au sein de ses services.",
    }),
    ("Orly-Choisy", {"genre": "masculin"}, ("Madame", "maire"), {
        "parties": "Orly-Choisy représenté par sa maire Jean Exemple.",
        "article 2": "Orly-Choisy s'engage à renforcer",
        "territoire": "du programme sur son territoire, notamment",
        "lead partner": "à appuyer Orly-Choisy dans",
        "signature": "Maire d'Orly-Choisy",
        "roadmap": "Convention d'Orly-Choisy, signée le 15 octobre 2021.",
        "roadmap subject": "Orly-Choisy formalise la présente",
        "strategy": "le renforcement de sa stratégie",
        "avenant": "« Orly-Choisy s'engage à désigner une « Équipe projet » Quartiers "
                   "productifs au sein de ses services.",
    }),
    ("Orée-du-Bois Agglomération", {"genre": "feminin"}, ("Madame", "présidente"), {
        "parties": "Orée-du-Bois Agglomération représentée par sa présidente Jean Exemple.",
        "article 2": "Orée-du-Bois Agglomération s'engage à renforcer",
        "territoire": "du programme sur son territoire, notamment",
        "lead partner": "à appuyer Orée-du-Bois Agglomération dans",
        "signature": "Présidente d'Orée-du-Bois Agglomération",
        "roadmap": "Convention d'Orée-du-Bois Agglomération, signée le 15 octobre 2021.",
        "roadmap subject": "Orée-du-Bois Agglomération formalise la présente",
        "strategy": "le renforcement de sa stratégie",
        "avenant": "« Orée-du-Bois Agglomération s'engage à désigner",
    }),
    ("Yerres Agglomération", {"genre": "feminin"}, ("Madame", "adjointe au maire"), {
        "parties": "Yerres Agglomération représentée par son adjointe au maire Jean Exemple.",
        "article 2": "Yerres Agglomération s'engage à renforcer",
        "territoire": "sur son territoire",
        "lead partner": "à appuyer Yerres Agglomération dans",
        "signature": "Adjointe au maire d'Yerres Agglomération",
        "roadmap": "Convention d'Yerres Agglomération, signée",
        "roadmap subject": "Yerres Agglomération formalise",
        "strategy": "de sa stratégie",
        "avenant": "« Yerres Agglomération s'engage à désigner",
    }),
    ("le Grand Narbonne", {"genre": "masculin"}, ("Monsieur", "président"), {
        "parties": "Le Grand Narbonne représenté par son président Jean Exemple.",
        "article 2": "Le Grand Narbonne s'engage à renforcer",
        "territoire": "sur son territoire",
        "lead partner": "à appuyer le Grand Narbonne dans",
        "signature": "Président du Grand Narbonne",
        "roadmap": "Convention du Grand Narbonne, signée le 15 octobre 2021.",
        "roadmap subject": "le Grand Narbonne formalise la présente",
        "strategy": "de sa stratégie",
        "avenant": "« Le Grand Narbonne s'engage à désigner",
    }),
    ("la Métropole Aix-Marseille-Provence", {"genre": "feminin"}, ("Madame", "Présidente"), {
        "parties": "La Métropole Aix-Marseille-Provence représentée par sa Présidente "
                   "Jean Exemple.",
        "article 2": "La Métropole Aix-Marseille-Provence s'engage à renforcer",
        "territoire": "sur son territoire",
        "lead partner": "à appuyer la Métropole Aix-Marseille-Provence dans",
        "signature": "Présidente de la Métropole Aix-Marseille-Provence",
        "roadmap": "Convention de la Métropole Aix-Marseille-Provence, signée",
        "roadmap subject": "la Métropole Aix-Marseille-Provence formalise",
        "strategy": "de sa stratégie",
        "avenant": "« La Métropole Aix-Marseille-Provence s'engage à désigner",
    }),
    ("l'EPT Est Ensemble", {"genre": "masculin"}, ("Monsieur", "président"), {
        "parties": "L'EPT Est Ensemble représenté par son président Jean Exemple.",
        "article 2": "L'EPT Est Ensemble s'engage à renforcer",
        "territoire": "sur son territoire",
        "lead partner": "à appuyer l'EPT Est Ensemble dans",
        "signature": "Président de l'EPT Est Ensemble",
        "roadmap": "Convention de l'EPT Est Ensemble, signée",
        "roadmap subject": "l'EPT Est Ensemble formalise",
        "strategy": "de sa stratégie",
        "avenant": "« L'EPT Est Ensemble s'engage à désigner",
    }),
    ("les Communes associées du Val", {"genre": "feminin"}, ("Monsieur", "président"), {
        "parties": "Les Communes associées du Val représentées par leur président "
                   "Jean Exemple.",
        "article 2": "Les Communes associées du Val s'engagent à renforcer",
        "territoire": "du programme sur leur territoire, notamment",
        "lead partner": "à appuyer les Communes associées du Val dans la mise en œuvre de "
                        "l'expérimentation et dans la priorisation de leurs projets ;",
        "signature": "Président des Communes associées du Val",
        "roadmap": "Convention des Communes associées du Val, signée",
        "roadmap subject": "les Communes associées du Val formalisent la présente",
        "strategy": "le renforcement de leur stratégie",
        "avenant": "« Les Communes associées du Val s'engagent à désigner une « Équipe "
                   "projet » Quartiers productifs au sein de leurs services.",
    }),
    ("Orly et Choisy", {"genre": "masculin", "nombre": "pluriel"}, ("Madame", "présidente"), {
        "parties": "Orly et Choisy représentés par leur présidente Jean Exemple.",
        "article 2": "Orly et Choisy s'engagent à renforcer",
        "territoire": "sur leur territoire",
        "lead partner": "à appuyer Orly et Choisy dans",
        "signature": "Présidente d'Orly et Choisy",
        "roadmap": "Convention d'Orly et Choisy, signée",
        "roadmap subject": "Orly et Choisy formalisent",
        "strategy": "de leur stratégie",
        "avenant": "« Orly et Choisy s'engagent à désigner",
    }),
    ("Hérouville Agglomération", {"genre": "feminin", "h_initial": "muet"},
     ("Monsieur", "président"), {
        "parties": "Hérouville Agglomération représentée par son président Jean Exemple.",
        "article 2": "Hérouville Agglomération s'engage à renforcer",
        "territoire": "sur son territoire",
        "lead partner": "à appuyer Hérouville Agglomération dans",
        "signature": "Président d'Hérouville Agglomération",
        "roadmap": "Convention d'Hérouville Agglomération, signée",
        "roadmap subject": "Hérouville Agglomération formalise",
        "strategy": "de sa stratégie",
        "avenant": "« Hérouville Agglomération s'engage à désigner",
    }),
    ("Hautes-Terres Communauté", {"genre": "feminin", "h_initial": "aspire"},
     ("Madame", "présidente"), {
        "parties": "Hautes-Terres Communauté représentée par sa présidente Jean Exemple.",
        "article 2": "Hautes-Terres Communauté s'engage à renforcer",
        "territoire": "sur son territoire",
        "lead partner": "à appuyer Hautes-Terres Communauté dans",
        "signature": "Présidente de Hautes-Terres Communauté",
        "roadmap": "Convention de Hautes-Terres Communauté, signée",
        "roadmap subject": "Hautes-Terres Communauté formalise",
        "strategy": "de sa stratégie",
        "avenant": "« Hautes-Terres Communauté s'engage à désigner",
    }),
]

# Where each position is printed.
WHERE = {"parties": ("convention", "avenant"), "article 2": ("convention",),
         "territoire": ("convention",), "lead partner": ("convention",),
         "signature": ("convention", "feuille de route", "avenant"),
         "roadmap": ("feuille de route",), "roadmap subject": ("feuille de route",),
         "strategy": ("feuille de route",), "avenant": ("avenant",)}

CASES = [pytest.param(nom, keys, person, position, expected, id=f"{nom} / {position}")
         for nom, keys, person, table in NAMES for position, expected in table.items()]


@pytest.fixture(scope="module")
def rendered() -> dict:
    found = {}
    for nom, keys, (civilite, fonction), _ in NAMES:
        changes = {"intercommunalite__nom": nom,
                   "intercommunalite__representant__civilite": civilite,
                   "intercommunalite__representant__fonction": fonction}
        changes.update({f"intercommunalite__{key}": value for key, value in keys.items()})
        found[nom] = documents(territory(**changes))
    return found


@pytest.mark.parametrize("nom, keys, person, position, expected", CASES)
def test_each_name_at_each_place(rendered, nom, keys, person, position, expected):
    for document in WHERE[position]:
        assert has(rendered[nom][document], expected), (document, expected)


def test_the_grid_has_no_de_before_a_vowel_nor_de_le(rendered):
    """Whatever the shape of the name, nowhere « de Orly », « de le », « à les »."""
    for nom, docs in rendered.items():
        for name, document in docs.items():
            text = "\n".join(document)
            for wrong in ("de Orly", "de Orée", "de Hérouville", "de Yerres", "de le ",
                          "de les ", "à le ", "à les ", "de l'EPT Est Ensemble formalise"):
                assert wrong not in text, (nom, name, wrong)


# --- 2. The place of signature --------------------------------------------------------

PLACES = [
    # (place, redaction) -> the line above the signatures
    ("Orléans", "modele-2026", "À Orléans, le 15 octobre 2021"),
    ("Le Havre", "modele-2026", "Au Havre, le 15 octobre 2021"),
    ("Les Abymes", "modele-2026", "Aux Abymes, le 15 octobre 2021"),
    ("La Rochelle", "modele-2026", "À La Rochelle, le 15 octobre 2021"),
    ("Marseille", "standard", "A Marseille, le 15 octobre 2021"),  # as the 2021 texts
    ("Le Havre", "standard", "Au Havre, le 15 octobre 2021"),
]


@pytest.mark.parametrize("place, redaction, expected", PLACES)
def test_the_place_of_signature(place, redaction, expected):
    t = territory(signature__lieu=place, feuille_de_route__lieu=place, redaction=redaction)
    t = t.model_copy(update={"avenants": [t.avenants[0].model_copy(update={"lieu": place})]})
    for name, document in documents(t).items():
        assert expected.replace("15 octobre 2021", {
            "convention": "15 octobre 2021", "feuille de route": "10 mars 2022",
            "avenant": "1er février 2023"}[name]) in document, name


def test_a_place_still_to_complete_keeps_its_preposition():
    document = lines(render_blocks(territory(signature__lieu="à compléter"), CONVENTION))
    assert "À [à compléter : lieu de signature], le 15 octobre 2021" in document


# --- 3. The current model and the two source texts -----------------------------------

# A new territory named in the articles as « l'intercommunalité bénéficiaire », with an
# « Équipe projet »: the French each redaction prints (the two 2021 texts keep their
# words, the current model corrects them).
REDACTIONS = [
    ("modele-2026", [
        "L'intercommunalité bénéficiaire s'engage à renforcer",
        "la mise en œuvre efficace du programme sur son territoire, notamment via la "
        "désignation d'une « Équipe projet »",
        "Cette dernière est chargée d'assurer le suivi du programme",
        "L'intercommunalité bénéficiaire s'engage à désigner une « Équipe projet » Quartiers "
        "productifs au sein de ses services.",
        "L'État représenté par la Préfète du département du Loiret, Claude Fictive,",
        "ci-après, « l'État » ;",
        "(le Ministère de la ville, l'ANCT, la Banque des Territoires, l'ANRU et Bpifrance)",
        "dans le programme Quartiers productifs.",
        "À Orléans, le 15 octobre 2021",
    ]),
    ("standard", [
        "l'intercommunalité bénéficiaire s'engage à renforcer",
        "la mise en œuvre efficace du programme sur leur territoire, notamment via la "
        "désignation d'une « Equipe projet »",
        "Cette dernière, est chargée d'assurer le suivi du programme",
        "L'Etat représenté par la Préfète du département du Loiret, Claude Fictive,",
        "(le Ministère de la ville, l'ANCT, la Banque des Territoires, l'ANRU, et Bpifrance)",
        "dans le programme Quartiers Productifs.",
        "A Orléans, le 15 octobre 2021",
    ]),
    ("signee-2021-09", [
        "L'intercommunalité bénéficiaire s'engage à désigner une « Equipe Projet » Quartiers "
        "Productifs au sein de ses services. Cette dernière, est chargée",
        "sur son territoire",
        "Le chef de file s'engage à appuyer l'intercommunalité bénéficiaire",
    ]),
]


@pytest.mark.parametrize("redaction, expected", REDACTIONS)
def test_each_redaction_prints_its_own_words(redaction, expected):
    t = territory(intercommunalite__designation="intercommunalite_beneficiaire",
                  pilotage="equipe_projet", redaction=redaction)
    document = lines(render_blocks(t, CONVENTION))
    for words in expected:
        assert has(document, words), words


def test_every_commitment_of_article_2_starts_with_a_capital():
    t = territory(intercommunalite__designation="intercommunalite_beneficiaire")
    blocks = render_blocks(t, CONVENTION)
    start = next(i for i, b in enumerate(blocks) if _line(b.runs).startswith("Article 2."))
    end = next(i for i, b in enumerate(blocks) if _line(b.runs).startswith("Article 3."))
    commitments = [_line(b.runs) for b in blocks[start:end] if b.kind == "bullet"]
    assert [c.split(" s'engage")[0] for c in commitments] == [
        "L'État", "L'intercommunalité bénéficiaire", "Le Chef de file", "Les partenaires"]


def test_a_territory_without_redaction_takes_the_current_model():
    data = copy.deepcopy(BASE)
    data["signature"].pop("date")
    data.pop("statut"), data.pop("feuille_de_route"), data.pop("avenants")
    assert Territory.model_validate(data).redaction == "modele-2026"


# --- 4. The keys that say what the name does not ------------------------------------

def _validate(qp, tree, intercommunalite: str) -> list[str]:
    tree({"territories/val.yaml": f"intercommunalite:\n{intercommunalite}\n"
                                  "  departements: [Loiret]\n"})
    result = qp("validate", "territories/val.yaml")
    return [line for line in result.out.splitlines() + result.err.splitlines()
            if ": erreur : " in line]


CONTRADICTIONS = [
    ("  nom: le Grand Narbonne\n  genre: feminin",
     "territories/val.yaml:3:10: erreur : intercommunalite.genre : le nom « le Grand "
     "Narbonne » commence par « le » : son genre est masculin (genre: masculin)"),
    ("  nom: la Métropole du Val\n  genre: masculin",
     "territories/val.yaml:3:10: erreur : intercommunalite.genre : le nom « la Métropole du "
     "Val » commence par « la » : son genre est feminin (genre: feminin)"),
    ("  nom: les Communes du Val\n  genre: feminin\n  nombre: singulier",
     "territories/val.yaml:4:11: erreur : intercommunalite.nombre : le nom « les Communes du "
     "Val » commence par « les » : il est au pluriel (nombre: pluriel, ou retirez la ligne)"),
    ("  nom: la Métropole du Val\n  genre: feminin\n  nombre: pluriel",
     "territories/val.yaml:4:11: erreur : intercommunalite.nombre : le nom « la Métropole du "
     "Val » commence par « la » : il est au singulier (nombre: singulier, ou retirez la ligne)"),
    ("  nom: Hautes-Terres Communauté\n  genre: feminin",
     "territories/val.yaml:2:8: erreur : intercommunalite.nom : le nom « Hautes-Terres "
     "Communauté » commence par un h : dites s'il est muet (h_initial: muet, « d'Hérouville ») "
     "ou aspiré (h_initial: aspire, « de Hautes-Terres »)"),
    ("  nom: Val Agglomération\n  genre: feminin\n  h_initial: muet",
     "territories/val.yaml:4:14: erreur : intercommunalite.h_initial : h_initial ne sert qu'à "
     "un nom qui commence par un h, pas à « Val Agglomération » : retirez la ligne"),
    ("  nom: la Haute-Vallée\n  genre: feminin\n  h_initial: muet",
     "territories/val.yaml:4:14: erreur : intercommunalite.h_initial : le nom « la "
     "Haute-Vallée » s'écrit avec « la », sans élision : son h est aspiré (h_initial: aspire, "
     "ou retirez la ligne)"),
    ("  nom: l'Hermitage Agglomération\n  genre: feminin\n  h_initial: aspire",
     "territories/val.yaml:4:14: erreur : intercommunalite.h_initial : le nom "
     "« l'Hermitage Agglomération » s'écrit avec « l' » : son h est muet (h_initial: muet, ou "
     "retirez la ligne)"),
    ("  nom: Val Agglomération\n  genre: feminin\n  representant:\n    civilite: Madame\n"
     "    prenom: Camille\n    fonction: président",
     "territories/val.yaml:7:15: erreur : intercommunalite.representant.fonction : fonction "
     "« président » pour Madame Camille : écrivez « présidente » (ou corrigez la civilité)"),
    ("  nom: Val Agglomération\n  genre: feminin\n  representant:\n    civilite: Monsieur\n"
     "    fonction: Vice-présidente",
     "territories/val.yaml:6:15: erreur : intercommunalite.representant.fonction : fonction "
     "« Vice-présidente » pour Monsieur : écrivez « Vice-président » (ou corrigez la "
     "civilité)"),
]


@pytest.mark.parametrize("intercommunalite, expected", CONTRADICTIONS)
def test_a_file_that_contradicts_its_name_is_refused(qp, tree, intercommunalite, expected):
    assert _validate(qp, tree, intercommunalite) == [expected]


@pytest.mark.parametrize("intercommunalite", [
    "  nom: les Communes du Val\n  genre: feminin",  # plural by its article
    "  nom: Orly et Choisy\n  genre: masculin\n  nombre: pluriel",
    "  nom: Hérouville Agglomération\n  genre: feminin\n  h_initial: muet",
    "  nom: l'Hermitage Agglomération\n  genre: feminin",
    "  nom: le Havre Métropole\n  genre: masculin",  # the article says it: no h_initial
    "  nom: Hautes-Terres Communauté\n  genre: feminin\n  h_initial: à compléter",  # a warning
])
def test_a_file_that_agrees_with_its_name_is_valid(qp, tree, intercommunalite):
    assert _validate(qp, tree, intercommunalite) == []


# --- 5. One financeur written two ways ----------------------------------------------

def test_a_financeur_written_two_ways_is_a_warning(qp, tree):
    operation = """
          - code: {code}
            intitule: Opération {code}
            axe: A1
            maitre_ouvrage: Communauté d'agglomération
            cout_total: 100
            financements:
              - financeur: {first}
                montant: 60
              - financeur: {second}
                montant: 40
            debut: 2022-01-01
            fin: 2022-12-31
            statut: engagee"""
    tree({"territories/val.yaml": """
        intercommunalite:
          nom: Val Agglomération
          genre: feminin
          departements: [Loiret]
        annexe_2_axes:
          - code: A1
            intitule: Un axe
            domaine: entrepreneuriat
            objectifs: [Un objectif]
        annexe_3_operations:""" + operation.format(
        code="OP1", first="Communauté d'agglomération", second="Banque des Territoires")
        + operation.format(code="OP2", first="Communauté d'Agglomération",
                           second="Banque des  territoires")})
    result = qp("validate", "territories/val.yaml")
    assert result.code == 0
    warnings = [line for line in (result.out + result.err).splitlines() if "financeur «" in line]
    assert warnings == [
        "territories/val.yaml:30:20: avertissement : annexe_3_operations[2].financements[1]"
        ".financeur : financeur « Communauté d'Agglomération » écrit aussi « Communauté "
        "d'agglomération » (opération n°1) : l'annexe 3 et le rapport en feraient deux "
        "financeurs ; écrivez-le partout de la même façon",
        "territories/val.yaml:32:20: avertissement : annexe_3_operations[2].financements[2]"
        ".financeur : financeur « Banque des  territoires » écrit aussi « Banque des "
        "Territoires » (opération n°1) : l'annexe 3 et le rapport en feraient deux "
        "financeurs ; écrivez-le partout de la même façon"]
