"""The batch: validate every territory, execute the stale notebooks in parallel, publish.

- one key per notebook run: sha256 of the notebook source, the parameters file, the bytes of
  every input it reads and the library sources; unchanged key → nothing executed, HTML kept;
- a territory's key holds only the registrants' names that occur in its own sources (a new
  name elsewhere does not re-run it; the synthesis is keyed on every name);
- territorial notebooks run concurrently (``jobs`` warm kernels, or a Dask cluster), then the
  synthesis, which reads the results saved by each territorial run (see :mod:`.execution`);
- every parameters file and codebook is checked first: a broken one fails only its territory
  (duplicate slugs too); published messages name file, row, column and key, never a value;
- a failure is recorded and the batch goes on; the previous good HTML is kept and marked
  stale; the exit code counts failures; every published file is written atomically.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import threading
import time
import traceback
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, service
from .audit import ERROR, audit_paths, format_hits, project_settings
from .codebook import load_codebook
from .config import Parameters, load_parameters, parameter_files, project_root, salt
from .documents import chromium, document_paths, publish_documents
from .errors import BuildError, ConfigError, RencontresError
from .execution import (
    IMPORT_CODE,
    PRELOAD_CODE,
    DaskRunner,
    prewarm,
    run_code,
    run_notebook,
    shutdown_all,
)
from .exports import atomic_write_text, fmt_date
from .formats import fmt_count
from .kit import index_entries, publish_kits
from .loaders.inscriptions import load_inscriptions, names_to_mask
from .logistique import print_pdfs, sheets_without_pdf, write_private_outputs
from .privacy import NameIndex, scrub_text
from .publish import Publisher, copy_atomic, install_assets, render_index, stale_banner
from .rencontre import load_rencontre, names_file
from .textes import texts_path
from .vocabulary import fold_offsets

LIB_DIR = Path(__file__).resolve().parent
logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one report in a build."""

    slug: str
    title: str
    html: str
    state: str = "en attente"  # exécuté | réutilisé | échec
    seconds: float = 0.0
    error: str = ""  # public: file, row, column and key of the fault, never a value
    detail: str = ""  # private (terminal only): the full French message
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


def run_key(notebook: Path, inputs: list[Path], lib: str, memo: dict | None = None) -> str:
    """Key of one notebook run; ``memo`` (path → digest) hashes a shared input once per build."""
    if memo is None:
        h = hashlib.sha256(lib.encode())
        _hash_files([notebook, *inputs], h)
        return h.hexdigest()
    h = hashlib.sha256(lib.encode())
    for p in [notebook, *inputs]:
        if p not in memo:
            one = hashlib.sha256()
            _hash_files([p], one)
            memo[p] = one.hexdigest()
        h.update(memo[p].encode())
    return h.hexdigest()


