"""Text-analysis processes of a build, shared by the build's notebook kernels.

spaCy's French pipeline takes about 8 s to load on the development machine (half of it
compiling the French tokenizer's exception patterns) and the sentence encoder about 2 s: paid
in every kernel, that is the largest part of a cold build on two cores. During a build,
:func:`start` launches one process (``multiprocessing`` ``spawn``, a
:class:`~multiprocessing.managers.BaseManager` on a Unix socket in a private folder, random
authentication key) that loads a model once, in the background, while the kernels start;
each kernel :func:`connect`\\ s to it, and the functions marked :func:`remote` (the
computations of names, word classes, proposal terms and sentence vectors for texts the cache
does not know yet) run there through :func:`compute`. A build starts two
(:func:`start_build`): spaCy's, and the sentence encoder's, which loads once spaCy is there:
in one process, loading the encoder (pure Python, 2 s) held the interpreter lock that the
first names found by spaCy were waiting for.

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
from collections.abc import Callable, Sequence
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any, TypeVar

from .errors import RencontresError

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
_REMOTE: dict[str, str] = {}  # "module:function" names the service agrees to run -> model
# where this process sends each model's calls, when connected: model -> (address, proxy);
# the key None stands for every model without a service of its own
_CLIENTS: dict[str | None, tuple[str, Any]] = {}
_CLIENT_LOCK = threading.Lock()
_PRELOADED: list[str] = []  # in the service process: the preload names done, in order
_COMPUTED: dict[str, int] = {}  # in the service process: inputs computed by run_each, per name
_MODELS = ("spacy", "encodeur")  # the values of ``remote(model=...)``
# what a build's services load: spaCy, that every notebook waits for, at once; the sentence
# encoder (the synthesis's per-proposal work), in a second process, once spaCy is loaded
BUILD_PRELOAD = ("rencontres_lib.names:load_pipeline", "rencontres_lib.consolidation:load_encoder")
READY = "pret"  # file a service writes into its folder once its models are loaded
# one service serves the texts of every kernel in turn: beyond a few kernels it would make them
# wait, and each kernel then loads its own models (one load per kernel is small beside them)
BUILD_MAX_JOBS = 4
CONNECT_WAIT = 30.0  # seconds a kernel waits for the service to listen (saturated machine)
AFTER_WAIT = 120.0  # seconds the encoder's service waits for spaCy's before loading anyway


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

    def __init__(
        self, preload: Sequence[str] = (), *, after: str | None = None, ready: str | None = None
    ) -> None:
        self._locks: dict[str, threading.Lock] = {m: threading.Lock() for m in _MODELS}
        # per-input results of :meth:`run_each`, for the life of the service (one build):
        # two kernels asking for the same texts at once get one computation
        self._memo: dict[tuple[str, bytes], dict[Any, Any]] = {}
        threading.Thread(
            target=self._preload, args=(list(preload), after, ready), daemon=True
        ).start()

    def _lock(self, name: str) -> Any:
        model = _REMOTE.get(name, "spacy")
        return self._locks[model] if model is not None else contextlib.nullcontext()

    def _preload(self, names: list[str], after: str | None, ready: str | None) -> None:
        """Run the ``names`` in order, each under its model's lock; first wait for the file
        ``after`` (another service's :data:`READY`: at most :data:`AFTER_WAIT` seconds, less
        if its folder goes); then write the file ``ready``."""
        if after is not None:
            deadline = time.monotonic() + AFTER_WAIT
            while time.monotonic() < deadline and Path(after).parent.is_dir():
                if Path(after).exists():
                    break
                time.sleep(0.05)
        for name in names:
            try:
                fn = _resolve(name)
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
        if ready is not None:
            with contextlib.suppress(OSError):  # the folder removed: the service is stopping
                Path(ready).touch()

    def run(self, name: str, args: tuple) -> Any:
        """``fn(*args)`` for the function registered as ``name`` ("module:function"); raises
        ``ValueError`` (French) for any other name, and what the function raises."""
        fn = _resolve(name)
        with self._lock(name):
            return fn(*args)

    def run_each(self, name: str, inputs: list, args: tuple) -> list:
        """``fn(inputs, *args)`` for a function giving one result per input, in order,
        computed only for the inputs (hashable) not seen before with the same ``args`` (an
        input sent twice gets the same object twice). Raises ``ValueError`` (French) for an
        unregistered name, and what the function raises."""
        fn = _resolve(name)
        with self._lock(name):
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


def _analyser() -> Analyser:
    if not _ANALYSER:
        _ANALYSER.append(Analyser())
    return _ANALYSER[0]


def _init_server(preload: Sequence[str], folder: str, after: str | None = None) -> None:
    """Run in the service process before it serves: starts loading the models in a thread
    (once the file ``after`` exists, when given; then writes :data:`READY` into ``folder``),
    and ends the process, removing its socket ``folder``, if the build that started it dies
    without stopping it (killed). When stopped, it ends without the interpreter's clean-up
    (freeing the models object by object): the build waits for it to end."""
    atexit.register(os._exit, 0)
    if not _ANALYSER:
        _ANALYSER.append(Analyser(preload, after=after, ready=str(Path(folder) / READY)))
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
    the end of this program. ``models``: the models whose calls it takes (None: every
    model without a service of its own); ``after``: a file to wait for before loading."""

    def __init__(
        self,
        preload: Sequence[str],
        *,
        models: Sequence[str] | None = None,
        after: str | None = None,
    ) -> None:
        self.models = tuple(models) if models else None
        self.after = after
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
            self.manager.start(
                initializer=_init_server, initargs=(preload, str(self.folder), self.after)
            )
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
            f"_s.connect({self.address!r}, {self.authkey.hex()!r}, wait={CONNECT_WAIT},"
            f" models={self.models!r})\n"
            "del _s\n"
        )

    def attach(self) -> bool:
        """Connect this process too (the build's own audit), waiting for the service to
        listen; False when it does not answer (computations stay local). :meth:`stop`
        disconnects it."""
        return connect(self.address, self.authkey.hex(), wait=CONNECT_WAIT, models=self.models)

    def stop(self) -> None:
        """End the service process (waiting at most :data:`CONNECT_WAIT` seconds for it to
        have started), disconnect this process from it and remove its socket folder; never
        raises."""
        atexit.unregister(self._stop_at_exit)
        _drop(self.address)
        self.started.wait(CONNECT_WAIT)
        if not self.failed and self.started.is_set():
            try:
                self.manager.shutdown()
            except Exception as exc:  # noqa: BLE001 - already gone
                log.debug("arrêt du service d'analyse : %s", exc)
        _drop(self.address)  # connected meanwhile (the audit's attach)
        shutil.rmtree(self.folder, ignore_errors=True)


