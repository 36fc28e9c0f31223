"""Mesure la vitesse de qp, processus compris, comme en CI.

    python benchmarks/bench.py [--territoires 500] [--axes 6] [--operations 30]

Construit N territoires synthétiques (fictifs) dans un dossier temporaire, puis mesure
en temps réel (meilleure et médiane de plusieurs exécutions) : `qp --help`, `qp validate` et
`qp generate --all` sur les 14 territoires réels, et `qp validate` / `qp generate --all`
sur le lot synthétique. Le coût marginal par document est la pente entre un petit et
un grand lot : (T(N) − T(petit)) / (N − petit).
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


def timed(command: list[str], runs: int, fresh: Path | None = None) -> tuple[float, float]:
    """Best and median wall time in seconds; `fresh` is emptied before each run."""
    times = []
    for _ in range(runs):
        if fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territoires", type=int, default=500)
    parser.add_argument("--axes", type=int, default=6)
    parser.add_argument("--operations", type=int, default=30)
    parser.add_argument("--executions", type=int, default=5)
    args = parser.parse_args()
    small = min(50, args.territoires // 2)

    print(f"Machine : {platform.platform()}, {os.cpu_count()} cœurs, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for name, count in (("lot", args.territoires), ("petit", small)):
            folder = work / name
            folder.mkdir()
            for i in range(count):
                (folder / f"t{i:04}.yaml").write_text(
                    synthetic(i, args.axes, args.operations), encoding="utf-8")
        real = ROOT / "territories"
        n = args.executions
        results = {
            "qp --help": timed(QP + ["--help"], n),
            "qp validate territories/ (14)": timed(QP + ["validate", str(real)], n),
            "qp generate --all (14 réels)": timed(
                QP + ["generate", "--all", "-t", str(real), "-o", str(work / "o")], n, work / "o"),
            f"qp validate ({args.territoires} synthétiques)": timed(
                QP + ["validate", str(work / "lot")], max(1, n // 2)),
        }
        big = timed(QP + ["generate", "--all", "-t", str(work / "lot"), "-o", str(work / "ob")],
                    max(1, n // 2), work / "ob")
        little = timed(QP + ["generate", "--all", "-t", str(work / "petit"), "-o", str(work / "os")],
                       max(1, n // 2), work / "os")
        results[f"qp generate --all ({args.territoires} synthétiques)"] = big
        sample = next((work / "ob").glob("*.docx"))
        print(f"Lot synthétique : {args.territoires} territoires de {args.axes} axes et "
              f"{args.operations} opérations ({sample.stat().st_size // 1024} Kio par document)")
        print(f"  {'':<45} {'meilleur':>9} {'médiane':>9}")
        for label, (best, median) in results.items():
            print(f"  {label:<45} {best * 1000:6.0f} ms {median * 1000:6.0f} ms")
        for name, index in (("meilleur", 0), ("médiane", 1)):
            marginal = (big[index] - little[index]) / (args.territoires - small) * 1000
            print(f"  {'coût marginal par document (' + name + ')':<45} {marginal:6.1f} ms")


if __name__ == "__main__":
    main()
