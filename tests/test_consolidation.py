"""Tests of rencontres_lib.consolidation: hand-computed values, then the labelled sets.

The labelled sets are ``tests/fixtures/consolidation/paraphrases.yaml`` (written for the
tests) and the example's ground truth (``exemple_verite.yaml``, from data/exemple/LISEZMOI.md).
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from rencontres_lib import consolidation as c
from rencontres_lib.errors import ConfigError

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "consolidation"
EXAMPLE = HERE.parent / "data" / "exemple"


def labelled_set() -> pd.DataFrame:
    """The labelled set, with its block ``lot``: ``reglage`` (ideas 1–9, p01–p36, where
    thresholds are chosen), ``controle`` (ideas 10–18, p37–p74) and ``inedit`` (ideas 19–26,
    written after the synonym dictionary and the settings, marked in the file)."""
    rows = yaml.safe_load((FIXTURES / "paraphrases.yaml").read_text(encoding="utf-8"))
    df = pd.DataFrame(rows["propositions"])
    number = df["id"].str[1:].astype(int)
    given = df["lot"] if "lot" in df.columns else pd.Series(pd.NA, index=df.index)
    df["lot"] = given.fillna(number.map(lambda n: "reglage" if n <= 36 else "controle"))
    return df


def example_set() -> pd.DataFrame:
    """Every proposal of the four example files, labelled with the documented ideas."""
    truth = yaml.safe_load((FIXTURES / "exemple_verite.yaml").read_text(encoding="utf-8"))
    idea = {(m["territoire"], m["titre"]): k for k, ms in truth["idees"].items() for m in ms}
    frames = []
    for f in sorted(EXAMPLE.glob("propositions_*.csv")):
        t = pd.read_csv(f, sep=";", dtype=str, keep_default_na=False)
        slug = f.stem.split("_", 1)[1]
        frames.append(
            pd.DataFrame({"territoire": slug, "titre": t["title/fr"], "corps": t["body/fr"]})
        )
    df = pd.concat(frames, ignore_index=True)
    df["idee"] = [
        idea.get((t, ti), f"seule-{i}")
        for i, (t, ti) in enumerate(zip(df["territoire"], df["titre"], strict=True))
    ]
    return df


# ------------------------------------------------------------------------ pure functions


def test_pairwise_scores_by_hand() -> None:
    truth = ["a", "a", "a", "b", "b", "c"]  # true pairs: 01 02 12 34
    groups = [1, 1, 2, 2, 3, 3]  # predicted pairs: 01 23 45
    assert c.pairwise_scores(truth, groups) == (1 / 3, 1 / 4)
    assert c.pairwise_scores(truth, list(range(6))) == (1.0, 0.0)  # nothing predicted
    assert c.pairwise_scores(["x", "y"], [1, 1]) == (0.0, 1.0)  # nothing true
    # only the pairs whose later row is marked: true 12 34, predicted 23 45 → 0 of 2, 0 of 2
    within = [False, False, True, False, True, True]
    assert c.pairwise_scores(truth, groups, within) == (0.0, 0.0)
    # marked rows 1 and 4: true 01 34, predicted 01 → 1 of 1, 1 of 2
    within = [False, True, False, False, True, False]
    assert c.pairwise_scores(truth, groups, within) == (1.0, 0.5)


def test_suggestion_hit_rate_by_hand() -> None:
    truth = ["a", "a", "b", "c"]
    sugg = [[(2, 0.9), (1, 0.5)], [(3, 0.4)], [(0, 0.2)], []]
    assert c.suggestion_hit_rate(truth, sugg) == 0.5  # rows 0 and 1 have a partner; row 0 finds it
    assert c.suggestion_hit_rate(truth, sugg, [False, True, True, True]) == 0.0  # row 1 only


def test_cluster_average_linkage_by_hand() -> None:
    sim = np.array([[1.0, 0.6, 0.5], [0.6, 1.0, 0.3], [0.5, 0.3, 1.0]])
    # 0 and 1 merge (0.6); then {0, 1} and 2: mean similarity (0.5 + 0.3) / 2 = 0.4
    assert c.cluster(sim, 0.45).tolist() == [1, 1, 2]
    assert c.cluster(sim, 0.4).tolist() == [1, 1, 1]
    assert c.cluster(sim, 0.61).tolist() == [1, 2, 3]
    assert c.cluster(np.ones((1, 1))).tolist() == [1]
    with pytest.raises(ValueError, match="seuil"):
        c.cluster(sim, 0)


def test_similarity_matrix_tfidf_by_hand() -> None:
    sim = c.similarity_matrix([["a", "b"], ["a", "c"], []])
    # smoothed idf: a → 1 + ln(4/3), b and c → 1 + ln(4/2); a third, empty document counts
    ia, ib = 1 + math.log(4 / 3), 1 + math.log(2)
    assert sim[0, 1] == pytest.approx(ia**2 / (ia**2 + ib**2))
    assert sim[0, 0] == sim[2, 2] == 1.0 and sim[0, 2] == 0.0
    assert c.similarity_matrix([]).shape == (0, 0)


def test_suggestions_order_and_floor() -> None:
    sim = np.array([[1.0, 0.3, 0.05, 0.6], [0.3, 1, 0, 0], [0.05, 0, 1, 0], [0.6, 0, 0, 1]])
    out = c.suggestions(sim, k=3, minimum=0.1)
    assert out[0] == [(3, 0.6), (1, 0.3)]  # 0.05 is under the floor
    assert out[2] == []


def test_strip_boilerplate() -> None:
    closer = "Cela pourrait commencer par un quartier test."
    bodies = [f"Un. {closer}", f"Deux !\n{closer}", f"Trois ? {closer}", "Quatre."]
    assert c.strip_boilerplate(bodies) == ["Un.", "Deux !", "Trois ?", "Quatre."]
    assert c.strip_boilerplate(bodies[:2]) == ["Un. " + closer, "Deux ! " + closer]


# ----------------------------------------------------------------- spaCy terms, synonyms


def test_synonyms_bring_different_words_together() -> None:
    terms = c.proposal_terms(
        ["Indemniser les citoyens tirés au sort", "Défrayer les personnes tirées au sort"],
        ["", ""],
    )
    assert terms[0].count("§indemniser") == terms[1].count("§indemniser") == 2  # title × 2
    assert "§tirage_au_sort" in terms[0] and "§tirage_au_sort" in terms[1]
    # « consultation » and « concertation » are one concept, too common to tell ideas apart
    assert c.proposal_terms(["Une consultation"], [""]) == c.proposal_terms(
        ["Une concertation"], [""]
    )


def test_vague_titles_count_once() -> None:
    assert c.vague_title("Et les jeunes dans tout ça ?")
    assert c.vague_title("Trois mois pour avoir le compte rendu !")
    assert not c.vague_title("Créer un conseil des jeunes")
    vague, plain = c.proposal_terms(
        ["Et les jeunes dans tout ça ?", "Les jeunes et la ville"], ["Un conseil.", "Un conseil."]
    )
    assert vague.count("§jeune") == 1 and plain.count("§jeune") == 2
    assert vague.count("conseil") == plain.count("conseil") == 1  # the body counts once


def test_sentence_encoder_finds_a_paraphrase_without_common_words() -> None:
    sim = c.sentence_similarity(
        [
            "Traduire les documents de la concertation en plusieurs langues",
            "Des supports multilingues pour les habitants",
            "Limiter la durée des réunions publiques à deux heures",
        ]
    )
    assert sim.shape == (3, 3) and np.allclose(np.diag(sim), 1.0) and np.allclose(sim, sim.T)
    assert sim[0, 1] > sim[0, 2] and sim[0, 1] > sim[1, 2]
    assert c.sentence_similarity([]).shape == (0, 0)


def test_suggestions_mix_terms_and_sentences() -> None:
    titles = [
        "Traduire les supports de concertation",
        "Des documents multilingues",
        "Limiter la durée des réunions publiques",
    ]
    df = pd.DataFrame({"titre": titles, "corps": ["", "", ""]})
    with_encoder, terms_only = c.consolidate(df), c.consolidate(df, sentences=False)
    assert terms_only.groupe.tolist() == with_encoder.groupe.tolist()  # groups: terms only
    assert np.array_equal(terms_only.similarity, with_encoder.similarity)
    # a suggestion's value is the mean of the two cosines (terms, sentence encoder), ≥ 0.1
    mean = (terms_only.similarity + c.sentence_similarity(titles)) / 2
    assert with_encoder.suggestions[0][0] == (1, pytest.approx(mean[0, 1]))
    assert mean[2, 0] < c.SUGGESTION_MIN and mean[2, 1] < c.SUGGESTION_MIN
    assert with_encoder.suggestions[2] == []


def test_user_synonyms_file(tmp_path) -> None:
    f = tmp_path / "syn.yaml"
    f.write_text(
        "etendre: true\nsynonymes:\n  velo: [vélo, bicyclette, cycliste]\n", encoding="utf-8"
    )
    syn = c.load_synonyms(f)
    assert syn.table[("bicyclette",)] == "velo"
    assert syn.table[("indemniser",)] == "indemniser"  # the built-in ones are kept
    bad = tmp_path / "bad.yaml"
    bad.write_text("synonymes: [a, b]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="synonymes"):
        c.load_synonyms(bad)


def test_consolidate_empty_and_missing_title() -> None:
    out = c.consolidate(pd.DataFrame({"titre": [], "corps": []}))
    assert out.groupe.tolist() == [] and out.suggestions == []
    with pytest.raises(ValueError, match="titre"):
        c.consolidate(pd.DataFrame({"nom": ["x"]}))


# ------------------------------------------------------------------------ labelled sets


def test_labelled_set_is_what_the_issue_asks() -> None:
    df = labelled_set()
    sizes = Counter(df["idee"])
    repeated = [k for k, n in sizes.items() if n > 1]
    assert len(df) >= 60 and df["id"].is_unique
    assert len(repeated) >= 15 and all(2 <= sizes[k] <= 4 for k in repeated)
    assert df["titre"].str.contains("Et les jeunes dans tout ça").any()
    assert df.get("piege", pd.Series(dtype=object)).fillna(False).astype(bool).sum() >= 15
    assert set(df["territoire"]) >= {"Rennes", "Dijon", "Tours"}
    blocks = df.groupby("lot")["idee"].agg(lambda s: sum(n > 1 for n in Counter(s).values()))
    assert blocks.to_dict() == {"controle": 9, "inedit": 8, "reglage": 9}


@pytest.fixture(scope="module")
def scores() -> dict[str, tuple[float, float, float]]:
    out = {}
    lab = labelled_set()
    res = c.consolidate(lab)
    truth = list(lab["idee"])
    for block in (None, "reglage", "controle", "inedit"):
        within = None if block is None else list(lab["lot"] == block)
        out[block or "test"] = (
            *c.pairwise_scores(truth, list(res.groupe), within),
            c.suggestion_hit_rate(truth, res.suggestions, within),
        )
    example = example_set()
    built = example[example["territoire"] != "lille"].reset_index(drop=True)  # Lille: cadrage
    for name, df in (("exemple", example), ("construction", built)):
        res = c.consolidate(df)
        truth = list(df["idee"])
        out[name] = (
            *c.pairwise_scores(truth, list(res.groupe)),
            c.suggestion_hit_rate(truth, res.suggestions),
        )
    return out


def test_example_ground_truth(scores) -> None:
    precision, recall, hits = scores["exemple"]
    assert precision >= 0.9 and recall >= 0.8 and hits >= 0.85
    precision, recall, hits = scores["construction"]
    assert precision >= 0.9 and recall >= 0.8


def test_labelled_set_precision_and_suggestions(scores) -> None:
    precision, recall, hits = scores["test"]
    assert precision >= 0.9  # a wrong merge in a public report is worse than a miss
    assert hits >= 0.85  # a true partner among the ≤ 3 suggestions shown
    for block in ("reglage", "controle", "inedit"):
        assert scores[block][0] >= 0.9, block
    # recall on this harder set is below the 0.6 aimed at (README, « Regroupement »): the
    # groups need shared terms, and the unseen block (written after the synonym dictionary)
    # shares almost none; its suggestions come mostly from the sentence encoder
    assert recall >= 0.2
    assert scores["inedit"][2] >= 0.5


def test_template_sentences_are_found_within_each_territory():
    """A closing sentence in 3 bodies over all rows is a template; split by territory it is in
    2 and 1 bodies, below BOILERPLATE_MIN (3): kept, as the synthesis reads it."""
    closer = "Merci de votre lecture."
    df = pd.DataFrame(
        {
            "titre": ["A", "B", "C", "D"],
            "corps": [f"Un. {closer}", f"Deux. {closer}", f"Trois. {closer}", "Quatre."],
            "slug": ["x", "x", "y", "y"],
        }
    )
    assert c.texts_of(df)[1] == ["Un.", "Deux.", "Trois.", "Quatre."]
    assert c.texts_of(df, by="slug")[1] == list(df["corps"])


def test_warmed_cache_spares_both_models_and_changes_nothing(tmp_path, monkeypatch):
    """After warm(), consolidate() with the same cache loads neither spaCy (nor the synonyms,
    which need it) nor the sentence encoder, and gives the same groups, similarities and
    suggestions as without any cache."""
    df = pd.DataFrame(
        {
            "titre": [
                "Annoncer ce qui est négociable",
                "Afficher les marges de manœuvre",
                "Indemniser les habitants",
                "Et les jeunes dans tout ça ?",
            ],
            "corps": ["", "Avant chaque concertation.", "Défrayer les contributeurs.", ""],
            "slug": ["lyon", "nantes", "lyon", "nantes"],
        }
    )
    cache = tmp_path / "cache.sqlite"
    plain = c.consolidate(df, by="slug")
    assert c.warm(df, by="slug", cache=cache) == 4

    def no_model():
        raise AssertionError("un modèle a été chargé malgré le cache")

    monkeypatch.setattr(c, "nlp", no_model)
    monkeypatch.setattr(c, "encoder", no_model)
    c._load_synonyms.cache_clear()
    try:
        cached = c.consolidate(df, by="slug", cache=cache)
    finally:
        c._load_synonyms.cache_clear()  # never keep a dictionary read under the fake model
    assert cached.groupe.tolist() == plain.groupe.tolist()
    assert np.array_equal(cached.similarity, plain.similarity)
    assert cached.suggestions == plain.suggestions
    # a new proposal misses the cache: the model is needed again
    more = pd.concat([df, pd.DataFrame({"titre": ["Nouvelle idée"], "corps": [""]})])
    with pytest.raises(AssertionError, match="malgré le cache"):
        c.consolidate(more.reset_index(drop=True), by="slug", cache=cache)
