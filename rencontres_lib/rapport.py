"""The territorial report: each section is computed once into a :class:`Section`, then shown.

A :class:`Report` computes, for one :class:`~rencontres_lib.rencontre.Rencontre`, small
section objects — sentences, key figures, public tables (:mod:`rencontres_lib.public`),
charts and quotes — that :func:`render` displays in the notebook and :func:`results`
serialises for the synthesis: every figure is computed once. The section functions never
display anything themselves, so they are unit-tested on hand-computed values.

Two documents come from the same sections: the **note de cadrage** (before the meeting:
objectives, what to put to each atelier, registrations against capacity and the target mix,
practical information, what earlier meetings produced) and the **compte rendu** (after it:
per atelier what was said and the proposals with their support, who came against the target
mix, next steps). Both open with « L'essentiel ».
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pandas as pd

from . import DIMENSIONS, PROFILS, __version__, charts, display, metrics
from .config import PHASE_LABELS, load_parameters, parameter_files
from .exports import atomic_write_text, write_csv, write_xlsx_sheets
from .formats import fmt_date, fmt_date_long, fmt_float, fmt_int, fmt_pct
from .geo import departements
from .loaders.contributions import COLUMNS as CONTRIBUTION_COLUMNS
from .privacy import may_identify, small_group_label
from .public import PublicTable, aggregate, people_groups, people_stages
from .rencontre import Rencontre, load_rencontre
from .text import assign_themes, load_themes, representative_quotes, theme_shares
from .textes import OrganiserTexts, load_texts, texts_path
from .vocabulary import fold

SOURCE_Q = "questionnaire du chantier ICPC"
SOURCE_TOOLS = {
    "helloasso": "HelloAsso",
    "eventbrite": "Eventbrite",
    "decidim": "Decidim",
    "generique": "fichier d'inscriptions",
}
# answers that say nothing: never a topic, never a quote (compared on folded text)
_NON_ANSWER_RE = re.compile(
    r"^(?:r\.?a\.?s\.?|rien(?: (?:a|à) (?:dire|signaler|ajouter))?|non|aucun(?:e)?|n[ée]ant|"
    r"(?:je )?ne (?:sais|sait) pas|nsp|pas d'?avis|sans avis|(?:pas )?grand[- ]chose|idem|"
    r"n/?a|ok|x+|[-/?.!…\s]*)$"
)


# ---------------------------------------------------------------- the section objects


@dataclass
class Block:
    """One thing shown in a section: ``kind`` names the display function, ``args`` its input."""

    kind: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass
class Section:
    """A computed part of the report: a title, blocks to show, public tables, raw figures."""

    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    tables: dict[str, PublicTable] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, kind: str, *args, **kwargs) -> Section:
        self.blocks.append(Block(kind, args, kwargs))
        return self

    def table(self, name: str, table: PublicTable, caption: str, **kwargs) -> Section:
        """Show a public table and export it as ``<slug>_<name>.csv``."""
        self.tables[name] = table
        return self.add("table", table, caption=caption, **kwargs)

    def export(self, name: str, table: PublicTable) -> Section:
        """Export a public table (the data behind a chart) without showing it."""
        self.tables[name] = table
        return self


_RENDERERS: dict[str, str] = {  # block kind → display function (looked up at call time)
    "heading": "section",
    "paragraph": "paragraph",
    "note": "note",
    "bullets": "bullet_list",
    "findings": "findings",
    "figures": "key_figures",
    "chart": "show",
    "table": "table",
    "quotes": "quotes",
    "organiser": "organiser_text",
}


def render(section: Section, *, heading: bool = True, level: int = 2) -> None:
    """Display a section in the notebook (each block through :mod:`rencontres_lib.display`)."""
    if heading and section.title:
        display.section(section.title, level=level)
    for block in section.blocks:
        getattr(display, _RENDERERS[block.kind])(*block.args, **block.kwargs)


# ---------------------------------------------------------------- small helpers


def _hour(hhmm: str) -> str:
    """« 9 h 30 » from « 09:30 » (no-break spaces)."""
    h, _, m = hhmm.partition(":")
    return f"{int(h)}\u00a0h\u00a0{m}" if m and m != "00" else f"{int(h)}\u00a0h"


def _people(n: int) -> str:
    return f"{fmt_int(n)} personne" + ("s" if n > 1 else "")


def perceived_dimensions(
    dims: pd.DataFrame, detail: Callable[[pd.Series, str], str]
) -> list[dict[str, str]]:
    """« Dimension la mieux perçue » and « la moins bien perçue » items of L'essentiel.

    ``dims`` has one row per dimension with columns ``dimension`` (key of ``DIMENSIONS``),
    ``part`` (share of favourable answers, proportion 0–1) and whatever ``detail`` reads;
    ``detail(row, "best" | "worst")`` writes what follows « … de réponses favorables » (the
    territorial report gives the interval, the synthesis the territories). One item only
    when the best and the worst are the same dimension; none for an empty table.
    """
    if not len(dims):
        return []
    best = dims.loc[dims["part"].idxmax()]
    worst = dims.loc[dims["part"].idxmin()]
    items = []
    for title, row, which in (("la mieux", best, "best"), ("la moins bien", worst, "worst")):
        if which == "worst" and worst["dimension"] == best["dimension"]:
            break
        text = f"« {DIMENSIONS[row['dimension']]} » : {fmt_pct(row['part'])} de réponses favorables"
        items.append(
            {"title": f"Dimension {title} perçue.", "text": text + detail(row, which) + "."}
        )
    return items


def _range(lo: float, hi: float) -> str:
    """« entre 41 et 52 % » — an interval in words, without jargon."""
    return f"entre {round(100 * lo)} et {fmt_pct(hi)}"


def _fold(text: str) -> str:
    """:func:`vocabulary.fold`, other characters than letters, digits and ``/?.!…' -`` as spaces."""
    return " ".join(re.sub(r"[^a-z0-9/?.!…' -]+", " ", fold(text)).split())


def answered_as(
    dist: pd.DataFrame, labels: list[str], inverse: set[str], texts: dict[str, str]
) -> pd.DataFrame:
    """The distribution of answers as people gave them, for export.

    ``dist`` is :func:`metrics.likert_distribution` (``rang`` reversed for ``inverse``
    statements). Columns: question_id, affirmation, reponse (the label chosen), reponses
    (answers at that level), total (in-scale answers, one per person), part (0–1), in scale
    order from the first label to the last.
    """
    k = len(labels)
    pos = [
        k + 1 - int(r) if q in inverse else int(r)
        for q, r in zip(dist["question_id"], dist["rang"], strict=True)
    ]
    out = pd.DataFrame(
        {
            "question_id": dist["question_id"].to_numpy(),
            "affirmation": dist["question_id"].map(texts).to_numpy(),
            "reponse": [labels[p - 1] for p in pos],
            "reponses": dist["n"].to_numpy(),
            "total": dist["total"].to_numpy(),
            "part": dist["part"].to_numpy(),
            "_pos": pos,
        }
    )
    return (
        out.sort_values(["question_id", "_pos"], kind="stable")
        .drop(columns="_pos")
        .reset_index(drop=True)
    )


def without_words(question: str) -> Callable[[str], str]:
    """A function removing from a text the content words (4 letters or more) of ``question``."""
    words = {w for w in re.findall(r"\w+", _fold(question)) if len(w) >= 4 or w.isdigit()}
    if not words:
        return lambda text: text

    def strip(text: str) -> str:
        return " ".join(
            w for w in str(text).split() if _fold(w).strip(".,;:!?«»()'\"") not in words
        )

    return strip


