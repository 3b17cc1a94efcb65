"""Sections of the territorial report: each function displays one part from a :class:`Rencontre`.

The notebook holds the narrative and calls these; the same functions back the JupyterLab
widgets (see :mod:`rencontres_lib.explorer`). Every figure shown is computed, never typed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from . import DIMENSIONS, PROFILS, __version__, charts, display, metrics
from .config import PHASE_LABELS
from .exports import fmt_date, fmt_date_long, fmt_int, fmt_pct
from .privacy import small_group_label, suppress_counts
from .rencontre import Rencontre

SOURCE_Q = "questionnaire du chantier ICPC 2025"
_EXPORTS: dict[str, pd.DataFrame] = {}


def exported(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Remember the table behind a chart; :func:`save_outputs` writes them as CSV/XLSX."""
    _EXPORTS[name] = df
    return df


def fictitious(r: Rencontre) -> bool:
    return any("exemple" in Path(p).parts for p in r.params.input_paths())


# ---------------------------------------------------------------- header


def entete(r: Rencontre) -> None:
    p = r.params
    title = f"{PHASE_LABELS[p.phase]} — Rencontre territoriale : {p.territoire}"
    display._display(
        {"text/html": f'<h1 id="titre">{display.html.escape(title)}</h1>', "text/plain": title}
    )
    infos = [f"Date : {fmt_date_long(p.date)}"]
    if p.lieu:
        infos.append(f"Lieu : {p.lieu}")
    if p.partenaires:
        infos.append("Partenaires : " + ", ".join(p.partenaires))
    infos.append(
        f"Document : {PHASE_LABELS[p.phase].lower()} ({'avant' if p.phase == 'cadrage' else 'après'} la rencontre)"
    )
    display.bullet_list(infos, css="entete")
    if fictitious(r):
        display.paragraph(
            "Données fictives : ce rapport est construit sur le jeu d'exemple du projet, pas sur de vraies réponses.",
            css="avertissement",
        )
    if r.failures:
        display.paragraph(
            "Sources non chargées : " + " ; ".join(f"{k} — {v}" for k, v in r.failures.items()),
            css="avertissement",
        )


def objectifs(r: Rencontre) -> None:
    if r.params.objectifs:
        display.bullet_list(r.params.objectifs, css="objectifs")
    else:
        display.note(
            "Les objectifs n'ont pas été renseignés dans les paramètres (clé « objectifs »)."
        )


def deroule(r: Rencontre) -> None:
    if not r.params.deroule:
        display.note("Le déroulé n'a pas été renseigné (clé « deroule »).")
        return
    df = pd.DataFrame(
        [
            {
                "Heure": e.heure.lstrip("0").replace(":", "\u00a0h\u00a0")
                if not e.heure.startswith("00")
                else e.heure,
                "Séquence": e.titre,
                "Intervenants": ", ".join(e.intervenants),
            }
            for e in r.params.deroule
        ]
    )
    display.table(df, caption="Déroulé de la rencontre", sortable=False)


# ---------------------------------------------------------------- key figures


def figures(r: Rencontre) -> dict:
    return metrics.key_figures(r.inscriptions, r.respondents_here, r.params.capacite)


def chiffres_cles(r: Rencontre) -> None:
    f = figures(r)
    cards: dict[str, str] = {}
    if f["inscrits"] is not None:
        cards["personnes inscrites"] = fmt_int(f["inscrits"])
        if r.params.phase == "compte_rendu" and f["presents"]:
            cards["personnes présentes"] = fmt_int(f["presents"])
            if f["taux_presence"] is not None:
                cards["taux de présence"] = fmt_pct(f["taux_presence"])
        if r.params.capacite:
            cards["places"] = fmt_int(r.params.capacite)
    if f["repondants"] is not None:
        cards["répondants au questionnaire"] = fmt_int(f["repondants"])
    if f["profils_representes"] is not None:
        cards["profils représentés (sur 7)"] = fmt_int(f["profils_representes"])
    display.key_figures(cards)


