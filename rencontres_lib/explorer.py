"""Interactive exploration in JupyterLab (ipywidgets), calling the same functions as the report.

Under the batch (the notebook's papermill parameter ``lot = True``) nothing is displayed, so the published HTML never holds
an empty widget box.
"""

from __future__ import annotations

from pathlib import Path

from . import DIMENSIONS, PROFILS, display, rapport
from .config import parameter_files, project_root
from .public import aggregate
from .rencontre import Rencontre, load_rencontre


def redraw(r: Rencontre, dimension: str, profil: str | None = None) -> None:
    """What a widget change shows: the report's own dimension section, optionally for one profile."""
    rapport.dimension(r, dimension, profil=profil or None)


def territory_options(root: Path | None = None) -> dict[str, Path]:
    return {p.stem: p for p in parameter_files(root or project_root())}


def explorer_rencontre(r: Rencontre) -> object | None:
    """Dropdowns (territoire, dimension, profil) redrawing the charts in place; None in batch."""
    if display.in_papermill():
        return None
    import ipywidgets as w
    from IPython.display import display as ipy_display

    options = territory_options()
    state = {"r": r}
    terr = w.Dropdown(
        options=list(options),
        value=r.params.slug if r.params.slug in options else None,
        description="Territoire",
    )
    dim = w.Dropdown(
        options=[(v, k) for k, v in DIMENSIONS.items()], value="decision", description="Dimension"
    )
    prof = w.Dropdown(
        options=[("Tous les profils", "")] + [(v, k) for k, v in PROFILS.items()],
        value="",
        description="Profil",
    )
    out = w.Output()

    def refresh(_=None) -> None:
        if terr.value and terr.value != state["r"].params.slug:
            state["r"] = load_rencontre(options[terr.value])
        out.clear_output(wait=True)
        with out:
            redraw(state["r"], dim.value, prof.value)

    for control in (terr, dim, prof):
        control.observe(refresh, names="value")
    box = w.VBox([w.HBox([terr, dim, prof]), out])
    display.section("Explorer (dans JupyterLab)")
    ipy_display(box)
    refresh()
    return box


def source_tables(r: Rencontre) -> dict[str, object]:
    """The public (pseudonymous, scrubbed) tables of a meeting, by French name."""
    tables = {
        "Personnes ayant répondu au questionnaire": r.respondents,
        "Réponses au questionnaire": r.answers,
        "Inscriptions (pseudonymisées)": r.inscriptions,
        "Extraits d'entretiens": r.entretiens,
        "Propositions": r.contributions,
    }
    return {k: v for k, v in tables.items() if v is not None}


def sorted_view(
    table, column: str | None, ascending: bool = True, contains: str = "", limit: int = 200
):
    """The rows shown by the explorer: optional text filter (any column), sort, first ``limit``."""
    df = table
    if contains:
        mask = (
            df.astype(str)
            .apply(lambda col: col.str.contains(contains, case=False, regex=False))
            .any(axis=1)
        )
        df = df[mask]
    if column and column in df:
        df = df.sort_values(column, ascending=ascending, kind="stable", na_position="last")
    return df.head(limit)


def explorer_sources(r: Rencontre) -> object | None:
    """Free exploration of every source: choose a table, sort by a column, filter by text."""
    if display.in_papermill():
        return None
    import ipywidgets as w
    from IPython.display import display as ipy_display

    tables = source_tables(r)
    source = w.Dropdown(options=list(tables), description="Source")
    column = w.Dropdown(options=[], description="Trier par")
    ascending = w.ToggleButton(value=True, description="croissant")
    contains = w.Text(value="", placeholder="texte à chercher", description="Filtre")
    out = w.Output()

    def refresh(_=None) -> None:
        df = tables[source.value]
        if list(column.options) != list(df.columns):
            column.options = list(df.columns)
        out.clear_output(wait=True)
        with out:
            view = sorted_view(df, column.value, ascending.value, contains.value)
            display.paragraph(f"{len(view)} lignes affichées sur {len(df)}.")
            display.table(aggregate(view, "exploration privée (jamais publiée)"), sortable=False)

    for control in (source, column, ascending, contains):
        control.observe(refresh, names="value")
    box = w.VBox([w.HBox([source, column, ascending]), contains, out])
    ipy_display(box)
    refresh()
    return box
