"""charts: reversed statements drawn as answered, French numbers, no cut or overlapping labels.

Every expected value below is computed by hand from the tiny tables of the test.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from rencontres_lib import charts
from rencontres_lib.formats import fmt_pct as table_pct
from rencontres_lib.public import aggregate

NNBSP = "\u202f"
NBSP = "\u00a0"
ACCORD5 = [
    "Pas du tout d'accord",
    "Plutôt pas d'accord",
    "Ni d'accord ni pas d'accord",
    "Plutôt d'accord",
    "Tout à fait d'accord",
]
TEXTS = {
    "inv": "Ce sont toujours les mêmes personnes qui participent.",
    "dir": "Les décisions tiennent compte des avis.",
}


def pub(df: pd.DataFrame):
    return aggregate(df, "test : réponses par niveau")


def distribution() -> pd.DataFrame:
    """Three people answered each statement.

    « inv » (inverse: true): two « Plutôt d'accord » (scale position 4, so rang 5 + 1 − 4 = 2
    after the loader's reversal) and one « Pas du tout d'accord » (position 1, rang 5).
    « dir »: two « Plutôt d'accord » (rang 4) and one « Tout à fait d'accord » (rang 5).
    """
    rows = []
    for q, counts in {"inv": {2: 2, 5: 1}, "dir": {4: 2, 5: 1}}.items():
        for rang in range(1, 6):
            n = counts.get(rang, 0)
            rows.append(
                {"question_id": q, "dimension": "inclusion", "rang": rang, "n": n, "total": 3}
            )
    df = pd.DataFrame(rows)
    df["part"] = df["n"] / df["total"]
    return df


def likert_figure():
    return charts.diverging_likert(
        pub(distribution()), ACCORD5, TEXTS, title="Inclusion", source="test", inverse={"inv"}
    )


def trace(fig, name: str):
    (t,) = [t for t in fig.data if t.name == name]
    return t


def row(fig, t, q: str) -> int:
    return [i for i, y in enumerate(t.y) if TEXTS[q].split()[0] in y][0]


def test_reversed_statement_drawn_under_the_labels_people_chose():
    fig = likert_figure()
    agree = trace(fig, "Plutôt d’accord")
    i = row(fig, agree, "inv")
    # 2 of 3 answered « Plutôt d'accord »: 2/3 drawn on the agreement side (right of 0)
    assert agree.x[i] == pytest.approx(2 / 3)
    assert agree.base[i] == pytest.approx(0.0)  # no neutral answer: starts at the centre
    # the third person, « Pas du tout d'accord », sits on the disagreement side: from −1/3 to 0
    strongly_disagree = trace(fig, "Pas du tout d’accord")
    assert strongly_disagree.x[i] == pytest.approx(1 / 3)
    assert strongly_disagree.base[i] == pytest.approx(-1 / 3)
    # « Plutôt pas d'accord » (where the flipped rang 2 used to be drawn) is empty
    assert trace(fig, "Plutôt pas d’accord").x[i] == 0
    # the statement says in words that agreeing is unfavourable
    assert "formulation négative" in agree.y[i] and "défavorable" in agree.y[i]
    assert f"négative{NBSP}:" in agree.y[i]  # wrapping keeps the no-break space
    # hover: the label, the share and the count, singular for one answer
    assert agree.customdata[i] == f"Plutôt d’accord{NBSP}: 67{NNBSP}% (2 réponses sur 3)"
    assert strongly_disagree.customdata[i].endswith("(1 réponse sur 3)")


def test_statement_without_inverse_keeps_its_ranks():
    fig = likert_figure()
    agree = trace(fig, "Plutôt d’accord")
    j = row(fig, agree, "dir")
    assert agree.x[j] == pytest.approx(2 / 3) and agree.base[j] == pytest.approx(0.0)
    top = trace(fig, "Tout à fait d’accord")
    assert top.x[j] == pytest.approx(1 / 3) and top.base[j] == pytest.approx(2 / 3)
    assert "formulation négative" not in agree.y[j]
    # without the argument (former callers), « inv » is drawn by rang as before
    plain = charts.diverging_likert(pub(distribution()), ACCORD5, TEXTS, title="t", source="s")
    assert trace(plain, "Plutôt pas d’accord").x[row(plain, agree, "inv")] == pytest.approx(2 / 3)


def test_reversed_statement_alt_text_gives_answers_and_favourable_share():
    alt = likert_figure().layout.meta["alt"]
    # statements in the order of the table: « inv » then « dir »
    inv = alt[alt.index("Ce sont") : alt.index("Les décisions")]
    # answers as given, then the favourable share: disagreeing, 1 of 3
    assert f"plutôt d’accord 67{NNBSP}%" in inv
    assert f"pas du tout d’accord 33{NNBSP}%" in inv
    assert f"part favorable{NBSP}: 33{NNBSP}%" in inv
    assert "formulation négative" in inv
    dir_ = alt[alt.index("Les décisions") :]
    assert f"part favorable{NBSP}: 100{NNBSP}%" in dir_  # 2 « plutôt » + 1 « tout à fait »
    # a favourable share given by the caller (codebook rule) wins
    fig = charts.diverging_likert(
        pub(distribution()),
        ACCORD5,
        TEXTS,
        title="t",
        source="s",
        inverse={"inv"},
        favorable={"inv": 0.25},
    )
    assert f"part favorable{NBSP}: 25{NNBSP}%" in fig.layout.meta["alt"]


def test_diverging_axis_reads_disagree_agree_without_minus_sign():
    ax = likert_figure().layout.xaxis
    assert "désaccord" in ax.title.text and ax.title.text.index("désaccord") < ax.title.text.index(
        " accord"
    )
    # widest side: « dir », all three answers agree (1, the whole axis side): range ±1; at most
    # 6 intervals (print width): steps of 0,4
    assert list(ax.range) == [-1.0, 1.0]
    assert list(ax.tickvals) == pytest.approx([-0.8, -0.4, 0, 0.4, 0.8])
    assert list(ax.ticktext) == [f"{v}{NNBSP}%" for v in (80, 40, 0, 40, 80)]
    assert ax.tickangle == 0
    # only the « inv » statement: widest side 2/3 (+ 0,04 of room) rounded up to 0,8
    only_inv = distribution().query("question_id == 'inv'")
    ax2 = charts.diverging_likert(
        pub(only_inv), ACCORD5, TEXTS, title="t", source="s", inverse={"inv"}
    ).layout.xaxis
    assert list(ax2.range) == [-0.8, 0.8]
    assert list(ax2.ticktext) == [f"{v}{NNBSP}%" for v in (80, 40, 0, 40, 80)]
    assert not any("-" in t or "−" in t for t in ax.ticktext)


def test_every_chart_uses_french_separators_and_keeps_its_meta():
    cmp = pd.DataFrame(
        {
            "question_id": ["dir", "dir"],
            "groupe": ["ce territoire", "autres territoires"],
            "n": [1234, 300],
            "part": [0.4655, 0.5],
            "bas": [0.401, 0.44],
            "haut": [0.549, 0.56],
        }
    )
    mix = pd.DataFrame({"profil": ["elu", "citoyen"], "n": [3, 9], "part": [0.25, 0.75]})
    daily = pd.DataFrame(
        {"jour": pd.to_datetime(["2025-03-01", "2025-03-02"]), "n": [2, 1], "cumul": [2, 3]}
    )
    figs = [
        likert_figure(),
        charts.favorable_compare(pub(cmp), TEXTS, title="Comparaison", source="s"),
        charts.profile_mix_bars({"Inscrits": pub(mix)}, title="Profils", source="s"),
        charts.registrations_timeline(
            pub(daily), capacite=1500, date_rencontre="2025-03-14", title="Rythme", source="s"
        ),
        charts.share_bars(
            pub(pd.DataFrame({"libelle": ["a"], "part": [0.31]})),
            "libelle",
            "part",
            title="t",
            source="s",
        ),
    ]
    for fig in figs:
        assert fig.layout.separators == "," + NNBSP
        assert set(fig.layout.meta) >= {"source", "n", "alt", "title"}
    # French formats in the text alternative: percentages, interval in words, thousands
    alt = figs[1].layout.meta["alt"]
    assert f"ce territoire{NBSP}: 47{NNBSP}% (entre 40 et 55{NNBSP}%, n = 1{NNBSP}234)" in alt
    assert f"Élu·e 25{NNBSP}%, Citoyen·ne 75{NNBSP}%" in figs[2].layout.meta["alt"]
    assert f"capacité de 1{NNBSP}500 places" in figs[3].layout.meta["alt"]
    assert "du 1er mars 2025 au 2 mars 2025" in figs[3].layout.meta["alt"]
    assert figs[3].data[0].customdata[1] == f"2 mars 2025{NBSP}: 3 inscriptions"
    # hover texts are written in Python, French too
    assert f"47{NNBSP}%" in figs[1].data[-1].customdata[0]  # « ce territoire » drawn last, on top
    assert f"{NNBSP}%" in figs[2].layout.xaxis.ticktext[-1]


def test_percentages_round_half_up_like_the_tables():
    assert charts.fmt_pct(0.125) == f"13{NNBSP}%"  # babel alone rounds half to even: 12 %
    assert charts.fmt_pct(0.0355, 1) == f"3,6{NNBSP}%"
    assert charts.fmt_int(12345.67) == f"12{NNBSP}346"  # the same formatters as the tables
    for v in (0.005, 0.125, 0.355, 0.7249, 1.0):
        assert charts.fmt_pct(v) == table_pct(v)


def test_share_bar_value_label_has_room_and_is_not_clipped():
    df = pd.DataFrame({"libelle": ["Outils numériques", "Moyens"], "part": [0.31, 0.25]})
    fig = charts.share_bars(pub(df), "libelle", "part", title="Freins", source="s")
    bar = fig.data[0]
    assert bar.textposition == "outside" and bar.cliponaxis is False
    assert list(bar.text) == [f"25{NNBSP}%", f"31{NNBSP}%"]  # drawn bottom-up
    assert fig.layout.xaxis.range[1] >= 0.31 * 1.15  # room for « 31 % » right of the bar
    assert all(t.endswith(f"{NNBSP}%") for t in fig.layout.xaxis.ticktext)


def test_grouped_bar_labels_hide_instead_of_overlapping():
    from rencontres_lib.public import people_table

    counts = pd.DataFrame(
        {"inscrits": [10, 6, 8], "presents": [10, 3, 7]},
        index=pd.Index(["agent_territorial", "elu", "association"], name="profil"),
    )
    # k = 4: the 3 present élus are masked, and the next smallest present count (7) with them,
    # since the column total is published
    fig = charts.funnel_bars(
        people_table(counts, 4, lines="columns"),
        title="Inscrits et présents",
        source="s",
        suppressed="masqué",
    )
    bars = [t for t in fig.data if t.type == "bar"]
    # one label size, and plotly hides a label that does not fit at that size (no « 1010 »)
    assert fig.layout.uniformtext.mode == "hide"
    assert all(fig.layout.uniformtext.minsize == t.textfont.size for t in bars)
    by_stage = {t.name: dict(zip(t.y, t.text, strict=True)) for t in bars}
    assert by_stage["Personnes inscrites"] == {
        "Agent·e territorial·e": "10",
        "Élu·e": "6",
        "Association": "8",
    }
    assert by_stage["Personnes présentes"] == {
        "Agent·e territorial·e": "10",
        "Élu·e": "n.d.",
        "Association": "n.d.",
    }
    # horizontal bars: profiles top-down in the table's order, names never rotated or cut
    assert list(bars[0].y) == ["Association", "Élu·e", "Agent·e territorial·e"]
    assert all(t.orientation == "h" and t.cliponaxis is False for t in bars)
    # the « n.d. » mark is explained in the legend
    assert any(t.name and t.name.startswith("n.d.") and "masqué" in t.name for t in fig.data)
    assert fig.layout.xaxis.range[1] == pytest.approx(10 * 1.15)  # room for the end labels


def square(code: str, nom: str, x0: float, y0: float) -> dict:
    ring = [[x0, y0], [x0 + 1, y0], [x0 + 1, y0 + 1], [x0, y0 + 1], [x0, y0]]
    return {
        "type": "Feature",
        "properties": {"code": code, "nom": nom},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_map_is_zoomed_on_the_departements_present_with_a_legend():
    geo = {
        "type": "FeatureCollection",
        "features": [
            square("69", "Rhône", 4, 45),
            square("01", "Ain", 5, 45),
            square("29", "Finistère", -5, 48),
            square("2A", "Corse-du-Sud", 9, 41),
        ],
    }
    counts = pd.DataFrame({"departement": ["69", "01"], "n": [30, 3]})
    fig = charts.departement_map(pub(counts), geo, threshold=5, title="Carte", source="s")
    # present: x 4 → 6, y 45 → 46; margins max(2 × 0,08 ; 0,4) = 0,4 and max(1 × 0,08 ; 0,3) = 0,3
    assert list(fig.layout.xaxis.range) == pytest.approx([3.6, 6.4])
    assert list(fig.layout.yaxis.range) == pytest.approx([44.7, 46.3])
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert "25 à 49 personnes" in legend and "50 personnes et plus" in legend
    assert any("5" in name and "personnes" in name for name in legend)
    assert "Rhône 30" in fig.layout.meta["alt"]


def test_heatmap_territory_names_wrapped_horizontally():
    t = pd.DataFrame(
        {
            "dimension": ["organisation", "decision"],
            "Métropole de Lyon": [0.47, 0.27],
            "Métropole européenne de Lille": [0.44, float("nan")],
            "Grenoble-Alpes Métropole": [0.64, 0.53],
            "Nantes Métropole": [0.6, 0.38],
        }
    )
    fig = charts.heatmap(pub(t), title="Dimensions", source="s")
    assert fig.layout.xaxis.tickangle == 0
    assert any("<br>" in x for x in fig.data[0].x)  # « Métropole européenne de Lille » wrapped
    assert list(fig.data[0].y) == ["Organisation", "Décision"]
    assert fig.data[0].text[1][1] == ""  # masked cell left blank
    alt = fig.layout.meta["alt"]
    assert f"Métropole de Lyon 47{NNBSP}%" in alt and "Lille non publié" in alt


PLOTLY_JS = Path(charts.go.__file__).parent.parent / "package_data" / "plotly.min.js"
SCRIPT = Path(charts.__file__).parent / "templates" / "rencontres" / "rencontres.js"


@pytest.mark.skipif(
    not shutil.which("chromium"), reason="Chromium absent (apt-get install chromium)"
)
def test_plotly_toolbar_in_french_offline(tmp_path):
    """The page's own script registers the « fr » locale; figures drawn with locale « fr »."""
    shutil.copy(PLOTLY_JS, tmp_path / "plotly.min.js")
    shutil.copy(SCRIPT, tmp_path / "rencontres.js")
    fig_json = likert_figure().to_json()
    (tmp_path / "page.html").write_text(
        '<!doctype html><html><head><meta charset="utf-8">'
        '<script src="plotly.min.js"></script><script src="rencontres.js" defer></script>'
        '</head><body><div id="g"></div><script type="application/json" id="d">'
        + fig_json
        + '</script><script src="draw.js"></script></body></html>',
        encoding="utf-8",
    )
    # a figure drawn with locale « fr » before rencontres.js runs (deferred): it is redrawn
    (tmp_path / "draw.js").write_text(
        "var f = JSON.parse(document.getElementById('d').textContent);"
        "Plotly.newPlot('g', f.data, f.layout, {locale: 'fr', displaylogo: false});",
        encoding="utf-8",
    )
    out = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=5000",
            "--dump-dom",
            (tmp_path / "page.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert 'data-title="Réinitialiser les axes"' in out
    assert 'data-title="Télécharger le graphique en image PNG"' in out
    assert 'data-title="Reset axes"' not in out


def test_long_title_wraps_instead_of_being_cut():
    title = "Inscrits et présents par profil (les présents sont une partie des inscrits)"  # 75
    df = pd.DataFrame({"libelle": ["a"], "part": [0.5]})
    short = charts.share_bars(pub(df), "libelle", "part", title="Thèmes", source="s")
    long = charts.share_bars(pub(df), "libelle", "part", title=title, source="s")
    assert "<br>" not in short.layout.title.text
    # 58 characters a line at most: two lines, 20 px more above the plot and in the height
    first, second = long.layout.title.text.split("<br>")
    assert len(first) <= 58 and f"{first} {second}" == title
    assert long.layout.margin.t == short.layout.margin.t + 20
    assert long.layout.height == short.layout.height + 20
    assert long.layout.meta["title"] == title  # the text alternative keeps one line
