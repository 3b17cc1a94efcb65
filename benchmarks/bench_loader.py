"""Benchmark (not a test): a generated 1,000,000-row questionnaire export through the loader.

Each measurement runs in its own fresh process, five times interleaved with the others, so
peak memory is that step's own (times: the shortest of the five, as ``timeit`` advises — a
busy machine only ever adds time, to either side —; memory and rows: the median): a bare ``pandas.read_csv`` of the file,
``read_csv(dtype=str)`` (what reading every cell as text costs), the questionnaire loader, and
the whole analysis path a report takes — loader, :func:`metrics.scored`,
:func:`metrics.with_respondents`, favourable shares by territory, by dimension and profile
(people as the base), Likert distributions. Prints times (imports excluded), peak memory
(growth of the process' own high-water mark, VmHWM, beyond the imports: the same measure for
the bare read and for the path, memory the system really holds — pages mapped but never
written, as the trick « pages_nulles » leaves them, are not counted, memory freed but kept by
the allocator is) and the ratios to the bare read and to the file size (targets: whole path
≤ 3 × ``read_csv``, ≤ 4 × the file).

Then the ablation: the whole path without each speed trick of :mod:`rencontres_lib.speed` (one
line per trick, and one without any), and the same metrics computed from Arrow
dictionary-encoded columns (``pyarrow.csv`` then ``pyarrow.compute``/numpy on the wide table, no
long table, no codebook checks). pyarrow is not a dependency of the project: installed beside
pandas 3 it would switch every text column of the project to Arrow storage. For the comparison,
install it apart and name the folder::

    .venv/bin/pip install --target /tmp/pyarrow pyarrow
    BENCH_PYARROW=/tmp/pyarrow .venv/bin/python benchmarks/bench_loader.py

Finally checks that time grows linearly (×10 rows).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from rencontres_lib import speed

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


ARROW = r"""
def arrow_path(data, cb):
    # the report's three metrics from Arrow dictionary-encoded columns, on the wide table:
    # favourable shares per territory and statement, Likert distributions, and per dimension
    # and profile the people, answers, favourable answers and the cluster variance
    book = json.load(open(cb, encoding="utf-8"))
    qs = [q for q in book["questions"] if q["type"] == "likert"]
    codes = pyarrow.dictionary(pyarrow.int32(), pyarrow.string())
    names = ["PROFIL", "TERRITOIRE"] + [q["colonne"] for q in qs]
    options = pyarrow.csv.ConvertOptions(
        column_types={n: codes for n in names}, include_columns=names
    )
    table = pyarrow.csv.read_csv(data, convert_options=options)
    scale = book["echelles"]["accord5"]
    levels = len(scale["libelles"])
    rank_of = {str(c): i for i, c in enumerate(scale["codes"], start=1) if i <= levels}

    def indices(name):
        column = table.column(name).unify_dictionaries().combine_chunks()
        return column.indices.to_numpy(zero_copy_only=False), column.dictionary.to_pylist()

    terr, territories = indices("TERRITOIRE")
    prof, profiles = indices("PROFIL")
    per_dim, out = {}, []
    for q in qs:
        idx, values = indices(q["colonne"])
        rank = np.array([rank_of.get(v, 0) for v in values] + [0], np.int8)[idx]
        ok, fav = rank > 0, rank >= 4
        out.append(np.bincount(terr[ok], minlength=len(territories)))
        out.append(np.bincount(terr[fav], minlength=len(territories)))
        out.append(np.bincount(rank, minlength=levels + 1))
        m, k = per_dim.setdefault(
            q["dimension"], (np.zeros(len(rank), np.int16), np.zeros(len(rank), np.int16))
        )
        m += ok
        k += fav
    for m, k in per_dim.values():
        for g in range(len(profiles)):
            sel = (prof == g) & (m > 0)
            mm, kk = m[sel].astype(float), k[sel].astype(float)
            p = kk.sum() / mm.sum()
            out.append(((kk - p * mm) ** 2).sum())
    return table.num_rows
"""

STEP = (
    r"""
