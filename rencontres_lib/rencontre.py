"""Load everything a territorial meeting needs, through the privacy step, into one object.

This is the only place where the loaders, the codebook and the privacy module meet: what a
notebook receives is already pseudonymised and scrubbed. Identifying fields stay in
``Rencontre.prive`` and are only ever written under ``prive/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import metrics
from .codebook import load_codebook
from .config import Parameters, load_parameters, project_root, salt
from .errors import ConfigError, Finding, LoadResult, RencontresError, SourceError
from .loaders.contributions import load_contributions
from .loaders.entretiens import load_entretiens
from .loaders.evaluation import load_evaluation
from .loaders.inscriptions import load_inscriptions
from .loaders.questionnaire import load_questionnaire
from .privacy import NameIndex, scrub_series
from .referentiels import territory_matches


@dataclass
class Rencontre:
    """A meeting's public tables (pseudonymous, scrubbed) plus the load accounting."""

    params: Parameters
    results: dict[str, LoadResult] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    codebook: object | None = None
    answers: pd.DataFrame | None = None
    respondents: pd.DataFrame | None = None
    questions: pd.DataFrame | None = None
    inscriptions: pd.DataFrame | None = None
    entretiens: pd.DataFrame | None = None
    contributions: pd.DataFrame | None = None
    votes: pd.DataFrame | None = None
    evaluation: pd.DataFrame | None = None  # the meeting's evaluation questionnaire (optional)
    prive: pd.DataFrame | None = None
    autres_noms: list = field(default_factory=list)  # payers, members: masked, not counted
    names_file: Path | None = None  # every registrant of the project (see load_rencontre)
    names: object | None = None

    @property
    def territoire_filtre(self) -> str:
        return self.params.filtre_territoire

    @property
    def seuil(self) -> int:
        return self.params.seuil_confidentialite

    @property
    def respondents_here(self) -> pd.DataFrame | None:
        if self.respondents is None:
            return None
        return self.respondents[self.respondents["territoire"] == self.territoire_filtre]

    @property
    def answers_here(self) -> pd.DataFrame | None:
        if self.answers is None or self.respondents_here is None:
            return None
        return self.answers[
            self.answers["respondent_id"].isin(self.respondents_here["respondent_id"])
        ]

    def findings(self) -> list[Finding]:
        return [f for r in self.results.values() for f in r.findings]

    def has_errors(self) -> bool:
        return bool(self.failures) or any(f.level == "erreur" for f in self.findings())


def load_rencontre(
    parametres: str | Path | Parameters,
    *,
    strict: bool = False,
    kinds: tuple[str, ...] | None = None,
    names_file: str | Path | None = None,
) -> Rencontre:
    """Load and validate every source of a meeting.

    A source that cannot be read is recorded in ``failures`` (French message); with
    ``strict=True`` the first failure or error-level finding raises :class:`RencontresError`.
    ``names_file``: JSON list of ``[prénom, nom]`` of every registrant of the project, masked
    in this meeting's free text too (``rencontres build`` passes it as the notebook parameter
    ``noms``); ``None``: the project's :func:`names_file` when it exists.
    """
    if not isinstance(parametres, Parameters):
        p = Path(parametres)
        if not p.is_absolute():
            p = project_root() / p
        params = load_parameters(p)
    else:
        params = parametres
    r = Rencontre(params)
    r.names_file = Path(names_file) if names_file else None
    if r.names_file is not None and not r.names_file.is_file():
        raise ConfigError(
            "fichier des noms des inscrits introuvable : les noms des autres territoires ne"
            " pourraient pas être masqués.",
            file=r.names_file,
            hint="Lancez « rencontres build », qui l'écrit dans prive/noms.json et le donne au"
            " carnet (paramètre « noms ») ; à la main, laissez « noms » vide.",
        )
    steps = [
        ("inscriptions", _load_inscriptions),
        ("questionnaire", _load_questionnaire),
        ("entretiens", _load_entretiens),
        ("contributions", _load_contributions),
        ("evaluation", _load_evaluation),
    ]
    for kind, step in steps:
        if kind == "questionnaire":  # before any free text is scrubbed: this meeting's + others'
            r.names = name_index(r)
        if params.source(kind) is None or (kinds is not None and kind not in kinds):
            continue
        try:
            step(r)
        except RencontresError as exc:
            r.failures[kind] = exc.french()
            if strict:
                raise
    if strict:
        errors = [f for f in r.findings() if f.level == "erreur"]
        if errors:
            raise SourceError("; ".join(f.french() for f in errors[:5]))
    return r


def names_file(root: Path) -> Path:
    """Where the build saves every registrant's name: ``prive/noms.json`` (private)."""
    return root / "prive" / "noms.json"


