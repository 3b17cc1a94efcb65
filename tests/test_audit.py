"""audit: exact hits on hand-made fixtures, no false positive on plotly.js or clean pages."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

from rencontres_lib.audit import (
    ERROR,
    KIND_EMAIL,
    KIND_EXTERNAL,
    KIND_HANDLER,
    KIND_NAME,
    KIND_PERSON,
    KIND_PHONE,
    KIND_SCRIPT,
    KIND_SMALL,
    KIND_UNREADABLE,
    KIND_URL,
    WARNING,
    AuditHit,
    audit_paths,
    collect_files,
    format_hits,
    main_audit,
)
from rencontres_lib.errors import SourceError
from rencontres_lib.privacy import NameIndex

FIX = Path(__file__).parent / "fixtures" / "privacy"
NAMES = ["Hélène Lefèvre", "Paul Martin"]


def kinds(hits: list[AuditHit]) -> list[tuple[int, str]]:
    return [(h.line, h.kind) for h in hits]


def test_leaky_html_page():
    hits = audit_paths(FIX / "fuite.html")
    assert kinds(hits) == [(4, KIND_EXTERNAL), (7, KIND_EMAIL), (8, KIND_HANDLER)]
    assert hits[0].excerpt == '<script src="https://cdn.example.net/lib/plotly-2.35.2.min.js">'
    assert hits[1].excerpt == "c*****@e*****.org"
    assert hits[2].excerpt == "<img onerror=« alert(1) »>"


def test_clean_page_with_big_data_block_has_no_hit():
    # a data block mentioning onload/onerror, "<img onerror=…>" strings, 0.6123456789,
    # "0123456789", @media, relative and data: resources, an ordinary external link
    assert audit_paths(FIX / "propre.html", names=NAMES) == []


def test_xlsx_cell_email():
    hits = audit_paths(FIX / "classeur.xlsx", names=NAMES)
    assert kinds(hits) == [(10, KIND_EMAIL)]  # cells on their own line
    assert hits[0].file.startswith(str(FIX / "classeur.xlsx") + " › xl/")
    assert hits[0].excerpt == "p*****@e*****.org"


def test_csv_registrant_names_accent_and_case_insensitive():
    hits = audit_paths(FIX / "inscrits.csv", names=NAMES)
    # line 5: a last name alone is not reported, but its count n = 3 is below the threshold
    assert kinds(hits) == [(2, KIND_NAME), (4, KIND_NAME), (5, KIND_SMALL)]
    assert {h.excerpt for h in hits[:2]} == {"H***** L*****"}
    assert hits[2].excerpt == "n = 3 (seuil 5)"
    assert kinds(audit_paths(FIX / "inscrits.csv")) == [(5, KIND_SMALL)]
    assert audit_paths(FIX / "inscrits.csv", thresholds={"inscrits": 3}) == []


def test_css_import_and_notebook():
    css = audit_paths(FIX / "style.css")
    assert kinds(css) == [(1, KIND_EXTERNAL)]
    assert css[0].excerpt == "url(https://fonts.example.net/css2)"
    nb = audit_paths(FIX / "rapport.ipynb")
    assert kinds(nb) == [(10, KIND_EMAIL), (23, KIND_EXTERNAL), (24, KIND_SCRIPT)]


def test_whole_fixture_folder_and_report():
    files = collect_files(FIX)
    assert [f.name for f in files] == sorted(
        ["classeur.xlsx", "fuite.html", "inscrits.csv", "propre.html", "rapport.ipynb", "style.css"]
    )
    hits = audit_paths([FIX], names=NAMES)
    assert Counter(h.kind for h in hits) == {
        KIND_EMAIL: 3,
        KIND_EXTERNAL: 3,
        KIND_HANDLER: 1,
        KIND_NAME: 2,
        KIND_SCRIPT: 1,
        KIND_SMALL: 1,
    }
    text = format_hits(hits, len(files))
    assert text.startswith("11 problèmes trouvés dans 5 fichiers :")
    for secret in ("claire.dupont", "paul.martin", "jeanne.roux", "Hélène", "LEFEVRE"):
        assert secret not in text


def test_allow_lists():
    hits = audit_paths(
        [FIX / "fuite.html", FIX / "rapport.ipynb"],
        allow_hosts=["example.net"],
        allow_emails=["@example.org"],
    )
    # an allowed host is not an external resource, but its script is still not the template's
    assert kinds(hits) == [
        (4, KIND_SCRIPT),
        (8, KIND_HANDLER),
        (23, KIND_SCRIPT),
        (24, KIND_SCRIPT),
    ]
    hits = audit_paths(FIX / "fuite.html", allow_emails=["claire.dupont@example.org"])
    assert [h.kind for h in hits] == [KIND_EXTERNAL, KIND_HANDLER]


def test_phones_in_text_and_in_scripts(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        "<p>Tél. 06 39 98 12 34 ou +33 6 39 98 12 35</p>\n"
        "<p>0639981236 ; 0,0639981237 ; ref-0639981238 ; 10639981239</p>\n"
        "<script>var a = 0639981230, b = '06 39 98 12 31', c = 0.0639981232;</script>\n",
        encoding="utf-8",
    )
    hits = [h for h in audit_paths(page) if h.kind != KIND_SCRIPT]  # the inline script: flagged
    assert kinds(hits) == [(1, KIND_PHONE), (1, KIND_PHONE), (2, KIND_PHONE), (3, KIND_PHONE)]
    assert [h.excerpt for h in hits] == [
        "06 ** ** ** 34",
        "+33 * ** ** ** 35",
        "06******36",
        "06 ** ** ** 31",
    ]


def test_real_plotly_page_only_its_inline_calls_are_flagged(tmp_path):
    go = pytest.importorskip("plotly.graph_objects")
    fig = go.Figure(go.Bar(x=["a", "b"], y=[0.6123456789, 3]))
    (tmp_path / "inline.html").write_text(fig.to_html(include_plotlyjs=True), encoding="utf-8")
    # plotly.js itself (3.8 MB, same SHA-256 as the package's copy) is known; the two small
    # inline scripts plotly adds (config, newPlot) are not the template's: no data hit at all
    hits = audit_paths(tmp_path / "inline.html", names=NAMES)
    assert [h.kind for h in hits] == [KIND_SCRIPT, KIND_SCRIPT]
    (tmp_path / "cdn.html").write_text(fig.to_html(include_plotlyjs="cdn"), encoding="utf-8")
    assert Counter(h.kind for h in audit_paths(tmp_path / "cdn.html")) == {
        KIND_EXTERNAL: 1,
        KIND_SCRIPT: 2,
    }


def test_other_tag_checks(tmp_path):
    page = tmp_path / "t.md"
    page.write_text(
        '<p style="background:url(//evil.example/x.png)">x</p>\n'
        '<img srcset="a.png 1x, https://e.example/b.png 2x">\n'
        '<a href="javascript:alert(1)">x</a> <svg onload=alert(1)></svg>\n'
        "![x](http://evil.example/x.png) ![y](images/y.png)\n"
        '<link rel="stylesheet" href="https://cdn.example.net/s.css">\n'
        "<a href='https://www.example.org'>un simple lien</a>\n",
        encoding="utf-8",
    )
    assert kinds(audit_paths(page)) == [
        (1, KIND_EXTERNAL),
        (2, KIND_EXTERNAL),
        (3, KIND_URL),
        (3, KIND_HANDLER),
        (4, KIND_EXTERNAL),
        (5, KIND_EXTERNAL),
    ]


def test_json_escapes_are_undone(tmp_path):
    data = {"texte": "Contact\u00a0: h\u00e9l\u00e8ne <\u00e0> hélène.lefèvre@example.org"}
    (tmp_path / "r.json").write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")
    hits = audit_paths(tmp_path / "r.json")
    assert kinds(hits) == [(1, KIND_EMAIL)] and hits[0].excerpt == "h*****@e*****.org"


def test_unreadable_zip_and_missing_path(tmp_path):
    (tmp_path / "casse.xlsx").write_bytes(b"pas un zip")
    assert kinds(audit_paths(tmp_path)) == [(1, KIND_UNREADABLE)]
    with pytest.raises(SourceError, match="introuvable"):
        audit_paths(tmp_path / "absent")


def test_format_hits_and_main_audit(tmp_path):
    assert format_hits([], 7) == "Aucun problème trouvé dans 7 fichiers."
    assert format_hits([], 1) == "Aucun problème trouvé dans 1 fichier."
    assert format_hits([]) == "Aucun problème trouvé."
    one = [AuditHit("a.html", 3, KIND_EMAIL, "c*****@e*****.org")]
    assert format_hits(one, 4).splitlines()[:3] == [
        "1 problème trouvé dans 1 fichier :",
        "  a.html",
        "    ligne 3 — courriel : c*****@e*****.org",
    ]
    (tmp_path / "ok.html").write_text("<p>Rien à signaler.</p>", encoding="utf-8")
    out = io.StringIO()
    assert main_audit([tmp_path], out=out) == 0
    assert out.getvalue() == "Aucun problème trouvé dans 1 fichier.\n"
    out = io.StringIO()
    index = NameIndex.from_names(NAMES)
    assert main_audit([tmp_path, FIX / "inscrits.csv"], index, out=out) == 1
    assert out.getvalue().startswith("3 problèmes trouvés dans 1 fichier :")  # 2 names, n = 3


# --- hostile corpus: tests/fixtures/hostile/audit/attendu.json gives every expected hit -----

HOSTILE = Path(__file__).parent / "fixtures" / "hostile" / "audit"
HOSTILE_NAMES = ["Hélène Lefèvre", "Paul Martin", "Sophie Exemple"]


def test_hostile_corpus_gives_exactly_the_expected_hits():
    import rencontres_lib.audit as audit

    expected = json.loads((HOSTILE / "attendu.json").read_text(encoding="utf-8"))
    consts = {getattr(audit, k): k for k in dir(audit) if k.startswith("KIND_")}
    hits = audit_paths(
        HOSTILE,
        names=HOSTILE_NAMES,
        thresholds={"lyon": 5, "nantes": 10, "grenoble": 5},
        allow_names=["Johanna Rolland"],
        ner=True,
    )
    got: dict[str, list[list]] = {}
    for h in hits:
        rel = Path(h.file.split(" › ")[0]).relative_to(HOSTILE).as_posix()
        got.setdefault(rel, []).append([h.line, consts[h.kind]])
    files = {p.relative_to(HOSTILE).as_posix() for p in HOSTILE.rglob("*") if p.is_file()}
    assert len(files) >= 30
    for rel in sorted(files):
        assert sorted(got.get(rel, [])) == expected.get(rel, []), rel
    # nothing in the report republishes the data it found
    text = format_hits(hits, len(files))
    for secret in ("jean.dupont", "sophie.exemple", "7946", "Lefèvre", "luc.bernard"):
        assert secret not in text, secret


def test_tables_are_read_by_the_ner_cell_by_cell(tmp_path, monkeypatch):
    """A published table is read cell by cell: a cell shown on the page is not read again,
    and a name in a cell is still found, on its line."""
    import rencontres_lib.audit as audit

    sent: list[str] = []
    real = audit.names.person_spans

    def spy(texts, **kw):
        sent.extend(texts)
        return real(texts, **kw)

    monkeypatch.setattr(audit.names, "person_spans", spy)
    (tmp_path / "lyon_t.csv").write_text(
        "proposition;profil;n\r\n"
        "Donner un avis aux conseils de quartier;Élu·e;12\r\n"
        '"Selon Jean Dupont; il faut aller plus vite";Association;9\r\n',
        encoding="utf-8",
    )
    (tmp_path / "p.html").write_text(
        "<p>Donner un avis aux conseils de quartier</p>", encoding="utf-8"
    )
    hits = audit_paths(tmp_path, ner=True)
    assert [(h.line, h.kind, h.excerpt) for h in hits] == [(3, KIND_PERSON, "J***** D*****")]
    assert "Selon Jean Dupont; il faut aller plus vite" in sent  # quoted cell, whole
    assert not any(";" in t and "Élu" in t for t in sent)  # never a whole row
    # the same block in both files, so the NER reads it once (memo of names.person_spans)
    assert sent.count("Donner un avis aux conseils de quartier") == 2


def test_hostile_table_lines_fall_back_to_the_whole_line(tmp_path):
    """A line the CSV reader refuses (a lone carriage return inside an unquoted cell, a cell
    beyond csv.field_size_limit) is read whole by the NER, as before: no traceback, the name
    found on its line."""
    (tmp_path / "lyon_t.csv").write_text(
        "proposition;profil\n"
        "Selon Jean Dupont il faut\raller plus vite;Association\n"
        "Selon Paul Martin il faut former les élus;" + "x" * 140_000 + "\n",
        encoding="utf-8",
        newline="",
    )
    hits = audit_paths(tmp_path, ner=True)
    assert [(h.line, h.kind, h.excerpt) for h in hits if h.kind == KIND_PERSON] == [
        (2, KIND_PERSON, "J***** D*****"),
        (3, KIND_PERSON, "P***** M*****"),
    ]


def test_a_registrant_in_one_cell_does_not_hide_a_name_in_another(tmp_path):
    """Cells of one line share its position: a registrant's name (an error) found at the same
    place in its cell as another person's name in the next cell must not hide the latter."""
    (tmp_path / "lyon_t.csv").write_text(
        "intervenant;rapporteur\nPaul Martin;Jean Dupont\n", encoding="utf-8"
    )
    hits = audit_paths(tmp_path, names=["Jean Dupont"], ner=True)
    assert sorted((h.line, h.kind, h.excerpt) for h in hits) == [
        (2, KIND_NAME, "J***** D*****"),
        (2, KIND_PERSON, "P***** M*****"),
    ]


