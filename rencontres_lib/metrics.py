"""Pure functions on tidy tables: no file access, no display formatting.

Tables come from the loaders (see ``rencontres_lib.loaders``):
answers (respondent_id, question_id, valeur, rang; :func:`scored` adds type, dimension, favorable),
respondents (respondent_id, profil, territoire, complet, date),
inscriptions (participant_id, profil, departement, date_inscription, statut, …).
"""

from __future__ import annotations

import math
import mmap

import numpy as np
import pandas as pd

from . import DIMENSIONS, PROFILS, speed

Z95 = 1.959963984540054
ACTIVE = ("inscrit", "present", "absent", "liste_attente")
BLOCK = 1 << 18  # rows per step of the code tricks: their temporaries stay a few megabytes
PEOPLE_BLOCK = 1 << 16  # per-person counts: their temporaries (8 bytes a row) stay small
MAX_BINS = 1 << 20  # counting on codes only when the groups' combinations are fewer
FEW_VALUES = 16  # a key with so few values is counted value by value (faster than bincount)
ZERO_PAGES_BYTES = 1 << 22  # arrays from this size start on unwritten zero pages (pages_nulles)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float, float]:
    """Proportion k/n with its Wilson score interval (95 % by default).

    Returns ``(p, low, high)``, all proportions 0–1 (never %); NaNs when ``n == 0``. Source:
    E. B. Wilson (1927), « Probable inference, the law of succession, and statistical
    inference », JASA 22(158), 209–212; preferred to the Wald interval for small ``n`` and
    shares near 0 or 1 (Brown, Cai & DasGupta, 2001, Statistical Science 16(2)).
    """
    if n <= 0:
        return (math.nan, math.nan, math.nan)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (p, max(0.0, centre - half), min(1.0, centre + half))


def likert_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """Rows of the scored long table (:func:`scored`) whose ``type`` is « likert »."""
    return answers[answers["type"] == "likert"]


ANSWER_COLUMNS = [
    "respondent_id",
    "question_id",
    "type",
    "dimension",
    "valeur",
    "rang",
    "favorable",
]


