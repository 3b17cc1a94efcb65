"""The public communication kit of a meeting: slides (PPTX) and key-figure cards (PNG).

Everything comes from what the build already computed and published — the executed notebook's
outputs (the same content as the HTML, through :func:`documents.read_parts`) and the results
JSON of the run (``build/<slug>/resultats.json``, read softly: a missing key leaves its slide
or card out) — so the kit passes the same privacy gate as the reports and adds no computation.

Written under ``reports/kit/<slug>/`` (and ``reports/kit/synthese/``):

- ``diaporama.pptx`` (python-pptx, the default neutral template the organiser restyles):
  before the meeting (cadrage) title, objectives, déroulé, key figures of the chantier and of
  the territory, one slide of questions per atelier; after it (compte rendu) « L'essentiel »,
  the five dimensions (a table, then each dimension's chart), the leading proposals; the
  synthesis deck follows the synthesis' headings and charts. Charts are the PNG images of the
  documents (same cache, ``build/images/``); every chart slide's notes give its source and
  base (n); French typography (narrow no-break spaces before « ; : ! ? », inside « »);
- ``carte_NN_1080x1080.png`` and ``carte_NN_1200x630.png``: one card per key figure or
  finding, with the territory, the source and the meeting's date (DejaVu Sans found at run time,
  else Pillow's own font), and ``textes_alternatifs.txt``, one alternative text per card.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from .documents import Chart, Part, read_parts, render_charts
from .formats import fmt_count, fmt_date, fmt_int, fmt_pct

logger = logging.getLogger(__name__)

NNBSP = "\u202f"
NBSP = "\u00a0"
SIZES = ((1080, 1080), (1200, 630))
_TAG_RE = re.compile(r"<[^>]+>")
_LI_RE = re.compile(r"<li>(.*?)</li>", re.S)
_CARD_RE = re.compile(r'<span class="valeur">(.*?)</span><span class="libelle">(.*?)</span>', re.S)
_IDEA_RE = re.compile(r'<p class="idee-titre">(.*?)</p>\s*<p>(.*?)</p>', re.S)
_HEADING_RE = re.compile(r"<h([1-3])[^>]*>(.*?)</h\1>", re.S)
DIMENSION_LABELS = {
    "organisation": "Organisation",
    "decision": "Décision",
    "inclusion": "Inclusion des publics",
    "transparence": "Sincérité et transparence",
    "redevabilite": "Reddition des comptes",
}
SKIPPED_SECTIONS = {"Méthodologie", "Sommaire"}
ATELIER_QUESTIONS = (
    "Qu'est-ce qui fonctionne déjà sur le territoire ?",
    "Qu'est-ce qui freine, et pour qui ?",
    "Quelle proposition pour les équipes municipales de 2026 ?",
)


def french(text: str) -> str:
    """French typography: narrow no-break space before « ; : ! ? » and inside « » (idempotent)."""
    t = re.sub(r"[ \u00a0\u202f]+([;:!?])", NNBSP + r"\1", text)
    t = re.sub(r"«[ \u00a0\u202f]*", "«" + NBSP, t)
    t = re.sub(r"[ \u00a0\u202f]*»", NBSP + "»", t)
    return t


def _text(fragment: str) -> str:
    """Plain text of an HTML fragment; inline quotes ``<q>`` get their French « »."""
    fragment = re.sub(r"<q(\s[^>]*)?>", "«\u00a0", fragment).replace("</q>", "\u00a0»")
    return html.unescape(_TAG_RE.sub("", fragment)).strip()


class _TableParser(HTMLParser):
    """Rows of the first HTML table of a fragment (header row first), and its caption."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.caption = ""
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._in_caption:
            self.caption += data
        elif self._cell is not None:
            self._cell.append(data)


def parse_table(fragment: str) -> tuple[str, list[list[str]]]:
    """(caption, rows) of an HTML table fragment as written by :func:`display.table_html`."""
    p = _TableParser()
    p.feed(fragment)
    return p.caption.strip(), [r for r in p.rows if r]


