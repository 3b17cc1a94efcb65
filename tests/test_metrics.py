"""Metrics on small tables whose results were worked out by hand."""

import math

import pandas as pd
import pytest

from rencontres_lib import metrics


def answers_fixture() -> tuple[pd.DataFrame, pd.DataFrame]:
    # 6 respondents, 2 territories; question q1 (organisation), q2 (decision, reversed already applied in rang)
    respondents = pd.DataFrame(
        {
            "respondent_id": ["1", "2", "3", "4", "5", "6"],
            "profil": ["elu", "elu", "citoyen", "citoyen", "association", "elu"],
            "territoire": ["Lyon", "Lyon", "Lyon", "Lyon", "Nantes", "Nantes"],
        }
    )
    rows = [
        # respondent, question, dimension, rang (1..5, 5 = most favourable), favorable
        ("1", "q1", "organisation", 5, True),
        ("2", "q1", "organisation", 4, True),
        ("3", "q1", "organisation", 2, False),
        ("4", "q1", "organisation", None, None),  # sans avis
        ("5", "q1", "organisation", 1, False),
        ("6", "q1", "organisation", 3, False),
        ("1", "q2", "decision", 4, True),
        ("2", "q2", "decision", 1, False),
        ("3", "q2", "decision", 1, False),
        ("4", "q2", "decision", 2, False),
        ("5", "q2", "decision", 5, True),
        ("6", "q2", "decision", 4, True),
    ]
    answers = pd.DataFrame(
        rows, columns=["respondent_id", "question_id", "dimension", "rang", "favorable"]
    )
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
    return pd.DataFrame(
        {
            "participant_id": list("abcdefg"),
            "profil": ["elu", "elu", "citoyen", "association", "citoyen", "elu", "autre"],
            "statut": ["present", "absent", "present", "annule", "inscrit", "present", "present"],
            "departement": ["69", "69", "01", "69", "", "38", "69"],
            "date_inscription": pd.to_datetime(
                [
                    "2025-02-03",
                    "2025-02-01",
                    "2025-02-01",
                    "2025-01-30",
                    "2025-02-05",
                    "2025-02-05",
                    "2025-02-02",
                ]
            ),
        }
    )


def test_key_figures_and_funnel():
    ins = inscriptions_fixture()
    resp = pd.DataFrame(
        {"respondent_id": ["1", "2"], "profil": ["elu", "citoyen"], "territoire": ["Lyon", "Lyon"]}
    )
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
    votes = pd.DataFrame(
        {
            "proposition_id": ["p1", "p1", "p2", "p2", "p3", "p3"],
            "groupe": [0, 1, 0, 1, 0, 1],
            "pour": [9, 8, 9, 1, 5, 3],
            "contre": [1, 2, 1, 9, 5, 5],
        }
    )
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


# --------------------------------------------------------------------------- scored, ranks, with_respondents

SURVEY_CODEBOOK = """\
version: 1
format: limesurvey
echelles:
  accord5:
    libelles: ["Pas du tout d'accord", "Plutôt pas d'accord", "Ni d'accord ni pas d'accord", "Plutôt d'accord", "Tout à fait d'accord"]
    favorables: ["Plutôt d'accord", "Tout à fait d'accord"]
    hors_echelle: ["Sans avis"]
questions:
  - {colonne: PROFIL, id: profil, type: profil}
  - {colonne: TERRITOIRE, id: territoire, type: territoire}
  - {colonne: Q1, id: q1, type: likert, dimension: organisation, echelle: accord5}
  - {colonne: Q2, id: q2, type: likert, dimension: inclusion, echelle: accord5, inverse: true}
  - {colonne: AVIS, id: avis, type: texte}
"""

SURVEY_CSV = """\
id,submitdate,PROFIL,TERRITOIRE,Q1,Q2,AVIS
1,2025-03-10 09:00:00,Élu·e,Lyon,Tout à fait d'accord,Plutôt d'accord,Bien
2,2025-03-10 09:10:00,Association,Nantes,Sans avis,Pas du tout d'accord,
3,2025-03-10 09:20:00,Citoyen·ne,Lyon,Plutôt pas d'accord,,Moyen
"""