def is_non_answer(text: object) -> bool:
    """True for answers that say nothing (« RAS », « rien », « je ne sais pas », « - »…)."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return True
    return bool(_NON_ANSWER_RE.match(_fold(text).strip(" .!"))) or len(_fold(text)) < 3


def distinct_quotes(candidates: list[tuple[str, str]], k: int) -> list[tuple[str, str]]:
    """Up to ``k`` quotes with no repeat and no near-copy (similarity ≥ 0.8 on folded text),
    never a text that may still identify someone (:func:`privacy.may_identify`)."""
    out: list[tuple[str, str]] = []
    for text, who in candidates:
        if may_identify(text):
            continue
        f = _fold(text)
        if any(f == _fold(t) or SequenceMatcher(None, f, _fold(t)).ratio() >= 0.8 for t, _ in out):
            continue
        out.append((text, who))
        if len(out) == k:
            break
    return out


def fictitious(r: Rencontre) -> bool:
    return any("exemple" in Path(p).parts for p in r.params.input_paths())


def question_texts(r: Rencontre) -> dict[str, str]:
    q = r.questions
    return dict(zip(q["question_id"], q["texte"], strict=True)) if q is not None else {}


def text_questions(r: Rencontre) -> list[str]:
    """Ids of the codebook's free-text questions, in codebook order (whatever their ids)."""
    if r.questions is None:
        return []
    q = r.questions
    return list(dict.fromkeys(q.loc[q["type"] == "texte", "question_id"]))


def _question_role(qid: str, text: str) -> str:
    """« freins », « pistes », « avancees » or « autre », from the id and the wording."""
    s = _fold(f"{qid} {text}")
    if re.search(r"frein|obstacle|difficult|bloqu|limite", s):
        return "freins"
    if re.search(r"piste|propos|amelior|idee|recommand|2026|municipal", s):
        return "pistes"
    if re.search(r"avancee|acquis|reussi|positif|progres", s):
        return "avancees"
    return "autre"


AGREEMENT5 = [
    "Pas du tout d'accord",
    "Plutôt pas d'accord",
    "Ni d'accord ni pas d'accord",
    "Plutôt d'accord",
    "Tout à fait d'accord",
]


def scale_labels(r: Rencontre, question_id: str) -> list[str]:
    """The labels of a statement's scale, least to most agreement (codebook order)."""
    q = r.questions.set_index("question_id")
    name = q.loc[question_id, "echelle"] if "echelle" in q else ""
    if r.codebook is None or name not in getattr(r.codebook, "echelles", {}):
        return AGREEMENT5
    return list(r.codebook.echelles[name].libelles)


def _registrations_source(r: Rencontre) -> str:
    ins = r.inscriptions
    fmt = ""
    if ins is not None and "source_format" in ins and len(ins):
        fmt = str(ins["source_format"].iloc[0])
    return "inscriptions " + SOURCE_TOOLS.get(fmt, fmt or "").strip() if fmt else "inscriptions"


# ---------------------------------------------------------------- the report


