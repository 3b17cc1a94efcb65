"""The organiser's own words: one Markdown file per report, placed in its sections.

What data cannot give — introduction, what was said in each atelier, highlights, next
steps — the organiser writes in ``parameters/textes/<slug>.md`` (``synthese.md`` for the
synthesis). Each ``## `` heading opens a section; its text is rendered as Markdown with raw
HTML escaped and unsafe links removed (mistune, already installed with nbconvert). A
``## Citations`` section pins or excludes quotes::

    ## Citations
    - épingler : on nous a enfin demandé notre avis
    - exclure : fragment d'une citation à ne pas montrer

The file is read at every build and never written by the build: it is kept across rebuilds.
``rencontres new`` writes a first version with :func:`scaffold`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import SourceError
from .vocabulary import fold

SECTIONS = {
    "introduction": "Introduction",
    "faits marquants": "Faits marquants",
    "prochaines etapes": "Prochaines étapes",
    "informations pratiques": "Informations pratiques",
    "conclusions": "Conclusions",
}
MAX_BYTES = 1_000_000


def _key(heading: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9: ]+", " ", fold(heading)).split())


@lru_cache(maxsize=1)
def _markdown():
    import mistune

    return mistune.create_markdown(escape=True, plugins=["strikethrough", "table"])


@dataclass
class OrganiserTexts:
    """Sections of the organiser's file: normalised heading → Markdown source.

    ``pinned`` / ``excluded``: fragments of quotes to show first / never to show (compared
    without case and accents). ``path``: the file, or None when there is none.
    """

    sections: dict[str, str] = field(default_factory=dict)
    pinned: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    path: Path | None = None

    def html(self, name: str) -> str:
        """The section rendered to safe HTML (empty string when absent or blank)."""
        text = self.sections.get(_key(name), "").strip()
        return _markdown()(text).strip() if text else ""

    def atelier(self, name: str) -> str:
        """The section « Atelier : <name> » as safe HTML."""
        return self.html(f"atelier : {name}")

    def is_excluded(self, quote: str) -> bool:
        q = _key(quote)
        return any(_key(f) in q for f in self.excluded if _key(f))

    def is_pinned(self, quote: str) -> bool:
        q = _key(quote)
        return any(_key(f) in q for f in self.pinned if _key(f))


def load_texts(path: str | Path | None) -> OrganiserTexts:
    """Read the organiser's Markdown file; a missing file gives empty texts.

    Raises :class:`SourceError` (French, naming the file) when the file cannot be read as
    UTF-8 text or is larger than 1 MB.
    """
    if path is None:
        return OrganiserTexts()
    p = Path(path)
    if not p.is_file():
        return OrganiserTexts(path=None)
    if p.stat().st_size > MAX_BYTES:
        raise SourceError("le fichier de textes dépasse 1 Mo.", file=p)
    try:
        raw = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            "le fichier de textes n'est pas en UTF-8.",
            file=p,
            hint="Enregistrez-le en UTF-8 depuis votre éditeur.",
        ) from exc
    out = OrganiserTexts(path=p)
    current, lines = None, []

    def close() -> None:
        if current is not None:
            out.sections[current] = "\n".join(lines).strip()

    for line in raw.splitlines():
        m = re.match(r"^##\s+(.+?)\s*#*\s*$", line)
        if m and not line.startswith("###"):
            close()
            current, lines = _key(m.group(1)), []
        elif current is not None:
            lines.append(line)
    close()
    for line in out.sections.pop("citations", "").splitlines():
        m = re.match(r"^\s*[-*]\s*(épingler|epingler|exclure)\s*:\s*(.+)$", line, re.I)
        if m:
            target = out.excluded if m.group(1).lower() == "exclure" else out.pinned
            target.append(m.group(2).strip())
    return out


def texts_path(parameters_file: Path | None, slug: str) -> Path | None:
    """Where the organiser's file of a report lives: ``parameters/textes/<slug>.md``."""
    if parameters_file is None:
        return None
    return Path(parameters_file).parent / "textes" / f"{slug}.md"


def scaffold(territoire: str, ateliers: list[str] | None = None) -> str:
    """A first version of the organiser's file for a territory (French, every section empty)."""
    parts = [
        f"<!-- Textes de l'équipe organisatrice pour « {territoire} ». Chaque section « ## » est placée",
        "     dans le rapport ; une section vide reste « À rédiger » dans un brouillon et",
        "     n'apparaît pas dans la version publiée. Pas de HTML : il serait affiché tel quel. -->",
        "",
        "## Introduction",
        "",
        "## Informations pratiques",
        "",
    ]
    for a in ateliers or ["Atelier 1"]:
        parts += [f"## Atelier : {a}", ""]
    parts += [
        "## Faits marquants",
        "",
        "## Prochaines étapes",
        "",
        "## Citations",
        "<!-- - épingler : début d'une citation à montrer en premier",
        "     - exclure : début d'une citation à ne jamais montrer -->",
        "",
    ]
    return "\n".join(parts)
