"""rencontres_lib.columns: tiny files written by each test, every expected value worked out by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import rencontres_lib.columns as columns
from rencontres_lib.columns import ColumnStore, as_text, read_columns
from rencontres_lib.errors import SourceError
from rencontres_lib.io import sha256_file


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def texts(array: np.ndarray) -> list[str]:
    """An array of cells as a list, each checked to be a text (never a number or NaN)."""
    cells = array.tolist()
    assert all(isinstance(x, str) for x in cells), cells
    return cells


def assert_factor_gives_back(store: ColumnStore, name: str, cells: list[str]) -> None:
    """``uniques[codes]`` is every cell, and the used uniques are exactly the distinct cells."""
    codes, uniques = store.factor(name)
    assert len(codes) == len(cells)
    assert texts(uniques[codes]) == cells
    assert set(texts(uniques[np.unique(codes)])) == set(cells)


# --------------------------------------------------------------------------- reading CSV

SEMICOLON_CSV = (
    "id;avis;note;vide\n1;Plutôt d'accord;3;\n2;;3;\n3;Plutôt d'accord;4;\n4;Pas d'accord;3;\n"
)


def test_semicolon_csv_factor_values_and_metadata(tmp_path: Path) -> None:
    path = write(tmp_path / "export.csv", SEMICOLON_CSV)
    raw = read_columns(path, infer=lambda names: {"note": "code"})
    store = raw.store
    # 4 records under the header; the frame itself is empty, the cells are in the store
    assert store.n == 4 and len(store) == 4
    assert store.names == ["id", "avis", "note", "vide"]
    assert raw.sep == ";"
    assert raw.encoding == "utf-8-sig"
    assert raw.frame.empty and list(raw.frame.columns) == ["id", "avis", "note", "vide"]
    assert raw.digest() == sha256_file(path)
    # the empty cell of « avis » (record 2) comes back as "" — never NaN
    assert_factor_gives_back(
        store, "avis", ["Plutôt d'accord", "", "Plutôt d'accord", "Pas d'accord"]
    )
    codes, uniques = store.factor("avis")
    assert codes[0] == codes[2] != codes[3]  # same text, same code
    # « note » is a code column (in infer): numbers 3, 3, 4, 3 read back as texts
    assert texts(store.values("note")) == ["3", "3", "4", "3"]
    assert_factor_gives_back(store, "note", ["3", "3", "4", "3"])
    assert texts(store.values("note", np.array([2, 0]))) == ["4", "3"]
    # a column with no value at all: four "" cells
    assert texts(store.values("vide")) == ["", "", "", ""]
    assert not any(isinstance(v, float) for v in store.values("vide"))
    assert texts(store.values("id", np.array([3, 1]))) == ["4", "2"]


def test_comma_csv_separator_and_plain_values(tmp_path: Path) -> None:
    path = write(tmp_path / "virgule.csv", 'id,commentaire\n10,"Bien, merci"\n11,\n12,Rien\n')
    raw = read_columns(path)
    assert raw.sep == ","
    store = raw.store
    assert store.n == 3
    # 3 distinct values out of 3 (> 3 // 2): kept as plain texts, factorised only on demand
    assert store.is_plain("commentaire")
    assert texts(store.values("commentaire")) == ["Bien, merci", "", "Rien"]
    assert_factor_gives_back(store, "commentaire", ["Bien, merci", "", "Rien"])
    assert not store.is_plain("commentaire")  # factor() converted it
    assert texts(store.values("commentaire", np.array([1]))) == [""]


def test_chunk_boundaries_keep_texts_and_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columns, "CHUNK_ROWS", 2)
    path = write(
        tmp_path / "chunks.csv",
        # chunks of 2 records: (1, 2) (3, 4) (5, 6)
        "id,v,w\n1,1,1\n2,2,1\n3,3,abc\n4,abc,\n5,1,1\n6,x,abc\n",
    )
    store = read_columns(path, infer=lambda names: {"v": "code", "w": "code"}).store
    assert store.n == 6
    # v: numbers in chunk 1, « abc » in chunk 2: every cell back as its exact text
    assert texts(store.values("v")) == ["1", "2", "3", "abc", "1", "x"]
    assert texts(store.values("v", np.array([3, 4]))) == ["abc", "1"]
    assert_factor_gives_back(store, "v", ["1", "2", "3", "abc", "1", "x"])
    # w: 1 distinct value in chunk 1 (coded column); « abc » in chunks 2 and 3, « 1 » in 1 and 3,
    # an empty cell in chunk 2 (read as NaN by the number parser) comes back as ""
    assert not store.is_plain("w")
    assert texts(store.values("w")) == ["1", "1", "abc", "", "1", "abc"]
    codes, uniques = store.factor("w")
    assert codes[0] == codes[1] == codes[4]  # « 1 » in chunks 1 and 3
    assert codes[2] == codes[5]  # « abc » in chunks 2 and 3
    assert len({codes[0], codes[2], codes[3]}) == 3
    assert texts(uniques[codes]) == ["1", "1", "abc", "", "1", "abc"]


def test_a_column_constant_in_its_sample_then_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A column holding one text in its first 10 000 cells is compared to that text first; a
    different value later (or in a later chunk) still comes back exactly."""
    path = write(tmp_path / "langue.csv", "langue,n\n" + "fr,1\n" * 10_000 + "en,2\n,3\nfr,4\n")
    store = read_columns(path).store
    cells = ["fr"] * 10_000 + ["en", "", "fr"]
    assert texts(store.values("langue")) == cells
    codes, uniques = store.factor("langue")
    assert sorted(texts(uniques)) == ["", "en", "fr"]
    assert texts(uniques[codes]) == cells
    constant = read_columns(write(tmp_path / "fr.csv", "langue\n" + "fr\n" * 3)).store
    assert texts(constant.factor("langue")[1]) == ["fr"]
    monkeypatch.setattr(columns, "CHUNK_ROWS", 2)  # chunks (fr, fr) (fr, en) (, fr)
    path = write(tmp_path / "petit.csv", "langue,v\nfr,1\nfr,2\nfr,x\nen,1\n,2\nfr,1\n")
    store = read_columns(path, infer=lambda names: {"v": "code"}).store  # « x »: chunks
    assert texts(store.values("langue")) == ["fr", "fr", "fr", "en", "", "fr"]
    codes, _ = store.factor("langue")
    assert codes[0] == codes[1] == codes[2] == codes[5] and len(set(codes.tolist())) == 3