# The long table the loader builds from SURVEY_CSV (blank cells give no answer row):
#   row  respondent  question  valeur                  rang  favourable (ranks 4, 5)
#   0    1           q1        Tout à fait d'accord    5     True
#   1    2           q1        Sans avis               NA    NA
#   2    3           q1        Plutôt pas d'accord     2     False
#   3    1           q2        Plutôt d'accord         2     False  (inverse: 6 - 4)
#   4    2           q2        Pas du tout d'accord    5     True   (inverse: 6 - 1)
#   5    1           avis      Bien                    NA    NA
#   6    3           avis      Moyen                   NA    NA
EXPECTED_RESPONDENTS = [1, 2, 3, 1, 2, 1, 3]  # LimeSurvey's numeric ids stay numbers
EXPECTED_PROFILS = ["elu", "association", "citoyen", "elu", "association", "elu", "citoyen"]
EXPECTED_TERRITOIRES = ["Lyon", "Nantes", "Lyon", "Lyon", "Nantes", "Lyon", "Lyon"]


def loaded_survey(tmp_path):
    """The questionnaire loader's result on SURVEY_CSV with SURVEY_CODEBOOK."""
    from rencontres_lib.loaders.questionnaire import load_questionnaire

    (tmp_path / "codebook.yaml").write_text(SURVEY_CODEBOOK, encoding="utf-8")
    (tmp_path / "export.csv").write_text(SURVEY_CSV, encoding="utf-8")
    result = load_questionnaire(tmp_path / "export.csv", tmp_path / "codebook.yaml")
    assert not result.errors
    table = result.table
    assert table["respondent_id"].astype(object).tolist() == EXPECTED_RESPONDENTS
    assert table["question_id"].astype(object).tolist() == [
        "q1",
        "q1",
        "q1",
        "q2",
        "q2",
        "avis",
        "avis",
    ]
    assert table["rang"].cat.codes.tolist() == [4, -1, 1, 1, 4, -1, -1]  # ranks 5, NA, 2, 2, 5
    return result


def test_scored_on_the_loader_table(tmp_path):
    r = loaded_survey(tmp_path)
    questions = r.extra["questions"]
    assert questions.set_index("question_id").loc["q1", "favorables"] == (4, 5)
    t = metrics.scored(r.table, questions)
    assert list(t.columns) == metrics.ANSWER_COLUMNS
    assert len(t) == 7
    assert isinstance(t["type"].dtype, pd.CategoricalDtype)
    assert isinstance(t["dimension"].dtype, pd.CategoricalDtype)
    assert t["type"].astype(object).tolist() == ["likert"] * 5 + ["texte"] * 2
    assert (
        t["dimension"].astype(object).tolist()
        == ["organisation"] * 3 + ["inclusion"] * 2 + [""] * 2
    )
    pd.testing.assert_series_equal(
        t["rang"], pd.Series([5, None, 2, 2, 5, None, None], dtype="Int8", name="rang")
    )
    pd.testing.assert_series_equal(
        t["favorable"],
        pd.Series([True, None, False, False, True, None, None], dtype="boolean", name="favorable"),
    )
    # the loader's columns are untouched
    assert t["valeur"].astype(object).tolist()[:2] == ["Tout à fait d'accord", "Sans avis"]
    assert t["respondent_id"].astype(object).tolist() == EXPECTED_RESPONDENTS


