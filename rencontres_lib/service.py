"""One text-analysis process per build, shared by the build's notebook kernels.

spaCy's French pipeline takes about 8 s to load on the development machine (half of it
compiling the French tokenizer's exception patterns) and the sentence encoder about 2 s: paid
in every kernel, that is the largest part of a cold build on two cores. During a build,
:func:`start` launches one process (``multiprocessing`` ``spawn``, a
:class:`~multiprocessing.managers.BaseManager` on a Unix socket in a private folder, random
authentication key) that loads them once, in the background, while the kernels start; each
kernel :func:`connect`\\ s to it, and the functions marked :func:`remote` (the computations of
names, word classes, proposal terms and sentence vectors for texts the cache does not know
yet) run there through :func:`compute`.

Nothing else changes: the same code runs on the same texts with the same model, so results
are identical; the caches (``prive/ner.sqlite``) are still read and written by the callers.
Outside a build (JupyterLab, tests) or when the service is unreachable, :func:`compute` runs
the function in the calling process, as before: the service never fails a report.
Progress and fallbacks go to this module's logger.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import logging
import multiprocessing
import os
import pickle
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any, TypeVar

from .errors import RencontresError

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
_REMOTE: dict[str, str] = {}  # "module:function" names the service agrees to run -> model
_CLIENT: list[Any] = []  # this process's proxy to the service, when connected
_CLIENT_LOCK = threading.Lock()
_ADDRESS: list[str] = []  # the address of the service _CLIENT talks to
_PRELOADED: list[str] = []  # in the service process: the preload names done, in order
_COMPUTED: dict[str, int] = {}  # in the service process: inputs computed by run_each, per name
_MODELS = ("spacy", "encodeur")  # the values of ``remote(model=...)``
# what a build's service loads as soon as it starts, in order: spaCy, that every notebook
# waits for, then the sentence encoder, under its own lock while spaCy already serves the
# first notebooks (the synthesis's per-proposal work needs it)
BUILD_PRELOAD = ("rencontres_lib.names:load_pipeline", "rencontres_lib.consolidation:load_encoder")
# one service serves the texts of every kernel in turn: beyond a few kernels it would make them
# wait, and each kernel then loads its own models (one load per kernel is small beside them)
BUILD_MAX_JOBS = 4
# a preload after the first (the sentence encoder, after spaCy) waits until no call has run
# for PRELOAD_QUIET seconds (at most PRELOAD_QUIET_MAX): loading it while the kernels wait for
# their first names would slow these calls (one interpreter lock), and no kernel needs the
# encoder before its first notebook ends
PRELOAD_QUIET = 0.3
PRELOAD_QUIET_MAX = 8.0
CONNECT_WAIT = 30.0  # seconds a kernel waits for the service to listen (saturated machine)


def _name(fn: Callable) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def remote(fn: F | None = None, *, model: str | None = "spacy") -> Any:
    """Mark ``fn`` (module-level, picklable arguments and result) as runnable by the service.

    ``model``: what it uses that cannot be shared between threads; the service runs one call
    at a time per model (``@remote(model="encodeur")`` for the sentence encoder), so one
    model's calls never wait for another's; None: no model, answered at once (state
    questions). Raises ``ValueError`` (French) for another model name."""

    if model is not None and model not in _MODELS:
        raise ValueError(f"modèle inconnu du service : {model} (connus : {', '.join(_MODELS)})")

    def mark(f: F) -> F:
        _REMOTE[_name(f)] = model
        return f

    return mark(fn) if fn is not None else mark


def _resolve(name: str) -> Callable:
    module, _, qualname = name.partition(":")
    if not module.startswith("rencontres_lib.") or "." in qualname:
        raise ValueError(f"fonction refusée par le service : {name}")
    fn = getattr(importlib.import_module(module), qualname)
    if name not in _REMOTE:  # registered when its module was imported, just above
        raise ValueError(f"fonction refusée par le service : {name}")
    return fn


class Analyser:
    """The service's one object: runs registered functions, one call at a time per model
    (spaCy and the encoder are not shared between threads; see :func:`remote`)."""

    def __init__(self, preload: Sequence[str] = ()) -> None:
        self._locks: dict[str, threading.Lock] = {m: threading.Lock() for m in _MODELS}
        # per-input results of :meth:`run_each`, for the life of the service (one build):
        # two kernels asking for the same texts at once get one computation
        self._memo: dict[tuple[str, bytes], dict[Any, Any]] = {}
        self._calls = 0  # in progress
        self._quiet_since = time.monotonic()
        self._calls_lock = threading.Lock()
        threading.Thread(target=self._preload, args=(list(preload),), daemon=True).start()

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        """Counts a call in progress (see :meth:`_wait_quiet`)."""
        with self._calls_lock:
            self._calls += 1
        try:
            yield
        finally:
            with self._calls_lock:
                self._calls -= 1
                self._quiet_since = time.monotonic()

    def _wait_quiet(self) -> None:
        """Return once no call has run for :data:`PRELOAD_QUIET` seconds, or after
        :data:`PRELOAD_QUIET_MAX` seconds in any case."""
        deadline = time.monotonic() + PRELOAD_QUIET_MAX
        while time.monotonic() < deadline:
            with self._calls_lock:
                if not self._calls and time.monotonic() - self._quiet_since >= PRELOAD_QUIET:
                    return
            time.sleep(0.05)

    def _lock(self, name: str) -> Any:
        model = _REMOTE.get(name, "spacy")
        return self._locks[model] if model is not None else contextlib.nullcontext()

    def _preload(self, names: list[str]) -> None:
        for i, name in enumerate(names):  # in order, each under its model's lock: spaCy is
            try:  # served while the encoder loads, once the first calls are answered
                fn = _resolve(name)
                if i:
                    self._wait_quiet()
                with self._lock(name):
                    fn()
                    _PRELOADED.append(name)
                    gc.freeze()  # the models stay: later collections no longer scan them
            except Exception as exc:  # noqa: BLE001 - the first real call reports it
                log.warning(
                    "chargement anticipé d'un modèle de langue impossible (%s) : il se fera au"
                    " premier texte à analyser",
                    exc,
                )

    def run(self, name: str, args: tuple) -> Any:
        """``fn(*args)`` for the function registered as ``name`` ("module:function"); raises
        ``ValueError`` (French) for any other name, and what the function raises."""
        fn = _resolve(name)
        with self._call(), self._lock(name):
            return fn(*args)

    def run_each(self, name: str, inputs: list, args: tuple) -> list:
        """``fn(inputs, *args)`` for a function giving one result per input, in order,
        computed only for the inputs (hashable) not seen before with the same ``args`` (an
        input sent twice gets the same object twice). Raises ``ValueError`` (French) for an
        unregistered name, and what the function raises."""
        fn = _resolve(name)
        with self._call(), self._lock(name):
            try:
                memo = self._memo.setdefault((name, pickle.dumps(args)), {})
                todo = [x for x in dict.fromkeys(inputs) if x not in memo]
            except TypeError:  # an input that is not hashable: computed, not kept
                return list(fn(inputs, *args))
            if todo:
                memo.update(zip(todo, fn(todo, *args), strict=True))
                _COMPUTED[name] = _COMPUTED.get(name, 0) + len(todo)
            return [memo[x] for x in inputs]


_ANALYSER: list[Analyser] = []


def _analyser(preload: Sequence[str] = ()) -> Analyser:
    if not _ANALYSER:
        _ANALYSER.append(Analyser(preload))
    return _ANALYSER[0]


def _init_server(preload: Sequence[str], folder: str) -> None:
    """Run in the service process before it serves: starts loading the models in a thread,
    and ends the process, removing its socket ``folder``, if the build that started it dies
    without stopping it (killed). When stopped, it ends without the interpreter's clean-up
    (freeing the models object by object): the build waits for it to end."""
    atexit.register(os._exit, 0)
    _analyser(preload)
    parent = os.getppid()

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        shutil.rmtree(folder, ignore_errors=True)  # nobody else will: the build is gone
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True, name="parent").start()


class _Manager(BaseManager):
    pass


_Manager.register("analyser", callable=_analyser)


@remote(model=None)
def preloaded() -> list[str]:
    """The ``preload`` names (see :func:`start`) this process has run, in order: those of the
    service when connected, else none."""
    return list(_PRELOADED)


@remote(model=None)
def computed() -> dict[str, int]:
    """How many inputs the service computed per function ("module:function") through
    :func:`compute_each`, when connected (else empty): fewer than were sent when kernels
    sent the same texts."""
    return dict(_COMPUTED)


@remote(model=None)
def ping() -> int:
    """The process id of whoever runs it: the service's when connected (a health check)."""
    return os.getpid()


