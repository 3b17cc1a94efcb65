"""Security of the published reports: hostile inputs never become personal data, script or lost work.

One payload-laden copy of the example project (``inject_payloads``) is built for real once per
module (papermill + nbconvert, jobs=2, 30–50 s); the checks then read that build: audit, HTML
parsed outside plotly's scripts, every published file searched for the planted registrants,
CSV/XLSX read back, Chromium with the network blocked, inputs fingerprinted before and after.
Fault and Ctrl-C tests use a stand-in executor (as ``tests/test_build.py`` does, about a
second each); one more real build checks a registrations file that disappears.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import unicodedata
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import nbformat
import openpyxl
import pytest
from conftest import copy_project
from navigateur import new_context

from rencontres_lib import build as build_mod
from rencontres_lib import config
from rencontres_lib import exports as exports_mod
from rencontres_lib.audit import audit_paths

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
TEMPLATES = Path(build_mod.__file__).parent / "templates" / "rencontres"
EVIL_HOST = "evil.example"

# --------------------------------------------------------------------------- payloads

XSS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=2">',
    '<svg onload="window.__pwned=3">',
    "[clic](javascript:window.__pwned=4)",
    "<a href=\"javascript:document.title='pwned'\">x</a>",
    '"><iframe src=javascript:window.__pwned=5>',
    "![x](http://evil.example/x.png)",
    "{{7*7}}",
    "${7*7}",
]
FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "+33 6 00 00 00 00",
    "@SUM(1+1)",
    "-2+3",
    "+cmd|' /C calc'!A0",
    "\t=1+1",
    "=1+1\r",
]
CONTROL = "contrôle" + "".join(chr(c) for c in range(0x00, 0x09)) + "\x1b[31mrouge\x1b[0m fin"
EMOJI = "Bravo 👏🏽 pour le budget participatif 🌍"
RTL = "مشاركة المواطنين في الميزانية — השתתפות אזרחית — \u202etxet esrever\u202c retour"
RLO = "\u202e"
BIG_CELL_BYTES = 10 * 2**20
BIG_SLUG = "lyon-grande-cellule"
THEME_WORDS = "le budget participatif manque de moyens et il faut un retour aux participants"
# the chosen Chercheur·e respondents of Lille (suppression test): exactly 3
SMALL_PROFILE, SMALL_TERRITORY, SMALL_COUNT = "Chercheur·e", "Lille", 3


# --------------------------------------------------------------------------- CSV helpers


def visible(text: str) -> str:
    """Text as a reader sees it: entities decoded, French no-break spaces and apostrophes plain."""
    out = html.unescape(text)
    return out.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2019", "'")


def _read_csv(path: Path, sep: str, encoding: str = "utf-8") -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.reader(fh, delimiter=sep))


def _write_csv(
    path: Path,
    rows: list[list[str]],
    sep: str,
    *,
    encoding: str = "utf-8",
    quoting: int = csv.QUOTE_MINIMAL,
    newline: str = "\n",
) -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, quoting=quoting, lineterminator=newline).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _phone_forms(digits: str) -> list[str]:
    pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
    return [
        digits,
        " ".join(pairs),
        ".".join(pairs),
        "+33 " + digits[1] + " " + " ".join(pairs[1:]),
    ]


# --------------------------------------------------------------------------- the generator


def _mention(p: dict, k: int) -> str:
    """A sentence naming a registrant, with e-mail and phone, in one of several forms."""
    tel = _phone_forms(p["tel"])[k % 4]
    return [
        f"merci à {p['prenom']} {p['nom']} ({p['email']}, {tel}) pour le budget participatif",
        f"{p['nom'].upper()} {p['prenom']} a fait un retour aux participants, joindre le {tel}",
        f"voir avec {p['prenom']} {p['nom']} : {p['email']} pour le budget",
    ][k % 3]


def inject_payloads(root: Path) -> dict:
    """Put hostile text into the COPY of ``data/exemple`` under ``root``; return what was planted.

    Lyon gets every payload in every free-text field (questionnaire open answers, interview
    excerpts, Decidim proposals, HelloAsso Structure/Profil), and real Lyon registrants'
    names, e-mails and phones inside open answers, excerpts and a proposal title. Lille
    keeps exactly 3 complete « Chercheur·e » respondents. A 10 MB open answer goes into a
    copy of the questionnaire read by one extra, minimal territory (``BIG_SLUG``).
    """
    data = root / "data" / "exemple"
    hostile = XSS + FORMULAS + [CONTROL, EMOJI, RTL]
    planted: dict = {"registrants": []}

    # registrations (HelloAsso: UTF-8 BOM, ';', CRLF)
    ins_path = data / "inscriptions_lyon.csv"
    ins = _read_csv(ins_path, ";", "utf-8-sig")
    head, rows = ins[0], ins[1:]
    c_nom, c_prenom = head.index("Nom participant"), head.index("Prénom participant")
    c_mail, c_tel = head.index("Email"), head.index("Téléphone")
    c_struct, c_profil = head.index("Structure"), head.index("Profil")
    for i, row in enumerate(rows[: len(hostile)]):
        row[c_struct], row[c_profil] = hostile[i], hostile[-1 - i]
    people = [
        r
        for r in rows[len(hostile) :]
        if r[c_prenom] and r[c_nom] and "@" in r[c_mail] and re.fullmatch(r"0\d{9}", r[c_tel])
    ]
    odd = [r for r in people[1:] if not r[c_nom].isascii() or " " in r[c_nom] or "-" in r[c_prenom]]
    for r in [people[0], *odd[:2]]:
        planted["registrants"].append(
            {"prenom": r[c_prenom], "nom": r[c_nom], "email": r[c_mail], "tel": r[c_tel]}
        )
    first = planted["registrants"][0]
    # a registrant typing her own identity into the free « Profil » field (unrecognised)
    people[0][c_profil] = (
        f"Je préfère ne pas dire ({first['prenom']} {first['nom']}, "
        f"{_phone_forms(first['tel'])[1]}, {first['email']})"
    )
    _write_csv(ins_path, ins, ";", encoding="utf-8-sig", newline="\r\n")
    reg = planted["registrants"]

    # questionnaire (LimeSurvey: ',' and every field quoted)
    q_path = data / "questionnaire.csv"
    q = _read_csv(q_path, ",")
    qh = q[0]
    c_terr, c_prof, c_sub = qh.index("TERRITOIRE"), qh.index("PROFIL"), qh.index("submitdate")
    texts = [qh.index(c) for c in ("AVANCEES", "FREINS", "PISTES")]
    lyon = [r for r in q[1:] if r[c_terr] == "Lyon" and r[c_sub]]
    for k, row in enumerate(lyon[:75]):
        for j, c in enumerate(texts):
            payload = hostile[(k + j) % len(hostile)]
            row[c] = f"{payload} {THEME_WORDS}, {_mention(reg[k % len(reg)], k + j)}. {payload}"
    small = [r for r in q[1:] if r[c_terr] == SMALL_TERRITORY and r[c_prof] == SMALL_PROFILE]
    kept = {id(r) for r in [r for r in small if r[c_sub]][:SMALL_COUNT]}
    for row in small:
        if id(row) not in kept:
            row[c_prof] = "Citoyen·ne"
    _write_csv(q_path, q, ",", quoting=csv.QUOTE_ALL)
    # the 10 MB cell, in a copy read by one extra territory only: a loader failing on it
    # cannot take the other reports down with it
    lyon[75][texts[0]] = ("budget participatif " * (BIG_CELL_BYTES // 20 + 1))[:BIG_CELL_BYTES]
    _write_csv(data / "questionnaire_grande_cellule.csv", q, ",", quoting=csv.QUOTE_ALL)
    (root / "parameters" / f"{BIG_SLUG}.yaml").write_text(
        "territoire: Métropole de Lyon (cellule de 10 Mo)\n"
        f"slug: {BIG_SLUG}\n"
        "date: 2025-03-14\n"
        "phase: compte_rendu\n"
        "sources:\n"
        "  questionnaire: data/exemple/questionnaire_grande_cellule.csv\n"
        "  codebook: parameters/codebook.yaml\n"
        "filtre: {territoire: Lyon}\n",
        encoding="utf-8",
    )

    # interview excerpts (Taguette: id,document,tag,content; CRLF)
    e_path = data / "entretiens.csv"
    e = _read_csv(e_path, ",")
    for k, row in enumerate(r for r in e[1:] if r[1].endswith("Lyon")):
        payload = hostile[k % len(hostile)]
        row[3] = f"{payload} {row[3]} — {_mention(reg[k % len(reg)], k)}. {payload}"
    _write_csv(e_path, e, ",", newline="\r\n")

    # proposals (Decidim: ';'); the new ones get the most supports so that they are shown
    pr_path = data / "propositions_lyon.csv"
    pr = _read_csv(pr_path, ";")
    ph = pr[0]
    c_id, c_title, c_body = ph.index("id"), ph.index("title/fr"), ph.index("body/fr")
    c_sup, c_cat = ph.index("supports"), ph.index("category/name/fr")
    titles = [
        *hostile,
        "&lt;img src=x onerror=window.__pwned=6&gt;",
        f"Merci à {first['prenom']} {first['nom']} ({first['email']}) pour cette idée",
    ]
    for k, title in enumerate(titles):
        row = list(pr[1])
        row[c_id], row[c_title], row[c_sup] = str(90000 + k), title, str(1000 - k)
        row[c_body] = (
            f"<p>{titles[-1 - k]}</p><script>window.__pwned=7</script> {_mention(first, k)}"
        )
        row[c_cat] = (
            '<a href="javascript:window.__pwned=8">Thème piégé</a> <b onmouseover="x()">b</b>'
        )
        pr.append(row)
    _write_csv(pr_path, pr, ";")
    return planted


# --------------------------------------------------------------------------- reading the output


def _fingerprints(root: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime (ns) of every input file: data/ and parameters/."""
    out = {}
    for p in sorted([*(root / "data").rglob("*"), *(root / "parameters").rglob("*")]):
        if p.is_file():
            out[str(p.relative_to(root))] = (
                hashlib.sha256(p.read_bytes()).hexdigest(),
                p.stat().st_mtime_ns,
            )
    return out


