"""What people actually see: every published page opened in a real (headless) Chromium.

Each page of the built example (``reports/*.html``) is opened once from ``file://`` with the
network cut off; what the browser did is collected into a :class:`Visite` (requests, console,
drawn figures, table of contents, axe-core results, a screenshot, an A4 PDF) and the tests
below check one aspect each. Screenshots go to ``build/screenshots/`` of the repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from navigateur import (
    LOCAL_SCHEMES,
    PAGE_TIMEOUT_MS,
    chromium_path,
    collect_errors,
    launch,
    new_context,
    offline,
)

from rencontres_lib.config import parameter_files

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "build" / "screenshots"
TERRITOIRES = [p.stem for p in parameter_files(REPO)]
PAGES = ["index", *TERRITOIRES, "synthese"]
AVEC_GRAPHIQUES = [*TERRITOIRES, "synthese"]

# A4 with the 12 mm margins of rencontres.css (@page), at 96 CSS px per inch and 72 pt per inch
A4_PT = (595.0, 842.0)
MARGE_MM = 12
PX_PAR_MM = 96 / 25.4
LARGEUR_IMPRIMABLE_PX = (210 - 2 * MARGE_MM) * PX_PAR_MM  # ≈ 718 px
HAUTEUR_IMPRIMABLE_PX = (297 - 2 * MARGE_MM) * PX_PAR_MM  # ≈ 1047 px
MARGE_PT = MARGE_MM / 25.4 * 72  # ≈ 28.3 pt

# axe-core's default rule set, plus the WCAG 2.2 target size (off by default); no rule or
# selector is left out: plotly's SVG and nbconvert's markup pass as they are.
AXE_OPTIONS: dict = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}
IMPACTS_BLOQUANTS = {"serious", "critical"}

DOM_JS = """() => {
  const q = (s, el = document) => Array.from(el.querySelectorAll(s));
  const text = (el) => (el ? el.textContent.trim() : "");
  return {
    lang: document.documentElement.getAttribute("lang"),
    title: document.title,
    plotly: typeof window.Plotly === "object" && typeof window.Plotly.newPlot === "function",
    plots: q("div.plotly-graph-div, div.js-plotly-plot").filter((d, i, all) => all.indexOf(d) === i)
      .map((d) => ({id: d.id, svg: d.querySelectorAll(".main-svg").length})),
    chiffres: q(".chiffres-cles .chiffre").length,
    constats: q("ol.essentiel li").length,
    graphiques: q("figure.graphique").map((f) => {
      const ref = f.getAttribute("aria-describedby") || "";
      const desc = ref.split(/\\s+/).filter(Boolean).map((id) => document.getElementById(id));
      return {
        label: (f.getAttribute("aria-label") || "").trim(),
        describedby: ref,
        description: desc.every((d) => d !== null) ? desc.map(text).join(" ").trim() : null,
      };
    }),
    // chart titles drawn over by the legend (text boxes crossing by more than 8 px)
    overlaps: q("div.plotly-graph-div").map((d) => {
      const t = d.querySelector(".gtitle"), l = d.querySelector(".legend");
      if (!t || !l) return null;
      const a = t.getBoundingClientRect(), b = l.getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      return w > 0 && h > 8 ? {title: text(t), px: Math.round(h)} : null;
    }).filter(Boolean),
    texte: document.body.innerText,
  };
}"""

# Follow every table-of-contents link (and the skip link) as a click would: the browser's own
# fragment lookup (raw id, then percent-decoded) must land on an element, which becomes :target.
TOC_JS = """() => Array.from(document.querySelectorAll('nav.sommaire a[href^="#"], a.lien-evitement')).map((a) => {
  const href = a.getAttribute("href");
  let decoded = null;
  try { decoded = decodeURIComponent(href.slice(1)); } catch (e) {}
  a.click();
  const target = document.querySelector(":target");
  const ok = !!target && (target.id === href.slice(1) || target.id === decoded);
  return {href: href, label: a.textContent.trim(), target: ok ? target.id : null};
})"""

# In print emulation: the box of every chart (CSS px), to compare with the printable area.
PRINT_BOXES_JS = """() => Array.from(document.querySelectorAll("figure.graphique")).map((f) => {
  const r = f.getBoundingClientRect();
  let right = r.right;
  f.querySelectorAll(".main-svg").forEach((s) => { right = Math.max(right, s.getBoundingClientRect().right); });
  return {label: f.getAttribute("aria-label"), width: right - r.left, height: r.height};
})"""

# Link markers inside every chart: Chromium keeps each <a href> as a PDF link annotation on
# the page where it is laid out, so the PDF itself tells on which page each corner landed.
MARKERS_JS = """() => {
  const mark = (parent, name, css) => {
    const a = document.createElement("a");
    a.href = "https://repere.invalid/" + name;
    a.setAttribute("style", "position:absolute;display:block;width:1px;height:1px;" + css);
    parent.appendChild(a);
  };
  const figs = Array.from(document.querySelectorAll("figure.graphique"));
  figs.forEach((f, i) => {
    f.style.position = "relative";
    mark(f, i + "/haut", "top:0;left:0");
    mark(f, i + "/bas", "bottom:0;right:0");
    f.querySelectorAll(".svg-container").forEach((c, j) => mark(c, i + "/svg" + j, "bottom:0;right:0"));
  });
  return document.querySelectorAll('a[href^="https://repere.invalid/"]').length;
}"""


@dataclass
class Visite:
    """What Chromium did and showed for one published page."""

    name: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dom: dict = field(default_factory=dict)
    toc: list[dict] = field(default_factory=list)
    axe: list[dict] = field(default_factory=list)
    screenshot: Path | None = None
    print_boxes: list[dict] = field(default_factory=list)
    pdf: bytes = b""
    markers: int = 0  # link markers put into the charts before printing


@pytest.fixture(scope="module")
def browser():
    chromium_path()  # skips the module without Chromium
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def reports(built_example) -> Path:
    return built_example["root"] / "reports"


def _visit(browser, axe, reports: Path, name: str) -> Visite:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    v = Visite(name)
    context = new_context(browser, viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        offline(page, v.requests)
        collect_errors(page, v.errors)
        page.goto((reports / f"{name}.html").as_uri(), wait_until="load")
        try:  # plotly draws synchronously on load; this only guards a slow machine
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('div.plotly-graph-div'))"
                ".every((d) => d.querySelector('.main-svg'))",
                timeout=PAGE_TIMEOUT_MS,
            )
        except PlaywrightTimeout:  # test_every_chart_is_drawn says which ones are missing
            pass
        v.dom = page.evaluate(DOM_JS)
        v.axe = axe.run(page, options=AXE_OPTIONS).response["violations"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        v.screenshot = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(v.screenshot), full_page=True)
        v.toc = page.evaluate(TOC_JS)
        page.evaluate("() => window.scrollTo(0, 0)")
        if v.dom["graphiques"]:
            # the PDF first, from the page as loaded: emulating print beforehand would let
            # plotly's responsive resize redraw the charts and change what gets printed
            v.markers = page.evaluate(MARKERS_JS)
            v.pdf = page.pdf(format="A4", print_background=True)
            page.emulate_media(media="print")
            v.print_boxes = page.evaluate(PRINT_BOXES_JS)
    finally:
        context.close()
    return v


@pytest.fixture(scope="module")
def visite(browser, reports):
    """``visite(name)``: open ``reports/<name>.html`` once and remember everything."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    cache: dict[str, Visite | Exception] = {}

    def visit(name: str) -> Visite:
        if name not in cache:
            try:
                cache[name] = _visit(browser, axe, reports, name)
            except Exception as exc:  # reported once per test, not retried
                cache[name] = exc
        if isinstance(cache[name], Exception):
            raise cache[name]
        return cache[name]

    return visit