class Report:
    """All sections of one meeting's report, each computed once on first use."""

    def __init__(self, r: Rencontre, *, draft: bool = True) -> None:
        self.r = r
        self.draft = draft
        self._cache: dict[str, Any] = {}
        path = texts_path(r.params.fichier, r.params.slug)
        self.texts: OrganiserTexts = load_texts(path)

    def _once(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    # -- shared figures ---------------------------------------------------------------

    @property
    def figures(self) -> dict:
        r = self.r
        return self._once(
            "figures",
            lambda: metrics.key_figures(r.inscriptions, r.respondents_here, r.params.capacite),
        )

    @property
    def dimensions(self) -> pd.DataFrame:
        """Favourable share per dimension here (bases in people), small bases masked."""

        def compute() -> pd.DataFrame:
            ah = self.r.answers_here
            if ah is None or not len(ah):
                return pd.DataFrame(
                    columns=["dimension", "n", "reponses", "k", "part", "bas", "haut"]
                )
            d = metrics.favorable_by_dimension(ah)
            return d[d["n"] >= self.r.seuil].reset_index(drop=True)

        return self._once("dimensions", compute)

    @property
    def comparison(self) -> pd.DataFrame:
        """% favourable per statement, this territory vs the other meeting territories."""

        def compute() -> pd.DataFrame:
            r = self.r
            if r.answers is None or r.respondents is None:
                return pd.DataFrame()
            joined = metrics.with_respondents(r.answers, r.respondents)
            joined = joined[
                joined["territoire"].isin(self.compared_territories + [r.territoire_filtre])
            ]
            fav = metrics.favorable(joined, by=["territoire"])
            return metrics.territory_comparison(fav, r.territoire_filtre)

        return self._once("comparison", compute)

    @property
    def compared_territories(self) -> list[str]:
        """The other territories of the chantier (answers « Autre territoire » excluded)."""
        r = self.r
        if r.respondents is None:
            return []
        values = [str(v) for v in r.respondents["territoire"].dropna().unique()]
        return sorted(
            v for v in values if v != r.territoire_filtre and not _fold(v).startswith("autre")
        )

    def free_text(self, qid: str) -> dict | None:
        """Themes and quotes of one free-text question here (non-answers left out)."""
        return self._once(f"texte:{qid}", lambda: self._free_text(qid))

    def _free_text(self, qid: str) -> dict | None:
        r = self.r
        if r.answers is None:
            return None
        ah = r.answers_here
        txt = ah[(ah["question_id"] == qid)]
        txt = txt[[not is_non_answer(v) for v in txt["valeur"]]]
        txt = txt.merge(r.respondents_here[["respondent_id", "profil"]], on="respondent_id")
        people = txt["respondent_id"].nunique()
        if people < r.seuil:
            return {"n": people, "shares": None, "quotes": {}}
        texts = txt["valeur"].astype(str).reset_index(drop=True)
        themes = load_themes(r.params.source("themes"))
        # words of the question itself (« pistes pour les municipales de 2026 ») are echoed by
        # many answers: they say nothing about the theme, so they are left out of the matching
        matched = texts.map(without_words(question_texts(r).get(qid, "")))
        shares = theme_shares(matched, themes)
        assignments = assign_themes(matched, themes)
        profil_counts = txt["profil"].value_counts()
        quotes: dict[str, list[tuple[str, str]]] = {}
        used: list[tuple[str, str]] = []  # a quote illustrates one theme only
        for theme_id in list(shares["theme"].head(3)):
            if theme_id not in set(assignments["theme"]):
                continue
            idx = representative_quotes(texts, assignments, theme_id, k=6)
            cands = []
            for i in idx:
                if self.texts.is_excluded(texts.iloc[i]):
                    continue
                if distinct_quotes([*used, (texts.iloc[i], "")], len(used) + 1) == used:
                    continue
                prof = txt["profil"].iloc[i]
                who = (
                    PROFILS.get(prof, prof)
                    if profil_counts.get(prof, 0) >= r.seuil
                    else "profil non précisé (effectif trop faible)"
                )
                cands.append((texts.iloc[i], f"{who}, {r.params.territoire}"))
            cands.sort(key=lambda c: not self.texts.is_pinned(c[0]))
            quotes[theme_id] = distinct_quotes(cands, 1)
            used += quotes[theme_id]
        return {"n": people, "shares": shares, "quotes": quotes}

    def leading_proposals(self, k: int = 3) -> pd.DataFrame:
        c = self.r.contributions
        if c is None or c.empty or self.r.params.phase != "compte_rendu":
            return pd.DataFrame()
        return c.sort_values(
            ["soutiens", "titre"], ascending=[False, True], na_position="last"
        ).head(k)

    # -- sections ---------------------------------------------------------------------

    def header(self) -> Section:
        r, p = self.r, self.r.params
        s = Section("entete", "")
        infos = [f"Date : {fmt_date_long(p.date)}"]
        if p.lieu:
            infos.append(f"Lieu : {p.lieu}")
        if p.partenaires:
            infos.append("Partenaires : " + ", ".join(p.partenaires))
        moment = "avant" if p.phase == "cadrage" else "après"
        infos.append(f"Document : {PHASE_LABELS[p.phase].lower()} ({moment} la rencontre)")
        s.add("bullets", infos, css="entete")
        if fictitious(r):
            s.add(
                "paragraph",
                "Données fictives : ce rapport est construit sur le jeu d'exemple du projet, pas sur de vraies réponses.",
                css="avertissement",
            )
        if r.failures:
            names = ", ".join(sorted(r.failures))
            s.add(
                "paragraph",
                f"Sources non chargées : {names}. Les parties correspondantes manquent ; le détail "
                "est donné à l'équipe organisatrice par « rencontres check ».",
                css="avertissement",
            )
        return s

    def essentiel(self) -> Section:
        """« L'essentiel »: five findings or more, each with its number and base in people."""
        return self._once("essentiel", self._essentiel)

    def _essentiel(self) -> Section:
        r, p, f = self.r, self.r.params, self.figures
        items: list[dict] = []
        # participation
        if f["inscrits"] is not None:
            if p.phase == "compte_rendu" and f["presents"]:
                text = f"{_people(f['presents'])} présentes sur {fmt_int(f['inscrits'])} inscrites"
                if f["taux_presence"] is not None:
                    text += f" ({fmt_pct(f['taux_presence'])} des personnes pointées)"
                if p.capacite:
                    text += f", pour {fmt_int(p.capacite)} places"
                    over = self.over_capacity()
                    if over:
                        n_over, came = over["au_dela"], over["venues"]
                        text += (
                            f" ; {fmt_int(n_over)} inscription{'s' if n_over > 1 else ''} au-delà "
                            f"de la capacité, dont {fmt_int(came)} finalement venue{'s' if came > 1 else ''}"
                        )
                items.append({"title": "Participation.", "text": text + "."})
            elif p.capacite:
                ratio = f["inscrits"] / p.capacite
                text = f"{fmt_int(f['inscrits'])} inscriptions pour {fmt_int(p.capacite)} places ({fmt_pct(ratio)} de la capacité)"
                if f["inscrits"] > p.capacite:
                    text += f", dont {fmt_int(f['inscrits'] - p.capacite)} au-delà de la capacité (liste d'attente)"
                items.append({"title": "Inscriptions.", "text": text + "."})
        items += perceived_dimensions(
            self.dimensions,
            lambda row, which: (
                f" ({_range(row['bas'], row['haut'])}), {_people(int(row['n']))}"
                + (" ayant répondu" if which == "best" else "")
            ),
        )
        gap = self.largest_gap()
        if gap:
            items.append(
                {
                    "title": "Écart avec les autres territoires.",
                    "text": f"« {gap['texte']} » : {fmt_pct(gap['ici'])} d'avis favorables ici "
                    f"({_people(gap['n_ici'])}), contre {fmt_pct(gap['ailleurs'])} dans les autres "
                    f"territoires du chantier ({_people(gap['n_ailleurs'])}).",
                }
            )
        for qid in text_questions(r):
            role = _question_role(qid, question_texts(r).get(qid, ""))
            if role not in ("freins", "pistes"):
                continue
            ft = self.free_text(qid)
            if not ft or ft["shares"] is None or not len(ft["shares"]):
                continue
            top = ft["shares"].iloc[0]
            quote = next(iter(ft["quotes"].get(top["theme"], [])), None)
            label = "Frein le plus cité." if role == "freins" else "Piste la plus citée."
            items.append(
                {
                    "title": label,
                    "text": f"« {top['libelle']} » ({fmt_int(top['n'])} réponses sur {_people(ft['n'])}).",
                    "quote": quote[0] if quote else "",
                    "who": quote[1] if quote else "",
                }
            )
        e = r.entretiens
        if e is not None and len(e):
            top_theme = e["theme"].value_counts()
            items.append(
                {
                    "title": "Entretiens.",
                    "text": f"{fmt_int(len(e))} extraits d'entretiens ; thème le plus abordé : « {top_theme.index[0]} » "
                    f"({fmt_int(int(top_theme.iloc[0]))} extraits).",
                }
            )
        ev = self.evaluation()
        shown = [(c, q) for c, q in (ev or {}).get("questions", {}).items() if not q.get("masque")]
        if shown:
            col, q = shown[0]
            _, _, verb, criterion = self.EVALUATION_QUESTIONS[col]
            who = (
                f"{fmt_int(ev['n'])} des {fmt_int(ev['presents'])} personnes présentes ont répondu"
                if ev["taux"] is not None
                else f"{_people(ev['n'])} {'ont' if ev['n'] > 1 else 'a'} répondu"
            )
            items.append(
                {
                    "title": "Évaluation de la rencontre.",
                    "text": f"{fmt_pct(q['part'])} des personnes qui ont répondu {verb} "
                    f"({criterion}), {_range(q['bas'], q['haut'])} ; {who}.",
                }
            )
        lead = self.leading_proposals(3)
        if len(lead):
            listing = " ; ".join(
                f"« {t} » ({fmt_int(s)} soutien{'s' if s and s > 1 else ''})"
                for t, s in zip(lead["titre"], lead["soutiens"].fillna(0).astype(int), strict=True)
            )
            items.append({"title": "Propositions les plus soutenues.", "text": listing + "."})
        s = Section("essentiel", "L'essentiel")
        s.add("findings", items)
        s.data["constats"] = [f"{i['title']} {i['text']}" for i in items]
        return s

    def over_capacity(self) -> dict | None:
        """Registrations beyond capacity and how many of those people came (compte rendu)."""
        r, cap = self.r, self.r.params.capacite
        if r.inscriptions is None or not cap:
            return None
        split = metrics.waitlist_split(r.inscriptions, cap)
        beyond = split[split["place"] == "liste d'attente"]
        if beyond.empty:
            return None
        return {"au_dela": len(beyond), "venues": int((beyond["statut"] == "present").sum())}

    def largest_gap(self) -> dict | None:
        cmp = self.comparison
        if cmp is None or cmp.empty:
            return None
        seuil = self.r.seuil
        wide = cmp.pivot_table(index="question_id", columns="groupe", values=["part", "n"])
        if ("part", "ce territoire") not in wide or ("part", "autres territoires") not in wide:
            return None
        ok = (wide[("n", "ce territoire")] >= seuil) & (wide[("n", "autres territoires")] >= seuil)
        gap = (wide[("part", "ce territoire")] - wide[("part", "autres territoires")])[ok].dropna()
        if gap.empty:
            return None
        q = gap.abs().idxmax()
        return {
            "question_id": q,
            "texte": question_texts(self.r).get(q, q),
            "ici": float(wide.loc[q, ("part", "ce territoire")]),
            "ailleurs": float(wide.loc[q, ("part", "autres territoires")]),
            "n_ici": int(wide.loc[q, ("n", "ce territoire")]),
            "n_ailleurs": int(wide.loc[q, ("n", "autres territoires")]),
        }

    # -- the meeting's evaluation questionnaire (optional source) ------------------------

    EVALUATION_QUESTIONS = {  # loader column → (label, lowest favourable level, verb, criterion)
        "satisfaction": ("Satisfaction globale", 4, "se disent satisfaites", "note de 4 ou 5 sur 5"),
        "expression": ("Prise de parole", 3, "ont pu s'exprimer", "« Oui » ou « Plutôt oui »"),
        "recommandation": ("Recommandation", 3, "recommanderaient ce format de rencontre",
                           "« Oui » ; « Je ne sais pas » compris dans la base"),
    }  # fmt: skip
    EVALUATION_SIDES = {  # the two sides of each share, in words (small-group rule)
        "satisfaction": "satisfaites ou non satisfaites",
        "expression": "qui ont pu s'exprimer ou non",
        "recommandation": "qui recommanderaient ce format ou non",
    }

    def evaluation(self) -> dict | None:
        """Figures of the evaluation questionnaire, or None without that source.

        From ``r.evaluation`` (see :mod:`rencontres_lib.loaders.evaluation`: one row per
        person who answered). Returns ``n`` (people who answered), ``presents`` and ``taux``
        (n / people present, 0–1; None when attendance is unknown or n exceeds it), and for
        each question answered by at least k people (k = ``seuil_confidentialite``):
        ``base`` (people who answered it), ``k`` (favourable answers: satisfaction 4–5,
        expression « Oui »/« Plutôt oui », recommandation « Oui »; « Je ne sais pas » stays
        in the base), ``part`` (0–1) with its 95 % Wilson interval ``bas``/``haut``
        (:func:`metrics.wilson`; Wilson 1927), and ``moyenne`` (mean mark 1–5, satisfaction
        only). With fewer than k people in all, only ``n`` is given (``questions`` empty).

        Small-group rule (primary suppression, as :func:`public.people_groups` does for
        profiles): when the favourable or the other side counts 1 to k − 1 people, the share
        would tell what a handful of people answered, so the question keeps only ``libelle``,
        ``base`` and ``masque`` (True); ``k``, ``part``, ``bas``, ``haut`` and ``moyenne`` are
        not given. A side of 0 people is not small (nobody to single out), as everywhere else.
        """
        return self._once("evaluation", self._evaluation)

    def _evaluation(self) -> dict | None:
        r, ev = self.r, self.r.evaluation
        if ev is None or r.params.phase != "compte_rendu":
            return None
        n = len(ev)
        presents = self.figures.get("presents") if r.inscriptions is not None else None
        out: dict[str, Any] = {
            "n": n,
            "presents": presents or None,
            "taux": n / presents if presents and n <= presents else None,
            "questions": {},
        }
        if n < r.seuil:
            return out
        for col, (label, fav, _, _) in self.EVALUATION_QUESTIONS.items():
            values = ev[col].dropna().astype(int)
            if len(values) < r.seuil:
                continue
            k = int((values >= fav).sum())
            if 0 < min(k, len(values) - k) < r.seuil:
                out["questions"][col] = {"libelle": label, "base": len(values), "masque": True}
                continue
            part, lo, hi = metrics.wilson(k, len(values))
            q = {"libelle": label, "base": len(values), "k": k, "part": part, "bas": lo, "haut": hi}
            if col == "satisfaction":
                q["moyenne"] = float(values.mean())
            out["questions"][col] = q
        return out

    def evaluation_by_profile(self) -> PublicTable:
        """Favourable share per profile and question (exported, never shown).

        Columns: question, profil, n (people of that profile who answered it), part (0–1).
        A profile of fewer than k people is masked, with secondary suppression within each
        question (:func:`public.people_groups`); so is a share resting on 1 to k − 1 people
        on one side (it would tell what a handful of people of one profile answered).
        """
        r, ev = self.r, self.r.evaluation
        rows = []
        for col, (label, fav, _, _) in self.EVALUATION_QUESTIONS.items():
            sub = ev.loc[ev[col].notna(), ["profil", col]]
            for prof, g in sub.groupby("profil", sort=True):
                k = int((g[col].astype(int) >= fav).sum())
                side = min(k, len(g) - k)
                thin = 0 < side < r.seuil
                rows.append(
                    {
                        "question": label,
                        "profil": PROFILS.get(prof, prof),
                        "n": len(g),
                        "part": float("nan") if thin else k / len(g),
                    }
                )
        df = pd.DataFrame(rows, columns=["question", "profil", "n", "part"])
        return people_groups(df, r.seuil, values=["part"], by=["question"])

    def evaluation_quotes(self, k: int = 2) -> list[tuple[str, str]]:
        """Up to ``k`` answers to « Ce que vous retiendrez », already scrubbed at loading:
        non-answers and texts holding a mask (« [courriel masqué] ») left out, organiser's
        exclusions applied and pins first, the most representative first
        (:func:`text.representative_quotes`), no near-copies. The attribution is the profile
        only when at least k people of that profile answered the evaluation."""
        r, ev = self.r, self.r.evaluation
        texts = ev["retenir"].fillna("").astype(str)
        ok = [
            bool(t) and not is_non_answer(t) and "masqué]" not in t and "masquée]" not in t
            for t in texts
        ]
        texts = texts[ok]
        if len(texts) < r.seuil:
            return []
        assign = pd.DataFrame({"index": texts.index, "theme": "evaluation"})
        order = representative_quotes(texts, assign, "evaluation", k=len(texts))
        counts = ev["profil"].value_counts()
        cands = []
        for i in order:
            if self.texts.is_excluded(texts[i]):
                continue
            prof = ev.at[i, "profil"]
            who = (
                PROFILS.get(prof, prof)
                if counts.get(prof, 0) >= r.seuil and prof in PROFILS
                else "profil non précisé"
            )
            cands.append((texts[i], f"{who}, questionnaire d'évaluation"))
        cands.sort(key=lambda c: not self.texts.is_pinned(c[0]))
        return distinct_quotes(cands, k)

    def evaluation_section(self) -> Section | None:
        """« Évaluation de la rencontre » (compte rendu with an evaluation source only)."""
        ev = self.evaluation()
        if ev is None:
            return None
        r = self.r
        s = Section("evaluation", "Évaluation de la rencontre")
        n = ev["n"]
        if ev["taux"] is not None:
            lead = (
                f"{fmt_int(n)} des {fmt_int(ev['presents'])} personnes présentes ont répondu au "
                f"questionnaire d'évaluation ({fmt_pct(ev['taux'])})."
            )
        else:
            lead = f"{_people(n)} {'ont' if n > 1 else 'a'} répondu au questionnaire d'évaluation."
        s.add("paragraph", lead)
        if not ev["questions"]:
            s.add("note", f"Trop peu de réponses pour les publier ({small_group_label(r.seuil)}).")
            s.data = ev
            return s
        items = []
        for col, q in ev["questions"].items():
            _, _, verb, criterion = self.EVALUATION_QUESTIONS[col]
            if q.get("masque"):
                items.append(
                    f"{q['libelle']} : {_people(q['base'])} ont répondu ; moins de "
                    f"{fmt_int(r.seuil)} personnes d'un des deux côtés ({self.EVALUATION_SIDES[col]}) : "
                    "part non publiée (règle des petits effectifs)."
                )
                continue
            text = (
                f"{q['libelle']} : {fmt_pct(q['part'])} {verb} ({criterion}), "
                f"{_range(q['bas'], q['haut'])} ; {_people(q['base'])}"
            )
            if "moyenne" in q:
                text += f" ; note moyenne {fmt_float(q['moyenne'])} sur 5"
            items.append(text + ".")
        s.add("bullets", items, css="evaluation")
        quotes = self.evaluation_quotes(2)
        if quotes:
            s.add(
                "paragraph",
                "Ce que les personnes retiendront — exemples de réponses :",
                css="sous-titre",
            )
            s.add("quotes", quotes)
        s.export("evaluation_par_profil", self.evaluation_by_profile())
        s.add(
            "note",
            f"Détail par profil : tableau exporté « {r.params.slug}_evaluation_par_profil.csv » "
            f"(profils de moins de {r.seuil} personnes masqués).",
        )
        s.data = ev
        return s

    def introduction(self) -> Section:
        s = Section("introduction", "")
        s.add(
            "organiser",
            self.texts.html("introduction"),
            "introduction de l'équipe organisatrice (fichier de textes, section « ## Introduction »)",
            draft=self.draft,
        )
        return s

    def objectifs(self) -> Section:
        p = self.r.params
        s = Section("objectifs", "Objectifs et déroulé")
        if p.objectifs:
            s.add("bullets", p.objectifs, css="objectifs")
        if p.deroule:
            df = pd.DataFrame(
                [
                    {
                        "Heure": e.heure.lstrip("0").replace(":", "\u00a0h\u00a0")
                        if not e.heure.startswith("00")
                        else e.heure,
                        "Séquence": e.titre,
                        "Intervenants": ", ".join(e.intervenants),
                    }
                    for e in p.deroule
                ]
            )
            s.add(
                "table",
                aggregate(df, "programme de la rencontre"),
                caption="Déroulé de la rencontre",
                sortable=False,
            )
        return s

    def ateliers_questions(self) -> Section:
        """Note de cadrage: questions to put to the ateliers, from the weakest dimensions and freins."""
        r = self.r
        s = Section("questions", "Questions à mettre en débat dans les ateliers")
        qs: list[str] = []
        dims = self.dimensions.sort_values("part") if len(self.dimensions) else self.dimensions
        texts = question_texts(r)
        for _, d in dims.head(2).iterrows():
            dim = d["dimension"]
            lik = metrics.favorable(r.answers_here) if r.answers is not None else pd.DataFrame()
            lik = lik[(lik["dimension"] == dim) & (lik["n"] >= r.seuil)] if len(lik) else lik
            weakest = lik.sort_values("part").iloc[0] if len(lik) else None
            qs.append(
                f"{DIMENSIONS[dim]} ({fmt_pct(d['part'])} d'avis favorables ici) : qu'est-ce qui permettrait de progresser"
                + (
                    f" sur « {texts.get(weakest['question_id'], '')} » ({fmt_pct(weakest['part'])} d'avis favorables) ?"
                    if weakest is not None
                    else " ?"
                )
            )
        for qid in text_questions(r):
            if _question_role(qid, texts.get(qid, "")) != "freins":
                continue
            ft = self.free_text(qid)
            if ft and ft["shares"] is not None:
                for _, t in ft["shares"].head(2).iterrows():
                    if t["theme"] != "autres":
                        qs.append(
                            f"Comment lever le frein « {t['libelle']} », cité dans {fmt_int(t['n'])} réponses ?"
                        )
        if qs:
            s.add("bullets", qs, css="questions-ateliers")
        else:
            s.add(
                "note", "Pas encore assez de réponses au questionnaire pour proposer des questions."
            )
        return s

    def participation(self) -> Section:
        r, p, f = self.r, self.r.params, self.figures
        s = Section("participation", "Participation")
        if r.inscriptions is None:
            s.add("note", "Pas de fichier d'inscriptions pour cette rencontre.")
            return s
        cards: dict[str, str] = {"personnes inscrites": fmt_int(f["inscrits"])}
        if p.phase == "compte_rendu" and f["presents"]:
            cards["personnes présentes"] = fmt_int(f["presents"])
            if f["taux_presence"] is not None:
                cards["taux de présence"] = fmt_pct(f["taux_presence"])
        if p.capacite:
            cards["places"] = fmt_int(p.capacite)
        if f["repondants"] is not None:
            cards["personnes ayant répondu au questionnaire (territoire)"] = fmt_int(
                f["repondants"]
            )
        s.add("figures", cards)
        active = metrics.active_registrations(r.inscriptions)
        cancelled = f["annules"] or 0
        if cancelled:
            s.add(
                "paragraph",
                f"{fmt_int(f['inscrits'])} inscriptions actives ; {fmt_int(cancelled)} "
                f"inscription{'s' if cancelled > 1 else ''} annulée{'s' if cancelled > 1 else ''} "
                "ne sont pas comptées.",
            )
        who = active if p.phase == "cadrage" else active[active["statut"] == "present"]
        label = "Personnes inscrites" if p.phase == "cadrage" else "Personnes présentes"
        people_word = "inscrites" if p.phase == "cadrage" else "présentes"
        mixes: dict[str, PublicTable] = {}
        groups = people_groups(metrics.profile_mix(who["profil"]), r.seuil, values=["part"])
        mixes[f"{label} ({p.territoire})"] = groups
        title = f"Profils des personnes {people_word}"
        if p.mix_cible:
            total = sum(p.mix_cible.values()) or 1
            target = pd.DataFrame(
                {
                    "profil": list(p.mix_cible),
                    "n": 0,
                    "part": [v / total for v in p.mix_cible.values()],
                }
            )
            mixes["Composition visée"] = aggregate(target, "composition visée (paramètres)")
            title += " et composition visée"
            s.data["mix"] = self._mix_gaps(groups, len(who), p.mix_cible, total)
            gaps = s.data["mix"]
            if gaps:
                lead = (
                    "Profils à mobiliser d'ici la rencontre :"
                    if p.phase == "cadrage"
                    else "Écarts à la composition visée (personnes présentes) :"
                )
                s.add("paragraph", lead, css="sous-titre")
                s.add("bullets", gaps, css="mix")
        s.export("profils", groups)
        fig = charts.profile_mix_bars(
            mixes,
            title=title,
            source=_registrations_source(r)
            + (" ; paramètres de la rencontre" if p.mix_cible else ""),
        )
        fig.layout.meta = {**(fig.layout.meta or {}), "n": len(who)}  # the base of the shares
        s.add("chart", fig)
        if p.phase == "compte_rendu":
            fun = metrics.funnel(r.inscriptions, None)[["inscrits", "presents"]]
            nested = people_stages(fun, r.seuil)
            s.export(
                "inscrits_presents_par_profil",
                nested.rename(index=PROFILS).with_index_column("profil"),
            )
            s.add(
                "chart",
                charts.funnel_bars(
                    nested,
                    title="Personnes inscrites et présentes par profil (les présentes font partie des inscrites)",
                    source=_registrations_source(r),
                    suppressed="masqué",
                ),
            )
            over = self.over_capacity()
            if over:
                s.add(
                    "paragraph",
                    f"{fmt_int(over['au_dela'])} inscriptions sont arrivées au-delà des {fmt_int(p.capacite)} places ; "
                    f"{fmt_int(over['venues'])} de ces personnes sont finalement venues.",
                )
        else:
            daily = metrics.registrations_over_time(r.inscriptions)
            if len(daily):
                s.add(
                    "chart",
                    charts.registrations_timeline(
                        aggregate(daily, "inscriptions cumulées par jour"),
                        capacite=p.capacite,
                        date_rencontre=p.date,
                        title="Rythme des inscriptions",
                        source=_registrations_source(r),
                    ),
                )
            split = metrics.waitlist_split(r.inscriptions, p.capacite)
            waiting = int((split["place"] == "liste d'attente").sum())
            if waiting:
                s.add(
                    "paragraph",
                    f"Alerte : {fmt_int(len(split))} inscriptions actives pour {fmt_int(p.capacite)} places ; "
                    f"{_people(waiting)} sur liste d'attente (par ordre d'inscription).",
                    css="alerte",
                )
        counts = metrics.departement_counts(r.inscriptions)
        deps = people_groups(counts, r.seuil)
        s.export("inscrits_par_departement", deps)
        if len(counts) and p.phase != "cadrage":
            s.add(
                "note",
                "D'où viennent les personnes inscrites : tableau exporté "
                f"« {p.slug}_inscrits_par_departement.csv » (départements de moins de {r.seuil} "
                "personnes masqués).",
            )
        if len(counts) and p.phase == "cadrage":  # where to reach people: before the meeting
            fig = charts.departement_map(
                deps,
                departements(),
                threshold=r.seuil,
                title="D'où viennent les personnes inscrites ?",
                source=_registrations_source(r)
                + " (code postal) ; contours IGN Admin Express / INSEE (Licence Ouverte)",
            )
            fig.update_layout(height=min(fig.layout.height or 420, 420))
            s.add("chart", fig)
        return s

    def _mix_gaps(
        self, groups: PublicTable, n_people: int, target: dict[str, float], total: float
    ) -> list[str]:
        """Sentences on the target mix: which profiles to reach and how many.

        Counts come from the public table ``groups`` (profil, n): a masked profile is said to
        be « non publié », never given, so the sentence cannot undo the suppression.
        """
        r, p = self.r, self.r.params
        shown = dict(zip(groups.frame["profil"], groups.frame["n"], strict=True))
        base = p.capacite if (p.phase == "cadrage" and p.capacite) else n_people
        out = []
        for prof, share in target.items():
            want = round(base * share / total)
            have = shown.get(prof, 0)
            label = PROFILS.get(prof, prof)
            if have is pd.NA or (not isinstance(have, str) and pd.isna(have)):
                out.append(
                    f"{label} : effectif non publié (moins de {r.seuil} personnes ou secret statistique), {fmt_int(want)} visées."
                )
                continue
            have = int(have)
            if have >= want:
                continue
            if p.phase == "cadrage":
                out.append(
                    f"{label} : {fmt_int(have)} inscrites pour {fmt_int(want)} visées, soit {fmt_int(want - have)} à mobiliser."
                )
            else:
                out.append(f"{label} : {fmt_int(have)} présentes pour {fmt_int(want)} visées.")
        return out

    def dimensions_section(self) -> Section:
        r = self.r
        s = Section("dimensions", "Les cinq dimensions d'impact")
        if r.answers is None:
            s.add("note", "Pas de questionnaire pour cette rencontre.")
            return s
        dims = self.dimensions
        if not len(dims):
            s.add("note", f"{small_group_label(r.seuil).capitalize()} : résultats non publiés.")
            return s
        # overview: this territory vs the others, per dimension
        joined = metrics.with_respondents(r.answers, r.respondents)
        joined = joined[
            joined["territoire"].isin(self.compared_territories + [r.territoire_filtre])
        ]
        joined = joined.assign(
            groupe=joined["territoire"].map(
                lambda t: "ce territoire" if t == r.territoire_filtre else "autres territoires"
            )
        )
        by_dim = metrics.favorable_by_dimension(joined, by=["groupe"])
        by_dim = by_dim.rename(columns={"dimension": "question_id"}).assign(
            dimension=by_dim["dimension"]
        )
        overview = people_groups(
            by_dim,
            r.seuil,
            values=["reponses", "k", "part", "bas", "haut"],
            by=["question_id"],
            partition=False,
        )
        s.export("favorable_par_dimension", overview)
        others = ", ".join(self.compared_territories) or "aucun"
        s.add(
            "chart",
            charts.favorable_compare(
                overview,
                {d: lab for d, lab in DIMENSIONS.items()},
                title="Part de réponses favorables par dimension : ce territoire et les autres",
                source=f"{SOURCE_Q} ; autres territoires : {others}",
            ),
        )
        texts = question_texts(r)
        q = r.questions.set_index("question_id")
        inverse = set(q.index[q["inverse"].fillna(False).astype(bool)]) if "inverse" in q else set()
        lik_all = metrics.likert_answers(r.answers_here)
        s.add(
            "bullets",
            [
                f"{DIMENSIONS[d['dimension']]} : {fmt_pct(d['part'])} de réponses favorables "
                f"({_range(d['bas'], d['haut'])}), {_people(int(d['n']))}."
                for _, d in dims.iterrows()
            ],
            css="dimensions",
        )
        detail = [d for d in DIMENSIONS if d in set(dims["dimension"])]
        if r.params.phase == "cadrage":  # before the meeting: the two weakest dimensions in detail
            detail = list(dims.sort_values("part")["dimension"].head(2))
        for dim in detail:
            lik = lik_all[lik_all["dimension"] == dim]
            if lik.empty:
                continue
            labels = scale_labels(r, lik["question_id"].iloc[0])
            dist = metrics.likert_distribution(lik, len(labels))
            s.export(
                f"repartition_{dim}",
                aggregate(
                    answered_as(dist[dist["total"] >= r.seuil], labels, inverse, texts),
                    f"réponses par niveau de l'échelle (bases de {r.seuil} personnes au moins)",
                ),
            )
            s.export(f"favorable_par_profil_{dim}", self._by_profile(lik, texts))
        if r.params.phase == "compte_rendu":  # the cadrage quotes the weakest statements instead
            for chart in self.statement_charts(lik_all, detail, inverse):
                s.add("chart", chart)
        s.add(
            "note",
            "Le détail par profil de chaque affirmation est dans les tableaux exportés "
            f"(« {r.params.slug}_favorable_par_profil_<dimension>.csv »).",
        )
        return s

    def statement_charts(self, lik_all: pd.DataFrame, dims: list[str], inverse: set[str]) -> list:
        """The answers to the statements of ``dims``, as given, in as few charts as possible.

        One diverging chart per answer scale (the example has one: agreement in five levels),
        each statement labelled with its dimension; statements with fewer than k people left
        out. Returns plotly figures.
        """
        r = self.r
        texts = question_texts(r)
        by_scale: dict[tuple, list[str]] = {}
        for dim in dims:
            qids = list(dict.fromkeys(lik_all.loc[lik_all["dimension"] == dim, "question_id"]))
            for q in qids:
                by_scale.setdefault(tuple(scale_labels(r, q)), []).append(q)
        out = []
        for labels, qids in by_scale.items():
            lik = lik_all[lik_all["question_id"].isin(qids)]
            dist = metrics.likert_distribution(lik, len(labels))
            dist = dist[dist["total"] >= r.seuil]
            if dist.empty:
                continue
            dim_of = dict(zip(lik["question_id"], lik["dimension"], strict=False))
            named = {q: f"{DIMENSIONS.get(dim_of.get(q), '')} — {texts.get(q, q)}" for q in qids}
            order = pd.Categorical(
                dist["question_id"].astype(str), categories=[str(q) for q in qids], ordered=True
            )
            dist = dist.assign(_o=order).sort_values(["_o", "rang"]).drop(columns="_o")
            fav = metrics.favorable(lik)
            which = (
                " et ".join(DIMENSIONS[d] for d in dims)
                if len(dims) <= 2
                else "les cinq dimensions"
            )
            fig = charts.diverging_likert(
                aggregate(dist, "réponses par niveau de l'échelle"),
                list(labels),
                named,
                title=f"Les réponses aux affirmations : {which}",
                source=f"{SOURCE_Q}, {r.params.territoire}",
                inverse=inverse,
                favorable=dict(zip(fav["question_id"], fav["part"], strict=True)),
            )
            # one printed A4 page at most (≈ 1030 px of printable height)
            fig.update_layout(height=min(fig.layout.height or 900, 940))
            out.append(fig)
        return out

    def _by_profile(self, lik: pd.DataFrame, texts: dict[str, str]) -> PublicTable:
        """Favourable share per statement and profile (exported, not shown).

        Profiles of fewer than k people are masked (with secondary suppression per
        statement), and so is a share that rests on fewer than k people on one side (1 to
        k − 1 people favourable, or unfavourable): it would say what a handful of people of
        one profile answered. The number of favourable people is not published.
        """
        joined = metrics.with_respondents(lik, self.r.respondents_here)
        fav = metrics.favorable(joined, by=["profil"])
        side = fav[["k"]].assign(other=fav["n"] - fav["k"]).min(axis=1)
        thin = (side > 0) & (side < self.r.seuil)
        fav = fav.assign(
            affirmation=fav["question_id"].map(texts),
            profil=fav["profil"].map(lambda p: PROFILS.get(p, p)),
            part=fav["part"].mask(thin),
            bas=fav["bas"].mask(thin),
            haut=fav["haut"].mask(thin),
        )
        cols = ["affirmation", "profil", "n", "part", "bas", "haut"]
        return people_groups(fav[cols], self.r.seuil, by=["affirmation"])

    def free_text_section(self) -> Section:
        r = self.r
        s = Section("reponses_libres", "Réponses libres")
        texts = question_texts(r)
        qids = text_questions(r)
        if not qids:
            s.add("note", "Le questionnaire n'a pas de question ouverte.")
            return s
        if r.params.phase == "cadrage":  # before the meeting: what holds back and what to try
            roles = {q: _question_role(q, texts.get(q, "")) for q in qids}
            kept = [q for q in qids if roles[q] in ("freins", "pistes")]
            qids = kept or qids
        for qid in qids:
            s.add("heading", texts.get(qid, qid), level=3)
            ft = self.free_text(qid)
            if not ft or ft["shares"] is None:
                s.add(
                    "note", f"Trop peu de réponses à cette question ({small_group_label(r.seuil)})."
                )
                continue
            shares = ft["shares"]
            s.export(
                f"themes_{qid}",
                aggregate(
                    shares.rename(columns={"n": "reponses"}),
                    "réponses par thème (pas des personnes)",
                ),
            )
            s.add(
                "chart",
                charts.share_bars(
                    aggregate(shares.head(5), "réponses par thème"),
                    "libelle",
                    "part",
                    title=f"Thèmes des réponses : {texts.get(qid, qid)}",
                    source=f"{SOURCE_Q}, réponses libres, {r.params.territoire}",
                    n=ft["n"],
                ),
            )
            shown_themes = list(ft["quotes"].items())[:2]  # the two leading themes, one quote each
            for theme_id, quotes in shown_themes:
                if not quotes:
                    continue
                label = shares.loc[shares["theme"] == theme_id, "libelle"].iloc[0]
                s.add("paragraph", f"« {label} » — exemples de réponses :", css="sous-titre")
                s.add("quotes", quotes)
        return s

    def interviews(self) -> Section:
        r = self.r
        s = Section("entretiens", "Entretiens")
        e = r.entretiens
        if e is None or e.empty:
            s.add("note", "Aucun extrait d'entretien pour ce territoire.")
            return s
        counts = (
            e.groupby("theme")
            .size()
            .rename("extraits")
            .reset_index()
            .sort_values(["extraits", "theme"], ascending=[False, True])
        )
        s.export("entretiens_par_theme", aggregate(counts, "extraits d'entretiens par thème"))
        fav = self.dimensions
        shown = 0
        for theme in counts["theme"]:
            g = e[e["theme"] == theme]
            dim = g["dimension"].iloc[0] if "dimension" in g else ""
            lead = f"Thème « {theme} » ({fmt_int(len(g))} extraits)"
            if dim and len(fav) and dim in set(fav["dimension"]):
                row = fav[fav["dimension"] == dim].iloc[0]
                lead += f" — au questionnaire, {fmt_pct(row['part'])} de réponses favorables sur la dimension « {DIMENSIONS[dim]} »."
            s.add("paragraph", lead, css="sous-titre")
            cands = [
                (t, f"{PROFILS.get(p, p)}, entretien")
                for t, p in zip(g["texte"], g["profil"], strict=True)
                if not self.texts.is_excluded(t) and not is_non_answer(t)
            ]
            cands.sort(key=lambda c: not self.texts.is_pinned(c[0]))
            s.add("quotes", distinct_quotes(cands, 1))
            shown += 1
            if shown == 3:
                break
        if len(counts) > 3:
            rest = ", ".join(f"« {t} »" for t in counts["theme"].iloc[3:])
            s.add(
                "note",
                f"Autres thèmes abordés : {rest} (extraits dans les tableaux exportés par thème).",
            )
        return s

    def proposals(self) -> Section:
        r = self.r
        s = Section("propositions", "Ateliers et propositions")
        c = r.contributions
        if r.params.phase == "cadrage":
            s.add("note", "Les propositions seront recueillies pendant la rencontre.")
            return s
        if c is None or c.empty:
            s.add("note", "Aucune proposition pour cette rencontre.")
            return s
        df = c.sort_values(["soutiens", "titre"], ascending=[False, True], na_position="last")
        status = {}
        if r.votes is not None and len(r.votes):
            cons = metrics.consensus(
                r.votes.rename(columns={"accords": "pour", "desaccords": "contre"})
            )
            status = dict(zip(cons["proposition_id"], cons["statut"], strict=True))
        table = pd.DataFrame(
            {
                "Atelier": df["atelier"].fillna(""),
                "Thème": df["theme"].fillna(""),
                "Proposition": df["titre"],
                "Soutiens": df["soutiens"].astype("Int64"),
                "Commentaires": df["commentaires"].astype("Int64"),
            }
        )
        if status:
            table["Avis des groupes"] = df["proposition_id"].map(status).fillna("")
        s.export("propositions", aggregate(table, "propositions des ateliers et leurs soutiens"))
        for atelier, g in df.groupby(df["atelier"].fillna("Sans atelier"), sort=True):
            s.add("heading", str(atelier), level=3)
            s.add(
                "organiser",
                self.texts.atelier(str(atelier)),
                f"ce qui s'est dit dans l'atelier (section « ## Atelier : {atelier} »)",
                draft=self.draft,
            )
            top = g.head(5)
            rows = pd.DataFrame(
                {"Proposition": top["titre"], "Soutiens": top["soutiens"].astype("Int64")}
            )
            s.add(
                "table",
                aggregate(rows, "propositions et soutiens"),
                caption=f"Propositions les plus soutenues ({fmt_int(len(g))} dans cet atelier)",
                sortable=False,
            )
        s.add(
            "note",
            f"Toutes les propositions ({fmt_int(len(df))}) sont dans le tableau exporté « {r.params.slug}_propositions.csv ».",
        )
        return s

    def next_steps(self) -> Section:
        s = Section("suites", "Faits marquants et suites")
        s.add(
            "organiser",
            self.texts.html("faits marquants"),
            "faits marquants (section « ## Faits marquants »)",
            draft=self.draft,
        )
        s.add(
            "organiser",
            self.texts.html("prochaines etapes"),
            "prochaines étapes (section « ## Prochaines étapes »)",
            draft=self.draft,
        )
        return s

    def practical(self) -> Section:
        p = self.r.params
        s = Section("pratique", "Informations pratiques")
        infos = [f"Date : {fmt_date_long(p.date)}"]
        if p.deroule:
            infos.append(
                f"Accueil à {_hour(p.deroule[0].heure)} ; dernière séquence à {_hour(p.deroule[-1].heure)} ({p.deroule[-1].titre})"
            )
        if p.lieu:
            infos.append(f"Lieu : {p.lieu}")
        if p.capacite:
            infos.append(f"Capacité : {fmt_int(p.capacite)} places")
        s.add("bullets", infos, css="pratique")
        s.add(
            "organiser",
            self.texts.html("informations pratiques"),
            "accès, accessibilité, contact (section « ## Informations pratiques »)",
            draft=self.draft,
        )
        return s

    def earlier(self) -> Section:
        """Note de cadrage: what the chantier's earlier meetings already produced.

        Read from the other territories' own parameters and proposals files (through the same
        loading and scrubbing as their reports), so the text does not depend on the order in
        which the build runs the territories.
        """
        r = self.r
        s = Section("precedentes", "Ce que les rencontres précédentes ont produit")
        root = r.params.racine
        found = []
        for pfile in parameter_files(root) if root is not None else []:
            try:
                other = load_parameters(pfile, root=root, check_paths=False)
            except Exception:  # a broken territory is reported by its own build
                continue
            if other.slug == r.params.slug or other.phase != "compte_rendu":
                continue
            if other.date >= r.params.date:
                continue
            text = f"{other.territoire} ({fmt_date(other.date)})"
            if other.source("contributions") is not None:
                try:
                    c = load_rencontre(other, kinds=("contributions",)).contributions
                except Exception:
                    c = None
                if c is not None and len(c):
                    top = c.sort_values(["soutiens", "titre"], ascending=[False, True]).head(2)
                    text += " : " + " ; ".join(f"« {t} »" for t in top["titre"])
            found.append((other.date, text))
        if found:
            s.add("bullets", [t for _, t in sorted(found)], css="precedentes")
        else:
            s.add("note", "Aucune rencontre du chantier n'a encore eu lieu avant celle-ci.")
        return s

    def methodology(self) -> Section:
        r = self.r
        s = Section("methodologie", "Méthodologie")
        rows = []
        kinds = {
            "inscriptions": "Inscriptions",
            "questionnaire": "Questionnaire",
            "entretiens": "Entretiens",
            "contributions": "Propositions",
            "evaluation": "Questionnaire d'évaluation",
        }
        for kind, res in r.results.items():
            rows.append(
                {
                    "Source": kinds.get(kind, kind),
                    "Fichier": Path(res.source).name,
                    "Lignes lues": res.rows_read,
                    "Utilisées": res.rows_used,
                    "Écartées": res.rows_rejected,
                }
            )
        for kind in r.failures:
            rows.append(
                {
                    "Source": kinds.get(kind, kind),
                    "Fichier": "non chargé",
                    "Lignes lues": 0,
                    "Utilisées": 0,
                    "Écartées": 0,
                }
            )
        if rows:
            s.add(
                "table",
                aggregate(pd.DataFrame(rows), "lignes des fichiers sources"),
                caption="Sources (lignes lues = utilisées + écartées)",
                sortable=False,
            )
        others = ", ".join(self.compared_territories) or "aucun"
        s.add(
            "bullets",
            [
                "Réponse favorable : « Tout à fait d'accord » ou « Plutôt d'accord » ; pour une affirmation "
                "formulée négativement (« Ce sont toujours les mêmes personnes qui participent »), c'est le "
                "désaccord qui est favorable. Les graphiques montrent les réponses telles qu'elles ont été "
                "données. « Sans avis » et l'absence de réponse ne comptent pas.",
                "Bases : les effectifs sont des personnes. Chaque pourcentage est accompagné d'une fourchette "
                "(« entre … et … % ») : la valeur a 95 chances sur 100 de s'y trouver. Quand une même personne "
                "répond à plusieurs affirmations d'une dimension, la fourchette est élargie en conséquence "
                "(intervalle de Wilson corrigé de l'effet de grappe).",
                f"Autres territoires : {others} ; les réponses « Autre territoire » n'y sont pas comptées.",
                f"Confidentialité : aucun groupe de moins de {r.seuil} personnes n'est publié (masquage primaire), et quand "
                "un total publié permettrait de retrouver une case masquée par soustraction, une seconde case est masquée "
                "(masquage secondaire). Les citations ne portent que le profil et le territoire ; noms, courriels, "
                "téléphones et adresses sont masqués dans tous les textes publiés.",
                "Réponses libres : regroupées par thèmes (dictionnaire de mots-clés du chantier, puis sujets détectés "
                "automatiquement, nommés par au moins deux mots porteurs de sens — noms, adjectifs, verbes —, sinon "
                "rangés dans « Autres sujets ») ; les réponses vides de sens (« RAS », « rien ») sont écartées.",
                f"Données au {fmt_date(self.data_date())} ; document produit le {fmt_date(dt.date.today())} avec Rencontres {__version__}.",
            ],
            css="methodo",
        )
        return s

    def data_date(self) -> dt.date:
        """The date of the data: the latest registration or answer, else the meeting date."""
        dates = []
        r = self.r
        if r.inscriptions is not None and "date_inscription" in r.inscriptions:
            d = pd.to_datetime(r.inscriptions["date_inscription"], errors="coerce").max()
            if pd.notna(d):
                dates.append(d.date())
        if r.respondents is not None and "date" in r.respondents:
            d = pd.to_datetime(r.respondents["date"], errors="coerce").max()
            if pd.notna(d):
                dates.append(d.date())
        return max(dates) if dates else r.params.date

    def sections(self) -> list[Section]:
        """Every section, in reading order, for the phase of the meeting."""
        if self.r.params.phase == "cadrage":
            order = [
                self.header, self.essentiel, self.introduction, self.objectifs, self.ateliers_questions,
                self.participation, self.practical, self.earlier, self.dimensions_section,
                self.free_text_section, self.methodology,
            ]  # fmt: skip
        else:
            order = [
                self.header, self.essentiel, self.introduction, self.objectifs, self.proposals,
                self.participation, self.evaluation_section, self.dimensions_section,
                self.free_text_section, self.interviews, self.next_steps, self.methodology,
            ]  # fmt: skip
        sections = [self._once(f"section:{f.__name__}", f) for f in order]
        return [s for s in sections if s is not None]  # optional sources: no section


# ---------------------------------------------------------------- notebook entry points


def title(r: Rencontre) -> None:
    p = r.params
    text = f"{PHASE_LABELS[p.phase]} — Rencontre territoriale : {p.territoire}"
    display._emit(display.heading_html(text, 1, anchor="titre"), text)


def dimension(r: Rencontre, dim: str, *, profil: str | None = None) -> None:
    """One dimension's chart, for every respondent here or one profile (JupyterLab explorer)."""
    view = r
    if profil:
        ids = r.respondents_here.loc[r.respondents_here["profil"] == profil, "respondent_id"]
        view = Rencontre(
            r.params,
            codebook=r.codebook,
            answers=r.answers[r.answers["respondent_id"].isin(ids)],
            respondents=r.respondents[r.respondents["respondent_id"].isin(ids)],
            questions=r.questions,
        )
    rep = Report(view)
    q = r.questions.set_index("question_id")
    inverse = set(q.index[q["inverse"].fillna(False).astype(bool)]) if "inverse" in q else set()
    lik = metrics.likert_answers(view.answers_here) if view.answers is not None else None
    people = 0 if lik is None else lik.loc[lik["dimension"] == dim, "respondent_id"].nunique()
    if people < r.seuil:
        display.note(f"{small_group_label(r.seuil).capitalize()} : résultats non publiés.")
        return
    for fig in rep.statement_charts(lik, [dim], inverse):
        display.show(fig)


def report(r: Rencontre, *, draft: bool = True) -> Report:
    """The :class:`Report` of a meeting (computed section by section, once)."""
    return Report(r, draft=draft)


def figures(r: Rencontre) -> dict:
    return Report(r).figures


def constats(r: Rencontre) -> list[str]:
    """« L'essentiel » as plain sentences (title and text of each finding)."""
    return Report(r).essentiel().data["constats"]


def results(rep: Report) -> dict:
    """What the synthesis reads: public, aggregated results of this meeting (from the sections)."""
    r = rep.r
    f = dict(rep.figures)
    out: dict = {
        "slug": r.params.slug,
        "territoire": r.params.territoire,
        "date": r.params.date.isoformat(),
        "date_donnees": rep.data_date().isoformat(),
        "phase": r.params.phase,
        "chiffres": f,
        "seuil": r.seuil,
        "version": __version__,
        "essentiel": rep.essentiel().data["constats"],
    }
    if r.answers is not None:
        out["dimensions"] = rep.dimensions.to_dict(orient="records")
        mix = people_groups(
            metrics.profile_mix(r.respondents_here["profil"]), r.seuil, values=["part"]
        )
        out["profils_repondants"] = (
            mix.frame.astype(object).where(mix.frame.notna(), None).to_dict(orient="records")
        )
        themes = []
        for qid in text_questions(r):
            ft = rep.free_text(qid)
            if ft and ft["shares"] is not None:
                role = _question_role(qid, question_texts(r).get(qid, ""))
                themes += ft["shares"].assign(question=qid, role=role).to_dict(orient="records")
        out["themes"] = themes
    if r.inscriptions is not None:
        active = metrics.active_registrations(r.inscriptions)
        mix = people_groups(metrics.profile_mix(active["profil"]), r.seuil, values=["part"])
        out["profils_inscrits"] = (
            mix.frame.astype(object).where(mix.frame.notna(), None).to_dict(orient="records")
        )
    if r.contributions is not None and r.params.phase == "compte_rendu":
        cols = [c for c in CONTRIBUTION_COLUMNS if c not in ("etat", "date", "source_format")]
        c = r.contributions[cols]
        out["propositions"] = c.astype(object).where(c.notna(), None).to_dict(orient="records")
    if r.votes is not None and len(r.votes) and r.params.phase == "compte_rendu":
        cols = [
            c
            for c in ("proposition_id", "groupe", "accords", "desaccords", "passes")
            if c in r.votes
        ]
        v = r.votes[cols]
        out["votes"] = v.astype(object).where(v.notna(), None).to_dict(orient="records")
    ev = rep.evaluation()
    if ev is not None:
        out["evaluation"] = ev
    out["sources"] = [
        {k: v for k, v in res.summary().items() if k not in ("source", "constats")}
        | {"fichier": Path(res.source).name}
        for res in r.results.values()
    ]
    out["echecs"] = sorted(r.failures)
    return out


def save_outputs(rep: Report, sortie: str | Path | None) -> None:
    """Write the results JSON and every public table of the sections (CSV + one XLSX)."""
    if not sortie:
        return
    r = rep.r
    out = Path(sortie)
    (out / "tableaux").mkdir(parents=True, exist_ok=True)
    atomic_write_text(
        out / "resultats.json", json.dumps(results(rep), ensure_ascii=False, indent=1, default=str)
    )
    tables: dict[str, PublicTable] = {}
    for s in rep.sections():
        tables.update(s.tables)
    for name, t in tables.items():
        write_csv(t, out / "tableaux" / f"{r.params.slug}_{name}.csv")
    if tables:
        write_xlsx_sheets(tables, out / "tableaux" / f"{r.params.slug}_tableaux.xlsx")
