"""Names of people in French free text: spaCy's French NER plus honorific rules, cached.

* ``person_spans(texts)`` gives, for each text, the ``(start, end)`` character spans of the
  names of people found by spaCy's ``fr_core_news_md`` pipeline (entities labelled ``PER``,
  only the ``ner`` component is loaded, once per process and only when a text needs it),
  then cleaned: honorifics alone (« Madame »), lower-case or all-digit « names » and the
  words of an allow-list are dropped; a span is widened to a glued hyphenated part.
* ``honorific_spans(text)`` finds « M. Martin », « Mme Lo », « Madame la maire Rolland »,
  « le maire Jean Dupont », « l'adjointe Sophie Exemple »… whatever the surname's length.
* ``may_hold_name(text)`` is the cheap gate: a text without any capitalised word that could
  be a name (only sentence-initial function words such as « Le », « Nous ») never reaches spaCy.

Results are cached by text in ``prive/ner.sqlite`` (key: SHA-256 of the model name and
version, the rules version and the text; value: the spans), so that a rebuild whose texts
are all known never loads spaCy. SQLite makes writes atomic and safe when several notebook
kernels write at once; any cache error falls back to the in-process memo.
``$RENCONTRES_NER_CACHE`` overrides the cache path (an empty value disables the file).

Method: Honnibal et al., spaCy 3 (``fr_core_news_md``, trained on WikiNER); rules added
for the forms it misses in short administrative texts (titles and short surnames).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from . import service
from .config import project_root
from .errors import RencontresError

MODEL = "fr_core_news_md"
RULES_VERSION = "6"
CACHE_FILE = "ner.sqlite"
_BATCH = 64

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿœ"
# one name word: capitalised, possibly hyphenated or with an apostrophe (« Jean-Pierre », « O'Neil »)
NAME_WORD = rf"[{_UP}][{_LOW}{_UP}'’]*(?:-[{_UP}][{_LOW}{_UP}'’]*)*"
_PARTICLE = r"(?:(?:de|du|des|d'|d’|le|la|van|von|der|den|di|da|del|ben|ibn|el|al)\s?)"
NAME_RUN = rf"{NAME_WORD}(?:\s+{_PARTICLE}?{NAME_WORD}){{0,3}}"
_CIVILITY = (
    r"(?:M\.|MM\.|Mme|Mmes|Mlle|Mlles|Mr\.?|Dr\.?|Pr\.?|Monsieur|Madame|Mademoiselle|"
    r"Messieurs|Mesdames|Docteur|Docteure|Professeur|Professeure|Maître)"
)
_ROLE = (
    r"(?:maire|adjoint|adjointe|député|députée|sénateur|sénatrice|président|présidente|"
    r"vice-président|vice-présidente|préfet|préfète|conseiller|conseillère|élu|élue|"
    r"directeur|directrice|ministre|DGS|DGA|chef|cheffe|responsable|coordinateur|"
    r"coordinatrice|animateur|animatrice|chercheur|chercheuse|sociologue|journaliste|"
    r"consultant|consultante|habitant|habitante|militant|militante)"
)
_ROLE_TAIL = r"(?:\s+(?:municipal|municipale|délégué|déléguée|général|générale|de\s+quartier|à\s+la\s+\w+|au\s+\w+))?"  # fmt: skip
# « M. Martin », « Mme Lo », « Madame la maire Rolland »: the civility is masked with the name
CIVILITY_RE = re.compile(
    rf"(?<![\w.]){_CIVILITY}(?:\s+(?:le|la|l'|l’)\s*{_ROLE}{_ROLE_TAIL})?\s+(?=[{_UP}])({NAME_RUN})"
)
# « le maire Jean Dupont », « l'adjointe Sophie Exemple »: only the name is masked
ROLE_RE = re.compile(
    rf"(?<!\w)(?i:(?:le|la|l'|l’|notre|son|sa|leur|un|une|ancien|ancienne)\s*{_ROLE}{_ROLE_TAIL}),?"
    rf"\s+(?=[{_UP}])({NAME_RUN})"
)
_CAP_WORD_RE = re.compile(rf"(?<![\w{_LOW}])[{_UP}][{_LOW}]")
_SENTENCE_ENDS = frozenset('.!?…:;«»"(—–-\n')
_ELIDED = frozenset(("c", "d", "j", "l", "m", "n", "qu", "s", "t", "jusqu", "lorsqu", "puisqu"))
_WORD_AT_RE = re.compile(rf"[{_UP}{_LOW}'’]+")

# sentence-initial words that are never names: a text whose only capitalised words are these
# (at the start of a sentence) skips spaCy
COMMON_STARTS = frozenset(
    """
    a à ah ainsi alors après au aucun aucune aujourd'hui auparavant aussi autant autre autres
    avant avec avoir bah beaucoup bien bon bonjour bref c'est ça car ce ceci cela celle celui
    cependant certains certaines ces cet cette chacun chaque chez comme comment concrètement
    d'abord d'ailleurs dans de depuis des donc du déjà elle elles en enfin ensuite entre est et
    faire franchement honnêtement hier ici il ils j'ai je jamais l'an l'équipe la le les leur leurs
    lors lorsqu'on lorsque ma mais malgré mes moi moins mon même n'importe ne ni nos notre nous oh
    on ou où oui par parce parfois pas peu peut-être plus plusieurs plutôt pour pourquoi pourtant
    puis qu'il qu'on quand quant que quel quelle quelles quels quelqu'un quelque quelques qui
    quoi sa sans se selon ses si sinon son sont souvent sur surtout ta tant tel telle tes toi
    ton tous tout toute toutes très trop tu un une vers voici voilà vos votre vous y
    bravo merci bonne bon bonsoir salut cher chère chers chères félicitations super excellent
    dommage attention vive hélas madame monsieur mesdames messieurs rien non toujours encore
    idem ok oui
    """.split()
)
# a one-word « name » opening a sentence and followed by a determiner is an imperative or
# infinitive verb (« Former tous les élus »), not a person (« Sophie propose »)
_VERB_LIKE_RE = re.compile(
    r"\s+(?:un|une|des|les|le|la|l'|l’|du|au|aux|tous|toutes|tout|toute|chaque|nos|vos|leurs|"
    r"ces|ce|cette|cet|plus|davantage|mieux|moins|enfin|vraiment|à|en)\b"
)
_HONORIFIC_ONLY = re.compile(rf"(?i)^(?:{_CIVILITY}|{_ROLE})\.?$")

_lock = threading.Lock()
_memo: dict[str, tuple[tuple[int, int], ...]] = {}


def _starts_sentence(text: str, pos: int) -> bool:
    before = text[max(0, pos - 12) : pos].rstrip(" \t\u00a0\u202f")
    return not before or before[-1] in _SENTENCE_ENDS


def may_hold_name(text: str) -> bool:
    """False when no word of ``text`` can be a name: no capitalised word, or only common
    French words capitalised at the start of a sentence (« Le », « Nous », « C'est »…)."""
    for m in _CAP_WORD_RE.finditer(text):
        if not _starts_sentence(text, m.start()):
            return True
        word = _WORD_AT_RE.match(text, m.start())
        token = word.group().lower().replace("’", "'") if word else ""
        head, apostrophe, _ = token.partition("'")
        if token in COMMON_STARTS or (apostrophe and head in _ELIDED):
            continue
        return True
    return False


def honorific_spans(text: str) -> list[tuple[int, int]]:
    """Spans of names announced by a civility (masked with it) or a role (name only)."""
    spans = [(m.start(), m.end(1)) for m in CIVILITY_RE.finditer(text)]
    spans += [(m.start(1), m.end(1)) for m in ROLE_RE.finditer(text)]
    return spans


def cache_path() -> Path | None:
    """``$RENCONTRES_NER_CACHE``, else ``<project root>/prive/ner.sqlite`` (None: no file)."""
    env = os.environ.get("RENCONTRES_NER_CACHE")
    if env is not None:
        return Path(env) if env.strip() else None
    return project_root() / "prive" / CACHE_FILE


@lru_cache(maxsize=1)
def _model_version() -> str:
    return package_version(MODEL.replace("_", "-"))


def package_version(name: str) -> str:
    """Installed version of the distribution ``name`` (``"?"`` when absent): part of the keys
    of cached text analyses, so that a new model or encoder gives new keys."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def text_key(text: str) -> str:
    """Cache key of ``text``: SHA-256 of model, model version, rules version and text."""
    head = f"{MODEL}\0{_model_version()}\0{RULES_VERSION}\0"
    return hashlib.sha256((head + text).encode("utf-8", "surrogatepass")).hexdigest()


_MODEL_LOCK = threading.Lock()


def french_pipeline() -> Any:
    """spaCy's French pipeline (:data:`MODEL`) without its parser, loaded once per process and
    shared by every use through :class:`Components`: names (:func:`nlp`), the terms of the
    proposals (:func:`rencontres_lib.consolidation.nlp`) and the word classes of free text.

    Raises :class:`~rencontres_lib.errors.RencontresError` (French) when the model is missing.
    """
    with _MODEL_LOCK:  # two threads never load it twice
        return _load_french()


@lru_cache(maxsize=1)
def _load_french() -> Any:
    import spacy

    try:
        return spacy.load(MODEL, exclude=["parser"])
    except OSError as exc:  # pragma: no cover - model is a declared dependency
        raise RencontresError(
            f"modèle de langue « {MODEL} » introuvable : les textes ne peuvent pas être analysés.",
            hint="Réinstallez le projet (make reports) : le modèle est une dépendance déclarée.",
        ) from exc


@service.remote
def load_pipeline() -> None:
    """Load :func:`french_pipeline` in this process (what the build's text-analysis service
    does as soon as it starts, see :data:`rencontres_lib.service.BUILD_PRELOAD`). Raises
    :class:`~rencontres_lib.errors.RencontresError` (French) when the model is missing."""
    french_pipeline()


class Components:
    """:func:`french_pipeline` running only the components ``keep`` (its ``pipe`` passes the
    others as ``disable``): the same results as a pipeline loaded with those components
    only, for one load of the model per process instead of one per use."""

    def __init__(self, keep: tuple[str, ...]) -> None:
        self.keep = keep

    def pipe(self, texts: Iterable[str], batch_size: int | None = None) -> Iterable[Any]:
        model = french_pipeline()
        off = [name for name in model.pipe_names if name not in self.keep]
        return model.pipe(texts, batch_size=batch_size, disable=off)


def nlp() -> Components:
    """The French pipeline running only ``ner`` (which has its own embedding layer in this
    model), loaded on first call."""
    french_pipeline()
    return Components(("ner",))


class TextCache:
    """Persistent ``key -> JSON value`` table of one SQLite file (atomic, concurrent-safe).

    ``path`` None, or any SQLite error, makes it a silent no-op (every look-up misses): a
    cache never fails a report. One file holds several tables (``ner``: name spans and word
    classes; ``termes`` and ``vecteurs``: :mod:`rencontres_lib.consolidation`). Values are
    JSON (lists come back as lists).
    """

    def __init__(self, path: Path | None, table: str = "ner") -> None:
        if not table.isidentifier():
            raise ValueError(f"nom de table invalide : {table!r}")
        self.path = path
        self.table = table
        self.broken = path is None

    def _connect(self) -> sqlite3.Connection | None:
        if self.broken:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            con.execute("PRAGMA busy_timeout = 60000")
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (cle TEXT PRIMARY KEY, spans TEXT NOT NULL)"
            )
            return con
        except (OSError, sqlite3.Error):
            self.broken = True
            return None

    def get(self, keys: Sequence[str]) -> dict[str, Any]:
        """Values of the ``keys`` found (JSON-decoded); the others are absent."""
        con = self._connect()
        if con is None or not keys:
            return {}
        found = {}
        try:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                marks = ",".join("?" * len(chunk))
                for key, value in con.execute(
                    f"SELECT cle, spans FROM {self.table} WHERE cle IN ({marks})", chunk
                ):
                    found[key] = json.loads(value)
        except (sqlite3.Error, ValueError):
            self.broken = True
        finally:
            con.close()
        return found

    def fetch(
        self,
        todo: dict[str, Any],
        compute: Callable[..., Sequence[Any]],
        *args: Any,
        decode: Callable[[Any], Any] | None = None,
        encode: Callable[[Any], Any] | None = None,
    ) -> dict[str, Any]:
        """Values of ``todo`` (``key -> input``): those stored, the others computed by
        ``compute(inputs, *args)`` (one value per input, in order; run through
        :func:`rencontres_lib.service.compute_each`, so in the build's text-analysis service
        when there is one, once for texts two kernels send at the same time) and stored.
        ``decode``/``encode``: a stored JSON value to the value, and back (default: as they
        are). Raises what ``compute`` raises."""
        known = {k: decode(v) if decode else v for k, v in self.get(list(todo)).items()}
        missing = {k: x for k, x in todo.items() if k not in known}
        if missing:
            found = service.compute_each(compute, list(missing.values()), *args)
            fresh = dict(zip(missing, found, strict=True))
            self.put({k: encode(v) for k, v in fresh.items()} if encode else fresh)
            known.update(fresh)
        return known

    def put(self, items: dict[str, Any]) -> None:
        """Store ``key -> value`` (JSON-encodable); an existing key is kept as it is."""
        con = self._connect()
        if con is None or not items:
            return
        try:
            with con:  # one transaction: all or nothing
                con.execute("BEGIN IMMEDIATE")
                con.executemany(
                    f"INSERT OR IGNORE INTO {self.table} (cle, spans) VALUES (?, ?)",
                    [(k, json.dumps(v)) for k, v in items.items()],
                )
        except sqlite3.Error:
            self.broken = True
        finally:
            con.close()


def _clean_spans(text: str, ents: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out = []
    for start, end in ents:
        while (word := _WORD_AT_RE.match(text, start)) and word.end() < end:
            if word.group().lower().replace("’", "'") not in COMMON_STARTS:
                break  # « Bravo Hélène Lefèvre » -> « Hélène Lefèvre »
            start = word.end() + len(text[word.end() : end]) - len(text[word.end() : end].lstrip())
        word = _WORD_AT_RE.match(text, start)
        if word and word.end() >= end and word.group().lower() in COMMON_STARTS:
            continue  # « Bonne » alone
        words = text[start:end].strip(" .,;:!?'’\"«»()-")
        if not words or not any(c.isupper() for c in words) or not any(c.isalpha() for c in words):
            continue
        if _HONORIFIC_ONLY.match(words) or "·" in words:
            continue  # « Madame » alone; « Élu·e » (inclusive writing is never a name)
        if " " not in words and _starts_sentence(text, start):
            if _VERB_LIKE_RE.match(text, end) or re.match(r"\s*[.:]", text[end : end + 3]):
                continue  # « Garder un équilibre… », « Entretiens. 33 extraits… » (a heading)
        while end < len(text) - 1 and text[end] == "-" and text[end + 1].isupper():
            m = re.match(NAME_WORD, text[end + 1 :])
            end = end + 1 + (m.end() if m else 0)
        out.append((start, end))
    return tuple(out)


@service.remote
def ner_person_spans(texts: list[str]) -> list[tuple[tuple[int, int], ...]]:
    """Spans of people's names found by the NER in each text (no cache; run in the build's
    text-analysis service when there is one, see :mod:`rencontres_lib.service`)."""
    out = []
    for text, doc in zip(texts, nlp().pipe(texts, batch_size=_BATCH), strict=True):
        ents = [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "PER"]
        out.append(_clean_spans(text, ents))
    return out


def person_spans(texts: Sequence[str], *, store: bool = True) -> list[tuple[tuple[int, int], ...]]:
    """For each text, spans of people's names found by the NER (not the rules), cached.

    Texts for which :func:`may_hold_name` is false get ``()`` without any look-up.
    """
    keys = {t: text_key(t) for t in dict.fromkeys(texts) if may_hold_name(t)}
    with _lock:
        todo = [t for t, k in keys.items() if k not in _memo]
    if todo:
        found = TextCache(cache_path() if store else None).fetch(
            {keys[t]: t for t in todo},
            ner_person_spans,
            decode=lambda v: tuple(tuple(span) for span in v),
        )
        with _lock:
            _memo.update(found)
    return [_memo[keys[t]] if t in keys else () for t in texts]