# ------------------------------------------------------------------ PDF (no dependency)

OBJ_RE = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
REF_RE = re.compile(rb"(\d+) 0 R")
NUM = rb"\s*(-?[\d.]+)"
BOX_RE = re.compile(rb"\[" + NUM * 4 + rb"\s*\]")


def pdf_pages(pdf: bytes) -> list[dict]:
    """Pages in order, each with its MediaBox and its link annotations ``{uri: rect}``."""
    objs = {int(m.group(1)): m.group(2) for m in OBJ_RE.finditer(pdf)}

    def box(raw: bytes) -> tuple[float, ...]:
        return tuple(float(x) for x in BOX_RE.search(raw).groups())

    def kids(num: int, inherited: bytes | None) -> list[dict]:
        obj = objs[num]
        mb = re.search(rb"/MediaBox\s*(\[[^\]]*\])", obj)
        media = mb.group(1) if mb else inherited
        if re.search(rb"/Type\s*/Pages\b", obj):
            arr = re.search(rb"/Kids\s*\[([^\]]*)\]", obj).group(1)
            return [p for k in REF_RE.findall(arr) for p in kids(int(k), media)]
        links = {}
        annots = re.search(rb"/Annots\s*(\[[^\]]*\]|\d+ 0 R)", obj)
        if annots:
            raw = annots.group(1)
            if not raw.startswith(b"["):
                raw = objs[int(REF_RE.match(raw).group(1))]
            for ref in REF_RE.findall(raw):
                annot = objs[int(ref)]
                uri = re.search(rb"/URI\s*\(([^)]*)\)", annot)
                rect = re.search(rb"/Rect\s*(\[[^\]]*\])", annot)
                if uri and rect:
                    links[uri.group(1).decode("latin-1")] = box(rect.group(1))
        return [{"media": box(media), "links": links}]

    catalog = next(o for o in objs.values() if re.search(rb"/Type\s*/Catalog\b", o))
    root = int(re.search(rb"/Pages\s+(\d+) 0 R", catalog).group(1))
    return kids(root, None)


