"""Read any tabular file a user hands over, read-only, into a table of strings.

CSV with ``,`` ``;`` tab or ``|`` (sniffed), UTF-8 with or without BOM, cp1252/latin-1
(detected), quoted multi-line cells, mixed CRLF/LF; XLSX and ODS (first or named sheet).
Every cell comes back as ``str`` ("" when empty) so loaders decide what a value means.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import Finding, SourceError, add_finding

CSV_SUFFIXES = {".csv", ".tsv", ".txt", ""}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
ODS_SUFFIXES = {".ods"}
SEPARATORS = [";", ",", "\t", "|"]
SEP_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation", "|": "barre verticale"}


@dataclass
class RawTable:
    """A file read as strings, with what is needed to point back into it."""

    path: Path
    frame: pd.DataFrame
    encoding: str = "utf-8"
    sep: str | None = None
    sha256: str = ""
    sheet: str | None = None
    findings: list[Finding] = field(default_factory=list)
    _lines: list[int] | None = None
    store: Any = None  # a columns.ColumnStore when read with columns.read_columns
    _hashing: Any = None  # a columns.Fingerprint computing sha256 in the background

    def digest(self) -> str:
        """The file's sha256, once a fingerprint computed in the background is done."""
        if self._hashing is not None:
            self.sha256 = self._hashing.join()
            self._hashing = None
        return self.sha256

    @property
    def name(self) -> str:
        return self.path.name

    def line_of(self, index: int) -> int:
        """1-based line (CSV) or row (spreadsheet) in the file of data record ``index``.

        For CSV the file is scanned once, lazily (only when a finding needs a location), with
        the csv module, so quoted multi-line cells and blank lines are counted exactly.
        """
        if self.sep is None and self._lines is None:
            return index + 2
        if self._lines is None:
            lines: list[int] = []
            csv.field_size_limit(sys.maxsize)  # a 10 MB answer is a valid cell
            with open(self.path, encoding=self.encoding, newline="") as fh:
                reader = csv.reader(fh, delimiter=self.sep)
                next(reader, None)
                start = reader.line_num + 1
                for record in reader:
                    if any(cell.strip() for cell in record) or len(record) > 1:
                        lines.append(start)
                    start = reader.line_num + 1
            self._lines = lines
        if index < len(self._lines):
            return self._lines[index]
        return index + 2


def sha256_file(path: str | Path) -> str:
    """Fingerprint of a file's bytes (read-only, streamed)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def detect_encoding(path: Path) -> str:
    """Return ``utf-8-sig`` when the bytes are valid UTF-8, otherwise the best single-byte guess."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_path

        best = from_path(
            path, cp_isolation=["cp1252", "latin_1", "iso8859_15", "mac_roman", "utf_16"]
        ).best()
    except Exception:  # pragma: no cover - detection must never crash a load
        best = None
    if best is None:
        raise SourceError(
            "encodage du texte non reconnu (ni UTF-8, ni Windows-1252/Latin-1).",
            file=path,
            hint="Réenregistrez le fichier en « CSV UTF-8 » depuis votre tableur.",
        )
    enc = best.encoding
    return "cp1252" if enc in {"latin_1", "iso8859_15", "iso8859_1"} else enc