@dataclass
class Section:
    """A heading of the report and what follows it, in order: ("liste", [items]),
    ("tableau", (caption, rows)), ("graphique", Chart), ("idee", "title — detail")."""

    heading: str
    level: int
    blocks: list[tuple[str, object]] = field(default_factory=list)
    top: str = ""  # the level-2 heading this section belongs to (itself when level 2)


@dataclass
class Content:
    """What a deck and the cards are made of (already public: read from published outputs)."""

    slug: str
    title: str = ""
    infos: list[str] = field(default_factory=list)  # « Date : … », « Lieu : … »
    fictitious: bool = False
    cards: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    findings: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)
    tables: dict[str, list[list[str]]] = field(default_factory=dict)  # caption → rows
    sections: list[Section] = field(default_factory=list)
    results: dict = field(default_factory=dict)

    @property
    def date(self) -> str:
        for info in self.infos:
            if info.startswith("Date"):
                return info.split(":", 1)[1].strip()
        return ""

    @property
    def charts(self) -> list[Chart]:
        return [b for s in self.sections for kind, b in s.blocks if kind == "graphique"]


def read_content(notebook: Path, results: Path | None = None) -> Content:
    """The kit's :class:`Content` from an executed notebook (and its results JSON, if any)."""
    c = Content(slug=notebook.parent.name)
    parts: list[Part] = read_parts(notebook)
    c.sections.append(Section("", 1))
    for part in parts:
        if part.chart is not None:
            c.sections[-1].blocks.append(("graphique", part.chart))
            continue
        frag = part.html
        for level, inner in _HEADING_RE.findall(frag):
            if level == "1" and not c.title:
                c.title = _text(inner)
            elif level == "2":
                c.sections.append(Section(_text(inner), 2, top=_text(inner)))
            elif level == "3":
                c.sections.append(Section(_text(inner), 3, top=c.sections[-1].top))
        items = [_text(i) for i in _LI_RE.findall(frag)]
        if 'class="entete"' in frag:
            c.infos = items
        elif 'class="chiffres-cles"' in frag:
            c.cards = c.cards or [(_text(v), _text(k)) for v, k in _CARD_RE.findall(frag)]
        elif 'class="idee"' in frag:
            for title, detail in _IDEA_RE.findall(frag):
                c.sections[-1].blocks.append(("idee", f"{_text(title)} — {_text(detail)}"))
        elif "<table" in frag:
            caption, rows = parse_table(frag)
            caption = caption or c.sections[-1].heading or f"tableau {len(c.tables) + 1}"
            c.tables.setdefault(caption, rows)
            c.sections[-1].blocks.append(("tableau", (caption, rows)))
        elif items:
            if 'class="constats"' in frag or 'class="essentiel"' in frag:
                c.findings += items
            elif 'class="objectifs"' in frag:
                c.objectives = items
            c.sections[-1].blocks.append(("liste", items))
        if "Données fictives" in frag:
            c.fictitious = True
    if results is not None and results.exists():
        try:
            c.results = json.loads(results.read_text(encoding="utf-8"))
        except ValueError:
            c.results = {}
    return c


def select_columns(rows: list[list[str]], wanted: list[str]) -> list[list[str]]:
    """The columns of ``rows`` whose header is in ``wanted`` (in that order); all when none is."""
    if not rows:
        return rows
    idx = [rows[0].index(w) for w in wanted if w in rows[0]]
    if not idx:
        return rows
    return [[r[i] if i < len(r) else "" for i in idx] for r in rows]


# ---------------------------------------------------------------- slides


def _notes(slide, text: str) -> None:
    slide.notes_slide.notes_text_frame.text = french(text)


def _bullets(prs, title: str, items: list[str], notes: str = "", size: int = 20):
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Pt

    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = french(title)
    body = slide.placeholders[1].text_frame
    body.clear()
    body.word_wrap = True
    body.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE  # shrunk on opening when too long
    for i, item in enumerate(items):
        p = body.paragraphs[0] if i == 0 else body.add_paragraph()
        p.text = french(item)
        p.font.size = Pt(size)
    font = _font_file(False)
    if font:  # the size that fits, computed now, for viewers that do not shrink text
        try:
            body.fit_text(font_file=font, max_size=size)
        except Exception:  # noqa: BLE001 - python-pptx raises bare errors on odd shapes
            body.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    if notes:
        _notes(slide, notes)
    return slide