def test_chunk_boundaries_small_numbers_then_large_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columns, "CHUNK_ROWS", 2)
    # chunk 1: 3, 3 (small numbers); chunk 2: 300, 3 (too large for one byte); chunk 3: 3, -1
    path = write(tmp_path / "nombres.csv", "n\n3\n3\n300\n3\n3\n-1\n")
    store = read_columns(path, infer=lambda names: {"n": "code"}).store
    assert texts(store.values("n")) == ["3", "3", "300", "3", "3", "-1"]
    codes, _ = store.factor("n")
    assert codes[0] == codes[1] == codes[3] == codes[4]
    assert len(set(codes.tolist())) == 3


def test_code_columns_are_parsed_as_numbers_only_when_inferred(tmp_path: Path) -> None:
    path = write(tmp_path / "codes.csv", "id,code\na,01\nb,1\nc,1.0\n")
    inferred = read_columns(path, infer=lambda names: {"code": "code"}).store
    # documented: a code column goes through pandas' number parsing, 01 = 1 = 1.0 → "1"
    assert texts(inferred.values("code")) == ["1", "1", "1"]
    codes, _ = inferred.factor("code")
    assert len(set(codes.tolist())) == 1
    as_written = read_columns(path).store
    assert texts(as_written.values("code")) == ["01", "1", "1.0"]
    codes, uniques = as_written.factor("code")
    assert len(set(codes.tolist())) == 3
    assert texts(uniques[codes]) == ["01", "1", "1.0"]


