"""Writing rules of every text a user reads (README, « Style des textes »).

- No plural in parentheses (« ligne(s) »): the form follows the number
  (:func:`rencontres_lib.formats.plural`, French rule of the CLDR through babel).
- One inclusive-writing rule: an epicene phrasing first (« personnes inscrites »,
  « équipe organisatrice »), otherwise the middle dot (« Élu·e », « inscrit·es »); never
  « (e) », « .e.s », « /e ».

The library's strings are read from its source (string constants, f-strings included, but not
docstrings: they are English), so a new message breaking a rule fails here before any build;
``tests/test_lecture.py`` checks the built pages with the same patterns.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from rencontres_lib.formats import fmt_count, plural

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "rencontres_lib"

# « ligne(s) », « rejetée(s) », « inscrit(e) », « agent(e)s », « conseiller(ère) », « élu.e.s »,
# « élu/e »
BAD_FORMS = re.compile(
    r"[^\W\d_]{2}\((?:s|e|es|x|ne|nes|le|les|ère|ères|euse|rice)\)(?![?*])"  # not a regex
    r"|[^\W\d_]\.(?:e|es|ne|nes)\.s\b|[^\W\d_]\.e\.s\b|[^\W\d_]/e\b",
    re.IGNORECASE,
)
# modules that read inclusive forms written by others (« élu(e) » in an export), not texts
PARSERS = {"vocabulary.py", "referentiels.py", "loaders/evaluation.py"}
# masculine generics where an epicene phrasing exists (rule: epicene first)
GENERIC = re.compile(r"\b(?:[Rr]épondants|[Ll]es participants|l'organisateur)\b")


def _strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string constant of a module, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def _sources() -> list[Path]:
    return sorted(
        p
        for p in LIB.rglob("*.py")
        if "__pycache__" not in p.parts and p.relative_to(LIB).as_posix() not in PARSERS
    )


def test_patterns_catch_what_they_should():
    for bad in ("3 ligne(s)", "rejetée(s)", "inscrit(e)", "les élu.e.s", "agent(e)s", "élu/e"):
        assert BAD_FORMS.search(bad), bad
    for good in ("3 lignes", "Élu·e", "inscrit·es", "f(x)", "(5)", "1/2", r"quel(le)?s?"):
        assert not BAD_FORMS.search(good), good


def test_plural_follows_the_french_rule():
    # CLDR « one » in French: 0 and 1 (and 1,5); everything else takes the plural
    assert [plural(n, "ligne") for n in (0, 1, 2, 1.5, 1000)] == [
        "ligne",
        "ligne",
        "lignes",
        "ligne",
        "lignes",
    ]
    assert fmt_count(1, "ligne rejetée", "lignes rejetées") == "1 ligne rejetée"
    assert fmt_count(1234, "ligne rejetée", "lignes rejetées") == "1\u202f234 lignes rejetées"
    assert fmt_count(2, "ligne a", "lignes ont") == "2 lignes ont"
    assert plural(None, "erreur") == "erreur"


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(LIB).as_posix())
def test_library_strings_have_no_parenthesised_plural(path: Path):
    found = [(line, s) for line, s in _strings(path) if BAD_FORMS.search(s)]
    assert found == [], f"{path.name} : {found[:3]}"


def test_templates_notebooks_and_data_follow_the_rules():
    files = [
        *sorted((LIB / "templates").rglob("*.j2")),
        *sorted((LIB / "templates").rglob("*.js")),
        *sorted((ROOT / "notebooks").glob("*.py")),
        LIB / "data" / "themes.yaml",
    ]
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":  # notebooks: the prose (comment lines), not the calls
            text = "\n".join(x for x in text.splitlines() if x.startswith("#"))
        assert not BAD_FORMS.search(text), (path.name, BAD_FORMS.findall(text)[:3])
        assert not GENERIC.search(text), (path.name, GENERIC.findall(text)[:3])


def test_report_texts_use_epicene_words():
    for name in ("rapport.py", "synthese.py", "charts.py", "kit.py", "explorer.py"):
        found = [(line, s) for line, s in _strings(LIB / name) if GENERIC.search(s)]
        assert found == [], f"{name} : {found[:3]}"
