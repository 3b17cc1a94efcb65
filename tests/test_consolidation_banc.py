"""Tests of the candidates measured by benchmarks/bench_consolidation.py --comparer (soft
cosine, mutual neighbours): the README's comparison table rests on them. Values by hand."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_consolidation.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_consolidation", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_soft_cosine_by_hand(bench) -> None:
    pytest.importorskip("gensim")
    # a·b = 0.8, a·c = 0, b·c = 0.6: with floor 0.7 and power 2, only a~b counts, as 0.64
    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([0.8, 0.6]), "c": np.array([0.0, 1.0])}
    terms = [["a"], ["b"], ["a", "c"]]
    sim = bench.soft_cosine(terms, vectors, floor=0.7, power=2)
    # TF-IDF (scikit-learn, smoothed idf, sublinear tf): idf = ln((1 + n) / (1 + df)) + 1
    idf_a, idf_c = math.log(4 / 3) + 1, math.log(2) + 1
    share_a = idf_a / math.hypot(idf_a, idf_c)  # doc 2 normalised, its weight on « a »
    assert sim[0, 1] == pytest.approx(0.64, abs=1e-6)  # no shared term: the plain cosine is 0
    assert sim[0, 2] == pytest.approx(share_a, abs=1e-6)  # c is similar to nothing: plain cosine
    assert sim[1, 2] == pytest.approx(0.64 * share_a, abs=1e-6)
    assert np.allclose(np.diag(sim), 1.0)
    # above the floor of b·a, nothing is soft any more
    assert bench.soft_cosine(terms, vectors, floor=0.9, power=2)[0, 1] == pytest.approx(0.0)


def test_with_mutual_neighbours_by_hand(bench) -> None:
    terms = np.array(
        [
            [1.0, 0.9, 0.1, 0.0],
            [0.9, 1.0, 0.0, 0.1],
            [0.1, 0.0, 1.0, 0.2],
            [0.0, 0.1, 0.2, 1.0],
        ]
    )  # at the threshold 0.475: {0, 1}, {2}, {3}
    both = np.array(
        [
            [1.0, 0.5, 0.1, 0.1],
            [0.5, 1.0, 0.1, 0.1],
            [0.1, 0.1, 1.0, 0.7],
            [0.1, 0.1, 0.7, 1.0],
        ]
    )  # 2 and 3 are each other's nearest neighbour
    one_way = both.copy()
    one_way[3, 0] = one_way[0, 3] = 0.9  # 3's nearest is now 0 (and 0's is 3)
    g = bench.with_mutual_neighbours(terms, [both, both])
    assert g[0] == g[1] and g[2] == g[3] and g[0] != g[2]
    # one signal disagrees: 2 and 3 stay apart; 0 and 3 are mutual in one signal only
    g = bench.with_mutual_neighbours(terms, [both, one_way])
    assert len({g[0], g[2], g[3]}) == 3 and g[0] == g[1]