def _load_cache(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# a quoted text is kept in a public message only when it names a place: a file, a key, a
# column or a sheet (« fichier « x.csv », ligne 3, colonne « Q1 » »), or looks like a file name
_PLACE_RE = re.compile(r"(?:fichier|clé|clés|colonne|colonnes|feuille|introuvable)\s*$")
_FILE_NAME_RE = re.compile(r"^[\w./\\ -]{1,200}\.(?:csv|tsv|txt|ya?ml|xlsx?|ods|json|ipynb)$", re.I)
_QUOTED_RE = re.compile(r"«\s*([^«»]*?)\s*»")
_OS_TEXTS = {
    PermissionError: "permission refusée",
    FileNotFoundError: "fichier ou dossier introuvable",
    IsADirectoryError: "un dossier se trouve à la place d'un fichier",
    NotADirectoryError: "un fichier se trouve à la place d'un dossier",
    TimeoutError: "délai dépassé (machine saturée ?) ; relancez « rencontres build »",
}


def public_text(text: str) -> str:
    """``text`` for a public page: places (file, row, column, key) kept, quoted values hidden.

    « fichier « a.csv », ligne 3 : valeur « Sophie » inconnue » → the value becomes « … ».
    """

    def keep(m: re.Match) -> str:
        before = text[max(0, m.start() - 30) : m.start()]
        if _PLACE_RE.search(before) or _FILE_NAME_RE.match(m.group(1)):
            return m.group(0)
        return "« … »"

    return _QUOTED_RE.sub(keep, text)


def _failure_texts(exc: BaseException, root: Path | None = None) -> tuple[str, str]:
    """(public, private) French explanations of a failure, naming the failing cell.

    The public one goes to index.html and the « périmé » banner: the kind of fault and its
    place (file relative to the project, row, column, key), never a value read from a file.
    The private one (terminal) is the whole message, scrubbed of contacts.
    """
    from papermill.exceptions import PapermillExecutionError

    def rel(text: str) -> str:
        return text.replace(str(root).rstrip("/") + "/", "") if root is not None else text

    if isinstance(exc, PapermillExecutionError):
        evalue = str(exc.evalue).strip().splitlines()[0] if exc.evalue else ""
        head = f"échec dans la cellule {exc.exec_count} ({exc.ename})"
        private = f"{head} : {evalue}"
        # our own errors are French and name their place; anything else: its kind only
        ours = exc.ename in {"RencontresError", "ConfigError", "SourceError", "BuildError"} or (
            exc.ename.endswith("Error") and "fichier « " in evalue
        )
        public = f"{head} : {public_text(rel(evalue))}" if ours and evalue else head
        if not ours:
            public += " ; le détail est affiché par « rencontres build » (terminal)"
    elif isinstance(exc, RencontresError):
        private = exc.french()
        public = public_text(rel(private))
    elif isinstance(exc, OSError):
        what = next((t for k, t in _OS_TEXTS.items() if isinstance(exc, k)), "erreur du système")
        where = f" : « {rel(str(exc.filename))} »" if exc.filename else ""
        public = f"{what}{where}"
        private = f"{public} ({type(exc).__name__} : {exc})"
    else:
        private = f"{type(exc).__name__} : {exc}"
        public = (
            f"erreur inattendue ({type(exc).__name__}) ; le détail est affiché par"
            " « rencontres build » (terminal)"
        )
    return scrub_text(public, max_chars=600), scrub_text(rel(private), max_chars=600)


def _french_failure(exc: BaseException, root: Path | None = None) -> str:
    """The public French explanation of a failure (see :func:`_failure_texts`)."""
    return _failure_texts(exc, root)[0]


def _fail(out: Outcome, exc: BaseException, root: Path) -> None:
    out.state = "échec"
    out.error, out.detail = _failure_texts(exc, root)
    if not isinstance(exc, RencontresError) and type(exc).__name__ != "PapermillExecutionError":
        journal = _write_journal(root, out.slug, exc)  # unexpected: keep the traceback, privately
        if journal is not None:
            out.detail += f" (trace : {journal.relative_to(root)})"


def _write_journal(root: Path, slug: str, exc: BaseException) -> Path | None:
    """The traceback of an unexpected failure in ``prive/journaux/`` (git-ignored, mode 600)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = root / "prive" / "journaux" / f"echec-{slug}-{stamp}-{os.getpid()}.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return path


def _execute(notebook: Path, output: Path, parameters: dict, cwd: Path) -> float:
    """Run one notebook on this thread's warm kernel (:mod:`.execution`); seconds taken."""
    return run_notebook(notebook, output, parameters, cwd)


def _prewarm(
    cwd: Path, preload: str = PRELOAD_CODE, gate: threading.Semaphore | None = None
) -> None:
    """Start this thread's kernel ahead of its first notebook (:func:`.execution.prewarm`),
    holding ``gate`` meanwhile when given."""
    with gate or contextlib.nullcontext():
        prewarm(cwd, preload)


def organiser_files(params: Parameters, root: Path) -> list[Path]:
    """The organiser's text file of a territory (``parameters/textes/<slug>.md``), if any."""
    path = texts_path(params.fichier or root / "parameters" / f"{params.slug}.yaml", params.slug)
    return [path] if path is not None and path.exists() else []


def earlier_inputs(params: Parameters, territories: list) -> list[Path]:
    """Parameters and proposals of the meetings held before this one (read by its cadrage)."""
    out: list[Path] = []
    for pfile, other, _ in territories:
        if other is None or other.slug == params.slug or other.phase != "compte_rendu":
            continue
        if other.date < params.date:
            out.append(pfile)
            if (c := other.source("contributions")) is not None:
                out.append(c)
    return out


def _mark_stale(html_path: Path, reason: str) -> None:
    """Put a visible « périmé » banner into a kept report (atomic rewrite)."""
    if not html_path.exists():
        return
    page = html_path.read_text(encoding="utf-8")
    page = (
        page.split('<div class="perime"', 1)[0] + page.split("<!--/PERIME-->", 1)[1]
        if "<!--/PERIME-->" in page
        else page
    )
    page = page.replace('<main id="contenu">', '<main id="contenu">' + stale_banner(reason), 1)
    atomic_write_text(html_path, page)


def build(
    root: Path | None = None,
    *,
    jobs: int | None = None,
    force: bool = False,
    autonome: bool = False,
    audit: bool = True,
    cluster=None,
    publication: bool = False,
    documents: bool = True,
    log=print,
    analyser: service.Services | None = None,
) -> BuildReport:
    """Build every report of the project; see the module docstring.

    ``publication``: the version for the website: the organiser's missing texts leave no
    « À rédiger » mark (notebook parameter ``brouillon = False``).
    ``cluster``: address of a Dask scheduler (``tcp://host:8786``) or a ``distributed.Client``;
    the notebooks then run on its workers (same cache, rules and audit).
    ``documents``: also the editable documents (DOCX, ODT), the kits (PPTX, cards) and the
    private PDFs of the sign-in sheets, each cached on its notebook (``False``: HTML pages and
    tables only; a later build with ``True`` adds the documents without re-running).
    ``analyser``: the text-analysis services already started for this build
    (:func:`.service.start_for_build`), used by a cold build and stopped at the end in any
    case. Raises :class:`BuildError` (French) when ``reports/`` or ``build/`` cannot be
    written.
    """
    t0 = time.perf_counter()
    log = _sayer(log)
    root = (root or project_root()).resolve()
    runner = None
    if cluster is not None:
        runner = DaskRunner(cluster)
    jobs = max(1, jobs or os.cpu_count() or 1)
    # each thread keeps its warm kernel until the end of the build (synthesis included); with
    # a cluster, local threads only wait for remote results
    pool = ThreadPoolExecutor(
        max_workers=256 if runner is not None else jobs, thread_name_prefix="carnet"
    )
    # the text-analysis process, when started (stopped at the end, used or not)
    services: list[service.Services] = [analyser] if analyser is not None else []
    try:
        return _build(
            root,
            jobs=jobs,
            force=force,
            autonome=autonome,
            audit=audit,
            publication=publication,
            documents=documents,
            log=log,
            t0=t0,
            runner=runner,
            pool=pool,
            services=services,
        )
    finally:
        pool.shutdown(wait=True)
        if runner is not None:
            runner.close()
        shutdown_all()
        for svc in services:
            svc.stop()


def _sayer(log):
    """Progress lines go to this module's logger, and to ``log`` when given (tests, CLI)."""

    def say(message: str, *, done: int | None = None, total: int | None = None) -> None:
        # done/total ride on the record: the CLI draws its tqdm bar from them
        logger.info(message, extra={"done": done, "total": total} if done else None)
        if log is not None:
            log(message)

    return say


def _writable_folders(root: Path) -> None:
    """Create reports/, build/ and prive/ or raise a French :class:`BuildError`."""
    for name in ("reports", "build", "prive"):
        folder = root / name
        try:
            folder.mkdir(exist_ok=True)
            probe = folder / f".ecriture-{os.getpid()}.tmp"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise BuildError(
                f"impossible d'écrire dans le dossier « {name}/ » ({_OS_TEXTS.get(type(exc), type(exc).__name__)}).",
                hint="Vérifiez ses droits (chmod u+w) ou l'espace disque, puis relancez.",
            ) from None


def _check_codebook(path: Path, seen: dict) -> None:
    """Load a codebook once per build; any fault becomes a French :class:`ConfigError`."""
    if path in seen:
        if seen[path] is not None:
            raise seen[path]
        return
    error = None
    try:
        load_codebook(path)
    except RencontresError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - never a traceback for a bad file
        error = ConfigError(f"codebook illisible ({type(exc).__name__}).", file=path)
    seen[path] = error
    if error is not None:
        raise error


def read_territories(root: Path) -> list[tuple[Path, Parameters | None, RencontresError | None]]:
    """Every territory's parameters file, validated: ``(file, parameters, None)`` when good,
    ``(file, None, error)`` when not. Codebooks are loaded here too, and a slug already used
    by another file is refused (the file named after the slug keeps it, else the first)."""
    items: list = []
    codebooks: dict = {}
    for pfile in parameter_files(root):
        try:
            params = load_parameters(pfile, root=root)
            if (cb := params.source("codebook")) is not None:
                _check_codebook(cb, codebooks)
        except RencontresError as exc:
            items.append((pfile, None, exc))
            continue
        items.append((pfile, params, None))
    by_slug: dict[str, list[int]] = {}
    for i, (_, params, _) in enumerate(items):
        if params is not None:
            by_slug.setdefault(params.slug, []).append(i)
    for slug, idx in by_slug.items():
        if len(idx) < 2:
            continue
        keeper = next((i for i in idx if items[i][0].stem == slug), idx[0])
        for i in idx:
            if i != keeper:
                items[i] = (
                    items[i][0],
                    None,
                    ConfigError(
                        f"clé « slug » : « {slug} » est déjà l'identifiant de "
                        f"« {items[keeper][0].name} » ; deux fichiers publieraient le même rapport.",
                        file=items[i][0].relative_to(root)
                        if items[i][0].is_relative_to(root)
                        else items[i][0],
                        hint="Donnez un slug différent à chaque territoire.",
                    ),
                )
    return items


def _build(
    root: Path,
    *,
    jobs,
    force,
    autonome,
    audit,
    log,
    t0,
    runner,
    pool,
    publication=False,
    documents=True,
    services=None,
) -> BuildReport:
    reports = root / "reports"
    work = root / "build"
    _writable_folders(root)
    cache_path = work / "cache.json"
    cache = _load_cache(cache_path)
    services = services if services is not None else []
    # a cold build: kernels start ahead of their notebooks (not for a stand-in executor in tests);
    # spaCy and the sentence encoder load once, in the text-analysis services, not per kernel
    if runner is None and (force or not cache) and _execute.__module__ == __name__:
        svc = services[0] if services else None  # started by the CLI (start_for_build)
        if svc is None and 1 < jobs <= service.BUILD_MAX_JOBS:
            svc = service.start_build()
            services.append(svc)
        # connected first: an import that fails would otherwise leave the kernel to load spaCy
        preload = svc.connect_code() + IMPORT_CODE if svc is not None else PRELOAD_CODE
        # while the service loads spaCy on one core, kernels start on the others, one per
        # core at a time: they would otherwise take CPU from the load every notebook waits for
        gate = threading.Semaphore(max(1, (os.cpu_count() or 1) - 1)) if svc is not None else None
        prewarm_args: tuple | None = (root / "notebooks", preload, gate)
        if svc is None:  # each kernel loads its own models: at once
            for _ in range(jobs):
                pool.submit(_prewarm, *prewarm_args)
            prewarm_args = None
        # else only once this process has prepared the build (below, a core's work of 1–2 s):
        # three processes on two cores would slow the load that every notebook waits for
    else:
        prewarm_args = None
    salt(root)  # created once here, before notebooks run in parallel
    people = cached_registrant_people(root)
    # every registrant's name (prive/noms.json, given to each notebook as ``noms``); a
    # territory's key holds only the names found in its own sources, the synthesis all of them
    names_key = write_project_names(root, people)
    lib = (
        library_fingerprint()
        + ("-autonome" if autonome else "")
        + ("-publication" if publication else "")
    )
    nb_rencontre = root / "notebooks" / "rencontre.ipynb"
    nb_synthese = root / "notebooks" / "synthese.ipynb"
    report = BuildReport()
    publishers: list = []
    digests: dict = {}  # path → sha256, each input hashed once per build
    scanner = NameScanner(people)

    publisher_lock = threading.Lock()

    def publisher() -> Publisher:  # nbconvert costs ~1 s to import: only when publishing
        with publisher_lock:
            if not publishers:
                publishers.append(Publisher(autonome=autonome))
            return publishers[0]

    if services:  # a cold build: made now, while the kernels wait for the text models
        threading.Thread(target=publisher, daemon=True, name="publication").start()

    if not autonome:
        install_assets(reports)

    todo: list[tuple[Outcome, Path, dict, str]] = []
    territories = read_territories(root)
    for pfile, params, error in territories:
        slug = pfile.stem
        out = Outcome(slug=slug, title=slug, html=f"{slug}.html")
        report.outcomes.append(out)
        if params is None:
            _fail(out, error, root)
            continue
        out.slug, out.title, out.html = params.slug, params.territoire, f"{params.slug}.html"
        out.date, out.phase = params.date.isoformat(), params.phase
        inputs = [pfile, *params.input_paths(), *organiser_files(params, root)]
        if params.phase == "cadrage":  # « ce que les rencontres précédentes ont produit »
            inputs += earlier_inputs(params, territories)
        names = territory_names_key(params.slug, inputs, scanner, names_key, cache, digests)
        key = run_key(nb_rencontre, inputs, lib + names, digests)
        prev = cache.get(params.slug, {})
        if not force and prev.get("key") == key and (reports / out.html).exists():
            out.state = "réutilisé"
            continue
        todo.append(
            (
                out,
                pfile,
                {
                    "parametres": str(pfile),
                    "sortie": str(work / params.slug),
                    "noms": str(names_file(root)),
                    "lot": True,
                    "brouillon": not publication,
                },
                key,
            )
        )

    atomic_write_text(cache_path, json.dumps(cache, indent=1))  # names found, per territory
    if prewarm_args is not None:
        for _ in range(jobs):
            pool.submit(_prewarm, *prewarm_args)
    # names and word classes: each kernel recognises its own territory's texts (spaCy loaded
    # once per kernel, at warm-up, in parallel), results shared through prive/ner.sqlite
    total = len(report.outcomes) + 1
    done = 0

    def progress(o: Outcome) -> None:
        nonlocal done
        done += 1
        extra = f" ({o.seconds:.1f} s)".replace(".", ",") if o.seconds else ""
        msg = f" — {o.detail or o.error}" if o.error else ""
        log(f"[{done}/{total}] {o.title} : {o.state}{extra}{msg}", done=done, total=total)

    for o in report.outcomes:
        if o.state in ("réutilisé", "échec") and all(o is not t[0] for t in todo):
            progress(o)

    def execute(notebook: Path, output: Path, parameters: dict) -> float:
        if runner is not None:
            return runner.run(notebook, output, parameters, root / "notebooks")
        return _execute(notebook, output, parameters, root / "notebooks")

    # the logistics of each territory (this process) are written while its kernel goes on
    # with the synthesis's work and its next notebook; all written before the PDFs print
    logistics = ThreadPoolExecutor(max_workers=1, thread_name_prefix="logistique")

    def territory(t: tuple) -> float:
        seconds = execute(nb_rencontre, work / t[0].slug / "rencontre.ipynb", t[2])
        logistics.submit(private_outputs, t[1], root, log)  # only after a successful run
        if runner is None:  # the synthesis's per-proposal work, in the kernel whose spaCy is
            # loaded, while the other territories run (consolidation.warm; failures ignored:
            # the synthesis then computes what is missing)
            try:
                run_code(warm_code(work / t[0].slug / "resultats.json", root), root / "notebooks")
            except Exception as exc:  # noqa: BLE001 - a cache warm-up never fails a report
                logger.debug("préparation des propositions de %s : %s", t[0].slug, exc)
        return seconds

    # each territory's published files are audited as soon as they are written, while the
    # other notebooks run (per-file checks); the final audit reads only what came later
    # (its names are found by the build's text-analysis service, when there is one, instead
    # of a second load of spaCy in this process)
    early = EarlyAudit(reports, people, services[0].attach if services else None) if audit else None
    futures = {pool.submit(territory, t): t for t in todo}
    for fut in as_completed(futures):
        out, pfile, _, key = futures[fut]
        try:
            out.seconds = fut.result()
            title = (
                f"{'Note de cadrage' if out.phase == 'cadrage' else 'Compte rendu'} — {out.title}"
            )
            publisher().publish(work / out.slug / "rencontre.ipynb", reports / out.html, title)
            published = [reports / out.html, *publish_tables(work / out.slug, reports)]
            if early is not None:
                early.submit(published)
            out.state = "exécuté"
            report.executed += 1
            cache[out.slug] = {
                "key": key,
                "built": dt.datetime.now().isoformat(timespec="seconds"),
            }
            atomic_write_text(cache_path, json.dumps(cache, indent=1))
        except Exception as exc:  # one territory never stops the others
            _fail(out, exc, root)
            cache.pop(out.slug, None)
        progress(out)

    logistics.shutdown(wait=True)
    for o in report.failures:
        if (reports / o.html).exists():
            o.stale = True
            _mark_stale(reports / o.html, o.error)

    # sign-in sheets and badges (private) print in one browser while the synthesis runs
    sheets = sheets_without_pdf(
        [root / "prive" / o.slug for o in report.outcomes if o.state != "échec"]
    )
    if documents and sheets and chromium() is None:
        log(
            f"PDF non produits pour {fmt_count(len(sheets), 'feuille', 'feuilles')} d'émargement"
            " ou de badges : Chromium absent ; les pages HTML à imprimer sont dans"
            " prive/<territoire>/."
        )
    printer = threading.Thread(target=print_pdfs, args=(sheets if documents else [],), daemon=True)
    printer.start()

    # synthesis: reads the results saved by each territorial run
    syn = Outcome(slug="synthese", title="Synthèse du chantier", html="synthese.html")
    ok_results = sorted(
        work / o.slug / "resultats.json"
        for o in report.outcomes
        if o.state in ("exécuté", "réutilisé") and (work / o.slug / "resultats.json").exists()
    )
    # keyed on the territorial runs it reads (their keys), on the saved results themselves
    # and on every registrant's name
    upstream = "".join(
        cache.get(o.slug, {}).get("key", "")
        for o in report.outcomes
        if o.state in ("exécuté", "réutilisé")
    )
    # and on the organiser's files it reads (regroupements.yaml is also rewritten by it)
    organiser = [
        root / "parameters" / n for n in ("synthese/regroupements.yaml", "textes/synthese.md")
    ]
    key = run_key(nb_synthese, ok_results + organiser, lib + names_key + upstream)
    if not force and cache.get("synthese", {}).get("key") == key and (reports / syn.html).exists():
        syn.state = "réutilisé"
    else:
        try:
            syn.seconds = pool.submit(
                execute,
                nb_synthese,
                work / "synthese" / "synthese.ipynb",
                {
                    "resultats": [str(p) for p in ok_results],
                    "lot": True,
                    "brouillon": not publication,
                    "sortie": str(work / "synthese"),
                },
            ).result()
            publisher().publish(work / "synthese" / "synthese.ipynb", reports / syn.html, syn.title)
            published = [reports / syn.html, *publish_tables(work / "synthese", reports)]
            if early is not None:
                early.submit(published)
            syn.state = "exécuté"
            report.executed += 1
            cache["synthese"] = {  # after the run: it may have merged regroupements.yaml
                "key": run_key(nb_synthese, ok_results + organiser, lib + names_key + upstream),
                "built": dt.datetime.now().isoformat(timespec="seconds"),
            }
            atomic_write_text(cache_path, json.dumps(cache, indent=1))
        except Exception as exc:
            _fail(syn, exc, root)
            if (reports / syn.html).exists():
                syn.stale = True
                _mark_stale(reports / syn.html, syn.error)
    report.outcomes.append(syn)
    progress(syn)

    printer.join()
    built = [o for o in report.outcomes if o.state != "échec"]
    if documents:  # editable documents and kits of every report, each cached on its notebook
        for o in built:
            nb = work / o.slug / ("synthese.ipynb" if o.slug == "synthese" else "rencontre.ipynb")
            if nb.exists():
                publish_documents(nb, reports, o.slug, work, log)
        publish_kits([o.slug for o in built], work, reports, log)
    elif built:
        stale = [o.slug for o in built if o.state == "exécuté"]
        for slug in stale:  # their old documents would tell older figures: withdrawn
            for path in document_paths(reports, slug):
                path.unlink(missing_ok=True)
            shutil.rmtree(reports / "kit" / slug, ignore_errors=True)
        log(
            "Documents non produits (--sans-documents) : DOCX, ODT, diaporamas et PDF des "
            "feuilles d'émargement ; relancez « rencontres build » pour les obtenir"
            + (" (anciens documents des rapports refaits retirés)." if stale else ".")
        )
    write_index(reports, report)
    if audit:
        report.audit_hits = _audit(
            reports, people, names_key, cache, cache_path, log, early.results() if early else {}
        )
    report.seconds = time.perf_counter() - t0
    return report


def publish_tables(run: Path, reports: Path) -> list[Path]:
    """Copy the exported tables of a notebook run (``<run>/tableaux/``) into
    ``reports/tableaux/``; returns the published paths."""
    tables = run / "tableaux"
    if not tables.is_dir():
        return []
    out = []
    for f in sorted(tables.iterdir()):
        copy_atomic(f, reports / "tableaux" / f.name)
        out.append(reports / "tableaux" / f.name)
    return out


def warm_code(results: Path, root: Path) -> str:
    """Code run in a territory's kernel after its notebook: :func:`.synthese.warm_proposals`
    of its ``resultats.json`` (terms and sentence vectors of its proposals into the cache)."""
    return (
        "import pathlib as _p, rencontres_lib.synthese as _s\n"
        f"_s.warm_proposals(_p.Path({str(results)!r}), _p.Path({str(root)!r}))\n"
        "del _p, _s"
    )


class NameScanner:
    """Which registrants' names could occur in a set of files (accent-folded words).

    A name can only be masked in a text holding all the words of its first name or all
    the words of its last name (every masking rule of :class:`privacy.NameIndex` needs one
    of them whole), so the people whose first and last names are both absent cannot change
    what a report publishes. Each file is read once (text, or the XML parts of XLSX/ODS).
    """

    def __init__(self, people: list[tuple[str, str]]) -> None:
        self.people = people
        self._words: dict[Path, set[str] | None] = {}
        self._parts = [
            (
                tuple(re.findall(r"\w+", fold_offsets(str(p))[0])),
                tuple(re.findall(r"\w+", fold_offsets(str(n))[0])),
            )
            for p, n in people
        ]

    def words(self, path: Path) -> set[str] | None:
        if path not in self._words:
            try:
                self._words[path] = _file_words(path)
            except (OSError, ValueError):
                self._words[path] = None
        return self._words[path]

    def relevant(self, paths: list[Path]) -> list[tuple[str, str]]:
        """People whose first or last name occurs whole in one of ``paths`` (all if unreadable)."""
        sets = [self.words(p) for p in paths if p.exists()]
        if any(w is None for w in sets):
            return list(self.people)
        out = []
        for person, (first, last) in zip(self.people, self._parts, strict=True):
            for words in sets:
                if (first and all(w in words for w in first)) or (
                    last and all(w in words for w in last)
                ):
                    out.append(person)
                    break
        return out


def _file_words(path: Path) -> set[str] | None:
    """Distinct accent-folded words of a file; None when it is not a regular file."""
    if not stat.S_ISREG(path.stat().st_mode):
        return None
    words: set[str] = set()
    if zipfile.is_zipfile(path):  # XLSX / ODS: the text lies in XML parts
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.filename.endswith(".xml") and info.file_size < 1 << 30:
                    with z.open(info) as fh:
                        _scan(fh, words, fold_offsets, "utf-8")
        return words
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(0)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        else:
            try:  # UTF-8 checked on the whole file (incremental decoder), else Windows-1252
                _scan(fh, set(), lambda t: (t, None), "utf-8", strict=True)
                encoding = "utf-8"
            except UnicodeDecodeError:
                encoding = "cp1252"
            fh.seek(0)
        _scan(fh, words, fold_offsets, encoding)
    return words


def _scan(fh, words: set, fold, encoding: str, strict: bool = False) -> None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict" if strict else "replace")
    tail = ""
    for block in iter(lambda: fh.read(4 << 20), b""):
        text = tail + decoder.decode(block)
        cut = max(text.rfind(" "), text.rfind("\n"))
        text, tail = (text[:cut], text[cut:]) if cut > 0 else (text, "")
        if not strict:
            words.update(re.findall(r"\w+", fold(text)[0]))
    text = tail + decoder.decode(b"", final=True)
    if not strict:
        words.update(re.findall(r"\w+", fold(text)[0]))


def territory_names_key(
    slug: str,
    inputs: list[Path],
    scanner: NameScanner,
    names_key: str,
    cache: dict,
    digests: dict,
) -> str:
    """Hash of the registrants whose names occur in a territory's inputs (cached in
    ``cache["_noms"]`` while neither those files nor the list of names change)."""
    inputs_key = run_key(Path("entrees"), inputs, names_key, digests)
    memo = cache.setdefault("_noms", {})
    if memo.get(slug, {}).get("entrees") == inputs_key:
        return memo[slug]["noms"]
    found = scanner.relevant(inputs)
    blob = json.dumps(sorted(list(p) for p in found), ensure_ascii=False)
    value = hashlib.sha256(blob.encode("utf-8")).hexdigest()
    memo[slug] = {"entrees": inputs_key, "noms": value}
    return value


class EarlyAudit:
    """Audit published files in one background thread as soon as they are written.

    :func:`.audit.audit_paths` checks each file on its own, so a file audited early needs no
    second look at the end while its bytes are unchanged: :meth:`results` gives
    ``{relative path: (sha256, hits)}`` to :func:`_audit`. Never raises: a file whose early
    audit failed is simply audited again at the end. ``first``: called in that thread before
    any file (the build connects it to its text-analysis service there).
    """

    def __init__(self, reports: Path, people, first=None) -> None:
        self.reports = reports
        self.index = NameIndex.from_names(full_names(people))
        self.settings = project_settings(reports.parent)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit")
        self.done: dict[str, tuple[str, list]] = {}
        if first is not None:  # before any file: connecting to the text-analysis service
            self.pool.submit(first)

    def submit(self, paths: list[Path]) -> None:
        self.pool.submit(self._run, list(paths))

    def _run(self, paths: list[Path]) -> None:
        for path in paths:
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                hits = audit_paths([path], names=self.index or (), **self.settings)
                self.done[str(path.relative_to(self.reports))] = (digest, hits)
            except Exception as exc:  # noqa: BLE001 - audited again at the end
                logger.debug("audit anticipé de %s : %s", path.name, exc)

    def results(self) -> dict[str, tuple[str, list]]:
        """Wait for the audits submitted, then return them."""
        self.pool.shutdown(wait=True)
        return dict(self.done)


def _audit(
    reports: Path,
    people,
    names_key: str,
    cache: dict,
    cache_path: Path,
    log,
    early: dict[str, tuple[str, list]] | None = None,
) -> int:
    """Audit the published files; files already found clean with the same names, or audited
    early with the same bytes (``early``, see :class:`EarlyAudit`), are not read again."""
    seen = cache.get("_audit", {})
    if seen.get("noms") != names_key:
        seen = {"noms": names_key, "propres": {}}
    files = sorted(p for p in reports.rglob("*") if p.is_file() and not p.name.startswith("."))
    digests = {
        str(p.relative_to(reports)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }
    early = early or {}
    todo, hits = [], []
    for p in files:
        rel = str(p.relative_to(reports))
        if rel in early and early[rel][0] == digests[rel]:
            hits += early[rel][1]
        elif seen["propres"].get(rel) != digests[rel]:
            todo.append(p)
    if todo:
        hits += audit_paths(todo, names=full_names(people), **project_settings(reports.parent))
    if hits:
        log(format_hits(hits))
    hits = [h for h in hits if h.level == ERROR]  # warnings are shown once, never fail
    hit_files = {h.file.split(" › ")[0] for h in hits}  # « classeur.xlsx › xl/sheet1.xml »
    seen["propres"] = {
        k: d
        for k, d in digests.items()
        if not any(f == k or f.endswith("/" + k) for f in hit_files)
    }
    cache["_audit"] = seen
    atomic_write_text(cache_path, json.dumps(cache, indent=1))
    return len(hits)


def private_outputs(pfile: Path, root: Path, log=print) -> None:
    """Logistics of a meeting (sign-in sheet, waitlist, contacts) under the git-ignored prive/.

    Only the HTML sheets here: their PDFs are printed later, all in one browser
    (:func:`.logistique.print_pdfs`), while the synthesis runs.
    """
    try:
        r = load_rencontre(load_parameters(pfile, root=root), kinds=("inscriptions",))
        write_private_outputs(r, pdf=False)
    except Exception as exc:  # logistics never fail a report
        log(f"  (sorties privées non écrites pour {pfile.stem} : {exc})")


def registrant_people(root: Path) -> list[tuple[str, str]]:
    """(prénom, nom) of every registrant of every territory: private, for masking and the audit."""
    people: set[tuple[str, str]] = set()
    for pfile in parameter_files(root):
        try:
            params = load_parameters(
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
        for prenom, nom in names_to_mask(res):  # participants, payers, members
            if str(prenom).strip() and str(nom).strip():
                people.add((str(prenom).strip(), str(nom).strip()))
    return sorted(people)


def cached_registrant_people(root: Path) -> list[tuple[str, str]]:
    """:func:`registrant_people`, reusing ``prive/noms.json`` while no registrations file changed."""
    h = hashlib.sha256()
    for pfile in parameter_files(root):
        try:
            params = load_parameters(pfile, root=root, check_paths=False)
        except RencontresError:
            continue
        _hash_files(
            [p for p in (pfile, params.source("inscriptions"), params.source("profils")) if p], h
        )
    _hash_files([root / "prive" / "sel.txt"], h)
    key = h.hexdigest()
    cache = root / "prive" / "noms_cle.txt"
    saved = names_file(root)
    if cache.exists() and saved.exists() and cache.read_text(encoding="utf-8").strip() == key:
        try:
            return [tuple(p) for p in json.loads(saved.read_text(encoding="utf-8"))]
        except ValueError:
            pass
    people = registrant_people(root)
    write_project_names(root, people)
    atomic_write_text(cache, key + "\n")
    return people


def full_names(people: list[tuple[str, str]]) -> list[str]:
    """« Prénom Nom » of each person, the audit's names (under 5 characters: too short to
    look for without false alarms)."""
    return [f"{p} {n}" for p, n in people if len(f"{p} {n}") > 4]


def registrant_names(root: Path) -> list[str]:
    """Full names « Prénom Nom » of every registrant (for the audit only, never published)."""
    return full_names(registrant_people(root))


def write_project_names(root: Path, people: list[tuple[str, str]]) -> str:
    """Save every registrant's name in the git-ignored ``prive/noms.json`` (read by each notebook
    to mask names in free text, whatever territory they registered for); returns its hash."""
    blob = json.dumps([list(p) for p in people], ensure_ascii=False)
    target = names_file(root)
    if not target.exists() or target.read_text(encoding="utf-8") != blob:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, blob)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def write_index(reports: Path, report: BuildReport) -> None:
    """``reports/index.html``: every report with its date, the date of its data and its state.

    Rendered by :func:`publish.render_index` (Jinja2, autoescaped, under the reports' CSP).
    A failure names the file, row and column only (see :func:`public_text`).
    """
    phases = {"cadrage": "Note de cadrage", "compte_rendu": "Compte rendu"}
    entries = []
    for o in report.outcomes:
        data_date = "—"
        saved = reports.parent / "build" / o.slug / "resultats.json"
        if saved.exists():
            try:
                when = json.loads(saved.read_text(encoding="utf-8")).get("date_donnees")
                data_date = fmt_date(dt.date.fromisoformat(when)) if when else "—"
            except (OSError, ValueError):
                pass
        entries.append(
            {
                "title": o.title,
                "slug": o.slug,
                "href": o.html if (reports / o.html).exists() else None,
                "phase": phases.get(o.phase, "Synthèse" if o.slug == "synthese" else "—"),
                "date": fmt_date(dt.date.fromisoformat(o.date)) if o.date else "—",
                "data_date": data_date,
                "failed": o.state == "échec",
                "error": o.error,
                "stale": o.stale,
                "links": index_entries(reports, o.slug),
            }
        )
    failures = len(report.failures)
    if not failures:
        summary = "Tous les rapports sont à jour."
    else:
        summary = (
            f"{failures} rapport{'s' if failures > 1 else ''} en échec : voir la colonne « État »."
        )
    summary += f" Page produite le {fmt_date(dt.date.today())} avec Rencontres {__version__}."
    atomic_write_text(reports / "index.html", render_index(entries, summary))
