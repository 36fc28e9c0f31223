"""The fixed facts of the Quartiers productifs programme, in one place.

Everything here comes from the source documents in ``shared/seeds`` (the two
conventions, the two press articles and the programme's page). Templates read
these facts through the ``programme`` variable; no template repeats them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Partner:
    code: str  # the YAML value
    short_name: str
    with_article: str  # as the articles name it (« l'ANRU », « la Banque des Territoires »)
    full_name: str  # as the programme's page names it
    in_context: str  # as the Contexte of the convention names it


PARTNERS: dict[str, Partner] = {
    p.code: p
    for p in (
        Partner(
            "anct", "ANCT", "l'ANCT",
            "Agence Nationale de la Cohésion des Territoires (ANCT)",
            "l'Agence Nationale de la Cohésion des Territoires (ANCT)",
        ),
        Partner(
            "anru", "ANRU", "l'ANRU",
            "Agence Nationale pour la Rénovation Urbaine (ANRU)",
            "l'Agence Nationale pour la Rénovation Urbaine (ANRU)",
        ),
        Partner(
            "banque_des_territoires", "Banque des Territoires", "la Banque des Territoires",
            "Banque des Territoires (Groupe Caisse des dépôts)",
            "la Banque des Territoires",  # the wording may add « de la Caisse des dépôts »
        ),
        Partner("bpifrance", "Bpifrance", "Bpifrance", "Bpifrance", "Bpifrance"),
    )
}

# The partner's name as lists and tables show it.
PARTNERS_SHORT: dict[str, str] = {code: p.short_name for code, p in PARTNERS.items()}

# Article 2 lists the national partners in this order in both signed texts.
COMMITMENT_ORDER = ("anct", "banque_des_territoires", "anru", "bpifrance")

NUMBER_WORDS = {2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six"}

# The three fields of action (« domaines d'intervention ») of the programme's page.
FIELDS: dict[str, str] = {
    "entrepreneuriat": "Soutien à l'entrepreneuriat",
    "commerce_artisanat": "Développement du commerce et de l'artisanat de proximité",
    "activites_productives": "Implantation d'activités productives et de services",
}

# The two transverse levers (« 1 impératif » of the programme's page).
LEVERS: dict[str, str] = {
    "transition_numerique": "Transition numérique",
    "transition_environnementale": "Transition environnementale",
}

# The local steering the intercommunality designates (articles 2 and 3).
LOCAL_STEERING: dict[str, str] = {
    "coordonnateur": "Coordonnateur",
    "equipe_projet": "Équipe projet",
}

# Who signs for the State (see the README's table of the three cases).
STATE_SIGNATORIES: dict[str, str] = {
    "ministre": "le ministre",
    "ministre_ou_prefet": "le ministre ou le préfet",
    "prefet": "le préfet",
}

# Where an operation of annex 3 stands.
OPERATION_STATUSES: dict[str, str] = {
    "a_l_etude": "À l'étude",
    "programmee": "Programmée",
    "engagee": "Engagée",
    "en_cours": "En cours",
    "achevee": "Achevée",
}

# The grammatical gender of the intercommunality's name (« représenté », « représentée »).
GENDERS: dict[str, str] = {"masculin": "masculin", "feminin": "féminin"}

# When the name alone does not say it (french.py): its number, and whether its initial h
# is mute (« d'Hérouville ») or aspirated (« de Hautes-Terres »).
NUMBERS: dict[str, str] = {"singulier": "singulier (« représenté »)",
                           "pluriel": "pluriel (« représentés », « s'engagent »)"}
H_INITIALS: dict[str, str] = {"muet": "h muet (« d'Hérouville »)",
                              "aspire": "h aspiré (« de Hautes-Terres »)"}

# How the articles name the intercommunality.
DESIGNATIONS: dict[str, str] = {
    "nom": "son nom",
    "intercommunalite_beneficiaire": "« l'intercommunalité bénéficiaire »",
}

# How a signatory is presented above the signature.
PRESENTATIONS: dict[str, str] = {
    "pour": "« Pour … », puis le nom",
    "civilite": "la civilité et le nom, puis la qualité",
}

# The two parties, as the signature block orders them.
PARTIES: dict[str, str] = {"intercommunalite": "l'intercommunalité", "etat": "l'État"}

CIVILITIES: dict[str, str] = {"Madame": "Madame", "Monsieur": "Monsieur"}

# Where a convention stands: a draft carries « PROJET » on every page; a signed one is
# archived, and its text changes only by avenant.
CONVENTION_STATUSES: dict[str, str] = {"brouillon": "projet", "signee": "signée"}

# What an avenant changes (Article 4: « prolongée par avenant »; a change of chef de
# file, of pilotage, a revised feuille de route).
AVENANT_OBJECTS: dict[str, str] = {
    "prolongation": "prolongation de la durée",
    "chef_de_file": "changement de chef de file",
    "pilotage": "changement de pilotage local",
    "feuille_de_route": "feuille de route révisée",
}

# The 14 pilot territories of the first wave (seeds 002, 003, 004), by file slug.
PILOT_TERRITORIES: dict[str, str] = {
    "toulouse": "Toulouse Métropole",
    "aix-marseille-provence": "la Métropole Aix-Marseille-Provence",
    "arras": "la Communauté urbaine d'Arras",
    "laval": "Laval Agglomération",
    "maubeuge-val-de-sambre": "la Communauté d'agglomération Maubeuge Val de Sambre",
    "montbeliard": "Pays de Montbéliard Agglomération",
    "montpellier": "Montpellier Méditerranée Métropole",
    "est-ensemble": "l'EPT Est Ensemble",
    "grand-paris-sud": "l'EPT Grand Paris Sud",
    "grand-narbonne": "le Grand Narbonne",
    "grand-nancy": "le Grand Nancy",
    "orly-choisy": "Orly-Choisy",
    "roubaix": "Roubaix",
    "saint-louis-la-reunion": "Saint-Louis de la Réunion",
}

INTERMINISTERIAL_COMMITTEE = dt.date(2021, 1, 29)
LABELLISATION = dt.date(2021, 3, 18)
ROADMAP_DELAY_MONTHS = 6
VALIDITY_MONTHS = 24


@dataclass(frozen=True)
class Wording:
    """One wording of the national model. The two source texts differ in a few words
    that no territory fact explains, and carry a few slips; a territory that signed (or
    prepared) one of them keeps it word for word, every other one takes the current model
    (the README's table lists what it changes)."""

    description: str
    qpv: str
    banque_des_territoires_context: str
    action_frame: str
    # Article 2, « sur … territoire »: None agrees it with the intercommunality (« son »,
    # « leur » for a plural name); the Aix-Marseille text writes « leur » for one
    possessive_territory: str | None
    lead_partner_commitment: str
    # Article 3 with an « Équipe projet »: the signed text capitalises it (and the
    # programme's name) there and nowhere else
    project_team_article_3: str
    programme_article_3: str
    # « Cette dernière, est chargée » (Toulouse's text) or without the stray comma
    project_team_duty: str
    # the programme's name in the Contexte and Article 1 (« Quartiers Productifs » there
    # in both 2021 texts, « Quartiers productifs » everywhere else)
    programme_name: str
    # Article 2's list of partners: « l'ANRU, et Bpifrance » in the 2021 texts
    comma_before_and: bool
    # Article 2: the commitment of « l'intercommunalité bénéficiaire » starts with a
    # capital like the others (the Aix-Marseille text writes it in lower case)
    capital_commitment: bool
    # « l'Etat », « Equipe », « A Marseille » without accent (french.capitals_2021)
    capitals_2021: bool


# The default: what `qp new` writes, and every territory file without `redaction`.
CURRENT_WORDING = "modele-2026"

WORDINGS: dict[str, Wording] = {
    CURRENT_WORDING: Wording(
        description="rédaction actuelle du modèle national (2026) : le texte "
                    "d'Aix-Marseille-Provence, corrigé et accentué",
        qpv="quartiers prioritaires de la politique de la ville",
        banque_des_territoires_context="la Banque des Territoires de la Caisse des dépôts",
        action_frame="cadre d'action",
        possessive_territory=None,
        lead_partner_commitment="Le Chef de file s'engage (i) à appuyer",
        project_team_article_3="Équipe projet",
        programme_article_3="Quartiers productifs",
        project_team_duty="Cette dernière est chargée",
        programme_name="Quartiers productifs",
        comma_before_and=False,
        capital_commitment=True,
        capitals_2021=False,
    ),
    "standard": Wording(
        description="rédaction du modèle national préparé pour la Métropole Aix-Marseille-Provence",
        qpv="quartiers prioritaires de la politique de la ville",
        banque_des_territoires_context="la Banque des Territoires de la Caisse des dépôts",
        action_frame="cadre d'action",
        possessive_territory="leur",
        lead_partner_commitment="Le Chef de file s'engage (i) à appuyer",
        project_team_article_3="Equipe projet",
        programme_article_3="Quartiers productifs",
        project_team_duty="Cette dernière, est chargée",
        programme_name="Quartiers Productifs",
        comma_before_and=True,
        capital_commitment=False,
        capitals_2021=True,
    ),
    "signee-2021-09": Wording(
        description="rédaction du texte signé par Toulouse Métropole le 22 septembre 2021",
        qpv="Quartiers Prioritaires de la Ville",
        banque_des_territoires_context="la Banque des Territoires",
        action_frame="cadre d'actions",
        possessive_territory="son",
        lead_partner_commitment="Le chef de file s'engage à appuyer",
        project_team_article_3="Equipe Projet",
        programme_article_3="Quartiers Productifs",
        project_team_duty="Cette dernière, est chargée",
        programme_name="Quartiers Productifs",
        comma_before_and=True,
        capital_commitment=True,
        capitals_2021=True,
    ),
}

WORDING_NAMES: dict[str, str] = {code: w.description for code, w in WORDINGS.items()}

ANNEX_TITLES: tuple[str, ...] = (
    "Gouvernance du projet",
    "Axes stratégiques",
    "Opérations",
)
