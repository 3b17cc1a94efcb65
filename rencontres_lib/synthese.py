"""The chantier synthesis: reads the results saved by each territorial run, never re-derives them."""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import DIMENSIONS, __version__, charts, display
from .exports import fmt_date, fmt_int, fmt_pct


@dataclass
class Synthese:
    results: list[dict] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def load(paths: list[str | Path] | str | Path) -> Synthese:
    """Read ``resultats.json`` files (a list of files, or a folder searched for ``*/resultats.json``)."""
    if isinstance(paths, str | Path):
        folder = Path(paths)
        files = sorted(folder.glob("*/resultats.json"))
    else:
        files = [Path(p) for p in paths]
    if not files:
        from .config import project_root

        files = sorted((project_root() / "build").glob("*/resultats.json"))
    results = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    results.sort(key=lambda r: r["date"])
    return Synthese(results, files)


def entete(s: Synthese) -> None:
    title = "Synthèse des rencontres territoriales"
    display._display({"text/html": f'<h1 id="titre">{title}</h1>', "text/plain": title})
    display.paragraph(
        "Chantier « Points d'ancrage et nouvelles orientations de la participation citoyenne pour 2026 » : "
        f"{len(s.results)} rencontre(s) territoriale(s) en vue du rapport de propositions pour les élections municipales de 2026."
    )
    if not s.results:
        display.paragraph(
            "Aucun résultat territorial n'est disponible : lancez d'abord « rencontres build ».",
            css="avertissement",
        )


def chiffres(s: Synthese) -> None:
    rows = []
    for r in s.results:
        c = r["chiffres"]
        link = f'<a href="{html.escape(r["slug"])}.html">{html.escape(r["territoire"])}</a>'
        rows.append(
            {
                "Territoire": link,
                "Date": html.escape(fmt_date(dt.date.fromisoformat(r["date"]))),
                "Document": "Note de cadrage" if r["phase"] == "cadrage" else "Compte rendu",
                "Inscrits": fmt_int(c["inscrits"]) if c.get("inscrits") is not None else "–",
                "Présents": fmt_int(c["presents"])
                if r["phase"] == "compte_rendu" and c.get("presents")
                else "–",
                "Taux de présence": fmt_pct(c["taux_presence"])
                if r["phase"] == "compte_rendu" and c.get("taux_presence") is not None
                else "–",
                "Répondants": fmt_int(c["repondants"]) if c.get("repondants") is not None else "–",
            }
        )
    df = pd.DataFrame(rows)
    # links are built here from escaped parts: render without re-escaping
    body = df.to_html(index=False, escape=False, border=0, classes=["tableau"])
    display._display(
        {"text/html": f'<div class="tableau-conteneur">{body}</div>', "text/plain": df.to_string()}
    )


def dimension_table(s: Synthese) -> pd.DataFrame:
    """% favourable, dimensions × territories (NaN where n is under the territory's threshold)."""
    data = {}
    for r in s.results:
        col = {}
        for d in r.get("dimensions", []):
            col[d["dimension"]] = d["part"] if d["n"] >= r["seuil"] else float("nan")
        data[r["territoire"]] = col
    return pd.DataFrame(data).reindex(list(DIMENSIONS))


def dimensions(s: Synthese) -> None:
    t = dimension_table(s)
    if t.empty or t.isna().all().all():
        display.note("Pas de réponses au questionnaire.")
        return
    n = sum(int(r["chiffres"].get("repondants") or 0) for r in s.results)
    display.show(
        charts.heatmap(
            t,
            title="Part de réponses favorables par dimension et par territoire",
            source="questionnaire du chantier, résultats enregistrés par chaque rapport territorial",
            n=f"{n} répondants",
        )
    )


def profils(s: Synthese) -> None:
    mixes = {}
    for r in s.results:
        mix = pd.DataFrame(r.get("profils_inscrits") or r.get("profils_repondants") or [])
        if len(mix):
            mixes[r["territoire"]] = mix
    if not mixes:
        return
    display.show(
        charts.profile_mix_bars(
            mixes, title="Profils des personnes inscrites, par territoire", source="inscriptions"
        )
    )


def themes(s: Synthese) -> None:
    rows = []
    for r in s.results:
        for t in r.get("themes", []):
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
    df = df.groupby(["territoire", "libelle"], as_index=False)["part"].sum()
    wide = df.pivot_table(index="libelle", columns="territoire", values="part", aggfunc="first")
    wide.columns.name = None
    wide = wide.loc[wide.mean(axis=1).sort_values(ascending=False).index]
    shown = (
        wide.map(lambda v: "–" if pd.isna(v) else fmt_pct(v))
        .reset_index()
        .rename(columns={"libelle": "Thème"})
    )
    display.table(
        shown, caption="Part des réponses libres qui abordent chaque thème", sortable=True
    )


def consolidated(s: Synthese, threshold: float = 0.5) -> pd.DataFrame:
    from .text import consolidate_proposals

    rows = [p for r in s.results for p in r.get("propositions", [])]
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows)
    df["soutiens"] = pd.to_numeric(df["soutiens"], errors="coerce")
    return consolidate_proposals(df, threshold)


def propositions(s: Synthese) -> None:
    c = consolidated(s)
    if c.empty:
        display.note("Aucune proposition n'a encore été recueillie.")
        return
    c = c.sort_values(["soutiens_total", "n_propositions"], ascending=False)
    multi = int((c["n_propositions"] > 1).sum())
    display.paragraph(
        f"{fmt_int(int(c['n_propositions'].sum()))} propositions recueillies, regroupées en {fmt_int(len(c))} idées ; "
        + (
            "aucune idée n'a été formulée plusieurs fois."
            if multi == 0
            else f"{fmt_int(multi)} idée{'s ont' if multi > 1 else ' a'} été formulée{'s' if multi > 1 else ''} plusieurs fois."
        )
    )
    shown = pd.DataFrame(
        {
            "Proposition": c["titre"],
            "Thème": c["theme"],
            "Territoires": c["territoires"],
            "Formulations": c["n_propositions"],
            "Soutiens (total)": c["soutiens_total"].astype("Int64"),
        }
    )
    display.table(shown, caption="Propositions consolidées, classées par soutiens", max_rows=60)


def methodologie(s: Synthese) -> None:
    items = [
        f"{r['territoire']} : résultats du {fmt_date(dt.date.fromisoformat(r['date']))} ({len(r.get('sources', []))} sources)."
        for r in s.results
    ]
    items.append(
        "Propositions rapprochées par similarité de texte (mots racinisés et trigrammes) au-delà d'un seuil de 0,5 ; soutiens additionnés."
    )
    items.append(f"Généré le {fmt_date(dt.date.today())} avec Rencontres {__version__}.")
    display.bullet_list(items, css="methodo")
