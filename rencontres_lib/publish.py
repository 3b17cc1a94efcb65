"""Executed notebook → published HTML: no code, no CDN, a table of contents, print CSS.

One :class:`Publisher` holds one nbconvert exporter, reused for every file (start-up is the
expensive part). Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

from . import __version__
from .exports import atomic_write_bytes, atomic_write_text
from .typographie import french_spacing

TEMPLATES = Path(str(resources.files("rencontres_lib").joinpath("templates")))
H2_RE = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', re.S)
TAG_RE = re.compile(r"<[^>]+>")
FOOTER = (
    "Rencontres {v} — Institut de la concertation et de la participation citoyenne. "
    "Contours géographiques : IGN Admin Express, INSEE COG 2018 (Licence Ouverte)."
)


def plotly_js() -> str:
    """The plotly.js bundled with the installed plotly package."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


CSP_BASE = (
    "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; connect-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-src 'none'; object-src 'none'"
)


def _sha256_source(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


class Publisher:
    """Converts executed notebooks to the report HTML.

    Every page carries a Content-Security-Policy that lets only the project's own scripts
    run: ``assets/plotly.min.js`` and ``assets/rencontres.js`` (``script-src 'self'``), or,
    with ``autonome``, exactly those two scripts inline, allowed by their sha256. Charts are
    JSON data blocks drawn by ``rencontres.js``: no inline script, no event handler, so an
    injected ``<script>`` or ``onerror=`` cannot run even if escaping were missed.
    """

    def __init__(self, *, autonome: bool = False) -> None:
        from nbconvert import HTMLExporter

        self.autonome = autonome
        self.exporter = HTMLExporter(
            template_name="rencontres",
            extra_template_basedirs=[str(TEMPLATES)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
        self.css = (TEMPLATES / "rencontres" / "rencontres.css").read_text(encoding="utf-8")
        self.js = site_js()
        self._plotly_inline: str | None = None

    def _inline_plotly(self) -> str:
        if self._plotly_inline is None:
            self._plotly_inline = plotly_js().replace("</script", "<\\/script")
        return self._plotly_inline

    def scripts(self) -> str:
        if self.autonome:
            return (
                f'<script type="text/javascript">{self._inline_plotly()}</script>\n'
                f"<script>{self.js}</script>"
            )
        return '<script src="assets/plotly.min.js"></script>\n<script src="assets/rencontres.js" defer></script>'

    def csp(self) -> str:
        if self.autonome:
            hashes = " ".join(_sha256_source(x) for x in (self._inline_plotly(), self.js))
            return f"{CSP_BASE}; script-src {hashes}"
        return f"{CSP_BASE}; script-src 'self'"

    def to_html(self, nb: nbformat.NotebookNode, title: str) -> str:
        nb = clean_notebook(nb)
        nb.metadata["title"] = title
        res = {
            "rencontres": {
                "plotly_tag": self.scripts(),
                "csp": self.csp(),
                "running_title": css_string(title),
                "css": self.css,
                "version": __version__,
                "footer": FOOTER.format(v=__version__),
            },
            "language_code": "fr",
        }
        self.exporter.language_code = "fr"
        body, _ = self.exporter.from_notebook_node(nb, resources=res)
        return french_spacing(add_toc(body))

    def publish(self, executed: Path, target: Path, title: str) -> Path:
        import nbformat

        nb = nbformat.read(executed, as_version=4)
        atomic_write_text(target, self.to_html(nb, title))
        return target


def render_index(entries: list[dict], summary: str) -> str:
    """``index.html`` from its Jinja2 template (autoescaped), under the same CSP as the reports.

    ``entries``: one dict per report with title, href (or None), phase, date, data_date,
    failed, error (file, row, column only — never a value), stale, links [(label, href)].
    """
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(str(TEMPLATES / "rencontres")), autoescape=True)
    css = (TEMPLATES / "rencontres" / "rencontres.css").read_text(encoding="utf-8")
    page = env.get_template("accueil.html.j2").render(
        entries=entries,
        summary=summary,
        css=css,
        csp=f"{CSP_BASE}; script-src 'none'",
        footer=FOOTER.format(v=__version__),
    )
    return french_spacing(page)


def stale_banner(reason: str) -> str:
    """The « périmé » banner put into a kept report when its last build failed (escaped)."""
    from jinja2 import Environment

    tpl = Environment(autoescape=True).from_string(
        '<div class="perime" role="alert"><strong>Rapport périmé.</strong> La dernière '
        "construction a échoué ({{ reason }}) ; cette page date d'une construction "
        "précédente.</div><!--/PERIME-->"
    )
    return tpl.render(reason=reason)


def css_string(text: str) -> str:
    """``text`` safe inside a double-quoted CSS string in a ``<style>`` element."""
    out = []
    for ch in text:
        if ch.isalnum() or ch in " -—–,.:;'’()«»\u00a0\u202f":
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):06x}")
    return "".join(out)


def site_js() -> str:
    """The report pages' own script (``templates/rencontres/rencontres.js``)."""
    return (TEMPLATES / "rencontres" / "rencontres.js").read_text(encoding="utf-8")


def _publishable(output) -> bool:
    """Only what the library displayed on purpose: ``display_data`` with an HTML form.

    Streams (stdout as well as stderr: a kernel's own messages, such as IPython's history
    warnings, go there), tracebacks and bare return values (``execute_result``, e.g. a list of
    paths printed as a repr) are never published.
    """
    return output.get("output_type") == "display_data" and "text/html" in output.get("data", {})


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what must never be published: streams, tracebacks, reprs, widget state."""
    import nbformat

    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = [o for o in cell.get("outputs", []) if _publishable(o)]
    nb.metadata.pop("widgets", None)
    return nb


def add_toc(page: str) -> str:
    """Fill the ``<!--SOMMAIRE-->`` placeholder with links to every h2 of the page."""
    from jinja2 import Environment

    items = []
    for anchor, inner in H2_RE.findall(page):
        label = html.unescape(TAG_RE.sub("", inner)).replace("¶", "").strip()
        items.append((html.unescape(anchor), label))
    toc = Environment(autoescape=True).from_string(
        '{% if items %}<h2 class="titre-sommaire" id="sommaire">Sommaire</h2><ol>'
        '{% for a, label in items %}<li><a href="#{{ a }}">{{ label }}</a></li>{% endfor %}'
        "</ol>{% endif %}"
    )
    return page.replace("<!--SOMMAIRE-->", toc.render(items=items), 1)


def _bundled_plotly_js() -> Path | None:
    """plotly.min.js as shipped in the plotly package (found without importing plotly)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    return path if path.exists() else None


def install_assets(reports: Path) -> None:
    """Write ``reports/assets/plotly.min.js`` (once) and ``rencontres.js``, shared by every page."""
    target = reports / "assets" / "plotly.min.js"
    bundled = _bundled_plotly_js()
    site = reports / "assets" / "rencontres.js"
    js = site_js()
    if not site.exists() or site.read_text(encoding="utf-8") != js:
        atomic_write_text(site, js)
    if bundled is not None and target.exists() and target.stat().st_size == bundled.stat().st_size:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, plotly_js())


def copy_atomic(src: Path, dst: Path) -> None:
    """Publish a copy of ``src`` at ``dst``: old or new version, never half a file."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(dst, src.read_bytes())
