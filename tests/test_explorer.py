"""JupyterLab widgets call the same functions as the report: same figures; nothing under the batch."""

from __future__ import annotations

from rencontres_lib import display, rapport
from rencontres_lib.explorer import explorer_rencontre
from rencontres_lib.rencontre import load_rencontre


def test_widget_callbacks_draw_the_same_figures_as_the_static_report(project, monkeypatch):
    monkeypatch.delenv("RENCONTRES_BATCH", raising=False)
    r = load_rencontre(project / "parameters/lyon.yaml")
    figs: list[dict] = []
    monkeypatch.setattr(display, "show", lambda fig: figs.append(fig.to_plotly_json()))

    rapport.dimension(r, "inclusion", profil="elu")
    static = list(figs)
    assert len(static) == 1  # the answers to the dimension's statements, for élu·es only

    figs.clear()
    box = explorer_rencontre(r)
    assert box is not None
    _territory, dimension, profile = box.children[0].children
    dimension.value = "inclusion"
    profile.value = "elu"
    assert figs[-len(static) :] == static

    figs.clear()
    profile.value = ""
    rapport_figs = list(figs)
    figs.clear()
    rapport.dimension(r, "inclusion")
    assert rapport_figs == figs  # all profiles: same as the report's own section


def test_no_widget_under_the_batch(project, monkeypatch):
    monkeypatch.setattr(display, "in_papermill", lambda: True)  # the notebook's `lot = True`
    r = load_rencontre(project / "parameters/lyon.yaml")
    shown: list = []
    monkeypatch.setattr(display, "_display", lambda bundle: shown.append(bundle))
    assert explorer_rencontre(r) is None
    assert shown == []


def test_sources_explorer_sorts_and_filters(project, monkeypatch):
    from rencontres_lib.explorer import explorer_sources, sorted_view, source_tables

    monkeypatch.delenv("RENCONTRES_BATCH", raising=False)
    r = load_rencontre(project / "parameters/lyon.yaml")
    tables = source_tables(r)
    assert "Inscriptions (pseudonymisées)" in tables
    assert not {"nom", "prenom", "email", "telephone"} & set(
        tables["Inscriptions (pseudonymisées)"].columns
    )
    props = tables["Propositions"]
    view = sorted_view(props, "soutiens", ascending=False)
    assert list(view["soutiens"]) == sorted(props["soutiens"].dropna(), reverse=True)[: len(view)]
    word = props["titre"].iloc[0].split()[-1]
    filtered = sorted_view(props, None, contains=word)
    assert len(filtered) >= 1 and all(
        row.astype(str).str.contains(word, case=False, regex=False).any()
        for _, row in filtered.iterrows()
    )
    box = explorer_sources(r)
    assert box is not None
