"""The public gate: only PublicTable reaches a published file or chart, small groups masked."""

from __future__ import annotations

import pandas as pd
import pytest

from rencontres_lib import public
from rencontres_lib.errors import RencontresError
from rencontres_lib.exports import write_csv
from rencontres_lib.public import PublicTable, aggregate, people_groups, people_table


def test_a_public_table_cannot_be_made_by_hand():
    frame = pd.DataFrame({"n": [1]})
    with pytest.raises(TypeError):
        PublicTable(frame, frame.astype(bool), 5, "personnes")


def test_people_groups_primary_and_secondary_against_the_total():
    # profiles of 30 people: 20, 6, 3, 1 → 3 and 1 are primary; with a published total of 30
    # the two masked cells can only be recovered together (3 + 1 = 4), so no secondary needed
    df = pd.DataFrame(
        {"profil": ["a", "b", "c", "d"], "n": [20, 6, 3, 1], "part": [0.67, 0.2, 0.1, 0.03]}
    )
    t = people_groups(df, 5)
    assert t.frame["n"].isna().tolist() == [False, False, True, True]
    assert t.frame["part"].isna().tolist() == [False, False, True, True]
    # a single small group: 20, 6, 7, 2 → 2 is primary, 6 (the next smallest) secondary
    df2 = df.assign(n=[20, 6, 7, 2])
    t2 = people_groups(df2, 5)
    assert t2.frame["n"].isna().tolist() == [False, True, False, True]
    assert t2.n_masked == 4  # n and part of two rows
    assert "masqué" in t2.legend()


def test_people_groups_blocks_are_suppressed_one_by_one():
    df = pd.DataFrame(
        {"q": ["q1"] * 3 + ["q2"] * 3, "profil": list("abcabc"), "n": [10, 9, 3, 10, 9, 8]}
    )
    t = people_groups(df, 5, by=["q"])
    assert t.frame["n"].isna().tolist() == [False, True, True, False, False, False]


def test_people_table_columns_mode_masks_within_each_column():
    counts = pd.DataFrame({"inscrits": [49, 3, 20], "presents": [32, 2, 15]}, index=list("abc"))
    t = people_table(counts, 5, lines="columns")
    assert t.frame.isna().to_numpy().tolist() == [[False, False], [True, True], [True, True]]


def test_writers_and_charts_refuse_raw_frames(tmp_path):
    df = pd.DataFrame({"jour": ["2025-03-01"], "n": [1]})
    with pytest.raises(RencontresError):
        write_csv(df, tmp_path / "reports" / "x.csv")
    assert write_csv(aggregate(df, "inscriptions par jour"), tmp_path / "x.csv").exists()

    @public.public_only
    def chart(table):
        return len(table)

    with pytest.raises(TypeError):
        chart(df)
    assert chart(aggregate(df, "inscriptions par jour")) == 1
    with pytest.raises(RencontresError):
        aggregate(df, " ")


def test_people_stages_do_not_let_nesting_reveal_a_masked_cell():
    # the attack seen in review: « Autre » 1 registered (primary); État 10 registered, 10 present.
    # Masked by column alone, État's registered count would be masked but its 10 present shown,
    # and 141 − visible = État + Autre ≥ 10 + Autre gives Autre = 1. Masking the whole row of
    # a masked group, then the columns again, hides État at both stages.
    counts = pd.DataFrame(
        {"inscrits": [49, 10, 1, 81], "presents": [32, 10, 0, 61]},
        index=["agent_territorial", "agent_etat", "autre", "citoyen"],
    )
    t = public.people_stages(counts, 5)
    shown = t.frame
    assert shown.loc["autre"].isna().tolist() == [True, False]  # 0 present is not a count to hide
    assert shown.loc["agent_etat"].isna().all()
    # each column now has two masked cells or none: no single cell recoverable from a total
    assert (t.masked.sum() != 1).all()
    assert shown.loc["citoyen", "inscrits"] == 81


def test_published_counts_keep_masked_cells_masked():
    # two territories' published profile counts: Lille's État was masked (NA), never a zero
    df = pd.DataFrame({"Lyon": [49, 10, None], "Lille": [21, None, 0]}, index=["a", "b", "c"])
    t = public.published_counts(df, 5)
    assert t.frame.loc["b", "Lille"] is pd.NA and t.frame.loc["c", "Lille"] == 0
    assert t.masked.loc["b", "Lille"] and not t.masked.loc["c", "Lille"]
    # a count under the threshold that slipped through is masked all the same
    assert public.published_counts(df.assign(Lyon=[49, 3, 7]), 5).frame.loc["b", "Lyon"] is pd.NA