def _people(n: int) -> str:
    return f"{fmt_int(n)} personne" + ("s" if n > 1 else "")


def _num(x: float) -> str:
    """Percentage number without the sign, for intervals « 65–78 % »."""
    return str(round(100 * x))


def constats(r: Rencontre) -> list[str]:
    """Findings in plain sentences, computed from the data."""
    out: list[str] = []
    f = figures(r)
    if f["inscrits"] is not None and r.params.capacite:
        if f["inscrits"] > r.params.capacite:
            out.append(
                f"La rencontre est complète : {fmt_int(f['inscrits'])} inscriptions pour {fmt_int(r.params.capacite)} places, {_people(f['inscrits'] - r.params.capacite)} sur liste d'attente."
            )
        else:
            out.append(
                f"{fmt_int(f['inscrits'])} inscriptions pour {fmt_int(r.params.capacite)} places ({fmt_pct(f['inscrits'] / r.params.capacite)} de la capacité)."
            )
    if r.params.phase == "compte_rendu" and f["taux_presence"] is not None:
        out.append(
            f"{fmt_pct(f['taux_presence'])} des personnes inscrites et pointées étaient présentes ({fmt_int(f['presents'])} personnes)."
        )
    ah = r.answers_here
    if ah is not None and len(ah):
        dims = metrics.favorable_by_dimension(ah)
        dims = dims[dims["n"] >= r.seuil]
        if len(dims):
            best = dims.loc[dims["part"].idxmax()]
            worst = dims.loc[dims["part"].idxmin()]
            out.append(
                f"{fmt_pct(best['part'])} des réponses jugent favorablement la dimension « {DIMENSIONS[best['dimension']]} » "
                f"(IC 95\u202f% : {_num(best['bas'])}–{fmt_pct(best['haut'])}, n = {fmt_int(best['n'])}), la mieux perçue."
            )
            if worst["dimension"] != best["dimension"]:
                out.append(
                    f"La dimension « {DIMENSIONS[worst['dimension']]} » est la moins bien perçue : {fmt_pct(worst['part'])} de réponses favorables "
                    f"(IC 95\u202f% : {_num(worst['bas'])}–{fmt_pct(worst['haut'])})."
                )
        if r.respondents is not None:
            cmp = metrics.territory_comparison(
                metrics.favorable(
                    metrics.with_respondents(r.answers, r.respondents), by=["territoire"]
                ),
                r.territoire_filtre,
            )
            wide = cmp.pivot_table(index="question_id", columns="groupe", values="part")
            if {"ce territoire", "autres territoires"} <= set(wide.columns):
                gap = (wide["ce territoire"] - wide["autres territoires"]).dropna()
                if len(gap):
                    q = gap.abs().idxmax()
                    texts = question_texts(r)
                    sens = "plus" if gap[q] > 0 else "moins"
                    out.append(
                        f"Écart le plus marqué avec les autres territoires : « {texts.get(q, q)} » recueille {fmt_pct(wide.loc[q, 'ce territoire'])} "
                        f"de réponses favorables ici, contre {fmt_pct(wide.loc[q, 'autres territoires'])} ailleurs ({sens} favorable)."
                    )
    return out


def constats_list(r: Rencontre) -> None:
    display.bullet_list(constats(r))


# ---------------------------------------------------------------- participants


