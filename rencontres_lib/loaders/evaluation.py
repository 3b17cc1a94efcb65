"""Load the export of a meeting's evaluation questionnaire (an optional source of the compte rendu).

A short questionnaire filled in at the end of the meeting (Google Forms, Framaforms, LimeSurvey
or a spreadsheet), one row per answer, anonymous. The columns are recognised by their names
(:data:`ALIASES`, accents and case ignored; see :mod:`rencontres_lib.loaders.registry`):

- ``date``: « Horodateur », « Horodatage », « Date de soumission »… (optional);
- ``profil``: « Profil », « Vous êtes »… read by the one profile classifier
  (:mod:`rencontres_lib.referentiels`, the meeting's ``sources.profils`` first) (optional);
- ``satisfaction``: a column whose name holds « satisfaction » or « satisfait »: a mark 1–5
  (« 4 », « 4/5 », « 4.0 ») or a label (« Très satisfait·e », « Plutôt satisfait »…);
  4 and 5 are « satisfied »;
- ``expression``: « Avez-vous pu vous exprimer ? »: Oui / Plutôt oui / Plutôt non / Non
  (or 1–4); « Oui » and « Plutôt oui » are favourable;
- ``recommandation``: « Recommanderiez-vous… ? »: Oui / Non / Je ne sais pas (also
  « Certainement », « Probablement », « Peut-être »…); « Je ne sais pas » is a valid answer
  outside the favourable/unfavourable split;
- ``retenir``: « Ce que vous retiendrez », « Commentaire »… free text (scrubbed later,
  with every other free text, in :mod:`rencontres_lib.rencontre`).

At least one of satisfaction, expression, recommandation must be found, else a French
:class:`SourceError` naming the columns read. A cell no rule explains is a warning naming
its lines and column, and counts as « no answer »; a row with no answer at all (blank, or
only a date) is rejected, and so is a row whose field count differs from the header, and a
row identical to an earlier one in every cell, timestamp included (a form sent twice; the
warning names both lines).
``rows_read == rows_used + rows_rejected``.

Returned table (one row per person who answered): ``respondent_id`` (« E01 », « E02 »… in
file order), ``date`` (datetime64, NaT when absent), ``profil`` (PROFILS id, ``non_renseigne``
when empty), ``satisfaction`` (Int64 1–5), ``expression`` (Int64 1–4, 4 = « Oui »),
``recommandation`` (Int64: 1 = non, 2 = ne sait pas, 3 = oui), ``retenir`` (text).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import LoadResult, SourceError, add_finding
from ..referentiels import normalize_profiles
from .common import (
    blank_records,
    cells,
    finish,
    fold,
    fold_header,
    match_columns,
    one_line,
    parse_date_fr,
    reject_misaligned,
    report,
    report_unknown_profiles,
)
from .registry import Adapter, Registry

ALIASES: dict[str, list[str]] = {
    "date": ["horodateur", "horodatage", "timestamp", "date", "submitdate", "date de soumission",
             "date de reponse", "submitted", "~horodateur", "~horodatage"],
    "profil": ["profil", "vous etes", "vous etes :", "fonction", "~profil", "~vous etes"],
    "satisfaction": ["~satisfaction", "~satisfait", "~satisfaite", "~note globale"],
    "expression": ["~exprimer", "~vous exprimer", "~parole", "~exprime"],
    "recommandation": ["~recommanderiez", "~recommander", "~recommandez"],
    "retenir": ["~retiendrez", "~retenez", "~retenir", "~commentaire", "~commentaires",
                "~remarque", "~remarques", "~en un mot"],
}  # fmt: skip
QUESTIONS = ("satisfaction", "expression", "recommandation")
COLUMNS = [
    "respondent_id",
    "date",
    "profil",
    "satisfaction",
    "expression",
    "recommandation",
    "retenir",
]

# labels (folded, inclusive « · » and « (e) » removed) → level
SATISFACTION_LABELS = {
    "tres insatisfait": 1,
    "pas du tout satisfait": 1,
    "insatisfait": 2,
    "plutot insatisfait": 2,
    "peu satisfait": 2,
    "plutot pas satisfait": 2,
    "ni satisfait ni insatisfait": 3,
    "moyennement satisfait": 3,
    "neutre": 3,
    "plutot satisfait": 4,
    "satisfait": 4,
    "tres satisfait": 5,
    "tout a fait satisfait": 5,
}
EXPRESSION_LABELS = {
    "non": 1,
    "non pas du tout": 1,
    "pas du tout": 1,
    "plutot non": 2,
    "plutot pas": 2,
    "peu": 2,
    "plutot oui": 3,
    "en partie": 3,
    "oui": 4,
    "oui tout a fait": 4,
    "tout a fait": 4,
    "oui pleinement": 4,
}
RECOMMENDATION_LABELS = {
    "non": 1,
    "certainement pas": 1,
    "probablement pas": 1,
    "plutot non": 1,
    "je ne sais pas": 2,
    "ne sais pas": 2,
    "nsp": 2,
    "peut etre": 2,
    "sans avis": 2,
    "oui": 3,
    "plutot oui": 3,
    "probablement": 3,
    "certainement": 3,
    "oui certainement": 3,
}
SCALES = {
    "satisfaction": (SATISFACTION_LABELS, 5, "une note de 1 à 5 ou « Très satisfait », « Satisfait »…"),
    "expression": (EXPRESSION_LABELS, 4, "« Oui », « Plutôt oui », « Plutôt non » ou « Non »"),
    "recommandation": (RECOMMENDATION_LABELS, 3, "« Oui », « Non » ou « Je ne sais pas »"),
}  # fmt: skip
SATISFIED = 4  # satisfaction 4 or 5
EXPRESSED = 3  # expression « Plutôt oui » or « Oui »
RECOMMENDS = 3  # recommandation « Oui »


REGISTRY = Registry(
    "evaluation", Adapter("generique", "questionnaire d'évaluation (tableau générique)")
)
REGISTRY.register(
    Adapter(
        "google_forms",
        "Google Forms",
        detect=lambda h: "horodateur" in h or "timestamp" in h,
    )
)
REGISTRY.register(
    Adapter(
        "limesurvey",
        "LimeSurvey",
        detect=lambda h: "submitdate" in h or "lastpage" in h,
        aliases={"date": ["submitdate"]},
    )
)
FORMATS = REGISTRY.names


def _label_key(text: str) -> str:
    """Folded label without inclusive endings (« satisfait·e », « satisfait(e) ») or punctuation."""
    s = fold(text).replace("·", "").replace("(e)", "").replace("(s)", "")
    s = re.sub(r"\b(satisfait|insatisfait)e?s?\b", r"\1", s)
    return " ".join(re.sub(r"[^a-z0-9/ ]+", " ", s).split())


def parse_level(text: str, field: str) -> int | None | str:
    """The level of one answer: int, ``None`` for an empty cell, ``"?"`` when unexplained.

    Numbers are read on the field's scale (« 4 », « 4/5 », « 4,0 », « 4 sur 5 »,
    « 4 étoiles »: 1–5 for satisfaction, 1–4 for expression, recommandation takes labels
    only), and so are stars (« ⭐⭐⭐⭐ », « ★★★★☆ »: the filled ones are counted); labels
    through the tables above. Anything else (an emoji face « 😀 », another scale) is ``"?"``,
    which the loader reports with its line and column.
    """
    labels, top, _ = SCALES[field]
    if not str(text).strip():
        return None
    key = _label_key(text)
    if not key:  # no letter nor digit: stars (« ⭐⭐⭐⭐ », « ★★★☆☆ »), emoji…
        stars = re.fullmatch(r"[\s\ufe0f\u2b50\u2605\U0001f31f\u2606]+", str(text))
        filled = len(re.findall(r"[\u2b50\u2605\U0001f31f]", str(text)))
        if stars and field != "recommandation" and 1 <= filled <= top:
            return filled
        return "?"
    if key in labels:
        return labels[key]
    m = re.fullmatch(
        r"(\d+)(?:[.,]0+)?\s*(?:etoiles?)?(?:\s*(?:/|sur)\s*(\d+))?\s*(?:etoiles?)?", fold(text)
    )
    if m and field != "recommandation":
        value, out_of = int(m.group(1)), m.group(2)
        if (out_of is None or int(out_of) == top) and 1 <= value <= top:
            return value
        return "?"
    m = re.match(r"^(\d+) ([a-z].*)$", key)  # « 5 - Très satisfait »
    if m and m.group(2) in labels:
        return labels[m.group(2)]
    return "?"


ANSWER_CODE = re.compile(r"(?:A|AO|SQ)\d{1,3}|-oth-", re.IGNORECASE)  # LimeSurvey codes


def _examples(values: pd.Series, positions: list[int], most: int = 8) -> str:
    """« a », « b »… : the distinct cells at ``positions`` (40 characters each, 8 at most)."""
    distinct = list(dict.fromkeys(one_line(values.iat[i])[:40] for i in positions))
    shown = ", ".join(f"« {v} »" for v in distinct[:most])
    return shown + (" …" if len(distinct) > most else "")


def _matches(column: str, aliases: list[str]) -> bool:
    """Whether a column name matches one of a field's aliases (as :func:`match_columns`)."""
    folded = fold_header(column)
    for alias in aliases:
        if not alias.startswith("~"):
            if folded == fold_header(alias):
                return True
        elif re.search(
            r"(?:^|[^a-z0-9])" + re.escape(fold_header(alias[1:])) + r"(?:$|[^a-z0-9])", folded
        ):
            return True
    return False


