"""Small composable chart functions returning plotly figures (French template).

Charts never read files: they take tables from :mod:`rencontres_lib.metrics`. Each figure has a
title and carries its source line and n in ``fig.layout.meta`` (``source``, ``n``, ``alt``,
``title``), which :mod:`rencontres_lib.display` shows under the chart and uses as text
alternative.

French number formats everywhere: every number a reader sees in a chart (tick labels, value
labels, hover texts, text alternatives) is written by babel (``fr_FR``) in Python — « 35 % » with
a narrow no-break space (U+202F) before %, decimal comma, thousands separated by U+202F — and
``layout.separators`` is ``",\\u202f"`` so that plotly's own numbers (count axes) agree.
Percentage axes carry explicit ``tickvals``/``ticktext``: plotly's ``".0%"`` format prints « 35% »
and diverging axes would read « -40% ». Rounding is half up, as in :mod:`rencontres_lib.exports`,
so a chart and its table never disagree by one point.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Collection, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from babel.dates import format_date

from . import DIMENSIONS, PROFILS
from .formats import fmt_int, fmt_pct
from .public import public_only

LOCALE = "fr_FR"
NBSP = "\u00a0"
NNBSP = "\u202f"
# plotly's layout.separators: decimal mark, then thousands separator (same as babel's fr_FR)
SEPARATORS = "," + NNBSP
FONT = "Marianne, Arial, Helvetica, sans-serif"
INVERSE_NOTE = "(formulation négative : l’accord est défavorable)"

# Okabe–Ito, colour-blind safe
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
# Diverging scale (orange-brown = low end of the scale, blue = high end), readable by
# colour-blind people
DIVERGING = {
    2: ["#B35806", "#2166AC"],
    3: ["#B35806", "#BDBDBD", "#2166AC"],
    4: ["#B35806", "#F1A340", "#67A9CF", "#2166AC"],
    5: ["#B35806", "#F1A340", "#BDBDBD", "#67A9CF", "#2166AC"],
    6: ["#8C510A", "#B35806", "#F1A340", "#67A9CF", "#2166AC", "#053061"],
    7: ["#8C510A", "#B35806", "#F1A340", "#BDBDBD", "#67A9CF", "#2166AC", "#053061"],
}
GREY = "#D9D9D9"
TITLE_MARGIN = 56  # px above the plot area for a one-line title
# the legend sits below the plot and may take one row an entry on a narrow (print) figure: the
# figure height counts that room so that the plot area is not squeezed
LEGEND_ROW = 20
STATEMENT_WIDTH = 34  # characters a statement line on the left of bars (leaves room for bars)
TITLE_WIDTH = 58  # characters a title line (16 px font, about 460 px: narrow print width)
SUPPRESSED_MARK = "n.d."
# value labels written on or beside bars: one size; plotly hides a label that does not fit at
# that size (layout.uniformtext) instead of shrinking it or letting two labels overlap
VALUE_FONT = 11

# A small self-contained template: merging with plotly's large built-in templates costs
# about 0.3 s per figure (deep copies), more than drawing the figure itself.
pio.templates["rencontres"] = go.layout.Template(
    layout={
        "font": {"family": FONT, "size": 13, "color": "#1e1e1e"},
        "separators": SEPARATORS,
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
        # legend at the bottom of the figure (container coordinates): the margin grows with it
        # and it never runs into the title, however narrow the figure (print, small screens)
        "legend": {
            "orientation": "h",
            "yref": "container",
            "y": 0,
            "yanchor": "bottom",
            "xanchor": "left",
            "x": 0,
        },
        "margin": {"l": 10, "r": 20, "t": TITLE_MARGIN, "b": 20},
        "hoverlabel": {"font": {"family": FONT, "size": 13}, "namelength": -1},
        "hovermode": "closest",
    }
)
pio.templates.default = "rencontres"
TEMPLATE = "rencontres"


# ---------------------------------------------------------------- French text and numbers


def _numeric(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """Copy with the given columns as floats (masked cells of a public table become NaN)."""
    out = df.copy()
    for c in cols:
        if c in out.columns:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def _missing(x) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


_BEFORE_HIGH = re.compile(r"[ \u00a0]([:;?!»])")  # space before : ; ? ! »
_AFTER_OPEN = re.compile(r"«[ \u00a0]?")


def _fr(text: str) -> str:
    """French typography of a displayed string: no-break spaces before « : ; ? ! » and inside
    « », typographic apostrophes. Plain text in, plain text out (escape afterwards)."""
    t = str(text).replace("'", "’")
    t = _BEFORE_HIGH.sub(lambda m: (NBSP if m.group(1) in ":»" else NNBSP) + m.group(1), t)
    return _AFTER_OPEN.sub("«" + NBSP, t)


def _wrap(text: str, width: int) -> list[str]:
    # split on ordinary spaces only: no-break spaces (« 35 % », « négative : ») stay in place
    words, lines, line = [w for w in str(text).split(" ") if w], [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return lines


def _label(text: str, width: int = 45, *, italic: bool = False) -> str:
    """Escape a label for plotly (which renders a subset of HTML), French typography, wrapped."""
    lines = [html.escape(s, quote=False) for s in _wrap(_fr(text), width)]
    if italic:
        lines = [f"<i>{s}</i>" for s in lines]
    return "<br>".join(lines)


def _answers(n) -> str:
    """« 1 réponse », « 12 réponses » (French: singular up to 1)."""
    return f"{fmt_int(n)} réponse{'s' if not _missing(n) and float(n) >= 2 else ''}"


def _people(n) -> str:
    """« 1 personne », « 12 personnes »."""
    return f"{fmt_int(n)} personne{'s' if not _missing(n) and float(n) >= 2 else ''}"


def _rows_height(labels: Sequence[str], minimum: int) -> int:
    """Pixels for rows of bars labelled by wrapped labels: enough for every label's lines."""
    return sum(max(minimum, 16 * (lab.count("<br>") + 1) + 14) for lab in labels)


