"""Tests of rencontres_lib.synthese on hand-written results (values computed by hand)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rencontres_lib import consolidation, display, synthese
from rencontres_lib.consolidation import Consolidation


def dims(parts: dict[str, tuple[float, int]]) -> list[dict]:
    """parts: dimension → (share, people); 10 answers per person."""
    return [
        {"dimension": d, "n": n, "reponses": 10 * n, "k": round(p * 10 * n), "part": p}
        for d, (p, n) in parts.items()
    ]


def proposal(pid: str, titre: str, theme: str, soutiens: int, corps: str = "") -> dict:
    return {"proposition_id": pid, "titre": titre, "corps": corps, "theme": theme,
            "atelier": "Atelier 1", "soutiens": soutiens, "commentaires": 0}  # fmt: skip


RESULTS = [
    {
        "slug": "aa", "territoire": "Alpha", "date": "2025-03-01", "phase": "compte_rendu", "seuil": 5,
        "chiffres": {"inscrits": 100, "presents": 80, "taux_presence": 0.8, "repondants": 50},
        "dimensions": dims({"organisation": (0.50, 50), "decision": (0.20, 50), "redevabilite": (0.10, 50)}),
        "profils_inscrits": [{"profil": "elu", "n": 30}, {"profil": "citoyen", "n": 2}],
        "propositions": [
            proposal("1", "Budget participatif des quartiers", "Inclusion des publics", 10, "Une enveloppe."),
            proposal("2", "=HYPERLINK(\"x\")", "Décision", 0),
        ],
    },
    {
        "slug": "bb", "territoire": "Beta", "date": "2025-04-01", "phase": "compte_rendu", "seuil": 5,
        "chiffres": {"inscrits": 60, "presents": 30, "taux_presence": 0.5, "repondants": 40},
        "dimensions": dims({"organisation": (0.55, 40), "decision": (0.50, 40), "redevabilite": (0.15, 40)}),
        "profils_inscrits": [{"profil": "elu", "n": 20}, {"profil": "citoyen", "n": 40}],
        "propositions": [proposal("7", "Un budget réservé aux quartiers populaires", "Inclusion des publics", 5)],
    },
    {
        "slug": "cc", "territoire": "Gamma", "date": "2025-05-01", "phase": "cadrage", "seuil": 5,
        "chiffres": {"inscrits": 40, "repondants": 30},
        "dimensions": dims({"organisation": (0.45, 30), "decision": (0.30, 30), "redevabilite": (0.05, 3)}),
        "profils_inscrits": [{"profil": "elu", "n": 10}, {"profil": "citoyen", "n": 30}],
        "propositions": [],
    },
]  # fmt: skip


@pytest.fixture
def s(tmp_path, monkeypatch):
    files = []
    for r in RESULTS:
        f = tmp_path / "build" / r["slug"] / "resultats.json"
        f.parent.mkdir(parents=True)
        f.write_text(json.dumps(r), encoding="utf-8")
        files.append(f)
    (tmp_path / "parameters" / "textes").mkdir(parents=True)
    (tmp_path / "parameters" / "textes" / "synthese.md").write_text(
        "## Introduction\nNotre **chantier** <script>alert(1)</script>\n", encoding="utf-8"
    )

    def fake(df, **_):  # the two budget proposals are one idea (spaCy is tested elsewhere)
        groups = np.array([1 if "udget" in t else i + 2 for i, t in enumerate(df["titre"])])
        sim = np.eye(len(df))
        return Consolidation(groups, sim, [[] for _ in range(len(df))])

    monkeypatch.setattr(consolidation, "consolidate", fake)
    return synthese.load(files[::-1], sortie=tmp_path / "build" / "synthese", root=tmp_path)


@pytest.fixture
def shown(monkeypatch) -> list[dict]:
    out: list[dict] = []
    monkeypatch.setattr(display, "_display", out.append)
    return out


def test_perimeter_says_who_is_left_out(s) -> None:
    assert [r["slug"] for r in s.results] == ["aa", "bb", "cc"]  # sorted by date
    text = synthese.scope_text(s)
    assert "Comptes rendus publiés : Alpha et Beta" in text
    assert (
        "encore en phase de cadrage (à venir) : Gamma." in text
        and "en dehors des propositions" in text
    )
    assert list(s.proposals["slug"]) == ["aa", "aa", "bb"]  # none from Gamma


def test_essentiel_five_findings_with_people_bases(s) -> None:
    items = synthese.key_finding_items(s)
    assert [i["title"] for i in items] == [
        "Participation.",
        "Dimension la mieux perçue.",
        "Dimension la moins bien perçue.",
        "Le plus grand écart entre territoires.",
        "Propositions pour 2026.",
    ]
    assert items[0]["text"].startswith(
        "110 personnes présentes aux 2 rencontres tenues (Alpha et Beta)"
    )
    assert (
        "pour 160 inscriptions" in items[0]["text"]
        and "120 personnes ont répondu" in items[0]["text"]
    )
    # organisation, all territories: (250 + 220 + 135) / (500 + 400 + 300) favourable answers
    assert "« Organisation » : 50\u202f% de réponses favorables" in items[1]["text"]
    assert "réponses de 120 personnes" in items[1]["text"]
    # redevabilité: Gamma's 3 people are under the threshold, so Beta's row is masked too
    # (secondary suppression); the pooled share still counts every answer: (50 + 60 + 2) / 930
    assert "« Reddition des comptes » : 12\u202f%" in items[2]["text"]
    assert "réponses de 93 personnes" in items[2]["text"]
    # per territory, only published rows count: Alpha alone shows its redevabilité share
    assert "la plus basse dans 1 territoire sur 3" in items[2]["text"]
    assert (
        "« Décision » : de 20\u202f% de réponses favorables (Alpha, 50 personnes) à 50\u202f% (Beta, 40 personnes)"
        in items[3]["text"]
    )
    assert "3 propositions d'ateliers de 2 territoires, regroupées en 2 idées" in items[4]["text"]
    assert "« Budget participatif des quartiers » (Alpha et Beta, 15 soutiens)" in items[4]["text"]


def test_dimension_sentences(s) -> None:
    out = synthese.dimension_sentences(s)
    assert (
        out[0]
        == "« Organisation » : les territoires convergent, de 45\u202f% à 55\u202f% de réponses favorables (3 territoires)."
    )
    assert out[1].startswith(
        "« Décision » : les territoires divergent, de 20\u202f% (Alpha, 50 personnes)"
    )
    assert len(out) == 2  # redevabilité: one territory left after suppression


def test_profiles_table_suppresses_small_cells(s, shown) -> None:
    synthese.profiles(s)
    html = shown[-1]["text/html"]
    assert "masqué" in html and ">2<" not in html  # Alpha's 2 citizens, and what reveals them


def test_organiser_text_is_escaped_and_missing_text_marked(s, shown) -> None:
    synthese.organiser_text(s, "Introduction")
    html = shown[-1]["text/html"]
    assert "<strong>chantier</strong>" in html and "<script>" not in html
    synthese.organiser_text(s, "Conclusions")
    assert "rédiger" in shown[-1]["text/html"].lower()


def test_territory_paragraphs_link_their_report(s, shown) -> None:
    synthese.territories(s)
    html = " ".join(b["text/html"] for b in shown)
    assert 'href="aa.html"' in html and 'href="cc.html"' in html
    assert "note de cadrage de la rencontre" in html
    assert "2 propositions, dont 1 rejoint une idée d&#39;autres territoires" in html


def test_tables_exported_formula_safe(s, tmp_path) -> None:
    csv, xlsx = synthese.export_tables(s)
    assert csv.name == "synthese_propositions.csv" and xlsx.suffix == ".xlsx"
    df = pd.read_csv(csv, sep=";", encoding="utf-8-sig", dtype=str)
    assert {"territoire", "titre", "soutiens", "groupe"} <= set(df.columns)
    assert len(df) == 3 and df["groupe"].nunique() == 2
    assert not df["titre"].str.startswith("=").any()  # formula neutralised
    text = (tmp_path / "parameters" / "synthese" / "regroupements.yaml").read_text(encoding="utf-8")
    assert "aa:1" in text and "bb:7" in text and "cc:" not in text


def test_build_copies_synthesis_tables_and_keys_on_organiser_files(project, monkeypatch) -> None:
    """The build passes ``sortie``, publishes its tables, and re-runs the synthesis only when
    the organiser's files change (not because the synthesis merged regroupements.yaml)."""
    import nbformat

    from rencontres_lib import build as build_mod

    calls: list[str] = []

    def execute(notebook, output, parameters, cwd) -> float:
        name = output.parent.name
        calls.append(name)
        output.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbformat.v4.new_notebook(), output)
        sortie = Path(parameters["sortie"])
        sortie.mkdir(parents=True, exist_ok=True)
        if name == "synthese":
            (sortie / "tableaux").mkdir(exist_ok=True)
            (sortie / "tableaux" / "synthese_propositions.csv").write_text("groupe\r\n")
            merged = project / "parameters" / "synthese" / "regroupements.yaml"
            merged.parent.mkdir(parents=True, exist_ok=True)
            merged.write_text(f"groupes: []  # {len(calls)}\n", encoding="utf-8")
        else:
            (sortie / "resultats.json").write_text(json.dumps({"slug": name}))
        return 0.01

    monkeypatch.setattr(build_mod, "_execute", execute)
    monkeypatch.setattr(build_mod, "library_fingerprint", lambda: "bibliotheque")
    monkeypatch.setattr(build_mod, "private_outputs", lambda *a, **k: None)

    def run():
        calls.clear()
        build_mod.build(project, audit=False, log=lambda m: None)
        return sorted(calls)

    assert "synthese" in run()
    assert (project / "reports" / "tableaux" / "synthese_propositions.csv").is_file()
    assert run() == []  # its own merge of regroupements.yaml does not re-run it
    textes = project / "parameters" / "textes" / "synthese.md"
    textes.parent.mkdir(parents=True, exist_ok=True)
    textes.write_text("## Conclusions\nÀ retenir.\n", encoding="utf-8")
    assert run() == ["synthese"]
    merged = project / "parameters" / "synthese" / "regroupements.yaml"
    merged.write_text("groupes: []  # modifié par l'organisateur\n", encoding="utf-8")
    assert run() == ["synthese"]


