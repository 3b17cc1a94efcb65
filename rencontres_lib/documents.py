"""Executed notebook → editable documents (DOCX and ODT) that the organiser pastes into the
chantier's report.

The documents carry exactly what the published HTML carries (same notebook outputs, through
:func:`rencontres_lib.publish.clean_notebook`: no code, no error, no stderr), in the same order:
markdown prose, headings, paragraphs, real tables with their captions, quotes, and each chart
as a PNG image with its caption (« Source : … · n = … ») and its text alternative as the image
description. Nothing is added that the HTML does not show.

- charts: each figure output carries its plotly JSON (mime ``application/vnd.plotly.v1+json``)
  next to its ``text/html``; all the figures still missing from the cache are drawn in one
  :func:`plotly.io.write_images` call (kaleido driving Debian's Chromium, ``BROWSER_PATH``),
  ≈ 0.5 s a figure, and cached under ``build/images/<sha256 of the figure JSON>.png`` (also used
  by the communication kit, :mod:`rencontres_lib.kit`);
- without Chromium, the documents are still written, each chart replaced by the French
  placeholder « graphique non rendu : Chromium absent » followed by its text alternative;
- conversion: one clean HTML page (``<img>`` instead of the plotly ``<div>``) converted by
  pandoc (``pypandoc-binary``, offline) to DOCX and ODT, written atomically.

Source of the method: pandoc's HTML reader (tables, figures, blockquotes) and its DOCX/ODT
writers (an image's ``alt`` becomes the ``descr`` of the DOCX drawing).
"""

from __future__ import annotations

import atexit
import hashlib
import html
import json
import logging
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .formats import fmt_count
from .publish import clean_notebook

logger = logging.getLogger(__name__)

PLOTLY_MIME = "application/vnd.plotly.v1+json"
PLACEHOLDER = "graphique non rendu : Chromium absent"
FORMATS = ("docx", "odt")
# rendering of a chart: CSS pixels (the report's column is about this wide) and pixel ratio;
# the PNG says DPI so that it is 15.9 cm wide in a document (the A4 text width)
WIDTH, DEFAULT_HEIGHT, SCALE = 900, 500, 1.5
DPI = 216