def _text_colour(hex_colour: str) -> str:
    """Dark or white text, whichever reads better on the colour (relative luminance)."""
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#1e1e1e" if lum > 0.5 else "white"


def _pct_ticks(lo: float, hi: float, *, max_ticks: int = 6) -> dict:
    """Axis settings for shares 0–1 shown as « 25 % »: range, tickvals, ticktext without sign.

    Negative positions (left half of a diverging axis) read as positive percentages.
    """
    span = hi - lo
    step = next((s for s in (0.05, 0.1, 0.2, 0.25, 0.4, 0.5) if span / s <= max_ticks), 1.0)
    first = math.ceil(round(lo / step, 9)) * step
    vals = []
    v = first
    while v <= hi + 1e-9:
        vals.append(round(v, 6) + 0.0)  # + 0.0: no « -0.0 »
        v += step
    return {
        "range": [lo, hi],
        "tickvals": vals,
        "ticktext": [fmt_pct(abs(v)) for v in vals],
        "tickmode": "array",
    }


def _finish(
    fig: go.Figure,
    title: str,
    source: str,
    n: int | str | None,
    alt: str,
    height: int | None = None,
) -> go.Figure:
    title, alt, source = _fr(title), _fr(alt), _fr(source)
    # a long title wraps (plotly does not) so that it is not cut at print width
    lines = [html.escape(s, quote=False) for s in _wrap(title, TITLE_WIDTH)]
    extra = 20 * (len(lines) - 1)
    fig.update_layout(
        template=TEMPLATE,
        separators=SEPARATORS,
        hoverlabel={"font": {"family": FONT, "size": 13}, "namelength": -1},
        title={"text": "<br>".join(lines)},
        margin={"t": TITLE_MARGIN + extra},
        meta={"source": source, "n": n, "alt": alt, "title": title},
    )
    fig.update_layout(height=(height or 450) + extra)
    return fig


# ---------------------------------------------------------------- questionnaire


def _statement_labels(
    qids: Sequence[str], texts: Mapping[str, str], inverse: Collection[str]
) -> list[str]:
    """Wrapped statement labels; a reversed statement says that agreeing is unfavourable."""
    out = []
    for q in qids:
        lab = _label(texts.get(q, q), STATEMENT_WIDTH)
        if q in inverse:
            lab += "<br>" + _label(INVERSE_NOTE, STATEMENT_WIDTH, italic=True)
        out.append(lab)
    return out


def _diverging_colours(k: int) -> list[str]:
    if k in DIVERGING:
        return DIVERGING[k]
    from plotly.colors import sample_colorscale

    rgb = sample_colorscale(
        [[0, "#8C510A"], [0.25, "#F1A340"], [0.5, "#DDDDDD"], [0.75, "#67A9CF"], [1, "#053061"]],
        [i / (k - 1) for i in range(k)] if k > 1 else [1.0],
    )
    return ["#{:02X}{:02X}{:02X}".format(*(int(float(c)) for c in s[4:-1].split(","))) for s in rgb]


def _scale_axis_title(labels: Sequence[str]) -> str:
    """« ← désaccord · accord → » for agreement scales, else the two ends of the scale."""
    if labels and all("accord" in str(lab).lower() for lab in labels):
        return "← désaccord · accord →"
    return f"← {str(labels[0]).lower()} · {str(labels[-1]).lower()} →" if labels else ""