def test_a_small_figure_hides_the_total_that_would_reveal_it(s, shown) -> None:
    s.results[1]["chiffres"]["presents"] = 3  # Beta: under the threshold of 5
    items = synthese.key_finding_items(s)
    assert "présentes" not in items[0]["text"]  # 83 would give Beta's 3 back from Alpha's 80
    assert items[0]["text"].startswith("120 personnes ont répondu")
    synthese.territories(s)
    beta = next(b["text/html"] for b in shown if "Beta" in b["text/html"])
    assert "présentes" not in beta


def test_ideas_table_profiles_only_from_groups_of_threshold() -> None:
    props = pd.DataFrame(
        {
            "cle": [f"a:{i}" for i in range(7)],
            "groupe": ["g1"] * 6 + ["g2"],
            "territoire": ["Alpha"] * 3 + ["Beta"] * 3 + ["Alpha"],
            "titre": [f"T{i}" for i in range(7)],
            "corps": ["Premier.\nSuite"] + [""] * 6,
            "soutiens": [9, 1, None, 2, 0, 0, 4],
            "dimension": ["decision"] * 5 + [None, "inclusion"],
            "profil": ["elu"] * 5 + ["citoyen", None],
        }
    )
    out = synthese.ideas_table(props, threshold=5).set_index("groupe")
    assert out.loc["g1", "profils"] == ["elu"]  # one citizen: not named
    assert out.loc["g1", "soutiens"] == 12 and out.loc["g1", "n_territoires"] == 2
    assert out.loc["g1", "citation"] == "Premier." and out.loc["g1", "libelle"] == "T0"
    assert out.loc["g1", "dimension"] == "decision" and out.loc["g2", "profils"] == []
    assert list(out.index) == ["g1", "g2"]