def test_scored_on_plain_columns():
    # question a: 3-level scale, favourable rank 3 (given as a list); b: 5 levels, ranks 4 and 5
    questions = pd.DataFrame(
        {
            "question_id": ["a", "b", "t"],
            "type": ["likert", "likert", "texte"],
            "dimension": ["decision", "inclusion", ""],
            "texte": ["", "", ""],
            "echelle": ["accord3", "accord5", ""],
            "inverse": [False, False, False],
            "favorables": [[3], (4, 5), ()],
        }
    )
    answers = pd.DataFrame(
        {
            "respondent_id": ["r1", "r2", "r1", "r2", "r3", "r1"],
            "question_id": ["a", "a", "b", "b", "b", "t"],
            "valeur": ["x"] * 6,
            "rang": pd.array([3, 1, 5, 2, None, None], dtype="Int64"),
            "source": ["s"] * 6,  # a column of the caller's: kept, after the known ones
        }
    )
    t = metrics.scored(answers, questions)
    assert list(t.columns) == [*metrics.ANSWER_COLUMNS, "source"]
    # a/3 → True, a/1 → False, b/5 → True, b/2 → False, b/NA → NA, t (not Likert) → NA
    pd.testing.assert_series_equal(
        t["favorable"],
        pd.Series([True, False, True, False, None, None], dtype="boolean", name="favorable"),
    )
    assert str(t["rang"].dtype) == "Int8"
    assert t["type"].astype(object).tolist() == ["likert"] * 5 + ["texte"]
    assert t["dimension"].astype(object).tolist() == ["decision"] * 2 + ["inclusion"] * 3 + [""]


def test_scored_answer_without_question_gets_no_attributes():
    # the last row has no question (NaN): it must not borrow the last question's type
    questions = pd.DataFrame(
        {
            "question_id": ["a", "t"],
            "type": ["likert", "texte"],
            "dimension": ["decision", ""],
            "texte": ["", ""],
            "echelle": ["accord5", ""],
            "inverse": [False, False],
            "favorables": [(4, 5), ()],
        }
    )
    answers = pd.DataFrame(
        {
            "respondent_id": ["r1", "r1", "r2"],
            "question_id": pd.Categorical(["a", "t", None], categories=["a", "t"]),
            "valeur": ["x"] * 3,
            "rang": pd.array([5, None, 4], dtype="Int64"),
        }
    )
    t = metrics.scored(answers, questions)
    assert t["type"].astype(object).tolist()[:2] == ["likert", "texte"] and pd.isna(
        t["type"].iloc[2]
    )
    assert pd.isna(t["dimension"].iloc[2]) and pd.isna(t["favorable"].iloc[2])


def test_ranks_from_categorical_and_numbers():
    index = pd.Index([10, 11, 12])
    cat = pd.Series(
        pd.Categorical([2, None, 4], categories=[1, 2, 3, 4], ordered=True), index=index
    )
    pd.testing.assert_series_equal(
        metrics.ranks(cat), pd.Series([2, None, 4], dtype="Int8", index=index)
    )
    # the rank is the category's value, not its code + 1
    sparse = pd.Series(pd.Categorical([5, 2, None], categories=[2, 5], ordered=True))
    assert metrics.ranks(sparse).tolist() == [5, 2, pd.NA]
    # no scale at all (only texts): every rank NA
    none = pd.Series(
        pd.Categorical.from_codes(
            [-1, -1], dtype=pd.CategoricalDtype(pd.RangeIndex(1, 1), ordered=True)
        )
    )
    out = metrics.ranks(none)
    assert str(out.dtype) == "Int8" and out.isna().all() and len(out) == 2
    numbers = metrics.ranks(pd.Series([1, None, 3], dtype="Int64"))
    assert str(numbers.dtype) == "Int8" and numbers.tolist() == [1, pd.NA, 3]


def test_with_respondents_lookup_by_code(tmp_path):
    r = loaded_survey(tmp_path)
    answers, respondents = r.table, r.extra["respondents"]
    # the loader's categorical is over exactly respondents 1, 2, 3
    assert list(answers["respondent_id"].cat.categories) == respondents["respondent_id"].tolist()
    joined = metrics.with_respondents(answers, respondents)
    assert isinstance(joined["profil"].dtype, pd.CategoricalDtype)  # the lookup path was taken
    assert isinstance(joined["territoire"].dtype, pd.CategoricalDtype)
    assert joined["profil"].astype(object).tolist() == EXPECTED_PROFILS
    assert joined["territoire"].astype(object).tolist() == EXPECTED_TERRITOIRES
    by_hand = answers.astype({"respondent_id": object}).merge(
        respondents[["respondent_id", "profil", "territoire"]], on="respondent_id"
    )
    for column in ("respondent_id", "question_id", "valeur", "profil", "territoire"):
        assert joined[column].astype(object).tolist() == by_hand[column].astype(object).tolist()
    assert joined["rang"].cat.codes.tolist() == answers["rang"].cat.codes.tolist()


