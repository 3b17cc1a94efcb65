"""Tests of rencontres_lib.regroupements: the organiser's file wins, is merged, never overwritten."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from rencontres_lib.consolidation import Consolidation
from rencontres_lib.regroupements import merge_review_file, proposal_key


def props(keys: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cle": keys,
            "titre": [f"Titre {k}" for k in keys],
            "territoire": ["Lyon"] * len(keys),
            "soutiens": list(range(len(keys))),
        }
    )


def cons(groups: list[int], sim: np.ndarray | None = None) -> Consolidation:
    n = len(groups)
    sim = np.eye(n) if sim is None else sim
    sugg = [
        [(j, float(sim[i, j])) for j in np.argsort(-sim[i]) if j != i and sim[i, j] > 0][:3]
        for i in range(n)
    ]
    return Consolidation(np.array(groups), sim, sugg)


def test_proposal_key() -> None:
    assert proposal_key("lyon", "1182", 0) == "lyon:1182"
    assert proposal_key("lyon", 1182.0, 0) == "lyon:1182"
    assert proposal_key("lille", None, 4) == "lille:ligne-5"


def test_first_write_then_organiser_edits_are_kept(tmp_path) -> None:
    path = tmp_path / "parameters" / "regroupements.yaml"
    sim = np.array([[1, 0.8, 0.1], [0.8, 1, 0.2], [0.1, 0.2, 1.0]])
    first = merge_review_file(path, props(["a:1", "b:2", "c:3"]), cons([1, 1, 2], sim))
    assert first.written and first.groupe == ["idee-01", "idee-01", "idee-02"]
    assert first.to_review == set()  # first file: nothing flagged, the whole file is to read
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [g["propositions"] for g in data["groupes"]] == [["a:1", "b:2"], ["c:3"]]
    assert data["groupes"][0]["libelle"] == "Titre b:2"  # the most supported member
    assert data["proches"]["a:1"][0].startswith("b:2 — Titre b:2 (0,80, idee-01)")
    text = path.read_text(encoding="utf-8")
    assert "# Titre a:1 (Lyon, 0 soutien)" in text and "Fusionner deux groupes" in text

    # the organiser splits b:2 out, renames, sets the wording and adds a comment of their own
    edited = text.replace("libelle: Titre b:2", "libelle: Mon idée  # renommée").replace(
        "      - b:2", "      # b:2 est ailleurs"
    )
    edited = edited.replace(
        "a_verifier: []", "  - {id: idee-900, libelle: Seule, propositions: [b:2]}\na_verifier: []"
    )
    edited = edited.replace("formulation: ''", "formulation: Une formulation choisie")
    path.write_text(edited, encoding="utf-8")
    # a rebuild where the automatic grouping would still merge a and b, plus a new proposal d
    sim4 = np.array([[1, 0.8, 0.1, 0.7], [0.8, 1, 0.2, 0.1], [0.1, 0.2, 1, 0], [0.7, 0.1, 0, 1.0]])
    again = merge_review_file(path, props(["a:1", "b:2", "c:3", "d:4"]), cons([1, 1, 2, 1], sim4))
    assert again.groupe == ["idee-01", "idee-900", "idee-02", "idee-01"]  # d joins a's group
    assert again.to_review == {"d:4"}
    ideas = again.ideas.set_index("groupe")
    assert ideas.loc["idee-01", "libelle"] == "Mon idée"
    assert ideas.loc["idee-01", "formulation"] == "Une formulation choisie"
    text = path.read_text(encoding="utf-8")
    assert "# renommée" in text and "# b:2 est ailleurs" in text  # their comments stay
    # nothing changed: the file is not rewritten
    assert not merge_review_file(
        path, props(["a:1", "b:2", "c:3", "d:4"]), cons([1, 1, 2, 1], sim4)
    ).written


def test_new_proposals_together_and_absent_keys_kept(tmp_path) -> None:
    path = tmp_path / "regroupements.yaml"
    merge_review_file(path, props(["a:1"]), cons([1]))
    out = merge_review_file(path, props(["x:1", "y:2", "z:3"]), cons([1, 1, 2]))
    assert out.groupe == ["idee-02", "idee-02", "idee-03"]  # a:1 keeps idee-01, unused here
    assert out.to_review == {"x:1", "y:2", "z:3"}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert ["a:1"] in [g["propositions"] for g in data["groupes"]]


def test_broken_or_conflicting_file(tmp_path) -> None:
    path = tmp_path / "regroupements.yaml"
    path.write_text("groupes: [\n", encoding="utf-8")
    out = merge_review_file(path, props(["a:1", "b:2"]), cons([1, 1]))
    assert out.groupe == ["idee-01", "idee-01"] and not out.written
    assert "illisible" in out.warnings[0] and path.read_text(encoding="utf-8") == "groupes: [\n"
    path.write_text(
        "groupes:\n  - {id: g1, libelle: Un, propositions: [a:1]}\n"
        "  - {id: g2, libelle: Deux, propositions: [a:1, b:2]}\n  - {libelle: sans id}\n",
        encoding="utf-8",
    )
    out = merge_review_file(path, props(["a:1", "b:2"]), cons([1, 2]))
    assert out.groupe == ["g1", "g2"]
    assert any("dans « g1 » et dans « g2 »" in w for w in out.warnings)
    assert any("sans « id »" in w for w in out.warnings)
