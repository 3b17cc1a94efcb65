"""The domain vocabulary and text normalisation, in one leaf module.

Every module that compares texts folds them here, so two places can never disagree on what
« the same text » means. This module imports nothing from the package (a test checks it), so
any module may import it.

Keys, from the strictest to the loosest:

- :func:`normalize_label`: case, spaces and apostrophes folded, accents kept (answer labels of
  a codebook: « Très » and « Tres » stay distinct answers);
- :func:`fold`: also accents and ligatures removed (headers, territories, dates, free text);
- :func:`fold_header`: :func:`fold` plus ``_``/``-`` read as spaces (column names);
- :func:`loose_key`: :func:`normalize_label` without accents, inclusive marks joined
  (« élu·e » → ``elue``), for profile labels and codebook drafts;
- :func:`fold_inclusive` and :func:`profile_key`: inclusive endings dropped and words brought
  back to the masculine (« chercheuse » → ``chercheur``), for profile rules;
- :func:`fold_offsets`: one character for one character, for masking in place (privacy);
- :func:`slug`: ASCII anchor ids.

Words: a *dimension* is one of the five ICPC dimensions (:data:`DIMENSION_NAMES`); a *theme*
is an entry of the free-text dictionary (``data/themes.yaml``); a Taguette or QualCoder *code*
is a ``code``; a Decidim *category* is a ``category``. Personal data patterns
(:data:`EMAIL_RE`, :data:`EMAIL_DISGUISED_RE`, :data:`PHONE_RE`) and the French texts of
pydantic validation errors (:func:`pydantic_message`) live here too.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Mapping
from functools import cache, lru_cache

# --------------------------------------------------------------------------- folding

APOSTROPHES = "’‘ʼ`´′"
_FOLD_CHARS = str.maketrans(
    {**{c: "'" for c in APOSTROPHES}, "œ": "oe", "æ": "ae", "ß": "ss", "\u00a0": " "}
)


def _is_missing(value: object) -> bool:
    """None, NaN, pd.NA and NaT (without importing pandas)."""
    if value is None:
        return True
    try:
        return bool(value != value) or type(value).__name__ in {"NAType", "NaTType"}
    except (TypeError, ValueError):  # pd.NA refuses bool(); arrays are not missing values
        return type(value).__name__ in {"NAType", "NaTType"}


def fold(text: object) -> str:
    """Lower-case, accent-free, single-spaced text; ``""`` for None/NaN.

    Typographic apostrophes (``’‘ʼ`´′``) become ``'``, ligatures are spelt out (œ → ``oe``,
    æ → ``ae``, ß → ``ss``), accents are removed by Unicode NFKD decomposition (so « ﬁ » →
    ``fi``) and every run of whitespace (also non-breaking spaces) becomes one space.
    ``fold("  L’Œuvre  Élue ")`` → ``"l'oeuvre elue"``.
    """
    if _is_missing(text):
        return ""
    return _fold(str(text))


@lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    """:func:`fold` of a string (memoised: reports fold the same labels and answers again and
    again, 50,000 calls for one report)."""
    s = text.lower().translate(_FOLD_CHARS)
    if not s.isascii():
        s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return " ".join(s.split())


def fold_header(name: object) -> str:
    """Fold a column name: :func:`fold`, inclusive ``·``/``•`` removed, ``_``/``-`` as spaces."""
    s = fold(name).replace("·", "").replace("•", "")
    return " ".join(re.sub(r"[_\-]+", " ", s).split())


def slug(text: object, default: str = "section") -> str:
    """ASCII anchor id: :func:`fold`, then every run of other characters as one ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or default


_LABEL_SPACES = str.maketrans(
    {**{c: "'" for c in APOSTROPHES}, **{c: " " for c in "\u00a0\u202f\u2009\t\r\n"}}
)


def normalize_label(value: object) -> str:
    """Key used to compare answer labels: case, spaces and apostrophes folded, accents kept.

    Numbers read as floats come back whole: ``"2.0"`` → ``"2"``.
    """
    s = " ".join(str(value).translate(_LABEL_SPACES).casefold().split())
    if re.fullmatch(r"-?\d+\.0+", s):
        s = s.split(".")[0]
    return s


def loose_key(value: object) -> str:
    """Looser key for profile labels and drafts: :func:`normalize_label` without accents,
    inclusive marks joined to the word (« élu·e », « élu(e) » → ``elue``)."""
    s = normalize_label(value)
    s = re.sub(r"\((\w{1,3})\)", r"\1", s)
    s = re.sub(r"[·•.\-/]((?:e|ne|le|se|re|ve|te)s?)\b", r"\1", s)
    s = unicodedata.normalize("NFKD", s.replace("œ", "oe"))
    s = "".join(c for c in s if not unicodedata.combining(c)).replace("·", "")
    return " ".join(s.split())


_INCLUSIVE = [
    # élu·e, citoyen·ne·s, conseiller·ère, chercheur.euse, directeur·rice
    re.compile(r"(?<=[a-z])[·•.](?:e|ne|le|te|fe|ere|euse|rice|trice)(?:[·•.]?s)?\b"),
    # élu-e, enseignant-e-s, chercheur-euse
    re.compile(r"(?<=[a-z])-(?:e|ne|euse|rice|trice)(?:-?s)?\b"),
    # élu(e), conseiller(ère)s
    re.compile(r"\((?:e|ne|le|te|fe|es|s|ere|euse|rice|trice)\)s?"),
    # élu·s
    re.compile(r"(?<=[a-z])[·•.]s\b"),
]
_FEMININE = [
    ("trice", "teur"),
    ("euse", "eur"),
    ("enne", "en"),
    ("elle", "el"),
    ("aine", "ain"),
    ("oise", "ois"),
    ("ere", "er"),
    ("ine", "in"),
    ("nte", "nt"),
    ("ive", "if"),
    ("ale", "al"),
    ("ete", "et"),
    ("ffe", "f"),
    ("ee", "e"),
    ("ue", "u"),
]


def fold_inclusive(text: object) -> str:
    """:func:`fold` with inclusive endings removed (« élu·e », « élu(e) » → ``elu``)."""
    s = fold(text)
    for pattern in _INCLUSIVE:
        s = pattern.sub("", s)
    return " ".join(s.split())


def _masculine(word: str) -> str:
    if len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    changed = True
    while changed:
        changed = False
        for end, repl in _FEMININE:
            if word.endswith(end) and len(word) - len(end) + len(repl) >= 3:
                word = word[: -len(end)] + repl
                changed = True
                break
    return word


def profile_key(text: object) -> str:
    """Comparison key of a profile text: :func:`fold_inclusive`, words singular and masculine
    (« Chercheuses » → ``chercheur``, « élue locale » → ``elu local``)."""
    words = re.split(r"[^a-z0-9]+", fold_inclusive(text))
    return " ".join(_masculine(w) for w in words if w)


# One character for one character, so offsets found in the folded text mask the original.
_COMBINING_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


@cache
def _offset_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x10000):  # lower case, one character to one character
        low = chr(cp).lower()
        if len(low) == 1 and low != chr(cp):
            table[cp] = low
    for cp in itertools.chain(range(0xC0, 0x250), range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        base = base.lower()
        if len(base) == 1 and base != ch:
            table[cp] = base
    table.update({ord(c): "'" for c in "\u2019\u2018\u02bc\u00b4`"})
    table.update({ord(c): "-" for c in "\u2010\u2011\u2012\u2013"})
    table.update({ord(c): b for c, b in zip("øØđĐłŁı", "ooddlli", strict=True)})
    return table


def fold_offsets(text: str) -> tuple[str, list[int] | None]:
    """Lower-case accent-folded text keeping positions, for masking in place.

    Returns ``(folded, offsets)``: each character is folded to one character (no ligature
    expansion, no whitespace change), so a match at ``i:j`` in ``folded`` is ``i:j`` in
    ``text``; when combining marks had to be dropped, ``offsets[k]`` is the position in
    ``text`` of folded character ``k`` (plus a final ``len(text)``), else ``None``.
    """
    folded = text.translate(_offset_table())
    if not _COMBINING_RE.search(folded):
        return folded, None
    keep = [i for i, c in enumerate(folded) if not unicodedata.combining(c)]
    return "".join(folded[i] for i in keep), keep + [len(text)]


# --------------------------------------------------------------------------- personal data

_AT_PLAIN = "@"
_DOT_PLAIN = r"\."
_AT_DISGUISED = (
    r"(?:\s?@\s?|\s?[\[({<]\s?(?:at|@|arobase|arrobase)\s?[\])}>]\s?|\s(?:at|arobase|arrobase)\s)"
)
_DOT_DISGUISED = r"(?:\.|\s?[\[({<]\s?(?:dot|point|\.)\s?[\])}>]\s?|\s(?:dot|point)\s)"


def _email_pattern(at: str, dot: str) -> str:
    return rf"(?<![\w.%+\-])[\w.%+\-]+{at}[\w\-]+(?:{dot}[\w\-]+)*{dot}([^\W\d_]{{2,}})(?![\w\-])"


#: An e-mail address as written in a cell or a page (``prenom.nom@domaine.fr``); group 1 is
#: the top-level domain.
EMAIL_RE = re.compile(_email_pattern(_AT_PLAIN, _DOT_PLAIN))
#: Also the disguised forms people write in free text (« jean (at) x (point) fr »).
EMAIL_DISGUISED_RE = re.compile(_email_pattern(_AT_DISGUISED, _DOT_DISGUISED), re.IGNORECASE)
_PHONE_SEP = r"[ \t./\-\u00a0\u202f]"
#: A French phone number (``06 12 34 56 78``, ``+33 6…``, ``0033 (0)6…``).
PHONE_RE = re.compile(
    r"(?<![\d+])(?<!\d[.,])(?:(?:\+|00)\s?33[\s.\-]?(?:\(0\)\s?)?[1-9]|0[1-9])"
    rf"(?:{_PHONE_SEP}?\d{{2}}){{4}}(?!\d)(?![.,]\d)"
)

# --------------------------------------------------------------------------- dimensions

#: The words that name each ICPC dimension (folded, whole words): a Taguette code
#: « Décision » or « Transparence / sincérité » names its dimension.
DIMENSION_NAMES: dict[str, tuple[str, ...]] = {
    "organisation": ("organisation",),
    "decision": ("decision", "decisions"),
    "inclusion": ("inclusion",),
    "transparence": ("transparence", "sincerite"),
    "redevabilite": ("redevabilite", "reddition"),
}
#: Regular expressions (on :func:`fold`-ed question headings) that hint at a dimension when
#: a codebook is drafted: its names, its three-letter code, and the words its questions use.
DIMENSION_WORDS: dict[str, str] = {
    "organisation": r"\borg\b|organisation|services|moyens|fonctionnement|culture",
    "decision": r"\bdec\b|decision|peser sur|arbitr|s'engagent",
    "inclusion": r"\binc\b|inclusion|publics|eloigne|diversite|memes personnes",
    "transparence": r"\btra\b|transparen|sincerit|regles du jeu|negociable|informations",
    "redevabilite": r"\bred\b|redevab|reddition|rend compte|rendre compte|suites donnees",
}


def dimension_of(label: object) -> str:
    """The dimension (key of :data:`DIMENSION_NAMES`) a code or label names first, else ``""``.

    ``dimension_of("Inclusion et décision")`` → ``"inclusion"`` (the first one written).
    """
    folded = fold(label)
    best: tuple[int, str] | None = None
    for key, words in DIMENSION_NAMES.items():
        for word in words:
            m = re.search(r"(?<![a-z])" + word + r"(?![a-z])", folded)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), key)
    return best[1] if best else ""


