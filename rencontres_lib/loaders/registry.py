"""Export formats as adapters, one registry per kind of source (as papermill registers engines).

An :class:`Adapter` says how to recognise one tool's export from its header (``detect``),
which extra column names it uses for each field (``aliases``, tried before the shared ones),
and, when the layout needs it, a ``read`` function turning the raw table into the loader's
fields. The loaders keep the validation steps every format shares (misaligned rows, blank
rows, dates, counts, duplicates…). A new format is one small adapter::

    from rencontres_lib.loaders.inscriptions import REGISTRY
    from rencontres_lib.loaders.registry import Adapter

    REGISTRY.register(Adapter("weezevent", "Weezevent",
                              detect=lambda h: "id billet" in h,
                              aliases={"email": ["email acheteur"]}))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError
from .common import fold_header, read_source


@dataclass(frozen=True)
class Adapter:
    """One export format: its id, French label, header test, extra aliases, optional reader.

    ``detect`` receives the set of folded header names (:func:`fold_header`); ``read`` (when
    given) receives the loader's context and returns what that loader documents.
    """

    name: str
    label: str
    detect: Callable[[set[str]], bool] = lambda headers: False
    aliases: dict[str, list[str]] = field(default_factory=dict)
    read: Callable | None = None


class Registry:
    """The adapters of one kind of source, tried in registration order; ``default`` last."""

    def __init__(self, kind: str, default: Adapter) -> None:
        self.kind = kind
        self.default = default
        self._adapters: dict[str, Adapter] = {}

    def register(self, adapter: Adapter) -> Adapter:
        """Add (or replace) an adapter; returns it (usable as a decorator's result)."""
        self._adapters[adapter.name] = adapter
        return adapter

    @property
    def names(self) -> tuple[str, ...]:
        return (*self._adapters, self.default.name)

    def get(self, name: str, path: str | Path | None = None) -> Adapter:
        """The adapter called ``name``; :class:`SourceError` (French) naming the known ones."""
        if name == self.default.name:
            return self.default
        if name not in self._adapters:
            raise SourceError(
                f"format « {name} » inconnu ; formats possibles : {', '.join(self.names)}.",
                file=path,
                hint="Laissez le format vide pour qu'il soit reconnu d'après les en-têtes.",
            )
        return self._adapters[name]

    def detect(self, columns: list[str]) -> Adapter:
        """The first adapter whose ``detect`` accepts the header, else the default one."""
        headers = {fold_header(c) for c in columns}
        return next((a for a in self._adapters.values() if a.detect(headers)), self.default)

    def choose(self, fmt: str | None, columns: list[str], path: str | Path) -> Adapter:
        """The adapter named ``fmt`` when given, else the detected one."""
        return self.get(fmt, path) if fmt is not None else self.detect(columns)

    def read(self, path: str | Path, fmt: str | None = None, accept: Callable | None = None):
        """Read an export and pick its adapter: ``(path, raw table, adapter)``.

        A forced ``fmt`` is checked before the file is read (unknown name: French
        :class:`SourceError`); otherwise the adapter is detected from the header. ``accept``
        is passed to :func:`read_source` (a spreadsheet's header and sheet).
        """
        path = Path(path)
        if fmt is not None:
            self.get(fmt, path)
        raw = read_source(path, accept)
        return path, raw, self.choose(fmt, list(raw.frame.columns), path)

    def aliases(self, adapter: Adapter, shared: dict[str, list[str]]) -> dict[str, list[str]]:
        """The adapter's aliases first, then the shared ones, for every field."""
        keys = list(dict.fromkeys([*shared, *adapter.aliases]))
        return {k: [*adapter.aliases.get(k, []), *shared.get(k, [])] for k in keys}