def _report_rivals(
    columns: list[str], col: dict[str, str | None], findings: list, name: str
) -> None:
    """One warning per question when other unused columns could also be that question: the
    loader reads the first one and says which, and which it leaves aside."""
    used = {c for c in col.values() if c}
    for q in QUESTIONS:
        if not col[q]:
            continue
        rivals = [c for c in columns if c not in used and _matches(c, ALIASES[q])]
        if rivals:
            others = ", ".join(f"« {c} »" for c in rivals)
            verb = "ne sont pas lues" if len(rivals) > 1 else "n'est pas lue"
            add_finding(
                findings,
                "avertissement",
                name,
                f"plusieurs colonnes peuvent être la question « {q} » : « {col[q]} » est lue, "
                f"{others} {verb}. Si ce "
                "n'est pas la bonne, renommez les colonnes dans une copie de l'export.",
                row=1,
                column=col[q],
            )


def _has_question(header: list[str]) -> bool:
    """True when a header holds one of the evaluation questions (sheet and header search)."""
    found = match_columns(header, {q: ALIASES[q] for q in QUESTIONS})
    return any(found.values())


def _duplicates(
    raw, date_column: str | None, dropped: set[int], lines: list[int], findings: list, name: str
) -> set[int]:
    """Rows identical to an earlier one in every cell, timestamp included (a form sent twice),
    each reported with the line it repeats; without a date column (or date) nothing is a
    duplicate: two people may well give the same answers."""
    if date_column is None:
        return set()
    first: dict[tuple, int] = {}
    repeats: dict[int, list[int]] = {}
    for i, row in enumerate(raw.frame.itertuples(index=False, name=None)):
        if i in dropped or not str(row[raw.frame.columns.get_loc(date_column)]).strip():
            continue
        key = tuple(" ".join(str(v).split()) for v in row)
        if key in first:
            repeats.setdefault(first[key], []).append(i)
        else:
            first[key] = i
    for original, copies in repeats.items():
        report(
            findings,
            "avertissement",
            name,
            f"réponse en double : mêmes réponses et même horodatage que la ligne "
            f"{lines[original]} (formulaire envoyé deux fois ?) ; la copie est écartée, la ligne "
            f"{lines[original]} est gardée",
            [lines[i] for i in copies],
        )
    return {i for copies in repeats.values() for i in copies}