@public_only
def diverging_likert(
    dist: pd.DataFrame,
    labels: Sequence[str],
    texts: Mapping[str, str],
    *,
    title: str,
    source: str,
    inverse: Collection[str] = (),
    favorable: Mapping[str, float] | None = None,
    axis_title: str | None = None,
) -> go.Figure:
    """Diverging stacked bars of the answers, drawn as answered, under the labels people chose.

    ``dist`` is :func:`metrics.likert_distribution` (columns question_id, rang, n, total, part
    with part a proportion 0–1; ``rang`` 1 = least favourable *after* the codebook's
    ``inverse``); ``labels`` the scale labels from the least to the most favourable (codebook
    order); ``texts`` question_id → statement.

    ``inverse``: ids of the statements whose ``rang`` was reversed by the loader (« être d'accord
    est défavorable »). For them, rang *r* is drawn at scale position *k + 1 − r*, so every bar
    sits under the label of the answer actually given and the axis reads the same for every
    statement (« ← désaccord · accord → »); the statement label says that agreeing is
    unfavourable. Low end of the scale left of 0, high end right, the middle level of an odd
    scale centred on 0.

    ``favorable``: question_id → favourable share (0–1) given in the text alternative; by default
    the share of ``rang`` above the middle of the scale (the codebook's default rule).
    ``axis_title`` overrides the axis title (default: désaccord/accord for agreement scales,
    otherwise the two ends of the scale).
    """
    k = len(labels)
    colours = _diverging_colours(k)
    mid = (k + 1) / 2
    inverse = set(inverse)
    dist = _numeric(dist, ["part", "n", "total"])
    dist = dist[dist["rang"].notna()].astype({"rang": int})
    qids = list(dict.fromkeys(dist["question_id"]))[::-1]  # first statement on top
    wide = dist.pivot_table(
        index="question_id", columns="rang", values="part", fill_value=0.0, observed=True
    ).reindex(index=qids, columns=range(1, k + 1), fill_value=0.0)
    counts = dist.pivot_table(
        index="question_id", columns="rang", values="n", fill_value=0, observed=True
    ).reindex(index=qids, columns=range(1, k + 1), fill_value=0)
    totals = dist.groupby("question_id", observed=True)["total"].first().reindex(qids)
    wide = wide.fillna(0.0)
    counts = counts.fillna(0)

    def at(q: str, pos: int, table: pd.DataFrame) -> float:
        """Value for the answer shown at scale position ``pos`` (1-based) of statement q."""
        rang = k + 1 - pos if q in inverse else pos
        return float(table.loc[q, rang])

    # left edge of every segment: from the centre outwards, the middle level straddling 0
    base: dict[tuple[str, int], float] = {}
    extent = 0.0
    for q in qids:
        half = at(q, int(mid), wide) / 2 if k % 2 else 0.0
        left, right = -half, half
        if k % 2:
            base[(q, int(mid))] = -half
        for pos in range(math.ceil(mid) - 1, 0, -1):  # below the middle, nearest first
            left -= at(q, pos, wide)
            base[(q, pos)] = left
        for pos in range(math.floor(mid) + 1, k + 1):  # above the middle, nearest first
            base[(q, pos)] = right
            right += at(q, pos, wide)
        extent = max(extent, -left, right)

    y = _statement_labels(qids, texts, inverse)

    fig = go.Figure()
    for pos in range(1, k + 1):
        name = _fr(labels[pos - 1])
        shares = [at(q, pos, wide) for q in qids]
        fig.add_bar(
            y=y,
            x=shares,
            base=[base[(q, pos)] for q in qids],
            orientation="h",
            name=html.escape(name, quote=False),
            legendrank=pos,
            marker={"color": colours[pos - 1], "line": {"color": "white", "width": 0.5}},
            text=[fmt_pct(s) if s >= 0.05 else "" for s in shares],
            textposition="inside",
            insidetextanchor="middle",
            textangle=0,
            textfont={"color": _text_colour(colours[pos - 1]), "size": VALUE_FONT},
            customdata=[
                f"{html.escape(name, quote=False)}{NBSP}: {fmt_pct(s)} "
                f"({_answers(at(q, pos, counts))} sur {fmt_int(totals[q])})"
                for q, s in zip(qids, shares, strict=True)
            ],
            hovertemplate="%{customdata}<extra></extra>",
        )
    bound = min(1.0, math.ceil((extent + 0.04) * 10) / 10) if extent else 1.0
    fig.update_layout(
        barmode="overlay",
        uniformtext={"minsize": VALUE_FONT, "mode": "hide"},
        legend={"traceorder": "normal"},
    )
    fig.update_xaxes(
        **_pct_ticks(-bound, bound, max_ticks=6),
        tickangle=0,
        title=axis_title if axis_title is not None else _scale_axis_title(labels),
        zeroline=True,
        zerolinecolor="#555",
        zerolinewidth=1,
    )
    fig.update_yaxes(ticklabelstandoff=6)

    fav = {}
    for q in qids:
        if favorable is not None and q in favorable and not _missing(favorable[q]):
            fav[q] = float(favorable[q])
        else:  # rang is already « after inverse »: above the middle is favourable
            fav[q] = float(sum(float(wide.loc[q, r]) for r in range(1, k + 1) if r > mid))
    parts = []
    for q in qids[::-1]:
        dist_txt = ", ".join(
            f"{str(labels[pos - 1]).lower()} {fmt_pct(at(q, pos, wide))}" for pos in range(1, k + 1)
        )
        note = f" {INVERSE_NOTE}" if q in inverse else ""
        parts.append(
            f"« {texts.get(q, q)} »{note} : {dist_txt} ; part favorable : {fmt_pct(fav[q])} "
            f"(n = {fmt_int(totals[q])})."
        )
    alt = (
        f"Répartition des réponses par affirmation, de « {labels[0]} » à « {labels[-1]} ». "
        if k
        else ""
    ) + " ".join(parts)
    n = int(totals.max()) if len(totals) and not _missing(totals.max()) else 0
    return _finish(fig, title, source, n, alt, height=150 + _rows_height(y, 64) + LEGEND_ROW * k)


