"""The one text-folding module: every expected value below is worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from rencontres_lib.vocabulary import (
    DIMENSION_NAMES,
    DIMENSION_WORDS,
    EMAIL_DISGUISED_RE,
    EMAIL_RE,
    PHONE_RE,
    dimension_of,
    fold,
    fold_header,
    fold_inclusive,
    fold_offsets,
    loose_key,
    normalize_label,
    profile_key,
    pydantic_message,
    slug,
)


def test_fold() -> None:
    assert fold("  L’Œuvre\u00a0 Élue ") == "l'oeuvre elue"
    assert fold("Straße ﬁn `a´b") == "strasse fin 'a'b"
    assert fold(None) == fold(float("nan")) == fold(pd.NA) == fold(pd.NaT) == ""
    assert fold(12) == "12"


def test_header_and_slug() -> None:
    assert fold_header("Code_postal-Élu·e") == "code postal elue"
    assert slug("L’essentiel : 2025 !") == "l-essentiel-2025"
    assert slug("???") == "section"


def test_label_keys() -> None:
    assert normalize_label("  Très\u202fBien ") == "très bien"  # accents kept
    assert normalize_label(2.0) == "2" and normalize_label("-3.00") == "-3"
    assert loose_key("Élu(e)") == loose_key("élu·e") == "elue"
    assert fold_inclusive("Élu·e·s locales") == "elu locales"
    assert profile_key("Chercheuses") == "chercheur"
    assert profile_key("élue locale") == "elu local"


def test_fold_offsets_keeps_positions() -> None:
    text = "Zoë Dupont"
    folded, offsets = fold_offsets(text)
    assert folded == "zoe dupont" and offsets is None
    decomposed = "Zoe\u0308 X"  # e + combining diaeresis: one character fewer once folded
    folded, offsets = fold_offsets(decomposed)
    assert folded == "zoe x" and offsets == [0, 1, 2, 4, 5, 6]


def test_personal_data_patterns() -> None:
    text = "Écrire à jean.dupont@ville.fr ou marie (at) asso (point) org, tél. 06 12 34 56 78."
    assert [m.group() for m in EMAIL_RE.finditer(text)] == ["jean.dupont@ville.fr"]
    found = [m.group() for m in EMAIL_DISGUISED_RE.finditer(text)]
    assert found == ["jean.dupont@ville.fr", "marie (at) asso (point) org"]
    assert EMAIL_RE.fullmatch("a@b.fr") and not EMAIL_RE.fullmatch("a@b")
    assert [m.group() for m in PHONE_RE.finditer(text)] == ["06 12 34 56 78"]
    assert not PHONE_RE.search("n° 1234567890123")


def test_dimensions() -> None:
    assert dimension_of("Inclusion et décision") == "inclusion"  # the first one written
    assert dimension_of("Sincérité") == "transparence"
    assert dimension_of("Reddition des comptes") == "redevabilite"
    assert dimension_of("Mobilités") == ""
    assert set(DIMENSION_WORDS) == set(DIMENSION_NAMES)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int
    kind: str = "a"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"n": "x"}, "un nombre entier est attendu (reçu « x »)"),
        ({}, "clé obligatoire absente"),
        ({"n": 1, "nn": 2}, "clé inconnue (faute de frappe ?) (reçu « 2 »)"),
    ],
)
def test_pydantic_message(data, expected) -> None:
    with pytest.raises(ValidationError) as info:
        _Model.model_validate(data)
    assert pydantic_message(info.value.errors()[0]) == expected