def scored(answers: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """The questionnaire loader's long table with each answer's type, dimension and favourable flag.

    ``questions`` is the loader's ``extra["questions"]``; ``rang`` becomes ``Int8`` (see
    :func:`ranks`). ``favorable`` is True when the rank is
    among the question's ``favorables``, False for another rank and NA without a rank (« sans
    avis », choices, texts). Type and dimension are categorical: one byte per answer.
    """
    qid = answers["question_id"]
    if not isinstance(qid.dtype, pd.CategoricalDtype):
        qid = qid.astype("category")
    codes = qid.array.codes  # a view (``.cat.codes`` copies)
    info = (
        questions.drop_duplicates("question_id")
        .set_index("question_id")
        .reindex(qid.cat.categories)
    )

    lookup = speed.active("tables_de_codes")

    def per_question(values: pd.Series) -> pd.Categorical:
        c, uniques = pd.factorize(values.fillna("").astype(object).to_numpy())
        c = np.append(c, -1)  # an answer without a question (code -1) gets NA, not the last one
        if lookup:  # one byte per answer, no 8-byte temporary
            c = _small_codes(c, len(uniques))
        return pd.Categorical.from_codes(
            _lookup(c, codes, speed.active("pages_nulles")) if lookup else c[codes],
            categories=pd.Index(uniques, dtype=object),
        )

    favs = [tuple(f) if isinstance(f, (tuple, list)) else () for f in info["favorables"]]
    top = max([0, *(max(f) for f in favs if f)])
    table = np.zeros((len(favs) + 1, top + 2), dtype=bool)  # row -1: answers without a question
    for i, f in enumerate(favs):
        table[i, list(f)] = True
    rang = ranks(answers["rang"])
    scorable = np.array([bool(f) for f in favs] + [False])
    shared = False  # favorable's NA mask is rang's (trick « masque_partage »)
    if lookup:  # block by block: the rank and index temporaries stay small
        flags = np.empty(len(codes), bool)
        values, missing = _bool_parts(rang.array)  # Int8 ranks and their NA mask (views)
        # any rank (one byte, read unsigned) → favourable, per question: ``table`` at the rank
        # clipped to 0…top + 1, as the plain path
        at = np.clip(np.arange(256, dtype=np.uint8).view(np.int8), 0, top + 1)
        luts = table[:, at]
        spans = [_span(lut) for lut in luts]  # favourable ranks lo…hi: two comparisons
        shared = speed.active("masque_partage") and isinstance(
            answers["rang"].dtype, pd.CategoricalDtype
        )  # rang's mask is then this function's own array
        for b in range(0, len(codes), BLOCK):
            q, gone, out = codes[b : b + BLOCK], missing[b : b + BLOCK], flags[b : b + BLOCK]
            ranks_u8 = values[b : b + BLOCK].view(np.uint8)
            if q[0] == q[-1] and (q == q[0]).all():  # one question: its own row of the table
                if (span := spans[q[0]]) is None:
                    np.take(luts[q[0]], ranks_u8, out=out)
                elif span:
                    block = values[b : b + BLOCK]
                    np.greater_equal(block, span[0], out=out)
                    out &= block <= span[1]
                else:  # no favourable rank
                    out[:] = False
                np.copyto(out, table[q[0], 0], where=gone)  # as ``na_value=0``
                shared = shared and (scorable[q[0]] or gone.all())
            else:
                out[:] = luts[q, ranks_u8]
                np.copyto(out, table[q, 0], where=gone)
                shared = shared and not (~gone & ~scorable[q]).any()
        if shared:  # every answer with a rank is scored: favorable is NA exactly where rang is
            unscored = missing
        else:
            unscored = np.empty(len(codes), bool)
            for b in range(0, len(codes), BLOCK):
                q = codes[b : b + BLOCK]
                unscored[b : b + BLOCK] = missing[b : b + BLOCK] | ~scorable[q]
    else:
        at = np.clip(rang.to_numpy(dtype="int64", na_value=0), 0, top + 1)
        flags, unscored = table[codes, at], rang.isna().to_numpy() | ~scorable[codes]
    columns = {
        "type": per_question(info["type"]),
        "dimension": per_question(info["dimension"]),
        "rang": rang,
        "favorable": pd.Series(
            pd.arrays.BooleanArray(flags, unscored), index=answers.index, copy=False
        ),
    }
    if shared and not _share_memory(columns["rang"], columns["favorable"]):
        columns["favorable"] = pd.Series(
            pd.arrays.BooleanArray(flags, unscored.copy()), index=answers.index, copy=False
        )
    # as Series on the table's index: pandas takes them as they are (an array would be copied)
    out = answers.assign(**{k: _column(v, answers.index) for k, v in columns.items()})
    return out[
        [c for c in ANSWER_COLUMNS if c in out] + [c for c in out if c not in ANSWER_COLUMNS]
    ]


def ranks(rang: pd.Series) -> pd.Series:
    """Ranks as ``Int8`` (NA outside a scale), from the loader's ordered categorical or numbers."""
    if isinstance(rang.dtype, pd.CategoricalDtype):
        codes = rang.array.codes
        values = np.asarray(rang.cat.categories, dtype=np.int64)
        if speed.active("tables_de_codes"):  # code -1 (NA) reads the last entry: values[0]
            missing = codes < 0
            if len(values) and (values == np.arange(1, len(values) + 1)).all():
                data = codes + np.int8(1)  # the loader's ranks 1…k: code + 1, no lookup
                np.maximum(data, np.int8(1), out=data)  # NA (code −1 → 0) reads values[0], 1
            else:
                data = np.append(values, values[:1] if len(values) else 0).astype(np.int8)[codes]
            return pd.Series(pd.arrays.IntegerArray(data, missing), index=rang.index, copy=False)
        out = values[np.clip(codes, 0, None)] if len(values) else np.zeros(len(codes), np.int64)
        return pd.Series(pd.arrays.IntegerArray(out.astype(np.int8), codes < 0), index=rang.index)
    return rang.astype("Int8")


def with_respondents(answers: pd.DataFrame, respondents: pd.DataFrame) -> pd.DataFrame:
    """Answers joined with respondent attributes (profil, territoire).

    When ``respondent_id`` is the loader's categorical over exactly these respondents, the join
    is a lookup by code (profil and territoire come back categorical); otherwise a merge.
    """
    cols = ["respondent_id", "profil", "territoire"]
    rid = answers["respondent_id"]
    if isinstance(rid.dtype, pd.CategoricalDtype) and rid.cat.categories.equals(
        pd.Index(respondents["respondent_id"], dtype=rid.cat.categories.dtype)
    ):
        codes = rid.array.codes
        extra = {}
        people = len(rid.cat.categories)
        runs = _block_runs(codes, people) if speed.active("tranches") else None
        for c in cols[1:]:
            if speed.active("tables_de_codes"):
                c_codes, uniques = _factorize_by_blocks(respondents[c])
                c_codes = _small_codes(c_codes, len(uniques))
            else:
                c_codes, uniques = pd.factorize(respondents[c].astype(object).to_numpy())
            extra[c] = pd.Categorical.from_codes(
                c_codes[codes] if runs is None else _gather(c_codes, codes, runs),
                categories=pd.Index(uniques, dtype=object),
            )
        joined = answers.assign(**{k: _column(v, answers.index) for k, v in extra.items()})
        if speed.active("jointure_sans_copie") and (not len(codes) or codes.min() >= 0):
            joined = joined.reset_index(drop=True)  # every answer has its respondent: no mask
        else:
            joined = joined[codes >= 0].reset_index(drop=True)  # inner join: no NaN id
        return joined
    return answers.merge(respondents[cols], on="respondent_id", how="inner")


def favorable(answers: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """% favourable per Likert question (and groups), with n and a 95 % Wilson interval.

    Only in-scale answers count (``favorable`` not NA): « sans avis » and blanks are out of n.
    Columns: [by…], question_id, dimension, n, k, part, bas, haut.
    """
    keys = [*(by or []), "question_id", "dimension"]
    counts = _favorable_counts(answers, keys)
    if counts is not None:  # trick « comptes_sur_codes »: the same groups, counted on codes
        g = counts.groupby(keys, observed=True, sort=True)
        out = g.agg(n=("_n", "sum"), k=("_k", "sum")).reset_index()
    else:
        lik = likert_answers(answers)
        lik = lik[lik["favorable"].notna()]
        if lik.empty:
            return pd.DataFrame(columns=[*keys, "n", "k", "part", "bas", "haut"])
        g = lik.assign(f=lik["favorable"].astype(bool).astype(int)).groupby(
            keys, observed=True, sort=True
        )["f"]
        out = g.agg(n="count", k="sum").reset_index()
    stats = [wilson(int(k), int(n)) for k, n in zip(out["k"], out["n"], strict=True)]
    out["part"] = [s[0] for s in stats]
    out["bas"] = [s[1] for s in stats]
    out["haut"] = [s[2] for s in stats]
    return out


def cluster_wilson(k: np.ndarray, m: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """Pooled proportion Σk/Σm over people, with a 95 % interval that allows for clustering.

    ``k[i]`` favourable answers out of ``m[i]`` in-scale answers of person *i* (several
    statements per person). The point estimate is the ratio Σk/Σm; its variance is the
    cluster-robust (linearisation) variance of a ratio estimator,
    ``Σ(k_i − p·m_i)² / (Σm)²``, turned into an effective sample size
    ``n_eff = p(1−p)/var`` (Kish's design effect), capped at Σm, and the Wilson score
    interval is computed on ``n_eff``. Source: Korn & Graubard (1998), « Confidence intervals
    for proportions with small expected number of positive counts estimated from survey data »,
    Survey Methodology 24(2); Kish (1965), Survey Sampling. With one answer per person it is
    exactly :func:`wilson`. Returns (part, bas, haut) as proportions 0–1; NaNs without answers.
    """
    k = np.asarray(k, dtype=float)
    m = np.asarray(m, dtype=float)
    n, total = len(m), float(m.sum())
    if n == 0 or total <= 0:
        return (math.nan, math.nan, math.nan)
    p = float(k.sum()) / total
    if n == 1 or p in (0.0, 1.0):
        n_eff = float(n)
    else:
        var = float(((k - p * m) ** 2).sum()) / total**2
        n_eff = min(total, p * (1 - p) / var) if var > 0 else total
    n_eff = max(n_eff, 1.0)
    denom = 1 + z * z / n_eff
    centre = (p + z * z / (2 * n_eff)) / denom
    half = z * math.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff * n_eff)) / denom
    return (p, max(0.0, centre - half), min(1.0, centre + half))


def favorable_by_dimension(answers: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Favourable share per impact dimension (its statements pooled), with bases in people.

    ``answers``: the scored long table (columns respondent_id, type, dimension, favorable and
    the ``by`` columns). Only in-scale Likert answers count. Columns of the result: [by…],
    dimension, n (distinct people with at least one in-scale answer), reponses (in-scale
    answers), k (favourable answers), part (k / reponses, proportion 0–1), bas, haut (95 %
    interval allowing for several statements per person, see :func:`cluster_wilson`).
    Rows are in the order of the five impact dimensions.
    """
    keys = [*(by or []), "dimension"]
    cols = [*keys, "n", "reponses", "k", "part", "bas", "haut"]
    rows = _by_dimension_rows(answers, by or [])
    if rows is None:  # the plain path
        lik = likert_answers(answers)
        lik = lik[lik["favorable"].notna() & (lik["dimension"] != "")]
        if lik.empty:
            return pd.DataFrame(columns=cols)
        per_person = (
            lik.assign(f=lik["favorable"].astype(bool).astype(int))
            .groupby([*keys, "respondent_id"], observed=True)["f"]
            .agg(m="count", k="sum")
            .reset_index()
        )
        rows = []
        for key, g in per_person.groupby(keys, observed=True, sort=False):
            key = key if isinstance(key, tuple) else (key,)
            p, lo, hi = cluster_wilson(g["k"].to_numpy(), g["m"].to_numpy())
            rows.append([*key, len(g), int(g["m"].sum()), int(g["k"].sum()), p, lo, hi])
    out = pd.DataFrame(rows, columns=cols)
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    return out.sort_values(
        [*(by or []), "dimension"], key=lambda s: s.map(order) if s.name == "dimension" else s
    ).reset_index(drop=True)


def likert_distribution(answers: pd.DataFrame, n_levels: int) -> pd.DataFrame:
    """Share of each scale level (rang 1..n_levels, 1 = least favourable) per Likert question.

    Columns: question_id, dimension, rang, n (answers at that level), total (in-scale answers), part.
    """
    keys = ["question_id", "dimension", "rang"]
    mini = _level_counts(answers)
    if mini is not None:  # trick « comptes_sur_codes »: the same groups, counted on codes
        counts = mini.groupby(keys, observed=True)["_w"].sum().rename("n").reset_index()
    else:
        lik = likert_answers(answers)
        lik = lik[lik["rang"].notna()]
        if lik.empty:
            return pd.DataFrame(columns=["question_id", "dimension", "rang", "n", "total", "part"])
        counts = lik.groupby(keys, observed=True).size().rename("n").reset_index()
    full = (
        counts.set_index(["question_id", "dimension", "rang"])["n"]
        .unstack("rang", fill_value=0)
        .reindex(columns=range(1, n_levels + 1), fill_value=0)
        .stack()
        .rename("n")
        .reset_index()
    )
    full["total"] = full.groupby("question_id")["n"].transform("sum")
    full["part"] = full["n"] / full["total"]
    return full


# -- speed tricks (see rencontres_lib.speed): the same results counted on integer codes -------


def _column(values: pd.Series | pd.api.extensions.ExtensionArray, index: pd.Index) -> pd.Series:
    """A new column as a Series sharing ``values`` (``assign`` copies a bare array)."""
    if isinstance(values, pd.Series):
        return values
    return pd.Series(values, index=index, copy=False)


def _lookup(table: np.ndarray, codes: np.ndarray, zero_pages: bool = False) -> np.ndarray:
    """``table[codes]``, block by block: a block of one code (the loader's table goes question
    by question) is filled with one value instead of looked up row by row.

    ``zero_pages`` (trick « pages_nulles »): the result starts as fresh zero pages
    (:func:`_zeros`) and a block whose value is 0 is not written at all, so it takes no
    memory: a column whose most frequent code is 0 (« likert » in ``type`` when the first
    question is a Likert one) costs only its other blocks."""
    out = _zeros(len(codes), table.dtype) if zero_pages else np.empty(len(codes), table.dtype)
    for b in range(0, len(codes), BLOCK):
        part = codes[b : b + BLOCK]
        if part[0] == part[-1] and (part == part[0]).all():
            value = table[part[0]]
            if value or not zero_pages:
                out[b : b + len(part)] = value
        else:
            out[b : b + len(part)] = table[part]
    return out


def _span(lut: np.ndarray) -> tuple[int, int] | tuple[()] | None:
    """The ranks a row of 256 flags (indexed by a rank's byte, read unsigned) marks True, as
    (lo, hi) when they are the whole interval lo…hi of signed ranks; () when none is; None
    otherwise."""
    signed = np.concatenate([lut[128:], lut[:128]])  # ranks −128…127 in order
    true = np.flatnonzero(signed)
    if not len(true):
        return ()
    lo, hi = int(true[0]), int(true[-1])
    if hi - lo + 1 != len(true):
        return None
    return (lo - 128, hi - 128)


def _share_memory(first: pd.Series, second: pd.Series) -> bool:
    """Tell pandas that two Series share memory (here one NA mask), as if one were a view of
    the other: with copy-on-write, any later change to either one, in place or not, then
    copies it first, and the other keeps its values. Uses pandas' internal reference
    tracking (``Block.refs``); False, nothing done, where that is not available or where
    copy-on-write is off (pandas 2 without ``mode.copy_on_write``: a change in place would
    then reach both)."""
    if not _copy_on_write():
        return False
    try:
        refs = first._mgr.blocks[0].refs
        block = second._mgr.blocks[0]
        block.refs = refs
        refs.add_reference(block)
    except (AttributeError, IndexError, TypeError):  # pragma: no cover - pandas internals moved
        return False
    return True


def _copy_on_write() -> bool:
    """Whether pandas copies shared data before writing (always from pandas 3)."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    try:
        return pd.get_option("mode.copy_on_write") is True
    except KeyError:  # pragma: no cover - an option unknown to this pandas (OptionError)
        return False


def _zeros(n: int, dtype) -> np.ndarray:
    """``np.zeros(n, dtype)`` on pages that stay out of memory until written.

    A large array is mapped from anonymous memory (``mmap``), which the system gives as
    shared zero pages until a page is written: unlike ``calloc``, which may reuse (and
    clear) freed heap memory, an unwritten page never counts in the process' memory. The
    mapping is released with the array."""
    dtype = np.dtype(dtype)
    if n * dtype.itemsize < ZERO_PAGES_BYTES or not hasattr(mmap, "MAP_PRIVATE"):  # Windows
        return np.zeros(n, dtype)
    private = mmap.MAP_PRIVATE | getattr(mmap, "MAP_ANONYMOUS", 0x20)
    return np.frombuffer(mmap.mmap(-1, n * dtype.itemsize, flags=private), dtype=dtype)


def _factorize_by_blocks(values: pd.Series) -> tuple[np.ndarray, list]:
    """``pd.factorize`` of a column (codes, uniques in order of first appearance, −1 for NA),
    a block of rows at a time: one hash table for a million texts holds 60 MB at once, a
    block's a few hundred kilobytes; a dictionary of the distinct values joins the blocks."""
    seen: dict = {}
    out = np.empty(len(values), np.int32)
    for b in range(0, len(values), PEOPLE_BLOCK):
        codes, uniques = pd.factorize(values.iloc[b : b + PEOPLE_BLOCK].to_numpy(dtype=object))
        glob = np.array([seen.setdefault(u, len(seen)) for u in uniques] + [-1], np.int32)
        out[b : b + len(codes)] = glob[codes]
    return out, list(seen)


def _bool_parts(values: pd.api.extensions.ExtensionArray) -> tuple[np.ndarray, np.ndarray]:
    """(values, NA mask) of a pandas boolean or integer (masked) array: its own arrays (views)
    where pandas keeps them, copies otherwise; a value under the mask is meaningless."""
    data, mask = getattr(values, "_data", None), getattr(values, "_mask", None)
    if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):
        return data, mask
    kind = values.dtype.numpy_dtype
    return values.to_numpy(dtype=kind, na_value=kind.type(0)), np.asarray(values.isna())


def _small_codes(codes: np.ndarray, n_values: int) -> np.ndarray:
    """Codes (−1 included) in the smallest signed integer type holding ``n_values`` values."""
    for kind in (np.int8, np.int16, np.int32):
        if n_values < np.iinfo(kind).max:
            return codes.astype(kind)
    return codes.astype(np.int64)


def _category_codes(answers: pd.DataFrame, names: list[str]) -> list[np.ndarray] | None:
    """The codes (read-only views) of categorical columns; None if one is missing or not one."""
    out = []
    for name in names:
        if name not in answers or not isinstance(answers[name].dtype, pd.CategoricalDtype):
            return None
        out.append(answers[name].array.codes)
    return out


def _likert_code(answers: pd.DataFrame) -> int | None:
    """The code of « likert » in a categorical ``type`` column (None: no trick possible)."""
    if "type" not in answers or not isinstance(answers["type"].dtype, pd.CategoricalDtype):
        return None
    types = answers["type"].cat.categories
    return int(types.get_loc("likert")) if "likert" in types else None


def _in_scale_blocks(answers: pd.DataFrame, names: list[str]):
    """Yield, block by block, (in-scale Likert rows with no NA key, favourable flags — any
    value where NA —, key codes): the rows the plain path keeps with ``favorable.notna()`` and
    groupby's ``dropna``."""
    codes = _category_codes(answers, ["type", *names])
    with_na = [len(c) and c.min() < 0 for c in codes[1:]]  # checked row by row only if any
    flags = answers["favorable"].array
    lik = _likert_code(answers)
    for b in range(0, len(answers), BLOCK):
        data, missing = _bool_parts(flags[b : b + BLOCK])
        ok = (codes[0][b : b + BLOCK] == lik) & ~missing
        keys = [c[b : b + BLOCK] for c in codes[1:]]
        for c, na in zip(keys, with_na, strict=True):
            if na:
                ok &= c >= 0
        yield ok, data, keys


def _countable(answers: pd.DataFrame, names: list[str]) -> bool:
    """Whether « comptes_sur_codes » applies: categorical keys and type, a boolean favourable."""
    return (
        speed.active("comptes_sur_codes")
        and "favorable" in answers
        and isinstance(answers["favorable"].dtype, pd.BooleanDtype)
        and _likert_code(answers) is not None
        and _category_codes(answers, names) is not None
    )


def _combined(codes: list[np.ndarray], sizes: list[int], rows: int) -> np.ndarray:
    """One integer per row from several codes (mixed radix: the first key varies slowest)."""
    out = np.zeros(rows, np.intp)
    for c, size in zip(codes, sizes, strict=True):
        out = out * size + c
    return out


def _split(combined: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    """The codes of each key back from :func:`_combined` values."""
    out, rest = [], combined
    for size in reversed(sizes):
        out.append(rest % size)
        rest = rest // size
    return out[::-1]


def _few(varying: tuple) -> bool:
    """Whether a block's varying key (codes, size, shift, stride) spans at most
    :data:`FEW_VALUES` values (ranks 1 to 5 of 256 possible ones)."""
    key, size = varying[0], varying[1]
    return size <= FEW_VALUES or int(key.max()) - int(key.min()) < FEW_VALUES


def _add_counts(
    totals: list[np.ndarray],
    keys: list[np.ndarray],
    sizes: list[int],
    selections: list[np.ndarray],
    shifts: list[int] | None = None,
) -> None:
    """Add to each ``totals[j]`` (one bin per combination of the keys' codes plus ``shifts``,
    mixed radix as :func:`_combined`, and a last bin never used here) the number of rows
    ``selections[j]`` (a boolean per row of the block) of each combination.

    A key constant over the block (the table goes question by question) only moves the bins;
    with one key varying, one ``np.bincount`` of that key's selected codes (one byte each)
    does; with more, the combined key of every row as before."""
    shifts = shifts or [0] * len(keys)
    strides = [math.prod(sizes[i + 1 :]) for i in range(len(sizes))]
    offset, varying = 0, []
    slices = speed.active("tranches")
    for key, size, shift, stride in zip(keys, sizes, shifts, strides, strict=True):
        first = key[0]
        if slices and first == key[-1] and (key == first).all():
            offset += (int(first) + shift) * stride
        else:
            varying.append((key, size, shift, stride))
    if not varying:
        for total, selected in zip(totals, selections, strict=True):
            if count := int(np.count_nonzero(selected)):  # none when a key is NA (−1)
                total[offset] += count
    elif len(varying) == 1 and _few(varying[0]):  # a few values: one test each
        key, size, shift, stride = varying[0]
        for raw in range(int(key.min()), int(key.max()) + 1):
            equal = key == raw
            for total, selected in zip(totals, selections, strict=True):
                if count := int(np.count_nonzero(selected & equal)):  # none for an NA code
                    total[offset + (raw + shift) * stride] += count
    elif len(varying) == 1:
        key, size, shift, stride = varying[0]
        for total, selected in zip(totals, selections, strict=True):
            picked = key[selected]
            if len(picked):
                picked = picked.astype(np.intp) + shift if shift else picked
                total[offset : offset + size * stride : stride] += np.bincount(
                    picked, minlength=size
                )[:size]
    else:
        combo = _combined(
            [k.astype(np.intp) + s if s else k for k, s in zip(keys, shifts, strict=True)],
            sizes,
            len(keys[0]),
        )
        bins = len(totals[0]) - 1
        for total, selected in zip(totals, selections, strict=True):
            total += np.bincount(np.where(selected, combo, bins), minlength=bins + 1)


def _gather(table: np.ndarray, codes: np.ndarray, runs: dict) -> np.ndarray:
    """``table[codes]`` (a code −1 reads the last entry, as numpy), block by block; a piece of
    consecutive codes (``runs``, from :func:`_block_runs`) is copied as a slice of ``table``,
    without any index."""
    out = np.empty(len(codes), table.dtype)
    for b, pieces in runs.items():
        for lo, hi, first in pieces:
            if first is not None:
                out[b + lo : b + hi] = table[first : first + hi - lo]
            else:
                out[b + lo : b + hi] = table[codes[b + lo : b + hi]]
    return out


def _block_runs(who: np.ndarray, people: int) -> dict[int, list[tuple[int, int, int | None]]]:
    """:func:`_runs` of each block of :data:`PEOPLE_BLOCK` respondent codes, by block start."""
    return {b: _runs(who[b : b + PEOPLE_BLOCK], people) for b in range(0, len(who), PEOPLE_BLOCK)}


def _runs(who: np.ndarray, people: int) -> list[tuple[int, int, int | None]]:
    """Pieces (start, stop, first person or None) of a block of respondent codes: a piece whose
    codes are consecutive people (``first``, ``first`` + 1, …: a question answered by everyone,
    in the loader's table) is read and written as a slice of the per-person arrays, without
    any index; the block is cut where the order of people restarts (at most 8 cuts)."""
    pieces = [(0, len(who))]
    if len(who) > 1 and int(who[-1]) < int(who[0]) + len(who) - 1:
        cuts = np.flatnonzero(who[1:] < who[:-1]) + 1
        if len(cuts) <= 8:
            pieces = list(zip([0, *cuts], [*cuts, len(who)], strict=True))
    out = []
    for a, b in pieces:
        first, size = int(who[a]), b - a
        run = (
            first >= 0
            and first + size <= people
            and int(who[b - 1]) == first + size - 1
            and (size < 3 or bool((who[a + 1 : b] > who[a : b - 1]).all()))  # increasing
        )
        out.append((int(a), int(b), first if run else None))
    return out


def _favorable_counts(answers: pd.DataFrame, keys: list[str]) -> pd.DataFrame | None:
    """In-scale answers (_n) and favourable ones (_k) per observed combination of ``keys``,
    one row per combination, keys with their categorical dtypes; None: use the plain path."""
    if not _countable(answers, keys):
        return None
    sizes = [len(answers[k].cat.categories) for k in keys]
    bins = math.prod(sizes)
    if not bins or bins > MAX_BINS:
        return None
    n, k = np.zeros(bins + 1, np.int64), np.zeros(bins + 1, np.int64)  # last bin: rows left out
    for ok, flags, codes in _in_scale_blocks(answers, keys):
        _add_counts([n, k], codes, sizes, [ok, ok & flags])
    n, k = n[:bins], k[:bins]
    seen = np.flatnonzero(n)
    if not len(seen):
        return None  # no in-scale answer: the plain path's empty frame
    frame = {
        key: pd.Categorical.from_codes(c, dtype=answers[key].dtype)
        for key, c in zip(keys, _split(seen, sizes), strict=True)
    }
    return pd.DataFrame(frame | {"_n": n[seen], "_k": k[seen]})


def _owners(
    answers: pd.DataFrame, by: list[str], people: int, runs: dict | None = None
) -> np.ndarray | None:
    """The ``by`` group (mixed-radix code, −1 for an NA key) of each person, as int8 (fewer than
    127 groups) or int32; None when a person's rows do not all carry the same group (the plain
    path then decides)."""
    groups = math.prod(len(answers[c].cat.categories) for c in by)
    owner = np.full(people, -1, np.int8 if groups < 127 else np.int32)
    if not by:
        owner[:] = 0
        return owner
    sizes = [len(answers[c].cat.categories) for c in by]
    codes = _category_codes(answers, [*by, "respondent_id"])
    for check in (False, True):  # write every row's group, then read them all back
        for b in range(0, len(answers), PEOPLE_BLOCK):
            keys, who = (
                [c[b : b + PEOPLE_BLOCK] for c in codes[:-1]],
                codes[-1][b : b + PEOPLE_BLOCK],
            )
            if len(keys) == 1:  # one key: its codes are the groups (−1 for NA)
                group = keys[0]
            else:
                group = _combined(keys, sizes, len(who))
                group[np.logical_or.reduce([c < 0 for c in keys])] = -1
            for lo, hi, first in runs[b] if runs else [(0, len(who), None)]:
                part, persons = group[lo:hi], who[lo:hi]
                if first is not None:  # consecutive people: a slice
                    if not check:
                        owner[first : first + hi - lo] = part
                    elif not np.array_equal(owner[first : first + hi - lo], part):
                        return None
                    continue
                if (persons < 0).any():
                    part, persons = part[persons >= 0], persons[persons >= 0]
                if not check:
                    owner[persons] = part
                elif (owner[persons] != part).any():
                    return None
    return owner


def _by_dimension_rows(answers: pd.DataFrame, by: list[str]) -> list[list] | None:
    """The rows of :func:`favorable_by_dimension`, counted per person on codes, in the plain
    path's order; None (plain path) when the columns do not allow it or a person belongs to
    several ``by`` groups."""
    names = [*by, "dimension", "respondent_id"]
    if not _countable(answers, names):
        return None
    sizes = [len(answers[c].cat.categories) for c in by]
    groups = math.prod(sizes)
    if groups >= np.iinfo(np.int32).max:
        return None
    dims = answers["dimension"].cat.categories
    people = len(answers["respondent_id"].cat.categories)
    types, dim_codes, who_codes = _category_codes(answers, ["type", "dimension", "respondent_id"])
    # block → its pieces of consecutive people (for the groups and every dimension)
    runs = _block_runs(who_codes, people) if speed.active("tranches") else {}
    owner = _owners(answers, by, people, runs)
    if owner is None:
        return None
    flags, lik = answers["favorable"].array, _likert_code(answers)
    na_people = len(who_codes) and who_codes.min() < 0
    wanted = [d for d in range(len(dims)) if dims[d] != ""]
    blocks = []  # the dimensions in each block (a few: the table goes question by question)
    for b in range(0, len(answers), PEOPLE_BLOCK):
        part = dim_codes[b : b + PEOPLE_BLOCK]
        present = np.bincount(part.astype(np.intp) + 1, minlength=len(dims) + 1)
        # one dimension and Likert answers only: the block needs no row test but ``favorable``
        plain = (present > 0).sum() == 1 and (types[b : b + PEOPLE_BLOCK] == lik).all()
        blocks.append((b, {d for d in wanted if present[d + 1]}, plain))
    found = []
    for d in wanted:
        # at most one per person from a piece of consecutive people, one per row otherwise:
        # the counts per person fit in one byte when that bound is small (a few statements)
        bound = sum(
            1 if first is not None else hi - lo
            for b, present, _ in blocks
            if d in present
            for lo, hi, first in (runs[b] if runs else [(0, PEOPLE_BLOCK, None)])
        )
        kind = np.uint8 if bound < 255 else np.uint16 if bound < 65_535 else np.int32
        m, k = np.zeros(people + 1, kind), np.zeros(people + 1, kind)  # last: left out
        for b, present, plain in blocks:
            if d not in present:
                continue
            data, missing = _bool_parts(flags[b : b + PEOPLE_BLOCK])
            ok = ~missing
            if not plain:
                ok &= (types[b : b + PEOPLE_BLOCK] == lik) & (dim_codes[b : b + PEOPLE_BLOCK] == d)
            who = who_codes[b : b + PEOPLE_BLOCK]
            if na_people:
                ok &= who >= 0
            if not ok.any():
                continue
            for lo, hi, first in runs[b] if runs else _pieces(who):
                if first is not None:  # consecutive people (trick « tranches »)
                    end = first + hi - lo
                    m[first:end] += ok[lo:hi]
                    k[first:end] += ok[lo:hi] & data[lo:hi]
                else:
                    _count_people(m, k, who[lo:hi], ok[lo:hi], data[lo:hi], na_people)
        m, k = m[:people], k[:people]
        # people in respondent order, as in the plain path; one group's people at a time
        if not by:
            parts = [(0, np.flatnonzero(m))]
        elif groups <= 64:  # a few groups: one pass each (an NA ``by`` key, −1, is left out)
            parts = ((g, np.flatnonzero((owner == g) & (m > 0))) for g in range(groups))
        else:  # an NA ``by`` key (−1) is left out, as by pandas' groupby
            persons = np.flatnonzero(m).astype(np.int32)
            of = owner[persons]
            order = np.argsort(of, kind="stable")
            persons, of = persons[order], of[order]
            starts = np.flatnonzero(np.r_[True, of[1:] != of[:-1]])
            parts = (
                (int(of[a]), persons[a:b])
                for a, b in zip(starts, [*starts[1:], len(of)], strict=True)
                if of[a] >= 0
            )
        for g, who in parts:
            if not len(who):
                continue
            key = [answers[c].cat.categories[i] for c, i in zip(by, _split(g, sizes), strict=True)]
            p, lo, hi = cluster_wilson(k[who], m[who])
            row = [*key, dims[d], len(who), int(m[who].sum()), int(k[who].sum()), p, lo, hi]
            found.append(((g, d), row))
        del parts
    if not found:
        return None
    return [row for _, row in sorted(found, key=lambda x: x[0])]


def _pieces(who: np.ndarray) -> list[tuple[int, int, None]]:
    """A block of respondent codes cut where the order of people restarts (at most 8 cuts)
    when its people lie far apart, so that each piece is counted over its own range."""
    pieces = [(0, len(who), None)]
    if int(who.max()) - int(who.min()) > 2 * len(who):
        cuts = np.flatnonzero(who[1:] < who[:-1]) + 1
        if len(cuts) <= 8:
            pieces = [(a, b, None) for a, b in zip([0, *cuts], [*cuts, len(who)], strict=True)]
    return pieces


def _count_people(
    m: np.ndarray, k: np.ndarray, who: np.ndarray, ok: np.ndarray, data: np.ndarray, na: bool
) -> None:
    """Add the rows ``ok`` to ``m`` (answers per person) and those also ``data`` to ``k``
    (favourable ones): one count over these rows' own range of people, 2 bins each
    (unfavourable, favourable) and a last one for the rows left out — not one per person."""
    if not ok.any():
        return
    inside = who[ok] if na else who
    low, high = int(inside.min()), int(inside.max()) + 1
    span = high - low
    cells = np.where(ok, (who.astype(np.intp) - low) * 2 + data, 2 * span)
    counts = np.bincount(cells, minlength=2 * span + 1)[: 2 * span]
    # no overflow: the caller sized m and k for its rows (``casting`` lets int64 counts in)
    np.add(m[low:high], counts[0::2] + counts[1::2], out=m[low:high], casting="unsafe")
    np.add(k[low:high], counts[1::2], out=k[low:high], casting="unsafe")


def _level_counts(answers: pd.DataFrame) -> pd.DataFrame | None:
    """Likert answers per (question_id, dimension, rang) on codes (column _w), one row per
    observed combination with the columns' own dtypes; None: use the plain path."""
    names = ["question_id", "dimension"]
    if not (
        speed.active("comptes_sur_codes")
        and _likert_code(answers) is not None
        and _category_codes(answers, names) is not None
        and "rang" in answers
        and isinstance(answers["rang"].dtype, pd.Int8Dtype)
    ):
        return None
    sizes = [len(answers[c].cat.categories) for c in names] + [256]  # Int8 ranks, shifted by 128
    bins = math.prod(sizes)
    if not bins or bins > MAX_BINS:
        return None
    lik = _likert_code(answers)
    types, (questions, dims) = answers["type"].array.codes, _category_codes(answers, names)
    values, missing = _bool_parts(answers["rang"].array)  # Int8 ranks and NA mask (views)
    na = len(questions) and min(questions.min(), dims.min()) < 0
    n = np.zeros(bins + 1, np.int64)  # last bin: rows left out
    for b in range(0, len(answers), BLOCK):
        q, d = questions[b : b + BLOCK], dims[b : b + BLOCK]
        ok = (types[b : b + BLOCK] == lik) & ~missing[b : b + BLOCK]
        if na:
            ok &= (q >= 0) & (d >= 0)
        _add_counts([n], [q, d, values[b : b + BLOCK]], sizes, [ok], [0, 0, 128])
    n = n[:bins]
    seen = np.flatnonzero(n)
    if not len(seen):
        return None
    q, d, level = _split(seen, sizes)
    return pd.DataFrame(
        {
            "question_id": pd.Categorical.from_codes(q, dtype=answers["question_id"].dtype),
            "dimension": pd.Categorical.from_codes(d, dtype=answers["dimension"].dtype),
            "rang": pd.array(level - 128, dtype=answers["rang"].dtype),
            "_w": n[seen],
        }
    )


def profile_mix(profiles: pd.Series) -> pd.DataFrame:
    """Count and share of each ICPC profile, in the order of ``PROFILS``, zero rows included
    (« autre » and « non_renseigne » only when present).

    ``profiles``: profile ids (one per person). Columns: ``profil`` (id), ``n`` (int),
    ``part`` (n / total, proportion 0–1; 0.0 for an empty series), ``libelle`` (French label).
    """
    counts = profiles.value_counts()
    order = [p for p in PROFILS if p in counts.index or p not in ("autre", "non_renseigne")]
    out = pd.DataFrame({"profil": order})
    out["n"] = [int(counts.get(p, 0)) for p in order]
    total = out["n"].sum()
    out["part"] = out["n"] / total if total else 0.0
    out["libelle"] = out["profil"].map(PROFILS)
    return out


def active_registrations(inscriptions: pd.DataFrame) -> pd.DataFrame:
    """Registrations not cancelled."""
    return inscriptions[inscriptions["statut"].isin(ACTIVE)]


def key_figures(
    inscriptions: pd.DataFrame | None,
    respondents: pd.DataFrame | None,
    capacite: int | None = None,
) -> dict[str, float | int | None]:
    """The key figures of a meeting, as a dict (None when the source is absent).

    Keys: ``inscrits`` (active registrations), ``presents``, ``taux_presence`` (present /
    registrations marked present or absent, proportion 0–1), ``annules``, ``repondants``,
    ``profils_representes`` (distinct ICPC profiles, « autre » and « non renseigné » aside),
    ``capacite`` and ``liste_attente`` (registrations beyond capacity).
    """
    out: dict[str, float | int | None] = {
        "inscrits": None,
        "presents": None,
        "taux_presence": None,
        "annules": None,
        "repondants": None,
        "profils_representes": None,
        "capacite": capacite,
        "liste_attente": None,
    }
    if inscriptions is not None:
        active = active_registrations(inscriptions)
        out["inscrits"] = int(len(active))
        out["annules"] = int((inscriptions["statut"] == "annule").sum())
        marked = active["statut"].isin(["present", "absent"])
        out["presents"] = int((active["statut"] == "present").sum())
        out["taux_presence"] = (out["presents"] / int(marked.sum())) if marked.any() else None
        out["profils_representes"] = int(
            active.loc[~active["profil"].isin(["autre", "non_renseigne"]), "profil"].nunique()
        )
        if capacite:
            out["liste_attente"] = max(0, len(active) - capacite)
    if respondents is not None:
        out["repondants"] = int(len(respondents))
    return out


def funnel(inscriptions: pd.DataFrame, respondents: pd.DataFrame | None) -> pd.DataFrame:
    """Registered → present → answered, by profile (rows: profiles; columns: the 3 stages)."""
    active = active_registrations(inscriptions)
    reg = active["profil"].value_counts()
    pres = active.loc[active["statut"] == "present", "profil"].value_counts()
    ans = respondents["profil"].value_counts() if respondents is not None else pd.Series(dtype=int)
    profils = [p for p in PROFILS if reg.get(p, 0) or pres.get(p, 0) or ans.get(p, 0)]
    return pd.DataFrame(
        {
            "inscrits": [int(reg.get(p, 0)) for p in profils],
            "presents": [int(pres.get(p, 0)) for p in profils],
            "repondants": [int(ans.get(p, 0)) for p in profils],
        },
        index=pd.Index(profils, name="profil"),
    )


def registrations_over_time(inscriptions: pd.DataFrame) -> pd.DataFrame:
    """Cumulative active registrations per day (columns: jour, n, cumul)."""
    active = active_registrations(inscriptions)
    days = active["date_inscription"].dropna().dt.normalize()
    if days.empty:
        return pd.DataFrame(columns=["jour", "n", "cumul"])
    per_day = days.value_counts().sort_index()
    out = pd.DataFrame({"jour": per_day.index, "n": per_day.to_numpy()})
    out["cumul"] = out["n"].cumsum()
    return out


def waitlist_split(inscriptions: pd.DataFrame, capacite: int | None) -> pd.DataFrame:
    """Who is in and who waits: active registrations by date; the first ``capacite`` are in.

    Returns the active registrations with a ``place`` column: « confirmé » or « liste d'attente »
    and ``rang`` (1-based order of registration). Ties on date keep the file order.
    """
    active = active_registrations(inscriptions).copy()
    active["_ord"] = range(len(active))
    active = active.sort_values(["date_inscription", "_ord"], na_position="last", kind="stable")
    active["rang"] = range(1, len(active) + 1)
    cap = capacite if capacite else len(active)
    active["place"] = ["confirmé" if r <= cap else "liste d'attente" for r in active["rang"]]
    return active.drop(columns="_ord").reset_index(drop=True)


def departement_counts(inscriptions: pd.DataFrame) -> pd.DataFrame:
    """Active registrations per département code (columns: departement, n)."""
    active = active_registrations(inscriptions)
    d = active.loc[active["departement"] != "", "departement"].value_counts()
    return d.rename_axis("departement").rename("n").reset_index()


def territory_comparison(
    fav: pd.DataFrame, territory: str, territory_col: str = "territoire"
) -> pd.DataFrame:
    """% favourable per question for one territory vs all the others pooled.

    ``fav`` is :func:`favorable` by ``[territory_col]``. Columns: question_id, dimension,
    groupe (« ce territoire » / « autres territoires »), n, k, part, bas, haut.
    """
    if fav.empty:
        return fav.assign(groupe=[])
    here = fav[fav[territory_col] == territory].assign(groupe="ce territoire")
    others = (
        fav[fav[territory_col] != territory]
        .groupby(["question_id", "dimension"], observed=True)[["n", "k"]]
        .sum()
        .reset_index()
        .assign(groupe="autres territoires")
    )
    stats = [wilson(int(k), int(n)) for k, n in zip(others["k"], others["n"], strict=True)]
    others["part"] = [s[0] for s in stats]
    others["bas"] = [s[1] for s in stats]
    others["haut"] = [s[2] for s in stats]
    cols = ["question_id", "dimension", "groupe", "n", "k", "part", "bas", "haut"]
    return pd.concat([here[cols], others[cols]], ignore_index=True)


def consensus(votes: pd.DataFrame, min_votes: int = 5) -> pd.DataFrame:
    """Pol.is-style consensus/divisiveness per proposal from votes by group.

    ``votes``: proposition_id, groupe, pour, contre (counts). A proposal is « consensuelle »
    when every group with ≥ ``min_votes`` votes agrees at ≥ 60 %, « clivante » when one group
    agrees ≥ 60 % and another disagrees ≥ 60 %. Columns: proposition_id, statut, ecart.
    """
    groups = votes["groupe"].astype(str).str.strip()
    v = votes[(groups != "") & (groups != "sans groupe")]  # participants outside any group
    v = v.assign(total=v["pour"] + v["contre"])
    v = v[v["total"] >= min_votes].assign(accord=lambda d: d["pour"] / d["total"])
    rows = []
    for pid, g in v.groupby("proposition_id"):
        if len(g) < 2:
            continue
        lo, hi = g["accord"].min(), g["accord"].max()
        if lo >= 0.6:
            statut = "consensuelle"
        elif hi >= 0.6 and lo <= 0.4:
            statut = "clivante"
        else:
            statut = "partagée"
        rows.append({"proposition_id": pid, "statut": statut, "ecart": hi - lo})
    return pd.DataFrame(rows, columns=["proposition_id", "statut", "ecart"])