def _group_bar(fig: go.Figure, i: int, y, x, name: str, **options) -> None:
    """One horizontal bar trace of group ``i`` in a grouped bar chart: the group's Okabe–Ito
    colour and legend rank (callers add groups in reverse order, so that the first group is
    drawn on top and listed first)."""
    fig.add_bar(
        y=y,
        x=x,
        orientation="h",
        name=name,
        legendrank=i + 1,
        marker_color=OKABE_ITO[i % len(OKABE_ITO)],
        **options,
    )


@public_only
def favorable_compare(
    cmp: pd.DataFrame,
    texts: Mapping[str, str],
    *,
    title: str,
    source: str,
    inverse: Collection[str] = (),
) -> go.Figure:
    """% favourable with 95 % intervals, one bar per group (e.g. this territory vs the others).

    ``cmp`` columns: question_id, groupe, part, bas, haut (proportions 0–1), n. The first group
    is drawn on top of each pair. ``inverse``: statements whose agreement is unfavourable (their
    label says so: the favourable share is then the share who disagree).
    """
    inverse = set(inverse)
    cmp = _numeric(cmp, ["part", "bas", "haut", "n"])
    fig = go.Figure()
    qids = list(dict.fromkeys(cmp["question_id"]))[::-1]
    y = _statement_labels(qids, texts, inverse)
    groups = list(cmp.groupby("groupe", sort=False))
    # horizontal grouped bars stack the first trace at the bottom: add groups in reverse order
    for i, (group, g) in reversed(list(enumerate(groups))):
        g = g.set_index("question_id").reindex(qids)
        name = html.escape(_fr(group), quote=False)
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        _group_bar(
            fig,
            i,
            y,
            g["part"],
            name,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": g["haut"] - g["part"],
                "arrayminus": g["part"] - g["bas"],
                "color": "#555",
            },
            text=[fmt_pct(v) for v in g["part"]],
            textposition="inside",
            insidetextanchor="start",
            textangle=0,
            textfont={"color": _text_colour(colour), "size": VALUE_FONT},
            customdata=[
                f"{name}{NBSP}: {fmt_pct(p)} (entre {fmt_pct(lo).replace(NNBSP + '%', '')} "
                f"et {fmt_pct(hi)}, n = {fmt_int(n)})"
                if not _missing(p)
                else f"{name}{NBSP}: –"
                for p, lo, hi, n in zip(g["part"], g["bas"], g["haut"], g["n"], strict=True)
            ],
            hovertemplate="%{customdata}<extra></extra>",
        )
    fig.update_layout(
        barmode="group",
        uniformtext={"minsize": VALUE_FONT, "mode": "hide"},
        legend={"traceorder": "normal"},
    )
    fig.update_xaxes(**_pct_ticks(0, 1), title="part de réponses favorables")
    fig.update_yaxes(ticklabelstandoff=6)
    alt = " ".join(
        f"{texts.get(r.question_id, r.question_id)}"
        f"{' ' + INVERSE_NOTE if r.question_id in inverse else ''} — {r.groupe} : "
        f"{fmt_pct(r.part)} (entre {fmt_pct(r.bas).replace(NNBSP + '%', '')} et "
        f"{fmt_pct(r.haut)}, n = {fmt_int(r.n)})."
        for r in cmp.itertuples()
    )
    return _finish(
        fig,
        title,
        source,
        int(cmp["n"].max()) if len(cmp) and not _missing(cmp["n"].max()) else 0,
        alt,
        height=140 + _rows_height(y, 60) + LEGEND_ROW * len(groups),
    )


# ---------------------------------------------------------------- participants


