"""Exceptions and findings: every message shown to a user is French and says what to do."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

Level = Literal["erreur", "avertissement", "info"]
LEVEL_LABELS = {"erreur": "Erreur", "avertissement": "Avertissement", "info": "Info"}


class RencontresError(Exception):
    """Base class of every error the product raises on purpose.

    The message is French, names the file (and row/column when known), says what was
    expected and what to do. The CLI prints it without a traceback.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(self.french())

    def french(self) -> str:
        """Full French message: « fichier « x.csv », ligne 3, colonne « Profil » : message hint »
        (each part of the location only when known)."""
        where = _where(self.file, self.row, self.column)
        text = f"{where} : {self.message}" if where else self.message
        if self.hint:
            text += f" {self.hint}"
        return text


class ConfigError(RencontresError):
    """A file the user writes is invalid: ``parameters/<slug>.yaml``, the codebook, profile
    rules, theme dictionaries, organiser texts (wrong key, value or YAML syntax)."""


class SourceError(RencontresError):
    """A partner's export cannot be read or lacks what is required (missing file or column,
    unknown format, unreadable encoding); rows that are merely bad are findings instead."""


class BuildError(RencontresError):
    """The build cannot go on: an output folder is not writable, or a notebook or a
    conversion failed (one territory's failure is recorded, not raised, by the build)."""


def _where(file: str | None, row: int | None, column: str | None) -> str:
    parts = []
    if file:
        parts.append(f"fichier « {file} »")
    if row is not None:
        parts.append(f"ligne {row}")
    if column:
        parts.append(f"colonne « {column} »")
    return ", ".join(parts)


@dataclass
class Finding:
    """One thing a loader noticed, located in the source.

    ``level``: « erreur », « avertissement » or « info »; ``row``: 1-based line of the file
    (the header is line 1), the first one when ``count`` lines share the finding;
    ``column``: the column heading as written in the file; ``message``: French.
    """

    level: Level
    file: str
    message: str
    row: int | None = None
    column: str | None = None
    count: int = 1

    def french(self) -> str:
        """« Avertissement — fichier « x.csv », ligne 3 : message (4 occurrences) »."""
        where = _where(self.file, self.row, self.column)
        suffix = f" ({self.count} occurrences)" if self.count > 1 else ""
        return f"{LEVEL_LABELS[self.level]} — {where} : {self.message}{suffix}"


@dataclass
class LoadResult:
    """What a loader returns: a tidy table, what it noticed, and the row accounting.

    ``rows_read == rows_used + rows_rejected`` always holds (checked by ``check``).
    ``private`` holds identifying fields (names, e-mails, phones) keyed by the pseudonymous
    id; it must only ever reach the git-ignored ``prive/`` folder.
    """

    source: str
    kind: str
    table: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    rows_read: int = 0
    rows_used: int = 0
    rows_rejected: int = 0
    sha256: str = ""
    private: pd.DataFrame | None = None
    extra: dict = field(default_factory=dict)

    def check(self) -> LoadResult:
        """``self`` when rows read = used + rejected; ``AssertionError`` (a loader bug, never
        bad input) otherwise."""
        if self.rows_read != self.rows_used + self.rows_rejected:
            raise AssertionError(
                f"{self.source}: lignes lues {self.rows_read} ≠ utilisées {self.rows_used}"
                f" + rejetées {self.rows_rejected}"
            )
        return self

    @property
    def errors(self) -> list[Finding]:
        """The findings of level « erreur »."""
        return [f for f in self.findings if f.level == "erreur"]

    def summary(self) -> dict:
        """A JSON-able summary for the report's méthodologie section: keys ``source``,
        ``type``, ``sha256``, ``lues``, ``utilisees``, ``rejetees`` (ints) and ``constats``
        (list of :class:`Finding` as dicts)."""
        return {
            "source": self.source,
            "type": self.kind,
            "sha256": self.sha256,
            "lues": self.rows_read,
            "utilisees": self.rows_used,
            "rejetees": self.rows_rejected,
            "constats": [asdict(f) for f in self.findings],
        }


def add_finding(
    findings: list[Finding],
    level: Level,
    file: str | Path,
    message: str,
    row: int | None = None,
    column: str | None = None,
    count: int = 1,
) -> None:
    """Append a :class:`Finding` to ``findings`` (``file`` kept as text, as shown to users)."""
    findings.append(Finding(level, str(file), message, row, column, count))
