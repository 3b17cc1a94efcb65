"""Benchmark (not a test): a generated 1,000,000-row questionnaire export through the loader.

Each measurement runs in its own process (so peak memory is that step's own): a bare
``pandas.read_csv`` of the file, the questionnaire loader, and the loader followed by the
report's metrics. Prints times (imports excluded), peak memory (max RSS growth beyond the imports) and the ratios to the bare read, then a
smaller run (100,000 rows) to check that time grows linearly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_QUESTIONS = 20
LABELS = ["Pas du tout d'accord", "Plutôt pas d'accord", "Ni d'accord ni pas d'accord", "Plutôt d'accord", "Tout à fait d'accord"]
PROFILS = ["Agent·e territorial·e", "Élu·e", "Association", "Consultant·e", "Agent·e de l'État", "Chercheur·e", "Citoyen·ne"]
TERRITOIRES = ["Lyon", "Grenoble", "Nantes", "Lille"]
DIMS = ["organisation", "decision", "inclusion", "transparence", "redevabilite"]


def generate(path: Path, n: int, seed: int = 1) -> None:
    """A LimeSurvey-like export with answer codes (1–5, « 9 » = sans avis), written in chunks."""
    rng = np.random.default_rng(seed)
    header = ["id", "submitdate", "PROFIL", "TERRITOIRE"] + [f"Q{i + 1:02d}" for i in range(N_QUESTIONS)]
    chunk = 200_000
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(header) + "\n")
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            df = pd.DataFrame({
                "id": np.arange(start + 1, start + m + 1),
                "submitdate": "2025-02-03 10:00:00",
                "PROFIL": np.array(PROFILS)[rng.integers(0, len(PROFILS), m)],
                "TERRITOIRE": np.array(TERRITOIRES)[rng.integers(0, 4, m)],
            })
            codes = rng.integers(1, 7, (m, N_QUESTIONS))
            codes[codes == 6] = 9
            for i in range(N_QUESTIONS):
                df[f"Q{i + 1:02d}"] = codes[:, i]
            df.to_csv(fh, header=False, index=False)


def codebook(path: Path) -> None:
    questions = [
        {"colonne": "PROFIL", "id": "profil", "type": "profil"},
        {"colonne": "TERRITOIRE", "id": "territoire", "type": "territoire"},
    ] + [
        {"colonne": f"Q{i + 1:02d}", "id": f"q{i + 1:02d}", "type": "likert", "dimension": DIMS[i % 5], "echelle": "accord5",
         "texte": f"Affirmation {i + 1}"}
        for i in range(N_QUESTIONS)
    ]
    cb = {"version": 1, "format": "limesurvey", "echelles": {"accord5": {
        "libelles": LABELS, "codes": {k + 1: lab for k, lab in enumerate(LABELS)} | {9: "Sans avis"},
        "hors_echelle": ["Sans avis"]}}, "questions": questions}
    path.write_text(json.dumps(cb, ensure_ascii=False), encoding="utf-8")  # JSON is valid YAML


STEP = r"""
import json, resource, sys, time
import pandas as pd
from rencontres_lib import metrics
from rencontres_lib.loaders.questionnaire import load_questionnaire
step, data, cb = sys.argv[1], sys.argv[2], sys.argv[3]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.perf_counter()
if step == "pandas":
    rows = len(pd.read_csv(data))
else:
    res = load_questionnaire(data, cb)
    rows = res.rows_used
    if step == "metrics":
        joined = metrics.with_respondents(res.table, res.extra["respondents"])
        metrics.favorable(joined, by=["territoire"])
        metrics.favorable_by_dimension(joined, by=["profil"])
        metrics.likert_distribution(res.table, 5)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"s": time.perf_counter() - t, "rss": rss - base, "rows": rows}))
"""


def measure(step: str, data: Path, cb: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", STEP, step, str(data), str(cb)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(n: int, tmp: Path) -> dict:
    data, cb = tmp / f"q_{n}.csv", tmp / "codebook.yaml"
    t = time.perf_counter()
    generate(data, n)
    codebook(cb)
    size = data.stat().st_size
    print(f"\n{n:,} réponses × {N_QUESTIONS} questions : fichier de {size / 1e6:.1f} Mo (généré en {time.perf_counter() - t:.1f} s)".replace(",", " "))
    base = measure("pandas", data, cb)
    load = measure("loader", data, cb)
    full = measure("metrics", data, cb)
    print(f"  pandas.read_csv nu   : {base['s']:6.2f} s, mémoire en plus {base['rss'] / 1e6:7.0f} Mo")
    print(f"  chargeur             : {load['s']:6.2f} s, mémoire en plus {load['rss'] / 1e6:7.0f} Mo ({load['rows']} répondants)")
    print(f"  chargeur + métriques : {full['s']:6.2f} s, mémoire en plus {full['rss'] / 1e6:7.0f} Mo")
    print(f"  ratio temps chargeur/pandas : {load['s'] / base['s']:.2f} ; pic de mémoire (au-delà des imports) / taille du fichier : {load['rss'] / size:.2f}")
    return {"n": n, "load": load["s"], "ratio": load["s"] / base["s"], "mem": load["rss"] / size}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        small = run(n // 10, Path(tmp))
        big = run(n, Path(tmp))
    print(f"\nlinéarité : ×{big['n'] / small['n']:.0f} lignes → ×{big['load'] / small['load']:.1f} temps de chargement")
    print(f"ratio loader/read_csv: {big['ratio']:.2f}")


if __name__ == "__main__":
    main()