def _table(prs, title: str, rows: list[list[str]], notes: str = "", max_rows: int = 10):
    from pptx.util import Emu, Pt

    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = french(title)
    rows = rows[: max_rows + 1]
    ncols = max(len(r) for r in rows)
    left, top = Emu(457200), Emu(1600200)
    width, height = prs.slide_width - 2 * left, Emu(370840 * len(rows))
    table = slide.shapes.add_table(len(rows), ncols, left, top, width, height).table
    for i, row in enumerate(rows):
        for j in range(ncols):
            cell = table.cell(i, j)
            cell.text = french(row[j]) if j < len(row) else ""
            for p in cell.text_frame.paragraphs:
                p.font.size = Pt(14 if len(rows) > 6 else 16)
    if notes:
        _notes(slide, notes)
    return slide


def _chart(prs, chart: Chart, image: Path | None, title: str | None = None):
    from pptx.util import Emu, Pt

    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = french(title or chart.title)
    margin, top = Emu(457200), Emu(1500000)
    box_w, box_h = prs.slide_width - 2 * margin, prs.slide_height - top - Emu(300000)
    if image is not None:
        from PIL import Image

        with Image.open(image) as im:
            w, h = im.size
        scale = min(box_w / w, box_h / h)
        pic_w, pic_h = int(w * scale), int(h * scale)
        pic = slide.shapes.add_picture(
            str(image), margin + (box_w - pic_w) // 2, top, width=pic_w, height=pic_h
        )
        pic._element.nvPicPr.cNvPr.set("descr", chart.alt or chart.title)
    else:
        box = slide.shapes.add_textbox(margin, top, box_w, box_h).text_frame
        box.word_wrap = True
        box.text = french(f"[graphique non rendu : Chromium absent] {chart.alt}")
        box.paragraphs[0].font.size = Pt(18)
    _notes(slide, f"{chart.caption}\nDescription : {chart.alt}")
    return slide


def _title_slide(prs, c: Content, subtitle: str) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = french(c.title or c.slug)
    lines = [subtitle, *c.infos[:2]]
    if c.fictitious:
        lines.append("Données fictives (jeu d'exemple)")
    slide.placeholders[1].text = french("\n".join(x for x in lines if x))


def _dimension_rows(c: Content) -> list[list[str]]:
    dims = c.results.get("dimensions") or []
    people = any("reponses" in d for d in dims)  # n counts people, « reponses » the answers
    rows = [
        [
            "Dimension",
            "Réponses favorables",
            "IC 95 %",
            "Personnes (n)" if people else "Réponses (n)",
        ]
    ]
    for d in dims:
        try:
            rows.append(
                [
                    DIMENSION_LABELS.get(d["dimension"], str(d["dimension"])),
                    fmt_pct(d["part"]),
                    f"{fmt_pct(d['bas'])} – {fmt_pct(d['haut'])}",
                    fmt_int(d["n"]),
                ]
            )
        except (KeyError, TypeError, ValueError):
            continue
    return rows if len(rows) > 1 else []


def _charts_named(c: Content, needle: str) -> list[Chart]:
    """Charts whose title contains ``needle`` (the report's own chart titles)."""
    return [ch for ch in c.charts if needle in ch.title]


def _ateliers(c: Content) -> list[str]:
    """Workshops named in the déroulé (« Ateliers : a, b, c » or one line per « Atelier … »)."""
    rows = next((r for cap, r in c.tables.items() if cap.startswith("Déroulé")), [])
    names: list[str] = []
    for row in rows[1:]:
        seq = row[1] if len(row) > 1 else ""
        m = re.match(r"\s*Ateliers?\s*(?:\d+\s*)?[:–—-]\s*(.+)", seq)
        if m:
            names += [n.strip() for n in re.split(r",| et ", m.group(1)) if n.strip()]
    return names


