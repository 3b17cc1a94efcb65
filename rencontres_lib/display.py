"""Notebook output helpers: every piece of data-derived text is escaped here.

Figures are emitted as a bundle: the plotly JSON (drawn by JupyterLab's plotly extension,
interactive) and an HTML ``<figure>`` (kept by nbconvert) that calls the shared plotly.js.
Under papermill nothing interactive is emitted, so the published HTML has no empty widget.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping

import pandas as pd

_counter = itertools.count(1)


def _display(bundle: dict) -> None:
    from IPython.display import display

    display(bundle, raw=True)


def slugify(text: str) -> str:
    """Anchor id for a heading (ASCII, lower case, dashes)."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", t).strip("-") or "section"


def heading_html(title: str, level: int = 2) -> str:
    return f'<h{level} id="{slugify(title)}">{html.escape(title)}</h{level}>'


def section(title: str, level: int = 2) -> None:
    """A heading emitted as output (used for sections that depend on the phase or the data)."""
    _display({"text/html": heading_html(title, level), "text/plain": title})


def paragraph(*sentences: str, css: str | None = None) -> None:
    """Sentences shown as one escaped paragraph."""
    text = " ".join(html.escape(s) for s in sentences if s)
    cls = f' class="{css}"' if css else ""
    _display({"text/html": f"<p{cls}>{text}</p>", "text/plain": " ".join(sentences)})


def bullet_list(items: Iterable[str], css: str = "constats") -> None:
    items = list(items)
    if not items:
        return
    body = "".join(f"<li>{html.escape(i)}</li>" for i in items)
    _display(
        {
            "text/html": f'<ul class="{css}">{body}</ul>',
            "text/plain": "\n".join(f"- {i}" for i in items),
        }
    )


def key_figures(figures: Mapping[str, str]) -> None:
    """Key figures as cards: label → already formatted value."""
    cards = "".join(
        f'<div class="chiffre"><span class="valeur">{html.escape(v)}</span>'
        f'<span class="libelle">{html.escape(k)}</span></div>'
        for k, v in figures.items()
    )
    _display(
        {"text/html": f'<div class="chiffres-cles">{cards}</div>', "text/plain": str(dict(figures))}
    )


def figure_html(fig, div_id: str | None = None) -> str:
    """HTML of a figure without plotly.js (the page loads it once), with caption and text alternative."""
    meta = fig.layout.meta or {}
    div_id = div_id or f"graphique-{next(_counter)}"
    plot = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={
            "displaylogo": False,
            "responsive": True,
            "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        },
    )
    n = meta.get("n")
    caption = f"Source : {html.escape(str(meta.get('source', '')))}"
    if n is not None:
        caption += f" · n = {n}"
    alt = html.escape(str(meta.get("alt", meta.get("title", ""))))
    title = html.escape(str(meta.get("title", "")))
    return (
        f'<figure class="graphique" aria-label="{title}" aria-describedby="{div_id}-desc">'
        f"{plot}<figcaption>{caption}</figcaption>"
        f'<details class="alt"><summary>Description du graphique</summary>'
        f'<p id="{div_id}-desc">{alt}</p></details></figure>'
    )


def show(fig) -> None:
    """Display a figure: interactive in JupyterLab, static HTML + shared plotly.js in the report."""
    bundle = {
        "text/html": figure_html(fig),
        "text/plain": str((fig.layout.meta or {}).get("title", "graphique")),
    }
    import json

    # always kept: JupyterLab draws it, and the build renders it to an image for the documents
    bundle["application/vnd.plotly.v1+json"] = json.loads(fig.to_json())  # numpy/dates → JSON
    _display(bundle)


def table(
    df: pd.DataFrame,
    *,
    caption: str | None = None,
    sortable: bool | None = None,
    index: bool = False,
    max_rows: int | None = None,
) -> None:
    """An escaped HTML table; sortable (click a header) when long."""
    _display(
        {
            "text/html": table_html(
                df, caption=caption, sortable=sortable, index=index, max_rows=max_rows
            ),
            "text/plain": df.to_string(max_rows=20),
        }
    )


def table_html(
    df: pd.DataFrame,
    *,
    caption: str | None = None,
    sortable: bool | None = None,
    index: bool = False,
    max_rows: int | None = None,
) -> str:
    shown = df if max_rows is None else df.head(max_rows)
    sortable = len(df) > 8 if sortable is None else sortable
    classes = ["tableau"] + (["triable"] if sortable else [])
    body = shown.to_html(index=index, escape=True, border=0, classes=classes, na_rep="–")
    if caption:
        body = body.replace(">", f"><caption>{html.escape(caption)}</caption>", 1)
    more = ""
    if max_rows is not None and len(df) > max_rows:
        more = f'<p class="note">{len(df) - max_rows} lignes de plus dans le fichier exporté.</p>'
    return f'<div class="tableau-conteneur">{body}{more}</div>'


def quotes(items: Iterable[tuple[str, str]]) -> None:
    """Quotes (already scrubbed text, attribution with profile and territory only)."""
    blocks = "".join(
        f'<blockquote class="citation"><p>{html.escape(t)}</p><footer>— {html.escape(a)}</footer></blockquote>'
        for t, a in items
    )
    if blocks:
        _display({"text/html": blocks, "text/plain": "citations"})


def note(text: str) -> None:
    paragraph(text, css="note")


def in_papermill() -> bool:
    """True when the notebook runs under the build (static output, no live widgets).

    The build says so through the notebook's own papermill parameter ``lot = True``
    (the ``parameters`` cell of rencontre.ipynb and synthese.ipynb), not through the
    environment: nothing leaks to other processes or other notebooks.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    shell = get_ipython()
    return shell is not None and shell.user_ns.get("lot") is True