def participants(r: Rencontre) -> None:
    if r.inscriptions is None:
        display.note("Pas de fichier d'inscriptions pour cette rencontre.")
        return
    active = metrics.active_registrations(r.inscriptions)
    mixes = {f"Inscrits ({r.params.territoire})": metrics.profile_mix(active["profil"])}
    if r.respondents is not None:
        mixes["Répondants au questionnaire, tous territoires"] = metrics.profile_mix(
            r.respondents["profil"]
        )
    if r.params.mix_cible:
        total = sum(r.params.mix_cible.values()) or 1
        target = pd.DataFrame(
            {
                "profil": list(r.params.mix_cible),
                "n": 0,
                "part": [v / total for v in r.params.mix_cible.values()],
            }
        )
        mixes["Composition visée"] = target
    exported(
        "profils", pd.concat([m.assign(groupe=k) for k, m in mixes.items()], ignore_index=True)
    )
    display.show(
        charts.profile_mix_bars(
            mixes, title="Profils des participants", source=f"inscriptions HelloAsso ; {SOURCE_Q}"
        )
    )

    daily = exported("inscriptions_par_jour", metrics.registrations_over_time(r.inscriptions))
    if len(daily):
        display.show(
            charts.registrations_timeline(
                daily,
                capacite=r.params.capacite,
                date_rencontre=r.params.date,
                title="Rythme des inscriptions",
                source="inscriptions",
            )
        )
    if r.params.phase == "compte_rendu":
        fun = metrics.funnel(r.inscriptions, r.respondents_here)
        sup = suppress_counts(fun, r.seuil, totals=False)  # nested stages: row totals mean nothing
        exported("parcours_par_profil", sup.values.rename(index=PROFILS).reset_index())
        display.show(
            charts.funnel_bars(
                sup.values,
                title="De l'inscription à la réponse au questionnaire, par profil",
                source=f"inscriptions et {SOURCE_Q}",
                suppressed=small_group_label(r.seuil),
            )
        )
    carte(r)


def carte(r: Rencontre) -> None:
    from .geo import departements

    counts = exported("inscrits_par_departement", metrics.departement_counts(r.inscriptions))
    display.show(
        charts.departement_map(
            counts,
            departements(),
            threshold=r.seuil,
            title="D'où viennent les personnes inscrites ?",
            source="inscriptions (code postal) ; contours IGN Admin Express / INSEE (Licence Ouverte)",
        )
    )


def inscriptions_cadrage(r: Rencontre) -> None:
    """Registrations so far (cadrage phase): capacity, waitlist, mix."""
    if r.inscriptions is None:
        return
    split = metrics.waitlist_split(r.inscriptions, r.params.capacite)
    waiting = int((split["place"] == "liste d'attente").sum())
    if waiting:
        display.paragraph(
            f"Alerte : {fmt_int(len(split))} inscriptions actives pour {fmt_int(r.params.capacite)} places ; "
            f"{_people(waiting)} sur liste d'attente (par ordre d'inscription).",
            css="alerte",
        )
    else:
        display.paragraph(f"{fmt_int(len(split))} inscriptions actives à ce jour.")


# ---------------------------------------------------------------- questionnaire


def question_texts(r: Rencontre) -> dict[str, str]:
    q = r.questions
    return dict(zip(q["question_id"], q["texte"], strict=True)) if q is not None else {}


def scale_labels(r: Rencontre, question_id: str) -> list[str]:
    q = r.questions.set_index("question_id")
    name = q.loc[question_id, "echelle"]
    return list(r.codebook.echelles[name].libelles)


def dimension(r: Rencontre, dim: str, *, profil: str | None = None) -> None:
    """One impact dimension: distribution, comparison with the other territories, by profile."""
    if r.answers is None:
        display.note("Pas de questionnaire pour cette rencontre.")
        return
    texts = question_texts(r)
    ah = r.answers_here
    if profil:
        ids = r.respondents_here.loc[r.respondents_here["profil"] == profil, "respondent_id"]
        ah = ah[ah["respondent_id"].isin(ids)]
    lik = metrics.likert_answers(ah)
    lik = lik[lik["dimension"] == dim]
    if lik.empty:
        display.note("Aucune affirmation du questionnaire ne porte sur cette dimension.")
        return
    qids = list(dict.fromkeys(lik["question_id"]))
    n_resp = lik["respondent_id"].nunique()
    if n_resp < r.seuil:
        display.note(f"{small_group_label(r.seuil).capitalize()} : résultats non publiés.")
        return
    labels = scale_labels(r, qids[0])
    dist = exported(f"repartition_{dim}", metrics.likert_distribution(lik, len(labels)))
    display.show(
        charts.diverging_likert(
            dist,
            labels,
            texts,
            title=f"{DIMENSIONS[dim]} : répartition des réponses",
            source=f"{SOURCE_Q}, {r.params.territoire}",
        )
    )
    allq = metrics.with_respondents(r.answers, r.respondents)
    allq = allq[(allq["type"] == "likert") & (allq["dimension"] == dim)]
    if profil:
        allq = allq[allq["profil"] == profil]
    cmp = metrics.territory_comparison(
        metrics.favorable(allq, by=["territoire"]), r.territoire_filtre
    )
    cmp = cmp[cmp["n"] >= r.seuil]
    exported(f"favorable_{dim}", cmp)
    if len(cmp):
        display.show(
            charts.favorable_compare(
                cmp,
                texts,
                title=f"{DIMENSIONS[dim]} : part de réponses favorables, ce territoire et les autres",
                source=SOURCE_Q,
            )
        )
    if not profil:
        par_profil(r, lik, texts)


