"""Metrics on small tables whose results were worked out by hand."""

import math

import pandas as pd
import pytest

from rencontres_lib import metrics


def answers_fixture() -> tuple[pd.DataFrame, pd.DataFrame]:
    # 6 respondents, 2 territories; question q1 (organisation), q2 (decision, reversed already applied in rang)
    respondents = pd.DataFrame({
        "respondent_id": ["1", "2", "3", "4", "5", "6"],
        "profil": ["elu", "elu", "citoyen", "citoyen", "association", "elu"],
        "territoire": ["Lyon", "Lyon", "Lyon", "Lyon", "Nantes", "Nantes"],
    })
    rows = [
        # respondent, question, dimension, rang (1..5, 5 = most favourable), favorable
        ("1", "q1", "organisation", 5, True), ("2", "q1", "organisation", 4, True),
        ("3", "q1", "organisation", 2, False), ("4", "q1", "organisation", None, None),  # sans avis
        ("5", "q1", "organisation", 1, False), ("6", "q1", "organisation", 3, False),
        ("1", "q2", "decision", 4, True), ("2", "q2", "decision", 1, False),
        ("3", "q2", "decision", 1, False), ("4", "q2", "decision", 2, False),
        ("5", "q2", "decision", 5, True), ("6", "q2", "decision", 4, True),
    ]
    answers = pd.DataFrame(rows, columns=["respondent_id", "question_id", "dimension", "rang", "favorable"])
    answers["type"] = "likert"
    answers["valeur"] = ""
    answers["rang"] = answers["rang"].astype("Int64")
    answers["favorable"] = answers["favorable"].astype("boolean")
    return answers, respondents


def test_wilson_matches_hand_computation():
    p, lo, hi = metrics.wilson(8, 10)
    assert p == 0.8
    assert lo == pytest.approx(0.4902, abs=1e-4)
    assert hi == pytest.approx(0.9433, abs=1e-4)
    assert all(math.isnan(x) for x in metrics.wilson(0, 0))
    assert metrics.wilson(0, 5)[1] == 0.0


def test_favorable_excludes_out_of_scale_answers():
    answers, _ = answers_fixture()
    fav = metrics.favorable(answers).set_index("question_id")
    # q1: 5 in-scale answers (respondent 4 said « sans avis »), 2 favourable
    assert fav.loc["q1", "n"] == 5 and fav.loc["q1", "k"] == 2
    assert fav.loc["q1", "part"] == pytest.approx(0.4)
    assert fav.loc["q2", "n"] == 6 and fav.loc["q2", "k"] == 3


def test_favorable_by_territory_and_comparison():
    answers, respondents = answers_fixture()
    joined = metrics.with_respondents(answers, respondents)
    fav = metrics.favorable(joined, by=["territoire"])
    cmp = metrics.territory_comparison(fav, "Lyon").set_index(["question_id", "groupe"])
    assert cmp.loc[("q1", "ce territoire"), "n"] == 3  # respondents 1,2,3 (4 is sans avis)
    assert cmp.loc[("q1", "ce territoire"), "k"] == 2
    assert cmp.loc[("q1", "autres territoires"), "k"] == 0
    assert cmp.loc[("q2", "autres territoires"), "part"] == pytest.approx(1.0)


def test_favorable_by_dimension_pools_statements():
    answers, _ = answers_fixture()
    d = metrics.favorable_by_dimension(answers).set_index("dimension")
    assert list(d.index) == ["organisation", "decision"]  # impact-dimension order
    assert d.loc["decision", "k"] == 3 and d.loc["decision", "n"] == 6


def test_likert_distribution_fills_missing_levels():
    answers, _ = answers_fixture()
    dist = metrics.likert_distribution(answers, 5)
    q1 = dist[dist["question_id"] == "q1"].set_index("rang")
    assert list(q1["n"]) == [1, 1, 1, 1, 1]
    assert q1["total"].iloc[0] == 5
    q2 = dist[dist["question_id"] == "q2"].set_index("rang")
    assert q2.loc[3, "n"] == 0 and q2.loc[1, "part"] == pytest.approx(2 / 6)


