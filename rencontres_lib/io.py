"""Read any tabular file a user hands over, read-only, into a table of strings.

CSV with ``,`` ``;`` tab or ``|`` (sniffed), UTF-8 with or without BOM, cp1252/latin-1
(detected), quoted multi-line cells, mixed CRLF/LF or CR-only line ends; XLSX and ODS (first
or named sheet). Every cell comes back as ``str`` ("" when empty) so loaders decide what a
value means.

Bounded reads (checked before any parsing, each refusal a French :class:`SourceError`):

- only regular files are read: a directory, a FIFO or a device is refused without opening it;
- a spreadsheet whose zip declares more than :data:`MAX_UNCOMPRESSED_BYTES` once uncompressed
  (200 Mo; a « zip bomb ») is refused from its zip directory, before decompression;
- at most :data:`MAX_COLUMNS` columns (2 000) in a header;
- at most :data:`MAX_CELL_CHARS` characters (32 000 000) in one cell (a 10 Mo answer is valid).

Records (CSV lines) with fewer or more fields than the header are never shifted: they are kept
in the frame, padded or cut, and listed in :attr:`RawTable.misaligned` so that every loader
rejects them with their line (:func:`rencontres_lib.loaders.common.reject_misaligned`).
"""

from __future__ import annotations

import bisect
import codecs
import contextlib
import csv
import hashlib
import io
import os
import re
import stat
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import Finding, SourceError, add_finding
from .formats import fmt_count
from .vocabulary import fold

CSV_SUFFIXES = {".csv", ".tsv", ".txt", ""}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
ODS_SUFFIXES = {".ods"}
SEPARATORS = [";", ",", "\t", "|"]
SEP_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation", "|": "barre verticale"}
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # declared size of a spreadsheet once unzipped
MAX_COLUMNS = 2000  # columns in a header
MAX_CELL_CHARS = 32_000_000  # characters in one cell (a 10 Mo open answer is valid)
SNIFF_CHARS = 65536  # first window read to sniff the separator (grown until a header fits)


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
    misaligned: list[tuple[int, int, int]] = field(default_factory=list)
    """Records whose field count differs from the header: (frame index, file line, fields)."""
    layout: Any = None  # the CsvLayout of a CSV read by columns.read_columns

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
            skip = self.layout.skip if self.layout is not None else 0
            with open(self.path, encoding=self.encoding, newline="") as fh:
                reader = csv.reader(fh, delimiter=self.sep)
                for _ in range(1 + skip):
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


REPLACING = "utf-8-remplace"
"""Codec name: UTF-8 (BOM skipped) whose invalid bytes each become U+FFFD, whatever ``errors``
says, so every reader of the file (csv, pandas) reads it the same way."""


def _replacing_codec(name: str) -> codecs.CodecInfo | None:
    if name.replace("-", "_").replace(" ", "_") != REPLACING.replace("-", "_"):
        return None
    base = codecs.lookup("utf-8-sig")
    return codecs.CodecInfo(
        name=REPLACING,
        encode=base.encode,
        decode=lambda data, errors="strict": base.decode(data, "replace"),
        incrementalencoder=base.incrementalencoder,
        incrementaldecoder=lambda errors="strict": base.incrementaldecoder("replace"),
        streamreader=lambda stream, errors="strict": base.streamreader(stream, "replace"),
        streamwriter=base.streamwriter,
    )


codecs.register(_replacing_codec)


def _mostly_utf8(data: bytes) -> bool:
    """True when bytes that are not valid UTF-8 are a few damaged ones in a UTF-8 text.

    A UTF-8 letter (« é » = C3 A9) read in Windows-1252 would be two odd characters (« Ã© »):
    a real Windows-1252 export practically never holds one, while each of its accented
    letters is an invalid UTF-8 byte. So the text is UTF-8 when it holds at least one valid
    non-ASCII UTF-8 character and at least as many of them as invalid bytes. (charset-normalizer
    only proposes encodings that decode the whole file: it never proposes UTF-8 for a UTF-8
    file with one bad byte, hence this count first.)
    """
    text = data.decode("utf-8-sig", "replace")
    replaced = text.count("\ufffd")
    invalid = replaced - data.count(b"\xef\xbf\xbd")
    valid = len(text) - len(text.encode("ascii", "ignore")) - replaced
    return valid > 0 and valid >= invalid