def par_profil(r: Rencontre, lik: pd.DataFrame, texts: dict[str, str]) -> None:
    """% favourable by profile with small-cell suppression (cells n < seuil hidden)."""
    joined = metrics.with_respondents(lik, r.respondents_here)
    fav = metrics.favorable(joined, by=["profil"])
    if fav.empty:
        return
    counts = fav.pivot_table(index="question_id", columns="profil", values="n", fill_value=0)
    sup = suppress_counts(counts, r.seuil, totals=False)
    share = fav.pivot_table(index="question_id", columns="profil", values="part")
    share = share[[p for p in PROFILS if p in share.columns]]  # ICPC order, not alphabetical
    shown = pd.DataFrame(index=share.index)
    for col in share.columns:
        shown[PROFILS.get(col, col)] = [
            small_group_label(r.seuil)
            if pd.isna(sup.values.loc[q, col])
            else f"{fmt_pct(share.loc[q, col])}\u00a0({int(counts.loc[q, col])})"
            for q in share.index
        ]
    shown.index = [texts.get(q, q) for q in shown.index]
    shown = shown.T  # profiles in rows, the two or three statements in columns
    shown.index.name = "Profil"
    exported(f"favorable_par_profil_{lik['dimension'].iloc[0]}", shown.reset_index())
    display.table(
        shown.reset_index(),
        caption="Part de réponses favorables par profil (effectif entre parenthèses)",
        sortable=False,
    )


# ---------------------------------------------------------------- free text


def texte_libre(r: Rencontre, question_id: str, *, n_quotes: int = 3) -> None:
    from .text import assign_themes, load_themes, representative_quotes, theme_shares

    if r.answers is None:
        return
    ah = r.answers_here
    txt = ah[(ah["question_id"] == question_id) & (ah["valeur"].str.strip() != "")]
    txt = txt.merge(
        r.respondents_here[["respondent_id", "profil", "territoire"]], on="respondent_id"
    )
    if len(txt) < r.seuil:
        display.note(f"Trop peu de réponses à cette question ({small_group_label(r.seuil)}).")
        return
    texts = txt["valeur"].reset_index(drop=True)
    themes = load_themes(r.params.source("themes"))
    shares = exported(f"themes_{question_id}", theme_shares(texts, themes))
    display.show(
        charts.share_bars(
            shares.head(10),
            "libelle",
            "part",
            title=f"Thèmes des réponses : {question_texts(r).get(question_id, question_id)}",
            source=f"{SOURCE_Q}, réponses libres, {r.params.territoire}",
            n=len(texts),
        )
    )
    assignments = assign_themes(texts, themes)
    profil_counts = txt["profil"].value_counts()
    for theme_id in list(shares["theme"].head(3)):
        if theme_id not in set(assignments["theme"]):
            continue
        idx = representative_quotes(texts, assignments, theme_id, k=n_quotes)
        items = []
        for i in idx:
            prof = txt["profil"].iloc[i]
            who = (
                PROFILS.get(prof, prof)
                if profil_counts.get(prof, 0) >= r.seuil
                else "profil non précisé (effectif trop faible)"
            )
            items.append((texts.iloc[i], f"{who}, {r.params.territoire}"))
        label = shares.loc[shares["theme"] == theme_id, "libelle"].iloc[0]
        display.paragraph(f"« {label} » — exemples de réponses :", css="sous-titre")
        display.quotes(items)


