"""Benchmark (not a test): the documents stage (DOCX + ODT) and the communication kit.

Run with ``make bench`` or ``python benchmarks/bench_documents.py [--depuis PROJET]``. Builds the
example in a copy of the project (or reuses an already built copy given with ``--depuis``:
only its ``build/documents``, ``build/kit``, ``build/images`` and published documents are
rewritten), then times, each on its own line:

- the documents of every executed notebook with an empty image cache (kaleido draws every chart,
  one browser launch per report, then pandoc writes DOCX and ODT);
- the same documents with the images cached (pandoc only);
- the communication kits (PPTX + PNG cards, images cached);
- for comparison, one ``write_image`` call per chart on a few charts (a browser start each,
  the build's shared kaleido browser stopped first).

Last line: ``ratio batch/per-figure: X.XX`` (time per chart, one batch against one call each).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rencontres_lib import documents, kit
from rencontres_lib.build import copy_inputs

ROOT = Path(__file__).resolve().parents[1]


def notebooks(root: Path) -> list[tuple[str, Path]]:
    work = root / "build"
    found = [(p.parent.name, p) for p in sorted(work.glob("*/rencontre.ipynb"))]
    synth = work / "synthese" / "synthese.ipynb"
    return found + ([("synthese", synth)] if synth.exists() else [])


def clear(root: Path, images: bool) -> None:
    for name in ("documents", "kit") + (("images",) if images else ()):
        shutil.rmtree(root / "build" / name, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depuis", type=Path, help="projet déjà construit (copie jetable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.depuis:
            root = args.depuis.resolve()
        else:
            root = copy_inputs(ROOT, Path(tmp) / "projet")
            start = time.perf_counter()
            subprocess.run(
                [str(Path(sys.executable).parent / "rencontres"), "build", "--sans-audit"],
                cwd=root,
                capture_output=True,
                check=False,
            )
            print(f"construction de l'exemple : {time.perf_counter() - start:.1f} s")
        nbs = notebooks(root)
        if not nbs:
            raise SystemExit("aucun carnet exécuté dans build/ : la construction a échoué")
        reports, work = root / "reports", root / "build"
        n_charts = sum(1 for _, nb in nbs for p in documents.read_parts(nb) if p.chart is not None)
        browser = documents.chromium()
        print(f"{len(nbs)} carnets, {n_charts} graphiques ; Chromium : {browser or 'absent'}")

        clear(root, images=True)
        start = time.perf_counter()
        for name, nb in nbs:
            documents.write_documents(nb, reports, name, work, log=print)
        cold = time.perf_counter() - start
        print(f"documents à froid (images + DOCX + ODT) : {cold:.1f} s")

        clear(root, images=False)
        start = time.perf_counter()
        for name, nb in nbs:
            documents.write_documents(nb, reports, name, work, log=print)
        warm = time.perf_counter() - start
        print(f"documents, images en cache (pandoc seul) : {warm:.1f} s")

        start = time.perf_counter()
        kit.publish_kits([name for name, _ in nbs], work, reports, log=print)
        print(f"kits de communication (PPTX + cartes) : {time.perf_counter() - start:.1f} s")

        if browser is None:
            print("ratio batch/per-figure: n/a (Chromium absent)")
            return
        import kaleido
        import plotly.io as pio

        kaleido.stop_sync_server(silence_warnings=True)  # the naive way: a browser per call

        charts = [p.chart for p in documents.read_parts(nbs[0][1]) if p.chart is not None][:4]
        out = Path(tmp) / "une_par_une"
        out.mkdir(exist_ok=True)
        start = time.perf_counter()
        for i, c in enumerate(charts):
            pio.write_image(c.spec, out / f"{i}.png", width=documents.WIDTH, scale=documents.SCALE)
        single = (time.perf_counter() - start) / len(charts)
        print(f"une image par appel : {single:.2f} s par graphique ({len(charts)} graphiques)")
        batch = (cold - warm) / max(n_charts, 1)
        print(f"lot (documents à froid − en cache) : {batch:.2f} s par graphique")
        print(f"ratio batch/per-figure: {batch / single:.2f}")
    os.environ.pop("BROWSER_PATH", None)


if __name__ == "__main__":
    main()