def test_digit_identifiers_read_as_numbers_and_blank_cells(tmp_path: Path) -> None:
    # « id »: 4 distinct values out of 4 → plain mode; « 007 » is the number 7
    # « texte »: 4 distinct values of 4 → plain; « code »: 2 distinct of 4 → coded
    path = write(tmp_path / "ids.csv", "id,texte,code\n007,a,x\n8,  ,x\n9,b,  \n10,,x\n")
    store = read_columns(path, infer=lambda names: {"id": "id"}).store
    assert store.is_plain("id")
    keys = store.keys("id")
    assert keys.dtype.kind in "iu" and keys.tolist() == [7, 8, 9, 10]
    assert texts(store.values("id")) == ["7", "8", "9", "10"]
    assert store.values("id").dtype == object
    assert store.blank("id").tolist() == [False, False, False, False]
    assert store.is_plain("texte")
    assert texts(store.values("texte")) == ["a", "  ", "b", ""]  # spaces kept as written
    assert store.blank("texte").tolist() == [False, True, False, True]
    assert not store.is_plain("code")
    assert store.blank("code").tolist() == [False, False, True, False]
    # texts equal exactly when keys are equal
    code_keys = store.keys("code")
    assert code_keys[0] == code_keys[1] == code_keys[3] != code_keys[2]


def test_drop_forgets_cells_but_keeps_the_name(tmp_path: Path) -> None:
    path = write(tmp_path / "drop.csv", "id,avis\n1,oui\n2,oui\n3,non\n4,oui\n")
    store = read_columns(path).store
    assert store.is_plain("id") and not store.is_plain("avis")
    store.drop("id")
    store.drop("avis")
    store.drop("absente")  # unknown names are ignored
    assert store.names == ["id", "avis"] and store.n == 4
    assert not store.is_plain("id")
    for name in ("id", "avis"):
        with pytest.raises(KeyError):
            store.factor(name)
        with pytest.raises(KeyError):
            store.values(name)


def test_tail_promotes_a_later_header_row(tmp_path: Path) -> None:
    # the real header is on the first data record (index 0); 4 answers follow it
    path = write(
        tmp_path / "entetes.csv",
        "Question 1,Question 2,Question 3\nid,nom,note\n1,Ana,5\n2,Bob,5\n3,,5\n4,Eve,4\n",
    )
    store = read_columns(path).store
    assert store.n == 5
    assert store.row(0) == ["id", "nom", "note"]
    assert store.row(3) == ["3", "", "5"]
    # every column here has more than 5 // 2 distinct values (« Question 3 »: note, 5, 4): plain
    assert all(store.is_plain(name) for name in store.names)
    tail = store.tail(1, ["id", "nom", "note"])
    assert isinstance(tail, ColumnStore)
    assert tail.n == 4 and tail.names == ["id", "nom", "note"]
    assert texts(tail.values("id")) == ["1", "2", "3", "4"]
    assert texts(tail.values("nom")) == ["Ana", "Bob", "", "Eve"]
    assert texts(tail.values("note")) == ["5", "5", "5", "4"]
    assert tail.row(0) == ["1", "Ana", "5"]
    assert_factor_gives_back(tail, "note", ["5", "5", "5", "4"])
    assert store.tail(9, ["a", "b", "c"]).n == 0


def test_tail_of_a_coded_column(tmp_path: Path) -> None:
    # « b »: c, 1, 1, 1, 1 → 2 distinct values of 5 (not > 5 // 2): a coded column
    path = write(tmp_path / "coded.csv", "a,b\nentete,c\nr1,1\nr2,1\nr3,1\nr4,1\n")
    store = read_columns(path).store
    assert not store.is_plain("b")
    tail = store.tail(1, ["id", "c"])
    assert not tail.is_plain("c")
    assert texts(tail.values("c")) == ["1", "1", "1", "1"]
    assert tail.row(3) == ["r4", "1"]


def test_row_returns_texts(tmp_path: Path) -> None:
    path = write(tmp_path / "rows.csv", "id,n,t\n1,5,a\n2,,b\n3,5,\n")
    store = read_columns(path, infer=lambda names: {"id": "id", "n": "code"}).store
    assert store.row(0) == ["1", "5", "a"]
    assert store.row(1) == ["2", "", "b"]
    assert store.row(2) == ["3", "5", ""]
    assert all(type(x) is str for x in store.row(1))


# --------------------------------------------------------------------------- encodings