def _figures_notes(c: Content) -> str:
    ch = c.results.get("chiffres") or {}
    bits = []
    if ch.get("inscrits") is not None:
        bits.append(f"inscriptions actives : {ch['inscrits']}")
    if ch.get("repondants") is not None:
        bits.append(f"personnes ayant répondu au questionnaire : {ch['repondants']}")
    base = " ; ".join(bits)
    return "Source : inscriptions et questionnaire du chantier ICPC." + (
        f" Bases : {base}." if base else ""
    )


def chantier_figures(results: list[dict]) -> list[str]:
    """The chantier's key figures across the saved territorial results (sums, no new metric)."""
    n = len(results)
    inscrits = sum((r.get("chiffres") or {}).get("inscrits") or 0 for r in results)
    repondants = sum((r.get("chiffres") or {}).get("repondants") or 0 for r in results)
    out = [fmt_count(n, "rencontre territoriale", "rencontres territoriales")]
    if inscrits:
        out.append(f"{fmt_int(inscrits)} personnes inscrites en tout")
    if repondants:
        out.append(
            f"{fmt_count(repondants, 'personne a', 'personnes ont')} répondu au questionnaire dans ces territoires"
        )
    return out


def sections_under(c: Content, prefix: str) -> list[Section]:
    """The sections (level 2 and its level 3) whose level-2 heading starts with ``prefix``."""
    return [s for s in c.sections if s.top.startswith(prefix)]


def _blocks(sections: list[Section], kind: str) -> list:
    return [b for s in sections for k, b in s.blocks if k == kind]


def _chunks(items: list[str], size: int = 5) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


DIMENSION_NOTES = (
    "Source : questionnaire du chantier ICPC, réponses de ce territoire ; base : n, les "
    "personnes (ou réponses, selon la colonne) par dimension ; intervalle de confiance à 95 %."
)


def _dimension_charts(c: Content) -> list[Chart]:
    """One chart per dimension: the first chart under each level-3 heading of the dimensions
    section, else the charts titled « … répartition des réponses »."""
    subs = [s for s in sections_under(c, "Les cinq dimensions") if s.level == 3]
    found: list[Chart] = []
    for s in subs:
        charts = [b for k, b in s.blocks if k == "graphique"]
        if charts:
            found.append(charts[0])
    return found or _charts_named(c, "répartition des réponses")


def _proposal_slides(prs, c: Content, img: dict) -> None:
    """Leading proposals: one table per atelier when the report has them, else the top six."""
    sections = sections_under(c, "Ateliers et propositions") or sections_under(c, "Propositions")
    notes = (
        "Source : propositions des ateliers (plateforme de la rencontre), classées par "
        "nombre de soutiens."
    )
    per_atelier = [
        (s.heading, rows)
        for s in sections
        if s.level == 3
        for caption, rows in _blocks([s], "tableau")
        if len(rows) > 1
    ]
    if per_atelier:
        for atelier, rows in per_atelier:
            _table(
                prs,
                f"{atelier} : propositions les plus soutenues",
                select_columns(rows, ["Proposition", "Soutiens"]),
                max_rows=5,
                notes=notes,
            )
    else:
        props = next((r for cap, r in c.tables.items() if cap.startswith("Propositions")), None)
        if props and len(props) > 1:
            _table(
                prs,
                "Les propositions en tête",
                select_columns(props, ["Proposition", "Atelier", "Soutiens"]),
                max_rows=6,
                notes=notes,
            )
    for ch in _blocks(sections, "graphique") or _charts_named(c, "Soutiens"):
        _chart(prs, ch, img.get(ch.key))


def _figure_slides(
    prs, c: Content, findings: list[str], dims, notes: str, titles: tuple[str, str, str]
) -> None:
    """Key figures, findings (a few a slide) and the dimensions table, under ``titles``
    (figures, findings, dimensions): the same three slides in both kinds of deck."""
    figures_title, findings_title, dims_title = titles
    if c.cards:
        _bullets(prs, figures_title, [f"{v} {k}" for v, k in c.cards], notes=notes)
    for chunk in _chunks(findings):
        _bullets(prs, findings_title, chunk, notes=notes, size=18)
    if dims:
        _table(prs, dims_title, dims, notes=DIMENSION_NOTES)


