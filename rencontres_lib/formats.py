"""French formatting of numbers and dates for everything a reader sees (a leaf module).

* Thousands separator and the space before « % »: narrow no-break space U+202F (``NNBSP``),
  as the French typographic standard recommends; decimal comma. A missing value shows
  « n.d. ». Rounding is half up on the decimal value (``fmt_float(2.675, 2) == "2,68"``):
  babel rounds half to even, which French readers do not expect in a report, so the
  grouping and rounding are done here on ``decimal.Decimal`` (a few lines).
* Dates without the system locale: « 14 mars 2025 », « 1er mars 2025 », and
  « vendredi 14 mars 2025 » with ``fmt_date_long``.
"""

from __future__ import annotations

import datetime as dt
import functools
import numbers
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .errors import RencontresError

NNBSP = "\u202f"
MISSING = "n.d."
MOIS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | bool | int | float | dt.date | Decimal):  # no pandas import needed
        return value != value  # NaN and NaT (a datetime subclass) are the only such values
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _decimal(value: Any) -> Decimal | None:
    if _is_missing(value):
        return None
    try:
        if isinstance(value, Decimal):
            return value
        if isinstance(value, numbers.Integral):
            return Decimal(int(value))
        return Decimal(repr(float(value)))
    except (TypeError, ValueError, InvalidOperation):
        return None


def _group(digits: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return NNBSP.join(parts)


def fmt_float(value: Any, decimals: int = 1) -> str:
    """« 1 234,5 »: French decimal number rounded half up (« n.d. » when missing)."""
    number = _decimal(value)
    if number is None or not number.is_finite():
        return MISSING
    rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{abs(rounded):f}"
    whole, _, frac = text.partition(".")
    sign = "-" if rounded < 0 else ""  # "-0,0" never appears: rounded zero has no sign here
    return sign + _group(whole) + ("," + frac if frac else "")


def fmt_int(value: Any) -> str:
    """« 1 234 » (narrow no-break space between thousands)."""
    return fmt_float(value, 0)


def fmt_pct(value: Any, decimals: int = 0) -> str:
    """A ratio as a French percentage: ``fmt_pct(0.723) == "72 %"`` (U+202F before %)."""
    number = _decimal(value)
    if number is None or not number.is_finite():
        return MISSING
    return f"{fmt_float(number * 100, decimals)}{NNBSP}%"


def _as_date(value: Any) -> dt.date | None:
    if _is_missing(value):
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip()[:10])
        except ValueError as exc:
            raise RencontresError(f"date illisible : « {value} » (attendu AAAA-MM-JJ).") from exc
    if isinstance(value, dt.datetime):  # pandas.Timestamp included
        value = value.date()
    if not isinstance(value, dt.date):
        raise RencontresError(f"date illisible : « {value} ».")
    return value


def fmt_date(value: Any) -> str:
    """« 14 mars 2025 » (« 1er mars 2025 » for the first of the month)."""
    day = _as_date(value)
    if day is None:
        return MISSING
    return f"{'1er' if day.day == 1 else day.day} {MOIS[day.month - 1]} {day.year}"


def fmt_date_long(value: Any) -> str:
    """« vendredi 14 mars 2025 »."""
    day = _as_date(value)
    return MISSING if day is None else f"{JOURS[day.weekday()]} {fmt_date(day)}"


@functools.lru_cache(maxsize=1)
def _plural_form():
    from babel import Locale

    return Locale("fr").plural_form


def plural(n: Any, one: str, other: str | None = None) -> str:
    """The form of ``one`` (singular) or ``other`` (plural; default ``one`` + « s ») for ``n``.

    French rule of the CLDR (through babel): 0 and 1 take the singular (« 0 erreur », « 1
    ligne », « 2 lignes »). Give ``other`` for phrases and irregular plurals (« ligne rejetée »
    → « lignes rejetées », « journal » → « journaux »). Never « ligne(s) ».
    """
    value = 0 if _is_missing(n) else abs(n)
    return one if _plural_form()(value) == "one" else (other or f"{one}s")


def fmt_count(n: Any, one: str, other: str | None = None) -> str:
    """« 3 lignes rejetées »: the number (:func:`fmt_int`) then :func:`plural`."""
    return f"{fmt_int(n)} {plural(n, one, other)}"
