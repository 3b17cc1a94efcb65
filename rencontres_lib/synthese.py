"""The chantier synthesis: a report drawn from the results saved by each territorial run.

It never re-derives a territory's figures: it reads ``build/<slug>/resultats.json``
(:func:`rencontres_lib.rapport.results`). Sections, in reading order: the perimeter (which
territories are included, which are still in cadrage), « L'essentiel du chantier » (five
findings across territories), the organiser's introduction, convergences and divergences on
the five dimensions, « Propositions pour 2026 » (consolidated ideas by dimension), points de
vigilance, one paragraph per territory, profiles, themes, the organiser's conclusions and the
méthodologie.

Proposals are those of the territories whose compte rendu is published (phase
``compte_rendu``); they are consolidated by :mod:`rencontres_lib.consolidation` and the
organiser's file ``parameters/synthese/regroupements.yaml`` (:mod:`rencontres_lib.regroupements`),
which wins over the automatic grouping. The organiser's text comes from
``parameters/textes/synthese.md`` (:mod:`rencontres_lib.textes`). Counts of people by group
go through :mod:`rencontres_lib.public` (small-cell rule, threshold ``seuil`` of the results).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from . import DIMENSIONS, PROFILS, __version__, charts, consolidation, display, vocabulary
from .config import project_root
from .exports import write_csv, write_xlsx_sheets
from .formats import fmt_date, fmt_int, fmt_pct
from .names import CACHE_FILE
from .public import aggregate, people_groups, published_counts
from .rapport import perceived_dimensions
from .regroupements import RELATIVE_PATH, merge_review_file, proposal_key
from .textes import load_texts

TEXTS_FILE = "synthese.md"
CONVERGENCE = 0.10  # largest spread of % favourable (0–1) for territories that « convergent »
TABLE_NAME = "synthese_propositions"


def dimension_of(category: Any) -> str | None:
    """Dimension id a proposal's category names (« Reddition des comptes » → ``redevabilite``);
    None when it names none (:func:`rencontres_lib.vocabulary.dimension_of`)."""
    return vocabulary.dimension_of(category) or None


@dataclass
class Synthese:
    """Results of the territorial runs, and where the synthesis reads and writes.

    ``root``: project root (``parameters/`` holds the organiser's files); ``sortie``: the
    folder of the synthesis' tables (``<sortie>/tableaux``), or None; ``draft``: missing
    organiser text shows « À rédiger ».
    """

    results: list[dict] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    root: Path | None = None
    sortie: Path | None = None
    draft: bool = True

    @property
    def included(self) -> list[dict]:
        """Territories whose compte rendu is published: their proposals are consolidated."""
        return [r for r in self.results if r.get("phase") == "compte_rendu"]

    @property
    def cadrage(self) -> list[dict]:
        return [r for r in self.results if r.get("phase") != "compte_rendu"]

    @property
    def seuil(self) -> int:
        """The strictest small-cell threshold of the territories (at least 1)."""
        return max([int(r.get("seuil") or 1) for r in self.results] or [1])

    @cached_property
    def texts(self):
        return load_texts(self.root / "parameters" / "textes" / TEXTS_FILE if self.root else None)

    @cached_property
    def proposals(self) -> pd.DataFrame:
        """One row per proposal of the included territories, with its idea (``groupe``)."""
        return self._consolidated[0]

    @cached_property
    def ideas(self) -> pd.DataFrame:
        """One row per consolidated idea (see :func:`ideas_table`)."""
        return self._consolidated[1]

    @cached_property
    def review(self):
        return self._consolidated[2]

    @cached_property
    def _consolidated(self):
        return consolidate(self)


def load(
    paths: list[str | Path] | str | Path,
    *,
    sortie: str | Path | None = None,
    draft: bool = True,
    root: str | Path | None = None,
) -> Synthese:
    """Read ``resultats.json`` files (a list of files, or a folder searched for ``*/resultats.json``).

    Territories are sorted by date. ``root`` defaults to the project root
    (:func:`rencontres_lib.config.project_root`).
    """
    if isinstance(paths, str | Path):
        files = sorted(Path(paths).glob("*/resultats.json"))
    else:
        files = [Path(p) for p in paths]
    base = Path(root) if root else project_root()
    if not files and not isinstance(paths, str | Path):
        files = sorted((base / "build").glob("*/resultats.json"))
    results = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    results.sort(key=lambda r: (r["date"], r["slug"]))
    return Synthese(results, files, base, Path(sortie) if sortie else None, draft)


# ---------------------------------------------------------------------------- proposals


def proposals_frame(s: Synthese) -> pd.DataFrame:
    """Proposals of the included territories: ``cle, slug, territoire, proposition_id, atelier,
    titre, corps, theme, dimension, soutiens, commentaires`` (+ ``profil`` when the source has it)."""
    rows = []
    for r in s.included:
        for i, p in enumerate(r.get("propositions") or []):
            row = dict(p)
            row["slug"] = r["slug"]
            row["territoire"] = r["territoire"]
            row["cle"] = proposal_key(r["slug"], p.get("proposition_id"), i)
            rows.append(row)
    cols = ["cle", "slug", "territoire", "proposition_id", "atelier", "titre", "corps", "theme"]
    cols += ["soutiens", "commentaires"]
    df = pd.DataFrame(rows)
    for c in cols:
        if c not in df.columns:
            df[c] = pd.NA
    if "profil" not in df.columns:
        df["profil"] = pd.NA
    df = df[[*cols, "profil"]].copy()
    df["titre"] = df["titre"].map(lambda t: "" if t is None or pd.isna(t) else str(t).strip())
    df["soutiens"] = pd.to_numeric(df["soutiens"], errors="coerce")
    df["dimension"] = df["theme"].map(dimension_of)
    return df.drop_duplicates("cle").reset_index(drop=True)


def consolidation_cache(root: Path | None) -> Path | None:
    """The project's text cache (``prive/ner.sqlite``): terms and sentence vectors of the
    proposals, written by the build as each territory finishes (:func:`warm_proposals`)."""
    return root / "prive" / CACHE_FILE if root is not None else None


def warm_proposals(results: Path, root: Path) -> int:
    """Terms and vectors of the proposals of one territory's ``resultats.json`` into the
    project's cache, exactly as :func:`consolidate` will read them; 0 when the territory is
    not consolidated (note de cadrage). Raises what the loaders and models raise."""
    s = load([results], root=root)
    return consolidation.warm(proposals_frame(s), by="slug", cache=consolidation_cache(root))


def consolidate(s: Synthese):
    """(proposals with ``groupe``, ideas, review) — writes ``parameters/synthese/regroupements.yaml``."""
    props = proposals_frame(s)
    cons = consolidation.consolidate(  # looked up at call time (tests replace it)
        props, by="slug", cache=consolidation_cache(s.root)
    )
    path = (s.root or Path(".")) / RELATIVE_PATH
    review = merge_review_file(path, props, cons, write=s.root is not None)
    props["groupe"] = review.groupe
    props["a_verifier"] = props["cle"].isin(review.to_review)
    return props, ideas_table(props, review.ideas, threshold=s.seuil), review


def ideas_table(
    props: pd.DataFrame, names: pd.DataFrame | None = None, *, threshold: int = 5
) -> pd.DataFrame:
    """One row per idea: ``groupe, libelle, formulation, dimension, territoires`` (list, in
    order of the results), ``n_territoires, n_propositions, soutiens`` (sum, NA as 0),
    ``citation`` (body, else title, of the most supported member), ``citation_de``
    (territory), ``profils`` (profiles of ``threshold`` proposals or more, so that no smaller
    group is named; empty without a ``profil`` column), ``a_verifier``
    (any member to review). Sorted by territories, proposals, supports (descending)."""
    names = (
        names if names is not None else pd.DataFrame(columns=["groupe", "libelle", "formulation"])
    )
    named = names.set_index("groupe") if len(names) else None
    rows = []
    for gid, m in props.groupby("groupe", sort=False):
        support = m["soutiens"].fillna(0)
        lead = m.loc[support.idxmax()] if len(m) else None
        dims = m["dimension"].dropna()
        body = (
            str(lead["corps"] or "").strip() if lead is not None and pd.notna(lead["corps"]) else ""
        )
        label = formulation = ""
        if named is not None and gid in named.index:
            label, formulation = named.loc[gid, "libelle"], named.loc[gid, "formulation"]
        profiles = m["profil"].dropna().astype(str).value_counts()
        profiles = profiles[profiles >= threshold]
        rows.append(
            {
                "groupe": gid,
                "libelle": label or (lead["titre"] if lead is not None else ""),
                "formulation": formulation,
                "dimension": dims.mode().iloc[0] if len(dims) else None,
                "territoires": list(dict.fromkeys(m["territoire"])),
                "n_territoires": m["territoire"].nunique(),
                "n_propositions": len(m),
                "soutiens": int(support.sum()),
                "citation": body.split("\n")[0]
                if body
                else (lead["titre"] if lead is not None else ""),
                "citation_de": lead["territoire"] if lead is not None else "",
                "profils": sorted(profiles.index),
                "a_verifier": bool(m.get("a_verifier", pd.Series(False)).any()),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.sort_values(
        ["n_territoires", "n_propositions", "soutiens"], ascending=False, kind="stable"
    ).reset_index(drop=True)


def export_tables(s: Synthese) -> list[Path]:
    """Write ``<sortie>/tableaux/synthese_propositions.csv`` and ``.xlsx`` (formula-safe).

    CSV: one row per proposal (``territoire, atelier, titre, soutiens, commentaires, groupe,
    idee, dimension, a_verifier``); the workbook adds a sheet « Idées ». Nothing without
    ``sortie``.
    """
    if s.sortie is None:
        return []
    folder = s.sortie / "tableaux"
    folder.mkdir(parents=True, exist_ok=True)
    p, ideas = s.proposals, s.ideas
    label = dict(zip(ideas.get("groupe", []), ideas.get("libelle", []), strict=True))
    rows = pd.DataFrame(
        {
            "territoire": p["territoire"],
            "atelier": p["atelier"],
            "titre": p["titre"],
            "soutiens": p["soutiens"].astype("Int64"),
            "commentaires": pd.to_numeric(p["commentaires"], errors="coerce").astype("Int64"),
            "groupe": p["groupe"],
            "idee": p["groupe"].map(label),
            "dimension": p["dimension"].map(lambda d: DIMENSIONS.get(d, "") if d else ""),
            "a_verifier": p["a_verifier"].map({True: "oui", False: "non"}),
        }
    )
    why = "propositions des ateliers, leurs soutiens et l'idée qui les regroupe"
    table = aggregate(rows, why)
    idea_rows = pd.DataFrame(
        {
            "groupe": ideas.get("groupe", pd.Series(dtype=str)),
            "idee": ideas.get("libelle", pd.Series(dtype=str)),
            "formulation": ideas.get("formulation", pd.Series(dtype=str)),
            "dimension": ideas.get("dimension", pd.Series(dtype=str)).map(
                lambda d: DIMENSIONS.get(d, "") if isinstance(d, str) else ""
            ),
            "territoires": ideas.get("territoires", pd.Series(dtype=object)).map(", ".join),
            "propositions": ideas.get("n_propositions", pd.Series(dtype=int)),
            "soutiens": ideas.get("soutiens", pd.Series(dtype=int)),
        }
    )
    csv = write_csv(table, folder / f"{TABLE_NAME}.csv")
    xlsx = write_xlsx_sheets(
        {
            "Propositions": table,
            "Idées": aggregate(idea_rows, "idées consolidées et leurs soutiens"),
        },
        folder / f"{TABLE_NAME}.xlsx",
    )
    return [csv, xlsx]


# ------------------------------------------------------------------------------ helpers


def _names(items: list[str]) -> str:
    items = [str(i) for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def _people(n: Any) -> str:
    n = int(n)
    return f"{fmt_int(n)} personne{'s' if n > 1 else ''}"


def _compact(name: str) -> str:
    """« Métropole européenne de Lille » → « Lille »: the place, for narrow chart columns."""
    words = re.sub(
        r"\b(?:Métropole|métropole|Communauté|communauté|d'agglomération|urbaine|européenne|"
        r"de|du|des|la|le|les)\b",
        " ",
        str(name),
    )
    words = re.sub(r"\s+", " ", words).strip(" -")
    return words or str(name)


def _short(r: dict) -> str:
    """Short territory name for sentences (« Métropole de Lyon » stays whole: names are the organiser's)."""
    return str(r["territoire"])


def dimension_long(s: Synthese) -> pd.DataFrame:
    """Territory × dimension rows: ``dimension, territoire, n`` (people), ``k, reponses,
    part`` (0–1), rows under the threshold masked (primary and secondary) through
    :func:`rencontres_lib.public.people_groups`; the frame of the public table."""
    rows = []
    for r in s.results:
        for d in r.get("dimensions") or []:
            if d.get("dimension") in DIMENSIONS and d.get("n") is not None:
                rows.append(
                    {
                        "dimension": d["dimension"],
                        "territoire": r["territoire"],
                        "n": int(d["n"]),
                        "k": d.get("k"),
                        "reponses": d.get("reponses"),
                        "part": d.get("part"),
                    }
                )
    if not rows:
        return pd.DataFrame(columns=["dimension", "territoire", "n", "k", "reponses", "part"])
    df = pd.DataFrame(rows)
    return people_groups(df, s.seuil, by=["dimension"]).frame


def pooled_dimensions(s: Synthese) -> pd.DataFrame:
    """Per dimension, all territories: ``dimension, n`` (people), ``part`` (Σ favourable
    answers / Σ answers, 0–1), ``territoires`` (count). Uses every territory (the pooled base
    is a published total, so the per-territory rows above are masked with that in mind)."""
    rows = []
    for r in s.results:
        for d in r.get("dimensions") or []:
            if d.get("dimension") in DIMENSIONS:
                rows.append(d)
    if not rows:
        return pd.DataFrame(columns=["dimension", "n", "part", "territoires"])
    df = pd.DataFrame(rows)
    for c in ("k", "reponses", "n"):
        df[c] = pd.to_numeric(df.get(c), errors="coerce")
    g = df.groupby("dimension").agg(
        n=("n", "sum"), k=("k", "sum"), reponses=("reponses", "sum"), territoires=("n", "size")
    )
    g["part"] = g["k"] / g["reponses"].where(g["reponses"] > 0)
    g = g.reindex([d for d in DIMENSIONS if d in g.index]).reset_index()
    return g[g["n"] >= s.seuil][["dimension", "n", "part", "territoires"]]


# ------------------------------------------------------------------------------ sections


def header(s: Synthese) -> None:
    title = "Synthèse des rencontres territoriales"
    display._emit(display.heading_html(title, 1, anchor="titre"), title)
    display.paragraph(
        "Chantier « Points d'ancrage et nouvelles orientations de la participation citoyenne "
        "pour 2026 » : projet de rapport de propositions pour les élections municipales de 2026, "
        f"à partir de {len(s.results)} rencontre{'s' if len(s.results) > 1 else ''} territoriale"
        f"{'s' if len(s.results) > 1 else ''}."
    )
    if not s.results:
        display.paragraph(
            "Aucun résultat territorial n'est disponible : lancez d'abord « rencontres build ».",
            css="avertissement",
        )
        return
    display.paragraph(scope_text(s))


def scope_text(s: Synthese) -> str:
    """Which territories are included (compte rendu) and which are still in cadrage."""
    inc = [_short(r) for r in s.included]
    cad = [_short(r) for r in s.cadrage]
    parts = []
    if inc:
        parts.append(
            f"Comptes rendus publiés : {_names(inc)} ; leurs propositions d'ateliers sont "
            "consolidées ci-dessous."
        )
    else:
        parts.append("Aucune rencontre n'a encore son compte rendu : pas encore de propositions.")
    if cad:
        one = len(cad) == 1
        parts.append(
            f"Rencontre{'' if one else 's'} encore en phase de cadrage (à venir) : {_names(cad)}. "
            f"{'Ses' if one else 'Leurs'} réponses au questionnaire comptent dans les dimensions ; "
            f"{'elle reste' if one else 'elles restent'} en dehors des propositions."
        )
    return " ".join(parts)


def key_finding_items(s: Synthese) -> list[dict[str, str]]:
    """The five findings of « L'essentiel du chantier » (title, text), bases in people."""
    items: list[dict[str, str]] = []
    inc = s.included
    presents = [
        int(r["chiffres"]["presents"]) for r in inc if (r.get("chiffres") or {}).get("presents")
    ]
    inscrits = [
        int(r["chiffres"]["inscrits"]) for r in inc if (r.get("chiffres") or {}).get("inscrits")
    ]
    repondants = [
        int(r["chiffres"]["repondants"])
        for r in s.results
        if (r.get("chiffres") or {}).get("repondants")
    ]
    # a sum is published only when every territory's own figure is (small-cell rule: a hidden
    # figure must not be recoverable from the total and the others)
    if any(x < s.seuil for x in presents):
        presents = []
    if any(x < s.seuil for x in inscrits):
        inscrits = []
    text = []
    if presents:
        text.append(
            f"{_people(sum(presents))} présentes aux {len(presents)} rencontres tenues "
            f"({_names([_short(r) for r in inc])})"
            + (f", pour {fmt_int(sum(inscrits))} inscriptions." if inscrits else ".")
        )
    if repondants:
        text.append(
            f"{_people(sum(repondants))} ont répondu au questionnaire du chantier dans "
            f"{len(repondants)} territoire{'s' if len(repondants) > 1 else ''}."
        )
    if text:
        items.append({"title": "Participation.", "text": " ".join(text)})
    pooled = pooled_dimensions(s)
    long = dimension_long(s)
    if len(pooled):

        def detail(row: pd.Series, which: str) -> str:
            if which == "best":
                return f" dans l'ensemble des territoires (réponses de {_people(row['n'])})"
            lowest_in = sum(
                g.loc[g["part"].astype(float).idxmin(), "dimension"] == row["dimension"]
                for _, g in long.dropna(subset=["part"]).groupby("territoire")
            )
            n_terr = long["territoire"].nunique()
            return (
                f" (réponses de {_people(row['n'])}) ; c'est la plus basse dans "
                f"{lowest_in} territoire{'s' if lowest_in > 1 else ''} sur {n_terr}"
            )

        items += perceived_dimensions(pooled, detail)
        gap = _largest_gap(long)
        if gap is not None:
            d, lo, hi = gap
            items.append(
                {
                    "title": "Le plus grand écart entre territoires.",
                    "text": f"« {DIMENSIONS[d]} » : de {fmt_pct(lo['part'])} de réponses favorables "
                    f"({lo['territoire']}, {_people(lo['n'])}) à {fmt_pct(hi['part'])} "
                    f"({hi['territoire']}, {_people(hi['n'])}).",
                }
            )
    ideas = s.ideas
    if len(ideas):
        shared = ideas[ideas["n_territoires"] > 1]
        text = (
            f"{fmt_int(len(s.proposals))} propositions d'ateliers de {len(inc)} territoire"
            f"{'s' if len(inc) > 1 else ''}, regroupées en {fmt_int(len(ideas))} idées ; "
            f"{fmt_int(len(shared))} idée{'s reviennent' if len(shared) > 1 else ' revient'} "
            "dans plusieurs territoires"
        )
        if len(shared):
            top = shared.sort_values("soutiens", ascending=False, kind="stable").iloc[0]
            text += (
                f", la plus soutenue : « {top['formulation'] or top['libelle']} » "
                f"({_names(top['territoires'])}, {fmt_int(top['soutiens'])} soutiens)."
            )
        else:
            text += "."
        items.append({"title": "Propositions pour 2026.", "text": text})
    return items[:5]


def _largest_gap(long: pd.DataFrame):
    best = None
    for d, g in long.dropna(subset=["part"]).groupby("dimension", sort=False):
        if len(g) < 2:
            continue
        g = g.astype({"part": float})
        lo, hi = g.loc[g["part"].idxmin()], g.loc[g["part"].idxmax()]
        if best is None or hi["part"] - lo["part"] > best[2]["part"] - best[1]["part"]:
            best = (d, lo, hi)
    return best


def key_findings(s: Synthese) -> None:
    items = key_finding_items(s)
    if items:
        display.findings(items)
    else:
        display.note("Pas encore de résultats à résumer.")


def organiser_text(s: Synthese, section: str) -> None:
    """The organiser's section ``section`` of ``parameters/textes/synthese.md`` (escaped Markdown)."""
    display.organiser_text(
        s.texts.html(section),
        f"{section} de la synthèse (parameters/textes/{TEXTS_FILE}, section « ## {section} »)",
        draft=s.draft,
    )


def dimensions(s: Synthese) -> None:
    """Heatmap dimension × territory, then one sentence per dimension (convergence/divergence)."""
    long = dimension_long(s)
    if long.empty or long["part"].isna().all():
        display.note("Pas de réponses au questionnaire.")
        return
    wide = long.pivot_table(index="dimension", columns="territoire", values="part", aggfunc="first")
    wide = wide.reindex(index=[d for d in DIMENSIONS if d in wide.index])
    wide = wide[[r["territoire"] for r in s.results if r["territoire"] in wide.columns]]
    wide.columns = [_compact(c) for c in wide.columns]  # column labels must fit side by side
    wide.columns.name = None
    n = sum(int(r["chiffres"].get("repondants") or 0) for r in s.results if r.get("chiffres"))
    why = f"parts de réponses favorables, territoires de {s.seuil} personnes au moins"
    display.show(
        charts.heatmap(
            aggregate(wide.reset_index(), why),
            title="Part de réponses favorables par dimension et par territoire",
            source="questionnaire du chantier, résultats enregistrés par chaque rapport territorial",
            n=f"{fmt_int(n)} personnes ayant répondu",
        )
    )
    display.bullet_list(dimension_sentences(s), css="constats")


def dimension_sentences(s: Synthese) -> list[str]:
    """One sentence per dimension: « convergent » when the spread is at most :data:`CONVERGENCE`."""
    long = dimension_long(s).dropna(subset=["part"])
    out = []
    for d in DIMENSIONS:
        g = long[long["dimension"] == d].astype({"part": float})
        if len(g) < 2:
            continue
        lo, hi = g.loc[g["part"].idxmin()], g.loc[g["part"].idxmax()]
        spread = hi["part"] - lo["part"]
        if round(spread, 6) <= CONVERGENCE:
            out.append(
                f"« {DIMENSIONS[d]} » : les territoires convergent, de {fmt_pct(lo['part'])} à "
                f"{fmt_pct(hi['part'])} de réponses favorables ({len(g)} territoires)."
            )
        else:
            out.append(
                f"« {DIMENSIONS[d]} » : les territoires divergent, de {fmt_pct(lo['part'])} "
                f"({lo['territoire']}, {_people(lo['n'])}) à {fmt_pct(hi['part'])} "
                f"({hi['territoire']}, {_people(hi['n'])})."
            )
    return out


def _consensus(s: Synthese, idea: pd.Series) -> str:
    """Consensus sentence from Pol.is votes, when the results carry them.

    Key ``votes`` of a territory's results: rows ``proposition_id, groupe`` (opinion group),
    ``accords, desaccords, passes``. Per opinion group, votes on all the idea's proposals are
    added; groups with fewer than ``seuil`` votes are left out (small-cell rule); with two
    groups or more left, the sentence gives the lowest share of agreement (0–1 shown as %).
    """
    members = set(_members(s, idea["groupe"]))
    votes = [
        v
        for r in s.included
        for v in r.get("votes") or []
        if f"{r['slug']}:{v.get('proposition_id')}" in members
    ]
    if not votes:
        return ""
    cols = ["accords", "desaccords", "passes"]
    df = pd.DataFrame(votes)
    df[cols] = df[cols].apply(pd.to_numeric, errors="coerce").fillna(0)
    by = df.groupby("groupe")[cols].sum()
    total = by.sum(axis=1)
    by = by[total >= s.seuil]
    if len(by) < 2:
        return ""
    share = (by["accords"] / by.sum(axis=1)).min()
    return (
        f" Consensus entre les {len(by)} groupes d'opinion : au moins {fmt_pct(share)} "
        "d'accord dans chacun."
    )


def _members(s: Synthese, gid: str) -> list[str]:
    return list(s.proposals.loc[s.proposals["groupe"] == gid, "cle"])


def _idea_html(s: Synthese, idea: pd.Series) -> tuple[str, str]:
    terr = idea["territoires"]
    text = (
        f"{'Territoires' if len(terr) > 1 else 'Territoire'} : {_names(terr)} · "
        f"{idea['n_propositions']} proposition{'s' if idea['n_propositions'] > 1 else ''} · "
        f"{fmt_int(idea['soutiens'])} soutien{'s' if idea['soutiens'] > 1 else ''}."
    )
    profiles = idea.get("profils") or []
    if profiles:
        text += f" Profils : {', '.join(PROFILS.get(p, p) for p in profiles)}."
    text += _consensus(s, idea)
    title = idea["formulation"] or idea["libelle"]
    quote = str(idea["citation"] or "")
    html = Markup(
        '<div class="idee"><p class="idee-titre"><strong>{}</strong>{}</p><p>{}</p>{}</div>'
    ).format(
        title,
        Markup(' <span class="a-verifier">(regroupement à vérifier)</span>')
        if idea["a_verifier"]
        else "",
        text,
        Markup('<blockquote class="citation"><p>{}</p><footer>{}</footer></blockquote>').format(
            quote, f"Proposition d'atelier, {idea['citation_de']}"
        )
        if quote and quote != title
        else "",
    )
    return str(html), f"{title} — {text}"


def proposals(s: Synthese, *, local: int = 3) -> None:
    """« Propositions pour 2026 », by dimension: shared ideas first, then the ``local`` most
    supported proposals made once."""
    ideas = s.ideas
    if ideas.empty:
        display.note("Aucune proposition n'a encore été recueillie dans un compte rendu.")
        return
    shared = ideas[ideas["n_propositions"] > 1]
    display.paragraph(
        f"{fmt_int(len(s.proposals))} propositions, regroupées en {fmt_int(len(ideas))} idées : "
        f"{fmt_int(len(shared))} idée{'s ont' if len(shared) > 1 else ' a'} été formulée"
        f"{'s' if len(shared) > 1 else ''} plusieurs fois, dont "
        f"{fmt_int(int((shared['n_territoires'] > 1).sum()))} dans plusieurs territoires. "
        "Chaque idée est donnée avec ses territoires, ses soutiens (additionnés) et un extrait "
        "d'une proposition."
    )
    if s.review.warnings:
        display.bullet_list(s.review.warnings, css="avertissement")
    order = [*DIMENSIONS, None]
    for d in order:
        sub = ideas[ideas["dimension"].isna()] if d is None else ideas[ideas["dimension"] == d]
        if sub.empty:
            continue
        display.section(DIMENSIONS[d] if d else "Autres propositions", 3)
        many = sub[sub["n_propositions"] > 1]
        once = sub[sub["n_propositions"] == 1].sort_values(
            "soutiens", ascending=False, kind="stable"
        )
        once = once[once["soutiens"] > 0].head(local)
        for _, idea in many.iterrows():
            display._emit(*_idea_html(s, idea))
        if len(once):
            display.paragraph(
                "Propositions formulées une seule fois, parmi les plus soutenues :", css="note"
            )
            for _, idea in once.iterrows():
                display._emit(*_idea_html(s, idea))
    display.note(f"Toutes les propositions et leur idée : tableaux/{TABLE_NAME}.csv (et .xlsx).")


def watch_point_items(s: Synthese) -> list[str]:
    """Points de vigilance: weak dimensions, failed sources, small bases, groupings to review."""
    out = []
    for _, d in pooled_dimensions(s).iterrows():
        if d["part"] < 0.3:
            out.append(
                f"« {DIMENSIONS[d['dimension']]} » : moins d'un tiers de réponses favorables "
                f"({fmt_pct(d['part'])}, réponses de {_people(d['n'])})."
            )
    for r in s.results:
        for e in r.get("echecs") or []:
            what = e.get("source") if isinstance(e, dict) else e
            out.append(f"{r['territoire']} : une source n'a pas pu être lue ({what}).")
        c = r.get("chiffres") or {}
        if r.get("phase") == "compte_rendu" and c.get("taux_presence") is not None:
            if float(c["taux_presence"]) < 0.6:
                out.append(
                    f"{r['territoire']} : {fmt_pct(c['taux_presence'])} des personnes inscrites "
                    "sont venues."
                )
    if s.cadrage:
        out.append(
            f"{_names([_short(r) for r in s.cadrage])} : propositions à venir ; les idées "
            "ci-dessus pourront changer après la rencontre."
        )
    n_review = int(s.proposals["a_verifier"].sum()) if len(s.proposals) else 0
    if n_review:
        out.append(
            f"{n_review} proposition{'s' if n_review > 1 else ''} nouvelle"
            f"{'s' if n_review > 1 else ''} regroupée{'s' if n_review > 1 else ''} automatiquement, "
            "à vérifier dans parameters/synthese/regroupements.yaml."
        )
    return out


def watch_points(s: Synthese) -> None:
    items = watch_point_items(s)
    if items:
        display.bullet_list(items, css="constats")
    else:
        display.note("Aucun point de vigilance relevé dans les résultats.")


def territory_paragraph(s: Synthese, r: dict) -> str:
    """Short text of one territory (its link is added by :func:`territoires`)."""
    c = r.get("chiffres") or {}
    when = fmt_date(dt.date.fromisoformat(r["date"]))
    parts = []
    if r.get("phase") == "compte_rendu":
        parts.append(f"compte rendu de la rencontre du {when}.")
        if c.get("presents") and int(c["presents"]) >= s.seuil:
            parts.append(
                f"{_people(c['presents'])} présentes"
                + (
                    f" sur {fmt_int(c['inscrits'])} inscrites."
                    if c.get("inscrits") and int(c["inscrits"]) >= s.seuil
                    else "."
                )
            )
        mine = s.proposals[s.proposals["slug"] == r["slug"]] if len(s.proposals) else s.proposals
        if len(mine):
            shared_ids = set(s.ideas.loc[s.ideas["n_territoires"] > 1, "groupe"])
            k = int(mine["groupe"].isin(shared_ids).sum())
            parts.append(
                f"{len(mine)} propositions, dont {k} {'rejoignent' if k > 1 else 'rejoint'} "
                "une idée d'autres territoires."
            )
    else:
        parts.append(f"note de cadrage de la rencontre du {when} (à venir).")
        if c.get("inscrits") and int(c["inscrits"]) >= s.seuil:
            parts.append(f"{fmt_int(c['inscrits'])} inscriptions à ce jour.")
    dims = [d for d in r.get("dimensions") or [] if d.get("part") is not None and d.get("n")]
    dims = [d for d in dims if int(d["n"]) >= int(r.get("seuil") or 1)]
    if dims:
        best = max(dims, key=lambda d: d["part"])
        worst = min(dims, key=lambda d: d["part"])
        parts.append(
            f"Dimension la mieux perçue : « {DIMENSIONS.get(best['dimension'], best['dimension'])} » "
            f"({fmt_pct(best['part'])}) ; la moins bien perçue : "
            f"« {DIMENSIONS.get(worst['dimension'], worst['dimension'])} » ({fmt_pct(worst['part'])})."
        )
    return " ".join(parts)


def territories(s: Synthese) -> None:
    """One paragraph per territory, linking to its report (``<slug>.html``)."""
    for r in s.results:
        text = territory_paragraph(s, r)
        link = (
            "Lire le compte rendu"
            if r.get("phase") == "compte_rendu"
            else "Lire la note de cadrage"
        )
        html = Markup(
            '<p class="territoire"><strong>{}</strong> : {} <a href="{}">{}</a>.</p>'
        ).format(r["territoire"], text, f"{r['slug']}.html", link)
        display._emit(str(html), f"{r['territoire']} : {text}")


def profiles(s: Synthese) -> None:
    """Registered people by profile and territory, small cells suppressed (threshold ``seuil``)."""
    data = {}
    for r in s.results:
        mix = r.get("profils_inscrits") or []
        counts = {
            m["profil"]: m.get("n")
            for m in mix
            if m.get("n") is not None and not pd.isna(m.get("n"))
        }
        if counts:
            data[r["territoire"]] = counts
    if not data:
        return
    # each territory's counts were suppressed when its report was published (primary and
    # secondary, against its own total): a missing value is a masked cell, never a zero
    df = pd.DataFrame(data)
    df = df.reindex([p for p in PROFILS if p in df.index])
    df.index = [PROFILS[p] for p in df.index]
    df.index.name = "Profil"
    display.table(
        published_counts(df, s.seuil),
        caption="Personnes inscrites par profil et par territoire",
        index=True,
    )


def themes(s: Synthese) -> None:
    rows = []
    for r in s.results:
        for t in r.get("themes") or []:
            if t.get("part") is None or pd.isna(t.get("part")):
                continue
            rows.append(
                {
                    "territoire": r["territoire"],
                    "theme": t["theme"],
                    "libelle": t["libelle"],
                    "part": t["part"],
                }
            )
    if not rows:
        return
    df = pd.DataFrame(rows)
    # automatic topics differ from one territory to the next: compare the dictionary themes only
    df.loc[df["theme"].astype(str).str.startswith("sujet"), "libelle"] = "Autres sujets"
    df = df.groupby(["territoire", "libelle"], as_index=False)["part"].max()
    wide = df.pivot_table(index="libelle", columns="territoire", values="part", aggfunc="first")
    wide.columns.name = None
    wide = wide.loc[wide.mean(axis=1).sort_values(ascending=False).index]
    shown = wide.map(lambda v: "–" if pd.isna(v) else fmt_pct(v)).reset_index()
    shown = shown.rename(columns={"libelle": "Thème"})
    display.table(
        aggregate(shown, "part des réponses libres par thème"),
        caption="Part des réponses libres qui abordent chaque thème (question la plus citée)",
        sortable=True,
    )


def methodology(s: Synthese) -> None:
    items = [
        f"{r['territoire']} : résultats du {fmt_date(dt.date.fromisoformat(r['date']))} "
        f"({'compte rendu' if r.get('phase') == 'compte_rendu' else 'note de cadrage'}, "
        f"{len(r.get('sources') or [])} sources)."
        for r in s.results
    ]
    items.append(
        "Propositions : celles des comptes rendus seulement. Deux propositions sont rapprochées "
        "quand elles emploient les mêmes mots ou des synonymes de la participation "
        "(lemmes du modèle français de spaCy, dictionnaire de synonymes, pondération TF-IDF de "
        f"scikit-learn) ; un groupe se forme quand la similarité moyenne atteint "
        f"{str(consolidation.THRESHOLD).replace('.', ',')}. L'équipe organisatrice vérifie et corrige les groupes "
        "dans parameters/synthese/regroupements.yaml ; ses choix l'emportent. Les soutiens sont additionnés."
    )
    items.append(
        f"Confidentialité : aucun groupe de moins de {s.seuil} personnes n'est publié ; une "
        "valeur est aussi masquée quand elle permettrait de retrouver une case masquée par "
        "soustraction."
    )
    items.append(f"Généré le {fmt_date(dt.date.today())} avec Rencontres {__version__}.")
    display.bullet_list(items, css="methodo")
