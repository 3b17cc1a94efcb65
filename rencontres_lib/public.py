"""The public gate: the only way a table becomes publishable.

Everything that reaches ``reports/`` as numbers — an exported CSV/XLSX, the data and text of
a chart, a table in a page — is a :class:`PublicTable`. Only the functions of this module
make one, and each applies the rule that fits what the table counts:

* :func:`people_table` — counts of **distinct people** by groups defined by who they are
  (profile, territory, département, attendance status, and their crossings): primary
  suppression of every cell with 0 < n < k, then secondary suppression so that no masked
  cell can be recovered from a published total (:func:`privacy.suppress_counts`);
* :func:`people_groups` — one row per group of people with its count ``n`` and values
  derived from those people (shares, intervals): rows below k are masked whole, and a second
  row is masked when the groups add up to a published total;
* :func:`aggregate` — a table that counts no group of people (a registrations timeline, the
  number of answers per free-text theme, proposals with their supports): declared as such,
  with the reason, and still checked for identifying columns.

The writers (:mod:`rencontres_lib.exports`), the charts (:mod:`rencontres_lib.charts`) and the
display helpers accept nothing else, so a new chart or table cannot forget the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import pandas as pd

from .errors import RencontresError
from .privacy import identifying_columns, small_group_label, suppress_counts

_ISSUER = object()  # held by this module only: PublicTable(…) elsewhere raises


@dataclass(frozen=True, eq=False)
class PublicTable:
    """A table cleared for publication (see the module docstring).

    ``frame``: the publishable values, masked cells missing (``pd.NA``); ``masked``: a
    boolean frame of the same shape (True where a value was suppressed); ``threshold``: the
    k of the rule; ``kind``: « personnes » (groups of people, suppressed) or « agrégé »
    (declared not to count groups of people); ``why``: the reason given for « agrégé ».
    """

    frame: pd.DataFrame
    masked: pd.DataFrame
    threshold: int
    kind: str
    why: str = ""
    _issuer: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self._issuer is not _ISSUER:
            raise TypeError(
                "PublicTable ne se crée que par rencontres_lib.public "
                "(people_table, people_groups ou aggregate)."
            )
        cols = identifying_columns(self.frame)
        if cols:
            raise RencontresError(
                f"colonnes identifiantes dans un tableau public : {', '.join(map(str, cols))}.",
                hint="Retirez-les avant de publier le tableau.",
            )

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def n_masked(self) -> int:
        """Number of masked cells (primary and secondary suppression together)."""
        return int(self.masked.to_numpy().sum())

    def legend(self) -> str:
        """French sentence for a table or chart that has masked cells (empty when none)."""
        if not self.n_masked:
            return ""
        return (
            f"« masqué » : {small_group_label(self.threshold)}, ou valeur masquée pour qu'elle "
            "ne puisse pas être retrouvée par soustraction."
        )

    def rename(self, columns: dict | None = None, index: dict | None = None) -> PublicTable:
        """The same table with display names (values and masks unchanged)."""
        return _issue(
            self.frame.rename(columns=columns, index=index),
            self.masked.rename(columns=columns, index=index),
            self.threshold,
            self.kind,
            self.why,
        )

    def with_index_column(self, name: str) -> PublicTable:
        """The index made a first column ``name`` (for exported files, which drop the index)."""
        frame = self.frame.rename_axis(name).reset_index()
        masked = self.masked.rename_axis(name).reset_index()
        masked[name] = False
        return _issue(frame, masked, self.threshold, self.kind, self.why)

    def head(self, n: int) -> PublicTable:
        """The first ``n`` rows (masking kept as it was)."""
        return _issue(self.frame.head(n), self.masked.head(n), self.threshold, self.kind, self.why)

    def select(self, rows: pd.Series | list) -> PublicTable:
        """Rows kept by a boolean mask or a list of labels (masking is kept as it was)."""
        if isinstance(rows, pd.Series) and rows.dtype == bool:
            frame, masked = self.frame[rows.to_numpy()], self.masked[rows.to_numpy()]
        else:
            frame, masked = self.frame.loc[rows], self.masked.loc[rows]
        return _issue(frame, masked, self.threshold, self.kind, self.why)


def _issue(frame, masked, threshold, kind, why="") -> PublicTable:
    return PublicTable(frame, masked, int(threshold), kind, why, _ISSUER)


def people_table(counts: pd.DataFrame, threshold: int, *, lines: str = "both") -> PublicTable:
    """Counts of distinct people by groups (rows × columns), primary and secondary suppression.

    ``counts``: non-negative integers, no margins. ``lines``: which lines add up to a
    published total, ``"both"`` or ``"columns"`` (see :func:`privacy.suppress_counts`).
    Returns the counts (Int64, NA where masked). Raises :class:`RencontresError` on counts
    that are not non-negative integers or a threshold < 1.
    """
    sup = suppress_counts(counts, threshold, totals=True, lines=lines)
    return _issue(sup.values, sup.mask, threshold, "personnes")


def people_groups(
    df: pd.DataFrame,
    threshold: int,
    *,
    n: str = "n",
    values: Iterable[str] | None = None,
    by: Iterable[str] = (),
    partition: bool = True,
) -> PublicTable:
    """Rows = groups of people with their count ``n`` (distinct people) and derived values.

    A row with 0 < n < ``threshold`` is masked whole (``n`` and every column of ``values``,
    by default every numeric column but ``n``). With ``partition`` the groups of each ``by``
    block (e.g. one statement, one dimension) add up to a published total, so when a block
    has exactly one masked row its next smallest row is masked too (secondary suppression).
    Columns are kept as they are; masked cells become missing. Raises
    :class:`RencontresError` when ``n`` is absent.
    """
    if n not in df.columns:
        raise RencontresError(f"colonne d'effectif « {n} » absente du tableau à publier.")
    by = list(by)
    frame = df.reset_index(drop=True).copy()
    if values is None:
        values = [
            c
            for c in frame.columns
            if c != n and c not in by and pd.api.types.is_numeric_dtype(frame[c])
        ]
    values = list(values)
    counts = pd.to_numeric(frame[n], errors="coerce").fillna(0).astype(int)
    hide = pd.Series(False, index=frame.index)
    blocks = (
        [g.index for _, g in frame.groupby(by, sort=False, dropna=False)] if by else [frame.index]
    )
    for rows in blocks:
        col = pd.DataFrame({"n": counts.loc[rows].to_numpy()}, index=list(rows))
        if partition:
            mask = suppress_counts(col, threshold, totals=True, lines="columns").mask["n"]
        else:
            mask = (col["n"] > 0) & (col["n"] < threshold)
        hide.loc[mask.index] = mask.to_numpy()
    masked = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for c in [n, *values]:
        masked[c] = hide
        frame[c] = _typed(frame[c], integer=c == n).mask(hide)
    return _issue(frame, masked, threshold, "personnes")


def _typed(s: pd.Series, *, integer: bool) -> pd.Series:
    """A column that can hold missing values and keeps its type (decimal comma in CSV)."""
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        return s.astype(object)
    if integer:
        return pd.to_numeric(s, errors="coerce").round().astype("Int64")
    return pd.to_numeric(s, errors="coerce").astype("Float64")


def people_stages(counts: pd.DataFrame, threshold: int) -> PublicTable:
    """Nested stages by group (e.g. registered ⊇ present, by profile), people counted.

    ``counts``: rows = groups, columns = stages, each column a partition of a published
    total (the key figures). Primary suppression of 0 < n < ``threshold``; a group masked at
    one stage is masked at every stage (otherwise « registered ≥ present » narrows the masked
    cell down); in each column holding exactly one masked cell, its smallest other non-zero
    cell is masked too; repeated until stable. Returns the counts (Int64, NA where masked).
    """
    raw = counts.fillna(0).to_numpy(dtype="int64")
    if (raw < 0).any():
        raise RencontresError("le tableau d'effectifs doit contenir des entiers positifs ou nuls.")
    mask = (raw > 0) & (raw < threshold)
    changed = True
    while changed:
        changed = False
        for i in range(raw.shape[0]):
            if mask[i].any():
                row = raw[i] > 0
                if (row & ~mask[i]).any():
                    mask[i] |= row
                    changed = True
        for j in range(raw.shape[1]):
            if int((mask[:, j] & (raw[:, j] > 0)).sum()) == 1:
                others = [
                    (raw[i, j], i) for i in range(raw.shape[0]) if not mask[i, j] and raw[i, j] > 0
                ]
                if others:
                    mask[min(others)[1], j] = True
                    changed = True
    masked = pd.DataFrame(mask, index=counts.index, columns=counts.columns)
    frame = counts.astype("Int64").mask(masked)
    return _issue(frame, masked, threshold, "personnes")


def published_counts(counts: pd.DataFrame, threshold: int) -> PublicTable:
    """Counts of people gathered from tables already published through this gate.

    For the synthesis: each territory's counts by profile were suppressed (primary and
    secondary, against that territory's total) when its report was published; put side by
    side, a missing value is a masked cell and stays masked (never read as zero). No new
    total is published with them. Returns Int64 counts, NA where masked.
    """
    frame = counts.apply(pd.to_numeric, errors="coerce").round().astype("Int64")
    small = ((frame > 0) & (frame < threshold)).fillna(False)
    frame = frame.mask(small)  # defence in depth: a small count that slipped through
    return _issue(frame, frame.isna(), threshold, "personnes")


def aggregate(df: pd.DataFrame, why: str) -> PublicTable:
    """A table that counts no group of people, published as is; ``why`` says what it counts.

    For example « réponses par thème » or « inscriptions par jour ». Raises
    :class:`RencontresError` when ``why`` is empty or a column is identifying.
    """
    if not why or not why.strip():
        raise RencontresError("un tableau agrégé doit dire ce qu'il compte (argument why).")
    frame = df.reset_index(drop=True).copy()
    masked = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    return _issue(frame, masked, 1, "agrégé", why)


def frame_of(table: Any) -> pd.DataFrame:
    """The frame of a :class:`PublicTable`; anything else raises ``TypeError``."""
    if not isinstance(table, PublicTable):
        raise TypeError(
            f"seule une PublicTable peut être publiée (reçu {type(table).__name__}) : "
            "passez le tableau par rencontres_lib.public."
        )
    return table.frame


def public_only(func: Callable) -> Callable:
    """Decorator for chart functions: PublicTable arguments (also as dict values) are passed
    as their frames; a plain DataFrame argument raises ``TypeError`` (French message), so no
    chart can draw a table that did not go through the privacy step."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        def unwrap(v):
            if isinstance(v, PublicTable):
                return v.frame
            if isinstance(v, pd.DataFrame):
                frame_of(v)  # raises
            if isinstance(v, dict) and any(isinstance(x, pd.DataFrame) for x in v.values()):
                frame_of(next(x for x in v.values() if isinstance(x, pd.DataFrame)))
            if isinstance(v, dict) and any(isinstance(x, PublicTable) for x in v.values()):
                return {k: (x.frame if isinstance(x, PublicTable) else x) for k, x in v.items()}
            return v

        return func(*[unwrap(a) for a in args], **{k: unwrap(v) for k, v in kwargs.items()})

    return wrapper
