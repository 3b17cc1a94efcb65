"""``rencontres audit [reports/]``: look for personal data and unsafe HTML in published files.

Every file under the given folders is read, whatever its name:

* HTML/SVG/Markdown with :mod:`html.parser` (not regexes): attribute values and text come
  back with entities decoded; text split by inline tags (``jean<b></b>@exemple.fr``) is
  joined before scanning, block elements are separated by a line break;
* JSON/ipynb, ``<script type="application/json">`` blocks and script bodies: JSON/JS string
  escapes (``\\u0040``, ``\\x40``, ``\\/``) are undone first (lines kept);
* XLSX/ODS/DOCX/ODT/PPTX (every XML member of the zip, runs joined, paragraphs and cells
  on their own line), PDF (text of each page, with ``pypdf``), legacy XLS and other binary
  files (their printable strings, Latin-1 and UTF-16), files without extension (sniffed).

Errors (exit code 1): e-mails (also ``prenom (at) domaine.fr``), phone numbers (French forms;
``+`` or ``00`` international forms through ``phonenumbers``), registrants' full names
(accent/case-insensitive), external resources, scripts the report template did not produce
(allowed: ``<script src="assets/…">`` and ``<script type="application/json">`` blocks, and
inline copies of the project's own scripts, checked by SHA-256), inline event handlers,
``javascript:``/``vbscript:``/``data:text/html`` URLs (also entity-encoded or split by
whitespace), backslash URLs, iframes/objects/embeds, ``<base>``, meta refresh, and counts of
people between 1 and k−1 in published tables (a column named ``n``, ``effectif``,
``inscrits``, ``personnes``, ``repondants``… in a CSV/XLSX; k is the territory's
``seuil_confidentialite``, found from the file name ``<slug>_….csv``).

Warnings (reported, exit code unchanged): names of people found by spaCy's French NER in
the visible text of pages (see :mod:`rencontres_lib.names`) that are not in the public
allow-list (territories, partners, places, speakers from the parameters), and street
addresses.

False-positive policy: a list of département codes (« 44, 35, 29 »), years or amounts is not
a phone; digit runs glued to a letter, a dot or a decimal are ignored; ``.png``/``.js``… are
not TLDs; only e-mails, names and separated or prefixed phones are looked for in code.
Excerpts are partly masked (``c*****@e*****.org``) so the audit never republishes data.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import gzip
import hashlib
import html
import importlib.util
import io
import re
import struct
import sys
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from . import names
from .config import load_parameters
from .errors import SourceError
from .privacy import ADDRESS_RE, NameIndex
from .vocabulary import EMAIL_DISGUISED_RE, EMAIL_RE, fold_offsets

ERROR = "erreur"
WARNING = "avertissement"

KIND_EMAIL = "courriel"
KIND_PHONE = "téléphone"
KIND_NAME = "nom d'inscrit"
KIND_EXTERNAL = "ressource externe"
KIND_HANDLER = "gestionnaire d'événement inline"
KIND_SCRIPT = "script non prévu par le gabarit"
KIND_URL = "URL dangereuse"
KIND_FRAME = "cadre ou objet intégré"
KIND_REFRESH = "redirection automatique"
KIND_SMALL = "effectif sous le seuil"
KIND_UNREADABLE = "fichier illisible"
KIND_PERSON = "nom de personne (à vérifier)"
KIND_ADDRESS = "adresse postale (à vérifier)"

MODES = {
    **dict.fromkeys((".html", ".htm", ".xhtml", ".svg", ".md", ".markdown"), "html"),
    **dict.fromkeys((".json", ".ipynb", ".geojson", ".map"), "json"),
    **dict.fromkeys((".txt", ".xml"), "text"),
    **dict.fromkeys((".csv", ".tsv"), "table"),
    **dict.fromkeys((".xlsx", ".xlsm", ".ods", ".docx", ".odt", ".pptx", ".odp"), "zip"),
    ".pdf": "pdf",
    ".css": "css",
    ".js": "js",
    ".mjs": "js",
}
BINARY_SUFFIXES = {".xls", ".doc", ".ppt", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico",
                   ".woff", ".woff2", ".ttf", ".otf", ".eot", ".zip", ".gz"}  # fmt: skip
MAX_MEMBER_BYTES = 64 * 2**20
MAX_FILE_BYTES = 256 * 2**20
LIBRARY_MIN_CHARS = 100_000
DEFAULT_THRESHOLD = 5
_LIBRARY_RE = re.compile(r"plotly\.js v?\d|require\.?js|MathJax|jQuery v\d", re.IGNORECASE)
_FILE_TLDS = {"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "js", "css", "json", "html", "map"}

_INTL = r"(?:\+|00)33[ .\-]?(?:\(0\)\s?)?[1-9](?:[ ./\-\u00a0\u202f]?\d{2}){4}"
PHONE_TEXT_RE = re.compile(
    rf"(?<![\w+/\-])(?<!\d[.,])(?:{_INTL}|0[1-9](?:[ ./\-\u00a0\u202f]?\d{{2}}){{4}})(?!\w)(?![.,]\d)"
)
PHONE_CODE_RE = re.compile(
    rf"(?<![\w+/\-.,])(?:{_INTL}|0[1-9](?P<s>[ .\-\u00a0\u202f])\d{{2}}(?:(?P=s)\d{{2}}){{3}})"
    r"(?!\w)(?![.,]\d)"
)
_INTL_CANDIDATE_RE = re.compile(r"(?<![\w+])(?:\+|00)\s?[1-9]\d?")
_CSS_URL_RE = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*["']?([^"')\s;]+)""", re.IGNORECASE)
_CSS_DANGER_RE = re.compile(r"expression\s*\(|javascript:|behavior\s*:|-moz-binding", re.I)
_MD_IMAGE_RE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)\s>]+)")
_ESCAPE_RE = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}"
    r"|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([^\n]))"
)
_XML_BREAK_RE = re.compile(
    r"</(?:w:p|a:p|text:p|text:h|si|c|row|table:table-cell|table:table-row|w:tc|a:tc)>|<w:br\b[^>]*>",
    re.IGNORECASE,
)
_XML_TAG_RE = re.compile(r"<[^>]*>")
_PRINTABLE_RE = re.compile(r"[\x20-\x7e\u00a0-\u00ff]{6,}")
_MEDIA_TAGS = {"img", "image", "source", "video", "audio", "track", "input"}
_FRAME_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "portal"}
_FETCH_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "manifest", "import"}
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
              "ping", "cite", "longdesc", "codebase", "manifest", "lowsrc", "dynsrc"}  # fmt: skip