def start(
    preload: Sequence[str] = (),
    *,
    models: Sequence[str] | None = None,
    after: str | Path | None = None,
) -> Service:
    """Start the service process in the background and return at once; ``preload``:
    "module:function" names (registered with :func:`remote`) called once, in the background,
    as soon as it runs (once the file ``after`` exists, when given: another service's
    :data:`READY`). ``models``: the only models whose calls it takes (None: every model
    without a service of its own). Kernels :func:`connect` with :meth:`Service.connect_code`. When
    the process cannot start (``Service.failed``), a warning is logged and the kernels compute
    locally; raises ``OSError`` when its private temporary folder cannot be created.

    The process is started with ``spawn``: the main script of the calling program is imported
    again in it, so it must guard its entry point with ``if __name__ == "__main__":``.
    Raises ``ValueError`` (French) when a ``preload`` name is not registered (checked here,
    where a refusal cannot go unseen, once the process is on its way)."""
    svc = Service(preload, models=models, after=str(after) if after is not None else None)
    try:
        for name in preload:
            _resolve(name)
    except BaseException:  # refused, or its module failed to import, or interrupted
        svc.stop()
        raise
    return svc


class Services:
    """Services started together and used as one (:func:`start_build`): the first takes every
    model without a service of its own; ``started`` and ``failed`` are the first's."""

    def __init__(self, members: Sequence[Service]) -> None:
        self.members = list(members)
        self.started = self.members[0].started

    @property
    def failed(self) -> bool:
        return self.members[0].failed

    def connect_code(self) -> str:
        """:meth:`Service.connect_code` of each member."""
        return "".join(m.connect_code() for m in self.members)

    def attach(self) -> bool:
        """:meth:`Service.attach` of each member; True when the first answers."""
        return [m.attach() for m in self.members][0]

    def stop(self) -> None:
        """:meth:`Service.stop` of each member, the last first (the encoder's service would
        otherwise start loading when spaCy's folder goes); never raises."""
        for m in reversed(self.members):
            m.stop()


