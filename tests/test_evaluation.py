"""The meeting's evaluation questionnaire: loader, figures and section (hand-computed values)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from rencontres_lib import rapport
from rencontres_lib.config import Parameters
from rencontres_lib.errors import SourceError
from rencontres_lib.loaders.evaluation import load_evaluation, parse_level
from rencontres_lib.rencontre import Rencontre

HEADER = (
    "Horodateur,Vous êtes :,Satisfaction globale (1 à 5),Avez-vous pu vous exprimer ?,"
    "Recommanderiez-vous ce format ?,Ce que vous retiendrez\n"
)


def test_parse_level_reads_marks_and_labels():
    assert parse_level("4", "satisfaction") == 4
    assert parse_level("4,0", "satisfaction") == 4
    assert parse_level("5/5", "satisfaction") == 5
    assert parse_level("Très satisfait·e", "satisfaction") == 5
    assert parse_level("Plutôt satisfaite", "satisfaction") == 4
    assert parse_level("5 - Très satisfait", "satisfaction") == 5
    assert parse_level("6", "satisfaction") == "?"  # out of the 1–5 scale
    assert parse_level("4/10", "satisfaction") == "?"  # another scale: never guessed
    assert parse_level("", "satisfaction") is None
    assert parse_level("Plutôt oui", "expression") == 3
    assert parse_level("Oui, tout à fait", "expression") == 4
    assert parse_level("Peut-être", "recommandation") == 2
    assert parse_level("3", "recommandation") == "?"  # labels only


def test_loader_counts_rows_and_names_bad_cells(tmp_path):
    path = tmp_path / "evaluation.csv"
    path.write_text(
        HEADER
        + "14/03/2025 13:02:00,Élu·e,5,Oui,Oui,Les ateliers\n"  # line 2
        + "14/03/2025 13:03:00,DGS,4/5,Plutôt non,Je ne sais pas,\n"  # line 3
        + "14/03/2025 13:04:00,,6,Oui,Non,\n"  # line 4: « 6 » unexplained
        + "14/03/2025 13:05:00,,,,,\n"  # line 5: no answer at all
        + ",,,,,\n"  # line 6: blank
        + "14/03/2025 13:06:00,Citoyen,2,Non,Oui,trop court,en plus\n"  # line 7: one field too many
        + "hier,Association,Très satisfait,Plutôt oui,Oui,\n",  # line 8: date unreadable
        encoding="utf-8",
    )
    res = load_evaluation(path)
    assert (res.rows_read, res.rows_used, res.rows_rejected) == (7, 4, 3)
    t = res.table
    assert list(t["respondent_id"]) == ["E01", "E02", "E03", "E04"]
    assert list(t["profil"]) == ["elu", "agent_territorial", "non_renseigne", "association"]
    assert t["satisfaction"].tolist() == [5, 4, pd.NA, 5]
    assert t["expression"].tolist() == [4, 2, 4, 3]
    assert t["recommandation"].tolist() == [3, 2, 1, 3]
    assert t["date"].isna().tolist() == [False, False, False, True]
    messages = [f.french() for f in res.findings]
    bad = next(m for m in messages if "« 6 »" in m)
    assert "ligne 4" in bad and "colonne « Satisfaction globale (1 à 5) »" in bad
    assert any("sans aucune réponse" in m and "ligne 5" in m for m in messages)
    assert any("plus de champs" in m and "ligne 7" in m for m in messages)
    assert any("date illisible" in m and "ligne 8" in m for m in messages)


def test_loader_without_question_columns_says_what_it_expects(tmp_path):
    path = tmp_path / "autre.csv"
    path.write_text("Nom,Commentaire\nA,B\n", encoding="utf-8")
    with pytest.raises(SourceError) as err:
        load_evaluation(path)
    text = err.value.french()
    assert "autre.csv" in text and "aucune question d'évaluation reconnue" in text
    assert "« Nom »" in text


def meeting(evaluation: pd.DataFrame | None, seuil: int = 3) -> Rencontre:
    params = Parameters(
        territoire="Territoire test",
        slug="test",
        date=dt.date(2025, 3, 14),
        phase="compte_rendu",
        seuil_confidentialite=seuil,
    )
    inscriptions = pd.DataFrame(
        {
            "participant_id": list("abcdefghij"),
            "profil": ["elu"] * 5 + ["citoyen"] * 5,
            "statut": ["present"] * 8 + ["absent"] * 2,
            "departement": "69",
            "date_inscription": pd.to_datetime(["2025-03-01"] * 10),
        }
    )
    return Rencontre(params, inscriptions=inscriptions, evaluation=evaluation)


def six_answers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "respondent_id": [f"E{i}" for i in range(1, 7)],
            "date": pd.NaT,
            "profil": ["elu", "elu", "elu", "citoyen", "citoyen", "agent_etat"],
            "satisfaction": pd.array([5, 4, 4, 3, 2, None], dtype="Int64"),
            "expression": pd.array([4, 4, 3, 3, 1, 2], dtype="Int64"),
            "recommandation": pd.array([3, 3, 3, 2, 1, 3], dtype="Int64"),
            "retenir": [
                "La qualité de l'animation des ateliers et le temps laissé à chacun.",
                "RAS",
                "Des idées concrètes à rapporter dans ma commune après la rencontre.",
                "Des idées concrètes à rapporter dans ma commune après la rencontre !",
                "Écrivez-moi : [courriel masqué]",
                "Rencontrer des collègues d'autres collectivités, très utile.",
            ],
        }
    )


def test_evaluation_figures_by_hand():
    # seuil 2: every side of every share counts 2 people or more (small-group rule below)
    rep = rapport.Report(meeting(six_answers(), seuil=2))
    ev = rep.evaluation()
    # 6 answers of 8 people present
    assert ev["n"] == 6 and ev["presents"] == 8 and ev["taux"] == pytest.approx(0.75)
    sat = ev["questions"]["satisfaction"]
    # satisfied: 5, 4, 4 of 5 marks; Wilson 95 %: 0.6 in [0.2307, 0.8824]
    assert (sat["base"], sat["k"]) == (5, 3)
    assert sat["part"] == pytest.approx(0.6)
    assert sat["bas"] == pytest.approx(0.2307, abs=1e-4)
    assert sat["haut"] == pytest.approx(0.8824, abs=1e-4)
    assert sat["moyenne"] == pytest.approx(3.6)
    # expression « Oui » or « Plutôt oui »: 4 of 6; recommandation « Oui »: 4 of 6 (« ne sait
    # pas » in the base)
    assert ev["questions"]["expression"]["k"] == 4
    assert (ev["questions"]["recommandation"]["base"], ev["questions"]["recommandation"]["k"]) == (
        6,
        4,
    )


def test_evaluation_section_sentences_and_quotes():
    rep = rapport.Report(meeting(six_answers(), seuil=2))  # no side under 2 people
    s = rep.evaluation_section()
    assert s.title == "Évaluation de la rencontre"
    shown = [b.args[0] for b in s.blocks if b.kind in ("paragraph", "bullets")]
    assert shown[0] == (
        "6 des 8 personnes présentes ont répondu au questionnaire d'évaluation (75\u202f%)."
    )
    assert shown[1][0] == (
        "Satisfaction globale : 60\u202f% se disent satisfaites (note de 4 ou 5 sur 5), "
        "entre 23 et 88\u202f% ; 5 personnes ; note moyenne 3,6 sur 5."
    )
    essentiel = rapport.constats(rep.r)
    assert (
        "Évaluation de la rencontre. 60\u202f% des personnes qui ont répondu se disent satisfaites "
        "(note de 4 ou 5 sur 5), entre 23 et 88\u202f% ; 6 des 8 personnes présentes ont répondu."
    ) in essentiel
    rep = rapport.Report(meeting(six_answers(), seuil=3))  # attributions at k = 3
    s = rep.evaluation_section()
    quotes = next(b.args[0] for b in s.blocks if b.kind == "quotes")
    texts = [q for q, _ in quotes]
    assert len(quotes) == 2
    assert "RAS" not in texts and not any("masqué" in q for q in texts)  # non-answer, masked text
    assert sum("Des idées concrètes" in q for q in texts) <= 1  # no near-copy
    # elu: 3 people ≥ k = 3 → named; citoyen 2, agent_etat 1 → not named
    expected_who = {
        "La qualité de l'animation des ateliers et le temps laissé à chacun.": "Élu·e",
        "Des idées concrètes à rapporter dans ma commune après la rencontre.": "Élu·e",
        "Des idées concrètes à rapporter dans ma commune après la rencontre !": "profil non précisé",
        "Rencontrer des collègues d'autres collectivités, très utile.": "profil non précisé",
    }
    for q, who in quotes:
        assert who == f"{expected_who[q]}, questionnaire d'évaluation"
    # at k = 3 every share has a side of 2 people: none is published, nor in L'essentiel
    assert not any(c.startswith("Évaluation") for c in rapport.constats(rep.r))


def test_evaluation_by_profile_never_shows_a_small_group():
    rep = rapport.Report(meeting(six_answers()))
    t = rep.evaluation_by_profile().frame
    sat = t[t["question"] == "Satisfaction globale"].set_index("profil")
    # satisfaction marked by elu 3 and citoyen 2 (< 3: masked); agent_etat did not mark: no
    # row. One masked row in the block → the next smallest is masked too (2 = 5 − 3)
    assert list(sat.index) == ["Citoyen·ne", "Élu·e"]
    assert sat["n"].isna().all() and sat["part"].isna().all()
    rec = t[t["question"] == "Recommandation"].set_index("profil")
    # elu 3/3 « Oui »; citoyen 2 and agent_etat 1: masked (primary)
    assert rec.loc["Élu·e", "n"] == 3 and rec.loc["Élu·e", "part"] == 1.0
    assert rec.loc["Agent·e de l'État", "n"] is pd.NA and rec.loc["Citoyen·ne", "n"] is pd.NA


def test_thin_side_share_is_masked():
    ev = six_answers()
    ev["profil"] = ["elu"] * 6
    rep = rapport.Report(meeting(ev))
    t = rep.evaluation_by_profile().frame.set_index("question")
    # expression of elu: 4 favourable, 2 not (1 ≤ 2 < 3) → the share would tell what 2 said
    assert t.loc["Prise de parole", "n"] == 6
    assert pd.isna(t.loc["Prise de parole", "part"])


def test_no_source_no_section_and_few_answers_no_figures():
    rep = rapport.Report(meeting(None))
    assert rep.evaluation() is None and rep.evaluation_section() is None
    assert "evaluation" not in [s.key for s in rep.sections()]
    assert not any("Évaluation" in c for c in rapport.constats(rep.r))
    two = rapport.Report(meeting(six_answers().head(2)))
    s = two.evaluation_section()
    assert two.evaluation()["questions"] == {}
    assert any("Trop peu de réponses" in b.args[0] for b in s.blocks if b.kind == "note")
    assert not s.tables  # nothing by profile


def test_cadrage_has_no_evaluation():
    r = meeting(six_answers())
    r.params.phase = "cadrage"
    assert rapport.Report(r).evaluation_section() is None


def test_example_evaluation_is_loaded_scrubbed_and_counted():
    from pathlib import Path

    from rencontres_lib.config import load_parameters
    from rencontres_lib.rencontre import load_rencontre

    root = Path(__file__).resolve().parents[1]
    params = load_parameters(root / "parameters" / "lyon.yaml", root=root)
    r = load_rencontre(params, kinds=("evaluation",))
    res = r.results["evaluation"]
    assert (res.rows_read, res.rows_used, res.rows_rejected) == (75, 74, 1)
    assert len(r.evaluation) == 74
    assert not r.evaluation["retenir"].str.contains("@").any()  # e-mail masked at loading
    assert r.evaluation["retenir"].str.contains("[courriel masqué]", regex=False).any()


def test_evaluation_file_is_an_input_of_the_build_key():
    from pathlib import Path

    from rencontres_lib.build import run_key
    from rencontres_lib.config import load_parameters

    root = Path(__file__).resolve().parents[1]
    params = load_parameters(root / "parameters" / "lyon.yaml", root=root)
    path = root / "data" / "exemple" / "evaluation_lyon.csv"
    assert path in params.input_paths()
    nb = root / "notebooks" / "rencontre.py"
    other = root / "data" / "exemple" / "evaluation_nantes.csv"
    assert run_key(nb, [path], "lib") != run_key(nb, [other], "lib")


def test_new_takes_the_evaluation_export(project, capsys):
    from rencontres_lib.cli import main
    from rencontres_lib.config import load_parameters

    args = ["new", "reze", "--territoire", "Rezé", "--date", "2025-05-16", "--filtre", "Nantes"]
    assert main([*args, "--evaluation", "data/exemple/evaluation_nantes.csv"]) == 0
    params = load_parameters(project / "parameters" / "reze.yaml", root=project)
    assert params.source("evaluation") == project / "data" / "exemple" / "evaluation_nantes.csv"
    capsys.readouterr()
    assert main(["check", str(project / "parameters" / "reze.yaml")]) == 0
    out = capsys.readouterr().out
    assert "evaluation — evaluation_nantes.csv : 38 lignes lues, 37 utilisées, 1 rejetée" in out


def test_overall_share_with_a_thin_side_is_not_published():
    # 8 people, seuil 5: satisfaction 6 satisfied (4–5) and 2 not (1 ≤ 2 < 5) → masked;
    # expression 8 « Oui » and nobody else: 0 on the other side is not small → published
    # (8/8); recommandation 5 « Oui », 3 others (< 5) → masked
    ev = pd.DataFrame(
        {
            "respondent_id": [f"E{i}" for i in range(1, 9)],
            "date": pd.NaT,
            "profil": ["elu"] * 8,
            "satisfaction": pd.array([5, 5, 4, 4, 4, 4, 2, 1], dtype="Int64"),
            "expression": pd.array([4] * 8, dtype="Int64"),
            "recommandation": pd.array([3, 3, 3, 3, 3, 2, 1, 1], dtype="Int64"),
            "retenir": [""] * 8,
        }
    )
    rep = rapport.Report(meeting(ev, seuil=5))
    out = rep.evaluation()
    sat = out["questions"]["satisfaction"]
    assert sat == {"libelle": "Satisfaction globale", "base": 8, "masque": True}
    assert out["questions"]["recommandation"]["masque"] is True
    assert "part" not in out["questions"]["recommandation"]
    assert out["questions"]["expression"]["part"] == pytest.approx(1.0)
    items = next(b.args[0] for b in rep.evaluation_section().blocks if b.kind == "bullets")
    assert items[0] == (
        "Satisfaction globale : 8 personnes ont répondu ; moins de 5 personnes d'un des deux "
        "côtés (satisfaites ou non satisfaites) : part non publiée (règle des petits effectifs)."
    )
    assert not any("75" in i for i in items)  # 6/8 never written
    # L'essentiel takes the first published question (expression), never the masked one
    essentiel = [c for c in rapport.constats(rep.r) if c.startswith("Évaluation")]
    assert essentiel == [
        "Évaluation de la rencontre. 100\u202f% des personnes qui ont répondu ont pu s'exprimer "
        "(« Oui » ou « Plutôt oui »), entre 68 et 100\u202f% ; 8 des 8 personnes présentes ont "
        "répondu."
    ]
    # exported results (resultats.json) carry no share, count or mean for the masked question
    res = rapport.results(rep)["evaluation"]["questions"]["satisfaction"]
    assert set(res) == {"libelle", "base", "masque"}
