"""Interactive exploration in JupyterLab (ipywidgets), calling the same functions as the report.

Under the batch (``RENCONTRES_BATCH=1``) nothing is displayed, so the published HTML never holds
an empty widget box.
"""

from __future__ import annotations

from pathlib import Path

from . import DIMENSIONS, PROFILS, display, rapport
from .config import parameter_files, project_root
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
    terr = w.Dropdown(options=list(options), value=r.params.slug if r.params.slug in options else None, description="Territoire")
    dim = w.Dropdown(options=[(v, k) for k, v in DIMENSIONS.items()], value="decision", description="Dimension")
    prof = w.Dropdown(options=[("Tous les profils", "")] + [(v, k) for k, v in PROFILS.items()], value="", description="Profil")
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
