"""Communication kit (slides, key-figure cards, alt texts) and badges (private)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from rencontres_lib import kit
from rencontres_lib.documents import Chart

NNBSP, NBSP = "\u202f", "\u00a0"
DIMS = [
    {"dimension": "organisation", "n": 348, "k": 162, "part": 162 / 348, "bas": 0.41, "haut": 0.52},
    {"dimension": "decision", "n": 521, "k": 139, "part": 139 / 521, "bas": 0.23, "haut": 0.31},
]
DEROULE = [
    ["Heure", "Séquence", "Intervenants"],
    ["9 h 30", "Accueil et café", ""],
    ["11 h 15", "Ateliers : décider ensemble, aller vers tous les publics, rendre des comptes", ""],
]
CHART = Chart(
    spec={"data": [], "layout": {}},
    title="Organisation : répartition des réponses",
    caption="Source : questionnaire du chantier ICPC 2025 · n = 77",
    alt="Deux affirmations : 47 % et 30 % de réponses favorables.",
)


def content(phase: str) -> kit.Content:
    label = "Note de cadrage" if phase == "cadrage" else "Compte rendu"
    c = kit.Content(
        slug="lyon",
        title=f"{label} — Rencontre territoriale : Métropole de Lyon",
        infos=["Date : vendredi 14 mars 2025", "Lieu : Hôtel de la Métropole"],
        fictitious=True,
        cards=[("140", "personnes inscrites"), ("188", "répondants au questionnaire")],
        findings=["La rencontre est complète : 140 inscriptions pour 120 places."],
        objectives=["Partager un état des lieux", "Formuler des propositions pour 2026"],
        tables={
            "Déroulé de la rencontre": DEROULE,
            "Propositions classées par nombre de soutiens": [
                ["Atelier", "Thème", "Proposition", "Soutiens", "Commentaires"],
                ["Atelier 1", "Décision", "Afficher les marges de manœuvre", "12", "3"],
            ],
        },
        sections=[kit.Section("Organisation", 3, [("graphique", CHART)])],
        results={
            "phase": phase,
            "dimensions": DIMS,
            "chiffres": {"inscrits": 140, "repondants": 188},
        },
    )
    return c


def titles(path: Path) -> list[str]:
    from pptx import Presentation

    return [s.shapes.title.text for s in Presentation(str(path)).slides]


def test_french_typography_is_idempotent():
    text = kit.french("Source : a ; « b » ? c !")
    assert text == f"Source{NNBSP}: a{NNBSP}; «{NBSP}b{NBSP}»{NNBSP}? c{NNBSP}!"
    assert kit.french(text) == text
    assert kit.french("https://exemple.org") == "https://exemple.org"


def test_parse_table_reads_caption_header_and_rows():
    caption, rows = kit.parse_table(
        "<table><caption>Déroulé</caption><thead><tr><th>Heure</th><th>Séquence</th></tr></thead>"
        "<tbody><tr><td>9 h 30</td><td>Accueil &amp; café</td></tr></tbody></table>"
    )
    assert caption == "Déroulé"
    assert rows == [["Heure", "Séquence"], ["9 h 30", "Accueil & café"]]


def test_workshops_are_read_from_the_deroule():
    assert kit._ateliers(content("cadrage")) == [
        "décider ensemble",
        "aller vers tous les publics",
        "rendre des comptes",
    ]


def test_cadrage_deck_has_objectives_deroule_figures_and_workshop_questions(tmp_path):
    from pptx import Presentation

    target = kit.territory_deck(
        content("cadrage"), {}, ["4 rencontres territoriales"], tmp_path / "d.pptx"
    )
    assert titles(target) == [
        f"Note de cadrage — Rencontre territoriale{NNBSP}: Métropole de Lyon",
        "Objectifs de la rencontre",
        "Déroulé",
        "Le chantier en chiffres",
        "Le territoire en chiffres",
        "L'essentiel",
        "Ce que dit déjà le questionnaire",
        f"Atelier{NNBSP}: décider ensemble",
        f"Atelier{NNBSP}: aller vers tous les publics",
        f"Atelier{NNBSP}: rendre des comptes",
    ]
    slides = list(Presentation(str(target)).slides)
    table = next(s for s in slides[6].shapes if s.has_table).table
    # 162 / 348 = 46.6 % → « 47 % » ; 139 / 521 = 26.7 % → « 27 % »
    assert [c.text for c in table.rows[1].cells] == [
        "Organisation",
        f"47{NNBSP}%",
        f"41{NNBSP}% – 52{NNBSP}%",
        "348",
    ]
    assert table.cell(2, 1).text == f"27{NNBSP}%"
    assert "base" in slides[6].notes_slide.notes_text_frame.text
    questions = [p.text for p in slides[7].placeholders[1].text_frame.paragraphs]
    assert questions[0] == f"Qu'est-ce qui fonctionne déjà sur le territoire{NNBSP}?"


def test_compte_rendu_deck_has_essentials_dimensions_proposals_and_notes(tmp_path):
    from pptx import Presentation

    png = tmp_path / "graphique.png"
    Image.new("RGB", (900, 500), "white").save(png)
    target = kit.territory_deck(content("compte_rendu"), {CHART.key: png}, [], tmp_path / "d.pptx")
    assert titles(target)[1:] == [
        f"L'essentiel{NNBSP}: les chiffres",
        f"L'essentiel{NNBSP}: les constats",
        "Les cinq dimensions d'impact",
        f"Organisation{NNBSP}: répartition des réponses",
        "Les propositions en tête",
    ]
    slides = list(Presentation(str(target)).slides)
    pictures = [s for s in slides[4].shapes if s.shape_type == 13]
    assert len(pictures) == 1
    assert pictures[0]._element.nvPicPr.cNvPr.get("descr") == CHART.alt
    notes = slides[4].notes_slide.notes_text_frame.text
    assert f"Source{NNBSP}: questionnaire du chantier ICPC 2025 · n = 77" in notes
    table = next(s for s in slides[5].shapes if s.has_table).table
    assert [c.text for c in table.rows[0].cells] == ["Proposition", "Atelier", "Soutiens"]
    assert [c.text for c in table.rows[1].cells] == [
        "Afficher les marges de manœuvre",
        "Atelier 1",
        "12",
    ]


def test_decks_follow_the_reports_own_sections(tmp_path):
    from pptx import Presentation

    c = content("cadrage")
    c.findings = []
    c.sections = [
        kit.Section("L'essentiel", 2, [("liste", ["Un constat.", "Un autre."])], "L'essentiel"),
        kit.Section(
            "Questions à mettre en débat dans les ateliers",
            2,
            [("liste", ["Comment lever le frein « délais » ?"])],
            "Questions à mettre en débat dans les ateliers",
        ),
    ]
    deck = list(Presentation(str(kit.territory_deck(c, {}, [], tmp_path / "c.pptx"))).slides)
    by_title = {s.shapes.title.text: s for s in deck}
    essentiel = by_title["L'essentiel"].placeholders[1].text_frame.paragraphs
    assert [p.text for p in essentiel] == ["Un constat.", "Un autre."]
    questions = by_title["Questions à mettre en débat dans les ateliers"]
    assert questions.placeholders[1].text_frame.text == (
        f"Comment lever le frein «{NBSP}délais{NBSP}»{NNBSP}?"
    )
    c = content("compte_rendu")
    top = "Ateliers et propositions"
    rows = [["Proposition", "Soutiens"], ["Afficher les marges", "12"], ["Budget dédié", "9"]]
    c.sections = [
        kit.Section(top, 2, [], top),
        kit.Section("Atelier 1 – Décider ensemble", 3, [("tableau", ("P", rows))], top),
        kit.Section("Atelier 2 – Rendre des comptes", 3, [("tableau", ("P", rows[:2]))], top),
    ]
    deck = list(Presentation(str(kit.territory_deck(c, {}, [], tmp_path / "r.pptx"))).slides)
    titles_ = [s.shapes.title.text for s in deck]
    assert titles_[-2:] == [
        f"Atelier 1 – Décider ensemble{NNBSP}: propositions les plus soutenues",
        f"Atelier 2 – Rendre des comptes{NNBSP}: propositions les plus soutenues",
    ]
    table = next(s for s in deck[-2].shapes if s.has_table).table
    assert [[c.text for c in r.cells] for r in table.rows] == rows


def test_chart_without_image_says_so_in_french(tmp_path):
    from pptx import Presentation

    target = kit.territory_deck(content("compte_rendu"), {}, [], tmp_path / "d.pptx")
    slide = list(Presentation(str(target)).slides)[4]
    text = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert f"graphique non rendu{NNBSP}: Chromium absent" in text


def test_cards_at_two_sizes_with_source_date_and_alt_texts(tmp_path):
    c = content("compte_rendu")
    c.results["date_donnees"] = "2025-03-10"
    written = kit.write_cards(c, tmp_path)
    pngs = sorted(p for p in written if p.suffix == ".png")
    # 2 key figures + 2 dimensions, each at two sizes
    assert len(pngs) == 8
    sizes = {Image.open(p).size for p in pngs}
    assert sizes == {(1080, 1080), (1200, 630)}
    alts = (tmp_path / "textes_alternatifs.txt").read_text(encoding="utf-8").splitlines()[2:]
    assert alts[0] == (
        f"carte_01{NNBSP}: 140 personnes inscrites. Métropole de Lyon, rencontre du vendredi "
        f"14 mars 2025, données au 10 mars 2025. Source{NNBSP}: inscriptions. Données fictives."
    )
    assert alts[2].startswith(f"carte_03{NNBSP}: 47{NNBSP}% de réponses favorables")
    assert "n = 348" in alts[2]
    assert len(alts) == 4


def test_badges_list_registered_people_and_stay_private(project):
    from rencontres_lib.logistique import badges_html, sign_in_table, write_private_outputs
    from rencontres_lib.rencontre import load_rencontre

    r = load_rencontre(project / "parameters/nantes.yaml")
    page = badges_html(r)
    table = sign_in_table(r)
    assert page.count('<div class="badge">') == len(table) + 10  # + one sheet for walk-ins
    assert page.count('<section class="planche">') == -(-(len(table) + 10) // 10)
    first = table.iloc[0]
    assert f'<div class="nom">{first["Nom"]}</div>' in page
    written = write_private_outputs(r, pdf=False)
    assert project / "prive/nantes/badges.html" in written
    assert not list((project / "reports").rglob("badges*"))


@pytest.mark.slow
def test_real_build_writes_documents_kit_and_badges(built_example):
    import zipfile

    import docx
    from pptx import Presentation

    from rencontres_lib.audit import audit_paths

    root = built_example["root"]
    reports = root / "reports"
    for slug in ("grenoble", "lille", "lyon", "nantes"):
        folder = reports / "kit" / slug
        deck = Presentation(str(folder / "diaporama.pptx"))
        assert len(deck.slides) >= 5
        assert any(s.has_notes_slide and s.notes_slide.notes_text_frame.text for s in deck.slides)
        cards = list(folder.glob("carte_*.png"))
        assert cards and {Image.open(p).size for p in cards} == {(1080, 1080), (1200, 630)}
        alts = (folder / "textes_alternatifs.txt").read_text(encoding="utf-8")
        assert len(re.findall(r"^carte_\d\d", alts, re.M)) * 2 == len(cards)
        assert (root / "prive" / slug / "badges.html").exists()
        d = docx.Document(str(reports / f"{slug}.docx"))
        assert d.tables and any(p.style.name == "Heading 1" for p in d.paragraphs)
        with zipfile.ZipFile(reports / f"{slug}.odt") as z:
            assert "content.xml" in z.namelist()
    assert (reports / "synthese.docx").exists() and (
        reports / "kit/synthese/diaporama.pptx"
    ).exists()
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="lyon.docx"' in index and 'href="kit/lyon/diaporama.pptx"' in index
    assert not list(reports.rglob("badges*"))
    from rencontres_lib.build import registrant_names

    # the kit's text: slides and alt texts (each card shows its alt text's words, as pixels)
    texts = sorted(reports.glob("kit/*/diaporama.pptx")) + sorted(reports.glob("kit/*/*.txt"))
    hits = audit_paths(texts, names=registrant_names(root))
    assert [h for h in hits if getattr(h, "level", "erreur") == "erreur"] == []


def test_synthesis_deck_has_one_slide_of_ideas_per_dimension(tmp_path):
    top = "Propositions pour 2026"
    idea = (
        "Annoncer ce qui est négociable — Portée par Lyon et Nantes · 2 propositions · 9 soutiens."
    )
    c = kit.Content(
        slug="synthese",
        title="Synthèse des rencontres territoriales",
        sections=[
            kit.Section(top, 2, [], top),
            kit.Section("Décision", 3, [("idee", idea)] * 5, top),
            kit.Section(
                "Méthodologie", 2, [("liste", ["Jamais dans le diaporama"])], "Méthodologie"
            ),
        ],
    )
    target = kit.synthesis_deck(c, {}, tmp_path / "s.pptx")
    assert titles(target) == [
        "Synthèse des rencontres territoriales",
        f"{top}{NNBSP}: Décision",  # four ideas a slide
        f"{top}{NNBSP}: Décision",
    ]


def test_index_links_only_what_exists(tmp_path):
    (tmp_path / "kit/lyon").mkdir(parents=True)
    (tmp_path / "lyon.docx").write_bytes(b"x")
    (tmp_path / "kit/lyon/diaporama.pptx").write_bytes(b"x")
    links = kit.index_entries(tmp_path, "lyon")
    assert links == [("DOCX", "lyon.docx"), ("diaporama (PPTX)", "kit/lyon/diaporama.pptx")]
    assert kit.index_entries(tmp_path, "nantes") == []


def test_card_lines_never_break_at_a_no_break_space():
    from PIL import ImageDraw

    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    text = kit.french("sur la dimension « Inclusion des publics »")
    lines = kit._wrap(draw, text, kit._font(40), 420)
    assert len(lines) > 1 and " ".join(lines) == text
    assert not any(line.startswith(("»", NBSP)) or line.endswith("«") for line in lines)