def _bar_group_height(n_rows: int, n_groups: int) -> int:
    """Height of horizontal grouped bars: about 18 px a bar, 18 px between rows, plus axes and
    the legend below (one entry a row at worst)."""
    return 130 + n_rows * (18 * max(1, n_groups) + 18) + LEGEND_ROW * n_groups


@public_only
def profile_mix_bars(mixes: Mapping[str, pd.DataFrame], *, title: str, source: str) -> go.Figure:
    """Profile shares side by side for several groups (e.g. ce territoire, tous les territoires,
    cible). Each mix: columns profil, n, part (proportion 0–1; NA = masked).

    Horizontal grouped bars, profiles top-down in ICPC order, the first group on top of each
    profile: the profile names stay horizontal and readable at any width (print included).
    """
    fig = go.Figure()
    alt_parts = []
    top = 0.0
    order: list = []
    for mix in mixes.values():
        order += [p for p in mix["profil"] if p not in order]
    rows = [_label(PROFILS.get(p, p), 24) for p in order][::-1]  # first profile on top
    items = list(mixes.items())
    # horizontal grouped bars draw the first trace at the bottom: add groups in reverse order
    for i, (name, mix) in reversed(list(enumerate(items))):
        m = _numeric(mix, ["part", "n"]).set_index("profil").reindex(order[::-1])
        esc = html.escape(_fr(name), quote=False)
        _group_bar(
            fig,
            i,
            rows,
            m["part"],
            esc,
            customdata=[
                f"{_fr(PROFILS.get(p, p))} — {esc}{NBSP}: "
                + ("masqué" if _missing(v) else fmt_pct(v))
                + (f" ({_people(n)})" if not _missing(n) and n > 0 else "")
                for p, v, n in zip(m.index, m["part"], m["n"], strict=True)
            ],
            hovertemplate="%{customdata}<extra></extra>",
        )
        if m["part"].notna().any():
            top = max(top, float(m["part"].max()))
    for name, mix in items:
        m = _numeric(mix, ["part"])
        alt_parts.append(
            f"{name} : "
            + ", ".join(
                f"{PROFILS.get(p, p)} {'masqué' if _missing(v) else fmt_pct(v)}"
                for p, v in zip(m["profil"], m["part"], strict=True)
            )
        )
    fig.update_layout(barmode="group", bargap=0.25, legend={"traceorder": "normal"})
    hi = min(1.0, math.ceil((top + 0.02) * 20) / 20) if top else 1.0
    fig.update_xaxes(**_pct_ticks(0, hi), title="part des personnes")
    fig.update_yaxes(ticklabelstandoff=6)
    totals = [
        f"{fmt_int(_numeric(m, ['n'])['n'].sum())} ({name})"
        for name, m in mixes.items()
        if _numeric(m, ["n"])["n"].fillna(0).sum() > 0
    ]
    n = (
        f"{NNBSP}; ".join(totals)
        if len(totals) > 1
        else (totals[0].split(" (")[0] if totals else None)
    )
    return _finish(
        fig,
        title,
        source,
        n,
        ". ".join(alt_parts) + ".",
        height=_bar_group_height(len(order), len(items)),
    )


