"""Privacy: the only road from survey data to anything published.

* ``scrub_text`` / ``scrub_series`` mask URLs, e-mails (also written ``prenom (at) domaine.fr``,
  ``[at]``/``[dot]``, « arobase »), phone numbers (``phonenumbers``, French and international
  forms, ``06/11/22/33/44``), street addresses (« 12 bis rue des Lilas », « BP 45 ») and the
  names of people: registrants (``NameIndex``), anyone found by spaCy's French NER or
  announced by a civility or a role (``names``); they strip control characters, normalise to
  NFC and truncate.
* ``escape_html`` / ``safe_markdown`` / ``quote_block`` neutralise HTML and Markdown.
* ``suppress_counts`` / ``suppress_groups`` apply small-cell suppression (primary, then
  secondary) so nobody can be singled out, and ``public_view`` drops identifying columns.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where tables are handled, not for text scrubbing
    import numpy as np
    import pandas as pd

from . import names
from .errors import RencontresError
from .formats import fmt_int, plural
from .vocabulary import EMAIL_DISGUISED_RE, PHONE_RE, fold_offsets

EMAIL_MARKER = "[courriel masqué]"
PHONE_MARKER = "[téléphone masqué]"
LINK_MARKER = "[lien masqué]"
NAME_MARKER = "[nom masqué]"
ADDRESS_MARKER = "[adresse masquée]"
MARKERS = (EMAIL_MARKER, PHONE_MARKER, LINK_MARKER, NAME_MARKER, ADDRESS_MARKER)
TRUNCATION_MARKER = " […]"
DEFAULT_MAX_CHARS = 2000
SUPPRESSED_MARKER = "masqué"  # one marker for primary and secondary cells (see Suppressed)
_MARGIN = 1024  # extra characters scrubbed beyond max_chars so no identifier is cut in half
_MAX_WINDOW = 2**20

# what may still identify someone after scrubbing: an at sign (also full-width), « arobase »,
# or 8 digits or more in a row (IBAN, social-security or SIRET numbers, odd phone formats)
_RESIDUAL_ID_RE = re.compile(r"[@\uff20]|\barobase\b|(?:\d[ \t.]?){8,}", re.IGNORECASE)


def may_identify(text: str) -> bool:
    """True when a scrubbed text still looks like it holds a contact or an identifier the
    rules missed (see ``_RESIDUAL_ID_RE``): such a text is never quoted in a report."""
    return bool(_RESIDUAL_ID_RE.search(str(text)))


URL_RE = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.|\b[a-z][a-z0-9+.\-]*://[^\s/@]+@)"
    r"[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}»]",
    re.IGNORECASE,
)
_STREET = (
    r"(?:rue|avenue|av\.|bd|boulevard|bld|place|pl\.|impasse|imp\.|allée|allee|chemin|ch\.|"
    r"route|rte|quai|cours|square|passage|voie|sentier|rond-point|faubourg|fbg|résidence|"
    r"lotissement|hameau|lieu-dit|cité|esplanade|promenade|parvis|mail|villa|ruelle|montée|"
    r"traverse|venelle|cour|clos|sente)"
)
_STREET_NAME = (
    r"(?:[ \u00a0]+(?:(?:de|des|du|la|le|les|aux|l'|d'|l’|d’|saint|sainte)[ \u00a0]*)*"
    r"(?:[A-ZÀ-Ý]\.|[A-ZÀ-Ý0-9][\w'’\-]*)){1,5}"
)
ADDRESS_RE = re.compile(
    rf"(?<![\w,.])\d{{1,4}}(?:[ \u00a0]?(?i:bis|ter|quater|[a-d])\b)?,?[ \u00a0]+(?i:{_STREET})\b"
    rf"{_STREET_NAME}(?:,?[ \u00a0]+\d{{5}}(?:[ \u00a0]+[A-ZÀ-Ý][\w'’\-]+)?)?"
    r"|(?<!\w)(?i:BP|B\.P\.|CS|TSA|bo[iî]te postale)[ \u00a0]?\d{1,6}\b"
)
_CONTROL_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff"
    "\u202a-\u202e\u2066-\u2069\ufff9-\ufffb\ud800-\udfff]"
)
_DIGIT_RE = re.compile(r"\d")
_NEWLINES_RE = re.compile("\r\n?|[\u2028\u2029]")
_CIVILITY = r"(?:(?:m|mr|mme|mmes|mlle|dr|pr|me)\.\s*|(?:m|mr|mme|mlle|monsieur|madame|mademoiselle|docteur|dr|professeur|pr)\s+)"  # fmt: skip
_PART_SEP = r"(?:\s*,\s*|\s+)"  # between first and last name
_TOKEN_SEP = r"[\s\-]+"  # inside a compound name ("Jean-Pierre" / "Jean Pierre")


def _name_tokens(name: object) -> list[str]:
    if name is None or (isinstance(name, float) and name != name):
        return []
    text, _ = fold_offsets(unicodedata.normalize("NFC", str(name)).strip())
    return [t for t in re.split(r"[\s\-,]+", text) if t.strip(".'")]


def _trie_regex(keys: Iterable[str]) -> str:
    """One regex matching exactly ``keys`` (``" "`` = token separator, ``"\\0"`` = part separator)."""
    trie: dict = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = []
        for ch in sorted(k for k in node if k):
            piece = {" ": _TOKEN_SEP, "\0": _PART_SEP}.get(ch) or re.escape(ch)
            alts.append(piece + emit(node[ch]))
        if not alts:
            return ""
        if len(alts) == 1 and "" not in node:
            return alts[0]
        group = "(?:" + "|".join(alts) + ")"
        return group + "?" if "" in node else group

    return emit(trie)


@dataclass(frozen=True)
class NameIndex:
    """Registrants' names compiled once into one regex (run on accent-folded text).

    ``pattern`` masks « Prénom Nom », « Nom Prénom », « Nom, Prénom » and a last name of
    4 letters or more next to any known first name or after a civility (M., Mme,
    Madame…); a last name alone is never masked (too many are ordinary words).
    ``full_pattern`` only knows exact full names (used by the audit, compiled on first use).
    """

    pattern: re.Pattern[str] | None
    pairs: frozenset[str] = frozenset()
    people: int = 0

    def __bool__(self) -> bool:
        return self.pattern is not None

    @cached_property
    def full_pattern(self) -> re.Pattern[str] | None:
        """One regex of every « prénom nom » / « nom, prénom » pair (None without names)."""
        if not self.pairs:
            return None
        return re.compile(rf"(?<!\w)(?:{_trie_regex(self.pairs)})(?!\w)")

    @classmethod
    def from_people(cls, people: Iterable[tuple[object, object]]) -> NameIndex:
        """Index from ``(prénom, nom)`` pairs; blanks and missing values are skipped."""
        pairs, firsts, lasts = set(), set(), set()
        short_pairs = set()  # last name < 4 letters: not covered by the other rules
        count = 0
        for first_raw, last_raw in people:
            first, last = " ".join(_name_tokens(first_raw)), " ".join(_name_tokens(last_raw))
            if not last:
                continue
            count += 1
            long_last = sum(c.isalpha() for c in last) >= 4
            if long_last:
                lasts.add(last)
            if first:
                firsts.add(first)
                both = {f"{first}\0{last}", f"{last}\0{first}"}
                pairs |= both
                short_pairs |= set() if long_last else both
        alts = [_trie_regex(short_pairs)] if short_pairs else []
        if lasts:
            last_re, lead = _trie_regex(lasts), _CIVILITY
            if firsts:
                first_re = _trie_regex(firsts)
                lead = f"(?:{_CIVILITY}|{first_re}{_PART_SEP})"
                alts.append(f"{last_re}{_PART_SEP}{first_re}")
            alts.append(lead + last_re)
        pattern = re.compile(rf"(?<!\w)(?:{'|'.join(alts)})(?!\w)") if alts else None
        return cls(pattern, frozenset(pairs), count)

    @classmethod
    def from_names(cls, names: Iterable[str]) -> NameIndex:
        """Index from full names « Prénom Nom » (first word = first name, the rest = last name)."""
        split = (str(name).split() for name in names)
        return cls.from_people((t[0], " ".join(t[1:])) for t in split if len(t) >= 2)

    def spans(self, text: str, *, full_only: bool = False) -> Iterator[tuple[int, int]]:
        """``(start, end)`` of each name found in ``text`` (indices into ``text``)."""
        pattern = self.full_pattern if full_only else self.pattern
        if pattern is None:
            return
        folded, offsets = fold_offsets(text)
        for m in pattern.finditer(folded):
            yield (
                (m.start(), m.end()) if offsets is None else (offsets[m.start()], offsets[m.end()])
            )

    def sub(self, text: str, repl: str = NAME_MARKER) -> str:
        """``text`` with every name replaced by ``repl``."""
        out, last = [], 0
        for start, end in self.spans(text):
            out += [text[last:start], repl]
            last = end
        return "".join(out) + text[last:] if out else text


def build_name_index(private: pd.DataFrame) -> NameIndex:
    """Compile the names of a private registrations table (columns ``prenom`` and ``nom``)."""
    if "nom" not in private.columns:
        raise RencontresError(
            "le tableau des inscriptions n'a pas de colonne « nom ».",
            hint="Passez le tableau privé des inscrit·es (colonnes « nom » et « prenom »).",
        )
    firsts = private["prenom"] if "prenom" in private.columns else [None] * len(private)
    return NameIndex.from_people(zip(firsts, private["nom"], strict=True))


_index_from_names = lru_cache(maxsize=32)(NameIndex.from_names)


def _as_index(names: NameIndex | Iterable[str] | None) -> NameIndex | None:
    if names is None or isinstance(names, NameIndex):
        return names or None
    names = [names] if isinstance(names, str) else names
    return _index_from_names(tuple(str(n) for n in names)) or None


def _clean(text: str) -> str:
    text = _CONTROL_RE.sub("", _NEWLINES_RE.sub("\n", text))
    return unicodedata.normalize("NFC", text)


_EMAIL_GATE_RE = re.compile(r"@|[\[({<\s]at[\])}>\s]|arr?obase", re.IGNORECASE)
_PRIORITY = {LINK_MARKER: 0, EMAIL_MARKER: 1, PHONE_MARKER: 2, ADDRESS_MARKER: 3, NAME_MARKER: 4}


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """French forms (``PHONE_RE``, slashes too) and any number ``phonenumbers`` finds valid
    for France, or possible after an international prefix; never a digit run glued to a
    digit or a decimal (« 3.0612345678 »), a list of département codes, a year or an amount."""
    spans = [m.span() for m in PHONE_RE.finditer(text)]
    if sum(c.isdigit() for c in text) < 7:
        return spans
    import phonenumbers

    for lenient in (phonenumbers.Leniency.VALID, phonenumbers.Leniency.POSSIBLE):
        for m in phonenumbers.PhoneNumberMatcher(text, "FR", leniency=lenient):
            start, end = m.start, m.end
            if lenient is phonenumbers.Leniency.POSSIBLE and not re.match(
                r"\(?(?:\+|00)", m.raw_string
            ):
                continue
            before, after = text[max(0, start - 2) : start], text[end : end + 2]
            if before[-1:].isdigit() or re.fullmatch(r"\d[.,]", before):
                continue
            if after[:1].isdigit() or re.fullmatch(r"[.,]\d", after):
                continue
            spans.append((start, end))
    return spans


def identifier_spans(
    text: str, index: NameIndex | None = None, *, ner: bool = True
) -> list[tuple[int, int, str]]:
    """``(start, end, marker)`` of every identifier in (cleaned) ``text``, overlaps merged.

    Links, e-mails, phones, street addresses, registrants' names (``index``), names after a
    civility or a role, and (``ner=True``) people found by spaCy's French NER (``names``).
    Overlapping spans are merged under the marker of the highest priority (link, e-mail,
    phone, address, then name).
    """
    found: list[tuple[int, int, str]] = []
    if "://" in text or "www." in text.lower():
        found += [(*m.span(), LINK_MARKER) for m in URL_RE.finditer(text)]
    if _EMAIL_GATE_RE.search(text):
        found += [(*m.span(), EMAIL_MARKER) for m in EMAIL_DISGUISED_RE.finditer(text)]
    if _DIGIT_RE.search(text):
        found += [(*span, PHONE_MARKER) for span in _phone_spans(text)]
        found += [(*m.span(), ADDRESS_MARKER) for m in ADDRESS_RE.finditer(text)]
    if index:
        found += [(*span, NAME_MARKER) for span in index.spans(text)]
    found += [(*span, NAME_MARKER) for span in names.honorific_spans(text)]
    if ner and names.may_hold_name(text):
        found += [(*span, NAME_MARKER) for span in names.person_spans([text])[0]]
    found.sort(key=lambda f: (f[0], -f[1]))
    merged: list[list] = []
    for start, end, marker in found:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if _PRIORITY[marker] < _PRIORITY[last[2]]:
                last[2] = marker
        else:
            merged.append([start, end, marker])
    return [tuple(m) for m in merged]


def _scrub(text: str, index: NameIndex | None, ner: bool = True) -> str:
    text = _clean(text)
    out, last = [], 0
    for start, end, marker in identifier_spans(text, index, ner=ner):
        out += [text[last:start], marker]
        last = end
    return "".join(out) + text[last:] if out else text


def _truncate(text: str, max_chars: int) -> str:
    """``text`` cut to end with « […] », at most ``max_chars`` characters in all."""
    limit = max_chars - len(TRUNCATION_MARKER)
    if len(text) <= limit:
        return text.rstrip() + TRUNCATION_MARKER
    cut = text[:limit]
    bracket = cut.rfind("[")
    if bracket >= 0 and any(m.startswith(cut[bracket:]) for m in MARKERS):
        cut = cut[:bracket]  # never leave half a marker
    space = cut.rfind(" ", max(0, len(cut) - 40))
    if space > 0:
        cut = cut[:space]
    return cut.rstrip() + TRUNCATION_MARKER


def scrub_text(
    text: str,
    names: NameIndex | Iterable[str] | None = (),
    *,
    max_chars: int | None = DEFAULT_MAX_CHARS,
    ner: bool = True,
) -> str:
    """Text safe to publish: identifiers masked, controls stripped, NFC, at most ``max_chars``.

    ``names`` is a ``NameIndex`` or full names « Prénom Nom » (registrants, always masked);
    other people's names are found by spaCy's French NER (``ner=False`` to skip it, e.g.
    for an excerpt of an audit message) and by civility/role rules (see ``identifier_spans``).
    spaCy is loaded only when a text holds a capitalised word that can be a name and is not
    in the NER cache. Long texts are cut *before* scrubbing (with a margin, so an identifier
    is never cut in half) and the result, marker « […] » included, is at most ``max_chars``
    characters long.
    """
    if text is None:
        return ""
    text = text if isinstance(text, str) else str(text)
    index = _as_index(names)
    if max_chars is None or len(text) <= max_chars:
        out = _scrub(text, index, ner)
        return out if max_chars is None or len(out) <= max_chars else _truncate(out, max_chars)
    if max_chars < 20:
        raise ValueError("max_chars doit valoir au moins 20")
    window = max_chars + _MARGIN
    while True:
        out = _scrub(text[:window], index, ner)
        if len(text) <= window:
            return out if len(out) <= max_chars else _truncate(out, max_chars)
        if len(out) >= max_chars + _MARGIN:
            return _truncate(out, max_chars)
        if window >= _MAX_WINDOW:  # almost only masked links: drop what may end cut in half
            return _truncate(out[: max(0, len(out) - 3 * _MARGIN)], max_chars)
        window *= 4  # masking shrank the text: scrub a bigger window


def scrub_series(
    s: pd.Series,
    names: NameIndex | Iterable[str] | None = None,
    *,
    max_chars: int | None = DEFAULT_MAX_CHARS,
    ner: bool = True,
) -> pd.Series:
    """``scrub_text`` on every non-missing value (missing values stay missing).

    The NER runs once, in batches, on the distinct texts (see ``names.person_spans``).
    """
    index = _as_index(names)
    if ner:
        prefetch_names(s.dropna().map(str).unique(), max_chars=max_chars)
    return s.map(
        lambda v: scrub_text(str(v), index, max_chars=max_chars, ner=ner), na_action="ignore"
    )


def prefetch_names(texts: Iterable[str], *, max_chars: int | None = DEFAULT_MAX_CHARS) -> None:
    """Run the NER in batches on the texts ``scrub_text`` will look at (fills the caches)."""
    window = None if max_chars is None else max_chars + _MARGIN
    todo = []
    for text in texts:
        cleaned = _clean(text if window is None or len(text) <= max_chars else text[:window])
        if names.may_hold_name(cleaned):
            todo.append(cleaned)
    if todo:
        names.person_spans(todo)


def escape_html(text: object) -> str:
    """Text safe inside HTML content or a quoted attribute (``& < > " '`` escaped)."""
    return "" if text is None else html.escape(_CONTROL_RE.sub("", str(text)), quote=True)


_MD_TABLE = str.maketrans(
    {c: "\\" + c for c in "\\`*_{}[]()#+-.!|~:$=^@"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
)


def safe_markdown(text: object) -> str:
    """Text rendered literally by (Jupyter) Markdown: no HTML, link, image, list, math or code.

    ``< > &`` become entities, Markdown punctuation is backslash-escaped (``:`` and ``@`` too,
    which defeats autolinks, ``$`` defeats MathJax) and lines are stripped (no code blocks).
    """
    text = _CONTROL_RE.sub("", _NEWLINES_RE.sub("\n", "" if text is None else str(text)))
    return "\n".join(line.strip().translate(_MD_TABLE) for line in text.split("\n"))


def quote_block(
    text: str,
    profil_label: str,
    territoire: str,
    *,
    names: NameIndex | Iterable[str] | None = (),
    max_chars: int | None = DEFAULT_MAX_CHARS,
) -> str:
    """Scrubbed, escaped quote attributed to profile and territory only: ``<figure><blockquote>``
    then ``<figcaption>`` (attribution outside the blockquote, as the HTML standard wants)."""
    body = escape_html(scrub_text(text, names, max_chars=max_chars)).replace("\n", "<br>\n")
    who = ", ".join(escape_html(p).strip() for p in (profil_label, territoire) if p)
    return (
        f'<figure class="verbatim"><blockquote><p>«\u00a0{body}\u00a0»</p></blockquote>'
        f"<figcaption>— {who or 'Participant·e'}</figcaption></figure>"
    )


def small_group_label(threshold: int = 5) -> str:
    """« effectif trop faible (n < 5) »."""
    return f"effectif trop faible (n < {threshold})"


@dataclass
class Suppressed:
    """A count table after suppression.

    ``values`` (Int64, NA where masked), ``mask`` (True where masked), ``primary`` (True
    where the count itself was 0 < n < threshold). Totals are None when computed with
    ``totals=False``. ``display()`` shows every masked cell as « masqué » — primary and
    secondary alike, so a reader cannot tell which masked cell is the small one.
    """

    values: pd.DataFrame
    mask: pd.DataFrame
    primary: pd.DataFrame
    row_totals: pd.Series | None
    col_totals: pd.Series | None
    grand_total: object
    threshold: int

    @property
    def n_suppressed(self) -> int:
        """Number of masked cells (primary and secondary), margins included."""
        return int(self.mask.to_numpy().sum())

    def legend(self) -> str:
        """French sentence explaining the « masqué » cells (same wording as PublicTable's)."""
        return (
            f"« {SUPPRESSED_MARKER} » : {small_group_label(self.threshold)}, ou valeur masquée "
            "pour qu'elle ne puisse pas être retrouvée par soustraction."
        )

    def display(self, *, totals: bool = True, marker: str = SUPPRESSED_MARKER) -> pd.DataFrame:
        """Strings for publication (French thousands separator), with ``marker`` when masked."""
        import pandas as pd

        def show(v: object) -> str:
            return marker if pd.isna(v) else fmt_int(v)

        out = self.values.astype(object).map(show)
        out.index, out.columns = out.index.astype(object), out.columns.astype(object)
        if totals and self.row_totals is not None and self.col_totals is not None:
            out["Total"] = self.row_totals.map(show, na_action=None)
            out.loc["Total"] = [*self.col_totals.map(show), show(self.grand_total)]
        return out


def suppress_counts(
    table: pd.DataFrame, threshold: int = 5, *, totals: bool = True, lines: str = "both"
) -> Suppressed:
    """Primary then secondary small-cell suppression of a 2-D count table (no margins in it).

    ``table``: counts of distinct people (non-negative integers), rows × columns of groups.
    Primary: cells (and, with ``totals``, margins) with 0 < n < ``threshold``. Secondary
    (with ``totals``): in the table bordered by its margins, any line holding exactly one
    masked value gets its smallest non-zero unmasked value masked too (inner cells before
    margins, then first position on ties), until stable. ``lines`` says which lines add up
    to a published total: ``"both"`` (rows and columns), ``"columns"`` (each column is a
    partition of a published total, e.g. profiles within a stage; rows are not additive).
    Missing cells count 0. Use ``totals=False`` only when no margin is published nor derivable.
    Source: the « règle du secret statistique » (threshold k on counts of people, then
    secondary suppression against differencing), Hundepool et al. (2012), *Statistical
    Disclosure Control*, Wiley, ch. 5 (primary and secondary cell suppression).
    Raises :class:`RencontresError` for a threshold < 1, a table that already holds a
    « Total » margin, or counts that are not non-negative integers.
    """
    import numpy as np
    import pandas as pd

    if threshold < 1:
        raise RencontresError(f"seuil de confidentialité invalide : {threshold} (attendu ≥ 1).")
    if "Total" in table.index or "Total" in table.columns:
        raise RencontresError(
            "le tableau contient déjà une marge « Total ».", hint="Passez-le sans ses totaux."
        )
    numeric = table.apply(pd.to_numeric, errors="coerce")
    raw = numeric.fillna(0).to_numpy(dtype=float)
    if (numeric.isna() & table.notna()).to_numpy().any() or (raw < 0).any() or (raw % 1).any():
        raise RencontresError("le tableau d'effectifs doit contenir des entiers positifs ou nuls.")
    n_rows, n_cols = raw.shape
    aug = raw.astype(np.int64)
    if totals:  # the table bordered by its margins
        aug = np.block([[aug, aug.sum(1, keepdims=True)], [aug.sum(0), aug.sum()]])
    masked = (aug > 0) & (aug < threshold)
    primary = masked.copy()
    if totals:
        if lines == "columns":  # row sums are neither published nor derivable
            masked[:, n_cols] = primary[:, n_cols] = False
        groups = [[(i, j) for i in range(n_rows + 1)] for j in range(n_cols + (lines == "both"))]
        if lines == "both":  # rows first, then columns
            groups = [[(i, j) for j in range(n_cols + 1)] for i in range(n_rows + 1)] + groups
        changed = True
        while changed:
            changed = False
            for line in groups:
                if sum(masked[p] for p in line) != 1:
                    continue
                candidates = [
                    (p[0] == n_rows or p[1] == n_cols, aug[p], p)
                    for p in line
                    if not masked[p] and aug[p] > 0
                ]
                if candidates:
                    masked[min(candidates)[2]] = True
                    changed = True

    def frame(a: np.ndarray) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(a[:n_rows, :n_cols], index=table.index, columns=table.columns)

    values = frame(aug).astype("Int64").mask(frame(masked))
    row_t = col_t = grand = None
    if totals:
        cut = (slice(None, n_rows), n_cols), (n_rows, slice(None, n_cols))
        row_t, col_t = (
            pd.Series(aug[c], index=idx, dtype="Int64").mask(masked[c])
            for c, idx in zip(cut, (table.index, table.columns), strict=True)
        )
        grand = pd.NA if masked[n_rows, n_cols] else int(aug[n_rows, n_cols])
    return Suppressed(values, frame(masked), frame(primary), row_t, col_t, grand, threshold)


def suppress_groups(
    df: pd.DataFrame, group_cols: str | Iterable[str], threshold: int = 5
) -> tuple[pd.DataFrame, int]:
    """Drop the rows of every group (e.g. profil × territoire) with fewer than ``threshold`` rows.

    Returns the kept rows (original index) and the number of groups dropped.
    """
    cols = [group_cols] if isinstance(group_cols, str) else list(group_cols)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise RencontresError(
            f"{plural(len(missing), 'colonne de regroupement absente', 'colonnes de regroupement absentes')} : "
            f"{', '.join(missing)}."
        )
    if df.empty:
        return df.copy(), 0
    group = df.groupby(cols, dropna=False, observed=True, sort=False).ngroup()
    sizes = group.map(group.value_counts())
    keep = sizes >= threshold
    return df.loc[keep].copy(), int(group[~keep].nunique())


_IDENT_TOKENS = {
    "nom", "noms", "prenom", "prenoms", "email", "emails", "courriel", "courriels", "mail",
    "mails", "mel", "telephone", "telephones", "tel", "phone", "portable", "mobile", "gsm",
    "adresse", "adresses", "address", "name", "names", "author", "auteur", "autrice", "user",
    "username", "utilisateur", "login", "firstname", "lastname", "fullname", "surname", "ip",
}  # fmt: skip
_IDENT_SUBSTRINGS = "email courriel telephone prenom firstname lastname username".split()


def is_identifying(column: object) -> bool:
    """True when a column name suggests identifying data (nom, e-mail, téléphone, adresse…)."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(column))
    text = fold_offsets(unicodedata.normalize("NFC", text))[0].lower()
    tokens = set(re.split(r"[^a-z0-9]+", text))
    return bool(tokens & _IDENT_TOKENS) or any(s in text for s in _IDENT_SUBSTRINGS)


def identifying_columns(df: pd.DataFrame) -> list[str]:
    """Names of the columns of ``df`` that ``public_view`` would drop."""
    return [c for c in df.columns if is_identifying(c)]


def public_view(df: pd.DataFrame, keep: Iterable[str] | None = None) -> pd.DataFrame:
    """Copy of ``df`` without identifying columns, or exactly ``keep`` (which must be safe)."""
    if keep is None:
        return df.drop(columns=identifying_columns(df))
    keep = list(keep)
    for col in keep:
        if col not in df.columns:
            raise RencontresError(f"colonne « {col} » absente du tableau.", column=str(col))
        if is_identifying(col):
            raise RencontresError(
                f"la colonne « {col} » contient des données identifiantes et ne peut pas être publiée.",
                column=str(col),
                hint="Retirez-la de la liste des colonnes à publier.",
            )
    return df[keep].copy()