def test_with_respondents_merges_a_subset_as_an_inner_join(tmp_path):
    r = loaded_survey(tmp_path)
    answers, respondents = r.table, r.extra["respondents"]
    subset = respondents.iloc[[2, 0]]  # respondents 3 and 1, in that order; 2 left out
    joined = metrics.with_respondents(answers, subset)
    # rows of respondent 2 (1 and 4) are dropped; the answers' order is kept
    assert joined["respondent_id"].astype(object).tolist() == [1, 3, 1, 1, 3]
    assert joined["question_id"].astype(object).tolist() == ["q1", "q1", "q2", "avis", "avis"]
    assert joined["profil"].astype(object).tolist() == ["elu", "citoyen", "elu", "elu", "citoyen"]
    assert joined["territoire"].astype(object).tolist() == ["Lyon"] * 5
    assert list(joined.index) == list(range(5))


def test_with_respondents_reordered_respondents(tmp_path):
    r = loaded_survey(tmp_path)
    answers, respondents = r.table, r.extra["respondents"]
    reordered = respondents.iloc[[2, 0, 1]]  # same ids, another order: codes no longer match
    joined = metrics.with_respondents(answers, reordered)
    assert joined["respondent_id"].astype(object).tolist() == EXPECTED_RESPONDENTS
    assert joined["profil"].astype(object).tolist() == EXPECTED_PROFILS
    assert joined["territoire"].astype(object).tolist() == EXPECTED_TERRITOIRES


def test_cluster_wilson_widens_the_interval_for_several_statements_per_person():
    # 3 people × 2 statements: favourable 2, 0, 1 → p = 3/6; residuals 1, −1, 0;
    # var = 2 / 36 = 1/18; n_eff = 0.25 × 18 = 4.5; Wilson on n = 4.5: 16.1 %–83.9 %
    p, lo, hi = metrics.cluster_wilson([2, 0, 1], [2, 2, 2])
    assert p == 0.5
    assert lo == pytest.approx(0.1607, abs=1e-4) and hi == pytest.approx(0.8393, abs=1e-4)
    naive = metrics.wilson(3, 6)
    assert lo < naive[1] and hi > naive[2]
    # one statement per person: exactly Wilson
    assert metrics.cluster_wilson([1] * 8 + [0] * 2, [1] * 10) == pytest.approx(
        metrics.wilson(8, 10)
    )


def test_favorable_by_dimension_counts_people_not_answers():
    answers = pd.DataFrame(
        {
            "respondent_id": ["a", "a", "a", "b", "b", "b"],
            "question_id": ["q1", "q2", "q3"] * 2,
            "type": "likert",
            "dimension": "decision",
            "favorable": pd.array([True, True, False, False, False, True], dtype="boolean"),
        }
    )
    d = metrics.favorable_by_dimension(answers).iloc[0]
    assert (d["n"], d["reponses"], d["k"]) == (2, 6, 3)


def report_metrics(result) -> dict[str, pd.DataFrame]:
    """The frames a report computes from a loaded questionnaire (see rencontres_lib.rapport)."""
    answers = metrics.scored(result.table, result.extra["questions"])
    joined = metrics.with_respondents(answers, result.extra["respondents"])
    return {
        "scored": answers,
        "joined": joined,
        "par_territoire": metrics.favorable(joined, by=["territoire"]),
        "par_profil": metrics.favorable(joined, by=["profil"]),
        "affirmations": metrics.favorable(answers),
        "dimensions": metrics.favorable_by_dimension(answers),
        "dimensions_par_profil": metrics.favorable_by_dimension(joined, by=["profil"]),
        "repartition": metrics.likert_distribution(answers, 5),
    }