import contextlib, json, resource, sys, time
import pandas as pd
from rencontres_lib import metrics, speed
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
if step == "arrow":
    try:
        import pyarrow, pyarrow.csv, pyarrow.compute  # imported before the baseline, as pandas
    except ImportError:
        print(json.dumps({"s": float("nan"), "cpu": float("nan"), "rss": float("nan"), "rows": 0}))
        sys.exit()
    import numpy as np
"""
    + ARROW
    + r"""
off = step.split(":", 1)[1] if step.startswith("metrics:") else None
base = peak()
t, cpu = time.perf_counter(), time.process_time()  # CPU: every thread, less hit by a busy machine
if step == "pandas":
    rows = len(pd.read_csv(data))
elif step == "pandas_str":
    rows = len(pd.read_csv(data, dtype=str, keep_default_na=False))
elif step == "arrow":
    rows = arrow_path(data, cb)
else:
    # "metrics:NAME" turns trick NAME off, "metrics:*" every trick
    tricks = speed.without(*([] if off == "*" else [off])) if off else contextlib.nullcontext()
    with tricks:
        res = load_questionnaire(data, cb)
        rows = res.rows_used
        if step.startswith("metrics"):
            answers = metrics.scored(res.table, res.extra["questions"])
            joined = metrics.with_respondents(answers, res.extra["respondents"])
            metrics.favorable(joined, by=["territoire"])
            metrics.favorable_by_dimension(joined, by=["profil"])
            metrics.likert_distribution(answers, 5)
