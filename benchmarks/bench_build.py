"""Benchmark (not a test): the naive papermill + nbconvert loop against ``rencontres build``.

Run with ``make bench``. Works on a copy of the project in a temporary folder, so reports/ is
left alone. Prints each timing and, as its last line, ``ratio cold/naive: X.XX``. The naive
loop gets the same papermill parameters as the build (``lot = True``: no widgets) and makes
HTML only, so the cold build compared with it is ``--sans-documents``; the documents (DOCX,
ODT, chart images, slides, PDFs) that a second build then adds are timed on their own line.
Each run starts from its own fresh copy of the project: the cold build reuses nothing that
the naive loop computed (caches of names, words, terms and vectors included). The cold build
runs once before the naive loop and once after it, and the ratio takes their mean: on a
shared machine whose speed drifts during the naive loop's minute and a half, a drift then
weighs on both sides alike instead of on one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rencontres_lib.build import copy_inputs

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        print(proc.stdout[-2000:], proc.stderr[-2000:])
        raise SystemExit(f"échec de {' '.join(cmd)}")
    return elapsed, proc.stdout + proc.stderr


def naive(root: Path) -> float:
    """papermill CLI then jupyter nbconvert, one process each, for every notebook."""
    out = root / "naive"
    out.mkdir()
    env = dict(os.environ)
    total = 0.0
    results = []
    for p in sorted((root / "parameters").glob("*.yaml")):
        if p.stem == "codebook":
            continue
        executed = out / f"{p.stem}.ipynb"
        sortie = out / p.stem
        t, _ = timed(
            [
                str(BIN / "papermill"),
                "--no-progress-bar",
                str(root / "notebooks/rencontre.ipynb"),
                str(executed),
                "-p",
                "parametres",
                str(p),
                "-p",
                "sortie",
                str(sortie),
                "-p",
                "lot",
                "True",
                "--cwd",
                str(root / "notebooks"),
            ],
            root,
            env,
        )
        total += t
        t, _ = timed(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            root,
            env,
        )
        total += t
        results.append(str(sortie / "resultats.json"))
    executed = out / "synthese.ipynb"
    t, _ = timed(
        [
            str(BIN / "papermill"),
            "--no-progress-bar",
            str(root / "notebooks/synthese.ipynb"),
            str(executed),
            "-y",
            "resultats: [" + ", ".join(f'"{r}"' for r in results) + "]\nlot: true",
            "--cwd",
            str(root / "notebooks"),
        ],
        root,
        env,
    )
    total += t
    t, _ = timed(
        [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)], root, env
    )
    return total + t


def rencontres_build(root: Path, *extra: str) -> tuple[float, int]:
    t, out = timed([str(BIN / "rencontres"), "--racine", str(root), "build", *extra], root)
    m = re.search(r"(\d+) carnets? exécutés?|(\d+) carnet\(s\) exécuté", out)
    return t, int(m.group(1) or m.group(2)) if m else -1


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # two fresh copies: the cold build finds nothing that the naive loop left behind (no
        # built notebook, no cache of names, words, terms or vectors in prive/)
        # the ratio compares HTML outputs (what the naive loop makes); documents on their own line
        before = copy_inputs(ROOT, Path(tmp) / "avant")
        t_before, _ = rencontres_build(before, "--force", "--sans-documents")
        t_naive = naive(copy_inputs(ROOT, Path(tmp) / "naif"))
        print(f"boucle naïve (papermill puis nbconvert, un processus chacun) : {t_naive:.1f} s")
        root = copy_inputs(ROOT, Path(tmp) / "projet")
        t_after, n_cold = rencontres_build(root, "--force", "--sans-documents")
        t_cold = (t_before + t_after) / 2
        print(
            f"rencontres build à froid (HTML) : {t_cold:.1f} s ({n_cold} carnets exécutés ;"
            f" {t_before:.1f} s avant la boucle naïve, {t_after:.1f} s après)"
        )
        t_docs, _ = rencontres_build(root)
        print(
            f"documents ensuite (DOCX, ODT, images des graphiques, diaporamas, PDF) : {t_docs:.1f} s"
        )
        t_same, n_same = rencontres_build(root)
        print(f"rencontres build sans changement : {t_same:.2f} s ({n_same} carnet exécuté)")
        ins = root / "data" / "exemple" / "inscriptions_lyon.csv"
        with open(ins, "ab") as fh:
            fh.write(b"\r\n")  # same rows, different bytes: the territory must be rebuilt
        t_one, n_one = rencontres_build(root)
        print(f"rencontres build, un territoire modifié : {t_one:.1f} s ({n_one} carnets exécutés)")
        for f in sorted((root / "reports").glob("*.html")):
            print(f"  {f.name} : {f.stat().st_size / 1024:.0f} Kio")
        js = root / "reports" / "assets" / "plotly.min.js"
        if js.exists():
            print(f"  assets/plotly.min.js (partagé) : {js.stat().st_size / 1024:.0f} Kio")
        print(f"ratio cold/naive: {t_cold / t_naive:.2f}")


if __name__ == "__main__":
    main()
