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

# %% tags=["parameters"]
# Résultats enregistrés par chaque rapport territorial (remplis par « rencontres build »)
resultats = []
lot = False  # True sous « rencontres build » : page statique, sans menus interactifs

# %%
from rencontres_lib import synthese

s = synthese.load(resultats)
synthese.entete(s)

# %% [markdown]
# ## Les territoires côte à côte
#
# Chaque rapport territorial enregistre ses résultats ; cette synthèse les lit tels quels, sans
# recalculer. Les liens mènent aux rapports complets.

# %%
synthese.chiffres(s)

# %% [markdown]
# ## Les cinq dimensions d'impact, par territoire

# %%
synthese.dimensions(s)

# %% [markdown]
# ## Profils des participants

# %%
synthese.profils(s)

# %% [markdown]
# ## Thèmes des réponses libres

# %%
synthese.themes(s)

# %% [markdown]
# ## Propositions consolidées
#
# Les propositions proches (même idée formulée autrement, dans un ou plusieurs territoires) sont
# regroupées ; leurs soutiens sont additionnés.

# %%
synthese.propositions(s)

# %% [markdown]
# ## Méthodologie

# %%
synthese.methodologie(s)
