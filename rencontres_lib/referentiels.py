"""Reference rules: participant profile normalisation and postcode → département.

Profile rules live in ``rencontres_lib/data/profils.yaml`` (ordered, first match wins); a
user may add their own YAML file of the same shape, whose rules are tried first. Matching
ignores accents and case and brings feminine and inclusive forms back to the masculine
(élue → élu, chargée → chargé, chercheuse → chercheur, citoyen·ne → citoyen, conseiller(e)…).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from . import PROFILS
from .errors import ConfigError, Finding
from .vocabulary import fold_inclusive, profile_key

BUILTIN_RULES = Path(__file__).resolve().parent / "data" / "profils.yaml"

# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class ProfileRule:
    """One ordered rule: any of ``words`` (whole words), ``exact`` texts or ``regex`` → ``profil``."""

    profil: str
    words: tuple[str, ...] = ()
    exact: frozenset[str] = frozenset()
    regex: tuple[re.Pattern, ...] = ()
    source: str = ""

    def matches(self, key: str, folded: str) -> bool:
        if key in self.exact:
            return True
        padded = f" {key} "
        if any(f" {w} " in padded for w in self.words):
            return True
        return any(r.search(folded) or r.search(key) for r in self.regex)


def _as_list(value: object, where: str, file: Path) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    raise ConfigError(f"{where} : une liste de textes était attendue.", file=file)


def parse_rules(data: object, file: Path) -> list[ProfileRule]:
    """Validate the content of a rules YAML file (``regles:`` list, or a bare list)."""
    items = data.get("regles", data.get("rules")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigError(
            "une liste « regles » était attendue (chaque règle : profil + mots, exact ou regex).",
            file=file,
        )
    rules = []
    for i, item in enumerate(items, start=1):
        where = f"règle n° {i}"
        if not isinstance(item, dict) or "profil" not in item:
            raise ConfigError(f"{where} : une clé « profil » était attendue.", file=file)
        profil = str(item["profil"]).strip()
        if profil not in PROFILS:
            raise ConfigError(
                f"{where} : profil « {profil} » inconnu ; profils possibles : {', '.join(PROFILS)}.",
                file=file,
            )
        words = tuple(
            k for k in (profile_key(w) for w in _as_list(item.get("mots"), where, file)) if k
        )
        exact = frozenset(profile_key(w) for w in _as_list(item.get("exact"), where, file))
        regex = []
        for pattern in _as_list(item.get("regex"), where, file):
            try:
                regex.append(re.compile(pattern))
            except re.error as exc:
                raise ConfigError(
                    f"{where} : expression régulière invalide « {pattern} »"
                    + (f" (erreur au caractère {exc.pos + 1})" if exc.pos is not None else "")
                    + ".",
                    file=file,
                ) from None
        if not (words or exact or regex):
            raise ConfigError(
                f"{where} : au moins une clé « mots », « exact » ou « regex » était attendue.",
                file=file,
            )
        rules.append(ProfileRule(profil, words, exact, tuple(regex), f"{file.name}#{i}"))
    return rules


@lru_cache(maxsize=16)
def _rules_from_file(path: str, mtime: float) -> tuple[ProfileRule, ...]:
    file = Path(path)
    try:
        # libyaml's parser when installed (the same safe loading, ten times faster here)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(file.read_text(encoding="utf-8-sig"), Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            "YAML illisible (indentation, deux-points ou guillemets ?).",
            file=file,
            row=mark.line + 1 if mark is not None else None,
        ) from None
    return tuple(parse_rules(data, file))


def load_profile_rules(rules: str | Path | None = None) -> list[ProfileRule]:
    """User rules from ``rules`` (if given) followed by the built-in ones."""
    out: list[ProfileRule] = []
    if rules is not None:
        path = Path(rules)
        if not path.is_file():
            raise ConfigError("fichier de règles de profils introuvable.", file=path)
        out.extend(_rules_from_file(str(path.resolve()), path.stat().st_mtime))
    out.extend(_rules_from_file(str(BUILTIN_RULES), BUILTIN_RULES.stat().st_mtime))
    return out


RulesArg = str | Path | Sequence[ProfileRule] | None


def _resolve(rules: RulesArg) -> Sequence[ProfileRule]:
    if rules is None or isinstance(rules, str | Path):
        return load_profile_rules(rules)
    return rules


def _classify(text: object, rules: Sequence[ProfileRule]) -> str | None:
    key = profile_key(text)
    if not key:
        return "non_renseigne"
    folded = fold_inclusive(text)
    for rule in rules:
        if rule.matches(key, folded):
            return rule.profil
    return None


def classify_profile(text: object, rules: RulesArg = None) -> str | None:
    """The PROFILS id of a free profile text, ``None`` when no rule matches (the one
    classifier of every source: registrations, questionnaires, interviews, drafts)."""
    return _classify(text, _resolve(rules))


def normalize_profile(text: object, rules: RulesArg = None) -> str:
    """Map a free profile text to a PROFILS id (``autre`` when no rule matches)."""
    return _classify(text, _resolve(rules)) or "autre"


def normalize_profiles(
    values: Iterable[object], rules: RulesArg = None
) -> tuple[list[str], Counter]:
    """Map many texts; also return how often each unmatched text (stripped) was seen."""
    resolved = _resolve(rules)
    ids: list[str] = []
    unmatched: Counter = Counter()
    cache: dict[str, str | None] = {}
    for value in values:
        text = "" if value is None else str(value).strip()
        if text not in cache:
            cache[text] = _classify(text, resolved)
        found = cache[text]
        if found is None:
            unmatched[text] += 1
        ids.append(found or "autre")
    return ids, unmatched


# --------------------------------------------------------------------------- postcodes


def clean_postcode(raw: object) -> tuple[str, str]:
    """Return ``(five-digit code, issue)``; issue is ``""``, ``"complete"`` (4 digits padded)
    or ``"invalide"`` (then the code is ``""``). Empty input gives ``("", "")``."""
    s = re.sub(r"[\s\u00a0]", "", str(raw or ""))
    s = re.sub(r"\.0+$", "", s)
    if not s:
        return "", ""
    if re.fullmatch(r"\d{5}", s):
        code, issue = s, ""
    elif re.fullmatch(r"\d{4}", s):
        code, issue = "0" + s, "complete"
    else:
        return "", "invalide"
    return (code, issue) if departement_from_code5(code) else ("", "invalide")


def departement_from_code5(code: str) -> str:
    """Département of a five-digit postcode, ``""`` when it names none."""
    if not re.fullmatch(r"\d{5}", code):
        return ""
    head = int(code[:2])
    if head == 20:
        return "2A" if int(code) < 20200 else "2B"
    if head == 97:
        return code[:3] if code[2] in "123456" else ""
    if 1 <= head <= 95:
        return code[:2]
    return ""


def departement_from_postcode(code: object) -> str:
    """``"69003"`` → ``"69"``, ``"20090"`` → ``"2A"``, ``"97411"`` → ``"974"``, ``"1000"`` → ``"01"``;
    ``""`` when the code is empty or invalid."""
    clean, _ = clean_postcode(code)
    return departement_from_code5(clean) if clean else ""


# --------------------------------------------------------------------------- territory filter


def _territory_key(text: object) -> str:
    """Folded territory name: accents, case, hyphens, apostrophes and « Saint/St » ignored."""
    s = fold_inclusive(text).replace("'", " ").replace("-", " ")
    s = re.sub(r"\bst(e?)\b", r"saint\1", s)
    return re.sub(r"\s+", " ", s).strip()


_GENERIC_WORDS = {
    "metropole", "metropolitain", "ville", "de", "du", "des", "la", "le", "les", "l", "d",
    "communaute", "agglomeration", "agglo", "commune", "communes", "grand", "pays", "et", "en",
    "urbaine", "territoire", "departement", "region",
}  # fmt: skip


def territory_matches(
    values: Iterable[object], filtre: str, *, file: str = "", column: str | None = None
) -> list:
    """Findings about a meeting's territory filter against the values of a source's territory
    column (what ``rencontres check`` reports where a meeting is loaded).

    - values that *almost* match the filter — same text but for case, accents, spaces or
      hyphens (« lyon », « LYON »), or one name inside the other (« Métropole de Lyon » for
      « Lyon », « Rennes » for « Rennes Métropole »), or a near spelling (difflib ratio ≥ 0.85) —
      are listed with their counts (warning: those rows are left out of this meeting);
    - a filter that matches no row at all is an error, naming the near values, or else the
      most frequent values found.

    Returns a list of :class:`rencontres_lib.errors.Finding` (empty when all is well).
    """
    counts = Counter(str(v).strip() for v in values if v is not None and str(v).strip())
    target = str(filtre or "").strip()
    near = near_territories(counts, target)
    exact = counts.get(target, 0)
    out = []
    shown = ", ".join(f"« {v} » ({n})" for v, n in near[:10])
    if near and exact:
        out.append(
            Finding(
                "avertissement",
                file,
                f"valeurs proches du filtre « {target} » mais différentes, lignes laissées hors de "
                f"cette rencontre : {shown} ; écrivez-les exactement « {target} » dans l'export, "
                "ou changez filtre.territoire",
                column=column,
                count=sum(n for _, n in near),
            )
        )
    if not exact:
        if near:
            hint = (
                f"valeurs proches trouvées : {shown} ; mettez l'une d'elles dans filtre.territoire"
            )
        elif counts:
            found = ", ".join(f"« {v} » ({n})" for v, n in counts.most_common(8))
            hint = f"valeurs trouvées : {found}"
        else:
            hint = "la colonne territoire est vide"
        out.append(
            Finding(
                "erreur",
                file,
                f"aucune ligne ne correspond au filtre « {target} » (filtre.territoire) : 0 ligne "
                f"retenue pour cette rencontre ; {hint}",
                column=column,
            )
        )
    return out


def near_territories(counts: Counter, filtre: str) -> list[tuple[str, int]]:
    """Values (with counts, most frequent first) that almost match ``filtre`` without being it:
    same folded text, one name's distinctive words inside the other's, or difflib ratio ≥ 0.85."""
    target = str(filtre or "").strip()
    key = _territory_key(target)
    words = set(key.split()) - _GENERIC_WORDS
    near = []
    for value, n in counts.most_common():
        if value == target:
            continue
        vkey = _territory_key(value)
        vwords = set(vkey.split()) - _GENERIC_WORDS
        if (
            vkey == key
            or (words and vwords and (words <= vwords or vwords <= words))
            or difflib.SequenceMatcher(None, vkey, key).ratio() >= 0.85
        ):
            near.append((value, n))
    return near


def territory_values(values: Iterable[object]) -> list[tuple[str, int]]:
    """Distinct territory values with their counts, most frequent first (for ``rencontres new``)."""
    counts = Counter(str(v).strip() for v in values if v is not None and str(v).strip())
    return counts.most_common()
