"""``rencontres new <slug>``: write a documented parameters file for a new territory.

Real exports belong in ``donnees/<slug>/`` (git-ignored, created here): the questions suggest
paths there. When a questionnaire and its codebook are given, the values of its territory
column are offered for ``filtre.territoire`` (the display name « Rennes Métropole » rarely is
what respondents chose: « Rennes »).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

from .config import SLUG_RE, Parameters, project_root
from .errors import ConfigError, RencontresError
from .loaders.questionnaire import load_questionnaire
from .referentiels import near_territories, territory_values
from .textes import scaffold, texts_path

TEMPLATE = """\
# Paramètres de la rencontre territoriale « {territoire} »
# Créé par « rencontres new » le {aujourdhui}. Vérifiez avec : rencontres check parameters/{slug}.yaml

# Nom affiché dans les rapports
territoire: {territoire_q}
# Identifiant (minuscules, chiffres, tirets) : donne le nom des fichiers, ex. reports/{slug}.html
slug: {slug}
# Date de la rencontre (AAAA-MM-JJ)
date: {date}
# Lieu (adresse ou nom de la salle)
lieu: {lieu_q}
# Partenaires co-organisateurs (liste)
partenaires: []
# Nombre de places : au-delà, les inscrits suivants sont sur liste d'attente
capacite: {capacite}
# cadrage = note avant la rencontre (sans chiffres de présence) ; compte_rendu = après
phase: {phase}
# Objectifs de la rencontre (liste de phrases)
objectifs: []
# Déroulé : une ligne par séquence, heure au format "HH:MM" entre guillemets
deroule:
  - {{heure: "09:30", titre: "Accueil", intervenants: []}}
# Fichiers sources, chemins relatifs à la racine du projet (ou absolus). Retirez une ligne si la
# source n'existe pas encore. Les exports réels (noms, courriels) vont dans donnees/{slug}/,
# ignoré par git : jamais dans data/, qui ne contient que l'exemple fictif.
sources:
{sources}
# Après la rencontre, facultatif : l'export du questionnaire d'évaluation rempli par les
# personnes présentes (section « Évaluation de la rencontre » du compte rendu) :
#   evaluation: donnees/{slug}/evaluation.csv
# Lignes des sources partagées (questionnaire, entretiens) qui concernent cette rencontre :
# valeur exacte de la colonne « territoire » du questionnaire{valeurs}
filtre:
  territoire: {filtre_q}
