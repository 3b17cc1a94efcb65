"""Notebook outputs: every fragment of a report page is rendered by an autoescaping template.

The HTML comes from ``templates/blocs/blocs.html.j2`` (Jinja2, autoescape on), so a value is
always text, never markup. Tables and charts accept only a
:class:`~rencontres_lib.public.PublicTable` (the public gate). A figure is emitted as a
bundle: the plotly JSON (drawn by JupyterLab, and rendered to an image for the documents)
and an HTML ``<figure>`` holding the same JSON in a ``<script type="application/json">``
data block, which the page's own ``assets/rencontres.js`` draws: no inline script, so the
page can carry a strict Content-Security-Policy.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from .formats import fmt_float, fmt_int
from .public import PublicTable, frame_of
from .vocabulary import slug

TEMPLATES = Path(str(resources.files("rencontres_lib").joinpath("templates")))
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}  # fmt: skip
_JSON_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")


@lru_cache(maxsize=1)
def _blocks():
    """The Jinja2 macros of ``blocs.html.j2`` (environment built once per process)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES / "blocs")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("blocs.html.j2").module


def _display(bundle: dict) -> None:
    from IPython.display import display

    display(bundle, raw=True)


def _emit(html: str, text: str) -> None:
    _display({"text/html": str(html), "text/plain": text})


def heading_html(title: str, level: int = 2, *, anchor: str | None = None) -> str:
    return str(_blocks().heading(title, int(level), anchor or slug(title)))


def section(title: str, level: int = 2) -> None:
    """A heading emitted as output (used for sections that depend on the phase or the data)."""
    _emit(heading_html(title, level), title)


def paragraph(*sentences: str, css: str | None = None) -> None:
    """Sentences shown as one escaped paragraph."""
    text = " ".join(s for s in sentences if s)
    if text:
        _emit(_blocks().paragraph(text, css or ""), text)


def bullet_list(items: Iterable[str], css: str = "constats") -> None:
    items = [str(i) for i in items if i]
    if items:
        _emit(_blocks().bullets(items, css), "\n".join(f"- {i}" for i in items))


def findings(items: Sequence[Mapping[str, str]]) -> None:
    """« L'essentiel »: numbered findings, each a dict with title, text and optional quote, who."""
    items = [
        {"title": i.get("title", ""), "text": i["text"], "quote": i.get("quote") or "", "who": i.get("who") or ""}
        for i in items
    ]  # fmt: skip
    if items:
        _emit(_blocks().findings(items), "\n".join(f"{i['title']} {i['text']}" for i in items))


def key_figures(figures: Mapping[str, str]) -> None:
    """Key figures as cards: label → already formatted value."""
    if figures:
        _emit(_blocks().key_figures(list(figures.items())), str(dict(figures)))


def _figure_json(fig) -> str:
    text = fig.to_json()
    return _JSON_ESCAPE_RE.sub(lambda m: _JSON_ESCAPES[m.group()], text)


def figure_html(fig, div_id: str | None = None) -> str:
    """HTML of a figure: a data block the page's script draws, caption and text alternative."""
    meta = fig.layout.meta or {}
    data = _figure_json(fig)
    div_id = div_id or "graphique-" + hashlib.sha256(data.encode()).hexdigest()[:12]
    n = meta.get("n")
    caption = f"Source : {meta.get('source', '')}"
    if n is not None and str(n) != "":
        caption += f" · base : {fmt_int(n) if isinstance(n, int | float) else n}"
    return str(
        _blocks().figure(
            div_id,
            str(meta.get("title", "")),
            Markup(data),  # JSON with < > & escaped: cannot close the data block
            caption,
            str(meta.get("alt", meta.get("title", ""))),
            str(meta.get("legend", "")),
        )
    )


def show(fig) -> None:
    """Display a figure: interactive in JupyterLab, drawn by the page's script in the report."""
    _display(
        {
            "text/html": figure_html(fig),
            "text/plain": str((fig.layout.meta or {}).get("title", "graphique")),
            # always kept: JupyterLab draws it, and the build renders it to an image for the documents
            "application/vnd.plotly.v1+json": json.loads(fig.to_json()),
        }
    )


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "masqué"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return fmt_int(value)
    if isinstance(value, float):
        return fmt_int(value) if value.is_integer() else fmt_float(value, 1)
    return str(value)


def table_html(
    df: PublicTable,
    *,
    caption: str | None = None,
    sortable: bool | None = None,
    index: bool = False,
    max_rows: int | None = None,
    exported_as: str | None = None,
) -> str:
    """An escaped HTML table from a :class:`PublicTable` (raises ``TypeError`` otherwise).

    Masked cells read « masqué » with the table's legend; ``max_rows`` cuts long tables and
    names the exported file that holds them whole.
    """
    frame = frame_of(df)
    if index:
        frame = frame.reset_index()
    shown = frame if max_rows is None else frame.head(max_rows)
    sortable = len(frame) > 8 if sortable is None else sortable
    rows = [[_cell(v) for v in row] for row in shown.astype(object).itertuples(index=False)]
    more = ""
    if max_rows is not None and len(frame) > max_rows:
        where = f" dans le fichier {exported_as}" if exported_as else " dans le fichier exporté"
        more = f"{len(frame) - max_rows} lignes de plus{where}."
    return str(
        _blocks().table(
            [str(c) for c in frame.columns], rows, caption or "", sortable, more, df.legend()
        )
    )


def table(df: PublicTable, **options: Any) -> None:
    """Display :func:`table_html` (same keyword options; the plain-text form for JupyterLab's
    console). Raises ``TypeError`` when ``df`` is not a :class:`PublicTable`."""
    _emit(table_html(df, **options), frame_of(df).to_string(max_rows=20))


def quotes(items: Iterable[tuple[str, str]]) -> None:
    """Quotes (already scrubbed text, attribution with profile and territory only)."""
    items = [(str(t), str(a)) for t, a in items]
    if items:
        _emit(_blocks().quotes(items), "citations")


def note(text: str) -> None:
    paragraph(text, css="note")


def organiser_text(markup: str | None, missing: str, *, draft: bool = True) -> None:
    """The organiser's own text (HTML made by :mod:`rencontres_lib.textes`, already escaped).

    Missing text shows « À rédiger : … » in a draft build and nothing in a publication build.
    """
    html = str(_blocks().organiser(Markup(markup or ""), missing, draft))
    if html.strip():
        _emit(html, missing)


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
