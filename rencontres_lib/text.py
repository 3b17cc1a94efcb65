"""Free-text analysis of French open answers (Python + numpy; spaCy only to name topics).

Tokeniser and light stemmer; theme dictionary (``data/themes.yaml`` or a user file) matched
on stems, unthemed answers grouped by :func:`auto_topics` and named by meaningful words
(:func:`meaningful_words`: spaCy nouns, adjectives and verbs, cached in ``prive/``);
representative quotes (indices, never text) and :func:`similarity` to keep near-copies of a
quote apart. Workshop proposals
that express the same idea are grouped by :mod:`rencontres_lib.consolidation` (spaCy lemmas
and synonyms), not here.

Stemmer (on accent-free lowercase words of ASCII letters only; other words are kept):

1. plural: ``-eaux`` → ``-eau``, ``-aux`` → ``-al``, final ``-s``/``-x`` dropped (not ``-ss``,
   not ``-eux`` in words longer than 5 letters);
2. the longest suffix of :data:`SUFFIXES` whose removal leaves at least 3 letters (5 for
   ``-ent``) is replaced (e.g. ``-ation`` → ``""``, ``-ision`` → ``-id``, ``-ution`` → ``-u``);
3. when no suffix applied, a final ``-e``/``-ee`` is dropped, then only ``-ent``/``-ant``
   are tried (« transparente » → ``transpar``);
4. a final doubled consonant is undoubled (``citoyenn`` → ``citoyen``).
:data:`STEM_EXCEPTIONS` (on the accented word) keeps « forme » apart from « formé ».
« participations, participation, participatif, participative, participer » → ``particip``;
« citoyens, citoyenne, citoyennes » → ``citoyen``; « décision, décider » → ``decid``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import DIMENSIONS, service
from .consolidation import nlp
from .errors import ConfigError
from .names import TextCache, cache_path, text_key
from .vocabulary import APOSTROPHES, fold

BUILTIN_THEMES = Path(__file__).parent / "data" / "themes.yaml"
OTHER_ID = "autres"

STOP_WORDS = frozenset(
    """a ai ainsi alors apres au aucun aucune aupres aura auront aussi autre autres aux avaient
    avait avant avec avoir avons beaucoup bien c ca car ce ceci cela celle celles celui certains
    certaines ces cet cette ceux chaque chez ci comme comment d dans de deja depuis des deux
    doit doivent donc dont du elle elles en encore entre es est et etaient etait etant etc ete
    etre eu eux fait faire faut fois il ils j je jusqu jusque l la le les leur leurs lors
    lorsque lui m ma mais me mes moi moins mon n ne ni nos notamment notre nous on ont or ou par
    parce parfois pas pendant peu peut peuvent plus plusieurs pour pourquoi pourrait puis qu
    quand que quel quelle quelles quels qui quoi s sa sans se selon sera serait seront ses si
    soit sommes son sont souvent sous suis sur surtout t te tel telle tels telles tous tout
    toute toutes tres trop tu un une vers via voire vos votre vous vraiment y oui ici afin
    puisque quelque quelques tant toujours meme memes autant cependant dit font seul seule
    seulement va vont aujourd hui""".split()
)

# (suffix, replacement, minimum stem length); the longest matching suffix wins.
# fmt: off
SUFFIXES: tuple[tuple[str, str, int], ...] = tuple(sorted([
    ("abilite", "", 3), ("ibilite", "", 3), ("ativite", "", 3), ("ivite", "", 3),
    ("atrice", "", 3), ("ateur", "", 3), ("ation", "", 3), ("ition", "", 3), ("ution", "u", 3),
    ("ision", "id", 3), ("ement", "", 3), ("ative", "", 3), ("atif", "", 3),
    ("iance", "iance", 2), ("euse", "", 3), ("eur", "", 3), ("ique", "", 3), ("isme", "", 3),
    ("iste", "", 3), ("able", "", 3), ("ible", "", 3), ("ance", "", 3), ("ence", "", 3),
    ("ion", "", 3), ("ite", "", 3), ("ive", "", 3), ("if", "", 3), ("ant", "", 3),
    ("ent", "", 5), ("eux", "", 3), ("ie", "", 3), ("er", "", 3),
], key=lambda rule: -len(rule[0])))
# fmt: on
# Checked on the lowercase accented word: « forme(s) » is not « formé(s) », « formation ».
_RETRY = (("ent", "", 5), ("ant", "", 3))  # after a dropped -e: « transparente »
STEM_EXCEPTIONS = {"forme": "forme", "formes": "forme"}

MAX_DF = 0.6  # auto_topics: terms in a larger share of the answers are too general
_APOSTROPHES = str.maketrans({c: "'" for c in APOSTROPHES})
_ELISION_RE = re.compile(r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])'")
_WORD_RE = re.compile(r"[^\W_]+")


def _as_text(text: Any) -> str:
    if isinstance(text, str):
        return text
    if text is None or (not isinstance(text, list | tuple | dict) and pd.isna(text)):
        return ""
    return str(text)


def _words(text: Any) -> list[tuple[str, str]]:
    """(surface, key) of every word, elisions removed: surface keeps accents, key has none."""
    lowered = _ELISION_RE.sub(" ", _as_text(text).translate(_APOSTROPHES).lower())
    return [(w, fold(w)) for w in _WORD_RE.findall(lowered)]


def _is_content(key: str) -> bool:
    return key not in STOP_WORDS and len(key) > 1 and (not key.isdigit() or len(key) == 4)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light French stem of one word (see the module docstring for the rules)."""
    if (lowered := word.strip().lower()) in STEM_EXCEPTIONS:
        return STEM_EXCEPTIONS[lowered]
    w = fold(word)
    if len(w) <= 3 or not (w.isascii() and w.isalpha()):
        return w
    if w.endswith("eaux"):
        w = w[:-1]
    elif w.endswith("aux") and len(w) > 4:
        w = w[:-3] + "al"
    elif w[-1] in "sx" and not w.endswith("ss") and not (w.endswith("eux") and len(w) > 5):
        w = w[:-1]
    replaced = _strip_suffix(w, SUFFIXES)
    if replaced is None and w.endswith("e"):
        w = w[:-2] if w.endswith("ee") and len(w) >= 5 else w[:-1] if len(w) >= 4 else w
        replaced = _strip_suffix(w, _RETRY)
    w = replaced if replaced is not None else w
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "aeiouy":
        w = w[:-1]
    return w