def project_people(path: Path) -> list[tuple[str, str]]:
    """Every registrant's (prénom, nom) in the JSON file ``path`` (:func:`names_file`);
    an absent or unreadable file gives none."""
    try:
        return [tuple(p) for p in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        return []


def name_index(r: Rencontre):
    """Names to mask in free text: this meeting's registrants and every other territory's."""
    people = set(project_people(r.names_file or names_file(r.params.racine or project_root())))
    if r.prive is not None and len(r.prive):
        people |= {
            (str(p), str(n))
            for p, n in zip(r.prive["prenom"].fillna(""), r.prive["nom"].fillna(""), strict=True)
        }
    people |= {(str(p), str(n)) for p, n in r.autres_noms}
    people = {(p, n) for p, n in people if p.strip() and n.strip()}
    return NameIndex.from_people(sorted(people)) if people else None


# columns of public tables that hold controlled labels or keys, never free text: not scrubbed
# (filters and joins use them); every other text column is
CONTROLLED_COLUMNS = frozenset(
    """respondent_id participant_id question_id extrait_id proposition_id territoire profil
    dimension type source_format statut consentement code_postal departement date complet
    rang favorable""".split()
)


def scrub_public(table: pd.DataFrame, names, columns=None) -> pd.DataFrame:
    """Copy of ``table`` whose text columns (object or string dtype, ``columns`` if given,
    else all but ``CONTROLLED_COLUMNS``) went through ``privacy.scrub_series``."""
    out = table.copy()
    for col in out.columns if columns is None else columns:
        if col not in out.columns or (columns is None and col in CONTROLLED_COLUMNS):
            continue
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            values = out[col].astype(object)
            texts = values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False)
            if texts.any():
                values = values.copy()
                values[texts.astype(bool)] = scrub_series(values[texts.astype(bool)], names)
                out[col] = values
    return out


def _check_territory(r: Rencontre, res, values, column) -> None:
    """Near matches of the territory filter (« lyon », « Métropole de Lyon »), and a filter that
    matches no row, added to the source's findings (see ``referentiels.territory_matches``)."""
    found = territory_matches(
        values, r.territoire_filtre, file=Path(res.source).name, column=column
    )
    known = {f.message for f in res.findings}
    res.findings += [f for f in found if f.message not in known]


def _load_inscriptions(r: Rencontre) -> None:
    p = r.params
    res = load_inscriptions(
        p.source("inscriptions"), salt=salt(p.racine), rules=p.source("profils")
    )
    r.results["inscriptions"] = res.check()
    r.prive = res.private
    r.autres_noms = list(res.extra.get("autres_noms", []))
    # free text typed at registration (organisation, profile as typed) is scrubbed too
    r.names = name_index(r)
    r.inscriptions = scrub_public(res.table, r.names, ["organisation", "profil_saisi"])


def _load_questionnaire(r: Rencontre) -> None:
    p = r.params
    cb_path = p.source("codebook")
    if cb_path is None:
        raise SourceError(
            "aucun codebook indiqué pour le questionnaire.",
            file=p.fichier,
            column="sources.codebook",
            hint="Créez-en un avec « rencontres codebook FICHIER » puis indiquez-le dans les paramètres.",
        )
    r.codebook = load_codebook(cb_path)
    res = load_questionnaire(p.source("questionnaire"), r.codebook, rules=p.source("profils"))
    r.results["questionnaire"] = res.check()
    _check_territory(
        r, res, res.extra["respondents"]["territoire"], res.extra.get("colonne_territoire")
    )
    answers = metrics.scored(res.table, res.extra["questions"])
    is_text = answers["type"] == "texte"
    if is_text.any():  # free text becomes plain strings, scrubbed of names, e-mails and phones
        answers["valeur"] = answers["valeur"].astype(object)
        answers.loc[is_text, "valeur"] = scrub_series(answers.loc[is_text, "valeur"], r.names)
    r.answers = answers
    r.respondents = res.extra["respondents"]
    r.questions = res.extra["questions"]


def _load_entretiens(r: Rencontre) -> None:
    p = r.params
    res = load_entretiens(
        p.source("entretiens"), p.source("entretiens_attributs"), rules=p.source("profils")
    )
    r.results["entretiens"] = res.check()
    if "territoire" in res.table and res.table["territoire"].astype(str).str.strip().ne("").any():
        _check_territory(r, res, res.table["territoire"], "territoire")
    t = scrub_public(res.table, r.names)  # texte, document, theme…
    if "territoire" in t:
        t = t[t["territoire"] == r.territoire_filtre]
    r.entretiens = t


def _load_contributions(r: Rencontre) -> None:
    p = r.params
    res = load_contributions(p.source("contributions"), territoire=p.territoire)
    r.results["contributions"] = res.check()
    t = res.table.copy()
    for col in ("titre", "corps"):
        t[col] = t[col].fillna("")
    r.contributions = scrub_public(t, r.names)  # titre, corps, atelier, theme, etat…
    votes = res.extra.get("votes")
    r.votes = None if votes is None else scrub_public(votes, r.names)


def _load_evaluation(r: Rencontre) -> None:
    p = r.params
    res = load_evaluation(p.source("evaluation"), rules=p.source("profils"))
    r.results["evaluation"] = res.check()
    r.evaluation = scrub_public(res.table, r.names, ["retenir"])  # free text, like the others
