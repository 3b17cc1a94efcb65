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
brouillon = True  # False pour la version publiée : sans les marques « À rédiger »
noms = ""  # noms de tous les inscrits du projet, à masquer (par défaut : prive/noms.json)

# %%
from rencontres_lib import rapport
from rencontres_lib.explorer import explorer_rencontre
from rencontres_lib.rencontre import load_rencontre

r = load_rencontre(parametres, strict=True, names_file=noms or None)
rep = rapport.report(r, draft=brouillon)
rapport.title(r)
rapport.render(rep.header(), heading=False)

# %% [markdown]
# Tous les chiffres de ce document sont calculés à partir des inscriptions, du questionnaire du
# chantier, des entretiens, des propositions des ateliers et, quand il est fourni, du
# questionnaire d'évaluation de la rencontre ; aucun n'est saisi à la main. Les textes en
# encadré sont ceux de l'équipe organisatrice.

# %%
for section in rep.sections()[1:]:
    rapport.render(section)

# %%
# Dans JupyterLab : menus pour changer de territoire, de dimension et de profil (rien dans le rapport publié)
explorer_rencontre(r)

# %%
rapport.save_outputs(rep, sortie)
