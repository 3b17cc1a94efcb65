"""Helpers shared by the loaders: header matching, French dates, counting findings.

Everything here is pure (no file is written) and every message it builds is French.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..errors import Finding, Level, LoadResult, SourceError, add_finding
from ..io import SEP_NAMES, RawTable, read_table
from ..vocabulary import EMAIL_RE as EMAIL_RE  # re-exported for the loaders
from ..vocabulary import PHONE_RE as PHONE_RE
from ..vocabulary import fold
from ..vocabulary import fold_header as fold_header

MAX_LINES_SHOWN = 12


def finish(
    kind: str,
    path: str | Path,
    raw: RawTable,
    table: pd.DataFrame,
    findings: list[Finding],
    *,
    read: int,
    rejected: int,
    private: pd.DataFrame | None = None,
    extra: dict | None = None,
) -> LoadResult:
    """The :class:`~rencontres_lib.errors.LoadResult` every loader returns.

    ``read`` and ``rejected`` are the rows read and rejected; ``rows_used`` is ``len(table)``
    and ``sha256`` the export's (``raw.sha256``); the row accounting
    ``rows_read == rows_used + rows_rejected`` is checked (``AssertionError`` naming
    the file otherwise: a loader bug, never bad input).
    """
    return LoadResult(
        source=str(path),
        kind=kind,
        table=table,
        findings=findings,
        rows_read=read,
        rows_used=len(table),
        rows_rejected=rejected,
        sha256=raw.sha256,
        private=private,
        extra=extra if extra is not None else {},
    ).check()


# --------------------------------------------------------------------------- columns


def match_columns(
    columns: Sequence[str], aliases: dict[str, Sequence[str]]
) -> dict[str, str | None]:
    """Find, for each field, the column whose name matches one of its aliases.

    Aliases are compared with :func:`fold_header` on both sides. A plain alias must equal
    the whole column name; an alias starting with ``~`` only needs to appear in it as whole
    words. Exact matches are tried first for every field, then ``~`` matches, in the order
    the fields and aliases are given; a column is used by one field at most.
    """
    folded = {c: fold_header(c) for c in columns}
    found: dict[str, str | None] = dict.fromkeys(aliases)
    used: set[str] = set()
    for field, names in aliases.items():
        for alias in names:
            if alias.startswith("~"):
                continue
            target = fold_header(alias)
            hit = next((c for c in columns if c not in used and folded[c] == target), None)
            if hit is not None:
                found[field] = hit
                used.add(hit)
                break
    for field, names in aliases.items():
        if found[field] is not None:
            continue
        for alias in names:
            if not alias.startswith("~"):
                continue
            pattern = re.compile(
                r"(?:^|[^a-z0-9])" + re.escape(fold_header(alias[1:])) + r"(?:$|[^a-z0-9])"
            )
            hit = next((c for c in columns if c not in used and pattern.search(folded[c])), None)
            if hit is not None:
                found[field] = hit
                used.add(hit)
                break
    return found


def check_format(fmt: str | None, allowed: Iterable[str], path: Path) -> str | None:
    """Validate an explicit ``fmt`` argument (``None`` means auto-detection)."""
    if fmt is None:
        return None
    allowed = list(allowed)
    if fmt not in allowed:
        raise SourceError(
            f"format « {fmt} » inconnu ; formats possibles : {', '.join(allowed)}.",
            file=path,
            hint="Laissez le format vide pour qu'il soit reconnu d'après les en-têtes.",
        )
    return fmt


def read_source(path: str | Path, accept=None) -> RawTable:
    """Read a file with :func:`read_table` and refuse a file without any data row.

    ``accept`` (a test on a header's cells, optional) lets a spreadsheet's header be found
    below title rows and on another sheet than the first (see :func:`read_table`)."""
    raw = read_table(path, accept=accept)
    columns = list(raw.frame.columns)
    odd = [ch for ch in ":^~!#*+=" if len(columns) == 1 and ch in columns[0]]
    if odd and raw.sep is not None:
        raise SourceError(
            f"une seule colonne lue, dont l'en-tête « {columns[0][:60]} » contient « {odd[0]} » : "
            "ce caractère ne peut pas servir de séparateur ; attendu : point-virgule, virgule, "
            "tabulation ou barre verticale.",
            file=raw.path,
            row=1,
            hint="Réenregistrez le fichier en CSV depuis votre tableur.",
        )
    if raw.frame.empty:
        raise SourceError(
            "le fichier ne contient que la ligne d'en-tête : au moins une ligne de données était attendue.",
            file=raw.path,
            row=1,
            hint="Vérifiez que l'export n'a pas été fait sur une sélection vide.",
        )
    return raw


def missing_columns_error(raw: RawTable, expected: str, what: str) -> SourceError:
    """Build the error raised when required columns are absent (names the columns found)."""
    cols = list(raw.frame.columns)
    shown = ", ".join(f"« {c} »" for c in cols[:15]) + (" …" if len(cols) > 15 else "")
    hint = "Renommez la colonne concernée ou indiquez le format de l'export."
    if len(cols) == 1 and raw.sep is not None:
        hint = (
            f"Une seule colonne a été lue avec le séparateur {SEP_NAMES.get(raw.sep, raw.sep)} : "
            "le séparateur attendu est le point-virgule, la virgule, la tabulation ou la barre verticale."
        )
    return SourceError(
        f"colonne {what} introuvable ; attendu : {expected} ; colonnes trouvées : {shown}.",
        file=raw.path,
        row=1,
        hint=hint,
    )


def cells(raw: RawTable, column: str | None) -> pd.Series:
    """The stripped cells of ``column`` (empty strings when the column is absent)."""
    if column is None:
        return pd.Series([""] * len(raw.frame), index=raw.frame.index, dtype=object)
    return raw.frame[column].astype(str).map(clean_text)


def clean_text(value: object) -> str:
    """A cell with Windows/Mac line breaks made ``\n`` and outer spaces stripped."""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def one_line(value: object) -> str:
    """A cell collapsed to one line with single spaces (organisations, profiles, themes)."""
    return " ".join(str(value).split())


# --------------------------------------------------------------------------- findings


def lines_text(lines: Sequence[int]) -> str:
    """``ligne 4`` / ``lignes 4, 7 et 9`` / ``lignes 4, 7, … (et 12 autres)``."""
    lines = sorted(set(int(x) for x in lines))
    if len(lines) == 1:
        return f"ligne {lines[0]}"
    shown = [str(x) for x in lines[:MAX_LINES_SHOWN]]
    if len(lines) > MAX_LINES_SHOWN:
        return f"lignes {', '.join(shown)} (et {len(lines) - MAX_LINES_SHOWN} autres)"
    return f"lignes {', '.join(shown[:-1])} et {shown[-1]}"


def report(
    findings: list[Finding],
    level: Level,
    path: str | Path,
    message: str,
    lines: Sequence[int],
    column: str | None = None,
) -> None:
    """Add one finding covering ``lines`` (first line as ``row``, all listed in the text)."""
    if not lines:
        return
    lines = sorted(set(int(x) for x in lines))
    add_finding(
        findings,
        level,
        path,
        f"{message} ({lines_text(lines)})",
        row=lines[0],
        column=column,
        count=len(lines),
    )


def report_unknown_profiles(
    findings: list[Finding],
    path: str | Path,
    unmatched: Counter,
    texts: Sequence[object],
    lines: Sequence[int],
    column: str | None,
) -> None:
    """One warning naming the profile texts no rule recognises (classed « autre »).

    ``unmatched`` is the counter of :func:`~rencontres_lib.referentiels.normalize_profiles`
    (stripped text → rows); ``texts[k]`` is the profile written on line ``lines[k]``. The 20
    most frequent texts are listed with their counts, every line concerned is named.
    """
    if not unmatched:
        return
    listed = ", ".join(f"« {t} » ({k})" for t, k in unmatched.most_common(20))
    report(
        findings,
        "avertissement",
        path,
        f"profil non reconnu, classé « autre » : {listed} ; ajoutez une règle dans un fichier de "
        "règles de profils pour le classer",
        [line for line, t in zip(lines, texts, strict=True) if str(t or "").strip() in unmatched],
        column,
    )


# --------------------------------------------------------------------------- dates

MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "february": 2, "feb": 2,
    "mars": 3, "mar": 3, "march": 3,
    "avril": 4, "avr": 4, "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juin": 6, "june": 6, "jun": 6,
    "juillet": 7, "juil": 7, "july": 7, "jul": 7,
    "aout": 8, "august": 8, "aug": 8,
    "septembre": 9, "sept": 9, "sep": 9, "september": 9,
    "octobre": 10, "oct": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}  # fmt: skip
_WEEKDAY = (
    r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+"
)
_TIME = r"(?:\s*(?:a|,|-|t)?\s*(\d{1,2})\s*[h:]\s*(\d{2})?(?:\s*:\s*(\d{2})(?:[.,]\d+)?)?)?"
# time zone (dropped: the wall-clock time written in the file is kept) and 12-hour marks
_TAIL = re.compile(
    r"\s*(?:(?:z|utc|gmt|cet|cest)\s*(?:[+\-]\s*\d{1,2}(?::?\d{2})?)?|[+\-]\d{2}:?\d{2})?"
    r"\s*(?:\([^)]*\))?$"
)
_AMPM = re.compile(r"\s*([ap])\.?\s?m\.?$")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})" + _TIME + "$")
_TEXT = re.compile(
    r"^(?:" + _WEEKDAY + r")?(\d{1,2})(?:er)?\s+([a-z]+)\.?,?\s+(\d{4})" + _TIME + "$"
)
_ENG = re.compile(r"^(?:" + _WEEKDAY + r")?([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})" + _TIME + "$")
_SERIAL = re.compile(r"^(\d{5})(?:[.,](\d+))?$")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
DATE_FORMS = (
    "14/03/2025, 14/03/2025 10:32, 2025-03-14, 2025/03/14 3:08:24 PM, 14 mars 2025 "
    "ou une date Excel"
)


def parse_date_fr(text: object, *, dayfirst: bool = True) -> pd.Timestamp | None:
    """Parse a date-time written by a survey, ticketing or export tool; ``None`` when impossible.

    Accepts ISO (``2025-03-14``, ``2025-03-14T10:32:00.123+01:00`` — Kobo, Decidim),
    LimeSurvey (``2025-03-14 10:32:00``), Google Forms in French (``14/03/2025 10:32:24``) and
    in English 12-hour form (``2025/03/14 3:08:24 PM UTC+1``, ``3/14/2025 3:08:24 PM``),
    Framaforms (``14/03/2025 - 10:32``), French text (``vendredi 14 mars 2025 à 10h32``),
    English text (``Mar 14, 2025 3:08 PM``), Excel serial numbers (``45730.63``, between 1954
    and 2119), then any other form ``dateparser`` reads in French or English (a well-kept
    parser, tried last). Time zones are dropped: the wall-clock time written in the file is
    kept. ``dayfirst=False`` reads ``3/4/2025`` as March 4 (English Google Forms); a first
    number above 12 is always a day.
    """
    s = fold(text)
    if not s:
        return None
    if m := _SERIAL.match(s):
        days = int(m[1])
        if 20000 <= days <= 80000:
            frac = float("0." + m[2]) if m[2] else 0.0
            return (EXCEL_EPOCH + pd.Timedelta(days=days + frac)).round("s")
        return None
    core = _TAIL.sub("", s)
    ampm = _AMPM.search(core)
    if ampm:
        core = core[: ampm.start()]
    core = _TAIL.sub("", core).strip()
    parsed = _parse_core(core, dayfirst)
    if parsed is None:
        return _dateparser(str(text), dayfirst)
    y, mo, d, hh, mm, ss = parsed
    hour = int(hh) if hh else 0
    if ampm and hh:
        if ampm[1] == "p" and hour < 12:
            hour += 12
        elif ampm[1] == "a" and hour == 12:
            hour = 0
    try:
        return pd.Timestamp(datetime(y, mo, d, hour, int(mm or 0), int(ss or 0)))
    except ValueError:
        return None


def _parse_core(s: str, dayfirst: bool) -> tuple | None:
    if m := _ISO.match(s):
        return int(m[1]), int(m[2]), int(m[3]), m[4], m[5], m[6]
    if m := _DMY.match(s):
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        y = y + 2000 if y < 100 else y
        d, mo = (a, b) if (dayfirst and b <= 12) or a > 12 else (b, a)
        return y, mo, d, m[4], m[5], m[6]
    if (m := _TEXT.match(s)) and m[2] in MONTHS:
        return int(m[3]), MONTHS[m[2]], int(m[1]), m[4], m[5], m[6]
    if (m := _ENG.match(s)) and m[1] in MONTHS:
        return int(m[3]), MONTHS[m[1]], int(m[2]), m[4], m[5], m[6]
    return None


def _dateparser(text: str, dayfirst: bool) -> pd.Timestamp | None:
    """Last resort: the ``dateparser`` library (French then English), only for text that
    holds a digit (never a bare word such as « demain »)."""
    if not re.search(r"\d", text) or len(text) > 60:
        return None
    import dateparser  # imported only when a cell needs it

    found = dateparser.parse(
        text,
        languages=["fr", "en"],
        settings={
            "DATE_ORDER": "DMY" if dayfirst else "MDY",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PREFER_DATES_FROM": "past",
            "REQUIRE_PARTS": ["day", "month", "year"],
        },
    )
    return pd.Timestamp(found.replace(tzinfo=None)) if found is not None else None


def parse_dates(values: pd.Series) -> tuple[pd.Series, list[int]]:
    """Parse a column of dates; returns (datetime64 series, positions that could not be read)."""
    out: list[pd.Timestamp | None] = []
    bad: list[int] = []
    for pos, value in enumerate(values):
        ts = parse_date_fr(value)
        if ts is None and str(value).strip():
            bad.append(pos)
        out.append(ts)
    series = pd.to_datetime(pd.Series(out, index=values.index, dtype=object), errors="coerce")
    return series.astype("datetime64[ns]"), bad


# --------------------------------------------------------------------------- numbers, html


def parse_count(value: object) -> int | None | str:
    """``"12"``/``"12.0"``/``"1 200"`` → int, ``""`` → None, anything else → the string ``"?"``."""
    s = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if not s:
        return None
    if re.fullmatch(r"[+\-]?\d+", s):
        return int(s)
    if re.fullmatch(r"[+\-]?\d+[.,]0+", s):
        return int(s.split(".")[0].split(",")[0])
    return "?"


def parse_counts(
    values: pd.Series, lines: Sequence[int], findings: list[Finding], path: Path, column: str | None
) -> pd.Series:
    """Integers (``Int64``) from a column; non-integer cells become NA with one warning."""
    parsed = [parse_count(v) for v in values]
    bad = [lines[i] for i, v in enumerate(parsed) if v == "?"]
    report(
        findings,
        "avertissement",
        path,
        "valeur non entière (un nombre entier était attendu, ex. « 12 ») : laissée vide",
        bad,
        column,
    )
    clean = [v if isinstance(v, int) else None for v in parsed]
    return pd.array(clean, dtype="Int64")


_BLOCK_TAGS = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6]|/tr)\s*/?\s*>", re.I)
_TAGS = re.compile(r"<[^>]+>")


def strip_html(text: object) -> str:
    """Plain text from an HTML fragment (tags removed, entities decoded, blank lines trimmed)."""
    s = str(text or "")
    if "<" in s:
        s = _BLOCK_TAGS.sub("\n", s)
        s = _TAGS.sub("", s)
    s = html.unescape(s).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in s.split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def empty_result_frame(columns: dict[str, str]) -> pd.DataFrame:
    """An empty frame with the given column → dtype mapping."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


# --------------------------------------------------------------------------- shared steps


def reject_misaligned(raw: RawTable, findings: list[Finding], name: str | None = None) -> set[int]:
    """Frame positions of records whose field count differs from the header, each reported
    with its line (a warning: the row is left out, never read shifted)."""
    width = len(raw.frame.columns)
    short = [(i, line, w) for i, line, w in raw.misaligned if w < width]
    wide = [(i, line, w) for i, line, w in raw.misaligned if w > width]
    for group, word in ((short, "moins"), (wide, "plus")):
        if not group:
            continue
        counts = ", ".join(sorted({str(w) for _, _, w in group}))
        report(
            findings,
            "avertissement",
            name or raw.name,
            f"ligne avec {word} de champs ({counts}) que l'en-tête ({width} colonnes) : écartée "
            "plutôt que lue décalée ; vérifiez les guillemets et les séparateurs de cette ligne",
            [line for _, line, _ in group],
        )
    return {i for i, _, _ in raw.misaligned}


def blank_records(raw: RawTable) -> set[int]:
    """Frame positions of records whose every cell is empty or spaces."""
    frame = raw.frame
    if frame.empty:
        return set()
    filled = frame.astype(str).apply(lambda col: col.str.strip() != "").any(axis=1)
    return set(int(i) for i in (~filled.to_numpy()).nonzero()[0])