def test_speed_tricks_give_the_plain_path_results_on_a_hand_checked_export(tmp_path):
    from rencontres_lib import speed

    r = loaded_survey(tmp_path)
    answers = metrics.scored(r.table, r.extra["questions"])
    joined = metrics.with_respondents(answers, r.extra["respondents"])
    # the tricks' preconditions hold on the loader's table: the code paths are really taken
    assert metrics._favorable_counts(joined, ["territoire", "question_id", "dimension"]) is not None
    assert metrics._by_dimension_rows(joined, ["profil"]) is not None
    assert metrics._level_counts(answers) is not None
    fast = report_metrics(r)
    with speed.without():
        assert metrics._favorable_counts(joined, ["question_id", "dimension"]) is None
        plain = report_metrics(r)
    for name in fast:
        pd.testing.assert_frame_equal(fast[name], plain[name], check_exact=True, obj=name)
    for trick in speed.TRICKS:  # and each trick alone off
        with speed.without(trick):
            alone = report_metrics(r)
        for name in fast:
            pd.testing.assert_frame_equal(fast[name], alone[name], check_exact=True, obj=name)
    # by hand (SURVEY_CSV, see the table above): Lyon q1 = respondents 1 (rank 5) and 3
    # (rank 2): 2 in-scale answers, 1 favourable; Nantes q1 is « Sans avis » only: no row
    t = fast["par_territoire"]
    got = {(row.territoire, row.question_id): (row.n, row.k) for row in t.itertuples(index=False)}
    assert got == {("Lyon", "q1"): (2, 1), ("Lyon", "q2"): (1, 0), ("Nantes", "q2"): (1, 1)}
    d = fast["dimensions_par_profil"]
    got = {(row.profil, row.dimension): (row.n, row.k) for row in d.itertuples(index=False)}
    assert got == {
        ("elu", "organisation"): (1, 1),
        ("citoyen", "organisation"): (1, 0),
        ("elu", "inclusion"): (1, 0),
        ("association", "inclusion"): (1, 1),
    }
    dims = fast["dimensions"].set_index("dimension")
    assert dims.loc["organisation", ["n", "reponses", "k"]].tolist() == [2, 2, 1]
    assert dims.loc["organisation", "part"] == 0.5
    dist = fast["repartition"].set_index(["question_id", "rang"])["n"]
    assert dist.loc[("q1", 5)] == 1 and dist.loc[("q1", 2)] == 1 and dist.loc[("q1", 4)] == 0
    assert dist.loc[("q2", 2)] == 1 and dist.loc[("q2", 5)] == 1


def test_speed_tricks_fall_back_when_a_group_varies_within_a_person(tmp_path):
    from rencontres_lib import speed

    r = loaded_survey(tmp_path)
    joined = metrics.with_respondents(
        metrics.scored(r.table, r.extra["questions"]), r.extra["respondents"]
    )
    # respondent 1's answer to q2 (row 3) in another group than their answer to q1 (row 0)
    groupe = pd.Categorical(["a", "a", "b", "b", "a", "a", "b"], categories=["a", "b"])
    mixed = joined.assign(groupe=groupe)
    assert metrics._by_dimension_rows(mixed, ["groupe"]) is None  # the plain path decides
    fast = metrics.favorable_by_dimension(mixed, by=["groupe"])
    with speed.without():
        plain = metrics.favorable_by_dimension(mixed, by=["groupe"])
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
    # an NA group is left out, as by pandas' groupby
    holes = joined.assign(groupe=pd.Categorical(["a", None, "b", "a", None, "a", "b"]))
    fast = metrics.favorable(holes, by=["groupe"])
    with speed.without():
        plain = metrics.favorable(holes, by=["groupe"])
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
    assert fast["n"].sum() == 3  # rows 0, 2 and 3 (row 1 « Sans avis », row 4 NA group)


def test_speed_registry_rejects_unknown_tricks_and_restores_the_state():
    from rencontres_lib import speed

    with pytest.raises(KeyError):
        with speed.without("inconnue"):
            pass
    with speed.without("comptes_sur_codes"):
        assert not speed.active("comptes_sur_codes") and speed.active("tables_de_codes")
    assert all(speed.active(name) for name in speed.TRICKS)
    with pytest.raises(KeyError):
        speed.active("inconnue")


