"""Interview excerpts (entretiens): Taguette highlights, QualCoder coded text, generic sheet.

Taguette's highlights CSV export has the header ``id,document,tag,content`` (one row per
highlight × tag, untagged highlights with an empty tag). QualCoder's coding report CSV has
``File,Coder,Coded,Id,Codename,Coded_Memo[,Category…][,FileVar_…]`` (or ``Case,Filename,…``).
An optional attributes table ``document,territoire,profil[,date]`` is joined on the document.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import LoadResult, SourceError
from ..referentiels import normalize_profiles
from ..vocabulary import dimension_of as dimension_of  # re-exported
from .common import (
    DATE_FORMS,
    cells,
    finish,
    fold,
    match_columns,
    missing_columns_error,
    one_line,
    parse_dates,
    read_source,
    reject_misaligned,
    report,
    report_unknown_profiles,
)
from .registry import Adapter, Registry

COLUMNS = ["extrait_id", "document", "theme", "texte", "territoire", "profil", "dimension"]

ALIASES: dict[str, list[str]] = {
    "id": ["id", "extrait_id", "identifiant", "id extrait", "numéro", "n°"],
    "document": ["document", "file", "filename", "fichier", "entretien", "nom du document", "source",
                 "interview", "case", "cas", "~document", "~entretien", "~fichier"],
    "theme": ["tag", "codename", "code", "thème", "theme", "catégorie", "étiquette", "code name",
              "~thème", "~code", "~tag"],
    "texte": ["content", "coded", "extrait", "texte", "citation", "verbatim", "contenu", "passage",
              "~extrait", "~citation", "~verbatim", "~texte"],
    "territoire": ["territoire", "rencontre", "ville", "site", "slug", "~territoire"],
    "profil": ["profil", "profile", "fonction", "~profil"],
}  # fmt: skip
ATTR_ALIASES: dict[str, list[str]] = {
    "document": ALIASES["document"],
    "territoire": ALIASES["territoire"],
    "profil": ALIASES["profil"],
    "date": ["date", "date de l'entretien", "date entretien", "~date"],
}

REGISTRY = Registry(
    "entretiens", Adapter("generique", "tableau générique (Document, Thème, Extrait)")
)
REGISTRY.register(
    Adapter(
        "taguette",
        "Taguette (surlignages)",
        detect=lambda h: {"id", "document", "tag", "content"} <= h,
        aliases={"texte": ["content"], "theme": ["tag"]},
    )
)
REGISTRY.register(
    Adapter(
        "qualcoder",
        "QualCoder (rapport de codage)",
        detect=lambda h: {"coded", "codename"} <= h,
        aliases={
            "texte": ["coded"],
            "theme": ["codename"],
            "document": ["file", "filename", "case"],
            "territoire": ["casevar territoire", "filevar territoire"],
            "profil": ["casevar profil", "filevar profil"],
        },
    )
)
FORMATS = REGISTRY.names


def detect_format(columns: list[str]) -> str:
    """``taguette``, ``qualcoder`` or ``generique`` from the header names (:data:`REGISTRY`)."""
    return REGISTRY.detect(columns).name


def _doc_keys(document: str) -> list[str]:
    key = fold(document)
    stem = re.sub(r"\.[a-z0-9]{2,4}$", "", key)
    return [key, stem] if stem != key else [key]


def load_entretiens(
    path: str | Path,
    attributs: str | Path | None = None,
    *,
    fmt: str | None = None,
    rules: str | Path | None = None,
) -> LoadResult:
    """Load coded interview excerpts, joined to per-document attributes when given."""
    path, raw, adapter = REGISTRY.read(path, fmt)
    name, findings = raw.name, list(raw.findings)
    fmt = adapter.name
    col = match_columns(list(raw.frame.columns), REGISTRY.aliases(adapter, ALIASES))
    if col["texte"] is None:
        raise missing_columns_error(
            raw,
            "une colonne d'extrait (« content », « Coded », « Extrait », « Texte », « Citation »…)",
            "d'extrait",
        )
    if col["theme"] is None:
        report(
            findings,
            "avertissement",
            name,
            "aucune colonne de thème ou de code : thèmes laissés vides",
            [1],
        )
    n = len(raw.frame)
    lines = [raw.line_of(i) for i in range(n)]
    c = {k: cells(raw, v) for k, v in col.items()}
    texts = c["texte"]
    for k in ("document", "theme", "territoire", "profil"):
        c[k] = c[k].map(one_line)

    ids = c["id"].tolist()
    misaligned = reject_misaligned(raw, findings, name)
    media = [
        i
        for i in range(n)
        if fmt == "qualcoder"
        and i not in misaligned
        and (ids[i].startswith(("imid:", "avid:")) or texts.iat[i] in {"image", "a/v"})
    ]
    media_set = set(media)
    empty = [i for i in range(n) if not texts.iat[i] and i not in media_set and i not in misaligned]
    report(
        findings,
        "info",
        name,
        "codage d'image, d'audio ou de vidéo ignoré (texte attendu)",
        [lines[i] for i in media],
        col["texte"],
    )
    report(
        findings,
        "avertissement",
        name,
        "extrait vide écarté (un texte était attendu)",
        [lines[i] for i in empty],
        col["texte"],
    )
    dropped = media_set | set(empty) | misaligned
    kept = [i for i in range(n) if i not in dropped]

    attrs, attr_result = _load_attributs(attributs, rules) if attributs is not None else ({}, None)
    if attr_result is not None:
        findings.extend(attr_result["findings"])
        used_docs = {k for i in kept for k in _doc_keys(c["document"].iat[i])}
        unknown = [r for r in attr_result["rows"] if not set(_doc_keys(r["document"])) & used_docs]
        if unknown:
            docs = ", ".join(f"« {r['document']} »" for r in unknown)
            report(
                findings,
                "avertissement",
                attr_result["name"],
                f"document inconnu ({docs}) : aucun extrait ne porte ce nom (le nom doit être "
                "identique à celui de la colonne document des extraits)",
                [r["line"] for r in unknown],
                attr_result["column"],
            )
        missing = [i for i in kept if not any(k in attrs for k in _doc_keys(c["document"].iat[i]))]
        if missing:
            docs = ", ".join(sorted({f"« {c['document'].iat[i]} »" for i in missing}))
            report(
                findings,
                "avertissement",
                name,
                f"document absent du tableau d'attributs ({docs}) : territoire et profil laissés vides "
                "(une ligne par document était attendue dans les attributs)",
                [lines[i] for i in missing],
                col["document"],
            )

    records = []
    for i in kept:
        doc = c["document"].iat[i]
        attr = next((attrs[k] for k in _doc_keys(doc) if k in attrs), {})
        records.append(
            {
                "extrait_id": ids[i] or f"L{lines[i]}",
                "document": doc,
                "theme": c["theme"].iat[i],
                "texte": texts.iat[i],
                "territoire": c["territoire"].iat[i] or attr.get("territoire", ""),
                "profil_saisi": c["profil"].iat[i] or attr.get("profil", ""),
            }
        )
    profil_ids, unmatched = normalize_profiles([r["profil_saisi"] for r in records], rules)
    report_unknown_profiles(
        findings,
        name,
        unmatched,
        [r["profil_saisi"] for r in records],
        [lines[i] for i in kept],
        col["profil"] or "profil",
    )
    table = pd.DataFrame(records, columns=[*COLUMNS[:5], "profil_saisi"])
    table["profil"] = pd.Series(profil_ids, index=table.index, dtype=object)
    table["dimension"] = table["theme"].map(dimension_of).astype(object)
    table = table[COLUMNS].astype(object)
    extra: dict = {"format": fmt, "colonnes": {k: v for k, v in col.items() if v}}
    if attr_result is not None:
        extra["attributs"] = attr_result["table"]
        extra["attributs_sha256"] = attr_result["sha256"]
    return finish(
        "entretiens", path, raw, table, findings, read=n, rejected=len(dropped), extra=extra
    )


def _load_attributs(path: str | Path, rules: str | Path | None) -> tuple[dict[str, dict], dict]:
    raw = read_source(path)
    name, findings = raw.name, list(raw.findings)
    col = match_columns(list(raw.frame.columns), ATTR_ALIASES)
    if col["document"] is None:
        raise missing_columns_error(
            raw, "une colonne « document » (avec territoire, profil, date)", "document"
        )
    c = {k: cells(raw, v).map(one_line) for k, v in col.items()}
    lines = [raw.line_of(i) for i in range(len(raw.frame))]
    misaligned = reject_misaligned(raw, findings, name)
    dates, bad = parse_dates(c["date"])
    report(
        findings,
        "avertissement",
        name,
        f"date illisible (attendu : {DATE_FORMS}) : laissée vide",
        [lines[i] for i in bad],
        col["date"],
    )
    profil_ids, _ = normalize_profiles(c["profil"], rules)
    attrs: dict[str, dict] = {}
    rows: list[dict] = []
    dupes, blank = [], []
    for i in range(len(raw.frame)):
        doc = c["document"].iat[i]
        if i in misaligned:
            continue
        if not doc:
            blank.append(lines[i])
            continue
        if fold(doc) in attrs:
            dupes.append(lines[i])
            continue
        entry = {"territoire": c["territoire"].iat[i], "profil": c["profil"].iat[i]}
        for key in _doc_keys(doc):
            attrs.setdefault(key, entry)
        rows.append(
            {
                "document": doc,
                "line": lines[i],
                **entry,
                "profil_id": profil_ids[i],
                "date": dates.iat[i],
            }
        )
    report(
        findings,
        "avertissement",
        name,
        "nom de document vide : ligne d'attributs ignorée",
        blank,
        col["document"],
    )
    report(
        findings,
        "avertissement",
        name,
        "document en double dans les attributs : seule la première ligne est gardée",
        dupes,
        col["document"],
    )
    table = pd.DataFrame(
        [
            {
                "document": r["document"],
                "territoire": r["territoire"],
                "profil": r["profil_id"],
                "profil_saisi": r["profil"],
                "date": r["date"],
            }
            for r in rows
        ],
        columns=["document", "territoire", "profil", "profil_saisi", "date"],
    )
    table["date"] = pd.to_datetime(table["date"]).astype("datetime64[ns]")
    if not rows:
        raise SourceError(
            "aucun document décrit dans le tableau d'attributs.",
            file=raw.path,
            column=col["document"],
        )
    return attrs, {
        "findings": findings,
        "rows": rows,
        "name": name,
        "column": col["document"],
        "table": table,
        "sha256": raw.sha256,
    }