def test_cp1252_file_is_detected(tmp_path: Path) -> None:
    path = write(tmp_path / "windows.csv", "nom;ville\nAndré;Orléans\nZoé;Évry\n", "cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the UTF-8 attempt cannot succeed
    raw = read_columns(path)
    assert raw.encoding == "cp1252"
    assert texts(raw.store.values("nom")) == ["André", "Zoé"]
    assert texts(raw.store.values("ville")) == ["Orléans", "Évry"]
    assert any("cp1252" in f.message for f in raw.findings)
    assert raw.digest() == sha256_file(path)


def test_cp1252_byte_after_the_first_64_kib(tmp_path: Path) -> None:
    # the header sample (64 KiB) is valid UTF-8; the reader hits the cp1252 « é » on record 20 001
    body = "nom\n" + "abc\n" * 20_000 + "é\n"
    path = write(tmp_path / "tardif.csv", body, "cp1252")
    assert path.stat().st_size > 65_536
    raw = read_columns(path)
    assert raw.encoding == "cp1252"
    assert raw.store.n == 20_001
    assert texts(raw.store.values("nom", np.array([0, 20_000]))) == ["abc", "é"]


def test_utf8_bom_is_not_in_the_first_header(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.csv", "\ufeffid,avis\n1,Oui\n2,Non\n")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    raw = read_columns(path)
    assert raw.store.names == ["id", "avis"]
    assert list(raw.frame.columns) == ["id", "avis"]
    assert texts(raw.store.values("id")) == ["1", "2"]


# --------------------------------------------------------------------------- broken inputs


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="introuvable"):
        read_columns(tmp_path / "absent.csv")


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "vide.csv", "")
    with pytest.raises(SourceError, match="vide"):
        read_columns(path)


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = write(tmp_path / "blanc.csv", "   \n\n")
    with pytest.raises(SourceError, match="ne contient que des espaces"):
        read_columns(path)


def test_line_longer_than_the_header_with_data(tmp_path: Path) -> None:
    # record 2 (file line 3) has 3 fields under a 2-column header
    path = write(tmp_path / "large.csv", "a,b\n1,2\n3,4,donnee\n5,6\n")
    with pytest.raises(SourceError, match="champs au lieu de 2") as err:
        read_columns(path)
    assert err.value.row == 3


def test_first_line_longer_than_the_header_with_data(tmp_path: Path) -> None:
    # record 1 has a third field « x »: pandas widens silently, the library must refuse
    path = write(tmp_path / "large1.csv", "a,b\n1,2,x\n3,4\n")
    with pytest.raises(SourceError, match="plus de champs que l'en-tête") as err:
        read_columns(path)
    assert "« x »" in err.value.message


def test_one_pass_read_and_chunked_read_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # codes fit in one byte, so the one-pass reader is used; forcing chunks of 2 must not change a cell
    path = write(
        tmp_path / "q.csv", "id;profil;q1;q2\n7;Élu·e;1;5\n8;;2;5\n9;Citoyen;9;1\n10;Élu·e;1;3\n"
    )
    kinds = {"id": "id", "q1": "code", "q2": "code"}
    whole = read_columns(path, infer=lambda names: kinds).store
    monkeypatch.setattr(columns, "CHUNK_ROWS", 2)
    monkeypatch.setattr(columns, "_read_whole", lambda *args: None)
    chunked = read_columns(path, infer=lambda names: kinds).store
    for name in ["id", "profil", "q1", "q2"]:
        assert texts(whole.values(name)) == texts(chunked.values(name))
    assert texts(whole.values("q1")) == ["1", "2", "9", "1"]
    assert texts(whole.values("profil")) == ["Élu·e", "", "Citoyen", "Élu·e"]
    codes, uniques = whole.factor("q2")  # 5, 5, 1, 3 → three distinct codes, one byte each
    assert codes.dtype == np.int8 and sorted(texts(uniques)) == ["1", "3", "5"]


def test_category_columns_stay_exact_even_when_they_look_like_numbers(tmp_path: Path) -> None:
    # pandas would read the categories « 01 », « 1 », « 069 » as the numbers 1, 1, 69: re-read exactly
    path = write(tmp_path / "t.csv", "territoire;profil\n01;Élu·e\n1;Élu·e\n069;\n")
    kinds = {"territoire": "category", "profil": "category"}
    store = read_columns(path, infer=lambda names: kinds).store
    assert texts(store.values("territoire")) == ["01", "1", "069"]
    assert texts(store.values("profil")) == ["Élu·e", "Élu·e", ""]
    codes, uniques = store.factor("profil")  # coded by pandas' reader: 2 distinct texts
    assert codes.tolist() == [0, 0, 1] and texts(uniques) == ["Élu·e", ""]