@public_only
def funnel_bars(
    funnel: pd.DataFrame, *, title: str, source: str, suppressed: str = "effectif trop faible"
) -> go.Figure:
    """Registered, present and answering people by profile (horizontal grouped bars, counts).

    ``funnel``: rows = profiles (the index, or a ``profil`` column), columns among inscrits,
    presents, repondants (counts; NA = a suppressed cell, drawn empty, marked « n.d. » and
    explained in the legend). Value labels sit at the end of the bars in one size, with room
    on the right; plotly hides a label that does not fit its bar at that size (no overlapping
    « 1010 » in print). Profile names stay horizontal at any width.
    """
    if "profil" in funnel.columns:
        funnel = funnel.set_index("profil")
    stages = {
        "inscrits": "Personnes inscrites",
        "presents": "Personnes présentes",
        "repondants": "Personnes ayant répondu au questionnaire (tout le territoire)",
    }
    shown = [c for c in stages if c in funnel]
    funnel = _numeric(funnel, shown)
    profiles = list(funnel.index)
    rows = [_label(PROFILS.get(p, p), 24) for p in profiles][::-1]  # first profile on top
    fig = go.Figure()
    any_suppressed = False
    top = 0.0
    for i, col in reversed(list(enumerate(shown))):  # first stage on top of each profile
        name = stages[col]
        vals = funnel[col].iloc[::-1]
        any_suppressed |= bool(vals.isna().any())
        if vals.notna().any():
            top = max(top, float(vals.max()))
        _group_bar(
            fig,
            i,
            rows,
            vals.fillna(0),
            name,
            text=[SUPPRESSED_MARK if _missing(v) else fmt_int(v) for v in vals],
            textposition="outside",
            constraintext="inside",  # an end label is not shrunk to the bar's thickness
            textangle=0,
            textfont={"size": VALUE_FONT},
            cliponaxis=False,
            customdata=[
                f"{_fr(PROFILS.get(p, p))} — {name}{NBSP}: "
                + (_fr(suppressed) if _missing(v) else fmt_int(v))
                for p, v in zip(vals.index, vals, strict=True)
            ],
            hovertemplate="%{customdata}<extra></extra>",
        )
    if any_suppressed:  # legend entry explaining the mark
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"color": "white", "size": 1},
            name=html.escape(_fr(f"{SUPPRESSED_MARK} : {suppressed}"), quote=False),
            legendrank=len(shown) + 1,
            hoverinfo="skip",
        )
    fig.update_layout(
        barmode="group",
        bargap=0.25,
        uniformtext={"minsize": VALUE_FONT, "mode": "hide"},
        legend={"traceorder": "normal"},
    )
    fig.update_xaxes(
        title="personnes",
        range=[0, top * 1.15 if top else 1],
        separatethousands=True,
    )
    fig.update_yaxes(ticklabelstandoff=6)
    alt = " ; ".join(
        f"{PROFILS.get(p, p)} : "
        + ", ".join(
            f"{stages[c].lower()} "
            f"{_fr(suppressed) if _missing(funnel.loc[p, c]) else fmt_int(funnel.loc[p, c])}"
            for c in shown
        )
        for p in profiles
    )
    total = funnel["inscrits"].sum() if "inscrits" in funnel else 0
    return _finish(
        fig,
        title,
        source,
        int(total) if not _missing(total) else None,
        alt + ".",
        height=_bar_group_height(len(profiles), len(shown)),
    )


def _fmt_day(d) -> str:
    """« 14 mars 2025 », « 1er mars 2025 » (babel, fr_FR; ordinal for the first of the month)."""
    day = pd.Timestamp(d).date()
    text = format_date(day, "d MMMM y", locale=LOCALE)
    return "1er" + text[1:] if day.day == 1 else text


@public_only
def registrations_timeline(
    daily: pd.DataFrame, *, capacite: int | None, date_rencontre, title: str, source: str
) -> go.Figure:
    """Cumulative registrations over time against capacity, with the meeting date marked.

    ``daily``: columns jour (date), n, cumul (counts), as :func:`metrics.registrations_over_time`.
    """
    fig = go.Figure()
    fig.add_scatter(
        x=daily["jour"],
        y=daily["cumul"],
        mode="lines+markers",
        name="Inscriptions cumulées",
        line={"color": OKABE_ITO[0], "shape": "hv"},
        customdata=[
            f"{_fmt_day(d)}{NBSP}: {fmt_int(c)} inscription{'s' if c > 1 else ''}"
            for d, c in zip(daily["jour"], daily["cumul"], strict=True)
        ],
        hovertemplate="%{customdata}<extra></extra>",
    )
    if capacite:
        fig.add_hline(
            y=capacite,
            line_dash="dash",
            line_color=OKABE_ITO[5],
            annotation_text=f"capacité{NBSP}: {fmt_int(capacite)} places",
            annotation_position="top left",
        )
    if date_rencontre is not None:
        x = pd.Timestamp(date_rencontre).timestamp() * 1000
        fig.add_vline(
            x=x,
            line_dash="dot",
            line_color="#555",
            annotation_text=f"rencontre ({_fmt_day(date_rencontre)})",
            annotation_position="top left",
        )
    fig.update_xaxes(title="date d’inscription", tickformat="%d/%m")
    fig.update_yaxes(title="inscriptions (cumul)", rangemode="tozero", separatethousands=True)
    last = int(daily["cumul"].iloc[-1]) if len(daily) else 0
    period = (
        f" du {_fmt_day(daily['jour'].iloc[0])} au {_fmt_day(daily['jour'].iloc[-1])}"
        if len(daily)
        else ""
    )
    alt = (
        f"Courbe des inscriptions cumulées{period} : {fmt_int(last)} inscriptions actives au total"
        + (f" pour une capacité de {fmt_int(capacite)} places." if capacite else ".")
    )
    return _finish(fig, title, source, last, alt)


def _map_classes(threshold: int) -> list[tuple[int, int, str, str]]:
    """Colour classes (low, high, colour, legend label) from the privacy threshold up."""
    raw = [
        (threshold, 9, "#C6DBEF"),
        (10, 24, "#6BAED6"),
        (25, 49, "#2171B5"),
        (50, None, "#08306B"),
    ]
    out = []
    for lo, hi, colour in raw:
        lo = max(lo, threshold)
        if hi is not None and lo > hi:
            continue
        label = f"{lo} personnes et plus" if hi is None else f"{lo} à {hi} personnes"
        out.append((lo, hi if hi is not None else 10**9, colour, label))
    return out