def damaged_lines(path: Path) -> list[int]:
    """1-based physical lines of a file holding bytes that are not valid UTF-8."""
    data = path.read_bytes()
    text = data.decode("utf-8-sig", "replace")
    ends = [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    found = {bisect.bisect_right(ends, m.start()) + 1 for m in re.finditer("\ufffd", text)}
    return sorted(found)


def _lines_text(lines: list[int]) -> str:
    """« ligne 4 » / « lignes 4, 7 et 9 » / « lignes 4, 7, … (et 3 autres) »."""
    if len(lines) == 1:
        return f"ligne {lines[0]}"
    shown = [str(x) for x in lines[:12]]
    if len(lines) > 12:
        return f"lignes {', '.join(shown)} (et {len(lines) - 12} autres)"
    return f"lignes {', '.join(shown[:-1])} et {shown[-1]}"


def detect_encoding(path: Path) -> str:
    """Return ``utf-8-sig`` when the bytes are valid UTF-8; :data:`REPLACING` when a few bytes
    are damaged in a UTF-8 text (:func:`_mostly_utf8`); otherwise the best single-byte guess
    of charset-normalizer (Windows-1252 for Latin-1). :class:`SourceError` when none fits."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(path.read_bytes()):
        return REPLACING
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
    first = re.split(r"\r\n|\r|\n", sample, maxsplit=1)[0]
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
                path.name,
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
    skip: int = 0  # lines above the header (Excel's « sep=; » line)

    def options(self, **overrides: object) -> dict:
        """``pandas.read_csv`` options reading every record as text under the header's names."""
        options = {
            "sep": self.sep,
            "encoding": self.encoding,
            "dtype": str,
            "keep_default_na": False,
            "na_filter": False,
            "header": None,
            "skiprows": 1 + self.skip,
            "engine": "c",
            "skip_blank_lines": True,
            "on_bad_lines": "error",
        }
        return options | overrides


def check_path(path: str | Path) -> Path:
    """The path of an existing, non-empty file; :class:`SourceError` (French) otherwise."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode  # never opens: a FIFO cannot block here
    except FileNotFoundError:
        raise SourceError(
            "fichier introuvable.",
            file=path,
            hint="Vérifiez le chemin indiqué dans les paramètres.",
        ) from None
    except OSError as exc:
        raise SourceError(
            "fichier inaccessible ("
            + (
                "droits de lecture insuffisants"
                if isinstance(exc, PermissionError)
                else "erreur du système de fichiers"
            )
            + ").",
            file=path,
        ) from None
    if stat.S_ISDIR(mode):
        raise SourceError("un dossier a été donné là où un fichier est attendu.", file=path)
    if not stat.S_ISREG(mode):
        kind = "un tube nommé (FIFO)" if stat.S_ISFIFO(mode) else "un fichier spécial"
        raise SourceError(
            f"{kind} a été donné là où un fichier ordinaire est attendu : il n'est pas lu.",
            file=path,
            hint="Indiquez le chemin d'un export enregistré sur le disque.",
        )
    if path.stat().st_size == 0:
        raise SourceError("le fichier est vide (0 octet).", file=path, hint="Refaites l'export.")
    return path


def is_spreadsheet(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix in EXCEL_SUFFIXES or suffix in ODS_SUFFIXES


_SEP_LINE = re.compile(r'\ufeff?"?sep=([^"\r\n])"?[ \t]*(?:\r\n|\r|\n)', re.IGNORECASE)


def csv_layout(path: Path, encoding: str) -> CsvLayout:
    """Sniff the separator and read the header of a CSV file.

    The first :data:`SNIFF_CHARS` characters are read, then more until the header and the first
    record are complete (a header longer than the window is read whole). A first line
    ``sep=;`` (written by Excel) sets the separator and the header is the next line
    (``CsvLayout.skip``). Raises :class:`SourceError` beyond :data:`MAX_COLUMNS` columns or a cell of :data:`MAX_CELL_CHARS`.
    """
    findings: list[Finding] = []
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.read(SNIFF_CHARS)
        while True:  # until two record ends are in the sample, or the end of the file
            ends = len(re.findall(r"\r\n|\r|\n", sample[:-1]))
            need = 3 if _SEP_LINE.match(sample) else 2
            if ends >= need or len(sample) > 2 * MAX_CELL_CHARS:
                break
            more = fh.read(len(sample))
            if not more:
                break
            sample += more
    if not sample.strip():
        raise SourceError("le fichier ne contient que des espaces ou des lignes vides.", file=path)
    first_line = re.split(r"\r\n|\r|\n", sample, maxsplit=1)[0]
    skip, declared = 0, _SEP_LINE.match(sample)
    if declared:  # Excel's « sep=; » first line: the separator it names, the header below
        skip, sep = 1, declared.group(1)
        sample = sample[declared.end() :]
        first_line = re.split(r"\r\n|\r|\n", sample, maxsplit=1)[0]
        add_finding(
            findings,
            "info",
            path.name,
            f"première ligne « {declared.group(0).strip()} » (ajoutée par Excel) : séparateur "
            f"{SEP_NAMES.get(sep, f'« {sep} »')} ; l'en-tête est lu à la ligne 2.",
            row=1,
        )
    elif path.suffix.lower() == ".tsv":
        sep = "\t"
    else:
        sep = sniff_separator(sample if len(first_line) < SNIFF_CHARS else first_line)
    records = csv.reader(io.StringIO(sample), delimiter=sep)
    try:
        header = next(records)
        first = next(records, [])
    except csv.Error:
        header, first = first_line.split(sep), []
    if len(header) > MAX_COLUMNS:
        raise SourceError(
            f"{len(header)} colonnes dans l'en-tête : au plus {MAX_COLUMNS} sont lues "
            f"(séparateur détecté : {SEP_NAMES.get(sep, sep)}).",
            file=path,
            row=1,
            hint="Vérifiez le séparateur, ou n'exportez que les colonnes utiles.",
        )
    names = _unique_headers(header, path, findings)
    if encoding == REPLACING:
        bad = damaged_lines(path)
        add_finding(
            findings,
            "avertissement",
            path.name,
            f"octet invalide en UTF-8 ({_lines_text(bad)}) : chaque octet illisible est remplacé "
            "par « \ufffd », le reste du fichier est lu en UTF-8 (ses lettres accentuées restent "
            "justes). Corrigez ce caractère dans l'export, ou réenregistrez-le en « CSV UTF-8 ».",
            row=bad[0] if bad else None,
            count=max(1, len(bad)),
        )
    elif encoding not in {"utf-8-sig", "utf-8"}:
        add_finding(
            findings,
            "info",
            path.name,
            f"encodage détecté : {encoding} (converti en UTF-8 à la lecture).",
        )
    return CsvLayout(path, encoding, sep, names, findings, len(first), skip)


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
            f"lecture CSV impossible avec le séparateur {SEP_NAMES.get(sep, sep)}.",
            file=path,
            hint="Vérifiez les guillemets (une cellule ouverte et jamais fermée ?) ou le séparateur.",
        ) from None
    except UnicodeDecodeError:
        raise SourceError(f"octets illisibles en {layout.encoding}.", file=path) from None


def read_table(
    path: str | Path,
    sheet: str | int | None = None,
    *,
    accept: Callable[[list[str]], bool] | None = None,
) -> RawTable:
    """Read a CSV/XLSX/ODS file as strings without ever writing to it.

    CSV records are read with the :mod:`csv` module; a record with fewer or more fields than
    the header is kept (padded with "" or cut) and listed in ``misaligned``; a trailing empty
    field on every record is ignored. Raises :class:`SourceError` (French message) when the
    file is missing, special, empty, beyond the documented limits or unreadable, and when every
    record is wider than the header with data in the extra fields (a missing header line).

    Spreadsheets: the header is the first of the first :data:`HEADER_SEARCH_ROWS` rows that
    ``accept`` (the loader's test on a header: does it hold the expected columns?) accepts,
    else the first row below title rows (rows with a single filled cell above a wider one);
    without ``sheet``, the first sheet whose header ``accept`` accepts is read (else the
    first one that is not a « Lisez-moi » / « Read me » notice). Each choice is an « info »
    finding naming the sheet and the header's row.
    """
    path = check_path(path)
    digest = sha256_file(path)
    if is_spreadsheet(path):
        return _read_spreadsheet(path, sheet, digest, [], accept)
    layout = csv_layout(path, detect_encoding(path))
    rows, lines, misaligned = _csv_records(layout)
    frame = pd.DataFrame(rows, columns=layout.names, dtype=object)
    if not rows:
        frame = pd.DataFrame({n: pd.Series(dtype=object) for n in layout.names})
    if layout.encoding == REPLACING:
        _locate_damaged_cells(layout, frame, lines)
    table = RawTable(path, frame, layout.encoding, layout.sep, digest, None, layout.findings)
    table._lines = lines
    table.misaligned = misaligned
    return table


def _locate_damaged_cells(layout: CsvLayout, frame: pd.DataFrame, lines: list[int]) -> None:
    """Replace the file-wide warning on bytes invalid in UTF-8 by one per column, naming the
    records (first line of each) whose cell holds a replaced byte."""
    found = []
    for column in frame.columns:
        hit = frame[column].astype(str).str.contains("\ufffd", regex=False).to_numpy()
        rows = [lines[i] for i in hit.nonzero()[0]]
        if rows:
            found.append(
                Finding(
                    "avertissement",
                    layout.path.name,
                    f"caractère illisible (octet invalide en UTF-8, {_lines_text(rows)}) remplacé "
                    "par « \ufffd » ; le reste du fichier est lu en UTF-8. Corrigez ce caractère "
                    "dans l'export, ou réenregistrez-le en « CSV UTF-8 ».",
                    rows[0],
                    str(column),
                    len(rows),
                )
            )
    if found:
        layout.findings[:] = [
            f for f in layout.findings if "octet invalide en UTF-8 (" not in f.message
        ]
        layout.findings.extend(found)


def _csv_records(layout: CsvLayout) -> tuple[list[list[str]], list[int], list]:
    """Every data record padded or cut to the header's width, its first line, and the
    misaligned ones as (index, line, fields)."""
    rows, lines, widths = scan_records(layout, keep=True)
    if any("\n" in c or "\r" in c for row in rows for c in row):
        rows, lines, widths = split_unclosed_quotes(layout, rows, lines)
    misaligned = misaligned_records(layout, widths, lines, rows)
    width = len(layout.names)
    for i, w in enumerate(widths):
        if w != width:
            rows[i] = (rows[i] + [""] * width)[:width]
    return rows, lines, misaligned


_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _is_blank(record: list[str], width: int) -> bool:
    return not record or (len(record) == 1 and not record[0].strip() and width > 1)


def _shape(text: str) -> str:
    """« 14/03/2025 10:01 » → « 9/9/9 9:9 »: digits and letters runs collapsed."""
    return re.sub(r"[^\W\d_]+", "a", re.sub(r"\d+", "9", text.strip()))


def _swallows(text: str, record: list[str], sep: str, width: int) -> bool:
    """A multi-line record read from ``text`` that an opening quote never properly closed:
    strict CSV refuses it (end of file inside the quote, or a closing quote followed by text),
    or one of its cells holds two lines or more that look like whole records: the header's
    width (3 columns at least) and a first field of the same shape as the record's own (a
    timestamp, an id), which an answer written on several lines practically never has."""
    try:
        list(csv.reader(io.StringIO(text), delimiter=sep, strict=True))
    except csv.Error:
        return True
    shape = _shape(record[0]) if record else ""
    if width < 3 or not shape:
        return False
    for cell in record:
        inner = re.split(r"\r\n|\r|\n", cell)[1:]
        records = [next(csv.reader([line], delimiter=sep), []) for line in inner]
        if sum(len(r) == width and _shape(r[0]) == shape for r in records) >= 2:
            return True
    return False


def split_unclosed_quotes(
    layout: CsvLayout, rows: list[list[str]], lines: list[int]
) -> tuple[list[list[str]], list[int], list[int]]:
    """Records re-read where a double quote opened and was never properly closed.

    Such a quote makes the :mod:`csv` module read the following lines (often to the end of
    the file) as one cell, so rows would silently disappear. Each multi-line record that
    :func:`_swallows` flags is cut at the end of its first line (the opening quote is taken
    to close there) and the lines it had swallowed are read again as ordinary records; a
    warning names the line and column where the quote opens and the lines recovered.
    Returns (records, first line of each, field count of each).
    """
    path, sep, width = layout.path, layout.sep, len(layout.names)
    with open(path, encoding=layout.encoding, newline="") as fh:
        physical = _LINE_RE.findall(fh.read())
    out_rows: list[list[str]] = []
    out_lines: list[int] = []
    for i, (row, start) in enumerate(zip(rows, lines, strict=True)):
        if not any("\n" in c or "\r" in c for c in row):
            out_rows.append(row)
            out_lines.append(start)
            continue
        end = lines[i + 1] - 1 if i + 1 < len(lines) else len(physical)
        chunk, pos = physical[start - 1 : end], 0
        while pos < len(chunk):
            reader = csv.reader(iter(chunk[pos:]), delimiter=sep)
            record = next(reader, None)
            if record is None:
                break
            span = reader.line_num
            if span > 1 and _swallows("".join(chunk[pos : pos + span]), record, sep, width):
                cut = next(csv.reader([chunk[pos].rstrip("\r\n")], delimiter=sep))
                j = next((k for k, c in enumerate(record) if "\n" in c or "\r" in c), 0)
                column = layout.names[j] if j < width else None
                first, last = start + pos + 1, start + pos + span - 1
                swallowed = (
                    f"la ligne {first} était lue"
                    if first == last
                    else (f"les lignes {first} à {last} étaient lues")
                )
                add_finding(
                    layout.findings,
                    "avertissement",
                    path.name,
                    f"guillemet ouvert dans cette cellule et jamais refermé correctement : "
                    f"{swallowed} dans cette seule cellule ; la cellule est arrêtée en fin de ligne {start + pos} et les "
                    "lignes suivantes sont lues comme des lignes ordinaires. Vérifiez cette ligne "
                    "dans l'export (guillemet en trop ou manquant).",
                    row=start + pos,
                    column=column,
                )
                record, span = cut, 1
            if not _is_blank(record, width):
                out_rows.append(record)
                out_lines.append(start + pos)
            pos += span
    return out_rows, out_lines, [len(r) for r in out_rows]


def scan_records(layout: CsvLayout, keep: bool) -> tuple[list[list[str]], list[int], list[int]]:
    """Read every data record with the :mod:`csv` module: (records when ``keep``, first line
    of each, field count of each). Blank lines are skipped, as pandas does; a cell longer than
    :data:`MAX_CELL_CHARS` raises :class:`SourceError`."""
    path, sep, width = layout.path, layout.sep, len(layout.names)
    rows: list[list[str]] = []
    lines: list[int] = []
    widths: list[int] = []
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = None
    try:
        with open(path, encoding=layout.encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=sep)
            for _ in range(1 + layout.skip):
                next(reader, None)
            start = reader.line_num + 1
            for record in reader:
                blank = not record or (len(record) == 1 and not record[0].strip() and width > 1)
                if not blank:
                    if keep:
                        rows.append(record)
                    lines.append(start)
                    widths.append(len(record))
                start = reader.line_num + 1
    except csv.Error as exc:
        line = reader.line_num if reader is not None else None
        if "field larger than field limit" in str(exc):
            raise SourceError(
                f"une cellule dépasse {MAX_CELL_CHARS:_} caractères (limite de lecture)".replace(
                    "_", "\u202f"
                )
                + ".",
                file=path,
                row=line,
                hint="Un guillemet jamais fermé fait souvent d'une cellule tout le reste du fichier : vérifiez les guillemets.",
            ) from None
        raise SourceError(
            f"lecture CSV impossible avec le séparateur {SEP_NAMES.get(sep, sep)}.",
            file=path,
            row=line,
            hint="Vérifiez les guillemets (une cellule ouverte et jamais fermée ?) ou le séparateur.",
        ) from None
    except UnicodeDecodeError:
        raise SourceError(f"octets illisibles en {layout.encoding}.", file=path) from None
    finally:
        csv.field_size_limit(sys.maxsize)
    return rows, lines, widths


def misaligned_records(
    layout: CsvLayout, widths: list[int], lines: list[int], rows: list[list[str]] | None
) -> list[tuple[int, int, int]]:
    """(index, line, fields) of the records narrower than the header, or wider with data in
    the extra fields (with ``rows``; without them, pandas has already refused those). A trailing empty
    field is noted once; every record wider with data means a missing header: SourceError."""
    path, width = layout.path, len(layout.names)
    wide = [i for i, w in enumerate(widths) if w > width]
    if rows is None:  # read by pandas, which refuses wider records holding data
        wide_filled = []
    else:
        wide_filled = [i for i in wide if any(c.strip() for c in rows[i][width:])]
    if widths and len(wide_filled) == len(widths) and rows is not None:
        first = rows[0][width:]
        raise SourceError(
            f"{fmt_count(len(widths), 'ligne a', 'lignes ont')} plus de champs que l'en-tête ({width} colonnes), "
            f"la première au rang de données 1 : « {' '.join(first)[:60]} ».",
            file=path,
            hint="Vérifiez le séparateur et les guillemets, ou ajoutez l'en-tête manquant.",
        )
    if wide and not wide_filled:
        add_finding(
            layout.findings,
            "info",
            path.name,
            "séparateur en fin de ligne ignoré (champ final vide).",
        )
    filled = set(wide_filled)
    return [
        (i, lines[i], w) for i, w in enumerate(widths) if w < width or (w > width and i in filled)
    ]


def check_extra_fields(layout: CsvLayout) -> None:
    """Records wider than the header: refused if the extra fields hold data, noted otherwise."""
    path, names, findings = layout.path, layout.names, layout.findings
    wide = pd.read_csv(path, **layout.options())
    extra = wide.iloc[:, len(names) :]
    filled = extra.apply(lambda col: col.str.strip() != "").any(axis=1)
    if filled.any():
        first = int(filled.to_numpy().nonzero()[0][0])
        raise SourceError(
            f"{fmt_count(int(filled.sum()), 'ligne a', 'lignes ont')} plus de champs que l'en-tête ({len(names)} colonnes), "
            f"la première au rang de données {first + 1} : « {extra.iloc[first].str.cat(sep=' ')[:60]} ».",
            file=path,
            hint="Vérifiez le séparateur et les guillemets, ou ajoutez l'en-tête manquant.",
        )
    add_finding(
        findings, "info", path.name, "séparateur en fin de ligne ignoré (champ final vide)."
    )


def check_zip_size(path: Path) -> None:
    """Refuse a spreadsheet (a zip) whose declared uncompressed size exceeds
    :data:`MAX_UNCOMPRESSED_BYTES`, read from the zip directory before any decompression."""
    try:
        with zipfile.ZipFile(path) as book:
            total = sum(info.file_size for info in book.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # not a zip (old .xls) or corrupt: the reader says so below
    if total > MAX_UNCOMPRESSED_BYTES:
        mo = MAX_UNCOMPRESSED_BYTES // (1024 * 1024)
        raise SourceError(
            f"classeur trop volumineux une fois décompressé ({total // (1024 * 1024)} Mo annoncés, "
            f"limite de lecture : {mo} Mo) : il n'est pas ouvert.",
            file=path,
            hint="Exportez les réponses en CSV, ou ne gardez que la feuille utile.",
        )


HEADER_SEARCH_ROWS = 10  # rows of a sheet searched for its header (title rows above it)
NOTICE_SHEETS = {"lisez moi", "lisezmoi", "read me", "readme", "notice", "instructions", "a lire"}


def _header_row(cells: pd.DataFrame, accept: Callable[[list[str]], bool] | None) -> int:
    """Position (in ``cells``) of the header row: the first of the first rows ``accept``
    accepts, else the first row after title rows (a single filled cell above a wider row)."""
    top = cells.iloc[:HEADER_SEARCH_ROWS]
    if accept is not None:
        for pos in range(len(top)):
            if accept([c for c in top.iloc[pos] if c]):
                return pos
    filled = [int((top.iloc[pos] != "").sum()) for pos in range(len(top))]
    pos = 0
    while pos < len(filled) - 1 and filled[pos] <= 1 and max(filled[pos + 1 :]) > 1:
        pos += 1
    return pos


def _is_notice(name: object) -> bool:
    return " ".join(re.sub(r"[^a-z]+", " ", fold(name)).split()) in NOTICE_SHEETS


def _choose_sheet(
    book: dict, path: Path, findings: list[Finding], accept: Callable[[list[str]], bool] | None
) -> tuple[object, pd.DataFrame, pd.DataFrame, int]:
    """(sheet name, sheet without blank rows, its cells as text, header position) of the
    first sheet whose header ``accept`` accepts (without ``accept``: the first that is not a
    notice), else of the first non-empty sheet that is not a notice."""
    sheets, chosen = [], None
    for name, raw in book.items():
        raw = raw.dropna(how="all")
        if raw.empty:
            continue
        cells = raw.map(_cell_to_str)
        sheet = (name, raw, cells, _header_row(cells, accept))
        sheets.append(sheet)
        if accept(list(cells.iloc[sheet[3]])) if accept is not None else not _is_notice(name):
            chosen = sheet
            break
    if not sheets:
        raise SourceError(f"la feuille « {next(iter(book))} » est vide.", file=path)
    if chosen is None:
        chosen = next((sh for sh in sheets if not _is_notice(sh[0])), sheets[0])
    first = next(iter(book))
    if chosen[0] != first:
        why = (
            "est vide"
            if book[first].dropna(how="all").empty
            else "est une notice"
            if _is_notice(first)
            else "n'a pas les colonnes attendues"
        )
        add_finding(
            findings,
            "info",
            path.name,
            f"feuille « {chosen[0]} » lue : la première feuille, « {first} », {why}.",
        )
    return chosen


def _read_spreadsheet(
    path: Path,
    sheet: str | int | None,
    digest: str,
    findings: list[Finding],
    accept: Callable[[list[str]], bool] | None = None,
) -> RawTable:
    check_zip_size(path)
    engine = "odf" if path.suffix.lower() in ODS_SUFFIXES else None
    if engine is None and path.suffix.lower() in {".xlsx", ".xlsm"}:
        engine = "openpyxl"  # by suffix: pandas' own guess fails in English on odd files
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
        raise SourceError(
            "classeur illisible : ce n'est pas un classeur XLSX ou ODS valide.",
            file=path,
            hint="Ouvrez-le dans votre tableur et réenregistrez-le au format XLSX, ou exportez-le en CSV.",
        ) from None
    except Exception as exc:  # zip errors, corrupt files
        raise SourceError(
            f"classeur illisible ({type(exc).__name__}).",
            file=path,
            hint="Le fichier est peut-être corrompu ou n'est pas un vrai XLSX/ODS : réexportez-le.",
        ) from None
    sheet_name, raw, cells, top = _choose_sheet(book, path, findings, accept)
    if raw.shape[1] > MAX_COLUMNS:
        raise SourceError(
            f"{raw.shape[1]} colonnes dans la feuille « {sheet_name} » : au plus {MAX_COLUMNS} sont lues.",
            file=path,
            row=1,
            hint="N'exportez que les colonnes utiles.",
        )
    too_long = cells.map(len).to_numpy() > MAX_CELL_CHARS
    if too_long.any():
        r, c = (int(x[0]) for x in too_long.nonzero())
        raise SourceError(
            f"une cellule dépasse {MAX_CELL_CHARS:_} caractères (limite de lecture).".replace(
                "_", "\u202f"
            ),
            file=path,
            row=int(raw.index[r]) + 1,
        )
    if top:
        add_finding(
            findings,
            "info",
            path.name,
            f"en-tête trouvé à la ligne {int(raw.index[top]) + 1} de la feuille « {sheet_name} » : "
            "les lignes au-dessus (titre, notes) ne sont pas lues.",
            row=int(raw.index[top]) + 1,
        )
    names = _unique_headers(list(cells.iloc[top]), path, findings)
    frame = cells.iloc[top + 1 :].copy()
    frame.columns = names
    frame = frame.reset_index(drop=True)
    table = RawTable(path, frame, "xlsx", None, digest, str(sheet_name), findings)
    table._lines = [int(i) + 1 for i in raw.index[top + 1 :]]
    return table


def _cell_to_str(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S").removesuffix(" 00:00:00")
    return str(value).strip() if isinstance(value, str) else str(value)