def _fast_equals_plain(answers: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Favourable shares (by profile), by dimension and Likert distribution of ``answers``,
    checked frame for frame against the plain pandas path (every speed trick off)."""
    from rencontres_lib import speed

    calls = {
        "favorable": lambda: metrics.favorable(answers, by=["profil"]),
        "dimensions": lambda: metrics.favorable_by_dimension(answers, by=["profil"]),
        "repartition": lambda: metrics.likert_distribution(answers, 5),
    }
    fast = {name: call() for name, call in calls.items()}
    with speed.without():
        plain = {name: call() for name, call in calls.items()}
    for name in calls:
        pd.testing.assert_frame_equal(fast[name], plain[name], check_exact=True, obj=name)
    return fast


def test_speed_tricks_match_the_plain_path_on_many_respondents():
    # 20,000 people (respondent codes on two bytes, as the loader makes them): the code paths
    # count over ranges of people; every frame must equal the plain pandas path's
    import numpy as np

    rng = np.random.default_rng(7)
    people = 20_000
    qids, dims = ["q1", "q2", "q3"], ["organisation", "organisation", "decision"]
    codes = np.tile(np.arange(people, dtype=np.int16), len(qids))
    question = np.repeat(np.arange(len(qids), dtype=np.int8), people)
    rang = rng.integers(0, 6, len(codes)).astype(np.int8)  # 0: « sans avis »
    answers = pd.DataFrame(
        {
            "respondent_id": pd.Categorical.from_codes(codes, categories=range(people)),
            "question_id": pd.Categorical.from_codes(question, categories=qids),
            "type": pd.Categorical(["likert"] * len(codes)),
            "dimension": pd.Categorical.from_codes(
                np.array([0, 0, 1], np.int8)[question], categories=["organisation", "decision"]
            ),
            "rang": pd.array(np.where(rang > 0, rang, None), dtype="Int8"),
            "favorable": pd.array(np.where(rang > 0, rang >= 4, None), dtype="boolean"),
        }
    )
    profil = rng.integers(0, 3, people)
    answers["profil"] = pd.Categorical.from_codes(profil[codes], categories=["a", "b", "c"])
    assert metrics._by_dimension_rows(answers, ["profil"]) is not None
    fast = _fast_equals_plain(answers)
    assert set(fast["dimensions"]["dimension"]) == set(dims)


def test_favorable_shares_rang_mask_and_a_change_to_one_never_reaches_the_other(tmp_path):
    # trick « masque_partage »: one NA mask for rang and favorable (rows 1, 5, 6 of the
    # loader's table are NA in both); pandas copies a column before any change to it
    import numpy as np

    from rencontres_lib import speed

    r = loaded_survey(tmp_path)
    answers = metrics.scored(r.table, r.extra["questions"])
    assert np.shares_memory(answers["rang"].array._mask, answers["favorable"].array._mask)
    assert answers["favorable"].isna().tolist() == [False, True, False, False, False, True, True]
    answers.loc[0, "favorable"] = pd.NA
    answers.loc[2, "rang"] = pd.NA
    assert answers["rang"].tolist()[:3] == [5, pd.NA, pd.NA]
    assert answers["favorable"].tolist()[:3] == [pd.NA, pd.NA, False]
    answers.fillna({"rang": 0}, inplace=True)  # in place: rang's copy only
    assert answers["rang"].tolist() == [5, 0, 0, 2, 5, 0, 0]
    assert answers["favorable"].isna().tolist() == [True, True, False, False, False, True, True]
    again = metrics.scored(r.table, r.extra["questions"])  # the loader's table is untouched
    assert again["favorable"].tolist() == [True, pd.NA, False, False, True, pd.NA, pd.NA]
    with speed.without("masque_partage"):
        own = metrics.scored(r.table, r.extra["questions"])
    assert not np.shares_memory(own["rang"].array._mask, own["favorable"].array._mask)
    pd.testing.assert_frame_equal(own, again, check_exact=True)


def test_no_shared_mask_without_copy_on_write(tmp_path, monkeypatch):
    # pandas 2 without copy-on-write would change a shared mask in place for both columns
    import numpy as np

    r = loaded_survey(tmp_path)
    monkeypatch.setattr(metrics, "_copy_on_write", lambda: False)
    answers = metrics.scored(r.table, r.extra["questions"])
    assert not np.shares_memory(answers["rang"].array._mask, answers["favorable"].array._mask)
    assert answers["favorable"].isna().tolist() == answers["rang"].isna().tolist()


def test_speed_tricks_match_the_plain_path_when_people_are_not_in_order():
    # the slices of « comptes_par_tranches » need consecutive people: a table where each
    # question has its own subset of people, shuffled, takes the indexed path; same frames
    import numpy as np

    rng = np.random.default_rng(11)
    people, qids = 70_000, ["q1", "q2", "q3", "q4"]
    parts = []
    for q in range(len(qids)):
        who = np.flatnonzero(rng.random(people) < 0.9)
        if q % 2:
            rng.shuffle(who)
        parts.append((np.full(len(who), q, np.int8), who.astype(np.int32)))
    question = np.concatenate([p[0] for p in parts])
    codes = np.concatenate([p[1] for p in parts])
    rang = rng.integers(0, 6, len(codes)).astype(np.int8)
    profil = rng.integers(0, 3, people)
    answers = pd.DataFrame(
        {
            "respondent_id": pd.Categorical.from_codes(codes, categories=range(people)),
            "question_id": pd.Categorical.from_codes(question, categories=qids),
            "type": pd.Categorical(["likert"] * len(codes)),
            "dimension": pd.Categorical.from_codes(
                np.array([0, 1, 1, 0], np.int8)[question], categories=["decision", "inclusion"]
            ),
            "rang": pd.array(np.where(rang > 0, rang, None), dtype="Int8"),
            "favorable": pd.array(np.where(rang > 0, rang >= 4, None), dtype="boolean"),
            "profil": pd.Categorical.from_codes(profil[codes], categories=["a", "b", "c"]),
        }
    )
    fast = _fast_equals_plain(answers)
    # by hand for one cell: people of profile « a » with a decision answer (q1 or q4)
    dec = answers[answers["dimension"] == "decision"]
    a = dec[(dec["profil"] == "a") & dec["favorable"].notna()]
    row = fast["dimensions"].set_index(["profil", "dimension"]).loc[("a", "decision")]
    assert row["n"] == a["respondent_id"].nunique() and row["k"] == int(a["favorable"].sum())


def test_code_helpers_give_numpy_and_pandas_results():
    import numpy as np

    rng = np.random.default_rng(3)
    codes = np.repeat(np.arange(5, dtype=np.int8), 300_000)
    codes[400_000:400_010] = 4  # a block with two codes
    table = np.array([0, 2, 0, 1, 3, 0], np.int8)  # last entry: code −1
    for zero_pages in (False, True):
        got = metrics._lookup(table, codes, zero_pages)
        np.testing.assert_array_equal(got, table[codes])
        got[0] = 9  # writable
    values = pd.Series(
        rng.choice(np.array(["Lyon", "Nantes", None, "Lille"], dtype=object), 200_000),
        dtype="str",
    )
    codes, uniques = metrics._factorize_by_blocks(values)
    expected_codes, expected_uniques = pd.factorize(values.astype(object).to_numpy())
    np.testing.assert_array_equal(codes, expected_codes)
    assert uniques == list(expected_uniques)


def test_favourable_ranks_as_an_interval_or_not():
    import numpy as np

    flags = np.zeros(256, bool)
    flags[[4, 5]] = True  # ranks 4 and 5 (bytes 4, 5)
    assert metrics._span(flags) == (4, 5)
    assert metrics._span(np.zeros(256, bool)) == ()
    flags[1] = True  # 1, 4 and 5: not an interval, looked up rank by rank
    assert metrics._span(flags) is None
    flags = np.zeros(256, bool)
    flags[[255, 0, 1]] = True  # ranks −1, 0, 1 (byte 255 is −1)
    assert metrics._span(flags) == (-1, 1)
