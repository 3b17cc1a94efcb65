"""Named speed tricks of the questionnaire analysis path, each one switchable.

The path a report takes — :func:`rencontres_lib.loaders.questionnaire.load_questionnaire`,
:func:`rencontres_lib.metrics.scored`, :func:`rencontres_lib.metrics.with_respondents`, then
favourable shares (by question, by dimension) and Likert distributions — has a plain pandas
version, and tricks that give exactly the same frames with less time and memory on a large
table. Each trick is named here and on by default; a function uses it only where its
preconditions hold (categorical columns, as the loader makes them) and takes the plain path
otherwise. ``benchmarks/bench_loader.py`` measures the whole path with every trick, then
without each one (one line per trick); ``tests/test_metrics.py`` checks that both ways give
identical results.

A trick whose ablation line shows no gain is dropped: « memoire_rendue » (glibc's
``malloc_trim`` after the scores and after the join: −0 MB once « une_seule_arene » keeps the
readers' threads in the main arena) and « remplissage_parallele » (the loader's table touched,
then filled, by two threads: 0.24 s slower, 1 MB more, on 1,000,000 answers).

Usage::

    from rencontres_lib import speed
    with speed.without("comptes_sur_codes"):  # the plain pandas groupby for this block
        ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

TRICKS: dict[str, str] = {
    "comptes_sur_codes": (
        "parts favorables, bases en personnes et répartitions comptées par np.bincount sur les "
        "codes entiers des colonnes catégorielles, par blocs, au lieu de filtrer la table "
        "(copies) et de grouper avec pandas"
    ),
    "tables_de_codes": (
        "scores, rangs et attributs des répondants obtenus par une petite table indexée par "
        "les codes (un octet par réponse), sans tableau intermédiaire de 8 octets par réponse ; "
        "profils et territoires des répondants factorisés par blocs (pas de table de hachage "
        "d'un million de textes)"
    ),
    "jointure_sans_copie": (
        "jointure réponses × répondants sans masque de lignes quand chaque réponse a son "
        "répondant (pandas ne recopie déjà rien pour un masque tout vrai, mais le masque et sa "
        "vérification coûtent deux octets par réponse au moment du pic)"
    ),
    "masque_partage": (
        "favorable et rang partagent un seul masque des valeurs manquantes quand chaque "
        "réponse qui a un rang est notée (un octet par réponse de moins) ; pandas le sait "
        "(copie à l'écriture) : modifier l'une des colonnes ne touche jamais l'autre"
    ),
    "tranches": (
        "comptes et jointure par blocs d'une seule question (la table du chargeur va question "
        "par question) : une clé constante sur le bloc ne fait que déplacer les cases, la clé "
        "qui varie est comptée valeur par valeur ; des personnes consécutives (une question à "
        "laquelle tous ont répondu) lues et comptées par tranches des tableaux par personne, "
        "sans index"
    ),
    "pages_nulles": (
        "colonnes par question (type, dimension) posées sur des pages nulles jamais écrites "
        "(mmap anonyme) : les blocs du code 0 (« likert » quand la première question en est "
        "une) ne prennent aucune mémoire"
    ),
    "une_seule_arene": (
        "tous les fils du chargeur allouent dans l'arène principale de malloc (glibc, "
        "mallopt(M_ARENA_MAX, 1), pour tout le processus) : ce que les fils du lecteur "
        "libèrent n'y reste pas en morceaux que malloc_trim ne rend pas"
    ),
}

_disabled: set[str] = set()


def active(name: str) -> bool:
    """Whether trick ``name`` (a key of :data:`TRICKS`) is in use; KeyError for an unknown name."""
    if name not in TRICKS:
        raise KeyError(f"astuce inconnue : « {name} » (attendu : {', '.join(TRICKS)})")
    return name not in _disabled


@contextmanager
def without(*names: str) -> Iterator[None]:
    """Turn the named tricks off inside a ``with`` block (all of them when no name is given).

    Raises KeyError for a name that is not in :data:`TRICKS`."""
    unknown = [n for n in names if n not in TRICKS]
    if unknown:
        raise KeyError(f"astuce inconnue : « {unknown[0]} » (attendu : {', '.join(TRICKS)})")
    before = set(_disabled)
    _disabled.update(names or TRICKS)
    try:
        yield
    finally:
        _disabled.clear()
        _disabled.update(before)