def _strip_suffix(w: str, rules: tuple[tuple[str, str, int], ...]) -> str | None:
    cut = (w[: len(w) - len(x)] + r for x, r, m in rules if w.endswith(x) and len(w) - len(x) >= m)
    return next(cut, None)


def tokens(text: Any, *, stemmed: bool = False) -> list[str]:
    """Content words (accent-free; no stop words, elisions), stemmed with ``stemmed=True``."""
    pairs = [(surface, key) for surface, key in _words(text) if _is_content(key)]
    return [stem(s) if stemmed else k for s, k in pairs]


def _stem_sequence(text: Any) -> str:
    """All words (stop words included) stemmed, space-padded, for phrase matching."""
    return " " + " ".join(stem(surface) for surface, _ in _words(text)) + " "


@dataclass(frozen=True)
class Theme:
    """One theme of the dictionary: keywords are words or expressions, matched on stems."""

    id: str
    libelle: str
    dimension: str | None
    mots_cles: tuple[str, ...]

    def matches(self, sequence: str) -> list[str]:
        """Keywords found in a :func:`_stem_sequence` string."""
        return [kw for kw, pattern in _patterns(self.mots_cles) if pattern in sequence]


@lru_cache(maxsize=1024)
def _patterns(keywords: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(first keyword, stem pattern) of each distinct pattern."""
    first: dict[str, str] = {}
    for kw in keywords:
        first.setdefault(_stem_sequence(kw), kw)
    return tuple((kw, pattern) for pattern, kw in first.items() if pattern.strip())


def load_themes(path: str | Path | None = None) -> list[Theme]:
    """Themes of ``path`` (default: the built-in ``data/themes.yaml``).

    A user file has the same layout; with ``etendre: true`` its themes are added to the
    built-in ones (a theme with the same ``id`` replaces the built-in one).
    Raises :class:`~rencontres_lib.errors.ConfigError` naming the file and the key.
    """
    p = Path(path) if path is not None else BUILTIN_THEMES
    hint = "Corrigez le fichier de thèmes (voir le modèle rencontres_lib/data/themes.yaml)."
    if not p.is_file():
        raise ConfigError("fichier de thèmes introuvable.", file=p, hint="Vérifiez le chemin.")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
        row = mark.line + 1 if mark is not None else None
        why = f"YAML illisible ({problem or 'syntaxe'})" if mark or problem else "UTF-8 attendu"
        raise ConfigError(f"{why}.", file=p, row=row, hint=hint) from exc
    extend = isinstance(data, dict) and bool(data.get("etendre", False))
    data = data.get("themes") if isinstance(data, dict) else data
    if not isinstance(data, list) or not data:
        raise ConfigError("la clé « themes » doit être une liste non vide.", file=p, hint=hint)
    themes = [_theme_from(item, i, p, hint) for i, item in enumerate(data, start=1)]
    ids = [t.id for t in themes]
    if duplicated := sorted({i for i in ids if ids.count(i) > 1}):
        raise ConfigError(f"clé « id » en double : {', '.join(duplicated)}.", file=p, hint=hint)
    if extend and p != BUILTIN_THEMES:
        own = set(ids)
        themes = [t for t in load_themes() if t.id not in own] + themes
    return themes


def _theme_from(item: Any, i: int, p: Path, hint: str) -> Theme:
    if not isinstance(item, dict):
        raise ConfigError(f"le thème n° {i} doit être un dictionnaire.", file=p, hint=hint)
    item = {fold(k).replace("-", "_").replace(" ", "_"): v for k, v in item.items()}

    def fail(key: str, expected: str) -> ConfigError:
        return ConfigError(f"thème n° {i}, clé « {key} » : {expected}.", file=p, hint=hint)

    theme_id = item.get("id")
    if not isinstance(theme_id, str) or not re.fullmatch(r"[a-z0-9_]+", theme_id):
        raise fail("id", "identifiant attendu (minuscules, chiffres, _)")
    libelle = item.get("libelle")
    if not isinstance(libelle, str) or not libelle.strip():
        raise fail("libelle", "texte non vide attendu")
    dimension = item.get("dimension")
    if dimension is not None and dimension not in DIMENSIONS:
        raise fail("dimension", f"une valeur parmi {', '.join(DIMENSIONS)} ou rien attendue")
    keywords = item.get("mots_cles")
    ok = isinstance(keywords, list) and keywords and all(_words(str(k)) for k in keywords)
    if not ok or not all(isinstance(k, str | int) for k in keywords):
        raise fail("mots_cles", "liste non vide de mots ou d'expressions attendue")
    return Theme(theme_id, libelle.strip(), dimension, tuple(str(k) for k in keywords))


def assign_themes(texts: pd.Series, themes: list[Theme]) -> pd.DataFrame:
    """One row per (answer, matching theme): columns ``index``, ``theme``, ``mots``."""
    rows = []
    for idx, text in texts.items():
        sequence = _stem_sequence(text)
        for theme in themes:
            if found := theme.matches(sequence):
                rows.append((idx, theme.id, ", ".join(found)))
    return pd.DataFrame(rows, columns=["index", "theme", "mots"])


def theme_shares(
    texts: pd.Series,
    themes: list[Theme],
    *,
    other_label: str = "Autres sujets",
    n_topics: int = 3,
    min_df: int = 3,
) -> pd.DataFrame:
    """Answers per theme: ``theme, libelle, dimension, n, part`` (share of non-empty answers).

    Themes without answers are left out; unthemed answers are grouped by :func:`auto_topics`,
    the rest is ``other_label`` (id ``autres``), always last. Sorted by ``n`` descending.
    """
    texts = texts[[bool(fold(t)) for t in texts]] if len(texts) else texts
    total = len(texts)
    assigned = assign_themes(texts, themes)
    counts = assigned["theme"].value_counts()
    rows = [(t.id, t.libelle, t.dimension, int(counts[t.id])) for t in themes if t.id in counts]
    rest = texts[~texts.index.isin(assigned["index"])]
    topics = auto_topics(rest, n_topics, min_df, other_label=other_label)
    auto = topics.groupby("topic")["libelle"].agg(["first", "size"])
    auto = auto.sort_index(key=lambda ids: ids.str.len(), kind="stable")  # sujet_2 < sujet_10
    rows += [(t, r["first"], None, int(r["size"])) for t, r in auto.iterrows() if t != OTHER_ID]
    rows.sort(key=lambda row: -row[3])
    if OTHER_ID in auto.index:
        rows.append((OTHER_ID, other_label, None, int(auto.loc[OTHER_ID, "size"])))
    out = pd.DataFrame(rows, columns=["theme", "libelle", "dimension", "n"])
    out["part"] = out["n"] / total if total else 0.0
    return out.astype({"n": "int64", "part": "float64"}).reset_index(drop=True)


MEANINGFUL_POS = frozenset({"NOUN", "ADJ", "VERB"})
# the one word a written form of a topic may hold between two words (« cadre de vie »)
LINK_WORDS = frozenset("a au aux d de des du en entre et l la le les pour sur".split())
TAGS_PREFIX = "\0mots-porteurs\0"  # cache keys of meaningful_words, apart from the NER's


@service.remote
def tag_meaningful_words(texts: list[str]) -> list[tuple[tuple[str, str], ...]]:
    """:func:`meaningful_words` of each text, without cache (run in the build's text-analysis
    service when there is one, see :mod:`rencontres_lib.service`)."""
    return [
        tuple(
            (tok.text.lower(), tok.lemma_.lower())
            for tok in doc
            if tok.pos_ in MEANINGFUL_POS
            and not tok.is_stop
            and tok.is_alpha
            and len(tok.text) >= 3
        )
        for doc in nlp().pipe(texts, batch_size=64)
    ]


def meaningful_words(texts: list[str]) -> list[list[tuple[str, str]]]:
    """For each text, its meaningful words as ``(word as written, lowercase; lemma)``.

    Meaningful: a noun, adjective or verb for spaCy's French pipeline (``fr_core_news_md``,
    :func:`rencontres_lib.consolidation.nlp`), not one of spaCy's stop words, of 3 letters or
    more. Results are cached by text with the names' cache (``prive/ner.sqlite``, see
    :mod:`rencontres_lib.names`), so spaCy is loaded only for texts never seen.
    """
    keys = {t: text_key(TAGS_PREFIX + t) for t in dict.fromkeys(texts)}
    todo = [t for t, k in keys.items() if k not in _TAGS]
    if todo:
        _TAGS.update(
            TextCache(cache_path()).fetch(
                {keys[t]: t for t in todo},
                tag_meaningful_words,
                decode=lambda v: tuple((str(w), str(lemma)) for w, lemma in v),
            )
        )
    return [list(_TAGS[keys[t]]) for t in texts]


_TAGS: dict[str, tuple[tuple[str, str], ...]] = {}  # in-process memo of meaningful_words


def topic_label(
    terms: list[str],
    member_words: list[list[tuple[str, str]]],
    phrases: dict[str, str] | None = None,
    max_items: int = 3,
) -> str | None:
    """« mot1, mot2 » from a topic's terms (stems or stem bigrams, most telling first), or None.

    Only meaningful words of the topic's answers (``member_words``, from
    :func:`meaningful_words`) can name it: each stem of ``terms`` is replaced by its most
    frequent meaningful word (ties: alphabetical); stems that are no meaningful word (« y
    compris », « jamais », « celles qui ») are skipped. A bigram whose two words are meaningful
    is shown as written when ``phrases`` gives it (« cadre de vie »), and so are two single
    terms that the answers write side by side (« sort » and « tirage »: « tirage au sort »).
    Fewer than two distinct lemmas: None (the topic is not named and joins « Autres sujets »).
    """
    phrases = phrases or {}
    singles = [t for t in terms if " " not in t]
    ordered = []
    for term in terms:
        if " " not in term:
            pair = next(
                (
                    p
                    for o in singles
                    for p in (f"{term} {o}", f"{o} {term}")
                    if o != term and p in phrases
                ),
                None,
            )
            term = pair or term
        ordered.append(term)
    by_stem: dict[str, tuple[str, str]] = {}
    counts: dict[str, Counter[tuple[str, str]]] = {}
    for words in member_words:
        for word, lemma in words:
            counts.setdefault(stem(word), Counter())[(word, lemma)] += 1
    for st, c in counts.items():
        by_stem[st] = min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    shown: list[str] = []
    lemmas: list[str] = []
    for term in ordered:
        stems = term.split()
        if len(shown) == max_items:
            break
        if len(stems) == 2 and term in phrases and all(st in by_stem for st in stems):
            pair = [by_stem[st][1] for st in stems]
            if not set(pair) & set(lemmas):
                shown.append(phrases[term])
                lemmas += pair
            continue
        for st in stems:
            if st in by_stem and by_stem[st][1] not in lemmas and len(shown) < max_items:
                shown.append(by_stem[st][0])
                lemmas.append(by_stem[st][1])
    return ", ".join(shown) if len(set(lemmas)) >= 2 else None


def auto_topics(
    texts: pd.Series,
    n_topics: int = 3,
    min_df: int = 3,
    *,
    other_label: str = "Divers",
    tagger=None,
) -> pd.DataFrame:
    """Deterministic grouping of answers: columns ``index, topic, libelle`` (non-empty only).

    Terms are stems (≥ 3 letters) and bigrams of adjacent content stems; terms found in more
    than :data:`MAX_DF` of the answers (but at least ``min_df``) are too general, and so are
    their bigrams. Greedily, the
    term present in most not-yet-grouped answers (ties: bigram, then alphabetical) gathers a
    topic with the frequent co-occurring words; it stops when no term reaches ``min_df``
    answers or ``n_topics`` topics are named. A topic is named « Sujet : « mot1, mot2 » » by
    :func:`topic_label` from the meaningful words of its answers (``tagger``, default
    :func:`meaningful_words`: spaCy nouns, adjectives, verbs); without two meaningful lemmas
    its answers join ``autres`` (``other_label``), like every answer left.
    """
    tagger = tagger or meaningful_words
    terms: dict[Any, set[str]] = {}
    phrases: dict[str, Counter[str]] = {}  # bigram → its short forms as written (« cadre de vie »)
    for idx, text in texts.items():
        if not fold(text):
            continue
        words = _words(text)
        content = [(p, stem(w)) for p, (w, key) in enumerate(words) if _is_content(key)]
        grams = [st for _, st in content if len(st) >= 3]
        pairs = list(zip(content, content[1:], strict=False))
        grams += [f"{a} {b}" for (_, a), (_, b) in pairs if a != b]
        for (p, a), (q, b) in pairs:
            if a != b and (q - p == 1 or (q - p == 2 and words[p + 1][1] in LINK_WORDS)):
                phrases.setdefault(f"{a} {b}", Counter())[
                    " ".join(w for w, _ in words[p : q + 1])
                ] += 1
        terms[idx] = set(grams)
    df_all = Counter(t for doc in terms.values() for t in doc)
    ceiling = max(min_df, int(MAX_DF * len(terms)))
    allowed = {t for t in df_all if all(df_all[w] <= ceiling for w in t.split())}
    written = {t: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for t, c in phrases.items()}
    label_of = {idx: (OTHER_ID, other_label) for idx in terms}
    unassigned, used = list(terms), set[str]()
    tags: dict[Any, list[tuple[str, str]]] | None = None  # tagged once, when a topic forms

    k = 0
    while k < max(n_topics, 0):
        counts = Counter(t for i in unassigned for t in terms[i] & allowed)
        if not counts:
            break
        best, n = min(counts.items(), key=lambda kv: (-kv[1], " " not in kv[0], kv[0]))
        if n < min_df:
            break
        members = [i for i in unassigned if best in terms[i]]
        used |= set(best.split())
        allowed = {t for t in allowed if not used & set(t.split())}
        inner = Counter(t for i in members for t in terms[i] & allowed if " " not in t)
        need = max(2, (len(members) + 1) // 2)
        extra = sorted((t for t, c in inner.items() if c >= need), key=lambda t: (-inner[t], t))
        if tags is None:
            ids = list(terms)
            tags = dict(zip(ids, tagger([_as_text(texts[i]) for i in ids]), strict=True))
        # written forms: the topic's own term, and pairs that half its answers write side by side
        here = {t: w for t, w in written.items() if sum(t in terms[i] for i in members) >= need}
        here.update({best: written[best]} if best in written else {})
        label = topic_label([best, *extra], [tags[i] for i in members], here)
        if label is not None:
            k += 1
            for i in members:
                label_of[i] = (f"sujet_{k}", f"Sujet : « {label} »")
        unassigned = [i for i in unassigned if best not in terms[i]]
    rows = [(i, *label_of[i]) for i in terms]
    return pd.DataFrame(rows, columns=["index", "topic", "libelle"])


def representative_quotes(
    texts: pd.Series, assignments: pd.DataFrame, theme_id: str, k: int = 3, max_chars: int = 300
) -> list[int]:
    """Indices (labels of ``texts``) of up to ``k`` representative answers of ``theme_id``.

    ``assignments`` comes from :func:`assign_themes` (column ``theme``) or :func:`auto_topics`
    (column ``topic``). Answers of 60–``max_chars`` characters come first, then longer, then
    shorter ones; within a band the most central (mean Jaccard of stems with the theme's other
    answers) first, ties by position. Near-identical answers (similarity ≥ 0.7) are skipped.
    """
    column = "theme" if "theme" in assignments.columns else "topic"
    if assignments.empty or k <= 0:
        return []
    chosen = assignments.loc[assignments[column] == theme_id, "index"]
    members = [i for i in dict.fromkeys(chosen) if i in texts.index and fold(texts[i])]
    if not members:
        return []
    sets = [set(tokens(texts[i], stemmed=True)) for i in members]
    vocab = {t: j for j, t in enumerate(set().union(*sets))}
    matrix = np.zeros((len(members), len(vocab) + 1))
    for r, s in enumerate(sets):
        matrix[r, [vocab[t] for t in s]] = 1.0
    inter, sizes = matrix @ matrix.T, matrix.sum(axis=1)  # exact integer counts
    np.fill_diagonal(inter, 0.0)
    centrality = (inter / np.maximum(sizes[:, None] + sizes[None, :] - inter, 1)).sum(axis=1)

    def band(i: Any) -> int:
        length = len(_as_text(texts[i]).strip())
        return 0 if 60 <= length <= max_chars else 1 if length > max_chars else 2

    order = sorted(
        range(len(members)), key=lambda r: (band(members[r]), -round(centrality[r], 9), r)
    )
    picked: list[Any] = []
    for r in order:
        if all(similarity(texts[members[r]], texts[p]) < 0.7 for p in picked):
            picked.append(members[r])
        if len(picked) == k:
            break
    return picked


def _trigrams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)} if text else set()


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def similarity(a: Any, b: Any) -> float:
    """Mean of the Jaccard indices of stems and of character trigrams, in [0, 1]."""
    na, nb = fold(a), fold(b)
    if not na or not nb:
        return 0.0
    tri = _jaccard(_trigrams(na), _trigrams(nb))
    sa, sb = set(tokens(a, stemmed=True)), set(tokens(b, stemmed=True))
    return tri if not (sa or sb) else (tri + _jaccard(sa, sb)) / 2
