"""Benchmark driver (not a test) for ``make bench``: build, scale, cluster and loader runs.

Runs, each in its own process and with its output shown as it comes:
``bench_build.py`` (naive loop against ``rencontres build``), ``bench_territoires.py``
(4, 25 and 100 generated territories, then a Dask ``LocalCluster`` run) and
``bench_loader.py`` (1,000,000 answers through the loader, then loader + scores + metrics).
Ends with the machine-readable lines::

    ratio cold/naive: X.XX
    ratio whole-path/read_csv: X.XX
    ratio whole-path-memory/file: X.XX
    seconds per territory at 4/25/100: A B C

``--rapide`` runs smaller sizes (4 and 8 territories, 100,000 answers) to check the driver.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def stream(script: str, *args: str) -> str:
    """Run ``benchmarks/<script>``, echo its output line by line, return all of it."""
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, str(HERE / script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    if proc.wait() != 0:
        print(f"{script} : code de sortie {proc.returncode}", flush=True)
    return "".join(lines)


def whole_path(loader_output: str) -> tuple[float, float]:
    """(time ratio, memory ratio) of loader + scores + metrics on the largest export: the
    block's « chemin complet » ratio line, else computed from its times and sizes."""
    blocks = re.split(r"\n(?=[\d ]+ réponses × )", loader_output)
    block = max(
        (b for b in blocks if "chargeur + scores" in b),
        key=lambda b: float(re.search(r"fichier de ([\d.]+) Mo", b).group(1)),
    )
    stated = re.search(
        r"chemin complet : ratio temps / read_csv nu ([\d.]+) .*pic de mémoire / fichier ([\d.]+)",
        block,
    )
    if stated:
        return float(stated.group(1)), float(stated.group(2))
    size = float(re.search(r"fichier de ([\d.]+) Mo", block).group(1))
    base = float(re.search(r"read_csv nu\s*:\s*([\d.]+) s", block).group(1))
    full = re.search(r"scores \+ métriques\s*:\s*([\d.]+) s, mémoire en plus\s*([\d.]+) Mo", block)
    return float(full.group(1)) / base, float(full.group(2)) / size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rapide", action="store_true")
    args = parser.parse_args()
    sizes = ["4", "8"] if args.rapide else ["4", "25", "100"]
    build = stream("bench_build.py")
    scale = stream("bench_territoires.py", *sizes)
    loader = stream("bench_loader.py", *(["100000"] if args.rapide else []))
    cold = re.search(r"^ratio cold/naive: .*$", build, re.M)
    per = re.search(r"^seconds per territory at .*$", scale, re.M)
    try:
        t_ratio, m_ratio = whole_path(loader)
        whole = (f"{t_ratio:.2f}", f"{m_ratio:.2f}")
    except (AttributeError, ValueError):
        whole = ("nan", "nan")
    print()
    print(cold.group(0) if cold else "ratio cold/naive: nan")
    print(f"ratio whole-path/read_csv: {whole[0]}")
    print(f"ratio whole-path-memory/file: {whole[1]}")
    print(per.group(0) if per else "seconds per territory at 4/25/100: nan nan nan")


if __name__ == "__main__":
    main()