def load_evaluation(
    path: str | Path, *, fmt: str | None = None, rules: str | Path | None = None
) -> LoadResult:
    """Load an evaluation questionnaire export; see the module docstring for columns and rules.

    Raises :class:`SourceError` (French, naming the file and the columns found) when no
    question column is recognised or ``fmt`` is unknown.
    """
    path, raw, adapter = REGISTRY.read(path, fmt, accept=_has_question)
    name, findings = raw.name, list(raw.findings)
    col = match_columns(list(raw.frame.columns), REGISTRY.aliases(adapter, ALIASES))
    if not any(col[q] for q in QUESTIONS):
        cols = list(raw.frame.columns)
        shown = ", ".join(f"« {c} »" for c in cols[:12]) + (" …" if len(cols) > 12 else "")
        raise SourceError(
            "aucune question d'évaluation reconnue ; attendu au moins une colonne « Satisfaction "
            "globale », « Avez-vous pu vous exprimer ? » ou « Recommanderiez-vous … ? » ; colonnes "
            f"trouvées : {shown}.",
            file=path,
            row=1,
            hint=(
                "Export LimeSurvey avec les codes des questions en en-tête : refaites l'export "
                "avec « Texte complet de la question » comme en-têtes et les réponses complètes."
                if adapter.name == "limesurvey"
                else "Renommez la colonne concernée dans l'export (le nom doit contenir "
                "« satisfaction », « exprimer » ou « recommander »)."
            ),
        )
    _report_rivals(list(raw.frame.columns), col, findings, name)
    n = len(raw.frame)
    lines = [raw.line_of(i) for i in range(n)] if n else []
    c = {k: cells(raw, v) for k, v in col.items()}
    misaligned = reject_misaligned(raw, findings, name)
    blank = blank_records(raw) - misaligned
    levels: dict[str, list[int | None]] = {}
    for q in QUESTIONS:
        parsed = [parse_level(v, q) if col[q] else None for v in c[q]]
        bad = [i for i, v in enumerate(parsed) if v == "?" and i not in misaligned]
        coded = [i for i in bad if ANSWER_CODE.fullmatch(c[q].iat[i])]
        if coded:
            report(
                findings,
                "avertissement",
                name,
                f"réponses codées ({_examples(c[q], coded)}) : l'export donne les codes des "
                "réponses (LimeSurvey : « Codes des réponses »), pas leurs libellés ; exportez les "
                "réponses complètes (« Réponses complètes ») ; comptées comme sans réponse",
                [lines[i] for i in coded],
                col[q],
            )
        other = [i for i in bad if i not in set(coded)]
        if other:
            report(
                findings,
                "avertissement",
                name,
                f"réponse non reconnue ({_examples(c[q], other)}) ; attendu : {SCALES[q][2]} ; "
                "comptée comme sans réponse",
                [lines[i] for i in other],
                col[q],
            )
        levels[q] = [None if v == "?" else v for v in parsed]
    texts = c["retenir"]
    empty = [
        i
        for i in range(n)
        if i not in misaligned
        and i not in blank
        and all(levels[q][i] is None for q in QUESTIONS)
        and not texts.iat[i]
    ]
    report(
        findings,
        "avertissement",
        name,
        "ligne sans aucune réponse (ni note, ni texte) : écartée",
        [lines[i] for i in empty],
    )
    if blank:
        report(findings, "info", name, "ligne vide ignorée", [lines[i] for i in blank])
    dropped = misaligned | blank | set(empty)
    dropped |= _duplicates(raw, col["date"], dropped, lines, findings, name)
    kept = [i for i in range(n) if i not in dropped]

    dates = []
    bad_dates = []
    for i in kept:
        text = c["date"].iat[i]
        d = parse_date_fr(text) if text else None
        if text and d is None:
            bad_dates.append(lines[i])
        dates.append(d)
    report(
        findings,
        "avertissement",
        name,
        "date illisible, laissée vide (attendu par exemple « 14/03/2025 13:05:00 »)",
        bad_dates,
        col["date"],
    )
    typed = [one_line(c["profil"].iat[i]) for i in kept]
    profils, unmatched = normalize_profiles(typed, rules)
    if col["profil"]:
        report_unknown_profiles(
            findings, name, unmatched, typed, [lines[i] for i in kept], col["profil"]
        )
    width = max(2, len(str(len(kept))))
    table = pd.DataFrame(
        {
            "respondent_id": [f"E{j:0{width}d}" for j in range(1, len(kept) + 1)],
            "date": pd.to_datetime(pd.Series(dates, dtype=object), errors="coerce"),
            "profil": pd.Series(profils, dtype=object),
            **{q: pd.array([levels[q][i] for i in kept], dtype="Int64") for q in QUESTIONS},
            "retenir": pd.Series([texts.iat[i] for i in kept], dtype=object),
        },
        columns=COLUMNS,
    )
    return finish(
        "evaluation",
        path,
        raw,
        table,
        findings,
        read=n,
        rejected=len(dropped),
        extra={
            "format": adapter.name,
            "format_libelle": adapter.label,
            "colonnes": {k: v for k, v in col.items() if v},
        },
    )
