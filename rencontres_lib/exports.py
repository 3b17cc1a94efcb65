"""Published tables and files: CSV/XLSX for French spreadsheets, atomic writes, French numbers.

Choices:

* Thousands separator and the space before « % »: narrow no-break space U+202F (``NNBSP``),
  as the French typographic standard recommends; decimal comma. A missing value shows
  « n.d. ». Rounding is half up on the decimal value (``fmt_float(2.675, 2) == "2,68"``).
* Dates without the system locale: « 14 mars 2025 », « 1er mars 2025 », and
  « vendredi 14 mars 2025 » with ``fmt_date_long``.
* Spreadsheet (CSV) injection, OWASP rule: a text cell whose first character — after any
  leading spaces or quotes — is ``= + - @``, a tab, a carriage return (or their full-width
  forms) gets a leading ``'``. A text that is strictly a number (``"-3"``, ``"+4,5"``) is left
  as is: a spreadsheet reads it as a number, never as a formula. Real numbers are untouched.
* Every file is written atomically: a temporary file in the same folder, then ``os.replace``.
* A public file (anything not under ``prive/``) only takes a ``PublicTable`` (see
  :mod:`rencontres_lib.public`): small groups suppressed, identifying columns refused.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import secrets
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported only where a table is written
    import pandas as pd

from .errors import RencontresError
from .formats import (  # noqa: F401  (re-exported: the formatters used to live here)
    JOURS,
    MISSING,
    MOIS,
    NNBSP,
    _is_missing,
    fmt_date,
    fmt_date_long,
    fmt_float,
    fmt_int,
    fmt_pct,
)
from .public import PublicTable

PRIVATE_DIR = "prive"
_FORMULA_START = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
_LEADING_NOISE = " \u00a0\u202f\n'\"\u2018\u2019\u201c\u201d"
_STRICT_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def formula_safe(value: Any) -> Any:
    """Neutralise a text cell a spreadsheet would run as a formula (OWASP); others unchanged."""
    if not isinstance(value, str):
        return value
    stripped = value.lstrip(_LEADING_NOISE)
    if not stripped or stripped[0] not in _FORMULA_START:
        return value
    if _STRICT_NUMBER.fullmatch(value.strip()):
        return value
    return "'" + value


def formula_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` with ``formula_safe`` applied to every text cell and column label."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        out[col] = s.astype(object).map(formula_safe, na_action="ignore")
    out.columns = [formula_safe(c) for c in out.columns]
    return out


def _atomic_write(path: str | Path, write: Callable[[int], None]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    mode = (path.stat().st_mode & 0o7777) if path.exists() else 0o666  # umask applies
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            write(fd)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: readers see the old file or the new one."""

    def write(fd: int) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    return _atomic_write(path, write)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (no newline translation)."""
    return atomic_write_bytes(path, text.encode(encoding))


def _is_public(path: str | Path, public: bool | None) -> bool:
    """Explicit ``public``, else public unless written under a ``prive/`` folder."""
    if public is not None:
        return public
    return PRIVATE_DIR not in Path(path).resolve().parts


def _prepare(
    df: pd.DataFrame | PublicTable, path: str | Path, index: bool, public: bool | None
) -> pd.DataFrame:
    if _is_public(path, public):
        if not isinstance(df, PublicTable):
            raise RencontresError(
                "un fichier publié ne peut contenir qu'un tableau passé par la porte publique.",
                file=path,
                hint="Construisez-le avec rencontres_lib.public (people_table, people_groups "
                "ou aggregate) : c'est là que les petits effectifs sont masqués.",
            )
        df = df.frame
    elif isinstance(df, PublicTable):
        df = df.frame
    frame = df.reset_index() if index else df
    return formula_safe_frame(frame)


def write_csv(
    df: pd.DataFrame | PublicTable,
    path: str | Path,
    *,
    index: bool = False,
    public: bool | None = None,
) -> Path:
    """CSV for French Excel: UTF-8 with BOM, ``;`` separator, decimal comma, CRLF, atomic.

    A public file accepts only a :class:`~rencontres_lib.public.PublicTable` (small groups
    suppressed, no identifying column); ``public=None`` means public unless the path lies
    under the git-ignored ``prive/`` folder. Raises :class:`RencontresError` otherwise.
    """
    frame = _prepare(df, path, index, public)
    text = frame.to_csv(sep=";", decimal=",", index=False, lineterminator="\r\n", na_rep="")
    return atomic_write_bytes(path, text.encode("utf-8-sig"))


def _cell(value: Any) -> Any:
    if _is_missing(value):
        return None
    if hasattr(value, "to_pydatetime"):  # pandas.Timestamp
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, bool | int | float | dt.date | Decimal):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return _ILLEGAL_XML.sub("", str(value))


def _fill_sheet(ws, frame: pd.DataFrame) -> None:
    from openpyxl.styles import Font

    rows = [list(frame.columns)] + frame.astype(object).to_numpy().tolist()
    widths: dict[int, int] = {}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=_cell(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would store "=…" as a formula
                widths[c] = max(widths.get(c, 0), min(len(cell.value), 60))
            if r == 1:
                cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for c, width in widths.items():
        ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = max(width + 2, 8)


def _sheet_title(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31] or "Données"


def write_xlsx(
    df: pd.DataFrame | PublicTable,
    path: str | Path,
    *,
    sheet_name: str = "Données",
    index: bool = False,
    public: bool | None = None,
) -> Path:
    """XLSX (openpyxl), bold frozen header; text stored as text, never formulas (cf. write_csv)."""
    return write_xlsx_sheets({sheet_name: df}, path, index=index, public=public)


def write_xlsx_sheets(
    tables: dict[str, pd.DataFrame | PublicTable],
    path: str | Path,
    *,
    index: bool = False,
    public: bool | None = None,
) -> Path:
    """One workbook, one sheet per table (names cut to Excel's 31 characters), formula-safe, atomic."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, df in tables.items():
        title = _sheet_title(name)
        k = 2
        while title in used:
            title = f"{_sheet_title(name)[:28]} {k}"
            k += 1
        used.add(title)
        _fill_sheet(wb.create_sheet(title), _prepare(df, path, index, public))
    buffer = io.BytesIO()
    wb.save(buffer)
    return atomic_write_bytes(path, buffer.getvalue())
