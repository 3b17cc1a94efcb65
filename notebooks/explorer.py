# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: language_info
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   language_info:
#     name: python
# ---

# %% [markdown]
# # Explorer les sources d'une rencontre
#
# Carnet de travail (non publié) : choisissez une source, triez par une colonne, filtrez par un
# texte. Les tables sont celles que voient les rapports : inscriptions pseudonymisées, textes
# libres déjà masqués (courriels, téléphones, noms).

# %% tags=["parameters"]
parametres = "parameters/lyon.yaml"

# %%
from rencontres_lib.explorer import explorer_rencontre, explorer_sources
from rencontres_lib.rencontre import load_rencontre

r = load_rencontre(parametres)
explorer_sources(r)

# %% [markdown]
# ## Les graphiques du rapport, par dimension et par profil

# %%
explorer_rencontre(r)
