"""A table kept column by column as integer codes into each column's distinct texts.

Survey exports repeat a handful of answers over thousands of rows: « Plutôt d'accord », « 3 »,
a profile, a territory. :func:`read_columns` keeps, for every column, one small integer per
cell plus the column's distinct values as text, so a million-row export never exists as a
million-row frame of Python strings. A CSV file is read in one pass by pandas' own (parallel)
reader, answer codes as one byte each and profiles or territories as categories; when a code
column holds something else (a blank, a label), the file is read again in chunks. Columns
whose values are nearly all different (identifiers, dates, free text) are kept as plain arrays
and factorised only if a loader asks. Spreadsheets (XLSX, ODS) are read whole with
:func:`rencontres_lib.io.read_table` and wrapped in the same interface.

Cells come back as text exactly as written, with one documented exception: code and
identifier columns (``infer``) are parsed as numbers when they hold only numbers, so ``01``,
``1`` and ``1.0`` all read as ``1`` there.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from . import speed
from .io import (
    RawTable,
    check_path,
    csv_errors,
    csv_layout,
    detect_encoding,
    is_spreadsheet,
    misaligned_records,
    read_table,
    scan_records,
    sha256_file,
)

UNCLOSED = "guillemet ouvert dans cette cellule"  # the shared reader's warning (io.py)
CHUNK_ROWS = 50_000  # measured fastest here; also bounds the reader's own buffers


def _smallest(codes: np.ndarray, n_values: int) -> np.ndarray:
    """Codes in the smallest signed integer type holding ``n_values`` values."""
    for kind in (np.int8, np.int16, np.int32):
        if n_values < np.iinfo(kind).max:
            return codes.astype(kind, copy=False)
    return codes.astype(np.int64, copy=False)


def _joined(parts: list[np.ndarray], empty_dtype: type) -> np.ndarray:
    """The chunks of a column end to end (no copy when there is a single chunk)."""
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.array([], dtype=empty_dtype)


def _int_texts(values: np.ndarray) -> np.ndarray:
    """Integers as an object array of their decimal texts (the fastest way measured here)."""
    return np.array(list(map(str, values.tolist())), dtype=object)


_TRIM = None  # glibc's malloc_trim, looked up on first use (False where there is none)


def release_memory() -> None:
    """Give the memory freed by large temporaries back to the system (glibc only, else nothing).

    pandas' parallel reader parses in worker threads, each with its own malloc arena; what they
    free stays resident and counts in the process' peak memory until it is trimmed.
    """
    global _TRIM
    if _TRIM is None:
        try:
            _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_ONE_ARENA = False  # M_ARENA_MAX set to 1 in this process (it cannot be undone)


def one_malloc_arena() -> None:
    """Make every thread allocate from glibc's main malloc arena (glibc only, else nothing).

    Trick « une_seule_arene » of :mod:`rencontres_lib.speed`. pandas' parallel reader and the
    coding threads otherwise each get an arena of their own, and what they free there stays
    resident, in pieces that ``malloc_trim`` does not give back (16 MB of 190 after loading
    1,000,000 answers, measured here). ``mallopt(M_ARENA_MAX, 1)`` is process-wide and lasts:
    threads started later share the one arena and its lock (no slower here, measured on the
    loader); it is set before the first thread of the first load.
    """
    global _ONE_ARENA
    if _ONE_ARENA:
        return
    _ONE_ARENA = True
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, 1)  # M_ARENA_MAX (malloc.h)
    except (OSError, AttributeError):
        pass


def is_blank(values: np.ndarray) -> np.ndarray:
    """Empty or whitespace-only cells; only cells starting with a space are checked one by one."""
    blank = values == ""
    odd = np.flatnonzero(~blank & (values < "!"))
    if len(odd):
        blank[odd] = [not str(x).strip() for x in values[odd]]
    return np.asarray(blank, dtype=bool)


def as_text(value: object) -> str:
    """A parsed cell back to text: ``1.0`` → ``"1"``, NaN (an empty cell) → ``""``."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