def inscriptions_fixture() -> pd.DataFrame:
    return pd.DataFrame({
        "participant_id": list("abcdefg"),
        "profil": ["elu", "elu", "citoyen", "association", "citoyen", "elu", "autre"],
        "statut": ["present", "absent", "present", "annule", "inscrit", "present", "present"],
        "departement": ["69", "69", "01", "69", "", "38", "69"],
        "date_inscription": pd.to_datetime(["2025-02-03", "2025-02-01", "2025-02-01", "2025-01-30", "2025-02-05", "2025-02-05", "2025-02-02"]),
    })


def test_key_figures_and_funnel():
    ins = inscriptions_fixture()
    resp = pd.DataFrame({"respondent_id": ["1", "2"], "profil": ["elu", "citoyen"], "territoire": ["Lyon", "Lyon"]})
    f = metrics.key_figures(ins, resp, capacite=5)
    assert f["inscrits"] == 6 and f["annules"] == 1
    assert f["presents"] == 4
    assert f["taux_presence"] == pytest.approx(4 / 5)  # 5 people marked present/absent
    assert f["profils_representes"] == 2  # elu, citoyen (autre does not count)
    assert f["liste_attente"] == 1
    fun = metrics.funnel(ins, resp)
    assert fun.loc["elu"].tolist() == [3, 2, 1]
    assert fun.loc["citoyen"].tolist() == [2, 1, 1]
    assert "association" not in fun.index  # only cancelled


def test_waitlist_split_by_registration_date():
    ins = inscriptions_fixture()
    split = metrics.waitlist_split(ins, capacite=4)
    # active sorted by date: c(02-01, row 2) after b(02-01, row 1)? file order b then c
    assert list(split["participant_id"]) == ["b", "c", "g", "a", "e", "f"]
    assert list(split["place"]) == ["confirmé"] * 4 + ["liste d'attente"] * 2


def test_registrations_over_time_and_departements():
    ins = inscriptions_fixture()
    t = metrics.registrations_over_time(ins)
    assert list(t["n"]) == [2, 1, 1, 2] and list(t["cumul"]) == [2, 3, 4, 6]
    d = metrics.departement_counts(ins).set_index("departement")["n"]
    assert d.to_dict() == {"69": 3, "01": 1, "38": 1}


def test_profile_mix_keeps_fixed_order_and_zero_rows():
    mix = metrics.profile_mix(pd.Series(["elu", "citoyen", "elu", "autre"]))
    assert list(mix["profil"][:3]) == ["agent_territorial", "elu", "association"]
    assert mix.set_index("profil").loc["elu", "n"] == 2
    assert mix.set_index("profil").loc["elu", "part"] == pytest.approx(0.5)
    assert "non_renseigne" not in set(mix["profil"])


def test_consensus_and_divisive():
    votes = pd.DataFrame({
        "proposition_id": ["p1", "p1", "p2", "p2", "p3", "p3"],
        "groupe": [0, 1, 0, 1, 0, 1],
        "pour": [9, 8, 9, 1, 5, 3],
        "contre": [1, 2, 1, 9, 5, 5],
    })
    c = metrics.consensus(votes).set_index("proposition_id")["statut"]
    assert c.to_dict() == {"p1": "consensuelle", "p2": "clivante", "p3": "partagée"}


def test_consensus_from_polis_votes_loaded_from_a_fixture():
    from pathlib import Path

    from rencontres_lib.loaders.contributions import load_contributions

    res = load_contributions(Path(__file__).parent / "fixtures/contributions/polis/comments.csv")
    votes = res.extra["votes"].rename(columns={"accords": "pour", "desaccords": "contre"})
    c = metrics.consensus(votes, min_votes=1).set_index("proposition_id")["statut"]
    # comment 0: group 0 agrees 2/2, group 1 1/2 → shared; comment 1: 1/1 vs 0/2 → divisive;
    # comment 3: 1/2 vs 1/1 → shared (the participant without a group is left out)
    assert c.to_dict() == {"0": "partagée", "1": "clivante", "3": "partagée"}
