"""Run the build's notebooks: warm kernels over ipc sockets, retries, optional Dask cluster.

- **No port race.** Kernels talk over Unix sockets (jupyter_client's ``ipc`` transport) in a
  private folder per kernel, never over TCP ports: two kernels started at the same time cannot
  pick the same port (the start-up race reported against papermill, issue 511).
- **Warm kernels.** Each worker thread (or Dask worker) keeps one IPython kernel and reuses it
  from one notebook to the next: the kernel start-up and the library's imports (pandas,
  plotly, spaCy…) are paid once per worker, not once per notebook. Between notebooks the user
  namespace is cleared (``%reset -f``) and the execution counter set back to 1, so a notebook
  sees a fresh namespace and its cells keep their usual numbers.
- **Retries.** A kernel that does not start, or dies before the notebook's first cell, is
  replaced and the notebook run again (``ATTEMPTS`` times in all); a failure inside a cell is a
  real failure, reported in French with the cell's number.
- **Cluster.** :class:`DaskRunner` sends the same work to a ``dask.distributed`` scheduler;
  the workers must see the project at the same path (shared file system).

Progress goes to this module's logger (French messages).
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import Future
from pathlib import Path

from .errors import BuildError

log = logging.getLogger(__name__)

ATTEMPTS = 3  # runs of one notebook when its kernel dies before the first cell
STARTUP_TIMEOUT = 180  # seconds for a kernel to answer, generous for a saturated machine
IOPUB_TIMEOUT = 300  # seconds for a cell's outputs to arrive after its reply
# no IPython history database in a build's kernels: nobody reads it, and since each notebook
# starts again at cell 1, its « Session/line number was not unique » message could land in a
# published cell's output
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False"]
# what was imported (or loaded) when a kernel is warmed up lives as long as the kernel: the
# garbage collector stops scanning it, and the ``gc.collect()`` between two notebooks, as well
# as the collections during each notebook, go from 0.5 s to under 0.1 s (``gc.freeze``)
FREEZE_CODE = "import gc as _gc; _gc.freeze(); del _gc\n"
# imported when a kernel is warmed up ahead of its first notebook (see prewarm), with the
# French spaCy model (names, word classes) when no text-analysis service runs (see .service)
IMPORT_CODE = (
    "import rencontres_lib.rencontre, rencontres_lib.rapport, rencontres_lib.explorer,"
    " rencontres_lib.synthese, rencontres_lib.names\n"
    # what the notebooks import on first use: the charts, the tables, and the synthesis's
    # TF-IDF and clustering (1.5 s), paid here while the text models load, not in a report
    "import plotly.graph_objects, plotly.io, openpyxl, ruamel.yaml\n"
    "import sklearn.feature_extraction.text, sklearn.cluster\n" + FREEZE_CODE
)
PRELOAD_CODE = IMPORT_CODE + "rencontres_lib.names.french_pipeline()\n" + FREEZE_CODE
RESET_CODE = (
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import gc as _gc; _gc.collect(); del _gc\n"
    "get_ipython().execution_count = 1\n"
)


class KernelLost(BuildError):
    """The kernel did not start or died before running the notebook's first cell."""


