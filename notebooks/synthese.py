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
brouillon = True  # False pour la version publiée : sans les marques « À rédiger »
sortie = ""  # dossier des tableaux de la synthèse (rempli par « rencontres build »)

# %%
from rencontres_lib import synthese

s = synthese.load(resultats, sortie=sortie or None, draft=brouillon)
synthese.header(s)

# %% [markdown]
# ## L'essentiel du chantier

# %%
synthese.key_findings(s)

# %% [markdown]
# ## Introduction

# %%
synthese.organiser_text(s, "Introduction")

# %% [markdown]
# ## Les cinq dimensions : convergences et divergences
#
# Part de réponses favorables au questionnaire du chantier, par dimension d'impact et par
# territoire. Les territoires « convergent » quand leurs parts sont à dix points au plus les unes
# des autres.

# %%
synthese.dimensions(s)

# %% [markdown]
# ## Propositions pour 2026
#
# Les propositions des ateliers qui expriment la même idée, dans un ou plusieurs territoires, sont
# regroupées ; l'équipe organisatrice vérifie ces regroupements. Les idées sont classées par dimension
# d'impact : d'abord celles qui reviennent, puis les propositions uniques les plus soutenues.

# %%
synthese.proposals(s)

# %% [markdown]
# ## Points de vigilance

# %%
synthese.watch_points(s)

# %% [markdown]
# ## Les territoires

# %%
synthese.territories(s)

# %% [markdown]
# ## Profils des personnes participantes

# %%
synthese.profiles(s)

# %% [markdown]
# ## Thèmes des réponses libres

# %%
synthese.themes(s)

# %% [markdown]
# ## Conclusions

# %%
synthese.organiser_text(s, "Conclusions")

# %% [markdown]
# ## Méthodologie

# %%
synthese.methodology(s)
synthese.export_tables(s)