FINDINGS_RE = re.compile(r'<ul class="constats-chargement">.*?</ul>', re.S)


def _without_findings(page: str) -> str:
    """The page without its « Constats de chargement » list (checked by its own test)."""
    return FINDINGS_RE.sub("", page)


def _xlsx_text(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    cells = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row]
    with zipfile.ZipFile(path) as z:  # and the raw XML, whatever openpyxl would not show
        xml = [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")]
    return "\n".join(cells + [html.unescape(x) for x in xml])


def _published_texts(root: Path, *, findings: bool = True) -> dict[str, str]:
    """Every file under reports/ as text (XLSX: cell values and XML members)."""
    out = {}
    for p in sorted((root / "reports").rglob("*")):
        if not p.is_file():
            continue
        name = str(p.relative_to(root / "reports"))
        if p.suffix == ".xlsx":
            out[name] = _xlsx_text(p)
            continue
        text = p.read_bytes().decode("utf-8-sig", "replace")
        out[name] = text if findings or p.suffix != ".html" else _without_findings(text)
    return out


def _registrant_strings(p: dict) -> list[str]:
    forms = [
        f"{p['prenom']} {p['nom']}",
        f"{p['nom']} {p['prenom']}",
        f"{p['nom']}, {p['prenom']}",
        p["email"],
    ]
    return [unicodedata.normalize("NFC", f).casefold() for f in forms] + _phone_forms(p["tel"])


def _leaks(texts: dict[str, str], registrants: list[dict]) -> list[tuple[str, str]]:
    found = []
    for name, text in texts.items():
        folded = unicodedata.normalize("NFC", text).casefold()
        found += [(name, s) for p in registrants for s in _registrant_strings(p) if s in folded]
    return found


class _Page(HTMLParser):
    """Start tags (with attributes) and script blocks of an HTML page, as a browser splits them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]], int]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: list | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs, self.getpos()[0]))
        if tag == "script":
            self._script = [dict(attrs), ""]

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs, self.getpos()[0]))

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], self._script[1]))
            self._script = None


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


URL_ATTRS = {"href", "src", "xlink:href", "action", "formaction", "data", "poster", "srcset"}
ACTIVE_TAGS = {"iframe", "frame", "object", "embed", "base", "form", "meta"}
STRICT_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def _unsafe_cell(value: object) -> bool:
    """A text cell a spreadsheet would run as a formula (not prefixed with « ' »)."""
    if not isinstance(value, str) or not value or value.startswith("'"):
        return False
    head = value.lstrip(' \u00a0\u202f\n"')
    if value[0] in "\t\r" or head[:1] in ("=", "@", "\uff1d", "\uff20"):
        return True
    return head[:1] in ("+", "-", "\uff0b", "\uff0d") and not STRICT_NUMBER.fullmatch(value.strip())


# --------------------------------------------------------------------------- the hostile build


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> SimpleNamespace:
    """The payload-laden copy, built once for real (jobs=2)."""
    root = copy_project(tmp_path_factory.mktemp("hostile") / "projet")
    planted = inject_payloads(root)
    before = _fingerprints(root)
    lib = build_mod.library_fingerprint()
    js = (TEMPLATES / "rencontres.js").read_text(encoding="utf-8")  # as the build reads it
    lines: list[str] = []
    report = build_mod.build(root, jobs=2, log=lines.append)
    return SimpleNamespace(
        root=root,
        report=report,
        log=lines,
        planted=planted,
        before=before,
        lib=lib,
        js=js,
        after=_fingerprints(root),
    )


TERRITORIES = ["grenoble", "lille", "lyon", "nantes"]


@pytest.mark.slow
def test_hostile_build_publishes_every_report(hostile):
    report, reports = hostile.report, hostile.root / "reports"
    states = {o.slug: o.state for o in report.outcomes}
    assert set(states) == {*TERRITORIES, BIG_SLUG, "synthese"}, hostile.log
    # the 10 MB cell has its own test below; every other report must be built
    assert all(states[s] == "exécuté" for s in [*TERRITORIES, "synthese"]), hostile.log
    for slug in [*TERRITORIES, "synthese", "index"]:
        assert (reports / f"{slug}.html").stat().st_size > 1000
    index = (reports / "index.html").read_text(encoding="utf-8")
    for o in report.outcomes:  # a failure, if any, is listed with its reason
        if o.state == "échec":
            assert "Échec" in index and visible(o.error) in visible(index)
    assert [p.name for p in reports.rglob("*.tmp")] == []


@pytest.mark.slow
def test_audit_of_the_hostile_reports_is_clean(hostile):
    from rencontres_lib.audit import project_settings

    names = build_mod.registrant_names(hostile.root)
    # as the build runs it: the meeting's public names (venue, partners) are allowed
    hits = audit_paths([hostile.root / "reports"], names=names, **project_settings(hostile.root))
    assert [h.french() for h in hits] == []
    assert hostile.report.audit_hits == 0


@pytest.mark.slow
def test_no_active_payload_in_published_html(hostile):
    reports = hostile.root / "reports"
    # the one script file besides plotly.js is the template's own, unchanged
    assert (reports / "assets" / "rencontres.js").read_text(encoding="utf-8") == hostile.js
    for path in sorted(reports.glob("*.html")):
        page = path.read_text(encoding="utf-8")
        assert "<script>window.__pwned" not in page and "<iframe" not in page.lower(), path.name
        parsed = _parse(page)
        for tag, attrs, line in parsed.tags:
            where = f"{path.name}, ligne {line} : <{tag}>"
            csp = dict(attrs).get("http-equiv", "").lower() == "content-security-policy"
            assert tag not in ACTIVE_TAGS or (
                tag == "meta" and ("http-equiv" not in dict(attrs) or csp)
            ), where
            for attr, value in attrs:
                assert not attr.startswith("on"), f"{where} {attr}="
                clean = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
                if attr in URL_ATTRS:
                    assert not clean.startswith(("javascript:", "vbscript:", "data:text")), where
                assert EVIL_HOST not in clean, where
        for attrs, body in parsed.scripts:  # only the project's own scripts, as files, and
            if attrs.get("src"):  # the figures' JSON data blocks (never run: CSP script-src)
                assert attrs.get("src") in ("assets/plotly.min.js", "assets/rencontres.js")
                assert not body.strip(), path.name
            else:
                assert attrs.get("type") == "application/json", (path.name, attrs)
                # data only: every « < » of the JSON is written \u003c, nothing can close
                # the block; how plotly draws the labels is checked in Chromium below
                assert "<" not in body, path.name
                json.loads(body)
    # the payloads are text everywhere: escaped in the pages (checked tag by tag above); in the
    # exported tables they are inert cells (formula-safety: test_exports_neutralise_formulas)
    lyon = (reports / "lyon.html").read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in lyon and "onerror=window" not in lyon


@pytest.mark.slow
def test_no_registrant_data_outside_loading_findings(hostile):
    """Names, e-mails and phones of registrants quoted in answers never reach reports/."""
    texts = _published_texts(hostile.root, findings=False)
    assert any(name.endswith(".xlsx") for name in texts) and any(n.endswith(".csv") for n in texts)
    assert _leaks(texts, hostile.planted["registrants"]) == []
    lyon = texts["lyon.html"]  # the mentions were published, masked
    for marker in ("[nom masqué]", "[courriel masqué]", "[téléphone masqué]"):
        assert marker in lyon, marker
    assert "[nom masqué]" in texts["tableaux/lyon_propositions.csv"]


@pytest.mark.slow
def test_loading_findings_are_never_published(hostile):
    """The loading findings (rows, values typed by people) stay in « rencontres check »."""
    page = (hostile.root / "reports" / "lyon.html").read_text(encoding="utf-8")
    assert FINDINGS_RE.findall(page) == [] and "profil non reconnu" not in page
    assert _leaks({"lyon": page}, hostile.planted["registrants"]) == []
    assert EVIL_HOST not in page


@pytest.mark.slow
def test_no_builder_path_in_reports(hostile):
    texts = _published_texts(hostile.root)
    assert [n for n, t in texts.items() if str(hostile.root) in t] == []


def test_failure_messages_do_not_publish_builder_paths(fast_project, monkeypatch):
    root = fast_project
    monkeypatch.setattr(build_mod, "_execute", _stand_in())
    assert _quiet_build(root).exit_code == 0
    p = root / "parameters" / "nantes.yaml"
    p.write_text(
        p.read_text(encoding="utf-8").replace("inscriptions_nantes.csv", "absent.csv"),
        encoding="utf-8",
    )
    report = _quiet_build(root)
    assert [o.slug for o in report.failures] == ["nantes"]
    assert "absent.csv" in report.failures[0].error  # the file is named…
    for name in ("index.html", "nantes.html"):  # …but not where it lies on this machine
        assert str(root) not in (root / "reports" / name).read_text(encoding="utf-8"), name


@pytest.mark.slow
def test_exports_neutralise_formulas(hostile):
    tables = hostile.root / "reports" / "tableaux"
    seen: list[str] = []
    for path in sorted(tables.glob("*.csv")):
        for row in _read_csv(path, ";", "utf-8-sig"):
            bad = [c for c in row if _unsafe_cell(c)]
            assert bad == [], f"{path.name} : {bad}"
            seen += row
    for path in sorted(tables.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{path.name} {cell.coordinate}"
                    assert not _unsafe_cell(cell.value), (
                        f"{path.name} {cell.coordinate}: {cell.value!r}"
                    )
                    seen.append(cell.value)
    # the formula payloads were exported, neutralised (CSV and XLSX)
    for expected in ["'=HYPERLINK(", "'@SUM(1+1)", "'-2+3", "'+cmd|' /C calc'!A0"]:
        assert sum(isinstance(v, str) and v.startswith(expected) for v in seen) >= 2, expected
    for value in ("-2+3", "@SUM(1+1)"):  # never unprefixed
        assert value not in seen


@pytest.mark.slow
def test_hostile_text_does_not_break_reports(hostile):
    texts = _published_texts(hostile.root, findings=False)  # findings: test above
    for path in sorted((hostile.root / "reports").glob("*.html")):
        assert path.stat().st_size < 5 * 2**20, path.name
        page = texts[path.name]
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", page), path.name
        assert RLO not in page, path.name
    # the proposals table holds every hostile title (the page shows the five best supported)
    lyon = unicodedata.normalize("NFC", texts["tableaux/lyon_propositions.csv"])
    assert "👏🏽" in lyon and "🌍" in lyon  # emoji kept
    assert "مشاركة المواطنين" in lyon and "השתתפות אזרחית" in lyon  # RTL text kept
    assert "contrôle[31mrouge[0m fin" in lyon  # controls dropped, text kept


@pytest.mark.slow
def test_ten_megabyte_answer_is_built(hostile):
    big = next(o for o in hostile.report.outcomes if o.slug == BIG_SLUG)
    assert big.state == "exécuté", big.error
    page = (hostile.root / "reports" / f"{BIG_SLUG}.html").read_text(encoding="utf-8")
    assert len(page.encode()) < 5 * 2**20
    assert "budget participatif" in page and not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", page)


@pytest.mark.slow
def test_inputs_are_read_only(hostile):
    assert hostile.before, "no input fingerprinted"
    assert "data/exemple/questionnaire_grande_cellule.csv" in hostile.before
    # the one file the build writes under parameters/: the organiser's review of the
    # groupings of proposals, created and merged (never overwriting the organiser's choices)
    review = "parameters/synthese/regroupements.yaml"
    after = {k: v for k, v in hostile.after.items() if k != review}
    assert after == {k: v for k, v in hostile.before.items() if k != review}


@pytest.mark.slow
def test_small_profile_cell_is_suppressed(hostile):
    """Lille has 3 complete « Chercheur·e » answers: masked in every by-profile table."""
    q = _read_csv(hostile.root / "data/exemple/questionnaire.csv", ",")
    h = q[0]
    n = sum(
        r[h.index("TERRITOIRE")] == SMALL_TERRITORY
        and r[h.index("PROFIL")] == SMALL_PROFILE
        and r[h.index("submitdate")] != ""
        for r in q[1:]
    )
    assert 0 < n < 5
    files = sorted((hostile.root / "reports/tableaux").glob("lille_favorable_par_profil_*.csv"))
    assert files
    for path in files:  # affirmation;profil;n;part;bas;haut
        rows = _read_csv(path, ";", "utf-8-sig")
        small = [r for r in rows[1:] if r[1] == SMALL_PROFILE]
        assert small and all(r[2:] == ["", "", "", ""] for r in small), path.name
        shown = [r for r in rows[1:] if r[1] == "Agent·e territorial·e"]
        assert shown and all(r[2] for r in shown), path.name


# --------------------------------------------------------------------------- in a real browser

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DOM_CHECK = """() => ({
  pwned: typeof window.__pwned,
  title: document.title,
  frames: document.querySelectorAll("iframe, frame, object, embed").length,
  plots: document.querySelectorAll(".js-plotly-plot").length,
  bad: Array.from(document.querySelectorAll("*")).flatMap(el => Array.from(el.attributes)
    .filter(a => /^on/i.test(a.name) ||
      (/^(href|src|xlink:href|action|formaction|data)$/i.test(a.name) &&
       /^(javascript:|vbscript:|data:(?!image\\/))/i.test(a.value.replace(/[\\s\\x00-\\x1f]/g, ""))))
    .map(a => el.tagName + " " + a.name + "=" + a.value.slice(0, 60))),
})"""


@pytest.mark.slow
@pytest.mark.browser
def test_reports_run_no_payload_in_chromium(hostile, tmp_path):
    exe = shutil.which("chromium")
    if not exe:
        pytest.skip(
            "Chromium de Debian absent (apt-get install chromium) : test du navigateur sauté."
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    # a page that does run a payload: proves that the checks below can see one
    canary = tmp_path / "temoin.html"
    canary.write_text(
        '<!DOCTYPE html><title>témoin</title><img src="http://evil.example/temoin.png">'
        "<script>window.__pwned = 'temoin'</script>",
        encoding="utf-8",
    )
    pages = sorted((hostile.root / "reports").glob("*.html"))
    requests: list[str] = []
    dialogs: list[str] = []
    results: dict[str, dict] = {}

    def route(r):
        requests.append(r.request.url)
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            r.abort()  # no network: only the local files

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=BROWSER_ARGS)
        try:
            context = new_context(browser, service_workers="block")
            context.route("**/*", route)
            for path in [canary, *pages]:  # one page at a time: holds on a loaded machine
                page = context.new_page()
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(path.as_uri(), wait_until="load")
                page.wait_for_timeout(100)  # failed images fire their onerror after load
                results[path.name] = page.evaluate(DOM_CHECK)
                page.close()
        finally:
            browser.close()

    assert results.pop("temoin.html")["pwned"] == "string"
    assert [u for u in requests if EVIL_HOST in u] == ["http://evil.example/temoin.png"]
    assert dialogs == []
    assert len(results) == len(pages) >= 6
    for name, res in results.items():
        assert res["pwned"] == "undefined", name
        assert "pwned" not in res["title"].lower(), name
        assert res["frames"] == 0 and res["bad"] == [], (name, res["bad"])
        if name != "index.html":
            assert res["plots"] > 0, name  # the page's own scripts did run
    assert all(u.startswith("file:") for u in requests if EVIL_HOST not in u), requests


# --------------------------------------------------------------------------- faults


def _stand_in(version: str = "v1", *, load: bool = False, fail: tuple[str, ...] = ()):
    """Replaces the notebook run: optionally its first cell (load_rencontre, strict), then a
    tiny notebook, results and one table, all marked with ``version``; fails for ``fail``."""

    def execute(notebook: Path, output: Path, parameters: dict, cwd: Path) -> float:
        slug = output.parent.name
        if slug in fail:
            raise RuntimeError(f"échec simulé pour {slug}")
        if load and "parametres" in parameters:
            from rencontres_lib.rencontre import load_rencontre

            load_rencontre(parameters["parametres"], strict=True)
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_markdown_cell(f"## Rapport {slug} {version}")
        cell.id = f"rapport-{slug}"  # stable, as in the real notebook (ids come from its source)
        nb.cells.append(cell)
        output.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, output)
        if "sortie" in parameters:
            out = Path(parameters["sortie"])
            (out / "tableaux").mkdir(parents=True, exist_ok=True)
            (out / "resultats.json").write_text(json.dumps({"slug": slug}), encoding="utf-8")
            table = out / "tableaux" / f"{slug}_exemple.csv"
            table.write_text(f"version;n\r\n{version};{len(slug)}\r\n" * 50, encoding="utf-8")
        return 0.01

    return execute


def _quiet_build(root: Path, **kw):
    return build_mod.build(root, jobs=2, audit=False, log=lambda m: None, **kw)


def _strip_banner(page: str) -> str:
    start, end = (
        page.index('<div class="perime"'),
        page.index("<!--/PERIME-->") + len("<!--/PERIME-->"),
    )
    return page[:start] + page[end:]


@pytest.fixture
def fast_project(tmp_path, monkeypatch) -> Path:
    """A copy of the example project for the stand-in executor (no PDF of the sign-in sheet)."""
    from rencontres_lib.rencontre import salt

    root = copy_project(tmp_path / "projet")
    monkeypatch.setattr(config, "_ROOT", root.resolve())
    monkeypatch.setattr(build_mod, "private_outputs", lambda *a, **k: None)
    monkeypatch.setattr(build_mod, "_prewarm", lambda cwd: None)  # stand-in executor: no kernel
    salt(root)  # created once, before threads load sources concurrently
    return root


def test_faulty_sources_fail_alone(fast_project, monkeypatch):
    root = fast_project
    monkeypatch.setattr(build_mod, "_execute", _stand_in(load=True))
    assert _quiet_build(root).exit_code == 0
    good = {s: (root / "reports" / f"{s}.html").read_text(encoding="utf-8") for s in TERRITORIES}

    broken = root / "data" / "casse"
    broken.mkdir()
    shutil.copy(HOSTILE / "codebook_illisible.yaml", broken / "codebook_illisible.yaml")
    q = _read_csv(root / "data/exemple/questionnaire.csv", ",")
    row = next(r for r in q[1:] if r[q[0].index("TERRITOIRE")] == "Nantes")
    row[q[0].index("AVANCEES")] = "@@CASSE@@"
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(q)
    text = buf.getvalue().replace('"@@CASSE@@"', '"Un avis "cassé", vraiment"')
    (broken / "questionnaire_casse.csv").write_text(text, encoding="utf-8")

    def edit(slug: str, old: str, new: str) -> None:
        p = root / "parameters" / f"{slug}.yaml"
        assert old in p.read_text(encoding="utf-8")
        p.write_text(p.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

    edit("grenoble", "data/exemple/entretiens_attributs.csv", "data/exemple/attributs_absents.csv")
    edit("lille", "parameters/codebook.yaml", "data/casse/codebook_illisible.yaml")
    edit("nantes", "data/exemple/questionnaire.csv", "data/casse/questionnaire_casse.csv")

    report = _quiet_build(root)
    assert report.exit_code == 1
    states = {o.slug: o.state for o in report.outcomes}
    assert states == {
        "grenoble": "échec",
        "lille": "échec",
        "lyon": "réutilisé",
        "nantes": "échec",
        "synthese": "exécuté",
    }
    errors = {o.slug: o.error for o in report.failures}
    expected = {
        "grenoble": [
            "sources.entretiens_attributs",
            "fichier introuvable",
            "attributs_absents.csv",
        ],
        "lille": ["codebook_illisible.yaml", "YAML valide", "ligne 7"],
        "nantes": ["questionnaire_casse.csv", "champs au lieu de"],
    }
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    for slug, words in expected.items():
        for word in words:
            assert word in errors[slug], (slug, errors[slug])
        row = next(r for r in index.split("<tr>") if f'href="{slug}.html"' in r)
        assert "Échec" in row and visible(errors[slug]) in visible(row) and "périmée" in row
        kept = (root / "reports" / f"{slug}.html").read_text(encoding="utf-8")
        assert "Rapport périmé" in kept and visible(errors[slug]) in visible(kept)
        assert _strip_banner(kept) == good[slug]
    assert (root / "reports/lyon.html").read_text(encoding="utf-8") == good["lyon"]


@pytest.mark.slow
def test_real_build_after_an_input_disappears(hostile, tmp_path):
    """Real executor: Lyon's registrations deleted, Nantes's emptied, after a good build."""
    root = tmp_path / "projet"
    shutil.copytree(hostile.root, root)
    (root / "parameters" / f"{BIG_SLUG}.yaml").unlink()  # not under test here
    before = {s: (root / "reports" / f"{s}.html").read_text(encoding="utf-8") for s in TERRITORIES}
    people_before = set(build_mod.registrant_people(root))
    (root / "data/exemple/inscriptions_lyon.csv").unlink()
    (root / "data/exemple/inscriptions_nantes.csv").write_bytes(b"")
    lines: list[str] = []
    report = build_mod.build(root, jobs=2, audit=False, log=lines.append)
    # Lyon's and Nantes's registrants are gone from the project's list of names to mask: the
    # other territories are rebuilt only if their own sources hold one of those names
    gone = sorted(people_before - set(build_mod.registrant_people(root)))
    assert gone
    scanner = build_mod.NameScanner(gone)
    expected = {}
    for slug in ("grenoble", "lille"):
        params = config.load_parameters(root / "parameters" / f"{slug}.yaml", root=root)
        inputs = [root / "parameters" / f"{slug}.yaml", *params.input_paths()]
        expected[slug] = "exécuté" if scanner.relevant(inputs) else "réutilisé"
    same_lib = build_mod.library_fingerprint() == hostile.lib
    built = {o.slug: o.state for o in report.outcomes}
    states = dict(built)
    for slug in ("grenoble", "lille"):  # a library edited meanwhile re-runs everything
        assert states.pop(slug) in {expected[slug], "exécuté" if not same_lib else None}, lines
    assert states == {"lyon": "échec", "nantes": "échec", "synthese": "exécuté"}, lines
    assert report.exit_code == 1
    errors = {o.slug: o.error for o in report.failures}
    assert "inscriptions_lyon.csv" in errors["lyon"] and "introuvable" in errors["lyon"]
    assert errors["nantes"].startswith("échec dans la cellule")  # the notebook itself failed
    assert "inscriptions_nantes.csv" in errors["nantes"] and "vide" in errors["nantes"]
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    for slug in ("lyon", "nantes"):
        row = next(r for r in index.split("<tr>") if f'href="{slug}.html"' in r)
        assert "Échec" in row and visible(errors[slug]) in visible(row) and "périmée" in row
        kept = (root / "reports" / f"{slug}.html").read_text(encoding="utf-8")
        assert "Rapport périmé" in kept and _strip_banner(kept) == before[slug]
    for slug in ("grenoble", "lille"):
        page = (root / "reports" / f"{slug}.html").read_text(encoding="utf-8")
        assert "Rapport périmé" not in page
        if built[slug] == "réutilisé":
            assert page == before[slug]


# --------------------------------------------------------------------------- Ctrl-C


class _CtrlCOs:
    """Stands for ``os`` in rencontres_lib.exports: the n-th temp file matching ``match``
    gets half its bytes written (and synced), then KeyboardInterrupt is raised."""

    def __init__(self, match, n: int) -> None:
        self.match, self.n, self.seen, self.fds = match, n, 0, {}
        self.partial: tuple[str, int, int] | None = None

    def __getattr__(self, name):
        return getattr(os, name)

    def open(self, path, flags, mode=0o777, *args, **kwargs):
        fd = os.open(path, flags, mode, *args, **kwargs)
        if self.match(Path(path)):
            self.seen += 1
            if self.seen == self.n:
                self.fds[fd] = Path(path)
        return fd

    def write(self, fd, data):
        if fd not in self.fds:
            return os.write(fd, data)
        os.write(fd, bytes(data[: len(data) // 2]))
        os.fsync(fd)
        self.partial = (self.fds[fd].name, os.stat(self.fds[fd]).st_size, len(data))
        raise KeyboardInterrupt


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("where", ["page", "index", "tableau"])
def test_ctrl_c_during_publication_leaves_old_or_new_files(fast_project, monkeypatch, where):

    root, reports = fast_project, fast_project / "reports"
    monkeypatch.setattr(build_mod, "_execute", _stand_in("v1", fail=("nantes",)))
    assert [o.slug for o in _quiet_build(root).failures] == ["nantes"]  # old index ≠ new index
    old = _snapshot(reports)

    monkeypatch.setattr(build_mod, "_execute", _stand_in("v2"))
    if where == "tableau":  # table copies go through exports._atomic_write too
        stub = _CtrlCOs(lambda p: p.parent == reports / "tableaux" and p.name.endswith(".tmp"), n=2)
        patch = (exports_mod, "os", stub)
    else:
        name = (
            (lambda p: p.name.startswith(".index.html."))
            if where == "index"
            else (
                lambda p: (
                    re.fullmatch(r"\.(?!index)[a-z]+\.html\.[0-9a-f]+\.tmp", p.name) is not None
                )
            )
        )
        stub = _CtrlCOs(lambda p: p.parent == reports and name(p), n=1 if where == "index" else 2)
        patch = (exports_mod, "os", stub)
    with monkeypatch.context() as m:
        m.setattr(*patch)
        with pytest.raises(KeyboardInterrupt):
            _quiet_build(root, force=True)
    assert stub.partial is not None and 0 < stub.partial[1] < stub.partial[2], stub.partial
    mid = _snapshot(reports)
    assert _quiet_build(root, force=True).exit_code == 0
    new = _snapshot(reports)

    hidden = sorted(n for n in mid if Path(n).name.startswith("."))
    visible_tmp = [n for n in mid if n.endswith(".tmp") and n not in hidden]
    assert visible_tmp == []
    assert all(re.fullmatch(r"\..+\.tmp", Path(n).name) for n in hidden), hidden
    assert hidden == []  # exports._atomic_write removes its temp file on Ctrl-C
    published = [n for n in mid if n not in hidden]
    assert set(old) <= set(published)  # nothing published disappeared
    for n in published:
        assert mid[n] in (old.get(n), new[n]), n  # byte for byte the old or the new file
    assert any(old.get(n) != new[n] == mid[n] for n in published)  # interrupted midway
    assert any(mid[n] != new[n] for n in published)
    assert [n for n in new if n.endswith(".tmp")] == []  # the next build leaves nothing behind