rss = peak()
print(json.dumps({"s": time.perf_counter() - t, "cpu": time.process_time() - cpu, "rss": rss - base, "rows": rows}))
"""
)
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))  # fresh processes per step
TARGET_TIME, TARGET_MEMORY = 2.0, 3.0  # the loader alone
WHOLE_TIME, WHOLE_MEMORY = 3.0, 4.0  # loader + scores + metrics (issue 17)


def measure(steps: list[str], data: Path, cb: Path) -> dict[str, dict]:
    """Each step in REPEAT fresh processes, interleaved (a slow spell of the machine hits every
    step alike); the shortest wall and CPU times of each step (the machine's load only adds
    to them: the medians moved by ±30 % from one run to the next on a shared 2-core machine)
    and the median memory and rows."""
    runs: dict[str, list[dict]] = {step: [] for step in steps}
    for _ in range(REPEAT):
        for step in steps:
            env = os.environ.copy()
            if step == "arrow" and os.environ.get("BENCH_PYARROW"):
                env["PYTHONPATH"] = os.pathsep.join(
                    filter(None, [os.environ["BENCH_PYARROW"], env.get("PYTHONPATH")])
                )
            for attempt in (1, 2):  # a step that fails is run once more, its error shown
                out = subprocess.run(
                    [sys.executable, "-c", STEP, step, str(data), str(cb)],
                    capture_output=True,
                    text=True,
                    env=env,
                )
                if out.returncode == 0:
                    break
                last = (out.stderr.strip().splitlines() or ["?"])[-1]
                print(f"  (mesure « {step} » en échec, essai {attempt} : {last})", flush=True)
            out.check_returncode()
            runs[step].append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        step: {k: min(r[k] for r in rs) for k in ("s", "cpu")}
        | {k: statistics.median(r[k] for r in rs) for k in ("rss", "rows")}
        for step, rs in runs.items()
    }


def run(n: int, tmp: Path, ablation: bool = False) -> dict:
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
        f"  ({REPEAT} processus neufs par mesure, alternés ; temps : le plus court ; mémoire : médiane du pic du processus au-delà des imports)"
    )
    steps = ["pandas", "pandas_str", "loader", "metrics"]
    if ablation:
        steps += [f"metrics:{name}" for name in speed.TRICKS] + ["metrics:*", "arrow"]
    m = measure(steps, data, cb)
    base, text, load, full = m["pandas"], m["pandas_str"], m["loader"], m["metrics"]

    def line(label: str, r: dict) -> str:
        return (
            f"  {label:<31}: {r['s']:6.2f} s ({r['s'] / base['s']:.2f} × read_csv ; CPU {r['cpu']:.2f} s), "
            f"mémoire en plus {r['rss'] / 1e6:6.0f} Mo ({r['rss'] / size:.2f} × le fichier)"
        )

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
        f" (CPU {full['cpu']:.2f} s ; read_csv nu : CPU {base['cpu']:.2f} s)"
    )
    ratio, mem = load["s"] / base["s"], load["rss"] / size
    print(
        f"  ratio temps chargeur / read_csv nu : {ratio:.2f} (objectif ≤ {TARGET_TIME:g}) ; "
        f"/ read_csv(dtype=str) : {load['s'] / text['s']:.2f}"
    )
    print(
        f"  pic de mémoire du chargeur / taille du fichier : {mem:.2f} (objectif ≤ {TARGET_MEMORY:g})"
    )
    whole, whole_mem = full["s"] / base["s"], full["rss"] / size
    met = whole <= WHOLE_TIME and whole_mem <= WHOLE_MEMORY
    print(
        f"  chemin complet : ratio temps / read_csv nu {whole:.2f} (objectif ≤ {WHOLE_TIME:g}) ; "
        f"pic de mémoire / fichier {whole_mem:.2f} (objectif ≤ {WHOLE_MEMORY:g}) : "
        f"{'objectifs atteints' if met else 'objectifs non atteints'}"
    )
    print(
        f"  chemin complet : {full['rss'] / (n * N_QUESTIONS):.1f} octets par réponse au pic "
        f"(le fichier : {size / (n * N_QUESTIONS):.1f})"
    )
    if ablation:
        print(
            "  ablation : le chemin complet sans une astuce (rencontres_lib.speed), écart au chemin avec toutes"
        )
        for name in [*speed.TRICKS, "*"]:
            r = m[f"metrics:{name}"]
            label = "sans aucune astuce" if name == "*" else f"sans {name}"
            print(
                line(label, r)
                + f" ; gain de l'astuce {r['s'] - full['s']:+.2f} s (CPU {r['cpu'] - full['cpu']:+.2f} s), {(r['rss'] - full['rss']) / 1e6:+.0f} Mo"
            )
        arrow = m["arrow"]
        if arrow["rows"]:
            print(line("Arrow, colonnes dictionnaire", arrow))
            print(
                "    (pyarrow.csv en colonnes dictionnaire puis les mêmes métriques sur la table large : "
                "ni table longue, ni codebook, ni contrôle des réponses)"
            )
        else:
            print(
                "  Arrow, colonnes dictionnaire   : non mesuré (pyarrow absent ; "
                "BENCH_PYARROW=DOSSIER, voir l'en-tête de ce fichier)"
            )
    return {
        "n": n,
        "load": load["s"],
        "ratio": ratio,
        "mem": mem,
        "whole": whole,
        "whole_mem": whole_mem,
        "full": full["s"],
    }


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
        big = run(n, Path(tmp), ablation=True)
        run_distinct_dates(n, Path(tmp))
    print(
        f"\nlinéarité : ×{big['n'] / small['n']:.0f} lignes → ×{big['load'] / small['load']:.1f} temps de chargement, "
        f"×{big['full'] / small['full']:.1f} temps du chemin complet"
    )
    met = big["ratio"] <= TARGET_TIME and big["mem"] <= TARGET_MEMORY
    print(
        f"ratio loader/read_csv: {big['ratio']:.2f} ; mémoire/fichier : {big['mem']:.2f} ; objectifs {'atteints' if met else 'non atteints'}"
    )
    whole_met = big["whole"] <= WHOLE_TIME and big["whole_mem"] <= WHOLE_MEMORY
    print(
        f"ratio chemin complet / read_csv nu : {big['whole']:.2f} ; pic de mémoire / fichier : {big['whole_mem']:.2f} ; "
        f"objectifs {'atteints' if whole_met else 'non atteints'}"
    )


if __name__ == "__main__":
    main()