# ------------------------------------------------------------------ the pages


def test_every_report_is_published(built_example, reports):
    assert built_example["report"].failures == [], built_example["log"]
    published = sorted(p.stem for p in reports.glob("*.html"))
    assert published == sorted(PAGES), "pages publiées ≠ pages testées"
    assert (reports / "assets" / "plotly.min.js").is_file()


@pytest.mark.parametrize("name", PAGES)
def test_offline_no_network(visite, name):
    v = visite(name)
    outside = [u for u in v.requests if not u.startswith(LOCAL_SCHEMES)]
    assert outside == [], f"{name}.html demande des ressources hors du disque : {outside}"
    assert any(u.endswith(f"/{name}.html") for u in v.requests)
    if name in AVEC_GRAPHIQUES:
        assert any(u.endswith("/assets/plotly.min.js") for u in v.requests)


@pytest.mark.parametrize("name", PAGES)
def test_no_console_error(visite, name):
    v = visite(name)
    assert v.errors == [], f"{name}.html : erreurs dans la console :\n" + "\n".join(v.errors)


@pytest.mark.parametrize("name", PAGES)
def test_every_chart_is_drawn(visite, name):
    v = visite(name)
    plots = v.dom["plots"]
    if name in AVEC_GRAPHIQUES:
        assert plots, f"{name}.html n'a aucun graphique"
        assert v.dom["plotly"], "plotly.js (assets/plotly.min.js) n'est pas chargé"
    blank = [p["id"] for p in plots if p["svg"] < 1]
    assert blank == [], f"{name}.html : graphiques non dessinés (aucun .main-svg) : {blank}"
    assert len(v.dom["graphiques"]) == len(plots), "chaque graphique est dans un figure.graphique"


@pytest.mark.parametrize("name", PAGES)
def test_table_of_contents_links_resolve(visite, name):
    toc = visite(name).toc
    if name != "index":
        assert len(toc) >= 3, f"{name}.html : sommaire absent ou presque vide : {toc}"
    broken = [t for t in toc if not t["target"]]
    assert broken == [], f"{name}.html : liens du sommaire sans cible : {broken}"


@pytest.mark.parametrize("name", PAGES)
def test_french_page_with_content(visite, name):
    dom = visite(name).dom
    assert dom["lang"] == "fr"
    assert dom["title"].strip()
    if name in TERRITOIRES:
        assert dom["chiffres"] >= 3, f"{name}.html : {dom['chiffres']} chiffres clés"
        assert dom["constats"] >= 5, f"{name}.html : « L'essentiel » a moins de cinq constats"


@pytest.mark.parametrize("name", PAGES)
def test_charts_have_title_and_text_alternative(visite, name):
    bad = [
        g
        for g in visite(name).dom["graphiques"]
        if not g["label"] or not g["describedby"] or not g["description"]
    ]
    assert bad == [], f"{name}.html : graphiques sans titre ou sans description : {bad}"


def _format_axe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']} : {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {node['target']} — {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … et {len(v['nodes']) - 5} autre(s) élément(s)")
    return "\n".join(lines)


@pytest.mark.parametrize("name", PAGES)
def test_accessibility_axe(visite, name):
    v = visite(name)
    blocking = [x for x in v.axe if x["impact"] in IMPACTS_BLOQUANTS]
    assert blocking == [], f"{name}.html : axe-core signale :\n{_format_axe(blocking)}"