class ColumnStore:
    """Columns of equal length: each as (codes, distinct texts) or as a plain text array."""

    def __init__(self, names: list[str], n: int) -> None:
        self.names, self.n = list(names), n
        self._codes: dict[str, np.ndarray] = {}
        self._uniques: dict[str, np.ndarray] = {}
        self._plain: dict[str, np.ndarray] = {}

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> ColumnStore:
        """Wrap a frame of strings (spreadsheets, small files): columns factorised on demand."""
        store = cls([str(c) for c in frame.columns], len(frame))
        for name, column in zip(store.names, frame.columns, strict=True):
            store._plain[name] = frame[column].to_numpy(dtype=object)
        return store

    def __len__(self) -> int:
        return self.n

    def factor(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct texts) of a column: ``uniques[codes]`` gives back every cell."""
        if name in self._plain:
            codes, uniques = pd.factorize(self._plain.pop(name))
            uniques = np.asarray(uniques)
            self._uniques[name] = uniques if uniques.dtype == object else _int_texts(uniques)
            self._codes[name] = _smallest(codes, len(uniques))
        return self._codes[name], self._uniques[name]

    def drop(self, name: str) -> None:
        """Forget a column's cells (its name stays): a loader done with it frees the memory."""
        for table in (self._plain, self._codes, self._uniques):
            table.pop(name, None)

    def is_plain(self, name: str) -> bool:
        """True for a column kept as plain texts (not yet factorised)."""
        return name in self._plain

    def keys(self, name: str) -> np.ndarray:
        """One value per cell that is equal exactly when the texts are: codes, numbers or texts."""
        return self._plain[name] if name in self._plain else self._codes[name]

    def blank(self, name: str) -> np.ndarray:
        """True for the cells that are empty or only spaces."""
        if name in self._plain:
            v = self._plain[name]
            return np.zeros(len(v), dtype=bool) if v.dtype != object else is_blank(v)
        return is_blank(self._uniques[name])[self._codes[name]]

    def values(self, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """The cells of a column as an object array of texts (only ``rows`` when given)."""
        if name in self._plain:
            v = self._plain[name]
            v = v if rows is None else v[rows]
            return v if v.dtype == object else _int_texts(v)
        codes, uniques = self._codes[name], self._uniques[name]
        return uniques[codes if rows is None else codes[rows]]

    def row(self, k: int) -> list[str]:
        """Record ``k`` as a list of texts (header detection looks at the first records)."""
        return [str(self.values(name, np.array([k]))[0]) for name in self.names]

    def tail(self, start: int, names: list[str]) -> ColumnStore:
        """Records from ``start`` on, under new column names (a header found on a later row)."""
        out = ColumnStore(names, max(self.n - start, 0))
        for old, new in zip(self.names, names, strict=True):
            if old in self._plain:
                out._plain[new] = self._plain[old][start:]
            else:
                out._codes[new], out._uniques[new] = self._codes[old][start:], self._uniques[old]
        return out


class _ColumnBuilder:
    """Accumulate one column chunk by chunk.

    Three modes, chosen on the first chunk: ``plain`` (mostly distinct texts, kept as they are),
    ``small`` (numbers 0–127: the number is its own code until the end, the cheapest case) and
    ``coded`` (codes against a growing table of texts; a ``small`` column falls back to it).
    """

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.parts: list[np.ndarray] = []
        self.mode: str | None = None
        self.one_text = False  # the sample held a single text: try one comparison first

    def add(self, series: pd.Series) -> None:
        if isinstance(series.dtype, pd.CategoricalDtype):  # already coded by pandas' reader
            self.mode = self.mode or "coded"
            cat = series.array
            self.parts.append(self._codes(series, np.asarray([]), (cat.codes, cat.categories)))
            return
        values = series.to_numpy()
        if self.mode is None:  # the first chunk decides
            if values.dtype.kind in "iu" and values.dtype.itemsize == 1:
                self.mode = "small"
            else:  # decided on the first 10 000 cells: identifiers need no factorising at all
                sample = series.iloc[:10_000]
                distinct = sample.nunique(dropna=False)
                self.mode = "plain" if distinct > len(sample) // 2 > 0 else "small"
                self.one_text = distinct == 1 and values.dtype == object
        if self.mode == "plain":
            self.parts.append(self._texts(series, values))
            return
        if self.mode == "small":
            if values.dtype.kind in "iu":
                small = values.astype(np.int8, copy=False)
                if not len(small) or (
                    small.min() >= 0 and (small is values or (small == values).all())
                ):
                    self.parts.append(small)
                    return
            self._small_to_coded()
        self.parts.append(self._codes(series, values))

    @staticmethod
    def _texts(series: pd.Series, values: np.ndarray) -> np.ndarray:
        if values.dtype.kind in "iu":
            return values  # numbers (an id column): kept as such, turned into text on demand
        if values.dtype != object:
            return np.array([as_text(v) for v in values], dtype=object)
        if (empty := pd.isna(values)).any():
            values = values.copy()
            values[empty] = ""
        return values

    def _codes(
        self, series: pd.Series, values: np.ndarray, factorized: tuple | None = None
    ) -> np.ndarray:
        seen = self.seen
        if (
            factorized is None
            and values.dtype.kind in "iu"
            and len(values)
            and 0 <= values.min()
            and values.max() < 1 << 16
        ):
            present = np.flatnonzero(np.bincount(values))  # small numbers: no hashing at all
            lut = np.zeros(int(present[-1]) + 1, np.int32)
            lut[present] = [seen.setdefault(str(x), len(seen)) for x in present.tolist()]
            return lut[values].astype(np.int16 if len(seen) < 32_000 else np.int32)
        if factorized is None and self.one_text and len(values):
            first = values[0]  # a constant column (a language, a batch date): no hashing
            if isinstance(first, str) and (values == first).all():
                factorized = (np.zeros(len(values), np.int8), [first])
        codes, uniques = factorized or pd.factorize(series, use_na_sentinel=True)
        keys = [as_text(u) for u in uniques]
        if (codes < 0).any():
            keys.append("")  # code -1 (empty cell) → last key
        remap = np.fromiter((seen.setdefault(k, len(seen)) for k in keys), np.int32, len(keys))
        return remap[codes].astype(np.int16 if len(seen) < 32_000 else np.int32)

    def _small_to_coded(self) -> None:
        parts, self.parts, self.mode = self.parts, [], "coded"
        for part in parts:
            self.parts.append(self._codes(pd.Series(part), part.astype(np.int64)))

    def finish(self, store: ColumnStore, name: str) -> None:
        parts, self.parts = self.parts, []
        if self.mode == "plain":
            if any(p.dtype == object for p in parts):  # some chunks had text: all become text
                parts = [p if p.dtype == object else _int_texts(p) for p in parts]
            store._plain[name] = _joined(parts, object)
            return
        codes = _joined(parts, np.int8)
        if self.mode == "small":
            present = np.flatnonzero(np.bincount(codes, minlength=1))
            lut = np.zeros(128, np.int8)
            lut[present] = np.arange(len(present))
            store._codes[name] = np.take(lut, codes)
            store._uniques[name] = np.array([str(x) for x in present.tolist()], dtype=object)
            return
        store._codes[name] = _smallest(codes, len(self.seen))
        store._uniques[name] = np.array(list(self.seen), dtype=object)


def read_columns(
    path: str | Path,
    sheet: str | int | None = None,
    infer: Callable[[list[str]], dict[str, str]] | None = None,
) -> RawTable:
    """Read a file read-only into a :class:`RawTable` whose ``store`` holds the columns.

    ``infer(header names)`` gives the columns parsed as numbers (see the module docstring):
    ``{name: "code"}`` for small answer codes, ``{name: "id"}`` for identifiers, and the few
    labels repeated over many rows, ``{name: "category"}`` (profiles, territories, choices),
    which pandas' reader codes itself (kept exact: never turned into numbers). A CSV file is
    first read in one pass with the codes as one byte each, the fastest pandas path; when a
    code column holds anything else (a blank, a label, 300), it is read again in chunks of
    :data:`CHUNK_ROWS` records, each column turned into codes as it comes. UTF-8 is tried
    first, another encoding is detected only if UTF-8 fails. ``raw.frame`` is an empty frame
    with the header's columns. Errors are those of :func:`rencontres_lib.io.read_table`.

    A double quote never properly closed (open to the end of the file, or swallowing the next
    lines into one cell) is handled as :func:`rencontres_lib.io.read_table` does: when pandas
    meets the end of the file inside a quote, or when a cell holds a line break (checked in
    O(1) from the byte counts of the background fingerprint on files whose records each sit on
    one line), the file is read again by ``read_table``; if its
    :func:`~rencontres_lib.io.split_unclosed_quotes` cut a cell (warning naming the line and
    column), its records are returned, else the fast store stands (true multi-line answers).
    """
    path = check_path(path)
    if speed.active("une_seule_arene"):
        one_malloc_arena()
    if is_spreadsheet(path):
        raw = read_table(path, sheet)
        raw.store = ColumnStore.from_frame(raw.frame)
        return raw
    fingerprint = Fingerprint(path)
    try:
        try:
            raw = _read_csv_columns(path, "utf-8-sig", infer, fingerprint)
        except _NotUtf8:
            raw = _read_csv_columns(path, detect_encoding(path), infer, fingerprint)
    except _Unclosed:  # a quote open to the end of the file: the shared reader cuts it
        return _read_shared(path, infer)
    fingerprint.start()
    raw._hashing = fingerprint  # ``raw.digest()`` waits for it
    if not _has_line_breaks(raw):
        return raw
    shared = _read_shared(path, infer)
    if len(shared.store) != len(raw.store) or any(UNCLOSED in f.message for f in shared.findings):
        return shared  # a quote never properly closed had swallowed lines: cut as read_table does
    raw._lines = shared._lines  # true multi-line answers: the fast store stands
    return raw


def _read_shared(path: Path, infer: Callable[[list[str]], dict[str, str]] | None) -> RawTable:
    """The file read by :func:`rencontres_lib.io.read_table` (a quote never properly closed is
    cut at the end of its line, with a warning naming the line and column), wrapped in a store
    whose code and identifier columns are numbers when they hold only numbers, as pandas'
    reader gives them on the fast path."""
    raw = read_table(path)
    store = raw.store = ColumnStore.from_frame(raw.frame)
    for name, kind in (infer(store.names) if infer else {}).items():
        if kind not in ("code", "id") or not store.is_plain(name):
            continue
        cells = store.values(name)
        try:
            parsed = pd.to_numeric(pd.Series(np.where(cells == "", None, cells), dtype=object))
        except (ValueError, TypeError):
            continue  # a label or a blank among the codes: kept as texts, as pandas does
        builder = _ColumnBuilder()
        builder.add(parsed)
        store.drop(name)
        builder.finish(store, name)
    return raw


def _has_line_breaks(raw: RawTable) -> bool:
    """True when a cell read by pandas holds a line break (a multi-line answer, or lines
    swallowed by a quote never properly closed).

    O(1) on most files, from the background byte counts: a file without any quote, or whose
    physical lines number exactly (records + header + skipped lines), has none. Otherwise the
    distinct texts of coded columns and the texts of plain columns are looked at.
    """
    store, fp = raw.store, raw._hashing
    counts = fp.counts() if fp is not None else None
    if counts is not None:
        _, quotes, newlines = counts
        lines = newlines + (not fp.ends_with_newline)
        if quotes == 0 or lines == len(store) + 1 + raw.layout.skip:
            return False
    for name in store.names:
        texts = store._plain.get(name, store._uniques.get(name))
        if texts is not None and texts.dtype == object:
            if any(isinstance(t, str) and ("\n" in t or "\r" in t) for t in texts):
                return True
    return False


def misaligned(raw: RawTable) -> list[tuple[int, int, int]]:
    """Records of a CSV read by :func:`read_columns` whose field count differs from the header:
    (store position, file line, fields), as :attr:`RawTable.misaligned` of ``read_table``.

    pandas' reader fills a short record with empty cells, so the count is checked apart. Fast
    path: while hashing, the background fingerprint counts separator and quote bytes; a file
    without any quote whose separators number exactly (columns − 1) × (records + 1) has no
    misaligned record. Otherwise the records are scanned once with the :mod:`csv` module.
    """
    layout = getattr(raw, "layout", None)
    if layout is None or raw.store is None:
        return list(raw.misaligned)
    fp = raw._hashing
    counts = fp.counts() if fp is not None else None
    if counts is not None:
        seps, quotes = counts[:2]
        if quotes == 0 and seps == (len(layout.names) - 1) * (len(raw.store) + 1):
            return []
    _, lines, widths = scan_records(layout, keep=False)
    raw._lines = lines
    return misaligned_records(layout, widths, lines, None)


class Fingerprint:
    """A file's sha256 computed in a background thread (hashlib releases the GIL).

    :func:`read_columns` starts it once pandas' parallel reader is done with both cores, so the
    hash runs beside the single-threaded coding of the columns.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread: threading.Thread | None = None
        self._result: str | BaseException = ""
        self.count: bytes = b""  # bytes counted before hashing (set before start)
        self.ends_with_newline = True  # the file's last byte is b"\n" (known once counted)
        self._counts: list[int] | None = None
        self._counted = threading.Event()

    def start(self) -> None:
        """Start hashing (once; later calls do nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            if self.count:  # a quick first pass, so that counts() need not wait for the hash
                counts, last = [0] * len(self.count), b""
                with open(self.path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        data = np.frombuffer(block, dtype=np.uint8)
                        for k, byte in enumerate(self.count):  # numpy releases the GIL here
                            counts[k] += int(np.count_nonzero(data == byte))
                        last = block[-1:]
                self.ends_with_newline = last in (b"\n", b"")
                self._counts = counts
                self._counted.set()
            self._result = sha256_file(self.path)
        except BaseException as exc:  # handed to the caller of join()
            self._result = exc
        finally:
            self._counted.set()

    def counts(self) -> list[int] | None:
        """How many of each byte of ``count`` the file holds (waits for the count only)."""
        self.start()
        self._counted.wait()
        if isinstance(self._result, BaseException):
            raise self._result
        return self._counts

    def join(self) -> str:
        """The hex digest (computed now if it was never started); re-raises a read error."""
        self.start()
        assert self._thread is not None
        self._thread.join()
        if isinstance(self._result, BaseException):
            raise self._result
        return self._result


class _NotUtf8(Exception):
    pass


class _Unclosed(Exception):
    """pandas met the end of the file inside a quoted cell."""


def _read_whole(
    path: Path, names: list[str], numbers: dict[str, str], options: dict, after_read: Callable
) -> ColumnStore | None:
    """One ``read_csv`` with code columns as ``int8``; ``None`` when a code column will not fit.

    (``chunksize`` or ``nrows`` put pandas on a reader about twice as slow, measured here.)
    """
    codes = [n for n, kind in numbers.items() if kind == "code"]
    labels = [n for n, kind in numbers.items() if kind == "category"]
    dtype = options["dtype"] | dict.fromkeys(codes, "int8") | dict.fromkeys(labels, "category")
    try:
        frame = pd.read_csv(path, names=names, index_col=False, **(options | {"dtype": dtype}))
    except pd.errors.ParserError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            raise
        return None  # a blank, a label or a big number in a code column: read in chunks
    after_read()
    # pandas turns categories that all look like numbers into numbers (« 01 » → 1): read those
    # columns again as plain text, exactly
    if lossy := [n for n in labels if frame[n].cat.categories.dtype.kind in "biufcmM"]:
        exact = pd.read_csv(path, names=names, index_col=False, **(options | {"usecols": lossy}))
        for name in lossy:
            frame[name] = exact[name]
    store = ColumnStore(names, len(frame))
    columns = [(name, frame[name]) for name in names]  # views: no copy, no reshaping
    del frame

    def code(items: list[tuple[str, pd.Series]]) -> None:
        while items:
            name, series = items.pop()  # each column freed once coded
            builder = _ColumnBuilder()
            builder.add(series)
            builder.finish(store, name)

    # numpy's counting and lookups release the GIL: a second thread codes every other column
    with ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(code, columns[1::2])
        code(columns[0::2])
        other.result()  # (re-raises what went wrong there)
    del columns
    release_memory()
    return store


def _read_chunks(
    path: Path, names: list[str], options: dict, start_hashing: Callable[[], None]
) -> ColumnStore:
    """Read in chunks of :data:`CHUNK_ROWS` records, each column coded as it comes."""
    start_hashing()  # this reader uses one core: the hash takes the other from the start
    builders = {name: _ColumnBuilder() for name in names}
    n = 0
    reader = pd.read_csv(
        path, names=names, index_col=False, chunksize=CHUNK_ROWS, low_memory=False, **options
    )
    with reader:
        for chunk in reader:
            n += len(chunk)
            for name in names:
                builders[name].add(chunk[name])
    store = ColumnStore(names, n)
    for name in names:
        builders.pop(name).finish(store, name)
    release_memory()
    return store


def _read_csv_columns(
    path: Path,
    encoding: str,
    infer: Callable[[list[str]], dict[str, str]] | None,
    fingerprint: Fingerprint,
) -> RawTable:
    try:
        layout = csv_layout(path, encoding)
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    if encoding in ("utf-8-sig", "utf-8", "cp1252") and len(layout.sep) == 1:
        fingerprint.count = (layout.sep + '"\n').encode("ascii")  # one byte each here
    start_hashing = fingerprint.start
    names = layout.names
    numbers = infer(names) if infer else {}
    # object (not str) columns and no codec wrapper keep pandas' reader on its fast C path;
    # the BOM sits on the header line, which is skipped
    options = layout.options(
        dtype={n: object for n in names if numbers.get(n) not in ("code", "id")}
    )
    options.update(na_filter=True, na_values=[""])
    if encoding in ("utf-8-sig", "utf-8"):
        options["encoding"] = None
    with csv_errors(layout):
        try:
            store = _read_whole(path, names, numbers, options, start_hashing)
            if store is None:
                store = _read_chunks(path, names, options, start_hashing)
        except UnicodeDecodeError:
            if encoding != "utf-8-sig":
                raise  # csv_errors says so in French
            raise _NotUtf8 from None
        except pd.errors.ParserError as exc:
            if "EOF inside string" in str(exc):
                raise _Unclosed from None
            raise
    frame = pd.DataFrame(columns=names)
    raw = RawTable(path, frame, layout.encoding, layout.sep, "", None, layout.findings, store=store)
    raw.layout = layout
    return raw
