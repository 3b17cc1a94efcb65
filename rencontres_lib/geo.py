"""French département outlines (vendored, Licence Ouverte: IGN Admin Express / INSEE COG 2018)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def departements() -> dict:
    """GeoJSON FeatureCollection of the 96 metropolitan départements (properties: code, nom)."""
    text = (
        resources.files("rencontres_lib")
        .joinpath("data/departements.geojson")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)