# --------------------------------------------------------------------------- validation errors

#: French text of each pydantic error type (https://docs.pydantic.dev/latest/errors/validation_errors/).
PYDANTIC_TEXTS: dict[str, str] = {
    "missing": "clé obligatoire absente",
    "extra_forbidden": "clé inconnue (faute de frappe ?)",
    "date_from_datetime_parsing": "une date au format AAAA-MM-JJ est attendue",
    "date_parsing": "une date au format AAAA-MM-JJ est attendue",
    "date_type": "une date au format AAAA-MM-JJ est attendue",
    "int_parsing": "un nombre entier est attendu",
    "int_type": "un nombre entier est attendu",
    "greater_than": "un nombre strictement positif est attendu",
    "greater_than_equal": "un nombre plus grand est attendu",
    "string_type": "un texte est attendu",
    "string_too_short": "un texte non vide est attendu",
    "list_type": 'une liste est attendue, ex. ["a", "b"]',
    "dict_type": "un dictionnaire (clé: valeur) est attendu",
    "model_type": "un dictionnaire (clé: valeur) est attendu",
    "bool_parsing": "oui/non (true/false) est attendu",
    "bool_type": "oui/non (true/false) est attendu",
}


def pydantic_message(err: Mapping) -> str:
    """French text of one pydantic error (an item of ``ValidationError.errors()``).

    Unknown literal values name the allowed ones (« valeur « x » inconnue ; valeurs
    attendues : a, b ou c »); a ``ValueError`` raised by a validator keeps its own (French)
    text; other types use :data:`PYDANTIC_TEXTS` and end with the value received. The location
    (key path) is left to the caller, which knows how to name it.
    """
    kind = err["type"]
    value = err.get("input")
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    if kind == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", "")).replace("'", "")
        return (
            f"valeur « {value} » inconnue ; valeurs attendues : {expected.replace(' or ', ' ou ')}"
        )
    if kind.startswith("date") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value or "")):
        text = "ce jour n'existe pas dans le calendrier ; une date réelle au format AAAA-MM-JJ est attendue"
    else:
        text = PYDANTIC_TEXTS.get(kind, err["msg"])
    if kind != "missing" and "input" in err and not isinstance(value, dict | list):
        text += f" (reçu « {value} »)"
    return text
