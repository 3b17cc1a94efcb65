"""Tests of rencontres_lib.text: every expected value below is worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rencontres_lib.errors import ConfigError
from rencontres_lib.text import (
    STOP_WORDS,
    assign_themes,
    auto_topics,
    load_themes,
    meaningful_words,
    representative_quotes,
    similarity,
    stem,
    theme_shares,
    tokens,
    topic_label,
)
from rencontres_lib.vocabulary import fold

# --------------------------------------------------------------------- tokeniser, stemmer


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (
            "participations participation participatif participative participer participants",
            "particip",
        ),
        ("citoyen citoyens citoyenne citoyennes Citoyennes", "citoyen"),
        ("décision décisions décider décideurs", "decid"),
        ("transparence transparent transparente transparentes", "transpar"),
        ("accessibilité accessible accessibles", "acces"),
        ("formation formations former formé formées formateur", "form"),
        ("démocratie démocratique démocratiques", "democrat"),
        ("données donnée donner donné", "don"),
        ("locaux local", "local"),
        ("réseaux réseau", "reseau"),
        ("élus élu élue élues", "elu"),
    ],
)
def test_stem_collapses_families(words: str, expected: str) -> None:
    assert {stem(w) for w in words.split()} == {expected}


def test_stem_keeps_apart_what_differs() -> None:
    assert stem("forme") == "forme" != stem("formé")  # « sous forme de » is not « formé »
    assert stem("défiance") != stem("défis")
    assert stem("site") != stem("situation")
    assert stem("مرحبا") == "مرحبا"  # non-Latin words are kept as they are
    assert stem("2026") == "2026"
    assert stem("") == ""


def test_fold() -> None:
    assert fold("  L’Été\tÀ  Lyon\n") == "l'ete a lyon"
    assert fold("Œuvre commune") == "oeuvre commune"
    assert fold(None) == fold(float("nan")) == fold(pd.NA) == ""
    assert fold(12) == "12"


def test_tokens_drop_stop_words_and_elisions() -> None:
    question = "Quelles avancées la participation a-t-elle permises ?"
    assert tokens(question) == ["avancees", "participation", "permises"]
    assert tokens(question, stemmed=True) == ["avanc", "particip", "permis"]
    assert tokens("L'information d’abord, qu'on s'implique") == ["information", "abord", "implique"]
    assert tokens("Nous avons fait cela pour eux et avec elles") == []
    assert tokens("aujourd'hui, en 2026, 3 fois") == ["2026"]
    assert not {"le", "la", "les", "de", "des", "et", "pour", "dans", "nous"} - STOP_WORDS
    assert tokens(None) == tokens("") == tokens("🙂🎉") == []
    assert tokens("مرحبا بالعالم") == ["مرحبا", "بالعالم"]


# ---------------------------------------------------------------------------------- themes

ANSWERS = pd.Series(
    [
        "Le manque de moyens humains : une seule personne au service, sans budget dédié.",
        "Les élus ne tiennent pas compte des avis, la décision est déjà prise.",
        "On voit toujours les mêmes personnes, les jeunes et les quartiers prioritaires ne viennent pas.",
        "Aucun retour aux habitants sur les suites données à leurs propositions.",
        "Une plateforme en ligne a permis de toucher un nouveau public.",
        "Intégrer la participation dans les programmes des candidats aux municipales de 2026.",
        "Former les agents et les élus à l'animation, mieux expliquer les règles du jeu.",
        "Des liens plus forts entre voisins.",
    ],
    index=range(10, 18),
)


def test_builtin_themes() -> None:
    themes = load_themes()
    ids = [t.id for t in themes]
    assert ids == [
        "moyens",
        "decision",
        "inclusion",
        "transparence",
        "redevabilite",
        "numerique",
        "elections_2026",
        "formation",
        "confiance",
    ]
    assert {t.dimension for t in themes} == {
        "organisation",
        "decision",
        "inclusion",
        "transparence",
        "redevabilite",
        None,
    }
    assert all(t.libelle and t.mots_cles for t in themes)


def test_assign_themes_on_eight_answers() -> None:
    found = assign_themes(ANSWERS, load_themes())
    by_answer = found.groupby("index")["theme"].apply(set).to_dict()
    assert by_answer == {
        10: {"moyens"},  # moyens, service, budget
        11: {"decision"},  # élus, décision
        12: {"inclusion"},  # toujours les mêmes, jeunes, quartiers prioritaires
        13: {"redevabilite"},  # retour, suites données
        14: {"numerique"},  # plateforme, en ligne
        15: {"elections_2026"},  # programmes, candidats, municipales, 2026
        16: {"moyens", "decision", "transparence", "formation"},  # agents, élus, règles, former
    }  # answer 17 matches no theme
    row = found[(found["index"] == 12)].iloc[0]
    assert row["mots"] == "jeunes, quartiers prioritaires, mêmes personnes, toujours les mêmes"
    assert found.loc[found["index"] == 10, "mots"].item() == "moyens, budget, service"


def test_expressions_match_whole_words_in_order() -> None:
    themes = load_themes()
    texts = pd.Series(
        [
            "Une ligne budgétaire dédiée",  # budgétaire, but not « en ligne »
            "Une situation compliquée",  # « site » must not match « situation »
            "Les quartiers sont prioritaires",  # expression interrupted
            "Vote EN LIGNE ouvert",
        ]
    )
    assert assign_themes(texts, themes)[["index", "theme"]].values.tolist() == [
        [0, "moyens"],
        [3, "numerique"],
    ]


def test_theme_shares_exact_counts() -> None:
    texts = pd.concat([ANSWERS, pd.Series(["", "   ", None, np.nan], index=range(20, 24))])
    shares = theme_shares(texts, load_themes())
    assert list(shares.columns) == ["theme", "libelle", "dimension", "n", "part"]
    assert shares[["theme", "n"]].values.tolist() == [
        ["moyens", 2],
        ["decision", 2],
        ["inclusion", 1],
        ["transparence", 1],
        ["redevabilite", 1],
        ["numerique", 1],
        ["elections_2026", 1],
        ["formation", 1],
        ["autres", 1],  # answer 17 alone: no automatic topic reaches 3 answers
    ]
    # 8 non-empty answers: the 4 blank ones are not counted
    assert shares["part"].tolist() == pytest.approx([2 / 8] * 2 + [1 / 8] * 7)
    assert shares["libelle"].iloc[-1] == "Autres sujets"
    assert shares["dimension"].iloc[0] == "organisation"


def test_load_themes_user_file_and_errors(tmp_path) -> None:
    extra = tmp_path / "mes_themes.yaml"
    extra.write_text(
        "etendre: true\nthemes:\n"
        "  - id: logement\n    libelle: Logement\n    mots_cles: [logement, loyers]\n"
        "  - id: numerique\n    libelle: Outils en ligne\n    mots-clés: [plateforme]\n",
        encoding="utf-8",
    )
    themes = load_themes(extra)
    assert len(themes) == 10
    assert [t.libelle for t in themes if t.id == "numerique"] == ["Outils en ligne"]
    assert [t.id for t in themes][-2:] == ["logement", "numerique"]

    alone = tmp_path / "seul.yaml"
    alone.write_text("- id: logement\n  libelle: Logement\n  mots_cles: [loyer]\n", "utf-8")
    assert [t.id for t in load_themes(alone)] == ["logement"]

    cases = {
        "themes: [\n  - id: a\n": "YAML illisible",
        "themes:\n  - id: a\n    libelle: A\n": "mots_cles",
        "themes:\n  - id: a\n    libelle: A\n    mots_cles: []\n": "mots_cles",
        "themes:\n  - id: a\n    libelle: A\n    dimension: budget\n    mots_cles: [x]\n": "dimension",
        "themes:\n  - id: A B\n    libelle: A\n    mots_cles: [x]\n": "« id »",
        "themes:\n  - {id: a, libelle: A, mots_cles: [x]}\n  - {id: a, libelle: B, mots_cles: [y]}\n": "double",
        "autre: 1\n": "themes",
    }
    for number, (content, key) in enumerate(cases.items()):
        bad = tmp_path / f"mauvais_{number}.yaml"
        bad.write_text(content, encoding="utf-8")
        with pytest.raises(ConfigError) as error:
            load_themes(bad)
        assert f"mauvais_{number}.yaml" in str(error.value)
        assert key in str(error.value)
    with pytest.raises(ConfigError, match="introuvable"):
        load_themes(tmp_path / "absent.yaml")


# ---------------------------------------------------------------------------- auto topics

CORPUS = pd.Series(
    [
        "Les liens entre voisins se renforcent",
        "De nouveaux liens entre voisins",
        "Des liens de voisinage plus forts",
        "Le cadre de vie du quartier s'améliore",
        "Amélioration du cadre de vie",
        "Un meilleur cadre de vie pour tous",
        "Rien à signaler",
        "Je ne sais pas",
        "",
        None,
    ]
)


def test_auto_topics_exact_and_deterministic() -> None:
    topics = auto_topics(CORPUS)
    # « cadr », « vie » and the bigram « cadr vie » are in 3 answers: the bigram wins the tie;
    # « amelior » (améliore, amélioration) is in 2 of its 3 answers, so it joins the label.
    # Then « lien » (3 answers) with « voisin » (2 answers), written side by side « liens entre
    # voisins » in two answers; the rest reaches no 3 answers.
    cadre, liens = "Sujet : « cadre de vie, amélioration »", "Sujet : « liens entre voisins »"
    assert topics.values.tolist() == [
        [0, "sujet_2", liens],
        [1, "sujet_2", liens],
        [2, "sujet_2", liens],
        [3, "sujet_1", cadre],
        [4, "sujet_1", cadre],
        [5, "sujet_1", cadre],
        [6, "autres", "Divers"],
        [7, "autres", "Divers"],
    ]  # blank answers 8 and 9 are left out
    assert auto_topics(CORPUS).equals(topics)
    assert auto_topics(CORPUS[::-1]).sort_values("index").values.tolist() == topics.values.tolist()
    assert set(auto_topics(CORPUS, n_topics=1)["topic"]) == {"sujet_1", "autres"}
    assert set(auto_topics(CORPUS, n_topics=0)["topic"]) == {"autres"}


def test_auto_topics_skip_general_words() -> None:
    texts = pd.Series(
        [
            "Participation et logement abordable",
            "Participation, logement abordable et social",
            "La participation pour le logement abordable",
            "Participation des jeunes",
            "Participation en ligne",
        ]
    )
    # « particip » is in 5 answers > max(3, 0.6 × 5): too general, and so are its bigrams;
    # « logement abordabl » (3 answers) wins the tie with its words, written as in the answers
    topics = auto_topics(texts)
    assert topics["libelle"].tolist() == ["Sujet : « logement abordable »"] * 3 + ["Divers"] * 2


def test_theme_shares_with_auto_topics() -> None:
    shares = theme_shares(CORPUS, load_themes())
    assert shares.values.tolist()[0][:2] == ["sujet_1", "Sujet : « cadre de vie, amélioration »"]
    assert shares[["theme", "n"]].values.tolist() == [
        ["sujet_1", 3],
        ["sujet_2", 3],
        ["autres", 2],
    ]
    assert shares["part"].tolist() == pytest.approx([3 / 8, 3 / 8, 2 / 8])


# ---------------------------------------------------------------------- representative quotes


def test_representative_quotes() -> None:
    central = "Le manque de moyens humains et de budget freine tous les projets de participation."
    texts = pd.Series(
        {
            100: central,
            101: central,  # exact duplicate: never quoted twice
            102: "Pas de budget.",  # too short: last
            103: "Les moyens manquent : il faudrait un budget dédié et une équipe pour animer.",
            104: "Les moyens manquent. " + "Nous avons besoin de temps et de personnes. " * 8,
            105: "Des liens plus forts entre voisins.",  # another theme
        }
    )
    assignments = assign_themes(texts, load_themes())
    assert set(assignments.loc[assignments["theme"] == "moyens", "index"]) == {
        100,
        101,
        102,
        103,
        104,
    }
    # 60–300 characters first (100, 101, 103), the most central first (100 and 101 share all
    # their words, tie broken by position), 101 skipped as identical; then too long (104).
    assert representative_quotes(texts, assignments, "moyens") == [100, 103, 104]
    assert representative_quotes(texts, assignments, "moyens", k=2) == [100, 103]
    assert representative_quotes(texts, assignments, "moyens", k=5) == [100, 103, 104, 102]
    assert representative_quotes(texts, assignments, "confiance") == []
    assert representative_quotes(texts, assignments.iloc[0:0], "moyens") == []
    topics = auto_topics(CORPUS)
    quotes = representative_quotes(CORPUS, topics, "sujet_1", k=2)
    assert len(quotes) == len(set(quotes)) == 2 and set(quotes) <= {3, 4, 5}


# ------------------------------------------------------------------------- similarity


def test_similarity() -> None:
    a = "Créer un budget participatif dédié aux quartiers prioritaires"
    b = "Mettre en place un budget participatif réservé aux quartiers prioritaires"
    c = "Former les élus à l'animation de la concertation"
    assert similarity(a, a) == 1.0
    assert similarity(a, b) == similarity(b, a)
    assert similarity(a, c) < 0.2 < similarity(a, b) < 1
    assert similarity("", "") == similarity(None, a) == 0.0
    assert similarity("🙂", "🙂") == 1.0 and 0 <= similarity("🙂", "שלום") <= 1


# --------------------------------------------------------------------------- empty inputs


@pytest.mark.parametrize(
    ("texts", "quotes"),
    [
        (pd.Series([], dtype=object), []),
        (pd.Series(["", "   ", None, np.nan, pd.NA]), []),
        (pd.Series(["🙂🎉", "مرحبا بالعالم", "שלום עולם", "😀 budget 😀", "\u200f\u202e"]), [3]),
    ],
)
def test_empty_and_unusual_texts(texts: pd.Series, quotes: list[int]) -> None:
    themes = load_themes()
    assigned = assign_themes(texts, themes)
    assert assigned["index"].tolist() == quotes  # only « budget » (moyens) can match
    shares = theme_shares(texts, themes)
    assert shares["n"].sum() == len(texts) - sum(not fold(t) for t in texts)
    assert set(auto_topics(texts)["index"]) <= set(texts.index)
    assert representative_quotes(texts, assigned, "moyens") == quotes


# ---------------------------------------------------------------------------- topic labels


def test_topic_label_keeps_only_meaningful_words() -> None:
    # the answers' meaningful words (spaCy: nouns, adjectives, verbs, no stop word) by stem
    members = [
        [("contributions", "contribution"), ("prises", "prendre"), ("dérangent", "déranger")],
        [("contributions", "contribution"), ("dérangent", "déranger")],
        [("dérangent", "déranger"), ("publier", "publier")],
    ]
    # « compris » (y compris) and « celles » are no meaningful word: never in the label
    assert topic_label(["compri derang", "contribu"], members) == "dérangent, contributions"
    # one meaningful lemma only (« jamais » is an adverb): not named
    assert topic_label(["jamai derang"], members) is None
    assert topic_label(["jamai", "celle"], members) is None
    # two words of one lemma count once
    same = [[("réunion", "réunion"), ("réunions", "réunion")]]
    assert topic_label(["reunion", "reunion"], same) is None
    # a bigram of two meaningful words is shown as written
    life = [[("cadre", "cadre"), ("vie", "vie")], [("cadre", "cadre"), ("vie", "vie")]]
    assert topic_label(["cadr vie"], life, {"cadr vie": "cadre de vie"}) == "cadre de vie"
    # two single terms written side by side in the answers: shown as written, in their order
    lot = [[("tirage", "tirage"), ("sort", "sort"), ("citoyens", "citoyen")]] * 3
    written = {"tirag sort": "tirage au sort"}
    assert topic_label(["sort", "tirag", "citoyen"], lot, written) == "tirage au sort, citoyens"
    assert topic_label(["sort", "tirag", "citoyen"], lot) == "sort, tirage, citoyens"


def test_unnamed_topic_joins_other_subjects() -> None:
    texts = pd.Series(
        [
            "Y compris celles qui dérangent, toujours.",
            "Y compris celles qui dérangent !",
            "Toutes, y compris celles qui dérangent",
            "Le bus de nuit",
        ]
    )

    def only_verbs(batch: list[str]) -> list[list[tuple[str, str]]]:
        return [[("dérangent", "déranger")] if "dérangent" in t else [] for t in batch]

    topics = auto_topics(texts, tagger=only_verbs)
    # the three answers make a group (« compri derang »), but one meaningful lemma cannot
    # name it: every answer is « Divers » (« Autres sujets » in theme_shares)
    assert topics["topic"].tolist() == ["autres"] * 4
    shares = theme_shares(texts, [])
    assert shares[["theme", "libelle", "n"]].values.tolist() == [["autres", "Autres sujets", 4]]


def test_meaningful_words_with_spacy(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("RENCONTRES_NER_CACHE", str(tmp_path / "ner.sqlite"))
    words = meaningful_words(
        ["Que toutes les contributions soient prises en compte, y compris celles qui dérangent."]
    )[0]
    lemmas = {lemma for _, lemma in words}
    assert {"contribution", "déranger"} <= lemmas
    assert not {"compris", "celui", "qui", "y", "tout"} & lemmas
