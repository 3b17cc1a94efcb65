"""Benchmark (not a test): N territories generated from the example, built cold; one Dask run.

For each N (default 4, 25, 100) a copy of the project gets N parameters files, made from the
example's four territories in turn (same sources and filter, new slug and name), and is built
cold by ``rencontres build`` in a new process. Printed per N: total time, seconds per
territory, the synthesis's own time, and the peak memory (resident set, VmHWM) of the largest
process (the build or one of its kernels), which must not grow with N.

Then the smallest N is built again through ``--cluster`` on a ``dask.distributed``
``LocalCluster`` started here (2 workers, 1 thread each), to compare with the local run.

Last line: ``seconds per territory at 4/25/100: A B C``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from rencontres_lib.build import copy_inputs
from rencontres_lib.formats import fmt_count

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# runs a command and prints the largest peak RSS among it and its descendants (kilobytes)
PEAK = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "print('pic_kio', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
    "sys.exit(r.returncode)"
)
DOCUMENTS = False  # HTML pages and tables (documents: bench_documents.py, or --documents)


def generate(root: Path, n: int) -> None:
    """Replace the example's territories by ``n`` generated ones (cycling over the four)."""
    params = root / "parameters"
    bases = []
    for f in sorted(params.glob("*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "slug" in data:
            bases.append(data)
            f.unlink()
    for i in range(n):
        base = dict(bases[i % len(bases)])
        base["slug"] = f"{base['slug']}-{i + 1:03d}"
        base["territoire"] = f"{base['territoire']} ({i + 1})"
        base["filtre"] = {"territoire": bases[i % len(bases)].get("filtre", {}).get("territoire")}
        (params / f"{base['slug']}.yaml").write_text(
            yaml.safe_dump(base, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )


def run(root: Path, *extra: str) -> dict:
    cmd = [sys.executable, "-c", PEAK, str(BIN / "rencontres"), "--racine", str(root), "build"]
    if not DOCUMENTS:
        cmd.append("--sans-documents")
    start = time.perf_counter()
    proc = subprocess.run(  # noqa: S603
        [*cmd, *extra], cwd=root, capture_output=True, text=True, timeout=7200
    )
    seconds = time.perf_counter() - start
    out = proc.stdout + proc.stderr
    syn = re.search(r"Synthèse du chantier : exécuté \(([\d,]+) s\)", out)
    peak = re.search(r"pic_kio (\d+)", out)
    failed = len(re.findall(r"^\[\d+/\d+\] .* : échec", out, re.M))
    if proc.returncode != 0:
        print(out[-2000:])
    return {
        "s": seconds,
        "synthese": float(syn.group(1).replace(",", ".")) if syn else float("nan"),
        "pic_mo": int(peak.group(1)) / 1024 if peak else float("nan"),
        "echecs": failed,
        "code": proc.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tailles", nargs="*", type=int, default=[4, 25, 100])
    parser.add_argument("--sans-grappe", action="store_true", help="sans le passage Dask")
    parser.add_argument(
        "--documents",
        action="store_true",
        help="avec les documents (DOCX, ODT, diaporamas, PDF) ; par défaut HTML et tableaux",
    )
    args = parser.parse_args()
    global DOCUMENTS
    DOCUMENTS = args.documents
    per: list[float] = []
    for n in args.tailles:
        with tempfile.TemporaryDirectory() as tmp:
            root = copy_inputs(ROOT, Path(tmp) / "projet")
            generate(root, n)
            r = run(root)
        per.append(r["s"] / n)
        print(
            f"{n:4d} territoires : {r['s']:7.1f} s, {r['s'] / n:5.2f} s par territoire, synthèse"
            f" {r['synthese']:.1f} s, pic de mémoire du plus gros processus {r['pic_mo']:.0f} Mo,"
            f" {fmt_count(r['echecs'], 'échec', 'échecs')}",
            flush=True,
        )
    if not args.sans_grappe:
        from distributed import LocalCluster

        n = min(args.tailles)
        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
            with tempfile.TemporaryDirectory() as tmp:
                root = copy_inputs(ROOT, Path(tmp) / "projet")
                generate(root, n)
                r = run(root, "--cluster", cluster.scheduler_address)
        print(
            f"grappe Dask (LocalCluster, 2 travailleurs) : {n} territoires en {r['s']:.1f} s"
            f" ({r['s'] / n:.2f} s par territoire), {fmt_count(r['echecs'], 'échec', 'échecs')},"
            f" code {r['code']}",
            flush=True,
        )
    print(
        "seconds per territory at "
        + "/".join(map(str, args.tailles))
        + ": "
        + " ".join(f"{s:.2f}" for s in per)
    )


if __name__ == "__main__":
    main()