def test_blank_in_a_code_column_falls_back_to_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a blank cell cannot be an int8: the chunked reader takes over and keeps it as ""
    path = write(tmp_path / "b.csv", "q1,q2\n1,2\n,3\n4,\n")
    calls = []
    original = columns._read_chunks
    monkeypatch.setattr(columns, "_read_chunks", lambda *args: calls.append(1) or original(*args))
    store = read_columns(path, infer=lambda names: {"q1": "code", "q2": "code"}).store
    assert calls == [1]
    assert texts(store.values("q1")) == ["1", "", "4"] and texts(store.values("q2")) == [
        "2",
        "3",
        "",
    ]


def test_trailing_separator_on_every_line_is_noted(tmp_path: Path) -> None:
    # every record ends with « , » (an empty third field): read, and noted like read_table does
    path = write(tmp_path / "trail.csv", "a,b\n1,2,\n3,4,\n")
    raw = read_columns(path)
    assert texts(raw.store.values("b")) == ["2", "4"]
    assert [f.message for f in raw.findings] == [
        "séparateur en fin de ligne ignoré (champ final vide)."
    ]


def test_distinct_values_hold_no_empty_text_when_no_cell_is_empty(tmp_path: Path) -> None:
    # more rows than distinct values, so the column is coded: Oui, Oui, Non, Oui → 2 distinct
    path = write(tmp_path / "oui.csv", "r\nOui\nOui\nNon\nOui\n")
    codes, uniques = read_columns(path).store.factor("r")
    assert texts(uniques) == ["Oui", "Non"] and codes.tolist() == [0, 0, 1, 0]


# --------------------------------------------------------------------------- quotes and line breaks

HEAD3 = "id,note,texte\n"


@pytest.mark.parametrize(
    ("body", "swallowed", "last"),
    [
        # the quote opened on line 2 never closes: pandas stops at the end of the file
        ('1,3,"bien\n2,4,ok\n3,5,bof\n4,1,nul\n', "les lignes 3 à 5 étaient lues", "nul"),
        # it « closes » on line 3 before text: pandas swallows line 3 into the cell (3 rows)
        ('1,3,"bien\n2,4,"ok"\n3,5,bof\n4,1,nul\n', "la ligne 3 était lue", "nul"),
    ],
)
def test_quote_never_closed_is_cut_as_the_shared_reader_does(
    tmp_path: Path, body: str, swallowed: str, last: str
) -> None:
    path = write(tmp_path / "guillemet.csv", HEAD3 + body)
    before = path.read_bytes()
    kinds = {"id": "id", "note": "code"}
    raw = read_columns(path, infer=lambda names: kinds)
    assert path.read_bytes() == before
    store = raw.store
    assert len(store) == 4
    # numbers as on the fast path: identifiers and codes parsed, texts as written
    assert store.keys("id").tolist() == [1, 2, 3, 4]
    assert texts(store.values("note")) == ["3", "4", "5", "1"]
    assert texts(store.values("texte")) == ["bien", "ok", "bof", last]
    (warning,) = [f for f in raw.findings if "guillemet ouvert" in f.message]
    assert (warning.level, warning.row, warning.column) == ("avertissement", 2, "texte")
    assert swallowed in warning.message
    assert [raw.line_of(k) for k in range(4)] == [2, 3, 4, 5]
    assert raw.digest() == sha256_file(path)


def test_true_multiline_answer_keeps_the_fast_store(tmp_path: Path) -> None:
    # a properly quoted answer on lines 2–3: 3 records starting on lines 2, 4 and 5
    path = write(tmp_path / "ok.csv", HEAD3 + '1,3,"bien\nmerci"\n2,4,ok\n3,5,bof\n')
    raw = read_columns(path, infer=lambda names: {"id": "id", "note": "code"})
    assert raw.layout is not None  # still the fast reader's table
    assert texts(raw.store.values("texte")) == ["bien\nmerci", "ok", "bof"]
    assert not [f for f in raw.findings if "guillemet" in f.message]
    assert [raw.line_of(k) for k in range(3)] == [2, 4, 5]


