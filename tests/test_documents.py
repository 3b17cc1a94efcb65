"""Editable documents (DOCX, ODT): same content as the HTML, real tables, charts as images."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import plotly.graph_objects as go
import pytest
from navigateur import chromium_path

from rencontres_lib import documents

ALT = "Deux barres : Lyon 47 %, Nantes 30 %."


def _figure() -> go.Figure:
    fig = go.Figure(go.Bar(x=["Lyon", "Nantes"], y=[47, 30]))
    fig.update_layout(
        title="Part favorable par territoire",
        meta={
            "title": "Part favorable par territoire",
            "source": "questionnaire",
            "n": 77,
            "alt": ALT,
        },
    )
    return fig


TABLE = (
    '<div class="tableau-conteneur"><table class="dataframe tableau"><caption>Répondants par '
    "territoire</caption><thead><tr><th>Territoire</th><th>Répondants</th></tr></thead><tbody>"
    "<tr><td>Lyon</td><td>12</td></tr><tr><td>Nantes</td><td>7</td></tr></tbody></table></div>"
)


def figure_html(fig: go.Figure) -> str:
    """The figure's HTML as :func:`rencontres_lib.display.show` writes it (plotly div, caption,
    text alternative)."""
    plot = fig.to_html(full_html=False, include_plotlyjs=False, div_id="graphique-1")
    return (
        '<figure class="graphique" aria-label="Part favorable par territoire" '
        f'aria-describedby="graphique-1-desc">{plot}<figcaption>Source : questionnaire · n = 77'
        '</figcaption><details class="alt"><summary>Description du graphique</summary>'
        f'<p id="graphique-1-desc">{ALT}</p></details></figure>'
    )


def executed_notebook(path: Path) -> Path:
    """A small executed notebook as the build leaves it: prose, heading, table, chart, and
    outputs that must never be published (stderr, an error)."""
    fig = _figure()
    html_out = lambda h: nbformat.v4.new_output("display_data", data={"text/html": h})  # noqa: E731
    code = nbformat.v4.new_code_cell("secret_code = 1")
    code.outputs = [
        html_out('<h1 id="titre">Compte rendu — Rencontre territoriale : Essai</h1>'),
        html_out(
            '<div class="chiffres-cles"><div class="chiffre"><span class="valeur">19</span>'
            '<span class="libelle">répondants au questionnaire</span></div></div>'
        ),
        html_out(TABLE),
        html_out(
            '<ol class="essentiel"><li><strong>Constat.</strong> Dit <q>citation</q></li></ol>'
        ),
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": figure_html(fig),
                "text/plain": "graphique",
                documents.PLOTLY_MIME: json.loads(fig.to_json()),
            },
        ),
        nbformat.v4.new_output("stream", name="stderr", text="alerte privée sur stderr"),
        nbformat.v4.new_output("error", ename="ValueError", evalue="trace privée", traceback=[]),
    ]
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("## Chiffres clés\n\nUn paragraphe de récit."),
            code,
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _all_text(doc) -> str:
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_parts_follow_the_published_filter(tmp_path):
    parts = documents.read_parts(executed_notebook(tmp_path / "build/essai/rencontre.ipynb"))
    charts = [p.chart for p in parts if p.chart]
    assert len(charts) == 1
    assert charts[0].alt == ALT
    assert charts[0].caption == "Source : questionnaire · n = 77"
    text = " ".join(p.html for p in parts)
    assert "stderr" not in text and "trace privée" not in text and "secret_code" not in text


def test_documents_without_chromium_have_headings_tables_and_a_placeholder(tmp_path, monkeypatch):
    monkeypatch.setattr(documents, "chromium", lambda: None)
    import docx

    nb = executed_notebook(tmp_path / "build/essai/rencontre.ipynb")
    lines: list[str] = []
    out = documents.write_documents(
        nb, tmp_path / "reports", "essai", tmp_path / "build", lines.append
    )
    assert [p.name for p in out] == ["essai.docx", "essai.odt"]
    d = docx.Document(str(out[0]))
    headings = [(p.style.name, p.text) for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [  # notebook order: the markdown cell, then the outputs
        ("Heading 2", "Chiffres clés"),
        ("Heading 1", "Compte rendu — Rencontre territoriale : Essai"),
    ]
    assert len(d.tables) == 1
    rows = [[c.text for c in r.cells] for r in d.tables[0].rows]
    assert rows == [["Territoire", "Répondants"], ["Lyon", "12"], ["Nantes", "7"]]
    text = _all_text(d)
    assert (
        documents.PLACEHOLDER in text and ALT in text and "Source : questionnaire · n = 77" in text
    )
    assert "19 répondants au questionnaire" in text
    assert "Constat. Dit «\u00a0citation\u00a0»" in text  # French quotes, not “ ”
    assert "stderr" not in text and "trace privée" not in text
    assert len(d.inline_shapes) == 0
    assert any("Chromium absent" in line for line in lines)  # said in French
    with zipfile.ZipFile(out[1]) as z:
        content = z.read("content.xml").decode()
        assert z.namelist()[0] == "mimetype"
    assert "Répondants par territoire" in content and documents.PLACEHOLDER in content


@pytest.mark.browser
def test_documents_with_chromium_carry_the_chart_as_an_image(tmp_path):
    chromium_path()
    import docx

    nb = executed_notebook(tmp_path / "build/essai/rencontre.ipynb")
    out = documents.write_documents(nb, tmp_path / "reports", "essai", tmp_path / "build")
    d = docx.Document(str(out[0]))
    assert len(d.inline_shapes) == 1
    assert d.inline_shapes[0]._inline.docPr.get("descr") == ALT  # alt text as description
    assert "Part favorable par territoire — Source : questionnaire · n = 77" in _all_text(d)
    assert documents.PLACEHOLDER not in _all_text(d)
    with zipfile.ZipFile(out[1]) as z:
        content = z.read("content.xml").decode()
        assert any(n.startswith("Pictures/") for n in z.namelist())
    assert f"<svg:desc>{ALT}</svg:desc>" in content
    # one cached PNG, reused by a second notebook holding the same figure
    pngs = list((tmp_path / "build/images").glob("*.png"))
    assert len(pngs) == 1
    mtime = pngs[0].stat().st_mtime_ns
    other = executed_notebook(tmp_path / "build/autre/rencontre.ipynb")
    documents.write_documents(other, tmp_path / "reports", "autre", tmp_path / "build")
    assert [p.stat().st_mtime_ns for p in (tmp_path / "build/images").glob("*.png")] == [mtime]


def test_documents_are_not_rebuilt_while_the_notebook_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(documents, "chromium", lambda: None)
    nb = executed_notebook(tmp_path / "build/essai/rencontre.ipynb")
    out = documents.write_documents(nb, tmp_path / "reports", "essai", tmp_path / "build")
    before = [p.stat().st_mtime_ns for p in out]
    calls = []
    monkeypatch.setattr(documents, "read_parts", lambda *a: calls.append(a))
    documents.write_documents(nb, tmp_path / "reports", "essai", tmp_path / "build")
    assert calls == [] and [p.stat().st_mtime_ns for p in out] == before


def test_a_failure_is_logged_in_french_and_never_raised(tmp_path):
    lines: list[str] = []
    missing = tmp_path / "build/absent/rencontre.ipynb"
    documents.publish_documents(
        missing, tmp_path / "reports", "absent", tmp_path / "build", lines.append
    )
    assert len(lines) == 1 and "documents DOCX/ODT non écrits pour absent" in lines[0]
