"""The built example read as the steering committee reads it: structure, typography, numbers.

One real build (the session's ``built_example``): every territorial report opens with
« L'essentiel » (five findings or more), the spaces before « : ; ? ! » and inside « » are
no-break spaces, every chart uses French separators, and the page lets only its own scripts
run (Content-Security-Policy, no inline script).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from rencontres_lib.typographie import french_spacing, french_text, nbsp_ratio

pytestmark = pytest.mark.slow


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self.scripts: list[dict] = []
        self.meta_csp = ""
        self.data_blocks: list[str] = []
        self.essentiel_items = 0
        self.handlers: list[str] = []
        self._in: str | None = None
        self._buf: list[str] = []
        self._in_essentiel = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.handlers += [k for k in a if k.startswith("on")]
        if tag == "h2":
            self._in, self._buf = "h2", []
        elif tag == "script":
            self.scripts.append(a)
            if a.get("type") == "application/json":
                self._in, self._buf = "json", []
        elif tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.meta_csp = a.get("content", "")
        elif tag == "ol" and "essentiel" in (a.get("class") or ""):
            self._in_essentiel = True
        elif tag == "li" and self._in_essentiel:
            self.essentiel_items += 1

    def handle_endtag(self, tag):
        if tag == "h2" and self._in == "h2":
            self.h2.append("".join(self._buf).strip())
            self._in = None
        elif tag == "script" and self._in == "json":
            self.data_blocks.append("".join(self._buf))
            self._in = None
        elif tag == "ol":
            self._in_essentiel = False

    def handle_data(self, data):
        if self._in:
            self._buf.append(data)


def _territories(built_example) -> list[str]:
    from rencontres_lib.config import parameter_files

    return sorted(p.stem for p in parameter_files(built_example["root"]))


def _page(built_example, name: str) -> tuple[str, _Page]:
    html = (built_example["root"] / "reports" / f"{name}.html").read_text(encoding="utf-8")
    parser = _Page()
    parser.feed(html)
    return html, parser


def test_french_text_spacing_rules():
    assert french_text("Date : 14 mars ; « oui » ! vraiment ?") == (
        "Date\u00a0: 14 mars\u202f; «\u00a0oui\u00a0»\u202f! vraiment\u202f?"
    )
    assert french_text("l'arbre à 10:30") == "l\u2019arbre à 10:30"  # times untouched
    page = '<p>Note : «x»</p><script type="application/json">{"a": "b : c"}</script>'
    out = french_spacing(page)
    assert "<p>Note\u00a0: «\u00a0x\u00a0»</p>" in out and '{"a": "b : c"}' in out
    assert nbsp_ratio(page) == (1, 0) and nbsp_ratio(out) == (3, 3)  # «x» had no space at all


def test_each_territorial_report_opens_with_l_essentiel(built_example):
    for slug in _territories(built_example):
        _, page = _page(built_example, slug)
        body = [h for h in page.h2 if h != "Sommaire"]
        assert body[0].startswith("L\u2019essentiel") or body[0].startswith("L'essentiel"), (
            slug,
            body,
        )
        assert page.essentiel_items >= 5, (slug, page.essentiel_items)


def test_typography_non_breaking_spaces(built_example):
    for name in [*_territories(built_example), "synthese", "index"]:
        html, _ = _page(built_example, name)
        total, good = nbsp_ratio(html)
        assert total > 0, name
        assert good / total >= 0.95, f"{name}.html : {good}/{total} espaces insécables"


def test_every_chart_uses_french_separators(built_example):
    for name in [*_territories(built_example), "synthese"]:
        _, page = _page(built_example, name)
        assert page.data_blocks, name
        for block in page.data_blocks:
            fig = json.loads(block)
            layout = fig["layout"]
            seps = layout.get("separators") or layout.get("template", {}).get("layout", {}).get(
                "separators"
            )
            assert seps and seps[0] == ",", (name, seps)
            ticks = json.dumps(
                [layout.get(k, {}) for k in layout if k.startswith(("xaxis", "yaxis"))]
            )
            assert not re.search(r"-\d+\s*%", ticks), (name, "pourcentage négatif sur un axe")


def test_pages_run_only_their_own_scripts(built_example):
    for name in [*_territories(built_example), "synthese"]:
        _, page = _page(built_example, name)
        assert "script-src 'self'" in page.meta_csp and "default-src 'none'" in page.meta_csp
        for attrs in page.scripts:
            assert (
                attrs.get("src", "").startswith("assets/")
                or attrs.get("type") == "application/json"
            ), (
                name,
                attrs,
            )
        assert page.handlers == [], (name, page.handlers)


class _Text(HTMLParser):
    """The text a reader sees (scripts, styles and data blocks left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def test_no_parenthesised_plural_and_one_inclusive_rule(built_example):
    """No « ligne(s) », « inscrit(e) » nor « inscrit.e.s » anywhere a reader looks."""
    from test_ecriture import BAD_FORMS

    for name in [*_territories(built_example), "synthese", "index"]:
        html, _ = _page(built_example, name)
        reader = _Text()
        reader.feed(html)
        text = " ".join(reader.parts)
        found = [m.group(0) for m in BAD_FORMS.finditer(text)]
        assert not found, (name, found[:5])


def test_evaluation_section_only_with_its_source(built_example):
    _, lyon = _page(built_example, "lyon")
    _, grenoble = _page(built_example, "grenoble")
    assert "Évaluation de la rencontre" in lyon.h2
    assert "Évaluation de la rencontre" not in grenoble.h2
    results = json.loads(
        (built_example["root"] / "build" / "lyon" / "resultats.json").read_text(encoding="utf-8")
    )
    assert results["evaluation"]["n"] == 74 and results["evaluation"]["presents"] == 103