def test_line_break_check_is_answered_by_the_byte_counts(tmp_path: Path) -> None:
    # quoted cells, every record on its own line (no final line end): 3 physical lines for
    # 2 records + the header, so the columns are never looked at
    path = write(tmp_path / "q.csv", 'id,texte\n1,"a, b"\n2,"c"')
    raw = read_columns(path)
    assert raw._hashing.counts() == [4, 4, 2]  # commas (one inside « a, b »), quotes, b"\n"
    assert raw._hashing.ends_with_newline is False
    raw.store._plain["texte"] = np.array(["a\nb", "c"], dtype=object)  # planted: never seen
    assert columns._has_line_breaks(raw) is False
    # the same cells, one of them on two lines: 4 physical lines ≠ 3, the columns are read
    path = write(tmp_path / "q2.csv", 'id,texte\n1,"a,\nb"\n2,"c"')
    raw = read_columns(path)
    assert columns._has_line_breaks(raw) is True
    assert texts(raw.store.values("texte")) == ["a,\nb", "c"]


# --------------------------------------------------------------------------- frames and spreadsheets


def test_from_frame_wraps_strings() -> None:
    frame = pd.DataFrame({"profil": ["elu", "citoyen", "elu"], "note": ["4", "", "4"]})
    store = ColumnStore.from_frame(frame)
    assert store.names == ["profil", "note"] and store.n == 3
    assert store.is_plain("profil") and store.is_plain("note")
    assert texts(store.values("note")) == ["4", "", "4"]
    assert texts(store.values("profil", np.array([1]))) == ["citoyen"]
    assert store.blank("note").tolist() == [False, True, False]
    codes, uniques = store.factor("profil")
    assert codes.tolist() == [0, 1, 0] and texts(uniques) == ["elu", "citoyen"]
    assert texts(store.values("profil")) == ["elu", "citoyen", "elu"]
    assert store.row(1) == ["citoyen", ""]


def test_xlsx_is_read_into_a_store(tmp_path: Path) -> None:
    path = tmp_path / "classeur.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Réponses"
    ws.append(["id", "profil", "note"])
    ws.append([1, "Élu·e", 4])
    ws.append([2, "Association", None])
    ws.append([3, "Élu·e", 4.0])
    wb.save(path)
    raw = read_columns(path)
    assert raw.sep is None and raw.sheet == "Réponses"
    assert raw.digest() == sha256_file(path)
    store = raw.store
    assert isinstance(store, ColumnStore)
    assert store.names == ["id", "profil", "note"] and store.n == 3
    # numbers come back as texts, 4.0 as "4", the empty cell as ""
    assert texts(store.values("id")) == ["1", "2", "3"]
    assert texts(store.values("note")) == ["4", "", "4"]
    assert_factor_gives_back(store, "profil", ["Élu·e", "Association", "Élu·e"])


# --------------------------------------------------------------------------- as_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "1"),
        (1.5, "1.5"),
        (math.nan, ""),
        (np.float64("nan"), ""),
        (None, ""),
        (True, "True"),
        (np.bool_(False), "False"),
        (3, "3"),
        (np.int64(3), "3"),
        (np.float64(2.0), "2"),
        (-0.25, "-0.25"),
        ("x", "x"),
        ("", ""),
    ],
)
def test_as_text(value: object, expected: str) -> None:
    assert as_text(value) == expected


# --------------------------------------------------------------------------- fingerprint


def test_fingerprint_is_the_sha256_once_started(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "a,b\n1,2\n")
    fp = columns.Fingerprint(path)
    fp.start()
    first = fp._thread
    fp.start()  # a second start keeps the same thread
    assert fp._thread is first
    assert fp.join() == sha256_file(path)
    # never started: join computes it
    assert columns.Fingerprint(path).join() == sha256_file(path)


def test_fingerprint_hands_a_read_error_to_the_caller(tmp_path: Path) -> None:
    fp = columns.Fingerprint(tmp_path / "absent.csv")
    fp.start()
    with pytest.raises(FileNotFoundError):
        fp.join()


def test_release_memory_can_be_called_anywhere() -> None:
    columns.release_memory()
    columns.release_memory()  # the libc function is looked up once
    assert columns._TRIM is not None
