"""Benchmark (not a test): cold builds of the example while the machine is saturated.

Starts ``--occupants`` busy processes (``python -c "while 1: pass"``, default: twice the
number of cores), then runs ``--constructions`` cold builds (default 20), each on a fresh copy
of the project (``rencontres build`` in a new process: new kernels, new sockets), ``--paralleles``
at a time (several builds starting kernels together make a port race likelier). Counts the
failed reports (an « échec » line or a non-zero exit code) and the kernel start-ups retried.
The busy processes are always stopped at the end, by their process ids.

Prints one line per build and ends with ``échecs sous charge: N/M`` (failed reports / reports).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rencontres_lib.build import copy_inputs

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def cold_build(_: int) -> tuple[subprocess.CompletedProcess, float]:
    """``rencontres build`` on a fresh copy of the project, in a new process."""
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_inputs(ROOT, Path(tmp) / "projet")
        start = time.perf_counter()
        proc = subprocess.run(  # noqa: S603
            [str(BIN / "rencontres"), "--racine", str(root), "build"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        return proc, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--constructions", type=int, default=20)
    parser.add_argument("--occupants", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument(
        "--paralleles", type=int, default=1, help="constructions lancées en même temps"
    )
    args = parser.parse_args()

    busy = [
        subprocess.Popen([sys.executable, "-c", "while 1: pass"])  # noqa: S603
        for _ in range(args.occupants)
    ]
    failed = reports = retries = 0
    times: list[float] = []
    try:
        time.sleep(2)  # the load is there before the first build
        print(f"{args.occupants} processus occupés sur {os.cpu_count()} cœurs", flush=True)
        with ThreadPoolExecutor(max_workers=args.paralleles) as pool:
            for i, (proc, seconds) in enumerate(
                pool.map(cold_build, range(args.constructions)), start=1
            ):
                out = proc.stdout + proc.stderr
                lines = re.findall(r"^\[\d+/\d+\] .*$", out, re.M)
                bad = [line for line in lines if " : échec" in line]
                reports += len(lines)
                failed += len(bad) or (proc.returncode != 0)
                retries += out.count("nouvel essai") + out.count("n'a pas démarré (essai")
                times.append(seconds)
                state = (
                    "ok" if proc.returncode == 0 and not bad else f"ÉCHEC (code {proc.returncode})"
                )
                print(
                    f"construction {i:2d} : {seconds:6.1f} s, {len(lines)} rapports, {state}",
                    flush=True,
                )
                for line in bad:
                    print(f"    {line}", flush=True)
                if proc.returncode != 0 and not bad:
                    print("    " + out[-1500:].replace("\n", "\n    "), flush=True)
    finally:
        for p in busy:
            p.kill()
        for p in busy:
            p.wait()
    print(
        f"temps d'une construction à froid sous charge : médiane {statistics.median(times):.1f} s"
        f" (de {min(times):.1f} à {max(times):.1f} s) ; démarrages de noyau repris : {retries}"
    )
    print(f"échecs sous charge: {failed}/{reports}")


if __name__ == "__main__":
    main()