@pytest.mark.parametrize("name", PAGES)
def test_full_page_screenshot(visite, name):
    shot = visite(name).screenshot
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == 1280 and height >= 900, (width, height)


@pytest.mark.parametrize("name", AVEC_GRAPHIQUES)
def test_chart_titles_are_not_covered_by_legends(visite, name):
    overlaps = visite(name).dom["overlaps"]
    assert overlaps == [], "légende sur le titre : " + "; ".join(
        f"« {o['title']} » ({o['px']} px)" for o in overlaps
    )


@pytest.mark.parametrize("name", PAGES)
def test_no_local_path_in_visible_text(visite, built_example, name):
    """Findings once quoted the absolute path of the questionnaire (the build machine's folders)."""
    root = str(built_example["root"])
    leaks = [line.strip() for line in visite(name).dom["texte"].splitlines() if root in line]
    assert leaks == [], f"{name}.html montre des chemins de la machine de construction : {leaks}"


# ------------------------------------------------------------------ print (A4 PDF)


@pytest.mark.parametrize("name", AVEC_GRAPHIQUES)
def test_print_charts_fit_the_a4_printable_area(visite, name):
    boxes = visite(name).print_boxes
    assert boxes
    too_wide = [b for b in boxes if b["width"] > LARGEUR_IMPRIMABLE_PX + 0.5]
    too_tall = [b for b in boxes if b["height"] > HAUTEUR_IMPRIMABLE_PX]
    assert too_wide == [], f"plus larges que {LARGEUR_IMPRIMABLE_PX:.0f} px : {too_wide}"
    assert too_tall == [], f"plus hauts qu'une page ({HAUTEUR_IMPRIMABLE_PX:.0f} px) : {too_tall}"


@pytest.mark.parametrize("name", AVEC_GRAPHIQUES)
def test_print_pdf_is_a4_and_no_chart_is_split(visite, name):
    v = visite(name)
    assert v.pdf.startswith(b"%PDF-")
    pages = pdf_pages(v.pdf)
    assert pages
    for p in pages:
        x0, y0, x1, y1 = p["media"]
        assert abs((x1 - x0) - A4_PT[0]) <= 2 and abs((y1 - y0) - A4_PT[1]) <= 2, p["media"]
    where: dict[str, list[tuple[int, tuple[float, ...]]]] = {}
    for number, p in enumerate(pages, start=1):
        for uri, rect in p["links"].items():
            if uri.startswith("https://repere.invalid/"):
                fig = uri.removeprefix("https://repere.invalid/").split("/")[0]
                where.setdefault(fig, []).append((number, rect))
    found = sum(len(marks) for marks in where.values())
    assert len(where) == len(v.dom["graphiques"]) and found == v.markers, (
        f"{len(v.dom['graphiques'])} graphiques et {v.markers} repères posés ; "
        f"{len(where)} graphiques et {found} repères retrouvés dans le PDF"
    )
    split = {fig: sorted({n for n, _ in marks}) for fig, marks in where.items()}
    split = {fig: numbers for fig, numbers in split.items() if len(numbers) > 1}
    labels = [g["label"] for g in v.dom["graphiques"]]
    assert split == {}, "graphiques coupés entre deux pages : " + "; ".join(
        f"« {labels[int(f)]} » pages {n}" for f, n in split.items()
    )
    page_width = pages[0]["media"][2] - pages[0]["media"][0]
    for fig, marks in where.items():
        for _, (x0, _, x1, _) in marks:
            assert x0 >= MARGE_PT - 1 and x1 <= page_width - MARGE_PT + 1, (
                f"« {labels[int(fig)]} » dépasse la largeur imprimable ({x0:.0f}–{x1:.0f} pt)"
            )


# A4 page limits of issue 14 on the example: compte rendu ≤ 12, note de cadrage ≤ 8, synthèse ≤ 16
LIMITES_PAGES = {"compte_rendu": 12, "cadrage": 8, "synthese": 16}


@pytest.mark.parametrize("name", AVEC_GRAPHIQUES)
def test_print_page_limits(visite, built_example, name):
    import yaml

    if name == "synthese":
        kind = "synthese"
    else:
        params = yaml.safe_load((built_example["root"] / "parameters" / f"{name}.yaml").read_text())
        kind = params.get("phase", "compte_rendu")
    pages = len(pdf_pages(visite(name).pdf))
    assert pages <= LIMITES_PAGES[kind], f"{name}.html imprimé sur {pages} pages A4"