def _engine_class():
    """A papermill engine running the notebook on a kernel that is already started."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine

    class WarmClient(PapermillNotebookClient):
        cells_started = 0

        def papermill_execute_cells(self):
            # a fresh namespace for this notebook, same imported modules
            self.wait_for_reply(self.kc.execute(RESET_CODE, silent=True, store_history=False))
            super().papermill_execute_cells()

        def execute_cell(self, cell, *args, **kwargs):
            if cell.cell_type == "code":
                self.cells_started += 1
            return super().execute_cell(cell, *args, **kwargs)

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=STARTUP_TIMEOUT,
            execution_timeout=None,
            state=None,
            **kwargs,
        ):
            kwargs.pop("input_path", None)
            shared = kwargs.pop("kc", None)  # the warm kernel's own client, kept connected
            client = WarmClient(
                nb_man,
                kernel_name=kernel_name,
                log=logging.getLogger("papermill"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                startup_timeout=start_timeout,
                timeout=execution_timeout,
                # outputs may trail the cell's reply on a saturated machine: wait for them
                # (nbclient's default, 4 s, drops them with a mere warning)
                iopub_timeout=IOPUB_TIMEOUT,
                raise_on_iopub_timeout=True,
                **kwargs,
            )
            # with the kernel's client, nbclient makes no new one: no new channels, and no
            # wait of 0.2 s for stray messages per notebook (those of earlier runs are told
            # apart by their parent message, as always)
            client.kc = shared
            try:
                return client.execute()
            finally:
                if state is not None:
                    state["cellules"] = client.cells_started
                if client.kc is not None and client.kc is not shared:
                    client.kc.stop_channels()

    return WarmEngine


_ENGINE_LOCK = threading.Lock()


def _register_engine() -> str:
    from papermill.engines import papermill_engines

    with _ENGINE_LOCK:
        if "rencontres" not in papermill_engines._engines:
            papermill_engines.register("rencontres", _engine_class())
    return "rencontres"


class WarmKernel:
    """One IPython kernel (ipc sockets in a private folder) reused from notebook to notebook."""

    def __init__(self, cwd: Path, kernel_name: str = "python3") -> None:
        self.cwd = Path(cwd)
        self.kernel_name = kernel_name
        self.km = None
        self.kc = None  # a client kept connected from notebook to notebook (same thread)
        self.folder: Path | None = None
        self.runs = 0

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def start(self, preload: str | None = None) -> None:
        """Start the kernel and wait until it answers; retried with fresh sockets on failure.

        ``preload``: code run once the kernel answers (imports), its failure ignored: the
        notebook that needs them reports it.
        """
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        last: BaseException | None = None
        for attempt in range(1, ATTEMPTS + 1):
            self.shutdown()
            # a short private path: Unix socket paths are limited to ~107 characters
            self.folder = Path(tempfile.mkdtemp(prefix="rc-noyau-"))
            km = AsyncKernelManager(
                kernel_name=self.kernel_name,
                transport="ipc",
                connection_file=str(self.folder / f"k-{uuid.uuid4().hex[:8]}.json"),
            )
            self.km = km
            try:
                run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGS, cwd=str(self.cwd))
                kc = km.client()
                kc.start_channels()
                try:
                    run_sync(kc.wait_for_ready)(timeout=STARTUP_TIMEOUT)
                    kc.allow_stdin = False  # as nbclient's own clients: input() fails at once
                    if preload:
                        run_sync(kc.execute_interactive)(
                            preload,
                            silent=True,
                            store_history=False,
                            timeout=STARTUP_TIMEOUT,
                            output_hook=lambda msg: None,
                        )
                except BaseException:
                    kc.stop_channels()
                    raise
                self.kc = kc
                self.runs = 0
                return
            except Exception as exc:  # noqa: BLE001 - any start-up failure: try fresh sockets
                last = exc
                log.warning(
                    "le noyau n'a pas démarré (essai %d sur %d) : %s", attempt, ATTEMPTS, exc
                )
        self.shutdown()
        raise KernelLost(
            f"le noyau Python n'a pas démarré après {ATTEMPTS} essais ({type(last).__name__}).",
            hint="La machine est peut-être saturée : relancez « rencontres build ».",
        )

    def run(self, notebook: Path, output: Path, parameters: dict) -> float:
        """Execute ``notebook`` with papermill into ``output``; returns the seconds it took.

        Raises papermill's ``PapermillExecutionError`` when a cell fails (not retried) and
        :class:`KernelLost` when the kernel keeps dying before the first cell.
        """
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError

        engine = _register_engine()
        start = time.perf_counter()
        output.parent.mkdir(parents=True, exist_ok=True)
        last: BaseException | None = None
        for attempt in range(1, ATTEMPTS + 1):
            if not self.alive():
                self.start()
            state: dict = {}
            try:
                pm.execute_notebook(
                    str(notebook),
                    str(output),
                    parameters=parameters,
                    engine_name=engine,
                    kernel_name=self.kernel_name,
                    progress_bar=False,
                    log_output=False,
                    cwd=str(self.cwd),
                    request_save_on_cell_execute=False,
                    km=self.km,
                    kc=self.kc,
                    state=state,
                )
                self.runs += 1
                return time.perf_counter() - start
            except PapermillExecutionError:
                raise  # a real failure in a cell
            except Exception as exc:  # noqa: BLE001 - kernel lost: retry only before any cell ran
                last = exc
                if state.get("cellules", 0) > 0:
                    if not self.alive():
                        self.shutdown()
                        raise BuildError(
                            f"le noyau Python s'est arrêté pendant la cellule {state['cellules']}"
                            " (mémoire épuisée ?).",
                            file=notebook.name,
                        ) from exc
                    raise
                log.warning(
                    "%s : le noyau n'a pas répondu avant la première cellule (%s), nouvel essai"
                    " (%d sur %d)",
                    notebook.name,
                    type(exc).__name__,
                    attempt,
                    ATTEMPTS,
                )
                self.shutdown()
        raise KernelLost(
            f"le noyau Python s'est arrêté {ATTEMPTS} fois avant la première cellule"
            f" ({type(last).__name__}).",
            file=notebook.name,
            hint="La machine est peut-être saturée : relancez « rencontres build ».",
        )

    def execute(self, code: str) -> bool:
        """Run ``code`` silently in this kernel when it is alive (no output kept, nothing in
        its history); False when the kernel is down, the code failed or timed out."""
        from jupyter_core.utils import run_sync

        if not self.alive() or self.kc is None:
            return False
        try:
            reply = run_sync(self.kc.execute_interactive)(
                code,
                silent=True,
                store_history=False,
                timeout=STARTUP_TIMEOUT,
                output_hook=lambda msg: None,
            )
            return reply.get("content", {}).get("status") == "ok"
        except Exception:  # noqa: BLE001 - a side task: the caller goes on without it
            return False

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        kc, self.kc = self.kc, None
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001, S110 - already closed
                pass
        km, self.km = self.km, None
        if km is not None:
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001, S110 - already gone
                pass
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


_LOCAL = threading.local()
_ALL: list[WarmKernel] = []
_ALL_LOCK = threading.Lock()


def thread_kernel(cwd: Path) -> WarmKernel:
    """This thread's warm kernel for ``cwd`` (started on first use, kept until :func:`shutdown_all`)."""
    kernels = getattr(_LOCAL, "kernels", None)
    if kernels is None:
        kernels = _LOCAL.kernels = {}
    key = str(Path(cwd).resolve())
    if key not in kernels:
        kernels[key] = WarmKernel(Path(cwd))
        with _ALL_LOCK:
            _ALL.append(kernels[key])
    return kernels[key]