class Service:
    """A service being started or running (see :func:`start`); :meth:`stop` ends it, else
    the end of this program."""

    def __init__(self, preload: Sequence[str]) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="rc-analyse-"))  # 0700: only this user
        self.address = str(self.folder / "s")
        self.authkey = secrets.token_bytes(32)
        self.manager = _Manager(
            address=self.address, authkey=self.authkey, ctx=multiprocessing.get_context("spawn")
        )
        self.started = threading.Event()
        self.failed = False
        self._thread = threading.Thread(
            target=self._start, args=(tuple(preload),), daemon=True, name="service-analyse"
        )
        self._thread.start()
        # a program ending without :meth:`stop` (the command interrupted or failing between
        # :func:`start_for_build` and the build's own clean-up) still ends the process and
        # removes the folder; else the exit would wait forever for a process still starting
        # (``multiprocessing`` joins its children) and leave the folder in the temporary one
        atexit.register(self._stop_at_exit, os.getpid())

    def _stop_at_exit(self, pid: int) -> None:
        if os.getpid() == pid:  # not in a child forked from this process
            self.stop()

    def _start(self, preload: tuple[str, ...]) -> None:
        try:
            self.manager.start(initializer=_init_server, initargs=(preload, str(self.folder)))
        except Exception as exc:  # noqa: BLE001 - the kernels then load the models themselves
            self.failed = True
            # no folder: the kernels waiting in :func:`connect` give up at once
            shutil.rmtree(self.folder, ignore_errors=True)
            log.warning(
                "service d'analyse des textes non démarré (%s) : chaque noyau charge ses modèles",
                str(exc) or type(exc).__name__,
            )
        finally:
            self.started.set()

    def connect_code(self) -> str:
        """Python code that connects a kernel to this service, waiting for it to listen (run
        by the build in its own kernels, never written into a notebook)."""
        return (
            "import rencontres_lib.service as _s\n"
            f"_s.connect({self.address!r}, {self.authkey.hex()!r}, wait={CONNECT_WAIT})\n"
            "del _s\n"
        )

    def attach(self) -> bool:
        """Connect this process too (the build's own audit), waiting for the service to
        listen; False when it does not answer (computations stay local). :meth:`stop`
        disconnects it."""
        return connect(self.address, self.authkey.hex(), wait=CONNECT_WAIT)

    def stop(self) -> None:
        """End the service process (waiting at most :data:`CONNECT_WAIT` seconds for it to
        have started), disconnect this process from it and remove its socket folder; never
        raises."""
        atexit.unregister(self._stop_at_exit)
        with _CLIENT_LOCK:
            mine = _ADDRESS == [self.address]
        if mine:
            disconnect()
        self.started.wait(CONNECT_WAIT)
        if not self.failed and self.started.is_set():
            try:
                self.manager.shutdown()
            except Exception as exc:  # noqa: BLE001 - already gone
                log.debug("arrêt du service d'analyse : %s", exc)
        if mine or _ADDRESS == [self.address]:  # connected meanwhile (the audit's attach)
            disconnect()
        shutil.rmtree(self.folder, ignore_errors=True)