def territory_deck(c: Content, images: dict[str, Path], chantier: list[str], target: Path) -> Path:
    """The meeting's PPTX (cadrage or compte rendu, from ``results['phase']`` or the title).

    Slides follow the report's own sections when they are there (« L'essentiel », « Questions
    à mettre en débat dans les ateliers », « Ateliers et propositions »…) and fall back on the
    key figures, findings and tables otherwise; a missing piece only leaves its slide out.
    """
    from pptx import Presentation

    prs = Presentation()
    phase = c.results.get("phase") or ("cadrage" if "cadrage" in c.title.lower() else "")
    img = {ch.key: images.get(ch.key) for ch in c.charts}
    essentiel = _blocks(sections_under(c, "L'essentiel"), "liste")
    findings = [i for items in essentiel for i in items] or c.findings
    figures_notes = _figures_notes(c)
    dims = _dimension_rows(c)
    if phase == "cadrage":
        _title_slide(prs, c, "Rencontre territoriale — présentation")
        if c.objectives:
            _bullets(prs, "Objectifs de la rencontre", c.objectives)
        deroule = next((r for cap, r in c.tables.items() if cap.startswith("Déroulé")), None)
        if deroule:
            _table(prs, "Déroulé", deroule, max_rows=12)
        if chantier:
            _bullets(
                prs,
                "Le chantier en chiffres",
                chantier,
                notes="Somme des résultats enregistrés par chaque rapport territorial.",
            )
        titles = ("Le territoire en chiffres", "L'essentiel", "Ce que dit déjà le questionnaire")
        _figure_slides(prs, c, findings, dims, figures_notes, titles)
        questions = [i for items in _blocks(sections_under(c, "Questions"), "liste") for i in items]
        for chunk in _chunks(questions, 4):
            _bullets(
                prs,
                "Questions à mettre en débat dans les ateliers",
                chunk,
                notes="Questions tirées des dimensions les moins bien perçues et des freins "
                "cités au questionnaire (voir la note de cadrage).",
                size=18,
            )
        for name in _ateliers(c) or list(DIMENSION_LABELS.values()):
            _bullets(prs, f"Atelier : {name}", list(ATELIER_QUESTIONS), size=24)
    else:
        _title_slide(prs, c, "Compte rendu de la rencontre")
        titles = (
            "L'essentiel : les chiffres",
            "L'essentiel : les constats",
            "Les cinq dimensions d'impact",
        )
        _figure_slides(prs, c, findings, dims, figures_notes, titles)
        for ch in _dimension_charts(c):
            _chart(prs, ch, img.get(ch.key))
        _proposal_slides(prs, c, img)
    target.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(target))
    return target


def synthesis_deck(c: Content, images: dict[str, Path], target: Path) -> Path:
    """The synthesis deck: title, then each section of the synthesis with its tables and charts."""
    from pptx import Presentation

    prs = Presentation()
    _title_slide(prs, c, "Synthèse des rencontres territoriales")
    for section in c.sections:
        if section.heading in SKIPPED_SECTIONS:
            continue
        ideas = [b for k, b in section.blocks if k == "idee"]
        title = (
            f"{section.top} : {section.heading}"
            if section.level == 3 and section.top
            else section.heading
        )
        for chunk in _chunks(ideas, 4):
            _bullets(
                prs,
                title,
                chunk,
                notes="Idées consolidées de la synthèse : territoires, nombre de propositions "
                "et soutiens additionnés (voir la synthèse).",
                size=16,
            )
        for kind, block in section.blocks:
            if kind == "liste":
                for start in range(0, len(block), 6):
                    _bullets(prs, section.heading or c.title, block[start : start + 6], size=18)
            elif kind == "tableau" and len(block[1]) > 1:
                caption, rows = block
                _table(
                    prs,
                    caption,
                    [r[:5] for r in rows],
                    max_rows=8,
                    notes=f"Tableau « {caption} » de la synthèse (premières lignes).",
                )
            elif kind == "graphique":
                _chart(prs, block, images.get(block.key))
    target.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(target))
    return target


# ---------------------------------------------------------------- cards