# ---------------------------------------------------------------- interviews and proposals


def entretiens(r: Rencontre) -> None:
    e = r.entretiens
    if e is None or e.empty:
        display.note("Aucun extrait d'entretien pour ce territoire.")
        return
    counts = (
        e.groupby(["theme"])
        .size()
        .rename("extraits")
        .reset_index()
        .sort_values("extraits", ascending=False)
    )
    exported("entretiens_par_theme", counts)
    display.table(
        counts.rename(columns={"theme": "Thème", "extraits": "Extraits"}),
        caption="Extraits d'entretiens par thème",
        sortable=False,
    )
    fav = (
        metrics.favorable_by_dimension(r.answers_here) if r.answers is not None else pd.DataFrame()
    )
    for theme, g in e.groupby("theme", sort=True):
        dim = g["dimension"].iloc[0] if "dimension" in g else ""
        lead = f"Thème « {theme} »"
        if dim and len(fav) and dim in set(fav["dimension"]):
            row = fav[fav["dimension"] == dim].iloc[0]
            lead += f" — au questionnaire, {fmt_pct(row['part'])} de réponses favorables sur la dimension « {DIMENSIONS[dim]} » (n = {fmt_int(row['n'])})."
        display.paragraph(lead, css="sous-titre")
        display.quotes(
            (t, f"{PROFILS.get(p, p)}, entretien")
            for t, p in zip(g["texte"].head(3), g["profil"].head(3), strict=True)
        )


def propositions(r: Rencontre) -> None:
    c = r.contributions
    if c is None or c.empty:
        display.note("Aucune proposition pour cette rencontre.")
        return
    df = c.sort_values("soutiens", ascending=False, na_position="last")
    shown = pd.DataFrame(
        {
            "Atelier": df["atelier"],
            "Thème": df["theme"],
            "Proposition": df["titre"],
            "Soutiens": df["soutiens"].astype("Int64"),
            "Commentaires": df["commentaires"].astype("Int64"),
        }
    )
    if r.votes is not None and len(r.votes):
        cons = metrics.consensus(
            r.votes.rename(columns={"accords": "pour", "desaccords": "contre"})
        )
        shown["Avis des groupes"] = (
            df["proposition_id"]
            .map(dict(zip(cons["proposition_id"], cons["statut"], strict=True)))
            .fillna("")
        )
    exported("propositions", shown)
    by_theme = (
        df.groupby("theme")
        .agg(propositions=("titre", "size"), soutiens=("soutiens", "sum"))
        .reset_index()
        .sort_values("soutiens", ascending=False)
    )
    display.show(
        charts.share_bars(
            by_theme,
            "theme",
            "soutiens",
            title="Soutiens recueillis par thème",
            source="propositions des ateliers",
            n=int(len(df)),
            value_format="",
        )
    )
    display.table(shown, caption="Propositions classées par nombre de soutiens", max_rows=40)


# ---------------------------------------------------------------- methodology


def _public_finding(r: Rencontre, finding) -> str:
    """A loading finding fit for publication: project-relative paths, values scrubbed."""
    from .privacy import scrub_text

    text = finding.french()
    root = str(r.params.racine or "")
    if root:
        text = text.replace(root.rstrip("/") + "/", "")
    return scrub_text(text, r.names or (), max_chars=500)