@pytest.mark.parametrize("keep", [[], ["cc"]])
def test_no_compte_rendu_yet(tmp_path, shown, keep) -> None:
    files = []
    for r in RESULTS:
        if r["slug"] in keep:
            f = tmp_path / f"{r['slug']}.json"
            f.write_text(json.dumps(r), encoding="utf-8")
            files.append(f)
    (tmp_path / "parameters").mkdir()
    s = synthese.load(files, sortie=tmp_path / "sortie", root=tmp_path)
    for section in ("header", "key_findings", "dimensions", "proposals", "watch_points"):
        getattr(synthese, section)(s)
    for section in ("territories", "profiles", "themes", "methodology"):
        getattr(synthese, section)(s)
    text = " ".join(str(b["text/plain"]) for b in shown)
    assert "Aucune proposition n'a encore été recueillie" in text
    csv, _ = synthese.export_tables(s)
    assert pd.read_csv(csv, sep=";", encoding="utf-8-sig").empty


def test_consensus_from_opinion_groups(s) -> None:
    s.results[0]["votes"] = [  # Alpha's proposal 1 belongs to the budget idea
        {"proposition_id": "1", "groupe": "A", "accords": 6, "desaccords": 2, "passes": 0},
        {"proposition_id": "1", "groupe": "B", "accords": 3, "desaccords": 1, "passes": 1},
        {"proposition_id": "1", "groupe": "C", "accords": 1, "desaccords": 2, "passes": 0},
    ]
    idea = s.ideas.iloc[0]
    # A: 6 / 8 = 75 %; B: 3 / 5 = 60 %; C has 3 votes, under the threshold of 5: left out
    assert synthese._consensus(s, idea) == (
        " Consensus entre les 2 groupes d'opinion : au moins 60\u202f% d'accord dans chacun."
    )
    assert synthese._consensus(s, s.ideas.iloc[1]) == ""  # no votes on that idea
