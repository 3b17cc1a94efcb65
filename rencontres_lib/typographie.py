"""French typography on a finished page: no-break spaces and apostrophes in the text only.

Applied by the publisher to every published page, after the templates, so that no writer has
to remember it. Only text between tags is touched (never tags, attributes, scripts, styles,
code, or JSON data blocks):

* a space before « : » becomes a no-break space (U+00A0); before « ; ! ? » a narrow
  no-break space (U+202F), as the Imprimerie nationale's Lexique recommends;
* the space inside « » becomes a no-break space (U+00A0), and one is added when missing;
* a straight apostrophe between letters becomes a typographic one (’).
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
NNBSP = "\u202f"
_RAW_TAGS = ("script", "style", "code", "pre", "textarea")
_TOKEN_RE = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_TAG_NAME_RE = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")
_BEFORE_COLON = re.compile(r"[ \t](?=:(?:\s|$|&nbsp;))")
_BEFORE_PUNCT = re.compile(r"[ \t\u00a0](?=[;!?](?:\s|$|[»)\]]|&))")
_AFTER_OPEN = re.compile(r"«[ \t\u202f]?")
_BEFORE_CLOSE = re.compile(r"[ \t\u202f]?»")
_APOSTROPHE = re.compile(r"(?<=[A-Za-zÀ-ÿ])'(?=[A-Za-zÀ-ÿ])")


def french_text(text: str) -> str:
    """French spacing and apostrophes in plain text (see the module docstring)."""
    if not text:
        return text
    text = _BEFORE_COLON.sub(NBSP, text)
    text = _BEFORE_PUNCT.sub(NNBSP, text)
    if "«" in text or "»" in text:
        text = _AFTER_OPEN.sub("«" + NBSP, text)
        text = _BEFORE_CLOSE.sub(NBSP + "»", text)
    if "'" in text:
        text = _APOSTROPHE.sub("\u2019", text)
    return text


def french_spacing(page: str) -> str:
    """``page`` with :func:`french_text` applied to the text outside raw elements."""
    out, raw = [], None
    for token in _TOKEN_RE.split(page):
        if not token:
            continue
        if token.startswith("<"):
            m = _TAG_NAME_RE.match(token)
            if m and not token.startswith("<!"):
                closing, name = m.group(1) == "/", m.group(2).lower()
                if raw is None and not closing and name in _RAW_TAGS and not token.endswith("/>"):
                    raw = name
                elif raw == name and closing:
                    raw = None
            out.append(token)
        else:
            out.append(token if raw else french_text(token))
    return "".join(out)


def nbsp_ratio(page: str) -> tuple[int, int]:
    """(spaces that should be no-break, of which no-break) in the visible text of ``page``.

    Counts the space before « : ; ! ? » (when there is one) and inside « » — what the
    typography test measures on a built page.
    """
    text = []
    raw = None
    for token in _TOKEN_RE.split(page):
        if token.startswith("<"):
            m = _TAG_NAME_RE.match(token)
            if m and not token.startswith("<!"):
                closing, name = m.group(1) == "/", m.group(2).lower()
                if raw is None and not closing and name in _RAW_TAGS:
                    raw = name
                elif raw == name and closing:
                    raw = None
        elif not raw:
            text.append(token)
    visible = "".join(text)
    spaces = re.findall(r"[ \u00a0\u202f](?=[:;!?»](?:\s|$|&))|(?<=«)[ \u00a0\u202f]", visible)
    good = [s for s in spaces if s in (NBSP, NNBSP)]
    return len(spaces), len(good)