@lru_cache(maxsize=2)
def _font_file(bold: bool) -> str | None:
    """DejaVu Sans (Debian fonts-dejavu-core) or Liberation Sans, found at run time."""
    names = (
        ["DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"]
        if bold
        else ["DejaVuSans.ttf", "LiberationSans-Regular.ttf"]
    )
    for base in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation"):
        for n in names:
            if (Path(base) / n).exists():
                return str(Path(base) / n)
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(
                ["fc-match", "-f", "%{file}", "DejaVu Sans:bold" if bold else "DejaVu Sans"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
            if out.endswith((".ttf", ".otf")) and Path(out).exists():
                return out
        except (OSError, subprocess.SubprocessError):
            pass
    return None


@lru_cache(maxsize=64)
def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    path = _font_file(bold)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def _wrap(draw, text: str, font, width: int) -> list[str]:
    words, lines, line = [w for w in text.split(" ") if w], [], ""  # keeps no-break spaces
    for w in words:
        trial = f"{line} {w}".strip()
        if draw.textlength(trial, font=font) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = w
    return [*lines, line] if line else lines


def card_png(value: str, label: str, head: str, foot: str, size: tuple[int, int], target: Path):
    """One key-figure card: territory on top, the figure, its label, source and date below."""
    from PIL import Image, ImageDraw

    w, h = size
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    pad = int(w * 0.07)
    d.rectangle([0, 0, w, int(h * 0.018)], fill="#0072B2")
    unit = min(w, h * 1.3)
    f_head, f_val = _font(int(unit * 0.04), True), _font(int(unit * 0.17), True)
    f_lab, f_foot = _font(int(unit * 0.05)), _font(int(unit * 0.028))
    y = int(h * 0.08)
    for line in _wrap(d, head, f_head, w - 2 * pad)[:2]:
        d.text((pad, y), line, font=f_head, fill="#1e1e1e")
        y += int(f_head.size * 1.3)
    foot_lines = _wrap(d, foot, f_foot, w - 2 * pad)[:3]
    foot_top = h - pad - len(foot_lines) * int(f_foot.size * 1.35)
    lab_lines = _wrap(d, label, f_lab, w - 2 * pad)[:4]
    block = int(f_val.size * 1.15) + len(lab_lines) * int(f_lab.size * 1.3)
    y = max(y + int(h * 0.03), (y + foot_top - block) // 2)
    d.text((pad, y), value, font=f_val, fill="#0072B2")
    y += int(f_val.size * 1.15)
    for line in lab_lines:
        d.text((pad, y), line, font=f_lab, fill="#1e1e1e")
        y += int(f_lab.size * 1.3)
    d.line([pad, foot_top - int(h * 0.02), w - pad, foot_top - int(h * 0.02)], fill="#999", width=2)
    for i, line in enumerate(foot_lines):
        d.text((pad, foot_top + i * int(f_foot.size * 1.35)), line, font=f_foot, fill="#444")
    target.parent.mkdir(parents=True, exist_ok=True)
    img.save(target, compress_level=3)  # ≈ 2 × faster than the default, +15 % size
    return target


def card_items(c: Content) -> list[tuple[str, str, str]]:
    """(value, label, source) of every card: key figures, then each dimension's favourable share."""
    items = []
    for value, label in c.cards:
        source = "questionnaire du chantier ICPC" if "répond" in label else "inscriptions"
        items.append((value, label, source))
    for d in c.results.get("dimensions") or []:
        try:
            items.append(
                (
                    fmt_pct(d["part"]),
                    f"de réponses favorables sur la dimension « {DIMENSION_LABELS[d['dimension']]} »",
                    f"questionnaire du chantier ICPC, n = {fmt_int(d['n'])} "
                    + ("personnes" if "reponses" in d else "réponses"),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return items


def write_cards(c: Content, folder: Path) -> list[Path]:
    """PNG cards at 1080×1080 and 1200×630, and ``textes_alternatifs.txt``; returns the paths."""
    head = c.title.split(":", 1)[-1].strip() if ":" in c.title else c.title
    when = f"rencontre du {c.date}" if c.date else ""
    data_date = c.results.get("date_donnees")  # the date of the data, when the results give it
    if data_date:
        try:
            when = ", ".join(x for x in (when, f"données au {fmt_date(data_date)}") if x)
        except (TypeError, ValueError):
            pass
    written, alts = [], []
    for i, (value, label, source) in enumerate(card_items(c), start=1):
        foot = french(
            f"Source : {source} — {head}, {when}".rstrip(", ")
            + (" — données fictives" if c.fictitious else "")
        )
        for w, h in SIZES:
            name = f"carte_{i:02d}_{w}x{h}.png"
            written.append(
                card_png(french(value), french(label), french(head), foot, (w, h), folder / name)
            )
        alts.append(
            french(f"carte_{i:02d} : {value} {label}. {head}, {when}. Source : {source}.")
            + (" Données fictives." if c.fictitious else "")
        )
    if alts:
        alt_file = folder / "textes_alternatifs.txt"
        alt_file.write_text(
            "Textes alternatifs des cartes (un par carte, pour les deux formats)\n\n"
            + "\n".join(alts)
            + "\n",
            encoding="utf-8",
        )
        written.append(alt_file)
    return written


# ---------------------------------------------------------------- the build step


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes() if p.exists() else b"<absent>")
    return h.hexdigest()


def write_kit(
    slug: str, work: Path, reports: Path, log: Callable[[str], None] | None = None
) -> Path | None:
    """``reports/kit/<slug>/`` from ``build/<slug>/`` (or the synthesis); None when not built.

    Rebuilt only when the executed notebook or the results it reads change (stamp in
    ``build/kit/<slug>.json``). The folder is replaced as a whole (no stale card left behind).
    """
    synth = slug == "synthese"
    notebook = work / slug / ("synthese.ipynb" if synth else "rencontre.ipynb")
    if not notebook.exists():
        return None
    all_results = sorted(work.glob("*/resultats.json"))
    inputs = [notebook, *all_results]
    key = _digest(inputs)
    stamp = work / "kit" / f"{slug}.json"
    folder = reports / "kit" / slug
    try:
        old = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    if old.get("cle") == key and (folder / "diaporama.pptx").exists():
        return folder
    c = read_content(notebook, None if synth else work / slug / "resultats.json")
    images = render_charts(c.charts, work / "images", log)
    tmp = work / "kit" / f"{slug}.tmp"  # built aside, never half-written in reports/
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if synth:
        synthesis_deck(c, images, tmp / "diaporama.pptx")
    else:
        results = []
        for p in all_results:
            try:
                results.append(json.loads(p.read_text(encoding="utf-8")))
            except ValueError:
                continue
        territory_deck(c, images, chantier_figures(results), tmp / "diaporama.pptx")
        write_cards(c, tmp)
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(tmp), str(folder))
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"cle": key}), encoding="utf-8")
    return folder


def publish_kits(
    slugs: list[str], work: Path, reports: Path, log: Callable[[str], None] | None = None
) -> None:
    """:func:`write_kit` for every built report; a failure is logged in French, never raised."""
    for slug in slugs:
        try:
            write_kit(slug, work, reports, log)
        except Exception as exc:  # the kit never fails a report
            (log or logger.warning)(
                f"  (kit de communication non écrit pour {slug} : {type(exc).__name__} : {exc})"
            )


def index_entries(reports: Path, slug: str) -> list[tuple[str, str]]:
    """(label, relative link) of the editable documents and the kit of a report that exist.

    The index names each link « label — slug » for screen readers (unique link names)."""
    links = []
    for label, rel in (
        ("DOCX", f"{slug}.docx"),
        ("ODT", f"{slug}.odt"),
        ("diaporama (PPTX)", f"kit/{slug}/diaporama.pptx"),
        ("cartes : textes alternatifs", f"kit/{slug}/textes_alternatifs.txt"),
    ):
        if (reports / rel).exists():
            links.append((label, rel))
    if (reports / "kit" / slug).is_dir() and any((reports / "kit" / slug).glob("carte_*.png")):
        links.append(("cartes (PNG)", f"kit/{slug}/"))
    return links
