"""Contributions: Decidim proposals (new and old layouts) and comments, Pol.is, generic sheet.

Decidim "new" layout (≥ 0.23): ``id;category/id;category/name/<loc>;scope/…;title/<loc>;
body/<loc>;state;reference;answer/<loc>;supports;endorsements/total_count;…;comments;…;
published_at;url;…``. "Old" layout (2019): ``…;title;body;votes;comments;created_at;url;…``.
Localised columns prefer ``fr`` then any other locale, cell by cell. Pol.is ``comments.csv``
(``timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body``) may
have a ``participants-votes.csv`` beside it (participants without a group: « sans groupe »).
Author names are never copied to the table. One :class:`~.registry.Adapter` per format in
:data:`REGISTRY`; Decidim withdrawn proposals and amendments are left out by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Finding, LoadResult, SourceError
from ..io import RawTable, read_table
from .common import (
    DATE_FORMS,
    cells,
    clean_text,
    finish,
    fold_header,
    match_columns,
    missing_columns_error,
    one_line,
    parse_count,
    parse_counts,
    parse_dates,
    reject_misaligned,
    report,
    strip_html,
)
from .registry import Adapter, Registry

COLUMNS = [
    "proposition_id", "territoire", "atelier", "titre", "corps", "theme",
    "soutiens", "commentaires", "etat", "date", "source_format",
]  # fmt: skip
POLIS_STATES = {"1": "acceptée", "0": "non modérée"}
NO_GROUP = "sans groupe"  # Pol.is participants it did not put in an opinion group

ALIASES: dict[str, list[str]] = {
    "id": ["id", "identifiant", "numéro", "n°", "référence", "comment-id"],
    "titre": ["titre", "title", "intitulé", "~titre"],
    "corps": ["proposition", "texte", "contribution", "corps", "description", "body", "contenu", "idée",
              "comment-body", "~proposition", "~contribution", "~texte"],
    "theme": ["thème", "theme", "catégorie", "thématique", "category", "~thème", "~thématique"],
    "atelier": ["atelier", "table", "groupe", "scope", "sous-groupe", "table ronde", "~atelier"],
    "soutiens": ["soutiens", "votes", "likes", "pour", "supports", "nombre de votes", "nb votes",
                 "gommettes", "agrees", "~soutiens", "~votes"],
    "commentaires": ["commentaires", "comments", "nb commentaires", "nombre de commentaires"],
    "etat": ["état", "statut", "state", "réponse", "suite donnée"],
    "territoire": ["territoire", "rencontre", "~territoire"],
    "date": ["date", "created at", "published at", "date de dépôt", "timestamp", "~date"],
}  # fmt: skip


def _is_decidim(h: set[str]) -> bool:
    has_title = any(c == "title" or c.startswith("title/") for c in h)
    has_body = any(c == "body" or c.startswith("body/") for c in h)
    return "id" in h and has_title and has_body


REGISTRY = Registry(
    "contributions", Adapter("generique", "tableau générique (Titre, Proposition…)")
)


def detect_format(columns: list[str]) -> str:
    """Guess the export format from the header names (:data:`REGISTRY`)."""
    return REGISTRY.detect(columns).name


def localized_columns(columns: list[str], base: str) -> list[str]:
    """Columns ``base``, ``base/fr``, ``base/en``, other locales, then machine translations."""

    def rank(col: str) -> int:
        rest = col.strip().lower()[len(base) :].strip("/")
        if "machine_translations" in rest:
            return 4 if rest.endswith("/fr") else 5
        return {"": 0, "fr": 1, "en": 2}.get(rest, 3)

    order = {c: i for i, c in enumerate(columns)}
    found = [
        c for c in columns if c.strip().lower() == base or c.strip().lower().startswith(base + "/")
    ]
    return sorted(found, key=lambda c: (rank(c), order[c]))


def _first_filled(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    for col in reversed(cols):
        values = frame[col].astype(str).map(clean_text)
        out = values.where(values != "", out)
    return out


@dataclass
class _Read:
    """What a format adapter reads: the fields, the count and date columns, rows it leaves out."""

    data: dict[str, pd.Series]
    text_col: str | None
    soutiens_col: str | None = None
    comments_col: str | None = None
    date_col: str | None = None
    dates: pd.Series | None = None
    left_out: list[tuple[list[int], str, str | None]] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


@dataclass
class _Context:
    raw: RawTable
    path: Path
    lines: list[int]
    findings: list[Finding]
    keep_withdrawn: bool

    @property
    def low(self) -> dict[str, str]:
        return {c.strip().lower(): c for c in self.raw.frame.columns}


_TRUE = {"true", "vrai", "oui", "1", "yes", "t"}


def _read_decidim(ctx: _Context) -> _Read:
    raw, columns, low = ctx.raw, list(ctx.raw.frame.columns), ctx.low
    frame = raw.frame
    pick = {
        k: localized_columns(columns, k) for k in ("title", "body", "category/name", "scope/name")
    }
    pick["body"] = pick["body"] or localized_columns(columns, "description")  # debates
    if not pick["body"] and not pick["title"]:
        raise missing_columns_error(
            raw, "« title » ou « body » (export Decidim)", "de titre ou de texte"
        )
    out = _Read(
        data={
            "proposition_id": cells(raw, low.get("id")),
            "titre": _first_filled(frame, pick["title"]).map(strip_html),
            "corps": _first_filled(frame, pick["body"]).map(strip_html),
            "theme": _first_filled(frame, pick["category/name"]).map(one_line),
            "atelier": _first_filled(frame, pick["scope/name"]).map(one_line),
            "etat": cells(raw, low.get("state")),
            "territoire": cells(raw, low.get("territoire")),
        },
        text_col=(pick["body"] or pick["title"])[0],
        soutiens_col=low.get("supports") or low.get("votes"),
        comments_col=low.get("comments"),
        date_col=low.get("published_at") or low.get("created_at"),
    )
    state = out.data["etat"].map(lambda v: v.strip().lower())
    withdrawn = state.isin({"withdrawn", "retirée", "retiree", "retiré"}).to_numpy().copy()
    if low.get("withdrawn"):
        withdrawn |= cells(raw, low["withdrawn"]).str.lower().isin(_TRUE).to_numpy()
    if low.get("withdrawn_at"):
        withdrawn |= (cells(raw, low["withdrawn_at"]) != "").to_numpy()
    amend = (
        cells(raw, low["is_amend"]).str.lower().isin(_TRUE).to_numpy()
        if low.get("is_amend")
        else withdrawn & False
    )
    if not ctx.keep_withdrawn:
        out.left_out.append(
            (
                list(withdrawn.nonzero()[0]),
                "proposition retirée par la personne qui l'avait déposée : laissée de côté (comptez-la avec keep_withdrawn=True)",
                low.get("withdrawn") or low.get("withdrawn_at") or low.get("state"),
            )
        )
        out.left_out.append(
            (
                list((amend & ~withdrawn).nonzero()[0]),
                "amendement d'une autre proposition : laissé de côté (ce n'est pas une proposition de plus)",
                low.get("is_amend"),
            )
        )
    return out


def _read_decidim_comments(ctx: _Context) -> _Read:
    out = _read_decidim(ctx)
    raw, low = ctx.raw, ctx.low
    out.extra["parents"] = pd.DataFrame(
        {
            "proposition_id": out.data["proposition_id"].tolist(),
            "parent_id": cells(raw, low.get("commentable_id")).tolist(),
            "parent_type": cells(raw, low.get("commentable_type")).str.split("::").str[-1].tolist(),
            "alignement": pd.array(
                [_int_or_none(v) for v in cells(raw, low.get("alignment"))], dtype="Int64"
            ),
        }
    )
    return out


def _read_polis(ctx: _Context) -> _Read:
    raw, low, n = ctx.raw, ctx.low, len(ctx.raw.frame)
    blank = pd.Series([""] * n, index=raw.frame.index, dtype=object)
    moderated = cells(raw, low.get("moderated"))
    text = cells(raw, low.get("comment-body"))
    stamps = cells(raw, low.get("timestamp"))
    dates = pd.to_datetime([_epoch(v) for v in stamps], errors="coerce").astype("datetime64[ns]")
    return _Read(
        data={
            "proposition_id": cells(raw, low.get("comment-id")),
            "titre": text,  # a Pol.is comment is its own title
            "corps": text,
            "theme": blank,
            "atelier": blank,
            "etat": moderated.map(lambda v: POLIS_STATES.get(v, v)),
            "territoire": blank,
        },
        text_col=low.get("comment-body"),
        soutiens_col=low.get("agrees"),
        dates=pd.Series(dates, index=raw.frame.index),
        left_out=[
            (
                list((moderated == "-1").to_numpy().nonzero()[0]),
                "commentaire refusé par la modération (moderated = -1) : écarté",
                low.get("moderated"),
            )
        ],
    )


def _read_generic(ctx: _Context) -> _Read:
    raw, columns = ctx.raw, list(ctx.raw.frame.columns)
    col = match_columns(columns, ALIASES)
    if col["titre"] is None and col["corps"] is None:
        raise missing_columns_error(
            raw,
            "une colonne « Titre » ou « Proposition » (ou « Texte », « Contribution »)",
            "de titre ou de texte",
        )
    data = {k: cells(raw, col[k]) for k in ("titre", "corps", "etat", "territoire")}
    data["theme"] = cells(raw, col["theme"]).map(one_line)
    data["atelier"] = cells(raw, col["atelier"]).map(one_line)
    data["proposition_id"] = cells(raw, col["id"])
    return _Read(
        data=data,
        text_col=col["corps"] or col["titre"],
        soutiens_col=col["soutiens"],
        comments_col=col["commentaires"],
        date_col=col["date"],
        extra={"colonnes": {k: v for k, v in col.items() if v}},
    )


REGISTRY.register(
    Adapter(
        "polis",
        "Pol.is (comments.csv)",
        detect=lambda h: {"comment id", "comment body"} <= h,
        read=_read_polis,
    )
)
REGISTRY.register(
    Adapter(
        "decidim_debats",
        "Decidim (débats : title, description)",
        detect=lambda h: (
            "id" in h
            and any(c == "title" or c.startswith("title/") for c in h)
            and any(c == "description" or c.startswith("description/") for c in h)
            and not any(c == "body" or c.startswith("body/") for c in h)
        ),
        read=_read_decidim,
    )
)
REGISTRY.register(
    Adapter(
        "decidim_commentaires",
        "Decidim (commentaires)",
        detect=lambda h: "commentable type" in h or {"commentable id", "alignment"} <= h,
        read=_read_decidim_comments,
    )
)
REGISTRY.register(
    Adapter(
        "decidim",
        "Decidim (propositions, export ≥ 0.23)",
        detect=lambda h: (
            _is_decidim(h)
            and bool(
                {"supports", "reference", "state"} & h or any(c.startswith("title/") for c in h)
            )
        ),
        read=_read_decidim,
    )
)
REGISTRY.register(
    Adapter(
        "decidim_ancien",
        "Decidim (propositions, export 2019)",
        detect=_is_decidim,
        read=_read_decidim,
    )
)
REGISTRY.default = Adapter(
    "generique", "tableau générique (Titre, Proposition…)", read=_read_generic
)
FORMATS = REGISTRY.names


def load_contributions(
    path: str | Path,
    *,
    territoire: str | None = None,
    fmt: str | None = None,
    keep_withdrawn: bool = False,
) -> LoadResult:
    """Load proposals or comments into one tidy table (see module docstring).

    Decidim proposals withdrawn by their author (``withdrawn``, ``withdrawn_at`` or state
    « withdrawn ») and amendments (``is_amend``) are reported and left out unless
    ``keep_withdrawn``; Pol.is comments refused by moderation are left out; a Pol.is
    comment's text is also its title. Rows whose field count differs from the header are
    rejected with their line.
    """
    path, raw, adapter = REGISTRY.read(path, fmt)
    name, findings = raw.name, list(raw.findings)
    fmt = adapter.name
    n = len(raw.frame)
    lines = [raw.line_of(i) for i in range(n)]
    ctx = _Context(raw, path, lines, findings, keep_withdrawn)
    got: _Read = adapter.read(ctx)
    data = got.data
    extra: dict = {"format": fmt, **got.extra}

    rejected: set[int] = reject_misaligned(raw, findings, name)
    for positions, message, column in got.left_out:
        positions = [i for i in positions if i not in rejected]
        level = "info"
        report(findings, level, name, message, [lines[i] for i in positions], column)
        rejected.update(positions)
    soutiens = (
        parse_counts(cells(raw, got.soutiens_col), lines, findings, name, got.soutiens_col)
        if got.soutiens_col
        else None
    )
    comments = (
        parse_counts(cells(raw, got.comments_col), lines, findings, name, got.comments_col)
        if got.comments_col
        else None
    )
    if got.dates is not None:
        dates = got.dates
    else:
        dates, bad = parse_dates(cells(raw, got.date_col))
        message = f"date illisible (attendu : {DATE_FORMS}) : laissée vide"
        report(findings, "avertissement", name, message, [lines[i] for i in bad], got.date_col)

    empty = [
        i
        for i in range(n)
        if i not in rejected and not data["titre"].iat[i] and not data["corps"].iat[i]
    ]
    message = "contribution sans titre ni texte écartée (un titre ou un texte était attendu)"
    report(findings, "avertissement", name, message, [lines[i] for i in empty], got.text_col)
    rejected.update(empty)
    keep = [i for i in range(n) if i not in rejected]

    ids = data["proposition_id"]
    table = pd.DataFrame(
        {
            "proposition_id": [ids.iat[i] or f"L{lines[i]}" for i in keep],
            "territoire": [
                territoire if territoire is not None else data["territoire"].iat[i] for i in keep
            ],
            "atelier": [data["atelier"].iat[i] for i in keep],
            "titre": [data["titre"].iat[i] for i in keep],
            "corps": [data["corps"].iat[i] for i in keep],
            "theme": [data["theme"].iat[i] for i in keep],
            "soutiens": pd.array(
                [soutiens[i] if soutiens is not None else pd.NA for i in keep], dtype="Int64"
            ),
            "commentaires": pd.array(
                [comments[i] if comments is not None else pd.NA for i in keep], dtype="Int64"
            ),
            "etat": [data["etat"].iat[i] for i in keep],
            "date": pd.Series([dates.iat[i] for i in keep], dtype="datetime64[ns]"),
            "source_format": fmt,
        },
        columns=COLUMNS,
    )
    for c in (
        "proposition_id",
        "territoire",
        "atelier",
        "titre",
        "corps",
        "theme",
        "etat",
        "source_format",
    ):
        table[c] = table[c].astype(object)
    if "parents" in extra:
        extra["parents"] = extra["parents"].iloc[keep].reset_index(drop=True)
    if fmt == "polis":
        votes_file = _votes_file(path)
        if votes_file is not None:
            extra["votes"], extra["votes_sha256"] = _polis_votes(
                votes_file, set(table["proposition_id"]), findings
            )
    return finish(
        "contributions",
        path,
        raw,
        table,
        findings,
        read=n,
        rejected=n - len(keep),
        extra=extra,
    )


def _int_or_none(value: str) -> int | None:
    parsed = parse_count(value)
    return parsed if isinstance(parsed, int) else None


def _epoch(value: str) -> pd.Timestamp | None:
    parsed = parse_count(value)
    if not isinstance(parsed, int):
        return None
    return pd.Timestamp(parsed, unit="ms" if parsed > 10**11 else "s")


def _votes_file(comments: Path) -> Path | None:
    stem = comments.name
    candidates = [
        comments.with_name(stem.replace("comments", "participants-votes")),
        comments.with_name("participants-votes.csv"),
        comments.with_name("participant-votes.csv"),
    ]
    return next((p for p in candidates if p != comments and p.is_file()), None)


def _polis_votes(
    path: Path, kept_ids: set[str], findings: list[Finding]
) -> tuple[pd.DataFrame, str]:
    """Long table (proposition_id, groupe, accords, desaccords, passes) from participants-votes.csv."""
    raw = read_table(path)
    findings.extend(raw.findings)
    cols = list(raw.frame.columns)
    group_col = next((c for c in cols if fold_header(c) in {"group id", "groupe"}), None)
    if "participant" not in cols:
        raise SourceError(
            "colonne « participant » introuvable : l'export participants-votes de Pol.is était attendu.",
            file=path,
            row=1,
        )
    vote_cols = [c for c in cols if c.strip().lstrip("-").isdigit() and c.strip() in kept_ids]
    groups = cells(raw, group_col).map(lambda g: g or NO_GROUP)  # not clustered by Pol.is
    lines = [raw.line_of(i) for i in range(len(raw.frame))]
    counts: dict[tuple[str, str], list[int]] = {}
    for c in vote_cols:
        values = cells(raw, c)
        bad = []
        for i, v in enumerate(values):
            if v == "":
                continue
            key = (c.strip(), groups.iat[i])
            slot = counts.setdefault(key, [0, 0, 0])
            if v in {"1", "1.0"}:
                slot[0] += 1
            elif v in {"-1", "-1.0"}:
                slot[1] += 1
            elif v in {"0", "0.0"}:
                slot[2] += 1
            else:
                bad.append(lines[i])
        report(
            findings,
            "avertissement",
            path.name,
            "vote illisible (attendu : 1, -1, 0 ou vide) : ignoré",
            bad,
            c,
        )
    long = pd.DataFrame(
        [(cid, grp, a, d, p) for (cid, grp), (a, d, p) in counts.items()],
        columns=["proposition_id", "groupe", "accords", "desaccords", "passes"],
    )
    for c in ("accords", "desaccords", "passes"):
        long[c] = long[c].astype("Int64")
    long = long.sort_values(
        ["proposition_id", "groupe"], key=lambda s: s.map(_sort_key)
    ).reset_index(drop=True)
    return long, raw.sha256


def _sort_key(value: object) -> tuple[int, object]:
    s = str(value)
    return (0, int(s)) if s.lstrip("-").isdigit() else (1, s)
