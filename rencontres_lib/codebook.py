"""Codebook: what each column of a questionnaire export means (YAML, validated by pydantic).

Format du codebook (``parameters/codebook.yaml``)
-------------------------------------------------

Le codebook décrit, pour un export de questionnaire, ce que signifie chaque colonne.
C'est un fichier YAML :

.. code-block:: yaml

    version: 1
    format: limesurvey     # facultatif : limesurvey | google_forms | framaforms | kobo |
                           # decidim | generique (reconnu d'après les en-têtes s'il est absent)
    incompletes: exclure   # ou garder : réponses LimeSurvey sans « submitdate »,
                           # Kobo sans « _submission_time », Framaforms en brouillon
    identifiant: id        # facultatif : colonne de l'identifiant du répondant
    echelles:
      accord5:
        libelles: ["Pas du tout d'accord", "Plutôt pas d'accord",
                   "Ni d'accord ni pas d'accord", "Plutôt d'accord", "Tout à fait d'accord"]
        favorables: ["Plutôt d'accord", "Tout à fait d'accord"]  # défaut : au-dessus du milieu
        hors_echelle: ["Sans avis"]        # réponses valides, exclues des pourcentages
        codes: {1: "Pas du tout d'accord"} # codes du fichier → libellé (exports numériques)
        synonymes: {"D'accord": "Plutôt d'accord"}
    questions:
      - colonne: PROFIL          # l'en-tête exact de la colonne dans l'export
        id: profil
        type: profil             # profil | territoire | likert | choix | choix_multiple |
                                 # texte | ignore (« ignoré » accepté)
        synonymes: {"Élu municipal": elu}   # libellé → identifiant de profil
      - colonne: "ORG[SQ001]"
        id: org_1
        type: likert
        dimension: organisation  # organisation | decision | inclusion | transparence | redevabilite
        echelle: accord5
        inverse: false           # true : être d'accord est défavorable
        texte: "La participation citoyenne a fait évoluer l'organisation des services."
      - colonne: "OUTILS[SQ001]" # choix multiple, une colonne par option (Oui/Y/1/X = cochée)
        id: outils
        type: choix_multiple
        option: "Réunion publique"
      - colonne: "Quels outils ?"  # choix multiple dans une seule cellule
        id: outils2
        type: choix_multiple
        separateur: ", "          # « a, b » (Google Forms, Decidim) ; " " pour Kobo
        options: {1: "Réunion publique", 2: "Atelier"}   # facultatif : code → libellé
      - colonne: AVANCEES
        id: avancees
        type: texte

Règles :

- les libellés d'une échelle vont du plus défavorable au plus favorable ; ``rang`` vaut 1 pour
  le premier (après ``inverse``) ; sans ``favorables``, sont favorables les libellés situés
  au-dessus du milieu (4 et 5 sur 5, 3 et 4 sur 4) ;
- une réponse est comparée aux libellés, ``synonymes`` et ``codes`` sans tenir compte de la
  casse, des espaces en trop ni de la forme de l'apostrophe (’ ou ') ; une réponse inconnue
  n'est jamais devinée : avertissement (nombre, premières lignes), cellule traitée comme vide ;
- ``colonne`` est cherchée telle quelle, puis sans tenir compte de la casse et des espaces,
  puis comme début d'un en-tête « CODE. texte » (LimeSurvey « code et texte ») ;
- ``options`` (code → libellé) vaut aussi pour ``choix`` et ``territoire`` ;
- profil : les libellés usuels (« Élu·e », « élue », « Agent territorial », « Chercheuse »…)
  sont reconnus d'office ; ``synonymes`` complète la table ; vide → ``non_renseigne``,
  inconnu → ``autre`` avec un avertissement ;
- plusieurs colonnes partagent un même ``id`` seulement pour un choix multiple à une colonne
  par option ; les colonnes techniques de l'outil (``id``, ``submitdate``, ``Horodateur``,
  ``_uuid``…) n'ont pas à être décrites.

``rencontres codebook FICHIER [-o SORTIE]`` rédige un brouillon à relire : chaque décision
incertaine y porte un commentaire « # À vérifier : … » ; un fichier existant n'est jamais écrasé.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from . import DIMENSIONS, PROFILS
from .errors import ConfigError
from .vocabulary import normalize_label as normalize_label  # re-exported
from .vocabulary import pydantic_message

FORMATS = ("limesurvey", "google_forms", "framaforms", "kobo", "decidim", "generique")
QUESTION_TYPES = ("profil", "territoire", "likert", "choix", "choix_multiple", "texte", "ignore")
TYPE_ALIASES = {
    "ignoré": "ignore", "ignore": "ignore", "ignorée": "ignore", "ignorer": "ignore",
    "choix multiple": "choix_multiple", "choix-multiple": "choix_multiple",
    "échelle": "likert", "echelle": "likert", "text": "texte", "texte libre": "texte",
}  # fmt: skip
QuestionType = Literal[
    "profil", "territoire", "likert", "choix", "choix_multiple", "texte", "ignore"
]


def _to_str(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int | float) else value


def _str_list(value: Any) -> Any:
    return [_to_str(v) for v in value] if isinstance(value, list) else value


def _str_dict(value: Any) -> Any:
    return {_to_str(k): _to_str(v) for k, v in value.items()} if isinstance(value, dict) else value


class Scale(BaseModel):
    """An ordered answer scale, most negative label first."""

    model_config = ConfigDict(extra="forbid")
    libelles: list[str]
    favorables: list[str] | None = None
    hors_echelle: list[str] = []
    codes: dict[str, str] = {}
    synonymes: dict[str, str] = {}

    _to_list = field_validator("libelles", "favorables", "hors_echelle", mode="before")(
        classmethod(lambda cls, v: _str_list(v))
    )
    _to_dict = field_validator("codes", "synonymes", mode="before")(
        classmethod(lambda cls, v: _str_dict(v))
    )

    @model_validator(mode="after")
    def _check(self) -> Scale:
        if len(self.libelles) < 2:
            raise ValueError(
                "« libelles » doit contenir au moins 2 libellés, du plus défavorable au plus favorable"
            )
        keys = [normalize_label(x) for x in self.libelles + self.hors_echelle]
        dup = sorted({x for x in keys if keys.count(x) > 1})
        if dup:
            raise ValueError(f"libellé en double : {', '.join(dup)}")
        known = {normalize_label(x) for x in self.libelles}
        bad = [x for x in self.favorables or [] if normalize_label(x) not in known]
        if bad:
            raise ValueError(f"« favorables » contient « {bad[0]} », absent de « libelles »")
        known |= {normalize_label(x) for x in self.hors_echelle}
        for key in ("codes", "synonymes"):
            bad = [v for v in getattr(self, key).values() if normalize_label(v) not in known]
            if bad:
                raise ValueError(
                    f"« {key} » renvoie vers « {bad[0]} », absent de « libelles » et « hors_echelle »"
                )
        return self

    def favorable_positions(self) -> set[int]:
        """1-based positions counted as favourable (default: above the middle)."""
        if self.favorables is None:
            k = len(self.libelles)
            return {p for p in range(1, k + 1) if p > (k + 1) / 2}
        fav = {normalize_label(x) for x in self.favorables}
        return {i + 1 for i, lab in enumerate(self.libelles) if normalize_label(lab) in fav}

    def lookup(
        self, extra_synonyms: dict[str, str] | None = None
    ) -> dict[str, tuple[str, int | None]]:
        """Folded answer → (canonical label, 1-based position or ``None`` when out of scale)."""
        out: dict[str, tuple[str, int | None]] = {}
        for label in self.hors_echelle:
            out[normalize_label(label)] = (label, None)
        for i, label in enumerate(self.libelles):
            out[normalize_label(label)] = (label, i + 1)
        for mapping in (self.synonymes, extra_synonyms or {}, self.codes):
            for raw, target in mapping.items():
                out.setdefault(normalize_label(raw), out[normalize_label(target)])
        return out


class QuestionSpec(BaseModel):
    """One column of the export and what it means."""

    model_config = ConfigDict(extra="forbid")
    colonne: str
    id: str
    type: QuestionType
    texte: str = ""
    dimension: str | None = None
    echelle: str | None = None
    inverse: bool = False
    synonymes: dict[str, str] = {}
    option: str | None = None
    separateur: str | None = None
    options: dict[str, str] = {}

    _strs = field_validator("colonne", "id", "texte", "option", mode="before")(
        classmethod(lambda cls, v: _to_str(v))
    )
    _dicts = field_validator("synonymes", "options", mode="before")(
        classmethod(lambda cls, v: _str_dict(v))
    )

    @field_validator("colonne", "id")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("un texte non vide est attendu")
        return v.strip()

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, v: Any) -> Any:
        key = " ".join(str(v).strip().casefold().split())
        key = TYPE_ALIASES.get(key, key)
        if key not in QUESTION_TYPES:
            raise ValueError(f"type « {v} » inconnu ; types attendus : {', '.join(QUESTION_TYPES)}")
        return key


class Codebook(BaseModel):
    """A validated codebook; ``load_codebook`` builds it from YAML."""

    model_config = ConfigDict(extra="forbid")
    version: int = 1
    format: (
        Literal["limesurvey", "google_forms", "framaforms", "kobo", "decidim", "generique"] | None
    ) = None
    incompletes: Literal["exclure", "garder"] = "exclure"
    identifiant: str | None = None
    echelles: dict[str, Scale] = {}
    questions: list[QuestionSpec]
    _source: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> Codebook:
        seen_cols: dict[str, int] = {}
        seen_ids: dict[str, QuestionSpec] = {}
        for i, q in enumerate(self.questions):
            where = f"questions[{i + 1}] (colonne « {q.colonne} »)"
            if q.colonne in seen_cols:
                raise ValueError(
                    f"{where} : colonne en double (déjà décrite en questions[{seen_cols[q.colonne]}])"
                )
            seen_cols[q.colonne] = i + 1
            if q.id in seen_ids and not (
                q.type == seen_ids[q.id].type == "choix_multiple"
                and q.option
                and seen_ids[q.id].option
            ):
                raise ValueError(
                    f"{where} : identifiant « {q.id} » déjà utilisé (seul un choix multiple à une colonne"
                    " par option peut réutiliser un identifiant)"
                )
            seen_ids.setdefault(q.id, q)
            if q.type == "likert" and not q.echelle:
                raise ValueError(f"{where} : clé « echelle » obligatoire pour une question likert")
            if q.echelle and q.type != "likert":
                raise ValueError(f"{where} : clé « echelle » réservée aux questions de type likert")
            if q.echelle and q.echelle not in self.echelles:
                known = ", ".join(self.echelles) or "aucune"
                raise ValueError(
                    f"{where}, clé « echelle » : échelle « {q.echelle} » inconnue ; échelles définies : {known}"
                )
            if q.dimension is not None and q.dimension not in DIMENSIONS:
                raise ValueError(
                    f"{where}, clé « dimension » : dimension « {q.dimension} » inconnue ;"
                    f" dimensions attendues : {', '.join(DIMENSIONS)}"
                )
            if q.type == "choix_multiple" and not (q.option or q.separateur):
                raise ValueError(
                    f"{where} : indiquez « option » (une colonne par option) ou « separateur »"
                )
            if q.type == "likert" and q.synonymes:
                bad = [
                    v
                    for v in q.synonymes.values()
                    if normalize_label(v) not in self.echelles[q.echelle].lookup()
                ]
                if bad:
                    raise ValueError(
                        f"{where}, clé « synonymes » : « {bad[0]} » n'est pas un libellé de l'échelle"
                    )
            if q.type == "profil":
                bad = [v for v in q.synonymes.values() if v not in PROFILS]
                if bad:
                    raise ValueError(
                        f"{where}, clé « synonymes » : profil « {bad[0]} » inconnu ; profils attendus : {', '.join(PROFILS)}"
                    )
        for kind in ("profil", "territoire"):
            found = [q.colonne for q in self.questions if q.type == kind]
            if len(found) > 1:
                raise ValueError(
                    f"une seule question de type {kind} est permise (trouvées : {', '.join(found)})"
                )
        return self

    @property
    def source(self) -> str | None:
        return self._source

    @property
    def by_column(self) -> dict[str, QuestionSpec]:
        """Column heading → question."""
        return {q.colonne: q for q in self.questions}

    @property
    def by_id(self) -> dict[str, list[QuestionSpec]]:
        """Question id → its columns (several for a one-column-per-option multi-select)."""
        out: dict[str, list[QuestionSpec]] = {}
        for q in self.questions:
            out.setdefault(q.id, []).append(q)
        return out

    def likert_questions(self) -> list[QuestionSpec]:
        return [q for q in self.questions if q.type == "likert"]

    def of_type(self, kind: str) -> list[QuestionSpec]:
        return [q for q in self.questions if q.type == kind]

    def scale(self, question: QuestionSpec) -> Scale:
        return self.echelles[question.echelle or ""]

    def questions_frame(self) -> pd.DataFrame:
        """One row per question id: question_id, type, dimension, texte, echelle, inverse,
        favorables (the ranks counted as favourable, after ``inverse``; empty unless Likert)."""
        rows = []
        for qid, specs in self.by_id.items():
            q = specs[0]
            if q.type == "ignore":
                continue
            rows.append(
                {
                    "question_id": qid,
                    "type": q.type,
                    "dimension": q.dimension or "",
                    "texte": next((s.texte for s in specs if s.texte), ""),
                    "echelle": q.echelle or "",
                    "inverse": bool(q.inverse),
                    "favorables": tuple(sorted(self.scale(q).favorable_positions()))
                    if q.type == "likert"
                    else (),
                }
            )
        cols = ["question_id", "type", "dimension", "texte", "echelle", "inverse", "favorables"]
        return pd.DataFrame(rows, columns=cols).astype({"inverse": bool})


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available
    """Safe loader where only true/false are booleans (« Non », « No », « on » stay text)."""


_YamlLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _french_error(err: dict, data: dict) -> str:
    loc, parts = list(err["loc"]), []
    questions = data.get("questions") if isinstance(data.get("questions"), list) else []
    for i, p in enumerate(loc):
        if isinstance(p, int) and i > 0 and loc[i - 1] == "questions":
            q = questions[p] if p < len(questions) else None
            col = q.get("colonne") if isinstance(q, dict) else None
            parts[-1] = f"questions[{p + 1}]" + (f" (colonne « {col} »)" if col is not None else "")
        else:
            parts.append(str(p))
    text = pydantic_message(err)
    head = [x for x in parts if x.startswith("questions[")]
    keys = ".".join(x for x in parts if not x.startswith("questions["))
    prefix = (head[0] + ", " if head else "") + (f"clé « {keys} » : " if keys else "")
    return prefix + text if prefix else text


def _question_line(text: str, message: str) -> int | None:
    """YAML line of the first « questions[n] » named in a message (None when unknown)."""
    m = re.search(r"questions\[(\d+)\]", message)
    try:
        root = yaml.compose(text, Loader=_YamlLoader)
        items = next(v for k, v in root.value if k.value == "questions").value
        return items[int(m.group(1)) - 1].start_mark.line + 1 if m else None
    except Exception:  # best effort only: the message already names the key
        return None


def parse_codebook(text: str, source: str | Path = "<codebook>") -> Codebook:
    """Validate YAML text into a :class:`Codebook`; French :class:`ConfigError` otherwise."""
    try:
        data = yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - safe loader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        col = f", colonne {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"le codebook n'est pas un YAML valide ({getattr(exc, 'problem', exc)}{col}).",
            file=source,
            row=mark.line + 1 if mark else None,
            hint="Vérifiez l'indentation (espaces, pas de tabulations) et les guillemets.",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ConfigError(
            "le codebook doit être un dictionnaire YAML avec la clé « questions » (liste des colonnes).",
            file=source,
        )
    try:
        book = Codebook.model_validate(data)
    except ValidationError as exc:
        msg = "; ".join(_french_error(e, data) for e in exc.errors()[:5]) + "."
        hint = "Voir le format décrit dans le README (section codebook)."
        raise ConfigError(msg, file=source, row=_question_line(text, msg), hint=hint) from None
    book._source = str(source)
    return book


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook YAML file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("codebook introuvable (fichier YAML attendu).", file=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("le codebook doit être enregistré en UTF-8.", file=path) from None
    return parse_codebook(text, path)
