"""Small composable chart functions returning plotly figures (French template).

Charts never read files: they take tables from :mod:`rencontres_lib.metrics`. Each figure has a
title and carries its source line and n in ``fig.layout.meta`` (``source``, ``n``, ``alt``),
which :mod:`rencontres_lib.display` shows under the chart and uses as text alternative.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from . import DIMENSIONS, PROFILS

# Okabe–Ito, colour-blind safe
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
# Diverging scale (blue = favourable, orange-brown = unfavourable), readable by colour-blind people
DIVERGING = {
    2: ["#B35806", "#2166AC"],
    3: ["#B35806", "#BDBDBD", "#2166AC"],
    4: ["#B35806", "#F1A340", "#67A9CF", "#2166AC"],
    5: ["#B35806", "#F1A340", "#BDBDBD", "#67A9CF", "#2166AC"],
    6: ["#8C510A", "#B35806", "#F1A340", "#67A9CF", "#2166AC", "#053061"],
    7: ["#8C510A", "#B35806", "#F1A340", "#BDBDBD", "#67A9CF", "#2166AC", "#053061"],
}
GREY = "#D9D9D9"

# A small self-contained template: merging with plotly's large built-in templates costs
# about 0.3 s per figure (deep copies), more than drawing the figure itself.
pio.templates["rencontres"] = go.layout.Template(
    layout={
        "font": {
            "family": "Marianne, Arial, Helvetica, sans-serif",
            "size": 13,
            "color": "#1e1e1e",
        },
        "separators": ", ",
        "colorway": OKABE_ITO,
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "title": {
            "x": 0,
            "xanchor": "left",
            "font": {"size": 16},
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 12},
        },
        "xaxis": {
            "gridcolor": "#ececec",
            "zerolinecolor": "#999",
            "linecolor": "#999",
            "automargin": True,
            "ticks": "",
        },
        "yaxis": {
            "gridcolor": "#ececec",
            "zerolinecolor": "#999",
            "linecolor": "#999",
            "automargin": True,
            "ticks": "",
        },
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "left", "x": 0},
        "margin": {"l": 10, "r": 20, "t": 100, "b": 60},
        "hoverlabel": {"font": {"family": "Arial"}},
        "hovermode": "closest",
    }
)
pio.templates.default = "rencontres"
TEMPLATE = "rencontres"


def _label(text: str, width: int = 45) -> str:
    """Escape a label for plotly (which renders a subset of HTML) and wrap it."""
    words, lines, line = html.escape(str(text), quote=False).split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "<br>".join(lines)


def _finish(
    fig: go.Figure,
    title: str,
    source: str,
    n: int | str | None,
    alt: str,
    height: int | None = None,
) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": html.escape(title, quote=False)},
        meta={"source": source, "n": n, "alt": alt, "title": title},
    )
    if height:
        fig.update_layout(height=height)
    return fig


def pct(x: float) -> str:
    """French percentage for chart text (no display module import, charts stay standalone)."""
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{round(100 * x):d} %"


def diverging_likert(
    dist: pd.DataFrame,
    labels: Sequence[str],
    texts: Mapping[str, str],
    *,
    title: str,
    source: str,
) -> go.Figure:
    """Diverging stacked bars: unfavourable levels left of 0, neutral centred, favourable right.

    ``dist`` is :func:`metrics.likert_distribution` (rang 1 = least favourable); ``labels`` the
    scale labels in the same order; ``texts`` question_id → statement.
    """
    k = len(labels)
    colours = DIVERGING.get(k, DIVERGING[5])
    mid = (k + 1) / 2
    qids = list(dict.fromkeys(dist["question_id"]))[::-1]
    fig = go.Figure()
    wide = dist.pivot_table(
        index="question_id", columns="rang", values="part", fill_value=0.0
    ).reindex(qids)
    totals = dist.groupby("question_id")["total"].first().reindex(qids)
    y = [_label(texts.get(q, q)) for q in qids]
    # relative stacking grows outwards from 0 in trace order: add levels nearest the centre first
    traces = []
    for r in range(1, k + 1):
        share = wide[r] if r in wide.columns else pd.Series(0.0, index=qids)
        share = share.fillna(0.0)
        name = html.escape(labels[r - 1])
        common = {
            "orientation": "h",
            "marker_color": colours[r - 1],
            "name": name,
            "legendrank": r,
            "customdata": share,
            "hovertemplate": "%{customdata:.0%}<extra>" + name + "</extra>",
        }
        if r == mid:  # neutral: half on each side
            traces.append((0, go.Bar(y=y, x=-share / 2, showlegend=False, **common)))
            traces.append((0, go.Bar(y=y, x=share / 2, **common)))
        else:
            traces.append((abs(r - mid), go.Bar(y=y, x=-share if r < mid else share, **common)))
    for _, trace in sorted(traces, key=lambda t: t[0]):
        fig.add_trace(trace)
    fig.update_layout(barmode="relative", legend_traceorder="normal")
    fig.update_xaxes(tickformat=".0%", range=[-1, 1], title="← défavorable · favorable →")
    n = int(totals.max()) if len(totals) else 0
    alt = "Répartition des réponses par affirmation. " + " ".join(
        f"{texts.get(q, q)} : {pct(float(wide.loc[q, [c for c in wide.columns if c > mid]].sum()))} favorables (n = {int(totals[q])})."
        for q in qids[::-1]
    )
    # five-level legend: three entries a row (two rows, fixed height) above the bars
    # (legend.xref="container" draws a vertical legend in plotly.js 3: stay on the plot area)
    fig.update_layout(
        margin={"t": 160},
        legend={"orientation": "h", "x": 0, "traceorder": "normal", "yanchor": "bottom", "y": 1.01},
        title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 12}},
    )
    return _finish(fig, title, source, n, alt, height=190 + 70 * len(qids))


def favorable_compare(
    cmp: pd.DataFrame, texts: Mapping[str, str], *, title: str, source: str
) -> go.Figure:
    """% favourable with 95 % intervals, one bar per group (e.g. this territory vs the others)."""
    fig = go.Figure()
    qids = list(dict.fromkeys(cmp["question_id"]))[::-1]
    for i, (group, g) in enumerate(cmp.groupby("groupe", sort=False)):
        g = g.set_index("question_id").reindex(qids)
        fig.add_bar(
            y=[_label(texts.get(q, q)) for q in qids],
            x=g["part"],
            orientation="h",
            name=html.escape(str(group)),
            marker_color=OKABE_ITO[i % len(OKABE_ITO)],
            error_x={
                "type": "data",
                "symmetric": False,
                "array": g["haut"] - g["part"],
                "arrayminus": g["part"] - g["bas"],
                "color": "#555",
            },
            customdata=g[["n", "bas", "haut"]].to_numpy(),
            hovertemplate="%{x:.0%} (IC 95 % : %{customdata[1]:.0%}–%{customdata[2]:.0%}, n = %{customdata[0]})<extra>"
            + html.escape(str(group))
            + "</extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title="part de réponses favorables")
    alt = " ".join(
        f"{texts.get(r.question_id, r.question_id)} — {r.groupe} : {pct(r.part)} (n = {int(r.n)})."
        for r in cmp.itertuples()
    )
    return _finish(
        fig, title, source, int(cmp["n"].max()) if len(cmp) else 0, alt, height=160 + 60 * len(qids)
    )


def profile_mix_bars(mixes: Mapping[str, pd.DataFrame], *, title: str, source: str) -> go.Figure:
    """Profile shares side by side for several groups (e.g. ce territoire, tous les territoires, cible)."""
    fig = go.Figure()
    alt_parts = []
    for i, (name, mix) in enumerate(mixes.items()):
        labels = [PROFILS.get(p, p) for p in mix["profil"]]
        fig.add_bar(
            x=labels,
            y=mix["part"],
            name=html.escape(name),
            marker_color=OKABE_ITO[i % len(OKABE_ITO)],
            customdata=mix["n"].astype(str),
            hovertemplate="%{y:.0%} (n = %{customdata})<extra>" + html.escape(name) + "</extra>",
        )
        alt_parts.append(
            name
            + " : "
            + ", ".join(f"{lab} {pct(p)}" for lab, p in zip(labels, mix["part"], strict=True))
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", title="part")
    totals = [f"{int(m['n'].sum())} ({name})" for name, m in mixes.items() if int(m["n"].sum())]
    n = " ; ".join(totals) if len(totals) > 1 else (totals[0].split(" ")[0] if totals else None)
    if len(mixes) > 2:
        fig.update_layout(margin={"t": 130})
    return _finish(fig, title, source, n, ". ".join(alt_parts) + ".")


def funnel_bars(
    funnel: pd.DataFrame, *, title: str, source: str, suppressed: str = "effectif trop faible"
) -> go.Figure:
    """Registered → present → answered by profile (grouped bars). NA cells are suppressed ones."""
    stages = {
        "inscrits": "Inscrits",
        "presents": "Présents",
        "repondants": "Répondants au questionnaire (tout le territoire)",
    }
    labels = [PROFILS.get(p, p) for p in funnel.index]
    fig = go.Figure()
    for i, (col, name) in enumerate(stages.items()):
        if col not in funnel:
            continue
        vals = funnel[col]
        text = [suppressed if pd.isna(v) else str(int(v)) for v in vals]
        fig.add_bar(
            x=labels,
            y=vals.astype("Float64").fillna(0),
            name=name,
            text=text,
            textposition="outside",
            marker_color=OKABE_ITO[i],
            hovertemplate="%{text}<extra>" + name + "</extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="personnes")
    alt = "; ".join(
        f"{lab} : "
        + ", ".join(
            f"{stages[c].lower()} {('effectif trop faible' if pd.isna(funnel.loc[p, c]) else int(funnel.loc[p, c]))}"
            for c in stages
            if c in funnel
        )
        for lab, p in zip(labels, funnel.index, strict=True)
    )
    total = funnel["inscrits"].sum() if "inscrits" in funnel else 0
    return _finish(fig, title, source, int(total) if not pd.isna(total) else None, alt + ".")


def registrations_timeline(
    daily: pd.DataFrame, *, capacite: int | None, date_rencontre, title: str, source: str
) -> go.Figure:
    """Cumulative registrations over time against capacity, with the meeting date marked."""
    fig = go.Figure()
    fig.add_scatter(
        x=daily["jour"],
        y=daily["cumul"],
        mode="lines+markers",
        name="Inscriptions cumulées",
        line={"color": OKABE_ITO[0], "shape": "hv"},
        hovertemplate="%{x|%d/%m/%Y} : %{y}<extra></extra>",
    )
    if capacite:
        fig.add_hline(
            y=capacite,
            line_dash="dash",
            line_color=OKABE_ITO[5],
            annotation_text=f"capacité : {capacite}",
            annotation_position="top left",
        )
    if date_rencontre is not None:
        x = pd.Timestamp(date_rencontre).timestamp() * 1000
        fig.add_vline(x=x, line_dash="dot", line_color="#555", annotation_text="rencontre")
    fig.update_xaxes(title="date d'inscription", tickformat="%d/%m")
    fig.update_yaxes(title="inscriptions (cumul)", rangemode="tozero")
    last = int(daily["cumul"].iloc[-1]) if len(daily) else 0
    alt = f"Courbe des inscriptions cumulées : {last} inscriptions actives au total" + (
        f" pour une capacité de {capacite}." if capacite else "."
    )
    return _finish(fig, title, source, last, alt)


def departement_map(
    counts: pd.DataFrame, geojson: dict, *, threshold: int, title: str, source: str
) -> go.Figure:
    """Participants by département drawn as filled outlines (no base map, nothing fetched).

    Départements with fewer than ``threshold`` participants are shown as « effectif trop faible ».
    """
    counts = counts.set_index("departement")["n"] if len(counts) else pd.Series(dtype=int)
    bins = [
        (threshold, 9, "#C6DBEF"),
        (10, 24, "#6BAED6"),
        (25, 49, "#2171B5"),
        (50, 10**9, "#08306B"),
    ]
    fig = go.Figure()
    background_x: list = []
    background_y: list = []
    small_x: list = []
    small_y: list = []
    shown = []
    for feat in geojson["features"]:
        code, nom = feat["properties"]["code"], feat["properties"]["nom"]
        xs, ys = _outline(feat["geometry"])
        n = int(counts.get(code, 0))
        if n == 0:
            background_x += xs
            background_y += ys
        elif n < threshold:
            small_x += xs
            small_y += ys
        else:
            colour = next(c for lo, hi, c in bins if lo <= n <= hi)
            shown.append((nom, n))
            fig.add_scatter(
                x=xs,
                y=ys,
                fill="toself",
                mode="lines",
                line={"color": "white", "width": 0.5},
                fillcolor=colour,
                name=html.escape(f"{nom} : {n}"),
                hoveron="fills",
                hoverinfo="name",
                showlegend=False,
            )
    fig.add_scatter(
        x=background_x,
        y=background_y,
        fill="toself",
        mode="lines",
        line={"color": "white", "width": 0.5},
        fillcolor="#F2F2F2",
        hoverinfo="skip",
        showlegend=False,
    )
    if small_x:
        fig.add_scatter(
            x=small_x,
            y=small_y,
            fill="toself",
            mode="lines",
            line={"color": "white", "width": 0.5},
            fillcolor="#E0E0E0",
            name=f"moins de {threshold} (effectif trop faible)",
            hoveron="fills",
            hoverinfo="name",
            showlegend=True,
        )
    # background first so coloured départements are on top
    fig.data = (fig.data[-2 if small_x else -1],) + tuple(
        d for d in fig.data if d.fillcolor not in ("#F2F2F2",)
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1.45)
    total = int(counts.sum()) if len(counts) else 0
    alt = (
        "Carte des participants par département : "
        + (
            ", ".join(f"{nom} {n}" for nom, n in sorted(shown, key=lambda t: -t[1]))
            or "aucun département au-dessus du seuil"
        )
        + "."
    )
    return _finish(fig, title, source, total, alt, height=560)


def _outline(geometry: dict) -> tuple[list, list]:
    polys = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    xs: list = []
    ys: list = []
    for poly in polys:
        ring = poly[0]
        xs += [round(p[0], 3) for p in ring] + [None]
        ys += [round(p[1], 3) for p in ring] + [None]
    return xs, ys


def heatmap(
    table: pd.DataFrame, *, title: str, source: str, zfmt: str = ".0%", n: int | str | None = None
) -> go.Figure:
    """Dimension × territory heatmap of shares (rows = dimensions, columns = territories)."""
    rows = [DIMENSIONS.get(r, r) for r in table.index]
    z = table.to_numpy(dtype=float)
    text = [[pct(v) for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[html.escape(str(c)) for c in table.columns],
            y=rows,
            text=text,
            texttemplate="%{text}",
            colorscale=[[0, "#B35806"], [0.5, "#F7F7F7"], [1, "#2166AC"]],
            zmin=0,
            zmax=1,
            colorbar={"tickformat": zfmt, "title": "favorable"},
            hovertemplate="%{y} — %{x} : %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    alt = " ".join(
        f"{r} : " + ", ".join(f"{c} {t}" for c, t in zip(table.columns, trow, strict=True)) + "."
        for r, trow in zip(rows, text, strict=True)
    )
    return _finish(fig, title, source, n, alt, height=140 + 60 * len(rows))


def share_bars(
    df: pd.DataFrame,
    label_col: str,
    value_col: str,
    *,
    title: str,
    source: str,
    n: int | None = None,
    value_format: str = ".0%",
) -> go.Figure:
    """Simple horizontal bars (e.g. themes of open answers with their share)."""
    d = df.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            y=[_label(v, 40) for v in d[label_col]],
            x=d[value_col],
            orientation="h",
            marker_color=OKABE_ITO[0],
            text=[pct(v) if value_format == ".0%" else str(v) for v in d[value_col]],
            textposition="outside",
            hovertemplate="%{y} : %{text}<extra></extra>",
        )
    )
    fig.update_xaxes(tickformat=value_format, rangemode="tozero")
    alt = (
        "; ".join(
            f"{lab} : {pct(v) if value_format == '.0%' else v}"
            for lab, v in zip(df[label_col], df[value_col], strict=True)
        )
        + "."
    )
    return _finish(fig, title, source, n, alt, height=140 + 40 * len(df))
