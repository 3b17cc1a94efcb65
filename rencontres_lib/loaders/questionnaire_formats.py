"""Export formats of survey tools and vectorised column helpers for the questionnaire loader.

Which columns LimeSurvey, Google Forms, Framaforms, KoboToolbox and Decidim add around the
answers (respondent id, submission date, completeness, draft flag, e-mail), how to recognise a
format from its headings, and numpy/pandas helpers that work on whole columns (distinct values
interpreted once), so that loading a million rows costs about as much as reading the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..codebook import Codebook
from ..columns import ColumnStore, is_blank
from ..referentiels import RulesArg, classify_profile, load_profile_rules
from ..vocabulary import loose_key as loose_key  # re-exported for the drafts
from ..vocabulary import normalize_label
from .common import parse_date_fr

FORMATS = ("limesurvey", "google_forms", "framaforms", "kobo", "decidim", "generique")
TRUE_MARKS = {"oui", "y", "yes", "1", "x", "true", "vrai", "coché", "cochée", "checked", "selected"}
FALSE_MARKS = {"", "non", "n", "no", "0", "false", "faux"}
# LimeSurvey writes « N/A » for a question not answered (full-text exports): no answer at all
NO_ANSWER_MARKS = {"n/a", "#n/a", "n.a."}
ANSWER_COLUMNS = ["respondent_id", "question_id", "valeur", "rang"]
_TZ = re.compile(r"(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2}|UTC.*|GMT.*)$")

# Columns each export format adds around the answers (compared with ``normalize_label``).
META_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "limesurvey": {
        "id": ("id", "id de la réponse", "response id"),
        "date": ("submitdate", "date de soumission", "date submitted"),
        "complet": ("submitdate", "date de soumission", "date submitted"),
        "autres": ("lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr", "refurl",
                   "token", "interviewtime", "dernière page", "langue de départ", "tête de série",
                   "date de lancement", "date de la dernière action", "adresse ip", "url de référence"),
    },
    "google_forms": {
        "date": ("horodateur", "timestamp", "horodatage", "marque temporelle"),
        "email": ("adresse e-mail", "adresse email", "email address", "adresse électronique"),
        "autres": ("score", "total score"),
    },
    "framaforms": {
        "id": ("numéro de soumission", "sid", "serial", "numéro de série", "numéro"),
        "date": ("date de soumission", "time", "heure", "date", "submitted"),
        "brouillon": ("brouillon", "draft"),
        "autres": ("adresse ip", "ip address", "uid", "nom d'utilisateur", "username", "utilisateur"),
    },
    "kobo": {
        "id": ("_id", "_uuid", "meta/instanceid"),
        "date": ("_submission_time",),
        "complet": ("_submission_time",),
        "autres": ("start", "end", "today", "deviceid", "username", "simserial", "subscriberid",
                   "phonenumber", "_validation_status", "_notes", "_status", "_submitted_by",
                   "__version__", "_version_", "_tags", "_index", "_attachments", "_geolocation",
                   "formhub/uuid", "meta/rootuuid", "meta/deprecatedid"),
    },
    "decidim": {
        "id": ("id de réponse", "answer id", "session_token", "id", "identifiant de l'utilisateur"),
        "date": ("répondu le", "answered on", "created_at", "date de réponse"),
        "autres": ("hachage ip", "ip hash", "ip_hash", "statut de l'utilisateur", "user status",
                   "user_status", "user_id"),
    },
    "generique": {"id": ("id", "identifiant", "respondent_id", "id_repondant"), "date": ("date",)},
}  # fmt: skip


def classify_profiles(
    uniques: np.ndarray, synonyms: dict[str, str] | None = None, rules: RulesArg = None
) -> tuple[list[str], np.ndarray]:
    """Profile id of each distinct profile text, and which ones no rule recognised.

    A question's ``synonymes`` (exact labels, codebook) are tried first, then the one rule
    classifier of every source (:mod:`rencontres_lib.referentiels`: ``rules`` — the meeting's
    ``sources.profils`` — before the built-in ``data/profils.yaml``). Empty → ``non_renseigne``;
    unrecognised → ``autre`` (flagged in the returned mask).
    """
    table = {loose_key(k): v for k, v in (synonyms or {}).items()}
    resolved = (
        load_profile_rules(rules) if rules is None or isinstance(rules, str | Path) else rules
    )
    ids, unknown = [], []
    for text in uniques:
        key = loose_key(text)
        found = table.get(key) if key else "non_renseigne"
        if found is None:
            found = classify_profile(text, resolved)
        unknown.append(found is None)
        ids.append(found or "autre")
    return ids, np.array(unknown, dtype=bool)


def detect_format(columns: list[str]) -> str:
    """Guess the export format from the column headings."""
    cols = [normalize_label(c) for c in columns]
    has = set(cols).__contains__
    if any(
        has(c)
        for c in ("submitdate", "startlanguage", "lastpage", "dernière page", "langue de départ")
    ):
        return "limesurvey"
    if has("_uuid") or has("_submission_time") or (has("_id") and has("_index")):
        return "kobo"
    if cols and cols[0] in META_COLUMNS["google_forms"]["date"]:
        return "google_forms"
    numbered = sum(bool(re.match(r"^\d+\. \S", c)) for c in cols)
    decidim_meta = ("id de réponse", "answer id", "session_token", "hachage ip", "ip_hash")
    if any(has(c) for c in decidim_meta) or (numbered and numbered >= len(cols) / 2):
        return "decidim"
    if (
        has("numéro de soumission")
        or has("numéro de série")
        or (has("sid") and (has("serial") or has("draft")))
    ):
        return "framaforms"
    return "generique"


def meta_columns(
    fmt: str, columns: list[str], exclude: set[str] | frozenset = frozenset()
) -> dict[str, str | None]:
    """The actual column of each meta field (id, date, complet, brouillon, email) for a format."""
    spec = META_COLUMNS.get(fmt, {})
    folded = {normalize_label(c): c for c in reversed(columns) if c not in exclude}
    return {
        k: next((folded[a] for a in spec.get(k, ()) if a in folded), None)
        for k in ("id", "date", "complet", "brouillon", "email")
    }


def technical_columns(fmt: str, columns: list[str]) -> set[str]:
    """Columns an export format adds by itself (never reported as absent from the codebook)."""
    names = {a for group in META_COLUMNS.get(fmt, {}).values() for a in group}
    return {c for c in columns if normalize_label(c) in names}


def code_columns(names: list[str], book: Codebook) -> dict[str, str]:
    """How to read columns: codes (Likert, 0/1 options) and identifiers as numbers, profiles,
    territories and single choices as categories (see :func:`rencontres_lib.columns.read_columns`).

    Identifiers made only of digits are then compared as numbers: « 007 » and « 7 » are the
    same respondent, and ``respondent_id`` holds the number 7 (ids stay text otherwise).
    """
    coded = {
        normalize_label(q.colonne)
        for q in book.questions
        if q.type == "likert" or (q.type == "choix_multiple" and q.option is not None)
    }
    ids = {normalize_label(a) for spec in META_COLUMNS.values() for a in spec.get("id", ())}
    if book.identifiant:
        ids.add(normalize_label(book.identifiant))
    labels = {
        normalize_label(q.colonne)
        for q in book.questions
        if q.type in ("profil", "territoire", "choix")
    }
    kinds = {n: "category" for n in names if normalize_label(n) in labels}
    kinds |= {n: "id" for n in names if normalize_label(n) in ids}
    return kinds | {n: "code" for n in names if normalize_label(n) in coded}


def strip(values: np.ndarray) -> np.ndarray:
    return np.array(pd.Series(values, dtype=object).str.strip(), dtype=object)


def map_uniques(
    data: ColumnStore,
    name: str,
    func: Callable[[np.ndarray], np.ndarray],
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """``func`` applied to a column's distinct texts (an array in, an array out, cell by cell),
    spread over rows; a plain column (mostly distinct texts) is given to ``func`` as it is."""
    if data.is_plain(name):
        return func(data.values(name, rows))
    codes, uniques = data.factor(name)
    return func(uniques)[codes if rows is None else codes[rows]]


def blank_rows(data: ColumnStore) -> np.ndarray:
    """Positions of records whose every cell is empty or spaces (narrowed column by column)."""
    cand = np.arange(len(data))
    for name in sorted(data.names, key=data.is_plain):  # plain text columns last, on few rows
        if not len(cand):
            break
        if data.is_plain(name):
            cand = cand[is_blank(data.values(name, cand))]
        else:
            codes, uniques = data.factor(name)
            blank = is_blank(uniques)
            if not blank.any():
                return cand[:0]  # a column without any empty cell: no record is blank
            cand = cand[blank[codes if len(cand) == len(codes) else codes[cand]]]
    return cand


def first_occurrences(values: np.ndarray) -> np.ndarray:
    """True where a value appears for the first time (vectorised, via factorize order)."""
    if values.dtype.kind in "iu" and len(values) > 1 and (np.diff(values) > 0).all():
        return np.ones(len(values), dtype=bool)  # increasing numbers (LimeSurvey ids): no hashing
    codes, _ = pd.factorize(values)
    if not len(codes):
        return np.ones(0, dtype=bool)
    seen_max = np.maximum.accumulate(codes)
    return codes > np.concatenate([[-1], seen_max[:-1]])


def parse_dates(
    data: ColumnStore, name: str, rows: np.ndarray | None = None, dayfirst: bool = True
) -> tuple[pd.Series, np.ndarray]:
    """Dates of a column (``rows`` only): ISO, then day-first forms, then French text.

    Each distinct text is parsed once; a column of mostly distinct texts (real submission times,
    kept plain by the reader) is parsed cell by cell, without hashing a million texts first.
    Returns (dates, positions that could not be read). ``dayfirst=False`` (English Google Forms
    « Timestamp ») tries ``3/15/2025`` before ``15/3/2025``.
    """
    if data.is_plain(name):
        return _parse_date_texts(data.values(name, rows), dayfirst)
    codes, uniques = data.factor(name)
    codes = codes if rows is None else codes[rows]
    if len(uniques) > len(codes):  # a few rows out of many: parse those cells only
        codes, uniques = pd.factorize(uniques[codes])
    parsed, bad = _parse_date_texts(uniques, dayfirst)
    dates = pd.Series(parsed.to_numpy()[codes], dtype="datetime64[ns]")
    return dates, np.flatnonzero(np.isin(codes, bad))


def _parse_date_texts(values: np.ndarray, dayfirst: bool) -> tuple[pd.Series, np.ndarray]:
    s, filled = pd.Series(values, dtype=object), ~is_blank(values)
    if any(_TZ.search(x.strip()) for x in s[filled].head(50)):
        s = s.str.strip().str.replace(_TZ.pattern, "", regex=True)
    # « 2025 », « 2025-03 », « 20250314 »: pandas' ISO reader takes them as dates, the cell
    # rule (parse_date_fr, used by every loader) does not: such short cells go to that rule
    short = filled & (np.fromiter(map(len, values), np.int64, len(values)) < 10)
    out = pd.to_datetime(s, format="ISO8601", errors="coerce")
    out[short] = pd.NaT
    todo = out.isna().to_numpy() & filled & ~short
    if todo.any() or short.any():
        s = s.str.strip()
        day = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"]
        month = ["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"]
        for fmt in ["ISO8601", "%Y/%m/%d %H:%M:%S", *(day + month if dayfirst else month + day)]:
            if not todo.any():
                break
            out[todo] = pd.to_datetime(s[todo], format=fmt, errors="coerce")
            todo = out.isna().to_numpy() & filled & ~short
        todo |= short
        if todo.any():
            out[todo] = pd.to_datetime(
                s[todo].map(lambda x: parse_date_fr(x, dayfirst=dayfirst)), errors="coerce"
            )
    bad = np.flatnonzero(out.isna().to_numpy() & filled)
    return out.astype("datetime64[ns]").reset_index(drop=True), bad


def expand(codes: np.ndarray, per_unique: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Rows repeated once per item of their distinct value's list → (row positions, items)."""
    lens = np.array([len(x) for x in per_unique] + [0], dtype=np.int64)
    flat = np.array([i for x in per_unique for i in x], dtype=np.int64)
    starts = np.cumsum(lens) - lens
    c = np.where(codes < 0, len(per_unique), codes)
    counts = lens[c]
    rows = np.repeat(np.arange(len(codes)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, flat[np.repeat(starts[c], counts) + within]


BLOCK = 1 << 16  # rows per lookup: numpy turns the indices into a temporary of 8 bytes each


def _take(table: np.ndarray, codes: np.ndarray, out: np.ndarray) -> None:
    """``out[:] = table[codes]`` block by block: the index temporaries stay small."""
    for b in range(0, len(codes), BLOCK):
        block = codes[b : b + BLOCK]
        np.take(table, block, out=out[b : b + len(block)], mode="clip")


class AnswerTable:
    """The long table, assembled from per-question integer parts without any string per row.

    A part is (question position, answer rows or ``None`` for every respondent, labels, label
    codes, ranks or ``None``); label codes are an array or a (per-value table, codes) pair, ranks
    always such a pair (rank per distinct value, ≤ 0 outside the scale). All four
    columns are categorical, one small integer per answer: ``respondent_id``, ``question_id``,
    ``valeur`` and ``rang`` (ordered ranks 1…k, NA outside a scale).

    The columns are allocated as soon as the parts are known; :meth:`frame` fills them and
    consumes the parts. (Touching their memory in a background thread, then filling them with
    two threads — trick « remplissage_parallele » — gained nothing measurable and was dropped.)
    """

    def __init__(self, parts: list[tuple], n_resp: int, qids: list[str]) -> None:
        self.parts, self.n_resp, self.qids = parts, n_resp, qids
        self.sizes = [n_resp if p[1] is None else len(p[1]) for p in parts]
        total = int(sum(self.sizes))
        labels = np.concatenate([p[2] for p in parts]) if parts else np.array([], dtype=object)
        self.labels, self.label_pos = pd.factorize(labels)
        self.resp = np.empty(total, np.int32)
        self.question = np.empty(total, np.int8 if len(qids) < 127 else np.int32)
        self.rang = np.empty(total, np.int8)
        self.label_code = np.empty(total, np.int8 if len(self.label_pos) < 127 else np.int32)

    def _fill(self, part: tuple, start: int, offset: int, size: int) -> int:
        """Copy one question's answers into the table's slice; returns its highest rank."""
        qpos, rows, lab, lab_codes, ranks = part
        end = start + size
        self.resp[start:end] = self._everyone if rows is None else rows
        self.question[start:end] = qpos
        glob = self.labels[offset : offset + len(lab)].astype(self.label_code.dtype)
        if isinstance(lab_codes, tuple):  # (per-value table, codes): one pass, no copy
            table, codes = lab_codes
            glob, lab_codes = glob[np.clip(table, 0, None)], codes
        _take(glob, lab_codes, self.label_code[start:end])
        if ranks is None:
            self.rang[start:end] = -1
            return 0
        table, codes = ranks
        lut = np.where(table > 0, table - 1, -1).astype(np.int8)
        _take(lut, codes, self.rang[start:end])
        return int(table.max(initial=0))

    def frame(self, respondent_ids: pd.Series) -> pd.DataFrame:
        """The table, with ``respondent_id`` categories the ids of the respondents table."""
        numbers = respondent_ids.dtype.kind in "iu"
        ids = pd.Index(respondent_ids, dtype=None if numbers else object)
        try:  # the ids are unique by construction: skip pandas' uniqueness check (a hash each)
            id_dtype = pd.CategoricalDtype._from_fastpath(ids, False)
        except AttributeError:  # pragma: no cover - private pandas API gone
            id_dtype = pd.CategoricalDtype(ids)
        parts, sizes = self.parts, self.sizes
        self._everyone = np.arange(self.n_resp, dtype=np.int32)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int) if sizes else []
        offsets = (
            np.concatenate([[0], np.cumsum([len(p[2]) for p in parts])[:-1]]).astype(int)
            if parts
            else []
        )
        jobs = [(parts[i], int(starts[i]), int(offsets[i]), sizes[i]) for i in range(len(parts))]
        parts.clear()  # each part is freed once copied
        tops = [self._fill(*job) for job in jobs]
        del jobs
        top = max(tops, default=0)
        return pd.DataFrame(
            {
                "respondent_id": pd.Categorical.from_codes(
                    self.resp, dtype=id_dtype, validate=False
                ),
                "question_id": pd.Categorical.from_codes(
                    self.question, dtype=pd.CategoricalDtype(self.qids), validate=False
                ),
                "valeur": pd.Categorical.from_codes(
                    self.label_code,
                    dtype=pd.CategoricalDtype(pd.Index(self.label_pos, dtype=object)),
                ),
                "rang": pd.Categorical.from_codes(
                    self.rang,
                    dtype=pd.CategoricalDtype(pd.RangeIndex(1, top + 1), ordered=True),
                ),
            },
            copy=False,
        )