_LOCAL_SCHEMES = {"data", "file", "blob", "about", "javascript", "mailto", "tel"}
_DANGEROUS_URL_RE = re.compile(r"(?:javascript|vbscript|livescript):|data:\s*text/html", re.I)
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "head", "header", "hr", "html", "legend", "li", "main", "nav", "ol", "option", "p",
    "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
}  # fmt: skip
# columns whose name says « people »: always checked
_PEOPLE_COLUMNS = {
    "effectif", "effectifs", "inscrits", "inscrites", "inscrit", "inscrit·es", "inscrit.es",
    "personnes", "repondants", "repondantes", "repondant·es", "participants", "participantes",
    "participant·es", "presents", "presentes", "present·es", "absents", "people", "respondents",
}  # fmt: skip
# generic count columns (« n », « nombre »): checked when the table groups people by who they
# are (a column below), not for answers per theme or per scale level (issue 13, item 1)
_GENERIC_COUNT_COLUMNS = {"n", "nb", "nombre", "count", "total"}
_COUNT_PREFIXES = ("nombre de ", "nb de ", "nb ", "effectif ", "n ", "n_", "nombre_")
_IDENTITY_WORDS = (
    "profil", "territoire", "groupe", "departement", "organisation", "structure", "statut",
    "presence", "code postal", "code_postal", "commune", "ville", "genre", "sexe", "age",
    "categorie", "type",
)  # fmt: skip


@dataclass(frozen=True)
class AuditHit:
    """One problem: file (``classeur.xlsx › xl/sharedStrings.xml`` inside a zip), 1-based line,
    ``level`` « erreur » (blocks publication) or « avertissement » (to check by hand)."""

    file: str
    line: int
    kind: str
    excerpt: str
    level: str = ERROR

    def french(self) -> str:
        return f"{self.file}, ligne {self.line} — {self.kind} : {self.excerpt}"


@dataclass
class _Context:
    index: NameIndex | None
    hosts: tuple[str, ...]
    emails: frozenset[str]
    allow_names: frozenset[str] = frozenset()
    thresholds: dict[str, int] = field(default_factory=dict)
    default_threshold: int = DEFAULT_THRESHOLD
    ner: bool = False


# ---------------------------------------------------------------- masking of excerpts


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    labels = domain.split(".")
    return f"{local[:1]}*****@{labels[0][:1]}*****.{labels[-1]}"


def _mask_phone(phone: str) -> str:
    digits = [i for i, c in enumerate(phone) if c.isdigit()]
    hidden = set(digits[2:-2])
    return "".join("*" if i in hidden else c for i, c in enumerate(phone))


def _mask_name(name: str) -> str:
    return " ".join(w[:1] + "*****" for w in name.split())