def methodologie(r: Rencontre) -> None:
    rows = []
    for kind, res in r.results.items():
        rows.append(
            {
                "Source": kind,
                "Fichier": Path(res.source).name,
                "Empreinte sha256": res.sha256[:16] + "…",
                "Lignes lues": res.rows_read,
                "Utilisées": res.rows_used,
                "Rejetées": res.rows_rejected,
            }
        )
    for kind in r.failures:
        rows.append(
            {
                "Source": kind,
                "Fichier": "—",
                "Empreinte sha256": "—",
                "Lignes lues": 0,
                "Utilisées": 0,
                "Rejetées": 0,
            }
        )
    display.table(
        pd.DataFrame(rows),
        caption="Sources utilisées (lignes lues = utilisées + rejetées)",
        sortable=False,
    )
    items = [_public_finding(r, f) for f in r.findings() if f.level != "info"][:30]
    infos = [_public_finding(r, f) for f in r.findings() if f.level == "info"][:15]
    if items or infos:
        display.paragraph("Constats de chargement :", css="sous-titre")
        display.bullet_list(items + infos, css="constats-chargement")
    display.bullet_list(
        [
            f"Règle de confidentialité : toute case de moins de {r.seuil} personnes est masquée (« {small_group_label(r.seuil)} »), "
            "avec masquage secondaire quand un total permettrait de la retrouver. Les citations ne portent que le profil et le territoire ; "
            "courriels, téléphones et noms des inscrits sont masqués dans les textes libres.",
            "Réponse favorable : « Tout à fait » ou « Plutôt d'accord » (inversé pour les affirmations formulées négativement) ; "
            "« Sans avis » et absence de réponse sont exclus du calcul. Intervalle de confiance à 95 % de Wilson.",
            f"Paramètres : {Path(r.params.fichier).name if r.params.fichier else '—'} ; filtre territoire « {r.territoire_filtre} ».",
            f"Généré le {fmt_date(dt.date.today())} avec Rencontres {__version__}.",
        ],
        css="methodo",
    )


# ---------------------------------------------------------------- saved results


def results(r: Rencontre) -> dict:
    """What the synthesis reads: public, aggregated results of this meeting."""
    f = figures(r)
    out: dict = {
        "slug": r.params.slug,
        "territoire": r.params.territoire,
        "date": r.params.date.isoformat(),
        "phase": r.params.phase,
        "chiffres": f,
        "seuil": r.seuil,
        "version": __version__,
    }
    if r.answers is not None:
        dims = metrics.favorable_by_dimension(r.answers_here)
        out["dimensions"] = dims.to_dict(orient="records")
        out["profils_repondants"] = metrics.profile_mix(r.respondents_here["profil"]).to_dict(
            orient="records"
        )
        from .text import load_themes, theme_shares

        themes = load_themes(r.params.source("themes"))
        txt = r.answers_here[
            (r.answers_here["type"] == "texte") & (r.answers_here["valeur"].str.strip() != "")
        ]
        out["themes"] = (
            theme_shares(txt["valeur"].reset_index(drop=True), themes).to_dict(orient="records")
            if len(txt)
            else []
        )
    if r.inscriptions is not None:
        out["profils_inscrits"] = metrics.profile_mix(
            metrics.active_registrations(r.inscriptions)["profil"]
        ).to_dict(orient="records")
    if r.contributions is not None and r.params.phase == "compte_rendu":
        cols = [
            "proposition_id",
            "territoire",
            "atelier",
            "titre",
            "corps",
            "theme",
            "soutiens",
            "commentaires",
        ]
        out["propositions"] = (
            r.contributions[cols]
            .astype(object)
            .where(r.contributions[cols].notna(), None)
            .to_dict(orient="records")
        )
    out["sources"] = [res.summary() for res in r.results.values()]
    out["echecs"] = r.failures
    return out


def save_outputs(r: Rencontre, sortie: str | Path | None) -> None:
    """Write the results JSON and the tables behind the charts (CSV + XLSX, formula-safe)."""
    from .exports import atomic_write_text, write_csv, write_xlsx_sheets

    if not sortie:
        return
    out = Path(sortie)
    (out / "tableaux").mkdir(parents=True, exist_ok=True)
    atomic_write_text(
        out / "resultats.json", json.dumps(results(r), ensure_ascii=False, indent=1, default=str)
    )
    for name, df in _EXPORTS.items():
        write_csv(df, out / "tableaux" / f"{r.params.slug}_{name}.csv")
    if _EXPORTS:
        write_xlsx_sheets(dict(_EXPORTS), out / "tableaux" / f"{r.params.slug}_tableaux.xlsx")
