"""Pure functions on tidy tables: no file access, no display formatting.

Tables come from the loaders (see ``rencontres_lib.loaders``):
answers (respondent_id, question_id, valeur, rang; :func:`scored` adds type, dimension, favorable),
respondents (respondent_id, profil, territoire, complet, date),
inscriptions (participant_id, profil, departement, date_inscription, statut, …).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import DIMENSIONS, PROFILS

Z95 = 1.959963984540054
ACTIVE = ("inscrit", "present", "absent", "liste_attente")


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float, float]:
    """Proportion k/n with its Wilson score interval (95 % by default); NaNs when n == 0."""
    if n <= 0:
        return (math.nan, math.nan, math.nan)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (p, max(0.0, centre - half), min(1.0, centre + half))


def likert_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """Likert rows only."""
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
    codes = qid.cat.codes.to_numpy()
    info = (
        questions.drop_duplicates("question_id")
        .set_index("question_id")
        .reindex(qid.cat.categories)
    )

    def per_question(values: pd.Series) -> pd.Categorical:
        c, uniques = pd.factorize(values.fillna("").astype(object).to_numpy())
        c = np.append(c, -1)  # an answer without a question (code -1) gets NA, not the last one
        return pd.Categorical.from_codes(c[codes], categories=pd.Index(uniques, dtype=object))

    favs = [tuple(f) if isinstance(f, (tuple, list)) else () for f in info["favorables"]]
    top = max([0, *(max(f) for f in favs if f)])
    table = np.zeros((len(favs) + 1, top + 2), dtype=bool)  # row -1: answers without a question
    for i, f in enumerate(favs):
        table[i, list(f)] = True
    rang = ranks(answers["rang"])
    at = np.clip(rang.to_numpy(dtype="int64", na_value=0), 0, top + 1)
    unscored = rang.isna().to_numpy() | ~np.array([bool(f) for f in favs] + [False])[codes]
    out = answers.assign(
        type=per_question(info["type"]),
        dimension=per_question(info["dimension"]),
        rang=rang,
        favorable=pd.arrays.BooleanArray(table[codes, at], unscored),
    )
    return out[
        [c for c in ANSWER_COLUMNS if c in out] + [c for c in out if c not in ANSWER_COLUMNS]
    ]


def ranks(rang: pd.Series) -> pd.Series:
    """Ranks as ``Int8`` (NA outside a scale), from the loader's ordered categorical or numbers."""
    if isinstance(rang.dtype, pd.CategoricalDtype):
        codes = rang.cat.codes.to_numpy()
        values = np.asarray(rang.cat.categories, dtype=np.int64)
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
        codes = rid.cat.codes.to_numpy()
        extra = {}
        for c in cols[1:]:
            c_codes, uniques = pd.factorize(respondents[c].astype(object).to_numpy())
            extra[c] = pd.Categorical.from_codes(
                c_codes[codes], categories=pd.Index(uniques, dtype=object)
            )
        return answers.assign(**extra)[codes >= 0].reset_index(drop=True)  # inner join: no NaN id
    return answers.merge(respondents[cols], on="respondent_id", how="inner")


def favorable(answers: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """% favourable per Likert question (and groups), with n and a 95 % Wilson interval.

    Only in-scale answers count (``favorable`` not NA): « sans avis » and blanks are out of n.
    Columns: [by…], question_id, dimension, n, k, part, bas, haut.
    """
    keys = [*(by or []), "question_id", "dimension"]
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
    lik = likert_answers(answers)
    lik = lik[lik["favorable"].notna() & (lik["dimension"] != "")]
    keys = [*(by or []), "dimension"]
    cols = [*keys, "n", "reponses", "k", "part", "bas", "haut"]
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
    lik = likert_answers(answers)
    lik = lik[lik["rang"].notna()]
    if lik.empty:
        return pd.DataFrame(columns=["question_id", "dimension", "rang", "n", "total", "part"])
    counts = (
        lik.groupby(["question_id", "dimension", "rang"], observed=True)
        .size()
        .rename("n")
        .reset_index()
    )
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


def profile_mix(profiles: pd.Series) -> pd.DataFrame:
    """Count and share of each ICPC profile (fixed order), including zero rows."""
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
    """Registered, present, attendance rate, respondents, profiles represented, waitlist size."""
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