def start_build() -> Services:
    """A build's services (:data:`BUILD_PRELOAD`): spaCy's, and the sentence encoder's in a
    second process, which loads once spaCy is loaded (the kernels then wait for their first
    names; the encoder is needed only when a first notebook ends). Raises what :func:`start`
    raises."""
    names, encoder = BUILD_PRELOAD
    first = start((names,))
    try:
        second = start((encoder,), models=("encodeur",), after=first.folder / READY)
    except BaseException:
        first.stop()
        raise
    return Services([first, second])


def start_for_build(
    root: Path, *, jobs: int | None, force: bool, cluster: Any = None
) -> Services | None:
    """The services of a cold build of ``root`` (``force``, or no ``build/cache.json`` yet),
    started now (:func:`start_build`): the CLI calls it before its own slow imports, so that
    spaCy's load starts a second earlier, and gives them to the build. None when the build
    would not use them: a ``cluster``, or ``jobs`` kernels (default: one per core) outside
    2…:data:`BUILD_MAX_JOBS`. Raises what :func:`start` raises."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    if cluster is not None or not 1 < jobs <= BUILD_MAX_JOBS:
        return None
    if not force and (Path(root) / "build" / "cache.json").exists():
        return None
    return start_build()


def compute_each(fn: Callable[..., Sequence[Any]], inputs: list, *args: Any) -> Sequence[Any]:
    """``fn(inputs, *args)`` for a function giving one result per input, in order (the
    computations of :class:`rencontres_lib.names.TextCache`): like :func:`compute`, but the
    service computes only the inputs (hashable: texts, tuples of texts) it has not seen with
    the same ``args`` during this build, so two kernels sending the same texts at once share
    one computation. Here, when not connected, ``fn`` runs on all of them. Raises what
    ``fn`` raises; an interruption disconnects first, as in :func:`compute`."""
    served = _served("run_each", fn, inputs, args)
    return fn(inputs, *args) if served is _HERE else served


def connect(
    address: str, authkey_hex: str, *, wait: float = 0.0, models: Sequence[str] | None = None
) -> bool:
    """Connect this process to a service, retrying while its socket does not exist yet (up
    to ``wait`` seconds, less if the service's folder is removed: it failed or stopped);
    False (computations stay local) when it does not answer. ``models``: send it only these
    models' calls (None: every model without a service of its own). Raises ``ValueError``
    when ``authkey_hex`` is not hexadecimal."""
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
        for model in models or (None,):
            _CLIENTS[model] = (address, proxy)
    return True


def disconnect() -> None:
    """Compute locally from now on in this process (the services keep running)."""
    with _CLIENT_LOCK:
        _CLIENTS.clear()


def _drop(address: str) -> None:
    """Stop sending calls to the service at ``address`` (the others stay)."""
    with _CLIENT_LOCK:
        for model in [m for m, (a, _) in _CLIENTS.items() if a == address]:
            del _CLIENTS[model]


def connected() -> bool:
    """True when :func:`compute` sends calls to a service."""
    return bool(_CLIENTS)


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
    """The reply of ``Analyser.<method>(name of fn, *payload)`` from the service taking
    ``fn``'s model when this process is connected to one, else :data:`_HERE`; see
    :func:`compute` for the failures."""
    name = _name(fn)
    with _CLIENT_LOCK:
        client = _CLIENTS.get(_REMOTE.get(name)) or _CLIENTS.get(None)
    if client is None:
        return _HERE
    address, proxy = client
    try:
        return getattr(proxy, method)(name, *payload)
    except RencontresError:
        raise
    except Exception as exc:  # noqa: BLE001 - the service never fails a report
        log.debug("service d'analyse indisponible (%s) : calcul sur place", exc)
        _drop(address)
    except BaseException:  # the reply may still come, on this thread's connection
        _drop(address)
        raise
    return _HERE
