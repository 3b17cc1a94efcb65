"""Rencontres: loaders, metrics and charts for ICPC's territorial meetings reports.

Importing the package is cheap: heavy modules (plotly, nbconvert, papermill) are imported
only by the submodules that need them.
"""

import sys

__version__ = "0.1.0"

# jsonschema (imported by nbformat, papermill, nbconvert) compiles about forty lark grammars
# when the optional IRI validator rfc3987_syntax is installed: 4 s at every start-up on this
# 2-core machine, for a format notebooks never use. Declaring it absent skips that.
sys.modules.setdefault("rfc3987_syntax", None)

DIMENSIONS: dict[str, str] = {
    "organisation": "Organisation",
    "decision": "Décision",
    "inclusion": "Inclusion des publics",
    "transparence": "Sincérité et transparence",
    "redevabilite": "Reddition des comptes",
}

PROFILS: dict[str, str] = {
    "agent_territorial": "Agent·e territorial·e",
    "elu": "Élu·e",
    "association": "Association",
    "consultant": "Consultant·e",
    "agent_etat": "Agent·e de l'État",
    "chercheur": "Chercheur·e",
    "citoyen": "Citoyen·ne",
    "autre": "Autre",
    "non_renseigne": "Non renseigné",
}

STATUTS: dict[str, str] = {
    "inscrit": "Inscrit·e",
    "liste_attente": "Liste d'attente",
    "annule": "Annulé",
    "present": "Présent·e",
    "absent": "Absent·e",
}
