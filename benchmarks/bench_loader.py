"""Benchmark (not a test): a generated 1,000,000-row questionnaire export through the loader.

Each measurement runs in its own fresh process, five times interleaved with the others (median kept), so peak memory is
that step's own: a bare ``pandas.read_csv`` of the file, ``read_csv(dtype=str)`` (what reading
every cell as text costs), the questionnaire loader, and the loader followed by the scores and
the report's metrics. Prints times (imports excluded), peak memory (growth of the process' own
high-water mark, VmHWM, beyond the imports) and the ratios to the bare read, then checks that
time grows linearly (×10 rows).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_QUESTIONS = 20
LABELS = [
    "Pas du tout d'accord",
    "Plutôt pas d'accord",
    "Ni d'accord ni pas d'accord",
    "Plutôt d'accord",
    "Tout à fait d'accord",
]
PROFILS = [
    "Agent·e territorial·e",
    "Élu·e",
    "Association",
    "Consultant·e",
    "Agent·e de l'État",
    "Chercheur·e",
    "Citoyen·ne",
]
TERRITOIRES = ["Lyon", "Grenoble", "Nantes", "Lille"]
DIMS = ["organisation", "decision", "inclusion", "transparence", "redevabilite"]


def generate(path: Path, n: int, seed: int = 1, distinct_dates: bool = False) -> None:
    """A LimeSurvey-like export with answer codes (1–5, « 9 » = sans avis), written in chunks.

    ``distinct_dates``: every response submitted at its own second (a real export's
    ``submitdate``) instead of one batch date."""
    rng = np.random.default_rng(seed)
    header = ["id", "submitdate", "PROFIL", "TERRITOIRE"] + [
        f"Q{i + 1:02d}" for i in range(N_QUESTIONS)
    ]
    chunk = 200_000
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(header) + "\n")
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            df = pd.DataFrame(
                {
                    "id": np.arange(start + 1, start + m + 1),
                    "submitdate": (
                        (
                            pd.Timestamp("2025-02-03 10:00:00")
                            + pd.to_timedelta(np.arange(start, start + m), unit="s")
                        ).strftime("%Y-%m-%d %H:%M:%S")
                        if distinct_dates
                        else "2025-02-03 10:00:00"
                    ),
                    "PROFIL": np.array(PROFILS)[rng.integers(0, len(PROFILS), m)],
                    "TERRITOIRE": np.array(TERRITOIRES)[rng.integers(0, 4, m)],
                }
            )
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
        {
            "colonne": f"Q{i + 1:02d}",
            "id": f"q{i + 1:02d}",
            "type": "likert",
            "dimension": DIMS[i % 5],
            "echelle": "accord5",
            "texte": f"Affirmation {i + 1}",
        }
        for i in range(N_QUESTIONS)
    ]
    cb = {
        "version": 1,
        "format": "limesurvey",
        "echelles": {
            "accord5": {
                "libelles": LABELS,
                "codes": {k + 1: lab for k, lab in enumerate(LABELS)} | {9: "Sans avis"},
                "hors_echelle": ["Sans avis"],
            }
        },
        "questions": questions,
    }
    path.write_text(json.dumps(cb, ensure_ascii=False), encoding="utf-8")  # JSON is valid YAML


STEP = r"""
import json, resource, sys, time
import pandas as pd
from rencontres_lib import metrics
from rencontres_lib.loaders.questionnaire import load_questionnaire
def peak():
    # VmHWM is this process' own high-water mark: ru_maxrss would start at the parent's resident
    # size (Linux carries it over fork and exec), hiding any peak below it
    try:
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
step, data, cb = sys.argv[1], sys.argv[2], sys.argv[3]
base = peak()
t = time.perf_counter()
if step == "pandas":
    rows = len(pd.read_csv(data))
elif step == "pandas_str":
    rows = len(pd.read_csv(data, dtype=str, keep_default_na=False))
else:
    res = load_questionnaire(data, cb)
    rows = res.rows_used
    if step == "metrics":
        answers = metrics.scored(res.table, res.extra["questions"])
        joined = metrics.with_respondents(answers, res.extra["respondents"])
        metrics.favorable(joined, by=["territoire"])
        metrics.favorable_by_dimension(joined, by=["profil"])
        metrics.likert_distribution(answers, 5)
