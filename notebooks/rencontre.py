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
# Paramètres (remplacés par « rencontres build » ; à la main, changez le fichier du territoire)
parametres = "parameters/lyon.yaml"
sortie = ""
lot = False  # True sous « rencontres build » : page statique, sans menus interactifs

# %%
from rencontres_lib import DIMENSIONS, rapport
from rencontres_lib.explorer import explorer_rencontre
from rencontres_lib.rencontre import load_rencontre

r = load_rencontre(parametres, strict=True)
rapport.entete(r)

# %% [markdown]
# ## Chiffres clés et constats
#
# Les chiffres et les phrases ci-dessous sont calculés à partir des fichiers d'inscription et du
# questionnaire du chantier ; aucun n'est saisi à la main.

# %%
rapport.chiffres_cles(r)
rapport.constats_list(r)

# %% [markdown]
# ## Objectifs et déroulé

# %%
rapport.objectifs(r)
rapport.deroule(r)

# %% [markdown]
# ## Participants
#
# Qui s'est inscrit, d'où viennent les personnes et, après la rencontre, qui est venu et qui a
# répondu au questionnaire. Les groupes de moins de cinq personnes ne sont jamais affichés.

# %%
if r.params.phase == "cadrage":
    rapport.inscriptions_cadrage(r)
rapport.participants(r)

# %% [markdown]
# ## Les cinq dimensions d'impact
#
# Pour chaque dimension, la répartition des réponses aux affirmations du questionnaire
# (défavorables à gauche, favorables à droite), puis la part de réponses favorables dans ce
# territoire comparée aux autres territoires, avec son intervalle de confiance à 95 %.

# %%
for dim, label in DIMENSIONS.items():
    rapport.display.section(label, level=3)
    rapport.dimension(r, dim)

# %% [markdown]
# ## Réponses libres
#
# Les réponses ouvertes sont regroupées en thèmes (dictionnaire de mots-clés du chantier, puis
# sujets détectés automatiquement pour le reste). Les citations sont choisies parmi les plus
# représentatives ; courriels, téléphones et noms y sont masqués.

# %%
for question_id in ["avancees", "freins", "pistes"]:
    rapport.display.section(rapport.question_texts(r).get(question_id, question_id), level=3)
    rapport.texte_libre(r, question_id)

# %% [markdown]
# ## Entretiens
#
# Extraits des entretiens menés dans le territoire, par thème, rapprochés des réponses au
# questionnaire sur la même dimension.

# %%
rapport.entretiens(r)

# %% [markdown]
# ## Propositions des ateliers

# %%
if r.params.phase == "cadrage":
    rapport.display.note("Les propositions seront recueillies pendant la rencontre.")
else:
    rapport.propositions(r)

# %%
# Dans JupyterLab : menus pour changer de territoire, de dimension et de profil (rien dans le rapport publié)
explorer_rencontre(r)

# %% [markdown]
# ## Méthodologie

# %%
rapport.methodologie(r)
rapport.save_outputs(r, sortie)
