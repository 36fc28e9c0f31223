"""Mesure la vitesse de qp, processus compris, comme la ressent un utilisateur.

    python benchmarks/bench.py [--territoires 500] [--axes 6] [--operations 30] [--executions 5]

En une seule exécution, dans un dossier temporaire (ni out/ ni le cache de l'utilisateur ne
sont touchés), meilleure et médiane de 5 lancements, les commandes lancées à tour de rôle
(une machine occupée un moment les ralentit toutes, les rapports entre elles tiennent) :
- le démarrage de chaque commande tapée à la main : `qp --version`, `qp --help`,
  `qp validate` et `qp list` (les 14 territoires réels), `qp generate toulouse`,
  `qp generate --all` (les 14) ; `qp generate toulouse` aussi au tout premier lancement,
  modèle national pas encore compilé ;
- le coût marginal d'un document : la pente entre un petit et un grand lot de territoires
  synthétiques (fictifs), (T(N) − T(petit)) / (N − petit) ;
- face à pandoc s'il est installé : `pandoc seed.md -o x.docx` sur le texte de la convention
  de Toulouse (tests/fixtures/seed_toulouse.txt), une fois puis 14 fois de suite, et les
  rapports `qp generate toulouse` / un pandoc (objectif : 2,5 au plus) et 14 pandoc /
  `qp generate --all` (objectif : 3 au moins).

Les modules Python sont compilés (.pyc) et le modèle national l'est aussi (cache), comme
à partir du deuxième lancement chez un utilisateur : un lancement d'essai précède chaque
mesure.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QP = [sys.executable, "-m", "qp_conventions"]
SEED = ROOT / "tests" / "fixtures" / "seed_toulouse.txt"


def synthetic(index: int, axes: int, operations: int) -> str:
    lines = [
        "intercommunalite:",
        f"  nom: la Communauté d'agglomération synthétique n°{index}",
        "  genre: feminin",
        "  designation: nom",
        "  departements: [Loiret]",
        "  representant: {civilite: Madame, prenom: Camille, nom: Exemple, fonction: présidente}",
        "etat:",
        "  ministre: {civilite: Monsieur, prenom: Dominique, nom: Modèle,",
        "             fonction: le Ministre fictif chargé de la Ville}",
        "chef_de_file: anct",
        "pilotage: coordonnateur",
        "signature: {lieu: Val-Fictif, date: 2021-10-15, exemplaires: 3}",
        "annexe_2_axes:",
    ]
    for a in range(1, axes + 1):
        lines += [
            f"  - code: A{a}",
            f"    intitule: Axe synthétique {a}",
            "    domaine: entrepreneuriat",
            "    leviers: [transition_numerique]",
            "    objectifs: [Premier objectif, Second objectif]",
            "    qpv: [Quartier des Tilleuls]",
            "    indicateurs: [{intitule: Entreprises créées, valeur_initiale: '12', cible: '30'}]",
        ]
    lines.append("annexe_3_operations:")
    for o in range(1, operations + 1):
        lines += [
            f"  - code: OP{o}",
            f"    intitule: Opération synthétique {o}",
            f"    axe: A{(o - 1) % axes + 1}",
            "    qpv: [Quartier des Tilleuls]",
            "    maitre_ouvrage: Communauté d'agglomération",
            "    cout_total: 1250000.50",
            "    financements:",
            "      - {financeur: Communauté d'agglomération, montant: 800000.50}",
            "      - {financeur: Banque des Territoires, montant: 450000}",
            "    debut: 2022-01-01",
            "    fin: 2023-12-31",
            "    statut: programmee",
        ]
    return "\n".join(lines) + "\n"


class Runner:
    """Runs commands in the work folder, with this checkout's qp, its modules compiled in a
    folder of the work's (PYTHONPYCACHEPREFIX: even where PYTHONDONTWRITEBYTECODE is set,
    as a user's installed qp has its .pyc) and qp's cache in another."""

    def __init__(self, work: Path):
        self.work = work
        self.cache = work / "cache"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(self.cache),
                    "LOCALAPPDATA": str(self.cache), "PYTHONPYCACHEPREFIX": str(work / "pyc")}
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)

    def once(self, command: list[str], before=None) -> float:
        if before is not None:
            before()
        start = time.perf_counter()
        result = subprocess.run(command, cwd=self.work, env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, errors="replace")
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"échec (code {result.returncode}) : {' '.join(command)}\n{result.stderr}")
        return elapsed

    def timed(self, command: list[str], runs: int, before=None) -> tuple[float, float]:
        """Best and median wall time in seconds; `before` is called before each run (out
        of the time)."""
        return self.rounds({"": (command, before, 1, False)}, runs)[""]

    def rounds(self, cases: dict, runs: int) -> dict[str, tuple[float, float]]:
        """Best and median wall time in seconds of each case, label -> (command, before,
        repeat, warm_up): `repeat` runs in a row make one measure. The cases take turns,
        one run each per round, so that a machine busy for a while slows them all alike
        and the ratios between them hold."""
        for command, before, _, warm_up in cases.values():
            if warm_up:
                self.once(command, before)
        times: dict[str, list[float]] = {label: [] for label in cases}
        for _ in range(runs):
            for label, (command, before, repeat, _) in cases.items():
                if before is not None:
                    before()
                times[label].append(sum(self.once(command) for _ in range(repeat)))
        return {label: (min(t), statistics.median(t)) for label, t in times.items()}


def emptied(folder: Path):
    return lambda: shutil.rmtree(folder, ignore_errors=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:6.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territoires", type=int, default=500)
    parser.add_argument("--axes", type=int, default=6)
    parser.add_argument("--operations", type=int, default=30)
    parser.add_argument("--executions", type=int, default=5)
    args = parser.parse_args()
    small = min(50, args.territoires // 2)
    n = args.executions

    print(f"Machine : {platform.platform()}, {os.cpu_count()} cœurs, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        run = Runner(work)
        shutil.copytree(ROOT / "territories", work / "territories")
        for name, count in (("lot", args.territoires), ("petit", small)):
            (work / name).mkdir()
            for i in range(count):
                (work / name / f"t{i:04}.yaml").write_text(
                    synthetic(i, args.axes, args.operations), encoding="utf-8")
        out = work / "out"
        cases = {  # label -> (command, before each run, runs in a row, warm-up run)
            "qp --version": (QP + ["--version"], None, 1, True),
            "qp --help": (QP + ["--help"], None, 1, True),
            "qp validate (14 territoires)": (QP + ["validate"], None, 1, True),
            "qp list (14 territoires)": (QP + ["list"], None, 1, True),
            "qp generate toulouse": (QP + ["generate", "toulouse"], emptied(out), 1, True),
            "qp generate toulouse, 1er lancement (*)": (
                QP + ["generate", "toulouse"],
                lambda: (emptied(out)(), emptied(run.cache)()), 1, False),
            "qp generate --all (14 territoires)": (
                QP + ["generate", "--all"], emptied(out), 1, True),
        }
        pandoc = shutil.which("pandoc")
        if pandoc:
            shutil.copy(SEED, work / "seed.md")
            command = [pandoc, "seed.md", "-o", "x.docx"]
            cases["pandoc seed.md -o x.docx"] = (command, None, 1, True)
            cases["pandoc, 14 fois de suite"] = (command, None, 14, False)
        results = run.rounds(cases, n)
        many = max(1, n // 2)
        results[f"qp validate ({args.territoires} synthétiques)"] = run.timed(
            QP + ["validate", "lot"], many)
        big = run.timed(QP + ["generate", "--all", "-t", "lot", "-o", "ob"], many,
                        emptied(work / "ob"))
        little = run.timed(QP + ["generate", "--all", "-t", "petit", "-o", "os"], many,
                           emptied(work / "os"))
        results[f"qp generate --all ({args.territoires} synthétiques)"] = big
        sample = next((work / "ob").glob("*.docx"))

        print(f"Lot synthétique : {args.territoires} territoires de {args.axes} axes et "
              f"{args.operations} opérations ({sample.stat().st_size // 1024} Kio par "
              f"document) ; meilleure et médiane de {n} lancements ({many} pour les lots)")
        print(f"  {'':<45} {'meilleur':>9} {'médiane':>9}")
        for label, (best, median) in results.items():
            print(f"  {label:<45} {ms(best)} {ms(median)}")
        for name, index in (("meilleur", 0), ("médiane", 1)):
            marginal = (big[index] - little[index]) / (args.territoires - small) * 1000
            print(f"  {'coût marginal par document (' + name + ')':<45} {marginal:6.1f} ms")
        print("  (*) cache vide : le modèle national est compilé pendant le lancement")
        if not pandoc:
            print("pandoc n'est pas installé : pas de comparaison")
            return
        one = results["pandoc seed.md -o x.docx"][0]
        fourteen = results["pandoc, 14 fois de suite"][0]
        generate = results["qp generate toulouse"][0]
        batch = results["qp generate --all (14 territoires)"][0]
        print("Face à pandoc (meilleurs temps) :")
        for label, ratio, target, met in (
                ("qp generate toulouse / un pandoc", generate / one, "2,5 au plus",
                 generate / one <= 2.5),
                ("14 pandoc / qp generate --all", fourteen / batch, "3 au moins",
                 fourteen / batch >= 3)):
            verdict = "atteint" if met else "non atteint"
            print(f"  {label:<45} {ratio:6.2f}   (objectif {target} : {verdict})")


if __name__ == "__main__":
    main()
