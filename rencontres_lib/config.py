"""Parameters of a territorial meeting: one YAML per territory, validated into a typed model.

Every path is resolved here, relative to the project root, never from the current directory
by accident. Validation errors are French and name the file, the key and what was expected.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import stat
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import PROFILS
from .errors import ConfigError
from .vocabulary import pydantic_message

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10× faster
MAX_PARAMETERS_BYTES = 1 << 20  # a parameters file is a few kilobytes


class _Loader(_BASE_LOADER):
    """Safe YAML loader that refuses duplicate keys and leaves dates as text (validated by
    pydantic, so « 2025-02-30 » is a French error on the key ``date``, not a traceback)."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                line = seen.get(key)
            except TypeError:  # unhashable key: left to the constructor's own error
                continue
            if line is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"clé « {key} » en double (lignes {line} et {key_node.start_mark.line + 1}) ;"
                    " une seule valeur est possible",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _yaml_load(text: str):
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def read_yaml_text(path: Path) -> str:
    """The text of a small YAML file, or a French :class:`ConfigError` naming the file.

    Refused before any read: what is not a regular file (a folder, a named pipe that would
    block for ever, a device) and files over ``MAX_PARAMETERS_BYTES``; then text not in UTF-8.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ConfigError("fichier de paramètres introuvable.", file=path) from None
    except OSError as exc:
        raise ConfigError(f"fichier illisible ({exc.strerror}).", file=path) from None
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "un dossier" if stat.S_ISDIR(st.st_mode) else "un fichier spécial (tube, périphérique…)"
        )
        raise ConfigError(
            f"ce n'est pas un fichier ordinaire mais {kind}.",
            file=path,
            hint="Retirez-le de parameters/ ou renommez-le sans l'extension .yaml.",
        )
    if st.st_size > MAX_PARAMETERS_BYTES:
        raise ConfigError(
            f"fichier trop gros pour des paramètres ({st.st_size // 1024} Kio, au plus"
            f" {MAX_PARAMETERS_BYTES // 1024} Kio).",
            file=path,
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"fichier illisible ({exc.strerror}).", file=path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            "le fichier n'est pas encodé en UTF-8 (Latin-1 ou Windows-1252 ?).",
            file=path,
            row=data[: exc.start].count(b"\n") + 1,
            hint="Enregistrez-le en UTF-8 (dans l'éditeur : « Enregistrer sous », encodage UTF-8).",
        ) from None


SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PHASES = ("cadrage", "compte_rendu")
PHASE_LABELS = {"cadrage": "Note de cadrage", "compte_rendu": "Compte rendu"}
SOURCE_KINDS = (
    "questionnaire",
    "codebook",
    "inscriptions",
    "entretiens",
    "entretiens_attributs",
    "contributions",
    "profils",
    "themes",
    "evaluation",
)


class Etape(BaseModel):
    """One line of the agenda (déroulé)."""

    model_config = ConfigDict(extra="forbid")
    heure: str
    titre: str
    intervenants: list[str] = Field(default_factory=list)

    @field_validator("heure", mode="before")
    @classmethod
    def _heure(cls, v: Any) -> str:
        if isinstance(v, int):  # YAML reads 09:30 as sexagesimal 570
            v = f"{v // 60:02d}:{v % 60:02d}"
        text = str(v).strip().replace("h", ":")
        if not re.fullmatch(r"\d{1,2}:\d{2}", text):
            raise ValueError(f"heure au format HH:MM attendue (reçu « {v} »)")
        return text.zfill(5)


class Sources(BaseModel):
    """Input files of a meeting; relative paths are relative to the project root."""

    model_config = ConfigDict(extra="forbid")
    questionnaire: Path | None = None
    codebook: Path | None = None
    inscriptions: Path | None = None
    entretiens: Path | None = None
    entretiens_attributs: Path | None = None
    contributions: Path | None = None
    profils: Path | None = None
    themes: Path | None = None
    evaluation: Path | None = None  # questionnaire d'évaluation de la rencontre, facultatif

    def items(self) -> list[tuple[str, Path]]:
        return [(k, getattr(self, k)) for k in SOURCE_KINDS if getattr(self, k) is not None]


# names the build gives to its own files and folders (reports/, build/): never a territory's slug
RESERVED_SLUGS = frozenset(
    {"synthese", "index", "assets", "tableaux", "kit", "images", "documents"}
)


class Parameters(BaseModel):
    """The validated parameters of one territorial meeting."""

    model_config = ConfigDict(extra="forbid")
    territoire: str = Field(min_length=1)
    slug: str
    date: dt.date
    lieu: str = ""
    partenaires: list[str] = Field(default_factory=list)
    capacite: int | None = Field(default=None, gt=0)
    phase: Literal["cadrage", "compte_rendu"] = "compte_rendu"
    objectifs: list[str] = Field(default_factory=list)
    deroule: list[Etape] = Field(default_factory=list)
    sources: Sources = Field(default_factory=Sources)
    filtre: dict[str, str] = Field(default_factory=dict)
    seuil_confidentialite: int = Field(default=5, ge=1)
    mix_cible: dict[str, float] | None = None
    publier: bool = True

    # set by load_parameters, not read from YAML
    fichier: Path | None = Field(default=None, exclude=True)
    racine: Path | None = Field(default=None, exclude=True)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not SLUG_RE.match(v):
            raise ValueError(
                f"identifiant en minuscules, chiffres et tirets attendu (reçu « {v} »), ex. « lyon »"
            )
        if v in RESERVED_SLUGS:
            raise ValueError(
                f"« {v} » est réservé aux fichiers du projet (synthèse, index, dossiers publiés) :"
                " choisissez un autre identifiant, ex. « lyon »"
            )
        return v

    @field_validator("mix_cible")
    @classmethod
    def _mix(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        unknown = [k for k in v if k not in PROFILS]
        if unknown:
            raise ValueError(f"profil inconnu {unknown} ; profils possibles : {', '.join(PROFILS)}")
        return v

    @property
    def phase_label(self) -> str:
        return PHASE_LABELS[self.phase]

    @property
    def filtre_territoire(self) -> str:
        return self.filtre.get("territoire", self.territoire)

    def source(self, kind: str) -> Path | None:
        """Absolute path of a source, or None when the parameters do not give it."""
        p = getattr(self.sources, kind)
        if p is None:
            return None
        return p if p.is_absolute() else (self.racine or project_root()) / p

    def input_paths(self) -> list[Path]:
        return [p for k, _ in self.sources.items() if (p := self.source(k)) is not None]


_ROOT: Path | None = (
    None  # set by use_project_root (the CLI's --racine), never from the environment
)


def use_project_root(root: Path | None) -> None:
    """Make ``root`` the project root of this process (``rencontres --racine``); None: detect."""
    global _ROOT
    _ROOT = Path(root).resolve() if root is not None else None


def project_root(start: Path | None = None) -> Path:
    """The project root: the one given to :func:`use_project_root`, else the nearest parent
    of ``start`` (default: the current folder) holding pyproject.toml and parameters/."""
    if _ROOT is not None and start is None:
        return _ROOT
    here = (start or Path.cwd()).resolve()
    for d in [here, *here.parents]:
        if (d / "pyproject.toml").exists() and (d / "parameters").is_dir():
            return d
    return here


def _french_error(err: dict) -> str:
    key = ".".join(str(p) for p in err["loc"])
    return f"clé « {key} » : {pydantic_message(err)}"


def load_parameters(
    path: str | Path, *, check_paths: bool = True, root: Path | None = None
) -> Parameters:
    """Read and validate ``parameters/<slug>.yaml``; raise :class:`ConfigError` in French."""
    path = Path(path)
    text = read_yaml_text(path)
    try:
        data = _yaml_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark else None
        raise ConfigError(
            f"YAML invalide : {getattr(exc, 'problem', exc)}.", file=path, row=row
        ) from None
    except ValueError as exc:  # a value YAML itself cannot build
        raise ConfigError(f"valeur impossible ({exc}).", file=path) from None
    if not isinstance(data, dict):
        raise ConfigError("le fichier doit contenir des clés (territoire, slug, date…).", file=path)
    try:
        params = Parameters.model_validate(data)
    except ValidationError as exc:
        msgs = "; ".join(_french_error(e) for e in exc.errors())
        raise ConfigError(
            msgs + ".", file=path, hint="Voir le modèle commenté : rencontres new."
        ) from None
    params.fichier = path.resolve()
    params.racine = root or project_root(path.resolve().parent)
    if check_paths:
        missing = [
            (k, params.source(k))
            for k, _ in params.sources.items()
            if not params.source(k).is_file()  # also refuses folders and named pipes
        ]
        if missing:
            detail = "; ".join(
                f"clé « sources.{k} » : fichier introuvable « {p} »"
                if not p.exists()
                else f"clé « sources.{k} » : « {p} » n'est pas un fichier ordinaire"
                for k, p in missing
            )
            raise ConfigError(
                detail + ".", file=path, hint="Corrigez le chemin (relatif à la racine du projet)."
            )
    return params


def parameter_files(root: Path | None = None) -> list[Path]:
    """Every territory's parameters file (``parameters/*.yaml`` except the codebook and rules)."""
    root = root or project_root()
    files = sorted((root / "parameters").glob("*.yaml"))
    out = []
    for f in files:
        try:
            head = _yaml_load(read_yaml_text(f))
        except (ConfigError, yaml.YAMLError, ValueError):
            out.append(f)  # broken: keep, the build reports it
            continue
        if isinstance(head, dict) and "slug" in head:
            out.append(f)
        elif not isinstance(head, dict) or "questions" not in head and "regles" not in head:
            out.append(f)
    return out


def salt(root: Path | None = None) -> str:
    """The project's pseudonymisation salt, kept in the git-ignored ``prive/sel.txt``."""
    root = root or project_root()
    path = root / "prive" / "sel.txt"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(16)
    try:
        with open(path, "x", encoding="utf-8") as fh:  # exclusive: two runs never make two salts
            fh.write(value + "\n")
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    return value
