"""exports: French formatting, formula-safe CSV/XLSX, atomic writes."""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import openpyxl
import pandas as pd
import pytest

from rencontres_lib import exports
from rencontres_lib.errors import RencontresError
from rencontres_lib.exports import (
    NNBSP,
    atomic_write_bytes,
    atomic_write_text,
    fmt_date,
    fmt_date_long,
    fmt_float,
    fmt_int,
    fmt_pct,
    formula_safe,
    formula_safe_frame,
    write_csv,
    write_xlsx,
)
from rencontres_lib.public import aggregate


def test_fmt_int():
    assert fmt_int(1234) == f"1{NNBSP}234" == "1\u202f234"
    assert fmt_int(1234567) == f"1{NNBSP}234{NNBSP}567"
    assert fmt_int(0) == "0" and fmt_int(999) == "999" and fmt_int(-1234) == f"-1{NNBSP}234"
    assert fmt_int(np.int64(5)) == "5" and fmt_int(2.5) == "3"  # half up, not half even
    assert fmt_int(None) == fmt_int(float("nan")) == fmt_int(pd.NA) == "n.d."


def test_fmt_float_and_pct():
    assert fmt_float(1234.5, 1) == f"1{NNBSP}234,5"
    assert fmt_float(1234.56) == f"1{NNBSP}234,6"
    assert fmt_float(2.675, 2) == "2,68"  # the decimal value, not the binary float 2.67499…
    assert fmt_float(-0.04, 1) == "0,0"  # no "-0,0"
    assert fmt_float(3, 2) == "3,00"
    assert fmt_pct(0.723) == f"72{NNBSP}%"
    assert fmt_pct(0.725) == f"73{NNBSP}%"
    assert fmt_pct(1) == f"100{NNBSP}%" and fmt_pct(12.5) == f"1{NNBSP}250{NNBSP}%"
    assert fmt_pct(0.12345, 1) == f"12,3{NNBSP}%"
    assert fmt_pct(None) == "n.d."


def test_fmt_dates_without_locale():
    assert fmt_date(dt.date(2025, 3, 14)) == "14 mars 2025"
    assert fmt_date(dt.date(2025, 3, 1)) == "1er mars 2025"
    assert fmt_date(dt.datetime(2025, 8, 2, 18, 30)) == "2 août 2025"
    assert fmt_date(pd.Timestamp("2025-12-25")) == "25 décembre 2025"
    assert fmt_date("2026-02-01") == "1er février 2026"
    assert fmt_date_long(dt.date(2025, 3, 14)) == "vendredi 14 mars 2025"
    assert fmt_date_long("2026-02-01") == "dimanche 1er février 2026"
    assert fmt_date(None) == fmt_date(pd.NaT) == "n.d."
    with pytest.raises(RencontresError, match="date illisible"):
        fmt_date("14 mars")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-2+3", "'-2+3"),
        ("  =cmd|' /C calc'!A0", "'  =cmd|' /C calc'!A0"),  # after leading spaces
        ('"=HYPERLINK("http://x")', '\'"=HYPERLINK("http://x")'),  # after a quote
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
        ("-2", "-2"),  # strictly a number: read as a number, never as a formula
        ("+4,5", "+4,5"),
        ("-3.5e2", "-3.5e2"),
        ("Bonjour = salut", "Bonjour = salut"),
        ("", ""),
        (-2, -2),
        (3.5, 3.5),
        (None, None),
    ],
)
def test_formula_safe(value, expected):
    assert formula_safe(value) == expected


def test_formula_safe_frame_leaves_numbers_alone():
    df = pd.DataFrame({"=titre": ["=1+1", "ok", None], "n": [-1, 2, 3], "x": [-0.5, 1.5, 2.0]})
    out = formula_safe_frame(df)
    assert out.columns.tolist() == ["'=titre", "n", "x"]
    assert out["'=titre"].tolist()[:2] == ["'=1+1", "ok"] and pd.isna(out["'=titre"].iloc[2])
    assert out["n"].tolist() == [-1, 2, 3] and out["n"].dtype == df["n"].dtype
    assert df["=titre"].iloc[0] == "=1+1"  # input untouched


FRAME = pd.DataFrame(
    {"texte": ["=1+1", "@SUM(A1)", "normal", "-2"], "n": [1, -2, 3, 4], "part": [0.5, 1.25, 0, 2]}
)


def test_write_csv_for_french_excel(tmp_path):
    path = write_csv(aggregate(FRAME, "exemple"), tmp_path / "t.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[:3] == ["texte;n;part", "'=1+1;1;0,5", "'@SUM(A1);-2;1,25"]
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"texte": str})
    assert back["texte"].tolist() == ["'=1+1", "'@SUM(A1)", "normal", "-2"]
    assert back["part"].tolist() == [0.5, 1.25, 0, 2]
    assert not list(tmp_path.glob(".*.tmp"))


def test_write_xlsx_stores_text_never_formulas(tmp_path):
    path = write_xlsx(aggregate(FRAME, "exemple"), tmp_path / "t.xlsx", sheet_name="Résultats")
    ws = openpyxl.load_workbook(path)["Résultats"]
    assert [c.value for c in ws[1]] == ["texte", "n", "part"]
    assert [c.value for c in ws[2]] == ["'=1+1", 1, 0.5]
    assert ws["A3"].value == "'@SUM(A1)" and ws["A5"].value == "-2"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert ws.freeze_panes == "A2"


def test_public_tables_refuse_identifying_columns(tmp_path):
    df = pd.DataFrame({"nom": ["Dupont"], "profil": ["elu"]})
    with pytest.raises(RencontresError, match="identifiantes"):
        aggregate(df, "exemple")
    with pytest.raises(RencontresError, match="porte publique"):
        write_csv(df, tmp_path / "reports" / "t.csv")
    with pytest.raises(RencontresError, match="porte publique"):
        write_xlsx(df, tmp_path / "t.xlsx")
    assert write_csv(df, tmp_path / "prive" / "lyon" / "contacts.csv").exists()
    assert write_csv(df, tmp_path / "ailleurs.csv", public=False).exists()


def test_atomic_write_keeps_old_content_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "rapport.html"
    atomic_write_text(path, "ancien")

    def boom(*args, **kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(exports.os, "replace", boom)
    with pytest.raises(OSError, match="disque plein"):
        atomic_write_text(path, "nouveau")
    with pytest.raises(OSError):
        write_csv(aggregate(FRAME, "exemple"), path)
    monkeypatch.undo()
    monkeypatch.setattr(exports.os, "fsync", boom)
    with pytest.raises(OSError):
        atomic_write_bytes(path, b"nouveau")
    assert path.read_text() == "ancien"
    assert [p.name for p in tmp_path.iterdir()] == ["rapport.html"]  # no temporary file left


def test_atomic_write_creates_folders_and_readable_files(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    path = atomic_write_bytes(tmp_path / "a" / "b" / "x.bin", b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    atomic_write_text(path, "é")
    assert path.read_bytes() == "é".encode() and path.stat().st_mode & 0o777 == 0o640