rss = peak()
print(json.dumps({"s": time.perf_counter() - t, "rss": rss - base, "rows": rows}))
"""
REPEAT = 5  # each step runs in REPEAT fresh processes; the median is kept (timings vary ±30 % here)
TARGET_TIME, TARGET_MEMORY = 2.0, 3.0


def measure(steps: list[str], data: Path, cb: Path) -> dict[str, dict]:
    """Each step in REPEAT fresh processes, interleaved (a slow spell of the machine hits every
    step alike); the median time and memory of each step."""
    runs: dict[str, list[dict]] = {step: [] for step in steps}
    for _ in range(REPEAT):
        for step in steps:
            out = subprocess.run(
                [sys.executable, "-c", STEP, step, str(data), str(cb)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs[step].append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        step: {k: statistics.median(r[k] for r in rs) for k in ("s", "rss", "rows")}
        for step, rs in runs.items()
    }


def run(n: int, tmp: Path) -> dict:
    data, cb = tmp / f"q_{n}.csv", tmp / "codebook.yaml"
    t = time.perf_counter()
    generate(data, n)
    codebook(cb)
    size = data.stat().st_size
    print(
        f"\n{n:,} réponses × {N_QUESTIONS} questions : fichier de {size / 1e6:.1f} Mo (généré en {time.perf_counter() - t:.1f} s)".replace(
            ",", " "
        )
    )
    print(
        f"  (médiane de {REPEAT} processus neufs par mesure, alternés ; mémoire = pic du processus au-delà des imports)"
    )
    m = measure(["pandas", "pandas_str", "loader", "metrics"], data, cb)
    base, text, load, full = m["pandas"], m["pandas_str"], m["loader"], m["metrics"]
    print(
        f"  pandas.read_csv nu             : {base['s']:6.2f} s, mémoire en plus {base['rss'] / 1e6:6.0f} Mo ({base['rss'] / size:.1f} × le fichier)"
    )
    print(
        f"  pandas.read_csv(dtype=str)     : {text['s']:6.2f} s, mémoire en plus {text['rss'] / 1e6:6.0f} Mo ({text['rss'] / size:.1f} × le fichier)"
    )
    print(
        f"  chargeur                       : {load['s']:6.2f} s, mémoire en plus {load['rss'] / 1e6:6.0f} Mo ({load['rows']:.0f} répondants)"
    )
    print(
        f"  chargeur + scores + métriques  : {full['s']:6.2f} s, mémoire en plus {full['rss'] / 1e6:6.0f} Mo"
    )
    ratio, mem = load["s"] / base["s"], load["rss"] / size
    print(
        f"  ratio temps chargeur / read_csv nu : {ratio:.2f} (objectif ≤ {TARGET_TIME:g}) ; "
        f"/ read_csv(dtype=str) : {load['s'] / text['s']:.2f}"
    )
    print(
        f"  pic de mémoire du chargeur / taille du fichier : {mem:.2f} (objectif ≤ {TARGET_MEMORY:g})"
    )
    return {"n": n, "load": load["s"], "ratio": ratio, "mem": mem}


def run_distinct_dates(n: int, tmp: Path) -> None:
    """The same export with a distinct submission time per response: a million date texts to
    read, check for completeness and parse (bare read and loader only)."""
    data, cb = tmp / f"q_{n}_dates.csv", tmp / "codebook.yaml"
    generate(data, n, distinct_dates=True)
    size = data.stat().st_size
    print(
        f"\nvariante : une date de soumission différente par réponse (fichier de {size / 1e6:.1f} Mo)"
    )
    m = measure(["pandas", "loader"], data, cb)
    base, load = m["pandas"], m["loader"]
    print(f"  pandas.read_csv nu : {base['s']:6.2f} s ; chargeur : {load['s']:6.2f} s")
    print(
        f"  ratio temps : {load['s'] / base['s']:.2f} ; pic de mémoire du chargeur / taille du fichier : {load['rss'] / size:.2f}"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        small = run(n // 10, Path(tmp))
        big = run(n, Path(tmp))
        run_distinct_dates(n, Path(tmp))
    print(
        f"\nlinéarité : ×{big['n'] / small['n']:.0f} lignes → ×{big['load'] / small['load']:.1f} temps de chargement"
    )
    met = big["ratio"] <= TARGET_TIME and big["mem"] <= TARGET_MEMORY
    print(
        f"ratio loader/read_csv: {big['ratio']:.2f} ; mémoire/fichier : {big['mem']:.2f} ; objectifs {'atteints' if met else 'non atteints'}"
    )


if __name__ == "__main__":
    main()