# Seuil de confidentialité : les groupes de moins de N personnes ne sont jamais affichés
seuil_confidentialite: 5
# Composition visée des participants (facultatif), ex. {{elu: 0.2, citoyen: 0.3}}
# mix_cible: {{}}
"""

QUESTIONS = [
    ("territoire", "Nom du territoire (affiché dans les rapports)", None),
    ("date", "Date de la rencontre (AAAA-MM-JJ)", None),
    ("lieu", "Lieu", ""),
    ("capacite", "Nombre de places", None),
    ("questionnaire", "Export du questionnaire", "data/exemple/questionnaire.csv"),
    ("codebook", "Codebook du questionnaire", "parameters/codebook.yaml"),
    ("inscriptions", "Export des inscriptions (rangé dans donnees/{slug}/)", None),
    ("entretiens", "Export des entretiens (Taguette…, rangé dans donnees/{slug}/)", None),
    ("contributions", "Export des propositions (Decidim…, rangé dans donnees/{slug}/)", None),
]
REAL_DATA = "donnees"  # git-ignored home of real exports (see donnees/LISEZMOI.md)


def questionnaire_territories(
    root: Path, questionnaire: str, codebook: str
) -> list[tuple[str, int]]:
    """Values of the questionnaire's territory column with their counts (empty when the files
    are missing or unreadable: ``rencontres new`` must never fail on them)."""
    paths = [Path(p) if Path(p).is_absolute() else root / p for p in (questionnaire, codebook)]
    if not all(p.is_file() for p in paths):
        return []
    try:
        res = load_questionnaire(paths[0], paths[1])
    except RencontresError:
        return []
    return territory_values(res.extra["respondents"]["territoire"])


def suggest_filter(territoire: str, values: list[tuple[str, int]]) -> str | None:
    """The questionnaire value to filter on: the display name when respondents wrote it, else
    the only near value (« Rennes » for « Rennes Métropole »); ``None`` when unsure."""
    if not values or any(v == territoire for v, _ in values):
        return territoire if values else None
    near = [v for v, _ in near_territories(Counter(dict(values)), territoire)]
    return near[0] if len(near) == 1 else None


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def create_parameters(args, *, interactive: bool, root: Path | None = None) -> Path:
    """Validate the answers/options, then write ``parameters/<slug>.yaml`` (never overwrites)."""
    root = root or project_root()
    slug = args.slug
    if not SLUG_RE.match(slug):
        raise ConfigError(
            f"identifiant « {slug} » invalide : minuscules, chiffres et tirets attendus, ex. « rennes »."
        )
    target = root / "parameters" / f"{slug}.yaml"
    if target.exists():
        raise ConfigError(
            "ce fichier existe déjà : il n'est pas remplacé.",
            file=target,
            hint="Choisissez un autre identifiant ou modifiez le fichier existant.",
        )
    values = {k: getattr(args, k, None) for k, _, _ in QUESTIONS}
    if interactive:
        for key, label, default in QUESTIONS:
            if values.get(key) in (None, ""):
                shown = f" [{default}]" if default else ""
                answer = input(f"{label.format(slug=slug)}{shown} : ").strip()
                values[key] = answer or default
    values["territoire"] = values.get("territoire") or slug.replace("-", " ").title()
    if not values.get("date"):
        raise ConfigError("date de la rencontre manquante : donnez --date AAAA-MM-JJ.")
    try:
        date = dt.date.fromisoformat(str(values["date"]))
    except ValueError:
        raise ConfigError(
            f"date « {values['date']} » invalide : le format AAAA-MM-JJ est attendu, ex. 2025-03-14."
        ) from None
    try:
        capacite = int(values["capacite"]) if values.get("capacite") not in (None, "") else None
    except ValueError:
        raise ConfigError(
            f"capacité « {values['capacite']} » invalide : un nombre entier est attendu."
        ) from None
    sources = {
        k: values.get(k)
        for k in ("questionnaire", "codebook", "inscriptions", "entretiens", "contributions")
    }
    attrs = getattr(args, "entretiens_attributs", None)
    if attrs:
        sources["entretiens_attributs"] = attrs
    if getattr(args, "evaluation", None):
        sources["evaluation"] = args.evaluation
    sources = {k: v for k, v in sources.items() if v}
    found = (
        questionnaire_territories(root, sources["questionnaire"], sources["codebook"])
        if sources.get("questionnaire") and sources.get("codebook")
        else []
    )
    filtre = getattr(args, "filtre", None)
    if not filtre:
        suggested = suggest_filter(values["territoire"], found)
        if found:
            listed = ", ".join(f"« {v} » ({n})" for v, n in found[:12])
            print(f"Valeurs de la colonne territoire du questionnaire : {listed}")
        if interactive and found:
            default = suggested or found[0][0]
            answer = input(
                f"Filtre (valeur exacte de la colonne territoire) [{default}] : "
            ).strip()
            filtre = answer or default
        else:
            filtre = suggested or values["territoire"]
            if found and suggested is None:
                print(
                    f"Attention : « {filtre} » n'est pas une valeur de la colonne territoire du "
                    "questionnaire ; indiquez l'une d'elles avec --filtre ou dans filtre.territoire."
                )
            elif suggested and suggested != values["territoire"]:
                print(
                    f"Filtre : « {suggested} », la valeur du questionnaire proche de « {values['territoire']} »."
                )
    phase = getattr(args, "phase", None) or "cadrage"
    Parameters.model_validate(
        {
            "territoire": values["territoire"],
            "slug": slug,
            "date": date,
            "lieu": values.get("lieu") or "",
            "capacite": capacite,
            "phase": phase,
            "sources": sources,
            "filtre": {"territoire": filtre},
        }
    )
    missing = [
        f"{k} : {v}"
        for k, v in sources.items()
        if not (Path(v) if Path(v).is_absolute() else root / v).exists()
    ]
    text = TEMPLATE.format(
        territoire=values["territoire"],
        territoire_q=_q(values["territoire"]),
        slug=slug,
        date=date.isoformat(),
        lieu_q=_q(values.get("lieu") or ""),
        capacite=capacite if capacite else "null",
        phase=phase,
        aujourdhui=dt.date.today().isoformat(),
        filtre_q=_q(filtre),
        valeurs=(
            "\n# valeurs trouvées dans le questionnaire : "
            + ", ".join(f"{v} ({n})" for v, n in found[:12]).replace("\n", " ")
            if found
            else ""
        ),
        sources="\n".join(f"  {k}: {_q(str(v))}" for k, v in sources.items()) or "  {}",
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
        fh.write(text)
    words = texts_path(target, slug)  # the organiser's own words, kept across rebuilds
    if words is not None and not words.exists():
        words.parent.mkdir(parents=True, exist_ok=True)
        with open(words, "x", encoding="utf-8") as fh:
            fh.write(scaffold(values["territoire"]))
        print(f"Vos textes (introduction, ateliers, suites) : parameters/textes/{slug}.md")
    home = root / REAL_DATA / slug
    home.mkdir(parents=True, exist_ok=True)  # git-ignored: real exports go here
    print(f"Rangez les exports réels de ce territoire dans {REAL_DATA}/{slug}/ (ignoré par git).")
    if missing:
        print("Attention, fichiers introuvables pour l'instant : " + " ; ".join(missing))
    return target
