"""The batch: validate every territory, execute the stale notebooks in parallel, publish.

- one key per notebook run: sha256 of the notebook source, the parameters file, the bytes of
  every input it reads and the library sources; unchanged key → nothing executed, HTML kept;
- territorial notebooks run concurrently (``jobs``), then the synthesis, which reads the
  results saved by each territorial run;
- a failure is recorded and the batch goes on; the previous good HTML is kept and marked
  stale; the exit code counts failures; every published file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .config import load_parametres, parameter_files, project_root
from .errors import RencontresError
from .exports import atomic_write_text, fmt_date

LIB_DIR = Path(__file__).resolve().parent


@dataclass
class Outcome:
    """What happened to one report in a build."""

    slug: str
    title: str
    html: str
    state: str = "en attente"  # exécuté | réutilisé | échec
    seconds: float = 0.0
    error: str = ""
    stale: bool = False
    date: str = ""
    phase: str = ""


@dataclass
class BuildReport:
    outcomes: list[Outcome] = field(default_factory=list)
    executed: int = 0
    audit_hits: int = 0
    seconds: float = 0.0

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.state == "échec"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failures or self.audit_hits else 0


def _hash_files(paths: list[Path], h: hashlib._Hash) -> None:
    for p in paths:
        h.update(str(p.name).encode())
        if p.exists():
            with open(p, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        else:
            h.update(b"<absent>")


def copy_inputs(src: Path, dst: Path) -> Path:
    """Copy what a build reads (parameters, data, notebooks, pyproject.toml) into ``dst``.

    A throw-away project for tests and benchmarks: the user's reports/ and prive/ are not copied.
    """
    import shutil

    for name in ("parameters", "data", "notebooks"):
        shutil.copytree(src / name, dst / name)
    shutil.copy(src / "pyproject.toml", dst / "pyproject.toml")
    (dst / "reports").mkdir()
    return dst


def library_fingerprint() -> str:
    """Hash of the library's own sources and data (changes whenever the code does)."""
    h = hashlib.sha256(__version__.encode())
    files = sorted(
        p
        for p in LIB_DIR.rglob("*")
        if p.is_file() and p.suffix in {".py", ".yaml", ".j2", ".css", ".js", ".json"}
    )
    _hash_files(files, h)
    return h.hexdigest()


def run_key(notebook: Path, inputs: list[Path], lib: str) -> str:
    h = hashlib.sha256(lib.encode())
    _hash_files([notebook, *inputs], h)
    return h.hexdigest()