@public_only
def departement_map(
    counts: pd.DataFrame, geojson: dict, *, threshold: int, title: str, source: str
) -> go.Figure:
    """Participants by département drawn as filled outlines (no base map, nothing fetched).

    ``counts``: columns departement (code), n. ``geojson``: FeatureCollection with properties
    code and nom. Départements with 1 to ``threshold − 1`` participants are drawn in one grey
    « effectif trop faible » class; the others in colour classes shown in the legend. The view
    is zoomed on the départements with at least one participant (their bounding box plus a
    margin); neighbouring outlines are drawn for context.
    """
    counts = counts.set_index("departement")["n"] if len(counts) else pd.Series(dtype=int)
    classes = _map_classes(threshold)
    line = {"color": "white", "width": 0.5}
    outlines = []  # (code, nom, n, xs, ys)
    for feat in geojson["features"]:
        code, nom = feat["properties"]["code"], feat["properties"]["nom"]
        xs, ys = _outline(feat["geometry"])
        n = counts.get(code, 0)
        outlines.append((code, nom, -1 if pd.isna(n) else int(n), xs, ys))  # -1: masked

    def bbox(items):
        xs = [x for it in items for x in it[3] if x is not None]
        ys = [y for it in items for y in it[4] if y is not None]
        return (min(xs), max(xs), min(ys), max(ys)) if xs else None

    present = [o for o in outlines if o[2] != 0]
    box = bbox(present) or bbox(outlines)
    x_range = y_range = None
    if box:
        x0, x1, y0, y1 = box
        mx = max((x1 - x0) * 0.08, 0.4)
        my = max((y1 - y0) * 0.08, 0.3)
        x_range, y_range = [x0 - mx, x1 + mx], [y0 - my, y1 + my]
        # context outlines: those near the view (the aspect ratio may widen it)
        span = max(x1 - x0, (y1 - y0) * 1.45) + 2
        near = (x0 - span, x1 + span, y0 - span, y1 + span)
    fig = go.Figure()
    background_x: list = []
    background_y: list = []
    for _code, _nom, _n, xs, ys in outlines:  # every outline near the view, grey, underneath
        if box:
            b = bbox([(None, None, 0, xs, ys)])
            if b[1] < near[0] or b[0] > near[1] or b[3] < near[2] or b[2] > near[3]:
                continue
        background_x += xs
        background_y += ys
    fig.add_scatter(
        x=background_x,
        y=background_y,
        fill="toself",
        mode="lines",
        line=line,
        fillcolor="#F2F2F2",
        hoverinfo="skip",
        showlegend=False,
    )
    small = [o for o in outlines if o[2] == -1 or 0 < o[2] < threshold]
    if small:
        small_name = html.escape(
            f"effectif masqué (moins de {threshold} personnes, ou secret statistique)"
        )
        fig.add_scatter(
            x=[x for o in small for x in o[3]],
            y=[y for o in small for y in o[4]],
            fill="toself",
            mode="lines",
            line=line,
            fillcolor="#BDBDBD",
            name=small_name,
            legendgroup="classe-0",
            hoveron="fills",
            hoverinfo="name",
            showlegend=False,
        )
        fig.add_scatter(  # legend entry drawn as a square, like the colour classes
            x=[None],
            y=[None],
            mode="markers",
            marker={"color": "#BDBDBD", "size": 12, "symbol": "square"},
            name=small_name,
            legendgroup="classe-0",
            legendrank=0,
            hoverinfo="skip",
        )
    shown = []
    for rank, (lo, hi, colour, label) in enumerate(classes, start=1):
        group = f"classe-{rank}"
        # legend entry of the class (drawn even when no département falls in it: same key on
        # every map)
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"color": colour, "size": 12, "symbol": "square"},
            name=label,
            legendgroup=group,
            legendrank=rank,
            hoverinfo="skip",
        )
        for code, nom, n, xs, ys in outlines:
            if lo <= n <= hi:
                shown.append((nom, n))
                fig.add_scatter(
                    x=xs,
                    y=ys,
                    fill="toself",
                    mode="lines",
                    line=line,
                    fillcolor=colour,
                    name=html.escape(f"{nom} ({code}){NBSP}: {_people(n)}"),
                    legendgroup=group,
                    hoveron="fills",
                    hoverinfo="name",
                    showlegend=False,
                )
    fig.update_xaxes(visible=False, range=x_range)
    fig.update_yaxes(visible=False, range=y_range, scaleanchor="x", scaleratio=1.45)
    fig.update_layout(legend={"traceorder": "normal", "orientation": "v"})
    total = int(counts.fillna(0).sum()) if len(counts) else 0
    alt = (
        "Carte des personnes inscrites par département : "
        + (
            ", ".join(f"{nom} {fmt_int(n)}" for nom, n in sorted(shown, key=lambda t: -t[1]))
            or "aucun département au-dessus du seuil"
        )
        + (
            f" ; {len(small)} autre{'s' if len(small) > 1 else ''} département"
            f"{'s' if len(small) > 1 else ''} à effectif masqué"
            if small
            else ""
        )
        + "."
    )
    entries = len(classes) + (1 if small else 0)
    return _finish(fig, title, source, total, alt, height=440 + LEGEND_ROW * entries)


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


