"""Sentences and figures of the report, computed on a small hand-made meeting."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from rencontres_lib import rapport
from rencontres_lib.config import Parameters
from rencontres_lib.public import PublicTable
from rencontres_lib.rencontre import Rencontre


def small_meeting() -> Rencontre:
    params = Parameters(
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


def test_essentiel_is_computed_from_the_data():
    r = small_meeting()
    text = "\n".join(rapport.constats(r))
    # 6 active registrations (one cancelled) for 5 places; 4 present of the 5 marked present or
    # absent = 80 %; the 6th registration by date (g, « inscrit ») is beyond capacity and did not come
    assert (
        "4 personnes présentes sur 6 inscrites (80\u202f% des personnes pointées), pour 5 places ;"
        " 1 inscription au-delà de la capacité, dont 0 finalement venue." in text
    )
    # organisation: 6/8 people favourable, one statement per person → Wilson 95 % = 41–93 %
    assert (
        "Dimension la mieux perçue. « Organisation » : 75\u202f% de réponses favorables "
        "(entre 41 et 93\u202f%), 8 personnes ayant répondu." in text
    )
    assert "« Décision » : 25\u202f% de réponses favorables" in text
    # the other territory has 4 respondents (< 5): no comparison is published
    assert "autres territoires" not in text


def test_non_answers_are_never_topics_nor_quotes():
    for text in [
        "RAS",
        "ras.",
        "Rien",
        "rien à dire",
        "Je ne sais pas",
        "-",
        "pas grand chose",
        "N/A",
    ]:
        assert rapport.is_non_answer(text), text
    assert not rapport.is_non_answer("Rien ne change sans moyens dédiés")


def test_distinct_quotes_drop_repeats_and_near_copies():
    quotes = [
        ("On nous consulte trop tard.", "a"),
        ("On nous consulte trop tard !", "b"),
        ("Les élus ne rendent jamais compte.", "c"),
    ]
    assert [q for q, _ in rapport.distinct_quotes(quotes, 3)] == [
        "On nous consulte trop tard.",
        "Les élus ne rendent jamais compte.",
    ]


def test_cadrage_phase_shows_no_attendance():
    r = small_meeting()
    r.params.phase = "cadrage"
    text = "\n".join(rapport.constats(r))
    assert "présentes" not in text
    assert "6 inscriptions pour 5 places (120\u202f% de la capacité), dont 1 au-delà" in text
    assert rapport.figures(r)["inscrits"] == 6


def test_every_published_table_of_the_report_is_public(tmp_path):
    r = small_meeting()
    rep = rapport.report(r)
    sections = rep.sections()
    assert [s.key for s in sections][:2] == ["entete", "essentiel"]
    for s in sections:
        for t in s.tables.values():
            assert isinstance(t, PublicTable)
    # profiles of the present people: 3 élus (< 5) and 1 citoyen (< 5): both masked
    mix = next(s for s in sections if s.key == "participation").tables["profils"].frame
    assert mix.set_index("profil").loc[["elu", "citoyen"], "n"].isna().all()


def test_reversed_statement_is_charted_as_answered():
    """« Ce sont toujours les mêmes personnes » (inverse): bars under the labels people chose.

    Expected share computed from the raw export: complete answers (submitdate, the codebook
    says « incompletes: exclure ») in Lyon, « Sans avis » and blanks out of the base.
    """
    import csv
    from pathlib import Path

    from rencontres_lib.rencontre import load_rencontre

    root = Path(__file__).resolve().parents[1]
    with open(root / "data/exemple/questionnaire.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["TERRITOIRE"] == "Lyon" and r["submitdate"]]
    in_scale = [row["INC[SQ002]"] for row in rows]
    in_scale = [v for v in in_scale if v and v != "Sans avis"]
    expected = in_scale.count("Plutôt d'accord") / len(in_scale)

    r = load_rencontre(root / "parameters/lyon.yaml")
    section = rapport.report(r).dimensions_section()
    fig = next(
        b.args[0]
        for b in section.blocks
        if b.kind == "chart" and "affirmations" in b.args[0].layout.meta["title"]
    )
    trace = next(t for t in fig.data if t.name.replace("\u2019", "'") == "Plutôt d'accord")
    row = next(i for i, y in enumerate(trace.y) if "Ce sont toujours" in y.replace("<br>", " "))
    assert abs(trace.x[row]) == pytest.approx(expected)
    assert expected > 0.3  # the example's Lyon answers: 39 % « Plutôt d'accord »


def test_a_filter_matching_no_row_is_an_error_naming_the_near_value(project):
    from rencontres_lib.rencontre import load_rencontre

    p = project / "parameters/lyon.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("territoire: Lyon ", "territoire: lyon "))
    r = load_rencontre(p)
    errors = [f.french() for f in r.findings() if f.level == "erreur"]
    # 196 Lyon rows in the export, 8 without submitdate (excluded by the codebook): 188
    assert any("questionnaire.csv" in e and "« Lyon » (188)" in e for e in errors), errors


def test_a_quote_that_may_still_identify_someone_is_never_chosen():
    """What the scrubbing missed (a handle, a full-width at sign, « arobase », an IBAN) keeps a
    text out of the quotes; dates and year ranges do not."""
    from rencontres_lib.rapport import distinct_quotes

    cands = [
        ("Contactez-moi sur twitter @jeanne_martin, super journée", "a"),
        ("jeanne.martin＠example.org : très bien", "b"),
        ("jeanne point martin arobase example point org", "c"),
        ("Mon IBAN FR76 3000 6000 0112 3456 7890 189 pour le défraiement", "d"),
        ("Une vraie écoute, le 14/03/2025, et un calendrier 2025-2026 clair.", "e"),
        ("Des ateliers bien animés.", "f"),
    ]
    assert distinct_quotes(cands, 3) == [cands[4], cands[5]]
