"""Contributions: Decidim proposals (new and old layouts) and comments, Pol.is, generic sheet.

Decidim "new" layout (≥ 0.23): ``id;category/id;category/name/<loc>;scope/…;title/<loc>;
body/<loc>;state;reference;answer/<loc>;supports;endorsements/total_count;…;comments;…;
published_at;url;…``. "Old" layout (2019): ``…;title;body;votes;comments;created_at;url;…``.
Localised columns prefer ``fr`` then any other locale, cell by cell. Pol.is ``comments.csv``
(``timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body``) may
have a ``participants-votes.csv`` beside it. Author names are never copied to the table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import Finding, LoadResult, SourceError
from ..io import read_table
from .common import (
    cells,
    check_format,
    clean_text,
    fold_header,
    match_columns,
    missing_columns_error,
    one_line,
    parse_count,
    parse_counts,
    parse_dates,
    read_source,
    report,
    strip_html,
)

FORMATS = ("decidim", "decidim_ancien", "decidim_commentaires", "polis", "generique")
COLUMNS = [
    "proposition_id", "territoire", "atelier", "titre", "corps", "theme",
    "soutiens", "commentaires", "etat", "date", "source_format",
]  # fmt: skip
POLIS_STATES = {"1": "acceptée", "0": "non modérée"}

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


def detect_format(columns: list[str]) -> str:
    """Guess the export format from the header names."""
    low = {c.strip().lower() for c in columns}
    if {"comment-id", "comment-body"} <= low:
        return "polis"
    if "commentable_type" in low or {"commentable_id", "alignment"} <= low:
        return "decidim_commentaires"
    has_title = any(c == "title" or c.startswith("title/") for c in low)
    has_body = any(c == "body" or c.startswith("body/") for c in low)
    if "id" in low and has_title and has_body:
        if {"supports", "reference", "state"} & low or any(c.startswith("title/") for c in low):
            return "decidim"
        return "decidim_ancien"
    return "generique"


def localized_columns(columns: list[str], base: str) -> list[str]:
    """Columns ``base``, ``base/fr``, ``base/en``, other locales, then machine translations."""

    def rank(col: str) -> int:
        rest = col.strip().lower()[len(base) :].strip("/")
        if "machine_translations" in rest:
            return 4 if rest.endswith("/fr") else 5
        return {"": 0, "fr": 1, "en": 2}.get(rest, 3)

    found = [
        c for c in columns if c.strip().lower() == base or c.strip().lower().startswith(base + "/")
    ]
    return sorted(found, key=lambda c: (rank(c), columns.index(c)))


def _first_filled(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    for col in reversed(cols):
        values = frame[col].astype(str).map(clean_text)
        out = values.where(values != "", out)
    return out


def load_contributions(
    path: str | Path,
    *,
    territoire: str | None = None,
    fmt: str | None = None,
) -> LoadResult:
    """Load proposals or comments into one tidy table (see module docstring)."""
    path = Path(path)
    check_format(fmt, FORMATS, path)
    raw = read_source(path)
    name, findings = raw.name, list(raw.findings)
    frame, columns = raw.frame, list(raw.frame.columns)
    fmt = fmt or detect_format(columns)
    n = len(frame)
    lines = [raw.line_of(i) for i in range(n)]
    blank = pd.Series([""] * n, index=frame.index, dtype=object)
    extra: dict = {"format": fmt}
    rejected: list[int] = []

    if fmt in ("decidim", "decidim_ancien", "decidim_commentaires"):
        pick = {
            k: localized_columns(columns, k)
            for k in ("title", "body", "category/name", "scope/name")
        }
        if not pick["body"] and not pick["title"]:
            raise missing_columns_error(
                raw, "« title » ou « body » (export Decidim)", "de titre ou de texte"
            )
        low = {c.strip().lower(): c for c in columns}
        count_col = low.get("supports") or low.get("votes")
        data = {
            "proposition_id": cells(raw, low.get("id")),
            "titre": _first_filled(frame, pick["title"]).map(strip_html),
            "corps": _first_filled(frame, pick["body"]).map(strip_html),
            "theme": _first_filled(frame, pick["category/name"]).map(one_line),
            "atelier": _first_filled(frame, pick["scope/name"]).map(one_line),
            "etat": cells(raw, low.get("state")),
            "territoire": cells(raw, low.get("territoire")),
        }
        soutiens = (
            parse_counts(cells(raw, count_col), lines, findings, name, count_col)
            if count_col
            else None
        )
        comments = (
            parse_counts(cells(raw, low["comments"]), lines, findings, name, low["comments"])
            if "comments" in low
            else None
        )
        date_col = low.get("published_at") or low.get("created_at")
        text_col = (pick["body"] or pick["title"])[0]
        if fmt == "decidim_commentaires":
            extra["parents"] = pd.DataFrame(
                {
                    "proposition_id": data["proposition_id"].tolist(),
                    "parent_id": cells(raw, low.get("commentable_id")).tolist(),
                    "parent_type": cells(raw, low.get("commentable_type"))
                    .str.split("::")
                    .str[-1]
                    .tolist(),
                    "alignement": pd.array(
                        [_int_or_none(v) for v in cells(raw, low.get("alignment"))], dtype="Int64"
                    ),
                }
            )
    elif fmt == "polis":
        low = {c.strip().lower(): c for c in columns}
        moderated = cells(raw, low.get("moderated"))
        data = {
            "proposition_id": cells(raw, low.get("comment-id")),
            "titre": blank,
            "corps": cells(raw, low.get("comment-body")),
            "theme": blank,
            "atelier": blank,
            "etat": moderated.map(lambda v: POLIS_STATES.get(v, v)),
            "territoire": blank,
        }
        soutiens = parse_counts(
            cells(raw, low.get("agrees")), lines, findings, name, low.get("agrees")
        )
        comments = None
        date_col = None
        text_col = low.get("comment-body")
        mod_lines = [i for i in range(n) if moderated.iat[i] == "-1"]
        report(
            findings,
            "info",
            name,
            "commentaire refusé par la modération (moderated = -1) : écarté",
            [lines[i] for i in mod_lines],
            low.get("moderated"),
        )
        rejected.extend(mod_lines)
    else:
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
        soutiens = (
            parse_counts(cells(raw, col["soutiens"]), lines, findings, name, col["soutiens"])
            if col["soutiens"]
            else None
        )
        comments = (
            parse_counts(
                cells(raw, col["commentaires"]), lines, findings, name, col["commentaires"]
            )
            if col["commentaires"]
            else None
        )
        date_col = col["date"]
        text_col = col["corps"] or col["titre"]
        extra["colonnes"] = {k: v for k, v in col.items() if v}

    if fmt == "polis":
        stamps = cells(raw, low.get("timestamp"))
        dates = pd.to_datetime([_epoch(v) for v in stamps], errors="coerce").astype(
            "datetime64[ns]"
        )
        dates = pd.Series(dates, index=frame.index)
    else:
        dates, bad = parse_dates(cells(raw, date_col))
        bad_lines = [lines[i] for i in bad]
        message = "date illisible (attendu : 2025-03-14 10:32 ou 14/03/2025) : laissée vide"
        report(findings, "avertissement", name, message, bad_lines, date_col)

    empty = [
        i
        for i in range(n)
        if i not in set(rejected) and not data["titre"].iat[i] and not data["corps"].iat[i]
    ]
    message = "contribution sans titre ni texte écartée (un titre ou un texte était attendu)"
    report(findings, "avertissement", name, message, [lines[i] for i in empty], text_col)
    rejected.extend(empty)
    keep = [i for i in range(n) if i not in set(rejected)]

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
    return LoadResult(
        source=str(path),
        kind="contributions",
        table=table,
        findings=findings,
        rows_read=n,
        rows_used=len(table),
        rows_rejected=len(rejected),
        sha256=raw.sha256,
        extra=extra,
    ).check()


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
    groups = cells(raw, group_col)
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