def sniff_separator(sample: str) -> str:
    """Guess the field separator from the first lines of a CSV text."""
    first = sample.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters="".join(SEPARATORS))
        if dialect.delimiter in SEPARATORS and first.count(dialect.delimiter) > 0:
            return dialect.delimiter
    except csv.Error:
        pass
    counts = {s: first.count(s) for s in SEPARATORS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _unique_headers(headers: list[str], path: Path, findings: list[Finding]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(headers):
        h = (raw or "").strip()
        if not h:
            h = f"colonne_{i + 1}"
        if h in seen:
            seen[h] += 1
            new = f"{h} ({seen[h]})"
            add_finding(
                findings,
                "avertissement",
                path,
                f"en-tête « {h} » en double (colonne {i + 1}) : renommée « {new} ».",
                row=1,
                column=h,
            )
            h = new
        else:
            seen[h] = 1
        out.append(h)
    return out


@dataclass
class CsvLayout:
    """What is known of a CSV file before reading its records: encoding, separator, header."""

    path: Path
    encoding: str
    sep: str
    names: list[str]
    findings: list[Finding]
    first_width: int = (
        0  # fields in the first data record (more than the header: trailing separator?)
    )

    def options(self, **overrides: object) -> dict:
        """``pandas.read_csv`` options reading every record as text under the header's names."""
        options = {
            "sep": self.sep,
            "encoding": self.encoding,
            "dtype": str,
            "keep_default_na": False,
            "na_filter": False,
            "header": None,
            "skiprows": 1,
            "engine": "c",
            "skip_blank_lines": True,
            "on_bad_lines": "error",
        }
        return options | overrides


def check_path(path: str | Path) -> Path:
    """The path of an existing, non-empty file; :class:`SourceError` (French) otherwise."""
    path = Path(path)
    if not path.exists():
        raise SourceError(
            "fichier introuvable.",
            file=path,
            hint="Vérifiez le chemin indiqué dans les paramètres.",
        )
    if path.is_dir():
        raise SourceError("un dossier a été donné là où un fichier est attendu.", file=path)
    if path.stat().st_size == 0:
        raise SourceError("le fichier est vide (0 octet).", file=path, hint="Refaites l'export.")
    return path


def is_spreadsheet(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix in EXCEL_SUFFIXES or suffix in ODS_SUFFIXES


def csv_layout(path: Path, encoding: str) -> CsvLayout:
    """Sniff the separator and read the header of a CSV file (first 64 KiB only)."""
    findings: list[Finding] = []
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.read(65536)
    if not sample.strip():
        raise SourceError("le fichier ne contient que des espaces ou des lignes vides.", file=path)
    sep = "\t" if path.suffix.lower() == ".tsv" else sniff_separator(sample)
    records = csv.reader(io.StringIO(sample), delimiter=sep)
    header = next(records)
    first = next(records, [])
    names = _unique_headers(header, path, findings)
    if encoding not in {"utf-8-sig", "utf-8"}:
        add_finding(
            findings,
            "info",
            path,
            f"encodage détecté : {encoding} (converti en UTF-8 à la lecture).",
        )
    return CsvLayout(path, encoding, sep, names, findings, len(first))


@contextlib.contextmanager
def csv_errors(layout: CsvLayout) -> Iterator[None]:
    """Turn pandas parser errors into French :class:`SourceError`; check records wider than the
    header (pandas drops their extra fields, with a warning only for some dtypes)."""
    path, sep = layout.path, layout.sep
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            yield
        warned = any(issubclass(w.category, pd.errors.ParserWarning) for w in caught)
        if warned or layout.first_width > len(layout.names):
            check_extra_fields(layout)
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            raise SourceError(
                f"{m.group(3)} champs au lieu de {m.group(1)} (séparateur détecté : {SEP_NAMES.get(sep, sep)}).",
                file=path,
                row=int(m.group(2)),
                hint="Une ligne a plus de colonnes que l'en-tête : vérifiez les guillemets ou le séparateur.",
            ) from None
        raise SourceError(
            f"lecture CSV impossible avec le séparateur {SEP_NAMES.get(sep, sep)} : {str(exc).strip()}.",
            file=path,
            hint="Vérifiez les guillemets (une cellule ouverte et jamais fermée ?) ou le séparateur.",
        ) from None
    except UnicodeDecodeError:
        raise SourceError(f"octets illisibles en {layout.encoding}.", file=path) from None


def read_table(path: str | Path, sheet: str | int | None = None) -> RawTable:
    """Read a CSV/XLSX/ODS file as strings without ever writing to it.

    Raises :class:`SourceError` (French message) when the file is missing, empty or unreadable.
    """
    path = check_path(path)
    digest = sha256_file(path)
    if is_spreadsheet(path):
        return _read_spreadsheet(path, sheet, digest, [])
    layout = csv_layout(path, detect_encoding(path))
    options = layout.options()
    with csv_errors(layout):
        # index_col=False: a trailing separator on every line must not shift the columns
        frame = pd.read_csv(path, names=layout.names, index_col=False, **options)
    return RawTable(path, frame, layout.encoding, layout.sep, digest, None, layout.findings)


def check_extra_fields(layout: CsvLayout) -> None:
    """Records wider than the header: refused if the extra fields hold data, noted otherwise."""
    path, names, findings = layout.path, layout.names, layout.findings
    wide = pd.read_csv(path, **layout.options())
    extra = wide.iloc[:, len(names) :]
    filled = extra.apply(lambda col: col.str.strip() != "").any(axis=1)
    if filled.any():
        first = int(filled.to_numpy().nonzero()[0][0])
        raise SourceError(
            f"{int(filled.sum())} ligne(s) ont plus de champs que l'en-tête ({len(names)} colonnes), "
            f"la première au rang de données {first + 1} : « {extra.iloc[first].str.cat(sep=' ')[:60]} ».",
            file=path,
            hint="Vérifiez le séparateur et les guillemets, ou ajoutez l'en-tête manquant.",
        )
    add_finding(findings, "info", path, "séparateur en fin de ligne ignoré (champ final vide).")


def _read_spreadsheet(
    path: Path, sheet: str | int | None, digest: str, findings: list[Finding]
) -> RawTable:
    engine = "odf" if path.suffix.lower() in ODS_SUFFIXES else None
    try:
        book = pd.read_excel(
            path,
            sheet_name=None if sheet is None else [sheet],
            header=None,
            dtype=object,
            engine=engine,
        )
    except ValueError as exc:
        if sheet is not None and ("not found" in str(exc) or "Worksheet" in str(exc)):
            raise SourceError(f"feuille « {sheet} » absente du classeur.", file=path) from None
        raise SourceError(f"classeur illisible : {exc}.", file=path) from None
    except Exception as exc:  # zip errors, corrupt files
        raise SourceError(
            f"classeur illisible ({type(exc).__name__}).",
            file=path,
            hint="Le fichier est peut-être corrompu ou n'est pas un vrai XLSX/ODS : réexportez-le.",
        ) from None
    sheet_name, raw = next(iter(book.items()))
    raw = raw.dropna(how="all")
    if raw.empty:
        raise SourceError(f"la feuille « {sheet_name} » est vide.", file=path)
    cells = raw.map(_cell_to_str)
    names = _unique_headers(list(cells.iloc[0]), path, findings)
    frame = cells.iloc[1:].copy()
    frame.columns = names
    frame = frame.reset_index(drop=True)
    table = RawTable(path, frame, "xlsx", None, digest, str(sheet_name), findings)
    table._lines = [int(i) + 1 for i in raw.index[1:]]
    return table


def _cell_to_str(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S").removesuffix(" 00:00:00")
    return str(value).strip() if isinstance(value, str) else str(value)