# ---------------------------------------------------------------- synthesis and free text


@public_only
def heatmap(
    table: pd.DataFrame, *, title: str, source: str, n: int | str | None = None
) -> go.Figure:
    """Dimension × territory heatmap of shares (rows = dimensions, columns = territories).

    Rows are named by the index, or by a ``dimension`` column when there is one (a
    :class:`~rencontres_lib.public.PublicTable` has a plain index); the other columns are the
    territories. Values are proportions 0–1; NA cells (suppressed) are left blank and said
    « non publié ». Territory names are wrapped horizontally to fit their column.
    """
    if "dimension" in table.columns:
        table = table.set_index("dimension")
    table = table.apply(pd.to_numeric, errors="coerce")
    rows = [DIMENSIONS.get(r, r) for r in table.index]
    z = table.to_numpy(dtype=float)
    text = [[fmt_pct(v) if not _missing(v) else "" for v in row] for row in z]
    ncols = max(1, len(table.columns))
    width = max(8, min(22, int(520 / ncols / 7)))
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[_label(c, width) for c in table.columns],
            y=[_label(r, 30) for r in rows],
            text=text,
            texttemplate="%{text}",
            textfont={"size": 12},
            colorscale=[[0, "#B35806"], [0.5, "#F7F7F7"], [1, "#2166AC"]],
            zmin=0,
            zmax=1,
            xgap=2,
            ygap=2,
            colorbar={
                "tickmode": "array",
                "tickvals": [0, 0.25, 0.5, 0.75, 1],
                "ticktext": [fmt_pct(v) for v in (0, 0.25, 0.5, 0.75, 1)],
                "thickness": 14,
            },
            customdata=[
                [
                    f"{_fr(r)} — {html.escape(_fr(c), quote=False)}{NBSP}: "
                    + (fmt_pct(v) if not _missing(v) else "non publié")
                    for c, v in zip(table.columns, row, strict=True)
                ]
                for r, row in zip(rows, z, strict=True)
            ],
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", ticklabelstandoff=4)
    fig.update_xaxes(tickangle=0, side="bottom")
    alt = " ".join(
        f"{r} : "
        + ", ".join(
            f"{c} {fmt_pct(v) if not _missing(v) else 'non publié'}"
            for c, v in zip(table.columns, row, strict=True)
        )
        + "."
        for r, row in zip(rows, z, strict=True)
    )
    return _finish(fig, title, source, n, alt, height=170 + 60 * len(rows))


@public_only
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
    """Simple horizontal bars (e.g. themes of open answers with their share).

    ``value_format``: ``".0%"`` (values are proportions 0–1, shown « 31 % ») or anything else
    for counts (shown « 1 234 »). Value labels sit outside the bars, with room left for them.
    """
    is_pct = value_format == ".0%"
    d = df.iloc[::-1]
    values = pd.to_numeric(d[value_col], errors="coerce").astype(float)
    fmt = fmt_pct if is_pct else fmt_int
    labels = [fmt(v) for v in values]
    fig = go.Figure(
        go.Bar(
            y=[_label(v, 32) for v in d[label_col]],
            x=values,
            orientation="h",
            marker_color=OKABE_ITO[0],
            text=labels,
            textposition="outside",
            textangle=0,
            cliponaxis=False,
            customdata=[
                f"{html.escape(_fr(lab), quote=False)}{NBSP}: {t}"
                for lab, t in zip(d[label_col], labels, strict=True)
            ],
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    top = float(values.max()) if len(values) and not _missing(values.max()) else 0.0
    # room on the right for the longest value label (« 31 % » must not be cut)
    hi = top * 1.18 if top else 1.0
    if is_pct:
        fig.update_xaxes(**_pct_ticks(0, min(1.0, hi) if top <= 0.85 else hi))
    else:
        fig.update_xaxes(range=[0, hi], separatethousands=True)
    fig.update_yaxes(ticklabelstandoff=6)
    alt = (
        " ; ".join(
            f"{lab} : {fmt(v)}"
            for lab, v in zip(
                df[label_col], pd.to_numeric(df[value_col], errors="coerce"), strict=True
            )
        )
        + "."
    )
    return _finish(fig, title, source, n, alt, height=140 + 40 * len(df))