_FIGCAPTION_RE = re.compile(r"<figcaption>(.*?)</figcaption>", re.S)
_DESC_RE = re.compile(r'<p id="[^"]*-desc">(.*?)</p>', re.S)
_LABEL_RE = re.compile(r'aria-label="([^"]*)"')  # on the <figure> or on the plot inside it
_CARD_RE = re.compile(
    r'<div class="chiffre"><span class="valeur">(.*?)</span><span class="libelle">(.*?)</span></div>',
    re.S,
)
_TAG_RE = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Chart:
    """One figure of a notebook: its plotly JSON and the texts shown around it in the HTML."""

    spec: dict
    title: str
    caption: str  # « Source : … · n = … », as under the chart in the HTML
    alt: str  # the text alternative (« Description du graphique »)

    @property
    def key(self) -> str:
        """sha256 of the figure JSON and the rendering settings (name of the cached PNG)."""
        blob = json.dumps(self.spec, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(f"{WIDTH}x{SCALE}:{blob}".encode()).hexdigest()


@dataclass
class Part:
    """A piece of the document, in notebook order: HTML (``chart`` is None) or a chart."""

    html: str = ""
    chart: Chart | None = None


def _text(fragment: str) -> str:
    return html.unescape(_TAG_RE.sub("", fragment)).strip()


def chart_from_output(data: dict) -> Chart:
    """The :class:`Chart` of a figure output (``data`` holds the plotly JSON and the HTML)."""
    spec = data[PLOTLY_MIME]
    page = data.get("text/html", "")
    page = "".join(page) if isinstance(page, list) else page
    meta = (spec.get("layout") or {}).get("meta") or {}
    caption = _FIGCAPTION_RE.search(page)
    desc = _DESC_RE.search(page)
    label = _LABEL_RE.search(page)
    return Chart(
        spec=spec,
        title=html.unescape(label.group(1)) if label else str(meta.get("title", "")),
        caption=_text(caption.group(1)) if caption else f"Source : {meta.get('source', '')}",
        alt=_text(desc.group(1)) if desc else str(meta.get("alt", "")),
    )


def read_parts(notebook: Path) -> list[Part]:
    """The published content of an executed notebook, in order.

    Goes through :func:`publish.clean_notebook` (the same filter as the HTML); code inputs are
    never read. Markdown cells become HTML (mistune, as nbconvert does), figure outputs become
    :class:`Chart`, other ``text/html`` outputs are kept as they are, plain text outputs
    (``stdout``, results without HTML) become preformatted text, as nbconvert shows them.
    """
    import mistune
    import nbformat

    nb = clean_notebook(nbformat.read(notebook, as_version=4))
    parts: list[Part] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(Part(html=mistune.html(cell.source)))
            continue
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(Part(html=f"<pre>{html.escape(out.get('text', ''))}</pre>"))
                continue
            data = out.get("data", {})
            if PLOTLY_MIME in data:
                parts.append(Part(chart=chart_from_output(data)))
            elif "text/html" in data:
                page = data["text/html"]
                parts.append(Part(html="".join(page) if isinstance(page, list) else page))
            elif "text/plain" in data:
                parts.append(Part(html=f"<pre>{html.escape(str(data['text/plain']))}</pre>"))
    return parts


def chromium() -> str | None:
    """Debian's Chromium for kaleido: ``BROWSER_PATH`` when set, else ``chromium`` on the PATH
    (then exported as ``BROWSER_PATH``); None when there is none."""
    env = os.environ.get("BROWSER_PATH")
    if env and Path(env).exists():
        return env
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None and Path("/usr/bin/chromium").exists():
        exe = "/usr/bin/chromium"
    if exe:
        os.environ["BROWSER_PATH"] = exe
    return exe


_SERVER: list[bool] = []


def _quiet_browser_logs() -> None:
    """kaleido's browser driver (choreographer) logs tracebacks of its own pipe errors on the
    terminal; the build reports failures itself, in French: keep those loggers silent."""
    for name in ("choreographer", "kaleido", "logistro", "browser_proc"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def _keep_browser() -> None:
    """Keep one kaleido browser for the whole process (stopped at exit): the second and later
    batches of a build do not start Chromium again (≈ half the time for several reports)."""
    if _SERVER:
        return
    _SERVER.append(True)
    _quiet_browser_logs()
    try:
        import kaleido

        kaleido.start_sync_server(silence_warnings=True)
        atexit.register(kaleido.stop_sync_server, silence_warnings=True)
    except Exception:  # noqa: BLE001 - one browser per batch then, as without the server
        pass


def render_charts(
    charts: list[Chart], cache: Path, log: Callable[[str], None] | None = None
) -> dict[str, Path]:
    """PNG of every chart, key → path; the missing ones drawn in one kaleido batch.

    Returns only the charts that have an image (none without Chromium; a rendering failure is
    logged in French and leaves the other images in place).
    """
    cache.mkdir(parents=True, exist_ok=True)
    paths = {c.key: cache / f"{c.key}.png" for c in charts}
    todo = {c.key: c for c in charts if not paths[c.key].exists()}
    if todo and chromium():
        try:
            import plotly.io as pio

            specs = list(todo.values())
            targets = [cache / f".{key}.tmp.png" for key in todo]
            _keep_browser()
            with warnings.catch_warnings():  # « kopts ignored when using a server »: expected
                warnings.simplefilter("ignore", UserWarning)
                pio.write_images(
                    [c.spec for c in specs],
                    targets,
                    format="png",
                    scale=SCALE,
                    width=WIDTH,
                    height=[
                        int((c.spec.get("layout") or {}).get("height") or DEFAULT_HEIGHT)
                        for c in specs
                    ],
                )
            from PIL import Image

            for key, tmp in zip(todo, targets, strict=True):
                if tmp.exists():
                    with Image.open(tmp) as img:
                        img.save(tmp, dpi=(DPI, DPI))
                    os.replace(tmp, paths[key])
        except Exception as exc:  # the documents are still written, without these images
            (log or logger.warning)(
                f"  (graphiques non rendus : {type(exc).__name__} : {str(exc)[:200]})"
            )
    return {k: p for k, p in paths.items() if p.exists()}


def _cards_as_list(fragment: str) -> str:
    """Key-figure cards (``<div class="chiffres-cles">``) as a list « 140 personnes inscrites »."""
    if 'class="chiffres-cles"' not in fragment:
        return fragment
    items = "".join(
        f"<li><strong>{v}</strong> {label}</li>" for v, label in _CARD_RE.findall(fragment)
    )
    return f"<ul>{items}</ul>"


def _figure_html(chart: Chart, image: Path | None) -> str:
    alt = html.escape(chart.alt or chart.title)
    caption = html.escape(f"{chart.title} — {chart.caption}" if chart.title else chart.caption)
    if image is None:
        return (
            f"<p><em>[{PLACEHOLDER}] {html.escape(chart.title)}</em></p>"
            f"<p>Description du graphique : {alt}</p><p>{caption}</p>"
        )
    return (
        f'<figure><img src="{html.escape(image.name)}" alt="{alt}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def document_html(parts: list[Part], images: dict[str, Path]) -> str:
    """One clean HTML page for pandoc: images instead of plotly divs, cards as lists."""
    body = []
    for part in parts:
        if part.chart is not None:
            body.append(_figure_html(part.chart, images.get(part.chart.key)))
        else:  # inline quotes in French (the page's CSS sets « » ; pandoc would write “ ”)
            frag = re.sub(r"<q(\s[^>]*)?>", "«\u00a0", _cards_as_list(part.html))
            body.append(frag.replace("</q>", "\u00a0»"))
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"></head>'
        "<body>" + "\n".join(body) + "</body></html>"
    )


_ODT_FRAME_RE = re.compile(r'(<draw:frame draw:name="img(\d+)"[^>]*>\s*<draw:image [^>]*/>)')


def _odt_descriptions(odt: Path, alts: list[str]) -> None:
    """Give each ODT image its text alternative (``svg:desc``), which pandoc's ODT writer omits.

    pandoc names the frames img1, img2… in document order, the order of ``alts``.
    """
    with zipfile.ZipFile(odt) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]

    def add(m: re.Match) -> str:
        i = int(m.group(2)) - 1
        if 0 <= i < len(alts) and alts[i]:
            return f"{m.group(1)}<svg:desc>{html.escape(alts[i], quote=False)}</svg:desc>"
        return m.group(0)

    tmp = odt.with_name(odt.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as out:
        for info, data in items:
            if info.filename == "content.xml":
                data = _ODT_FRAME_RE.sub(add, data.decode("utf-8")).encode("utf-8")
            out.writestr(info, data)  # keeps « mimetype » first and stored
    os.replace(tmp, odt)


def _convert(
    page: str, images: dict[str, Path], target: Path, fmt: str, alts: list[str], scratch: Path
) -> None:
    """pandoc HTML → ``fmt``: page and images in a scratch folder under ``build/`` (nothing
    half-written ever lies in ``reports/``), then an atomic replace of ``target``."""
    import pypandoc

    target.parent.mkdir(parents=True, exist_ok=True)
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix="doc-") as tmp:
        for path in images.values():
            shutil.copy(path, Path(tmp) / path.name)
        src = Path(tmp) / "document.html"
        src.write_text(page, encoding="utf-8")
        out = Path(tmp) / f"document.{fmt}"
        pypandoc.convert_file(
            str(src),
            fmt,
            format="html",
            outputfile=str(out),
            extra_args=[f"--resource-path={tmp}", "--metadata=lang:fr-FR"],
        )
        if fmt == "odt":
            _odt_descriptions(out, alts)
        tmp_target = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(out, tmp_target)
        os.replace(tmp_target, target)


def document_paths(reports: Path, name: str) -> list[Path]:
    """Where the documents of a report are published: ``reports/<name>.docx`` and ``.odt``."""
    return [reports / f"{name}.{fmt}" for fmt in FORMATS]


def write_documents(
    notebook: Path, reports: Path, name: str, work: Path, log: Callable[[str], None] | None = None
) -> list[Path]:
    """DOCX and ODT of an executed notebook, published as ``reports/<name>.docx`` / ``.odt``.

    ``work`` is the build folder (``build/``): chart images are cached in ``work/images/`` and
    a stamp in ``work/documents/<name>.json`` records the notebook's sha256, so that the
    documents are not rebuilt while the notebook is unchanged. Logs in French what it skipped
    (charts without Chromium). Raises what pandoc raises (the caller logs and goes on).
    """
    digest = hashlib.sha256(notebook.read_bytes()).hexdigest()
    stamp = work / "documents" / f"{name}.json"
    targets = document_paths(reports, name)
    try:
        previous = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    fresh = previous.get("carnet") == digest and all(t.exists() for t in targets)
    if fresh and not (previous.get("sans_image") and chromium()):
        return targets
    parts = read_parts(notebook)
    charts = [p.chart for p in parts if p.chart is not None]
    images = render_charts(charts, work / "images", log)
    missing = sum(1 for c in charts if c.key not in images)
    page = document_html(parts, images)
    alts = [c.alt or c.title for c in charts if c.key in images]
    for target, fmt in zip(targets, FORMATS, strict=True):
        _convert(page, images, target, fmt, alts, work / "documents")
    if missing:
        reason = "Chromium absent" if chromium() is None else "rendu en échec"
        (log or logger.warning)(
            f"  (documents de {name} : {fmt_count(missing, 'graphique')} sur {len(charts)} sans image — {reason})"
        )
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(
        json.dumps({"carnet": digest, "sans_image": missing}, indent=1), encoding="utf-8"
    )
    return targets


def publish_documents(
    notebook: Path, reports: Path, name: str, work: Path, log: Callable[[str], None] | None = None
) -> None:
    """:func:`write_documents` for the build: any failure is logged in French, never raised."""
    try:
        write_documents(notebook, reports, name, work, log)
    except Exception as exc:  # documents never fail a report
        (log or logger.warning)(
            f"  (documents DOCX/ODT non écrits pour {name} : {type(exc).__name__} : {exc})"
        )
