"""``rencontres audit [reports/]``: look for personal data and unsafe HTML in published files.

Scanned: HTML/SVG/Markdown, CSV/TSV/TXT/XML, JSON/ipynb (JSON escapes undone first, lines
kept), CSS, JS, and XLSX/ODS/DOCX (every XML member of the zip). Reported: e-mails, French
phone numbers, registrants' full names (accent/case-insensitive), external resources
(``<script src>``, ``<link rel=stylesheet…>``, ``<img>``/``<iframe>``… ``src``, CSS
``@import``/``url()``, Markdown images) and inline event handlers / ``javascript:`` URLs.

False-positive policy, so that plotly.js and nbconvert's CSS stay silent:

* HTML tags are only looked for *outside* ``<script>``/``<style>`` bodies;
* inside script/style bodies only e-mails, names and phone numbers written with a
  separator (``06 12 34 56 78``) or a ``+33``/``0033`` prefix are looked for; elsewhere
  ``0612345678`` counts too, never a digit run glued to a letter, a dot or a decimal;
* a script body of 100 kB or more that announces a known library (plotly.js, require.js,
  MathJax, jQuery) in its first 2 kB is skipped entirely; ``.png``/``.js``… are not TLDs.

Excerpts are partly masked (``c*****@e*****.org``) so the audit never republishes data.
"""

from __future__ import annotations

import bisect
import html
import re
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from .errors import SourceError
from .privacy import NameIndex, scrub_text

KIND_EMAIL = "courriel"
KIND_PHONE = "téléphone"
KIND_NAME = "nom d'inscrit"
KIND_EXTERNAL = "ressource externe"
KIND_HANDLER = "gestionnaire d'événement inline"
KIND_UNREADABLE = "fichier illisible"

MODES = {
    **dict.fromkeys((".html", ".htm", ".xhtml", ".svg", ".md", ".markdown"), "html"),
    **dict.fromkeys((".json", ".ipynb", ".geojson"), "json"),
    **dict.fromkeys((".txt", ".csv", ".tsv", ".xml"), "text"),
    **dict.fromkeys((".xlsx", ".xlsm", ".ods", ".docx", ".odt", ".pptx"), "zip"),
    ".css": "css",
    ".js": "js",
    ".mjs": "js",
}
MAX_MEMBER_BYTES = 64 * 2**20
LIBRARY_MIN_CHARS = 100_000
_LIBRARY_RE = re.compile(r"plotly\.js v?\d|require\.?js|MathJax|jQuery v\d", re.IGNORECASE)
_FILE_TLDS = {"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "js", "css", "json", "html", "map"}

EMAIL_RE = re.compile(r"(?<![\w.%+\-])[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.([^\W\d_]{2,})(?![\w\-])")
_INTL = r"(?:\+|00)33[ .\-]?(?:\(0\)\s?)?[1-9](?:[ .\-\u00a0\u202f]?\d{2}){4}"
PHONE_TEXT_RE = re.compile(
    rf"(?<![\w+/\-])(?<!\d[.,])(?:{_INTL}|0[1-9](?:[ .\-\u00a0\u202f]?\d{{2}}){{4}})(?!\w)(?![.,]\d)"
)
PHONE_CODE_RE = re.compile(
    rf"(?<![\w+/\-.,])(?:{_INTL}|0[1-9](?P<s>[ .\-\u00a0\u202f])\d{{2}}(?:(?P=s)\d{{2}}){{3}})"
    r"(?!\w)(?![.,]\d)"
)
_BLOCK_RE = re.compile(r"""<(script|style)\b((?:"[^"]*"|'[^']*'|[^'">])*)>""", re.IGNORECASE)
_TAG_RE = re.compile(r"""<([a-zA-Z][^\s/>]*)((?:"[^"]*"|'[^']*'|[^'">])*)>""")
_ATTR_RE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]*))?""")
_CSS_URL_RE = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*["']?([^"')\s;]+)""", re.IGNORECASE)
_MD_IMAGE_RE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)\s>]+)")
_JSON_ESCAPE_RE = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|([^\n]))"
)
_MEDIA_TAGS = {"img", "iframe", "frame", "embed", "source", "video", "audio", "track", "input"}
_FETCH_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "manifest", "import"}
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data"}
_LOCAL_SCHEMES = {"data", "file", "blob", "about", "javascript", "mailto", "tel"}


@dataclass(frozen=True)
class AuditHit:
    """One problem: file (``classeur.xlsx › xl/sharedStrings.xml`` inside a zip), 1-based line."""

    file: str
    line: int
    kind: str
    excerpt: str

    def french(self) -> str:
        return f"{self.file}, ligne {self.line} — {self.kind} : {self.excerpt}"


@dataclass
class _Context:
    index: NameIndex | None
    hosts: tuple[str, ...]
    emails: frozenset[str]


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
    parts = urlsplit(url.strip())
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    shown = f"{parts.scheme + ':' if parts.scheme else ''}//{host}{parts.path}"
    return shown if len(shown) <= 80 else shown[:79] + "…"


