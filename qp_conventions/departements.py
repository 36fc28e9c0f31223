"""French départements and the article each takes (« de la Haute-Garonne », « des
Bouches-du-Rhône », « du Nord », « de l'Hérault », « de La Réunion »)."""

from __future__ import annotations

# name: article ("le", "la", "l'", "les", or "" when the name takes none or carries its own)
_TABLE = """\
01 Ain|l'
02 Aisne|l'
03 Allier|l'
04 Alpes-de-Haute-Provence|les
05 Hautes-Alpes|les
06 Alpes-Maritimes|les
07 Ardèche|l'
08 Ardennes|les
09 Ariège|l'
10 Aube|l'
11 Aude|l'
12 Aveyron|l'
13 Bouches-du-Rhône|les
14 Calvados|le
15 Cantal|le
16 Charente|la
17 Charente-Maritime|la
18 Cher|le
19 Corrèze|la
2A Corse-du-Sud|la
2B Haute-Corse|la
21 Côte-d'Or|la
22 Côtes-d'Armor|les
23 Creuse|la
24 Dordogne|la
25 Doubs|le
26 Drôme|la
27 Eure|l'
28 Eure-et-Loir|l'
29 Finistère|le
30 Gard|le
31 Haute-Garonne|la
32 Gers|le
33 Gironde|la
34 Hérault|l'
35 Ille-et-Vilaine|l'
36 Indre|l'
37 Indre-et-Loire|l'
38 Isère|l'
39 Jura|le
40 Landes|les
41 Loir-et-Cher|le
42 Loire|la
43 Haute-Loire|la
44 Loire-Atlantique|la
45 Loiret|le
46 Lot|le
47 Lot-et-Garonne|le
48 Lozère|la
49 Maine-et-Loire|le
50 Manche|la
51 Marne|la
52 Haute-Marne|la
53 Mayenne|la
54 Meurthe-et-Moselle|la
55 Meuse|la
56 Morbihan|le
57 Moselle|la
58 Nièvre|la
59 Nord|le
60 Oise|l'
61 Orne|l'
62 Pas-de-Calais|le
63 Puy-de-Dôme|le
64 Pyrénées-Atlantiques|les
65 Hautes-Pyrénées|les
66 Pyrénées-Orientales|les
67 Bas-Rhin|le
68 Haut-Rhin|le
69 Rhône|le
70 Haute-Saône|la
71 Saône-et-Loire|la
72 Sarthe|la
73 Savoie|la
74 Haute-Savoie|la
75 Paris|
76 Seine-Maritime|la
77 Seine-et-Marne|la
78 Yvelines|les
79 Deux-Sèvres|les
80 Somme|la
81 Tarn|le
82 Tarn-et-Garonne|le
83 Var|le
84 Vaucluse|le
85 Vendée|la
86 Vienne|la
87 Haute-Vienne|la
88 Vosges|les
89 Yonne|l'
90 Territoire de Belfort|le
91 Essonne|l'
92 Hauts-de-Seine|les
93 Seine-Saint-Denis|la
94 Val-de-Marne|le
95 Val-d'Oise|le
971 Guadeloupe|la
972 Martinique|la
973 Guyane|la
974 La Réunion|
976 Mayotte|
"""

DEPARTEMENTS: dict[str, tuple[str, str]] = {}  # name -> (code, article)
for _line in _TABLE.splitlines():
    _code, _rest = _line.split(" ", 1)
    _name, _article = _rest.split("|")
    DEPARTEMENTS[_name] = (_code, _article)

_OF = {"le": "du ", "la": "de la ", "l'": "de l'", "les": "des ", "": "de "}


def of_departement(name: str) -> str:
    """« du Nord », « de la Haute-Garonne », « des Bouches-du-Rhône », « de La Réunion »."""
    return _OF[DEPARTEMENTS[name][1]] + name