def _show_url(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return url.strip()[:60]
    shown = f"{parts.scheme + ':' if parts.scheme else ''}//{host}{parts.path}"
    return shown if len(shown) <= 80 else shown[:79] + "…"


def _squash_url(url: str) -> str:
    """URL as a browser reads it: ASCII whitespace and controls removed, lower case."""
    return re.sub(r"[\x00-\x20\x7f]+", "", url).lower()


def _is_external(url: str, hosts: tuple[str, ...]) -> bool:
    url = _squash_url(url).strip("\"'").replace("\\", "/")
    scheme = re.match(r"([a-z][a-z0-9+.\-]*):", url)
    if not url.startswith("//") and (
        not scheme or len(scheme.group(1)) == 1 or scheme.group(1) in _LOCAL_SCHEMES
    ):
        return False
    try:
        host = urlsplit(url if scheme else "http:" + url).hostname or ""
    except ValueError:
        return True
    return not any(host == h or host.endswith("." + h) for h in hosts)


# ---------------------------------------------------------------- decoding


def unescape_js(text: str) -> str:
    """Undo JSON/JS string escapes (``\\u0040``, ``\\u{40}``, ``\\x40``, ``\\/``, ``\\n``…)
    without adding or removing any line break."""

    def repl(m: re.Match[str]) -> str:
        if m.group(1):
            return chr(
                0x10000 + ((int(m.group(1), 16) - 0xD800) << 10) + int(m.group(2), 16) - 0xDC00
            )
        code = m.group(3) or m.group(4) or m.group(5)
        if code:
            value = int(code, 16)
            if value < 0x20 or value > 0x10FFFF:
                return " "
            return "\ufffd" if 0xD800 <= value < 0xE000 else chr(value)
        return " " if m.group(6) in "nrtbfv0" else m.group(6)

    return _ESCAPE_RE.sub(repl, text)


_json_unescape = unescape_js  # former name


def _decode(data: bytes) -> str:
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _binary_strings(data: bytes) -> str:
    """Printable runs of a legacy Office file (ASCII/Latin-1 and UTF-16-LE), one per line."""
    runs = _PRINTABLE_RE.findall(data.decode("latin-1"))
    runs += _PRINTABLE_RE.findall(data.decode("utf-16-le", errors="ignore"))
    return "\n".join(runs)


def _png_texts(data: bytes) -> str:
    """Text chunks (tEXt, zTXt, iTXt) of a PNG: where metadata such as an author lives."""
    out, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        try:
            if kind == b"tEXt":
                out.append(body.replace(b"\0", b": ", 1).decode("latin-1"))
            elif kind == b"zTXt":
                key, _, rest = body.partition(b"\0")
                text = zlib.decompressobj().decompress(rest[1:], MAX_MEMBER_BYTES)
                out.append(key.decode("latin-1") + ": " + text.decode("latin-1"))
            elif kind == b"iTXt":
                key, _, rest = body.partition(b"\0")
                compressed, rest = rest[0], rest[2:]
                _, _, rest = rest.partition(b"\0")  # language
                _, _, text = rest.partition(b"\0")  # translated keyword
                if compressed:
                    text = zlib.decompressobj().decompress(text, MAX_MEMBER_BYTES)
                out.append(key.decode("latin-1") + ": " + text.decode("utf-8", "replace"))
        except (zlib.error, IndexError, UnicodeDecodeError):
            out.append(f"{kind.decode('latin-1', 'replace')}: (illisible)")
        if kind == b"IEND":
            break
    return "\n".join(out)


def _scan_binary(data: bytes, path: Path, label: str, ctx: _Context) -> list[AuditHit]:
    """Images and fonts: PNG text chunks in full, other formats' ASCII strings (8+ characters)
    for e-mails and registrants' names only (compressed pixels make false phones)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _scan_plain(_png_texts(data), label, ctx)
    if data[:4] == b"\xd0\xcf\x11\xe0" or path.suffix.lower() in (".xls", ".doc", ".ppt"):
        return _scan_plain(_binary_strings(data), label, ctx)
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                inner = gz.read(MAX_MEMBER_BYTES)
        except (OSError, EOFError):
            return [AuditHit(label, 1, KIND_UNREADABLE, "archive gzip illisible")]
        return _scan_text_mode(_decode(inner), "text", label + " › (gzip)", ctx)
    runs = [r.decode("ascii") for r in re.findall(rb"[\x20-\x7e]{8,}", data)]
    text = "\n".join(runs)
    newlines = [m.start() for m in re.finditer("\n", text)]
    found = [h for h in _data_hits(text, "binary", ctx) if h[1] != KIND_PHONE]
    return [AuditHit(label, _line_at(newlines, p), k, e, lv) for p, k, e, lv in found]


@lru_cache(maxsize=1)
def known_scripts() -> frozenset[str]:
    """SHA-256 of the scripts the template inlines (``--autonome``): the project's
    ``rencontres.js`` and plotly.js, raw and with ``</script`` escaped."""
    bodies = []
    own = Path(__file__).parent / "templates" / "rencontres" / "rencontres.js"
    if own.exists():
        bodies.append(own.read_text(encoding="utf-8"))
    try:
        spec = importlib.util.find_spec("plotly")
        if spec and spec.origin:
            lib = Path(spec.origin).parent / "package_data" / "plotly.min.js"
            if lib.exists():
                bodies.append(lib.read_text(encoding="utf-8"))
    except (ImportError, ValueError, OSError):
        pass
    out = set()
    for body in bodies:
        for variant in (body, body.replace("</script", "<\\/script")):
            for v in (variant, variant.strip()):
                out.add(hashlib.sha256(v.encode("utf-8")).hexdigest())
    return frozenset(out)


def _is_known_script(body: str) -> bool:
    digest = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()
    if digest in known_scripts():
        return True
    return hashlib.sha256(body.strip().encode("utf-8", "surrogatepass")).hexdigest() in (
        known_scripts()
    )


# ---------------------------------------------------------------- data found in text


def _intl_phone_spans(chunk: str) -> list[tuple[int, int, str]]:
    if not _INTL_CANDIDATE_RE.search(chunk):
        return []
    import phonenumbers

    out = []
    for m in phonenumbers.PhoneNumberMatcher(chunk, "FR", leniency=phonenumbers.Leniency.POSSIBLE):
        before = chunk[max(0, m.start - 2) : m.start]
        if before[-1:].isdigit() or re.fullmatch(r"\d[.,]", before):
            continue  # « 0,004920407139810443 » is a decimal, not « 00 49 … »
        if re.match(r"\(?(?:\+|00)", m.raw_string) and not chunk[m.end : m.end + 1].isdigit():
            out.append((m.start, m.end, m.raw_string))
    return out


def _data_hits(chunk: str, region: str, ctx: _Context) -> list[tuple[int, str, str, str]]:
    """``(offset, kind, excerpt, level)`` of e-mails, phones and names in ``chunk``."""
    hits = []
    email_re = EMAIL_DISGUISED_RE if region == "text" else EMAIL_RE
    for m in email_re.finditer(chunk):
        raw = re.sub(r"\s", "", m.group()).lower()
        if "@" not in raw:  # « prenom (at) domaine.fr »
            hits.append((m.start(), KIND_EMAIL, f"{raw[:1]}***** (forme déguisée)", ERROR))
            continue
        tld = raw.rsplit(".", 1)[-1]
        if tld in _FILE_TLDS or raw in ctx.emails or "@" + raw.partition("@")[2] in ctx.emails:
            continue
        hits.append((m.start(), KIND_EMAIL, _mask_email(raw), ERROR))
    phones = PHONE_TEXT_RE if region == "text" else PHONE_CODE_RE
    seen = set()
    for m in phones.finditer(chunk):
        seen.add(m.start())
        hits.append((m.start(), KIND_PHONE, _mask_phone(m.group()), ERROR))
    if region == "text":
        for start, end, raw in _intl_phone_spans(chunk):
            if not any(start <= s < end for s in seen):
                hits.append((start, KIND_PHONE, _mask_phone(raw), ERROR))
    if ctx.index:
        for start, end in ctx.index.spans(chunk, full_only=True):
            hits.append((start, KIND_NAME, _mask_name(chunk[start:end]), ERROR))
    return hits


def _warning_hits(
    text: str, ctx: _Context, dialect: type[csv.Dialect] | None = None
) -> list[tuple[int, str, str, str]]:
    """Addresses, and (``ctx.ner``) people's names outside the allow-list, as warnings.

    The NER reads each line, or each cell of each line of a table (``dialect``): a cell
    already read in another file (the same table in the workbook, the report's page) is not
    read again, and a name of two words never spans two cells."""
    hits = []
    for m in ADDRESS_RE.finditer(text):
        if not _allowed(m.group(), ctx):
            hits.append((m.start(), KIND_ADDRESS, _mask_name(m.group()), WARNING))
    if not ctx.ner:
        return hits
    blocks, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            cells = _cells(line, dialect) if dialect else [line]
            blocks += [(pos, cell[:4000]) for cell in cells if cell.strip()]
        pos += len(line) + 1
    found = names.person_spans([b for _, b in blocks])
    registrant = set()  # (block, start, end): the cells of a line share its position
    if ctx.index:
        registrant = {(i, s, e) for i, (_, b) in enumerate(blocks) for s, e in ctx.index.spans(b)}
    for i, ((offset, block), spans) in enumerate(zip(blocks, found, strict=True)):
        for start, end in spans:
            who = block[start:end]
            if len(who.split()) < 2 or _allowed(who, ctx) or (i, start, end) in registrant:
                continue  # one word alone (« Wilson », « Lignes ») is too often not a person
            hits.append((offset + start, KIND_PERSON, _mask_name(who), WARNING))
    return hits


def _cells(line: str, dialect: type[csv.Dialect]) -> list[str]:
    """The cells of one line of a table; the whole line when the reader refuses it (a lone
    carriage return in an unquoted cell, a cell beyond ``csv.field_size_limit()``)."""
    try:
        return next(csv.reader([line.rstrip("\r")], dialect), [])
    except csv.Error:
        return [line]


def _allowed(words: str, ctx: _Context) -> bool:
    """True when ``words`` is (part of) a public name of the allow-list."""
    key = " ".join(fold_offsets(words)[0].split())
    return bool(key) and any(
        re.search(rf"(?<!\w){re.escape(key)}(?!\w)", a) for a in ctx.allow_names
    )


# ---------------------------------------------------------------- HTML


class _PageParser(HTMLParser):
    """Collects visible text (with line numbers), script/style bodies and tag problems."""

    def __init__(self, ctx: _Context) -> None:
        super().__init__(convert_charrefs=True)
        self.ctx = ctx
        self.text: list[str] = []
        self.text_pos: list[tuple[int, int]] = []  # (offset in joined text, line)
        self.size = 0
        self.hits: list[tuple[int, str, str, str]] = []  # line-based (offset = line)
        self.bodies: list[tuple[int, str, str, dict]] = []  # (line, tag, body, attrs)
        self._open: tuple[int, str, dict] | None = None
        self._buf: list[str] = []

    def _hit(self, kind: str, excerpt: str, level: str = ERROR) -> None:
        self.hits.append((self.getpos()[0], kind, excerpt, level))

    def _add_text(self, data: str, line: int) -> None:
        if data:
            self.text_pos.append((self.size, line))
            self.text.append(data)
            self.size += len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: (v or "") for k, v in attrs}
        self._check_tag(tag, attrs, named)
        if tag in ("script", "style"):
            self._open, self._buf = (self.getpos()[0], tag, named), []
        if tag in _BLOCK_TAGS:
            self._add_text("\n", self.getpos()[0])
        for a in ("alt", "title", "aria-label", "placeholder", "content", "value", "label"):
            if named.get(a) and not (tag == "meta" and a == "content" and "http-equiv" in named):
                self._add_text("\n" + named[a] + "\n", self.getpos()[0])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[1]:
            line, name, named = self._open
            self.bodies.append((line, name, "".join(self._buf), named))
            self._open, self._buf = None, []
        elif tag in _BLOCK_TAGS:
            self._add_text("\n", self.getpos()[0])

    def handle_data(self, data: str) -> None:
        if self._open:
            self._buf.append(data)
        else:
            self._add_text(data, self.getpos()[0])

    def handle_comment(self, data: str) -> None:
        self._add_text("\n" + data + "\n", self.getpos()[0])

    def close(self) -> None:
        super().close()
        if self._open:  # unterminated <script>: the rest of the file is its body
            line, name, named = self._open
            self.bodies.append((line, name, "".join(self._buf), named))
            self._open = None

    def _check_tag(self, tag: str, attrs: list, named: dict) -> None:
        ctx = self.ctx
        for attr, value in attrs:
            value = value or ""
            if attr.startswith("on") and re.fullmatch(r"on[a-z\-_]+", attr):
                shown = re.sub(r"\s+", " ", value)[:40]
                self._hit(KIND_HANDLER, f"<{tag} {attr}=« {_mask_data(shown)} »>")
            elif attr in _URL_ATTRS or attr in ("srcset", "srcdoc", "style"):
                squashed = _squash_url(value)
                if attr == "srcdoc":
                    self._hit(KIND_FRAME, f"<{tag} srcdoc=…>")
                elif attr != "style" and _DANGEROUS_URL_RE.match(squashed):
                    self._hit(KIND_URL, f"<{tag} {attr}=« {squashed.split(':')[0]}:… »>")
                elif attr not in ("style", "srcset") and "\\" in value:
                    self._hit(KIND_URL, f"<{tag} {attr}=« {value[:40]} » (barre oblique inverse)")
        if tag in _FRAME_TAGS:
            self._hit(KIND_FRAME, f"<{tag}>")
        if tag == "base":
            self._hit(KIND_URL, f"<base href=« {_show_url(named.get('href', ''))} »>")
        if tag == "meta" and named.get("http-equiv", "").strip().lower() == "refresh":
            self._hit(
                KIND_REFRESH,
                f"<meta http-equiv=refresh content=« {named.get('content', '')[:40]} »>",
            )
        if tag == "form":
            self._hit(KIND_URL, "<form> (formulaire)")
        urls: list[tuple[str, str]] = []
        if tag in _MEDIA_TAGS or tag in _FRAME_TAGS:
            urls += [
                (a, named[a]) for a in ("src", "poster", "data", "href", "xlink:href") if a in named
            ]
            for candidate in named.get("srcset", "").split(","):
                if candidate.strip():
                    urls.append(("srcset", candidate.split()[0]))
        elif tag == "link" and _FETCH_RELS & set(named.get("rel", "").lower().split()):
            urls.append(("href", named.get("href", "")))
        elif tag == "use":
            urls += [(a, named[a]) for a in ("href", "xlink:href") if a in named]
        for attr, url in urls:
            if _is_external(url, ctx.hosts):
                self._hit(KIND_EXTERNAL, f'<{tag} {attr}="{_show_url(url)}">')
        for url in _css_urls(named.get("style", "")):
            if _is_external(url, ctx.hosts):
                self._hit(KIND_EXTERNAL, f'<{tag} style="url({_show_url(url)})">')
        if _CSS_DANGER_RE.search(named.get("style", "")):
            self._hit(KIND_URL, f"<{tag} style=« … »> (code dans le style)")
        if tag == "script":
            self._check_script_tag(named)

    def _check_script_tag(self, named: dict) -> None:
        src = named.get("src")
        kind = named.get("type", "").strip().lower()
        if src is not None:
            if _is_external(src, self.ctx.hosts):
                self._hit(KIND_EXTERNAL, f'<script src="{_show_url(src)}">')
            elif not _is_asset(src):
                self._hit(KIND_SCRIPT, f'<script src="{_squash_url(src)[:60]}">')
        elif kind not in (
            "application/json",
            "",
            "text/javascript",
            "module",
            "application/javascript",
        ):
            self._hit(KIND_SCRIPT, f'<script type="{kind[:40]}">')


def _is_asset(src: str) -> bool:
    url = _squash_url(src)
    return bool(re.fullmatch(r"(?:\./|\.\./)?assets/[a-z0-9_.\-]+\.js", url))


def _mask_data(text: str) -> str:
    text = EMAIL_DISGUISED_RE.sub("[courriel]", text)
    return PHONE_TEXT_RE.sub("[téléphone]", text)


def _css_urls(css: str) -> list[str]:
    return [m.group(1) for m in _CSS_URL_RE.finditer(css)]


def _line_at(newlines: list[int], pos: int) -> int:
    return bisect.bisect_left(newlines, pos) + 1


def _scan_plain(
    text: str,
    label: str,
    ctx: _Context,
    region: str = "text",
    dialect: type[csv.Dialect] | None = None,
) -> list[AuditHit]:
    newlines = [m.start() for m in re.finditer("\n", text)]
    found = _data_hits(text, region, ctx)
    if region == "text":
        found += _warning_hits(text, ctx, dialect)
    found.sort(key=lambda h: h[0])
    return [AuditHit(label, _line_at(newlines, p), k, e, lv) for p, k, e, lv in found]


def _scan_code(body: str, label: str, line0: int, ctx: _Context, css: bool) -> list[AuditHit]:
    decoded = unescape_js(body)
    newlines = [m.start() for m in re.finditer("\n", decoded)]
    found = _data_hits(decoded, "code", ctx)
    if css:
        found += [
            (m.start(), KIND_EXTERNAL, f"url({_show_url(m.group(1))})", ERROR)
            for m in _CSS_URL_RE.finditer(decoded)
            if _is_external(m.group(1), ctx.hosts)
        ]
        found += [
            (m.start(), KIND_URL, "code dans le style", ERROR)
            for m in _CSS_DANGER_RE.finditer(decoded)
        ]
    found.sort(key=lambda h: h[0])
    return [AuditHit(label, line0 + _line_at(newlines, p) - 1, k, e, lv) for p, k, e, lv in found]


def _scan_html(text: str, label: str, ctx: _Context) -> list[AuditHit]:
    parser = _PageParser(ctx)
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # pragma: no cover - html.parser is lenient
        return [AuditHit(label, 1, KIND_UNREADABLE, "HTML illisible")]
    hits = [AuditHit(label, line, k, e, lv) for line, k, e, lv in parser.hits]
    for line, tag, body, named in parser.bodies:
        if tag == "style":
            hits += _scan_code(body, label, line, ctx, css=True)
            continue
        kind = named.get("type", "").strip().lower()
        if kind == "application/json":
            hits += _scan_json_block(body, label, line, ctx)
            continue
        if "src" in named and not body.strip():
            continue
        if _is_known_script(body):
            continue  # the project's own script inlined by --autonome
        if "src" not in named and kind in (
            "",
            "text/javascript",
            "module",
            "application/javascript",
        ):
            hits.append(
                AuditHit(label, line, KIND_SCRIPT, f"<script> en ligne ({len(body)} caractères)")
            )
        if len(body) >= LIBRARY_MIN_CHARS and _LIBRARY_RE.search(body[:2000]):
            continue
        hits += _scan_code(body, label, line, ctx, css=False)
    joined = "".join(parser.text)
    starts = [p for p, _ in parser.text_pos]
    found = _data_hits(joined, "text", ctx) + _warning_hits(joined, ctx)
    decoded = unescape_js(joined)
    if decoded != joined:  # « \u0040 » written in the text
        found += [h for h in _data_hits(decoded, "text", ctx) if h[1] != KIND_NAME]
    for m in _MD_IMAGE_RE.finditer(joined):
        if _is_external(m.group(1), ctx.hosts):
            found.append((m.start(), KIND_EXTERNAL, f"![…]({_show_url(m.group(1))})", ERROR))
    for pos, kind, excerpt, level in found:
        i = max(0, bisect.bisect_right(starts, pos) - 1)
        line = parser.text_pos[i][1] + joined.count("\n", starts[i], pos) if starts else 1
        hits.append(AuditHit(label, line, kind, excerpt, level))
    return _dedupe(hits)


def _scan_json_block(body: str, label: str, line0: int, ctx: _Context) -> list[AuditHit]:
    decoded = unescape_js(body)
    hits = _scan_code(decoded, label, line0, ctx, css=False)
    # tags hidden in data (e.g. a chart label « <img onerror=…> ») only matter if rendered:
    # rencontres.js hands strings to plotly, which escapes them; nothing more to check here
    return hits


def _dedupe(hits: list[AuditHit]) -> list[AuditHit]:
    seen, out = set(), []
    for h in sorted(hits, key=lambda h: (h.line, h.kind)):
        key = (h.line, h.kind, h.excerpt)
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out


# ---------------------------------------------------------------- tables


def _header_key(name: object) -> str:
    key = " ".join(fold_offsets(unicodedata.normalize("NFC", str(name)))[0].strip().split())
    return key.replace("’", "'")


def _count_columns(header: list[object]) -> list[int]:
    """Indices of the columns holding counts of people (see ``_PEOPLE_COLUMNS``)."""
    keys = [_header_key(h) if h is not None else "" for h in header]
    grouped = any(re.search(rf"(?<![a-z]){re.escape(w)}", k) for k in keys for w in _IDENTITY_WORDS)
    out = []
    for i, key in enumerate(keys):
        words = set(re.split(r"[^\w·]+", key))
        if words & _PEOPLE_COLUMNS and not words & {"part", "pourcentage", "taux"}:
            out.append(i)
        elif grouped and (key in _GENERIC_COUNT_COLUMNS or key.startswith(_COUNT_PREFIXES)):
            out.append(i)
    return out


def _as_count(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() else None
    text = re.sub(r"[\s\u00a0\u202f]", "", str(value))
    return int(text) if re.fullmatch(r"\d{1,9}", text) else None


def _threshold_for(path: Path, ctx: _Context) -> int:
    stem = path.name.lower()
    best = ""
    for slug in ctx.thresholds:
        if (stem.startswith(slug.lower() + "_") or stem.startswith(slug.lower() + ".")) and len(
            slug
        ) > len(best):
            best = slug
    return ctx.thresholds.get(best, ctx.default_threshold) if best else ctx.default_threshold


def _small_counts(rows: list[list[object]], label: str, k: int, line_of=None) -> list[AuditHit]:
    """Cells of people-count columns (header row first) holding 1 … k−1."""
    if not rows or k <= 1:
        return []
    header = rows[0]
    cols = _count_columns(header)
    hits = []
    for r, row in enumerate(rows[1:], start=2):
        for i in cols:
            if i < len(row) and (n := _as_count(row[i])) is not None and 0 < n < k:
                where = line_of(r) if line_of else r
                hits.append(AuditHit(label, where, KIND_SMALL, f"{header[i]} = {n} (seuil {k})"))
    return hits


def _csv_dialect(text: str) -> type[csv.Dialect]:
    """The dialect of a published table (sniffed; ``;`` or ``,`` when the sniffer fails)."""
    sample = text[:20000]
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|")
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        return type("Table", (csv.excel,), {"delimiter": delimiter})


def _csv_rows(text: str, dialect: type[csv.Dialect]) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text), dialect))
    except csv.Error:
        return []


def _xlsx_small_counts(path: Path, label: str, k: int) -> list[AuditHit]:
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - unreadable sheets are reported by the zip scan
        return []
    hits = []
    try:
        for ws in wb.worksheets:
            rows = [
                list(r)
                for _, r in zip(range(100_000), ws.iter_rows(values_only=True), strict=False)
            ]
            hits += _small_counts(rows, f"{label} › {ws.title}", k)
    finally:
        wb.close()
    return hits


# ---------------------------------------------------------------- files


def _zip_text(xml: str) -> str:
    return html.unescape(_XML_TAG_RE.sub("", _XML_BREAK_RE.sub("\n", xml)))


def _sniff_mode(path: Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if suffix in MODES:
        return MODES[suffix]
    if suffix in BINARY_SUFFIXES or b"\x00" in head[:4096]:
        return "binary"
    low = head[:4096].lower()
    if b"<html" in low or b"<script" in low or b"<!doctype" in low or b"<svg" in low:
        return "html"
    if head.lstrip()[:1] in (b"{", b"["):
        return "json"
    return "text"


def _audit_file(path: str | Path, ctx: _Context) -> list[AuditHit]:
    """Problems found in one file (its type is sniffed when the name does not tell)."""
    path = Path(path)
    label = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return [AuditHit(label, 1, KIND_UNREADABLE, "fichier trop volumineux pour l'audit")]
        data = path.read_bytes()
        mode = _sniff_mode(path, data[:8192])
        if mode == "zip":
            hits = []
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    if info.is_dir():
                        continue
                    member = f"{label} › {info.filename}"
                    if info.file_size > MAX_MEMBER_BYTES:
                        hits.append(AuditHit(member, 1, KIND_UNREADABLE, "membre trop volumineux"))
                        continue
                    raw = archive.read(info)
                    if info.filename.endswith((".xml", ".rels")):
                        hits += _scan_plain(_zip_text(_decode(raw)), member, ctx)
                    elif info.filename.lower().endswith((".html", ".htm", ".svg", ".js", ".json")):
                        hits += _scan_text_mode(
                            _decode(raw), MODES[Path(info.filename).suffix.lower()], member, ctx
                        )
            if path.suffix.lower() in (".xlsx", ".xlsm"):
                hits += _xlsx_small_counts(path, label, _threshold_for(path, ctx))
            return hits
        if mode == "pdf":
            return _audit_pdf(data, label, ctx)
        if mode == "binary":
            return _scan_binary(data, path, label, ctx)
        text = _decode(data)
        # a table is sniffed once: its dialect serves the NER's cells and the counts
        dialect = _csv_dialect(text) if mode == "table" else None
        hits = _scan_text_mode(text, mode, label, ctx, dialect)
        if dialect is not None:
            hits += _small_counts(_csv_rows(text, dialect), label, _threshold_for(path, ctx))
        return hits
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError) as exc:
        return [AuditHit(label, 1, KIND_UNREADABLE, f"lecture impossible ({type(exc).__name__})")]


def _scan_text_mode(
    text: str, mode: str, label: str, ctx: _Context, dialect: type[csv.Dialect] | None = None
) -> list[AuditHit]:
    if mode == "json":
        return _scan_html(unescape_js(text), label, ctx)
    if mode == "html":
        return _scan_html(text, label, ctx)
    if mode in ("css", "js"):
        if mode == "js":
            if _is_known_script(text):
                return []
            # not one of the project's own scripts (assets/plotly.min.js, assets/rencontres.js)
            unknown = AuditHit(
                label, 1, KIND_SCRIPT, f"fichier JavaScript inconnu ({len(text)} caractères)"
            )
            if len(text) >= LIBRARY_MIN_CHARS and _LIBRARY_RE.search(text[:2000]):
                return [unknown]
            return [unknown, *_scan_code(text, label, 1, ctx, css=False)]
        return _scan_code(text, label, 1, ctx, css=True)
    return _scan_plain(html.unescape(text), label, ctx, dialect=dialect)


def _audit_pdf(data: bytes, label: str, ctx: _Context) -> list[AuditHit]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, Exception) as exc:  # noqa: BLE001 - any broken PDF is reported
        return [AuditHit(label, 1, KIND_UNREADABLE, f"PDF illisible ({type(exc).__name__})")]
    hits = []
    for number, text in enumerate(pages, start=1):
        hits += _scan_plain(text, f"{label} › page {number}", ctx)
    return hits


def collect_files(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Files to audit: given files, and every file under given folders (any name)."""
    if isinstance(paths, str | Path):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise SourceError(
                "chemin à auditer introuvable.", file=p, hint="Vérifiez le dossier des rapports."
            )
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file())
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def _fold_allow(names: Iterable[str]) -> frozenset[str]:
    return frozenset(" ".join(fold_offsets(str(n))[0].split()) for n in names if str(n).strip())


def audit_paths(
    paths: str | Path | Iterable[str | Path],
    *,
    names: NameIndex | Iterable[str] = (),
    allow_hosts: Iterable[str] = (),
    allow_emails: Iterable[str] = (),
    allow_names: Iterable[str] = (),
    thresholds: dict[str, int] | None = None,
    default_threshold: int = DEFAULT_THRESHOLD,
    ner: bool = False,
) -> list[AuditHit]:
    """Every problem in ``paths`` (errors and warnings, see ``AuditHit.level``).

    ``names``: registrants' full names « Prénom Nom » or a ``NameIndex``; ``allow_hosts``:
    hosts (and their subdomains) allowed for external resources; ``allow_emails``:
    addresses, or ``@domaine.fr`` for a whole domain, not to report; ``allow_names``: public
    names (partners, places, speakers) never reported by the NER; ``thresholds``: k per
    territory slug for tables named ``<slug>_….csv`` (else ``default_threshold``);
    ``ner``: look for other people's names with spaCy (warnings).
    """
    index = names if isinstance(names, NameIndex) else NameIndex.from_names(names)
    ctx = _Context(
        index or None,
        tuple(h.lower().strip() for h in allow_hosts),
        frozenset(e.lower().strip() for e in allow_emails),
        _fold_allow(allow_names),
        dict(thresholds or {}),
        default_threshold,
        ner,
    )
    return [hit for f in collect_files(paths) for hit in _audit_file(f, ctx)]


def project_settings(root: str | Path) -> dict:
    """``audit_paths`` keywords from a project's parameters: ``thresholds`` (slug → k),
    ``allow_names`` (territories, places, partners, speakers, titles of the agenda) and
    ``ner=True``. Unreadable parameter files are skipped (the build reports them)."""
    thresholds: dict[str, int] = {}
    allow: set[str] = set()
    for pfile in sorted(Path(root, "parameters").glob("*.yaml")):
        if pfile.name == "codebook.yaml":
            continue
        try:
            p = load_parameters(pfile, root=Path(root), check_paths=False)
        except Exception:  # noqa: BLE001 - a broken file is the build's business
            continue
        thresholds[p.slug] = p.seuil_confidentialite
        allow |= {p.territoire, p.lieu, p.filtre_territoire, *p.partenaires}
        for step in getattr(p, "deroule", []) or []:
            allow |= set(getattr(step, "intervenants", []) or [])
    return {"thresholds": thresholds, "allow_names": sorted(a for a in allow if a), "ner": True}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def format_hits(hits: list[AuditHit], files_scanned: int | None = None) -> str:
    """French report: « 3 problèmes trouvés dans 2 fichiers : … » or « Aucun problème… »,
    then the warnings (« 2 points à vérifier : … »)."""
    errors = [h for h in hits if h.level == ERROR]
    warnings = [h for h in hits if h.level != ERROR]
    lines: list[str] = []
    if not errors:
        if files_scanned is None:
            lines.append("Aucun problème trouvé.")
        else:
            lines.append(f"Aucun problème trouvé dans {_plural(files_scanned, 'fichier')}.")
    else:
        n = len(errors)
        head = f"{n} problème{'s' if n > 1 else ''} trouvé{'s' if n > 1 else ''}"
        lines += [f"{head} dans {_plural(len({h.file for h in errors}), 'fichier')} :"]
        lines += _by_file(errors)
        lines.append(
            "Corrigez la source (masquage, suppression, ressource locale) puis reconstruisez "
            "les rapports avant toute publication."
        )
    if warnings:
        n = len(warnings)
        lines.append(
            f"{n} point{'s' if n > 1 else ''} à vérifier (avertissement{'s' if n > 1 else ''}) :"
        )
        lines += _by_file(warnings)
        lines.append(
            "Si ce sont des noms publics (partenaires, intervenants), ajoutez-les aux paramètres "
            "(partenaires, déroulé) ; sinon, masquez-les à la source."
        )
    return "\n".join(lines)


def _by_file(hits: list[AuditHit]) -> list[str]:
    by_file: dict[str, list[AuditHit]] = {}
    for hit in hits:
        by_file.setdefault(hit.file, []).append(hit)
    lines = []
    for file, file_hits in by_file.items():
        lines.append(f"  {file}")
        lines += [f"    ligne {h.line} — {h.kind} : {h.excerpt}" for h in file_hits]
    return lines


def main_audit(
    paths: str | Path | Iterable[str | Path] = ("reports",),
    names: NameIndex | Iterable[str] = (),
    *,
    allow_hosts: Iterable[str] = (),
    allow_emails: Iterable[str] = (),
    root: str | Path | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the audit, print the French report; 0 when no error (warnings allowed), else 1.

    With ``root``, thresholds, the public allow-list and the NER come from the project's
    parameters (:func:`project_settings`)."""
    files = collect_files(paths)
    settings = project_settings(root) if root is not None else {}
    hits = audit_paths(
        files, names=names, allow_hosts=allow_hosts, allow_emails=allow_emails, **settings
    )
    print(format_hits(hits, len(files)), file=out or sys.stdout)
    return 1 if any(h.level == ERROR for h in hits) else 0