def _load_cache(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _french_failure(exc: BaseException, root: Path | None = None) -> str:
    """A French explanation of a notebook failure, naming the failing cell.

    Paths are made relative to the project: the message is published in index.html.
    """
    from papermill.exceptions import PapermillExecutionError

    from .privacy import scrub_text

    if isinstance(exc, PapermillExecutionError):
        evalue = str(exc.evalue).strip().splitlines()[0] if exc.evalue else ""
        text = f"échec dans la cellule {exc.exec_count} ({exc.ename}) : {evalue}"
    elif isinstance(exc, RencontresError):
        text = exc.french()
    else:
        text = f"{type(exc).__name__} : {exc}"
    if root is not None:
        text = text.replace(str(root).rstrip("/") + "/", "")
    return scrub_text(text, max_chars=600)


def _execute(notebook: Path, output: Path, parameters: dict, cwd: Path) -> float:
    import papermill as pm

    start = time.perf_counter()
    output.parent.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(
        str(notebook),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        cwd=str(cwd),
        request_save_on_cell_execute=False,
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )
    return time.perf_counter() - start


def _mark_stale(html_path: Path, reason: str) -> None:
    """Put a visible « périmé » banner into a kept report (atomic rewrite)."""
    import html as h

    if not html_path.exists():
        return
    page = html_path.read_text(encoding="utf-8")
    page = (
        page.split('<div class="perime"', 1)[0] + page.split("<!--/PERIME-->", 1)[1]
        if "<!--/PERIME-->" in page
        else page
    )
    banner = (
        f'<div class="perime" role="alert"><strong>Rapport périmé.</strong> La dernière construction a échoué '
        f"({h.escape(reason)}) ; cette page date d'une construction précédente.</div><!--/PERIME-->"
    )
    page = page.replace('<main id="contenu">', '<main id="contenu">' + banner, 1)
    atomic_write_text(html_path, page)


def build(
    root: Path | None = None,
    *,
    jobs: int | None = None,
    force: bool = False,
    autonome: bool = False,
    audit: bool = True,
    log=print,
) -> BuildReport:
    """Build every report of the project; see the module docstring."""
    t0 = time.perf_counter()
    root = (root or project_root()).resolve()
    # kernels inherit these; restored afterwards so the calling process is left as it was
    saved_env = {k: os.environ.get(k) for k in ("RENCONTRES_ROOT", "RENCONTRES_BATCH")}
    os.environ["RENCONTRES_ROOT"] = str(root)
    os.environ["RENCONTRES_BATCH"] = "1"
    try:
        return _build(root, jobs=jobs, force=force, autonome=autonome, audit=audit, log=log, t0=t0)
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _build(root: Path, *, jobs, force, autonome, audit, log, t0) -> BuildReport:
    from .publish import Publisher, copy_atomic, install_assets

    reports = root / "reports"
    work = root / "build"
    reports.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    cache_path = work / "cache.json"
    cache = _load_cache(cache_path)
    from .config import salt

    salt(root)  # created once here, before notebooks run in parallel
    people = cached_registrant_people(root)
    # names of all registrants: a new name anywhere re-runs every territory (its quotes are
    # masked with it); attendance updates or new rows of known people do not
    names_key = write_project_names(root, people)
    lib = library_fingerprint() + names_key + ("-autonome" if autonome else "")
    nb_rencontre = root / "notebooks" / "rencontre.ipynb"
    nb_synthese = root / "notebooks" / "synthese.ipynb"
    report = BuildReport()
    jobs = max(1, jobs or os.cpu_count() or 1)
    publishers: list = []

    def publisher() -> Publisher:  # nbconvert costs ~1 s to import: only when publishing
        if not publishers:
            publishers.append(Publisher(autonome=autonome))
        return publishers[0]

    if not autonome:
        install_assets(reports)

    todo: list[tuple[Outcome, Path, dict, str]] = []
    for pfile in parameter_files(root):
        slug = pfile.stem
        out = Outcome(slug=slug, title=slug, html=f"{slug}.html")
        report.outcomes.append(out)
        try:
            params = load_parametres(pfile, root=root)
        except RencontresError as exc:
            out.state, out.error = "échec", _french_failure(exc, root)
            continue
        out.slug, out.title, out.html = params.slug, params.territoire, f"{params.slug}.html"
        out.date, out.phase = params.date.isoformat(), params.phase
        key = run_key(nb_rencontre, [pfile, *params.input_paths()], lib)
        prev = cache.get(params.slug, {})
        if not force and prev.get("key") == key and (reports / out.html).exists():
            out.state = "réutilisé"
            continue
        todo.append(
            (out, pfile, {"parametres": str(pfile), "sortie": str(work / params.slug)}, key)
        )

    total = len(report.outcomes) + 1
    done = 0

    def progress(o: Outcome) -> None:
        nonlocal done
        done += 1
        extra = f" ({o.seconds:.1f} s)".replace(".", ",") if o.seconds else ""
        msg = f" — {o.error}" if o.error else ""
        log(f"[{done}/{total}] {o.title} : {o.state}{extra}{msg}")

    for o in report.outcomes:
        if o.state in ("réutilisé", "échec") and all(o is not t[0] for t in todo):
            progress(o)

    with ThreadPoolExecutor(max_workers=jobs) as pool:

        def territory(t: tuple) -> float:
            seconds = _execute(
                nb_rencontre, work / t[0].slug / "rencontre.ipynb", t[2], root / "notebooks"
            )
            private_outputs(t[1], root, log, pdfs)  # only after a successful run
            return seconds

        pdfs: list[tuple[Path, Path]] = []
        futures = {pool.submit(territory, t): t for t in todo}
        for fut in as_completed(futures):
            out, pfile, _, key = futures[fut]
            try:
                out.seconds = fut.result()
                title = f"{'Note de cadrage' if out.phase == 'cadrage' else 'Compte rendu'} — {out.title}"
                publisher().publish(work / out.slug / "rencontre.ipynb", reports / out.html, title)
                tables = work / out.slug / "tableaux"
                if tables.is_dir():
                    for f in sorted(tables.iterdir()):
                        copy_atomic(f, reports / "tableaux" / f.name)
                out.state = "exécuté"
                report.executed += 1
                cache[out.slug] = {
                    "key": key,
                    "built": dt.datetime.now().isoformat(timespec="seconds"),
                }
                atomic_write_text(cache_path, json.dumps(cache, indent=1))
            except Exception as exc:  # one territory never stops the others
                out.state, out.error = "échec", _french_failure(exc, root)
                cache.pop(out.slug, None)
            progress(out)

    for o in report.failures:
        if (reports / o.html).exists():
            o.stale = True
            _mark_stale(reports / o.html, o.error)

    import threading

    def print_pdfs() -> None:
        if pdfs:
            from .logistique import print_pdf

            for sheet, pdf in pdfs:
                print_pdf(sheet, pdf)

    printer = threading.Thread(target=print_pdfs, daemon=True)
    printer.start()  # sign-in PDFs print while the synthesis runs

    # synthesis: reads the results saved by each territorial run
    syn = Outcome(slug="synthese", title="Synthèse du chantier", html="synthese.html")
    ok_results = sorted(
        work / o.slug / "resultats.json"
        for o in report.outcomes
        if o.state in ("exécuté", "réutilisé") and (work / o.slug / "resultats.json").exists()
    )
    # keyed on the territorial runs it reads (their keys) and on the saved results themselves
    upstream = "".join(
        cache.get(o.slug, {}).get("key", "")
        for o in report.outcomes
        if o.state in ("exécuté", "réutilisé")
    )
    key = run_key(nb_synthese, ok_results, lib + upstream)
    if not force and cache.get("synthese", {}).get("key") == key and (reports / syn.html).exists():
        syn.state = "réutilisé"
    else:
        try:
            syn.seconds = _execute(
                nb_synthese,
                work / "synthese" / "synthese.ipynb",
                {"resultats": [str(p) for p in ok_results]},
                root / "notebooks",
            )
            publisher().publish(work / "synthese" / "synthese.ipynb", reports / syn.html, syn.title)
            syn.state = "exécuté"
            report.executed += 1
            cache["synthese"] = {
                "key": key,
                "built": dt.datetime.now().isoformat(timespec="seconds"),
            }
            atomic_write_text(cache_path, json.dumps(cache, indent=1))
        except Exception as exc:
            syn.state, syn.error = "échec", _french_failure(exc, root)
            if (reports / syn.html).exists():
                syn.stale = True
                _mark_stale(reports / syn.html, syn.error)
    report.outcomes.append(syn)
    progress(syn)

    printer.join()
    write_index(reports, report)
    if audit:
        report.audit_hits = _audit(reports, people, names_key, cache, cache_path, log)
    report.seconds = time.perf_counter() - t0
    return report


def _audit(reports: Path, people, names_key: str, cache: dict, cache_path: Path, log) -> int:
    """Audit the published files; files already found clean with the same names are skipped."""
    seen = cache.get("_audit", {})
    if seen.get("noms") != names_key:
        seen = {"noms": names_key, "propres": {}}
    files = sorted(p for p in reports.rglob("*") if p.is_file() and not p.name.startswith("."))
    digests = {
        str(p.relative_to(reports)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }
    todo = [
        p
        for p in files
        if seen["propres"].get(str(p.relative_to(reports))) != digests[str(p.relative_to(reports))]
    ]
    hits = []
    if todo:
        from .audit import audit_paths, format_hits

        hits = audit_paths(todo, names=[f"{p} {n}" for p, n in people if len(f"{p} {n}") > 4])
        if hits:
            log(format_hits(hits))
    hit_files = {h.file.split(" › ")[0] for h in hits}  # « classeur.xlsx › xl/sheet1.xml »
    seen["propres"] = {
        k: d
        for k, d in digests.items()
        if not any(f == k or f.endswith("/" + k) for f in hit_files)
    }
    cache["_audit"] = seen
    atomic_write_text(cache_path, json.dumps(cache, indent=1))
    return len(hits)


def private_outputs(pfile: Path, root: Path, log=print, pdfs: list | None = None) -> None:
    """Logistics of a meeting (sign-in sheet, waitlist, contacts) under the git-ignored prive/.

    The sign-in sheet's PDF (Chromium, ≈ 2 s) is queued in ``pdfs`` when given, to be printed
    while the synthesis runs instead of competing with the territorial notebooks.
    """
    from .logistique import pending_pdf, write_private_outputs
    from .rencontre import load_rencontre

    try:
        r = load_rencontre(load_parametres(pfile, root=root), kinds=("inscriptions",))
        write_private_outputs(r, pdf=pdfs is None)
        if pdfs is not None and (job := pending_pdf(r)):
            pdfs.append(job)
    except Exception as exc:  # logistics never fail a report
        log(f"  (sorties privées non écrites pour {pfile.stem} : {exc})")


def registrant_people(root: Path) -> list[tuple[str, str]]:
    """(prénom, nom) of every registrant of every territory: private, for masking and the audit."""
    from .config import salt
    from .loaders.inscriptions import load_inscriptions

    people: set[tuple[str, str]] = set()
    for pfile in parameter_files(root):
        try:
            params = load_parametres(
                pfile, root=root, check_paths=False
            )  # another source may be missing
            src = params.source("inscriptions")
            if src is None or not src.exists():
                continue
            rules = params.source("profils")
            res = load_inscriptions(
                src, salt=salt(root), rules=rules if rules and rules.exists() else None
            )
        except RencontresError:
            continue
        if res.private is not None:
            for prenom, nom in zip(
                res.private["prenom"].fillna(""), res.private["nom"].fillna(""), strict=True
            ):
                if str(prenom).strip() and str(nom).strip():
                    people.add((str(prenom).strip(), str(nom).strip()))
    return sorted(people)


def cached_registrant_people(root: Path) -> list[tuple[str, str]]:
    """:func:`registrant_people`, reusing ``prive/noms.json`` while no registrations file changed."""
    h = hashlib.sha256()
    for pfile in parameter_files(root):
        try:
            params = load_parametres(pfile, root=root, check_paths=False)
        except RencontresError:
            continue
        _hash_files(
            [p for p in (pfile, params.source("inscriptions"), params.source("profils")) if p], h
        )
    _hash_files([root / "prive" / "sel.txt"], h)
    key = h.hexdigest()
    cache = root / "prive" / "noms_cle.txt"
    saved = root / "prive" / "noms.json"
    if cache.exists() and saved.exists() and cache.read_text(encoding="utf-8").strip() == key:
        try:
            return [tuple(p) for p in json.loads(saved.read_text(encoding="utf-8"))]
        except ValueError:
            pass
    people = registrant_people(root)
    write_project_names(root, people)
    atomic_write_text(cache, key + "\n")
    return people


def registrant_names(root: Path) -> list[str]:
    """Full names « Prénom Nom » of every registrant (for the audit only, never published)."""
    return [f"{p} {n}" for p, n in registrant_people(root) if len(f"{p} {n}") > 4]


def write_project_names(root: Path, people: list[tuple[str, str]]) -> str:
    """Save every registrant's name in the git-ignored ``prive/noms.json`` (read by each notebook
    to mask names in free text, whatever territory they registered for); returns its hash."""
    blob = json.dumps([list(p) for p in people], ensure_ascii=False)
    target = root / "prive" / "noms.json"
    if not target.exists() or target.read_text(encoding="utf-8") != blob:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, blob)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def write_index(reports: Path, report: BuildReport) -> None:
    """``reports/index.html``: every report with its date, phase and status."""
    import html as h

    from .publish import TEMPLATES

    css = (TEMPLATES / "rencontres" / "rencontres.css").read_text(encoding="utf-8")
    rows = []
    for o in report.outcomes:
        exists = (reports / o.html).exists()
        link = (
            f'<a href="{h.escape(o.html)}">{h.escape(o.title)}</a>' if exists else h.escape(o.title)
        )
        if o.state == "échec":
            status = f'<span class="statut-echec">Échec</span> — {h.escape(o.error)}'
            if o.stale:
                status += " (la version précédente est conservée et marquée périmée)"
        else:
            status = f'<span class="statut-ok">{"Reconstruit" if o.state == "exécuté" else "Inchangé (réutilisé)"}</span>'
        date = fmt_date(dt.date.fromisoformat(o.date)) if o.date else "—"
        phase = {"cadrage": "Note de cadrage", "compte_rendu": "Compte rendu"}.get(
            o.phase, "Synthèse" if o.slug == "synthese" else "—"
        )
        rows.append(
            f"<tr><td>{link}</td><td>{h.escape(phase)}</td><td>{h.escape(date)}</td><td>{status}</td></tr>"
        )
    failures = len(report.failures)
    summary = (
        "Tous les rapports sont à jour."
        if not failures
        else f"{failures} rapport(s) en échec : voir la colonne « État »."
    )
    page = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Rencontres territoriales — rapports</title><style>{css}</style></head>
<body class="rencontres"><header class="bandeau"><span class="marque">ICPC — chantier « Points d'ancrage et nouvelles orientations de la participation citoyenne pour 2026 »</span></header>
<div class="mise-en-page"><main id="contenu"><h1>Rencontres territoriales : les rapports</h1>
<p>{h.escape(summary)} Construit le {h.escape(fmt_date(dt.date.today()))} avec Rencontres {__version__}.</p>
<table class="index-table"><caption>Rapports publiés</caption><thead><tr><th scope="col">Rapport</th><th scope="col">Document</th><th scope="col">Date de la rencontre</th><th scope="col">État</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<p class="note">Les tableaux derrière chaque graphique sont dans le dossier <code>tableaux/</code> (CSV et XLSX).</p>
</main></div></body></html>
"""
    atomic_write_text(reports / "index.html", page)