def test_warnings_do_not_fail_the_audit(tmp_path):
    (tmp_path / "p.html").write_text(
        "<p>Le maire Jean Dupont a ouvert la séance avec Johanna Rolland.</p>", encoding="utf-8"
    )
    hits = audit_paths(tmp_path, ner=True)
    assert [(h.kind, h.level, h.excerpt) for h in hits] == [
        (KIND_PERSON, WARNING, "J***** D*****"),
        (KIND_PERSON, WARNING, "J***** R*****"),
    ]
    assert (
        audit_paths(tmp_path, ner=True, allow_names=["Jean Dupont, maire", "Johanna Rolland"]) == []
    )
    out = io.StringIO()
    assert main_audit([tmp_path], out=out) == 0  # without root: no NER
    root = tmp_path / "projet"
    (root / "parameters").mkdir(parents=True)
    (root / "reports").mkdir()
    (root / "reports" / "p.html").write_text(
        "<p>Le maire Jean Dupont a parlé.</p>", encoding="utf-8"
    )
    out = io.StringIO()
    assert main_audit([root / "reports"], root=root, out=out) == 0
    assert out.getvalue().splitlines()[:2] == [
        "Aucun problème trouvé dans 1 fichier.",
        "1 point à vérifier (avertissement) :",
    ]
    assert ERROR != WARNING


def test_project_settings_reads_thresholds_and_public_names():
    from rencontres_lib.audit import project_settings

    root = Path(__file__).parents[1]
    settings = project_settings(root)
    if not settings["thresholds"]:
        pytest.skip("pas de paramètres d'exemple")
    assert settings["ner"] is True
    assert all(k >= 1 for k in settings["thresholds"].values())
    assert "Métropole de Lyon" in settings["allow_names"]


def test_template_scripts_inlined_by_autonome_are_known(tmp_path):
    from rencontres_lib.publish import Publisher

    pub = Publisher(autonome=True)
    page = f"<!doctype html><html><head>{pub.scripts()}</head><body><p>ok</p></body></html>"
    (tmp_path / "autonome.html").write_text(page, encoding="utf-8")
    assert audit_paths(tmp_path / "autonome.html") == []
    shared = Publisher(autonome=False).scripts()
    (tmp_path / "page.html").write_text(f"<head>{shared}</head>", encoding="utf-8")
    assert audit_paths(tmp_path / "page.html") == []