def start(preload: Sequence[str] = ()) -> Service:
    """Start the service process in the background and return at once; ``preload``:
    "module:function" names (registered with :func:`remote`) called once, in the background,
    as soon as it runs. Kernels :func:`connect` with :meth:`Service.connect_code`. When
    the process cannot start (``Service.failed``), a warning is logged and the kernels compute
    locally; raises ``OSError`` when its private temporary folder cannot be created.

    The process is started with ``spawn``: the main script of the calling program is imported
    again in it, so it must guard its entry point with ``if __name__ == "__main__":``.
    Raises ``ValueError`` (French) when a ``preload`` name is not registered (checked here,
    where a refusal cannot go unseen, once the process is on its way)."""
    svc = Service(preload)
    try:
        for name in preload:
            _resolve(name)
    except BaseException:  # refused, or its module failed to import, or interrupted
        svc.stop()
        raise
    return svc


def start_for_build(
    root: Path, *, jobs: int | None, force: bool, cluster: Any = None
) -> Service | None:
    """The service of a cold build of ``root`` (``force``, or no ``build/cache.json`` yet),
    started now with :data:`BUILD_PRELOAD`: the CLI calls it before its own slow imports, so
    that spaCy's load starts a second earlier, and gives it to the build. None when the build
    would not use one: a ``cluster``, or ``jobs`` kernels (default: one per core) outside
    2…:data:`BUILD_MAX_JOBS`. Raises what :func:`start` raises."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    if cluster is not None or not 1 < jobs <= BUILD_MAX_JOBS:
        return None
    if not force and (Path(root) / "build" / "cache.json").exists():
        return None
    return start(BUILD_PRELOAD)


def compute_each(fn: Callable[..., Sequence[Any]], inputs: list, *args: Any) -> Sequence[Any]:
    """``fn(inputs, *args)`` for a function giving one result per input, in order (the
    computations of :class:`rencontres_lib.names.TextCache`): like :func:`compute`, but the
    service computes only the inputs (hashable: texts, tuples of texts) it has not seen with
    the same ``args`` during this build, so two kernels sending the same texts at once share
    one computation. Here, when not connected, ``fn`` runs on all of them. Raises what
    ``fn`` raises; an interruption disconnects first, as in :func:`compute`."""
    served = _served("run_each", fn, inputs, args)
    return fn(inputs, *args) if served is _HERE else served


def connect(address: str, authkey_hex: str, *, wait: float = 0.0) -> bool:
    """Connect this process to a service, retrying while its socket does not exist yet (up
    to ``wait`` seconds, less if the service's folder is removed: it failed or stopped);
    False (computations stay local) when it does not answer. Raises ``ValueError`` when
    ``authkey_hex`` is not hexadecimal."""
    manager = _Manager(address=address, authkey=bytes.fromhex(authkey_hex))
    deadline = time.monotonic() + wait
    while True:
        try:
            manager.connect()
            proxy = manager.analyser()
            break
        except Exception as exc:  # noqa: BLE001 - computations stay local
            if time.monotonic() >= deadline or not Path(address).parent.is_dir():
                log.debug("service d'analyse injoignable : %s", exc)
                return False
            time.sleep(0.1)
    with _CLIENT_LOCK:
        _CLIENT[:] = [proxy]
        _ADDRESS[:] = [address]
    return True


def disconnect() -> None:
    """Compute locally from now on in this process (the service keeps running)."""
    with _CLIENT_LOCK:
        _CLIENT.clear()
        _ADDRESS.clear()


def connected() -> bool:
    """True when :func:`compute` sends its calls to a service."""
    return bool(_CLIENT)


def compute(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, in the service when this process is connected to one, else here.

    ``fn`` must be marked with :func:`remote`. A :class:`~rencontres_lib.errors.RencontresError`
    raised by ``fn`` is raised here as it is; any other failure of the service (process gone,
    socket closed) disconnects and runs ``fn`` in this process. An interruption while the
    service computes (``KeyboardInterrupt``) disconnects too, then is raised: that call's
    reply would otherwise be read as the answer to the next one.
    """
    served = _served("run", fn, args)
    return fn(*args) if served is _HERE else served


_HERE = object()  # what _served gives when the caller must compute itself


def _served(method: str, fn: Callable, *payload: Any) -> Any:
    """The reply of the service's ``Analyser.<method>(name of fn, *payload)`` when this
    process is connected, else :data:`_HERE`; see :func:`compute` for the failures."""
    with _CLIENT_LOCK:
        proxy = _CLIENT[0] if _CLIENT else None
    if proxy is None:
        return _HERE
    try:
        return getattr(proxy, method)(_name(fn), *payload)
    except RencontresError:
        raise
    except Exception as exc:  # noqa: BLE001 - the service never fails a report
        log.debug("service d'analyse indisponible (%s) : calcul sur place", exc)
        disconnect()
    except BaseException:  # the reply may still come, on this thread's connection
        disconnect()
        raise
    return _HERE