def _is_external(url: str, hosts: tuple[str, ...]) -> bool:
    url = url.strip().strip("\"'").lower()
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


def _json_unescape(text: str) -> str:
    """Undo JSON string escapes without adding or removing any line break."""

    def repl(m: re.Match[str]) -> str:
        if m.group(1):
            return chr(
                0x10000 + ((int(m.group(1), 16) - 0xD800) << 10) + int(m.group(2), 16) - 0xDC00
            )
        if m.group(3):
            code = int(m.group(3), 16)
            return " " if code < 0x20 else "\ufffd" if 0xD800 <= code < 0xE000 else chr(code)
        return " " if m.group(4) in "nrtbf" else m.group(4)

    return _JSON_ESCAPE_RE.sub(repl, text)


def _regions(text: str, mode: str) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` with kind « text », « script », « style » or « skip »."""
    if mode in ("css", "js"):
        kind = "style" if mode == "css" else "script"
        library = len(text) >= LIBRARY_MIN_CHARS and _LIBRARY_RE.search(text[:2000])
        return [(0, len(text), "skip" if mode == "js" and library else kind)]
    if mode != "html":
        return [(0, len(text), "text")]
    out, pos = [], 0
    while (m := _BLOCK_RE.search(text, pos)) is not None:
        out.append((pos, m.end(), "text"))
        end_tag = re.compile(rf"</{m.group(1)}\s*>", re.IGNORECASE).search(text, m.end())
        body_end = end_tag.start() if end_tag else len(text)
        kind = m.group(1).lower()
        body = text[m.end() : body_end]
        if kind == "script" and len(body) >= LIBRARY_MIN_CHARS and _LIBRARY_RE.search(body[:2000]):
            kind = "skip"
        out.append((m.end(), body_end, kind))
        pos = body_end
    out.append((pos, len(text), "text"))
    return out


def _data_hits(chunk: str, region: str, ctx: _Context) -> list[tuple[int, str, str]]:
    hits = []
    if "@" in chunk:
        for m in EMAIL_RE.finditer(chunk):
            email = m.group().lower()
            if m.group(1).lower() in _FILE_TLDS or email in ctx.emails:
                continue
            if "@" + email.partition("@")[2] in ctx.emails:
                continue
            hits.append((m.start(), KIND_EMAIL, _mask_email(m.group())))
    for m in (PHONE_TEXT_RE if region == "text" else PHONE_CODE_RE).finditer(chunk):
        hits.append((m.start(), KIND_PHONE, _mask_phone(m.group())))
    if ctx.index:
        for start, end in ctx.index.spans(chunk, full_only=True):
            hits.append((start, KIND_NAME, _mask_name(chunk[start:end])))
    return hits


def _attrs(raw: str) -> list[tuple[str, str]]:
    out = []
    for m in _ATTR_RE.finditer(raw):
        value = m.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        out.append((m.group(1).lower(), html.unescape(value)))
    return out


def _tag_hits(chunk: str, ctx: _Context) -> list[tuple[int, str, str]]:
    hits = []
    for m in _TAG_RE.finditer(chunk):
        tag, attrs = m.group(1).lower(), _attrs(m.group(2))
        named = dict(attrs)
        urls: list[tuple[str, str]] = []
        if tag == "script" or tag in _MEDIA_TAGS:
            urls += [(a, named[a]) for a in ("src", "poster") if a in named]
            for candidate in named.get("srcset", "").split(","):
                if candidate.strip():
                    urls.append(("srcset", candidate.split()[0]))
        elif tag == "link" and _FETCH_RELS & set(named.get("rel", "").lower().split()):
            urls += [("href", named.get("href", ""))]
        elif tag == "object" and "data" in named:
            urls.append(("data", named["data"]))
        for attr, value in attrs:
            if re.fullmatch(r"on[a-z]+", attr):
                shown = scrub_text(value, ctx.index, max_chars=40)
                hits.append((m.start(), KIND_HANDLER, f"<{tag} {attr}=« {shown} »>"))
            elif attr in _URL_ATTRS and re.match(r"\s*javascript:", value, re.IGNORECASE):
                hits.append((m.start(), KIND_HANDLER, f"<{tag} {attr}=« javascript:… »>"))
        for attr, url in urls:
            if _is_external(url, ctx.hosts):
                hits.append((m.start(), KIND_EXTERNAL, f'<{tag} {attr}="{_show_url(url)}">'))
        for _, url in _css_urls(named.get("style", "")):
            if _is_external(url, ctx.hosts):
                hits.append((m.start(), KIND_EXTERNAL, f'<{tag} style="url({_show_url(url)})">'))
    for m in _MD_IMAGE_RE.finditer(chunk):
        if _is_external(m.group(1), ctx.hosts):
            hits.append((m.start(), KIND_EXTERNAL, f"![…]({_show_url(m.group(1))})"))
    return hits


def _css_urls(css: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(1)) for m in _CSS_URL_RE.finditer(css)]


def _scan_text(text: str, mode: str, label: str, ctx: _Context) -> list[AuditHit]:
    if mode == "json":
        text, mode = _json_unescape(text), "html"
    newlines = [m.start() for m in re.finditer("\n", text)]
    found: list[tuple[int, str, str]] = []
    for start, end, region in _regions(text, mode):
        if region == "skip" or start >= end:
            continue
        chunk = text[start:end]
        local = _data_hits(chunk, region, ctx)
        if region == "style":
            local += [
                (pos, KIND_EXTERNAL, f"url({_show_url(url)})")
                for pos, url in _css_urls(chunk)
                if _is_external(url, ctx.hosts)
            ]
        elif region == "text" and mode == "html":
            local += _tag_hits(chunk, ctx)
        found += [(start + pos, kind, excerpt) for pos, kind, excerpt in local]
    found.sort(key=lambda h: h[0])
    return [AuditHit(label, bisect.bisect_left(newlines, p) + 1, k, e) for p, k, e in found]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _audit_file(path: str | Path, ctx: _Context) -> list[AuditHit]:
    """Problems found in one file (unknown suffixes are read as plain text)."""
    path = Path(path)
    mode = MODES.get(path.suffix.lower(), "text")
    try:
        if mode != "zip":
            return _scan_text(_decode(path.read_bytes()), mode, str(path), ctx)
        hits = []
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith((".xml", ".rels")):
                    continue
                label = f"{path} › {info.filename}"
                if info.file_size > MAX_MEMBER_BYTES:
                    hits.append(AuditHit(label, 1, KIND_UNREADABLE, "membre trop volumineux"))
                    continue
                text = html.unescape(_decode(archive.read(info)))
                hits += _scan_text(text, "text", label, ctx)
        return hits
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
        return [
            AuditHit(str(path), 1, KIND_UNREADABLE, f"lecture impossible ({type(exc).__name__})")
        ]


def collect_files(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Files to audit: given files, and every file of a known type under given folders."""
    if isinstance(paths, str | Path):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise SourceError(
                "chemin à auditer introuvable.", file=p, hint="Vérifiez le dossier des rapports."
            )
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in MODES)
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def audit_paths(
    paths: str | Path | Iterable[str | Path],
    *,
    names: NameIndex | Iterable[str] = (),
    allow_hosts: Iterable[str] = (),
    allow_emails: Iterable[str] = (),
) -> list[AuditHit]:
    """Every problem in ``paths``. ``names``: full names « Prénom Nom » or a ``NameIndex``;
    ``allow_hosts``: hosts (and their subdomains) allowed for external resources;
    ``allow_emails``: addresses, or ``@domaine.fr`` for a whole domain, not to report."""
    index = names if isinstance(names, NameIndex) else NameIndex.from_names(names)
    ctx = _Context(
        index or None,
        tuple(h.lower().strip() for h in allow_hosts),
        frozenset(e.lower().strip() for e in allow_emails),
    )
    return [hit for f in collect_files(paths) for hit in _audit_file(f, ctx)]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def format_hits(hits: list[AuditHit], files_scanned: int | None = None) -> str:
    """French report: « 3 problèmes trouvés dans 2 fichiers : … » or « Aucun problème… »."""
    if not hits:
        if files_scanned is None:
            return "Aucun problème trouvé."
        return f"Aucun problème trouvé dans {_plural(files_scanned, 'fichier')}."
    by_file: dict[str, list[AuditHit]] = {}
    for hit in hits:
        by_file.setdefault(hit.file, []).append(hit)
    n = len(hits)
    head = f"{n} problème{'s' if n > 1 else ''} trouvé{'s' if n > 1 else ''}"
    lines = [f"{head} dans {_plural(len(by_file), 'fichier')} :"]
    for file, file_hits in by_file.items():
        lines.append(f"  {file}")
        lines += [f"    ligne {h.line} — {h.kind} : {h.excerpt}" for h in file_hits]
    lines.append(
        "Corrigez la source (masquage, suppression, ressource locale) puis reconstruisez "
        "les rapports avant toute publication."
    )
    return "\n".join(lines)


def main_audit(
    paths: str | Path | Iterable[str | Path] = ("reports",),
    names: NameIndex | Iterable[str] = (),
    *,
    allow_hosts: Iterable[str] = (),
    allow_emails: Iterable[str] = (),
    out: TextIO | None = None,
) -> int:
    """Run the audit, print the French report; 0 when clean, 1 when something was found."""
    files = collect_files(paths)
    hits = audit_paths(files, names=names, allow_hosts=allow_hosts, allow_emails=allow_emails)
    print(format_hits(hits, len(files)), file=out or sys.stdout)
    return 1 if hits else 0