def prewarm(cwd: Path, preload: str = PRELOAD_CODE) -> None:
    """Start this thread's kernel and run ``preload`` in it (import the library, load or
    connect to the text models), before any notebook arrives (while the build still
    prepares), so the first notebook finds a warm kernel."""
    kernel = thread_kernel(cwd)
    if not kernel.alive():
        try:
            kernel.start(preload=preload)
        except KernelLost:
            pass  # the first notebook tries again and reports it


def run_code(code: str, cwd: Path) -> bool:
    """:meth:`WarmKernel.execute` in this thread's kernel: the one that ran the thread's last
    notebook, with its models still loaded."""
    return thread_kernel(cwd).execute(code)


def shutdown_all() -> None:
    """Stop every warm kernel this process started (end of a build, or at exit)."""
    with _ALL_LOCK:
        kernels = list(_ALL)
        _ALL.clear()
    for k in kernels:
        k.shutdown()
    _LOCAL.__dict__.clear()


atexit.register(shutdown_all)


def run_notebook(notebook: Path, output: Path, parameters: dict, cwd: Path) -> float:
    """Execute one notebook on this thread's warm kernel; returns its duration in seconds."""
    return thread_kernel(cwd).run(Path(notebook), Path(output), parameters)


def _worker_task(notebook: str, output: str, parameters: dict, cwd: str) -> float:
    """What a Dask worker runs (module-level: importable by the worker)."""
    return run_notebook(Path(notebook), Path(output), parameters, Path(cwd))


class DaskRunner:
    """Notebooks sent to a ``dask.distributed`` scheduler (``tcp://host:8786``, or a Client).

    The workers need the project at the same path and the same Python environment; each
    keeps a warm kernel between tasks. Results come back as plain ``concurrent.futures``.
    """

    def __init__(self, address) -> None:
        from distributed import Client

        if isinstance(address, Client):
            self.client, self.owned = address, False
        else:
            try:
                self.client, self.owned = Client(address, timeout="30s"), True
            except (OSError, TimeoutError) as exc:
                raise BuildError(
                    f"impossible de joindre la grappe Dask « {address} » ({type(exc).__name__}).",
                    hint="Vérifiez l'adresse du planificateur (dask scheduler) et qu'il est démarré.",
                ) from None

    def submit(self, notebook: Path, output: Path, parameters: dict, cwd: Path) -> Future:
        done: Future = Future()
        task = self.client.submit(
            _worker_task,
            str(notebook),
            str(output),
            parameters,
            str(cwd),
            pure=False,
            retries=0,
        )

        def relay(f) -> None:
            try:
                done.set_result(f.result())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                done.set_exception(exc)

        task.add_done_callback(relay)
        done.dask_task = task  # kept alive with the future
        return done

    def run(self, notebook: Path, output: Path, parameters: dict, cwd: Path) -> float:
        """Run one notebook on the cluster and wait for it (seconds taken on the worker)."""
        return self.submit(notebook, output, parameters, cwd).result()

    def close(self) -> None:
        if self.owned:
            self.client.close()
