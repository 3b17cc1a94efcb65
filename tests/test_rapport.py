"""Sentences and figures of the report, computed on a small hand-made meeting."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from rencontres_lib import rapport
from rencontres_lib.config import Parametres
from rencontres_lib.rencontre import Rencontre


def small_meeting() -> Rencontre:
    params = Parametres(
        territoire="Territoire test",
        slug="test",
        date=dt.date(2025, 3, 14),
        capacite=5,
        phase="compte_rendu",
        filtre={"territoire": "Test"},
    )
    # 8 respondents here, 4 elsewhere; organisation: 6/8 favourable here, 1/4 elsewhere
    ids = [str(i) for i in range(12)]
    respondents = pd.DataFrame(
        {
            "respondent_id": ids,
            "profil": ["elu"] * 6 + ["citoyen"] * 6,
            "territoire": ["Test"] * 8 + ["Ailleurs"] * 4,
        }
    )
    fav_org = [True] * 6 + [False] * 2 + [True] + [False] * 3
    fav_dec = [True] * 2 + [False] * 6 + [False] * 4
    rows = []
    for i, f in zip(ids, fav_org, strict=True):
        rows.append((i, "org_1", "organisation", 4 if f else 2, f))
    for i, f in zip(ids, fav_dec, strict=True):
        rows.append((i, "dec_1", "decision", 4 if f else 2, f))
    answers = pd.DataFrame(
        rows, columns=["respondent_id", "question_id", "dimension", "rang", "favorable"]
    )
    answers["type"] = "likert"
    answers["valeur"] = ""
    answers["favorable"] = answers["favorable"].astype("boolean")
    questions = pd.DataFrame(
        {
            "question_id": ["org_1", "dec_1"],
            "texte": ["L'organisation a changé.", "Les décisions ont changé."],
            "echelle": ["accord5", "accord5"],
            "type": "likert",
            "dimension": ["organisation", "decision"],
        }
    )
    inscriptions = pd.DataFrame(
        {
            "participant_id": list("abcdefg"),
            "profil": ["elu"] * 4 + ["citoyen"] * 3,
            "statut": ["present", "present", "present", "absent", "present", "annule", "inscrit"],
            "departement": "69",
            "date_inscription": pd.to_datetime(["2025-03-01"] * 7),
        }
    )
    return Rencontre(
        params,
        answers=answers,
        respondents=respondents,
        questions=questions,
        inscriptions=inscriptions,
    )


def test_key_sentences_are_computed_from_the_data():
    r = small_meeting()
    sentences = rapport.constats(r)
    text = "\n".join(sentences)
    # 6 active registrations (one cancelled) for 5 places → 1 waiting
    assert (
        "6\u202finscriptions pour 5\u202fplaces" in text.replace(" ", "\u202f")
        or "6 inscriptions pour 5 places" in text
    )
    assert "1 personne sur liste d'attente" in text
    # attendance: 4 present out of 5 marked present/absent
    assert "80\u202f% des personnes inscrites et pointées étaient présentes (4 personnes)" in text
    # organisation 6/8 = 75 %, Wilson 95 % interval 41–93 % (computed by hand)
    assert (
        "75\u202f% des réponses jugent favorablement la dimension « Organisation » (IC 95\u202f% : 41–93\u202f%, n = 8)"
        in text
    )
    # decision 2/8 = 25 %, the least well perceived
    assert "« Décision » est la moins bien perçue : 25\u202f% de réponses favorables" in text
    # largest gap: organisation 75 % here vs 25 % elsewhere (decision: 25 % vs 0 %)
    assert (
        "« L'organisation a changé. » recueille 75\u202f% de réponses favorables ici, contre 25\u202f% ailleurs (plus favorable)"
        in text
    )


def test_cadrage_phase_shows_no_attendance():
    r = small_meeting()
    r.params.phase = "cadrage"
    text = "\n".join(rapport.constats(r))
    assert "présentes" not in text
    figures = rapport.figures(r)
    assert figures["inscrits"] == 6
