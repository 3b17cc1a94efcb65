"""Questionnaire loader: a survey export plus its codebook → long answers table + respondents.

Formats: LimeSurvey (codes or full headings), Google Forms, Framaforms, KoboToolbox, Decidim
and any generic CSV/XLSX/ODS. The file is read into a :class:`ColumnStore` (each
column as integer codes into its distinct texts); only distinct values are interpreted and the
long table is built from integer codes (1,000,000 × 20 answers: 1.3 to 1.8 times a bare
``pandas.read_csv`` on a busy 2-core machine and 2.6 times the file size in peak memory, see
``benchmarks/bench_loader.py``, which also measures the whole path with the scores and metrics).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from ..codebook import Codebook, QuestionSpec, load_codebook, normalize_label, parse_codebook
from ..columns import ColumnStore, is_blank, misaligned, read_columns, release_memory
from ..errors import LoadResult, SourceError, add_finding
from ..formats import fmt_count, plural
from ..io import SEP_NAMES, RawTable
from .common import EMAIL_RE, PHONE_RE
from .questionnaire_formats import (
    FALSE_MARKS,
    FORMATS,
    NO_ANSWER_MARKS,
    TRUE_MARKS,
    AnswerTable,
    blank_rows,
    classify_profiles,
    code_columns,
    detect_format,
    expand,
    first_occurrences,
    map_uniques,
    meta_columns,
    parse_dates,
    strip,
    technical_columns,
)

RESPONDENT_COLUMNS = ["respondent_id", "profil", "territoire", "complet", "date"]
MAX_SHOWN = 10


class _Lines:
    """File line of frame positions, cheap when every record sits on one line."""

    def __init__(self, raw: RawTable, skip: int, n: int) -> None:
        self.raw, self.skip, self.n, self.simple = raw, skip, n, None

    def __call__(self, positions: np.ndarray | list[int]) -> list[int]:
        pos = [int(p) + self.skip for p in positions]
        if self.raw.sep is not None and self.simple is None:
            newlines, last = 0, b""
            with open(self.raw.path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 22), b""):
                    newlines, last = newlines + block.count(b"\n"), block[-1:]
            self.simple = newlines + (last != b"\n") == self.n + self.skip + 1
        if self.raw.sep is not None and self.simple:
            return [p + 2 for p in pos]
        return [self.raw.line_of(p) for p in pos]

    def text(self, positions: np.ndarray) -> str:
        """« ligne 4 » / « lignes 4, 7, 9, … (et 12 autres) » for the first positions."""
        shown = self(positions[:MAX_SHOWN])
        if len(positions) == 1:
            return f"ligne {shown[0]}"
        more = f", … (et {len(positions) - MAX_SHOWN} autres)" if len(positions) > MAX_SHOWN else ""
        return "lignes " + ", ".join(map(str, shown)) + more


def _quoted(value: str) -> str:
    """A cell value as quoted in a finding: e-mails and phones masked, at most 40 characters."""
    value = PHONE_RE.sub("[téléphone masqué]", EMAIL_RE.sub("[courriel masqué]", value))
    value = re.sub(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", " ", value)
    return value if len(value) <= 40 else value[:39] + "…"


def _as_codebook(codebook: Codebook | str | Path) -> Codebook:
    if isinstance(codebook, Codebook):
        return codebook
    if isinstance(codebook, str) and "\n" in codebook:
        return parse_codebook(codebook)
    return load_codebook(codebook)


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = n.strip() or f"colonne_{i + 1}"
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


class _Load:
    """One load: the file, its codebook, the findings and the positions of the used records."""

    def __init__(self, raw: RawTable, book: Codebook, fmt: str | None, rules=None) -> None:
        # findings name the file only: a report never shows the builder's absolute path
        self.raw, self.book, self.rules = raw, book, rules
        self.findings = [dataclasses.replace(f, file=raw.name) for f in raw.findings]
        self.data, self.skip = self._find_header()
        self.columns = list(self.data.names)
        self.fmt = fmt or book.format or detect_format(self.columns)
        self.lines = _Lines(raw, self.skip, len(self.data))
        self.parts: list[tuple] = []

    def note(
        self,
        level: str,
        message: str,
        pos: np.ndarray | None = None,
        column: str | None = None,
        count: int = 1,
    ) -> None:
        """Add a finding; with ``pos`` (frame positions) the first lines are listed and counted."""
        row = 1 + self.skip
        if pos is not None and len(pos):
            message, row, count = (
                f"{message} ({self.lines.text(pos)})",
                self.lines(pos[:1])[0],
                len(pos),
            )
        add_finding(
            self.findings, level, self.raw.name, message + ".", row=row, column=column, count=count
        )

    def problem(
        self,
        column: str,
        pos: np.ndarray,
        values: np.ndarray,
        message: str,
        outcome: str = "cellules traitées comme non renseignées",
    ) -> None:
        """One warning per column: the unexpected values with their counts, and first lines."""
        vals, counts = np.unique(strip(values).astype(str), return_counts=True)
        order = np.argsort(-counts, kind="stable")[:5]
        shown = ", ".join(f"« {_quoted(vals[i])} » ({counts[i]})" for i in order)
        shown += " …" if len(vals) > 5 else ""
        self.note("avertissement", f"{message} : {shown} — {outcome}", pos, column)

    def _find_header(self) -> tuple[ColumnStore, int]:
        """Promote a later row to header when the codebook columns are there (multi-row headers)."""
        data: ColumnStore = self.raw.store
        wanted = {normalize_label(q.colonne) for q in self.book.questions}
        found = sum(normalize_label(c) in wanted for c in data.names)
        for k in range(min(3, len(data))):
            row = data.row(k)
            if sum(normalize_label(v) in wanted for v in row) > max(found, len(wanted) // 2):
                line = self.raw.line_of(k)
                msg = f"en-têtes des questions trouvés ligne {line} : les lignes précédentes sont lues comme des en-têtes."
                add_finding(self.findings, "info", self.raw.name, msg, row=line)
                return data.tail(k + 1, _dedupe(row)), k + 1
        return data, 0

    def match_columns(self) -> dict[str, str | None]:
        """Codebook column → file column (exact, folded, then « CODE. texte » headings)."""
        folded: dict[str, list[str]] = {}
        for c in self.columns:
            folded.setdefault(normalize_label(c), []).append(c)
        out: dict[str, str | None] = {}
        for q in self.book.questions:
            key = normalize_label(q.colonne)
            hits = [q.colonne] if q.colonne in self.columns else folded.get(key, [])
            if len(hits) != 1:
                hits = [
                    c
                    for c in self.columns
                    if re.match(re.escape(key) + r"[.:]? ", normalize_label(c))
                ]
            out[q.colonne] = hits[0] if len(hits) == 1 else None
        missing = [q for q in self.book.questions if out[q.colonne] is None and q.type != "ignore"]
        if not missing:  # the message below is only for missing columns (and loads babel)
            return out
        if self.raw.sep is None:
            read = f"feuille « {self.raw.sheet} », {len(self.columns)} colonnes lues"
        else:
            read = f"séparateur détecté : {SEP_NAMES.get(self.raw.sep, self.raw.sep)}, {fmt_count(len(self.columns), 'colonne lue', 'colonnes lues')}"
            if len(self.columns) == 1:
                read += (
                    " ; une seule colonne : le séparateur du fichier n'a sans doute pas été reconnu"
                )
        if len(missing) > 1 and not any(out.values()):
            shown = ", ".join(f"« {c} »" for c in self.columns[:8]) + (
                " …" if len(self.columns) > 8 else ""
            )
            wanted = ", ".join(f"« {q.colonne} »" for q in missing[:8]) + (
                " …" if len(missing) > 8 else ""
            )
            msg = f"aucune des {len(missing)} colonnes du codebook n'est dans le fichier ({read}) ; attendu : {wanted} ; lu : {shown}"
            self.note("erreur", msg)
            return out
        for q in missing:
            close = difflib.get_close_matches(q.colonne, self.columns, n=3, cutoff=0.6)
            near = f" ; colonnes proches : {', '.join(f'« {c} »' for c in close)}" if close else ""
            msg = f"colonne « {q.colonne} » du codebook (question « {q.id} ») absente du fichier{near} ({read}) ; attendu : un en-tête identique à la clé « colonne » du codebook"
            self.note("erreur", msg, column=q.colonne)
        return out

    def select_rows(self, meta: dict[str, str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reject blank rows, incomplete responses (if asked) and repeated ids; (used, ids, complete)."""
        data, n = self.data, len(self.data)
        keep = np.ones(n, dtype=bool)
        shifted = [(i - self.skip, w) for i, _, w in misaligned(self.raw) if i >= self.skip]
        if shifted:
            pos = np.array([i for i, _ in shifted], dtype=np.int64)
            keep[pos] = False
            width = len(self.columns)
            counts = ", ".join(sorted({str(w) for _, w in shifted}))
            msg = (
                f"{fmt_count(len(pos), 'ligne rejetée', 'lignes rejetées')} : nombre de champs {counts} au lieu de {width} (en-tête) — "
                "un guillemet ouvert et jamais fermé, ou un séparateur de trop ou de moins, "
                "décalerait toutes les réponses de la ligne ; corrigez-la dans l'export"
            )
            self.note("avertissement", msg, pos)
        blank = blank_rows(data)
        blank = blank[keep[blank]]
        keep[blank] = False
        if len(blank):
            self.note(
                "info",
                fmt_count(
                    len(blank),
                    "ligne entièrement vide ignorée",
                    "lignes entièrement vides ignorées",
                ),
                blank,
            )
        complete = np.ones(n, dtype=bool)
        if meta["complet"]:
            complete = ~map_uniques(data, meta["complet"], is_blank)
        elif meta["brouillon"]:
            draft = TRUE_MARKS - {""}
            complete = ~map_uniques(
                data,
                meta["brouillon"],
                lambda u: np.array([normalize_label(x) in draft for x in u]),
            )
        incomplete = np.flatnonzero(keep & ~complete)
        if len(incomplete):
            flag = meta["complet"] or meta["brouillon"]
            what = (
                "sans date de soumission"
                if meta["complet"]
                else plural(len(incomplete), "marquée comme brouillon", "marquées comme brouillon")
            )
            if self.book.incompletes == "exclure":
                keep[incomplete] = False
                msg = f"{fmt_count(len(incomplete), 'réponse incomplète', 'réponses incomplètes')} ({what}) {plural(len(incomplete), 'exclue', 'exclues')} comme le demande « incompletes: exclure » du codebook"
            else:
                msg = f"{fmt_count(len(incomplete), 'réponse incomplète', 'réponses incomplètes')} ({what}) {plural(len(incomplete), 'gardée', 'gardées')} (« incompletes: garder »)"
            self.note("info", msg, incomplete, flag)
        if meta["id"]:
            keys = data.keys(meta["id"])  # numbers or codes when possible: cheaper to compare
            if data.is_plain(meta["id"]) and keys.dtype.kind in "iu":
                ids = keys  # whole numbers (LimeSurvey's « id »): kept as numbers, never blank
            else:
                ids = data.values(meta["id"])
                if data.is_plain(meta["id"]):
                    ids = ids.copy()  # the store's own texts: copied before any is replaced
            if len(missing := np.flatnonzero(keep & data.blank(meta["id"]))):
                ids[missing] = [f"ligne-{line}" for line in self.lines(missing)]
                keys = ids
            kept = np.flatnonzero(keep)
            dup = kept[~first_occurrences(keys if len(kept) == n else keys[kept])]
            if len(dup):
                keep[dup] = False
                msg = f"{fmt_count(len(dup), 'réponse rejetée', 'réponses rejetées')} : identifiant déjà vu plus haut (un identifiant unique par personne était attendu ; la première réponse est gardée)"
                self.note("avertissement", msg, dup, meta["id"])
        else:
            width = len(str(max(n, 1)))
            ids = np.array([f"R{i + 1:0{width}d}" for i in range(n)], dtype=object)
        return np.flatnonzero(keep), ids, complete

    def dates(self, used: np.ndarray, meta: dict) -> pd.Series:
        """Submission dates of the used rows (NaT without a date column); unreadable ones noted."""
        if not meta["date"]:
            return pd.Series(pd.NaT, index=range(len(used)), dtype="datetime64[ns]")
        rows = None if len(used) == len(self.data) else used
        english = normalize_label(meta["date"]) == "timestamp"
        dates, bad = parse_dates(self.data, meta["date"], rows, dayfirst=not english)
        if len(bad):
            msg = f"{fmt_count(len(bad), 'date illisible', 'dates illisibles')} (attendu : AAAA-MM-JJ HH:MM:SS ou JJ/MM/AAAA HH:MM), {plural(len(bad), 'laissée vide', 'laissées vides')}"
            self.note("avertissement", msg, used[bad], meta["date"])
        return dates

    def respondents(
        self,
        used: np.ndarray,
        ids: np.ndarray,
        complete: np.ndarray,
        colmap: dict,
        dates: pd.Series,
    ) -> pd.DataFrame:
        rows = None if len(used) == len(self.data) else used
        profil = territoire = None
        if (pq := next(iter(self.book.of_type("profil")), None)) and colmap[pq.colonne]:
            column = colmap[pq.colonne]
            codes, uniq = self.data.factor(column)
            codes = codes if rows is None else codes[rows]
            pids, unknown = classify_profiles(uniq, pq.synonymes, self.rules)
            profil = _texts(pids, codes)
            pos = np.flatnonzero(unknown[codes])
            if len(pos):
                msg = f"{fmt_count(len(pos), 'profil non reconnu', 'profils non reconnus')} (attendu : un profil ICPC, ex. « Élu·e », un texte que les règles de profils reconnaissent, ou un synonyme déclaré dans le codebook)"
                self.problem(
                    column,
                    used[pos],
                    uniq[codes[pos]],
                    msg,
                    plural(len(pos), "classé « autre »", "classés « autre »"),
                )
        if (tq := next(iter(self.book.of_type("territoire")), None)) and colmap[tq.colonne]:
            opts = {normalize_label(k): lab for k, lab in tq.options.items()}
            codes, uniq = self.data.factor(colmap[tq.colonne])
            territoire = _texts(
                [opts.get(normalize_label(t), str(t).strip()) for t in uniq],
                codes if rows is None else codes[rows],
            )
        data = {
            "respondent_id": ids if rows is None else ids[used],
            "profil": _texts(["non_renseigne"], np.zeros(len(used), np.int8))
            if profil is None
            else profil,
            "territoire": _texts([""], np.zeros(len(used), np.int8))
            if territoire is None
            else territoire,
            "complet": complete[used],
            "date": dates,
        }
        return pd.DataFrame(data, columns=RESPONDENT_COLUMNS, copy=False)  # arrays made here

    def answers(self, q: QuestionSpec, qpos: int, column: str, used: np.ndarray) -> None:
        """Interpret one codebook column (its distinct values only) and store its answer rows."""
        codes, uniq = self.data.factor(column)  # codes of the used rows only, below
        everyone = len(used) == len(codes)
        codes = codes if everyone else codes[used]
        keys = [normalize_label(u) for u in uniq]
        if self.fmt == "limesurvey" and any(k in NO_ANSWER_MARKS for k in keys):
            # LimeSurvey's « N/A » means « sans réponse »: an empty cell, never an answer
            uniq = np.array(
                ["" if k in NO_ANSWER_MARKS else u for k, u in zip(keys, uniq, strict=True)],
                dtype=object,
            )
            keys = ["" if k in NO_ANSWER_MARKS else k for k in keys]

        def raw(pos: np.ndarray) -> np.ndarray:
            return uniq[codes[pos]]

        def add(rows: np.ndarray | None, labels: list[str], lab_codes, rang=None) -> None:
            """Answer rows of this question: ``rows`` (None = every used row) and label codes.

            ``lab_codes`` is an array or, like ``rang`` (Likert only), a (per-value table,
            codes) pair resolved only when the long table is assembled (no per-question copy
            of a million rows).
            """
            self.parts.append((qpos, rows, np.array(labels, dtype=object), lab_codes, rang))

        if q.type == "likert":
            scale = self.book.scale(q)
            lookup, k = scale.lookup(q.synonymes), len(scale.libelles)
            labels = scale.libelles + scale.hors_echelle
            index = {lab: i for i, lab in enumerate(labels)}
            state_u, rang_u = [], []
            for key in keys:  # distinct values only
                label, pos = lookup.get(key, (None, None))
                state_u.append(index[label] if label is not None else (-1 if not key else -2))
                rang_u.append((k + 1 - pos if q.inverse else pos) if pos else -1)
            state = np.array(state_u, np.int8)
            rang = np.array(rang_u, np.int8)
            if (state >= 0).all():  # every cell answered in the scale: no row selection at all
                add(None, labels, (state, codes), (rang, codes))
            else:
                rows = np.flatnonzero(state[codes] >= 0)
                kept = codes[rows]
                add(rows, labels, (state, kept), (rang, kept))
            if (state == -2).any() and len(bad := np.flatnonzero(state[codes] == -2)):
                expected = ", ".join(f"« {x} »" for x in labels)
                codes_txt = f" ; codes prévus : {', '.join(scale.codes)}" if scale.codes else ""
                msg = f"{fmt_count(len(bad), 'réponse')} hors de l'échelle « {q.echelle} » (question « {q.id} » ; attendu : {expected}{codes_txt})"
                self.problem(column, used[bad], raw(bad), msg)
        elif q.type == "choix_multiple" and q.option is not None:
            label = q.options.get(q.option, q.option)
            state = np.array(
                [
                    1
                    if key in TRUE_MARKS or key == normalize_label(label)
                    else (0 if key in FALSE_MARKS else -2)
                    for key in keys
                ],
                np.int8,
            )
            st = state[codes]
            rows = np.flatnonzero(st == 1)
            add(rows, [label], np.zeros(len(rows), np.int8))
            if len(bad := np.flatnonzero(st == -2)):
                msg = f"{fmt_count(len(bad), 'valeur inattendue', 'valeurs inattendues')} pour l'option « {label} » de « {q.id} » (attendu : Oui, Y, 1 ou X si cochée ; vide, Non ou 0 sinon)"
                self.problem(column, used[bad], raw(bad), msg)
        elif q.type == "choix_multiple":
            self._multi_cell(q, uniq, codes, raw, column, used, add)
        else:  # choix, texte: the stripped value itself (choix codes mapped through ``options``)
            opts = {normalize_label(c): lab for c, lab in q.options.items()}
            clean = [opts.get(normalize_label(u), str(u).strip()) for u in uniq]
            rows = np.flatnonzero(np.array([bool(c) for c in clean], dtype=bool)[codes])
            add(rows, clean, codes[rows])
            if q.type == "texte":
                for kind, rx in (
                    ("une adresse e-mail", EMAIL_RE),
                    ("un numéro de téléphone", PHONE_RE),
                ):
                    if len(
                        pos := np.flatnonzero(
                            np.array([bool(rx.search(c)) for c in clean], dtype=bool)[codes]
                        )
                    ):
                        msg = f"{fmt_count(len(pos), 'réponse libre', 'réponses libres')} de « {q.id} » {plural(len(pos), 'contient', 'contiennent')} {kind}, à masquer avant publication"
                        self.note("info", msg, used[pos], column)

    def _multi_cell(
        self,
        q: QuestionSpec,
        uniq: np.ndarray,
        codes: np.ndarray,
        raw,
        column: str,
        used: np.ndarray,
        add,
    ) -> None:
        """Multi-select in one cell (« a, b » or Kobo « a b »); option labels with the separator kept whole."""
        sep = (q.separateur or ", ").strip()
        if not q.options and sep and any(sep in str(u) for u in uniq):
            self.note(
                "avertissement",
                f"aucune option déclarée pour « {q.id} » : chaque cellule est coupée à chaque « {sep} », "
                "ce qui coupe en deux une option dont le libellé contient ce séparateur ; déclarez "
                "ses options (clé « options » du codebook) pour que chaque cellule soit vérifiée",
                column=column,
            )
        opts = {normalize_label(c): lab for c, lab in q.options.items()}
        opts.update({normalize_label(lab): lab for lab in q.options.values()})
        protect = {
            lab: f"\x00{i}\x00" for i, lab in enumerate(q.options.values()) if sep and sep in lab
        }
        labels: dict[str, int] = {}
        per_unique, unknown = [], []
        for u in uniq:
            text, items, bad = str(u), [], False
            for lab, token in protect.items():
                text = text.replace(lab, token)
            for tok in text.split(sep) if sep else text.split():
                for lab, token in protect.items():
                    tok = tok.replace(token, lab)
                if not (tok := tok.strip()):
                    continue
                if (lab := opts.get(normalize_label(tok)) if opts else tok) is None:
                    bad = True
                elif (idx := labels.setdefault(lab, len(labels))) not in items:
                    items.append(idx)
            per_unique.append(items)
            unknown.append(bad)
        rows, items = expand(codes, per_unique)
        add(rows, list(labels), items)
        if len(bad := np.flatnonzero(np.array(unknown, dtype=bool)[codes])):
            expected = ", ".join(f"« {c} »" for c in q.options)
            msg = f"{fmt_count(len(bad), 'réponse')} de « {q.id} » avec une option inconnue (attendu : {expected} ou leurs libellés)"
            self.problem(column, used[bad], raw(bad), msg, "options inconnues ignorées")


def _texts(per_value: list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A text column from one text per distinct value and the codes of the rows.

    The texts are checked once, per distinct value; taking them by code gives the column
    without pandas checking a million strings again."""
    return pd.array(per_value, dtype="str").take(codes)


def load_questionnaire(
    path: str | Path,
    codebook: Codebook | str | Path,
    *,
    sheet: str | int | None = None,
    fmt: str | None = None,
    rules: str | Path | None = None,
) -> LoadResult:
    """Load a questionnaire export with its codebook.

    Profiles are classified by the one rule classifier of every source
    (:func:`rencontres_lib.referentiels.classify_profile`): the question's ``synonymes``, then
    ``rules`` (a YAML rules file, the meeting's ``sources.profils``), then the built-in rules.

    ``result.table``: one row per (respondent, question[, option]), four categorical columns —
    respondent_id, question_id, valeur, rang (ordered 1…k, 1 = least favourable after
    ``inverse``, NA outside a scale); :func:`rencontres_lib.metrics.scored` adds type, dimension
    and favorable. ``result.extra``: ``respondents`` (respondent_id — whole numbers when the id
    column holds only whole numbers, text otherwise —, profil, territoire, complet, date),
    ``questions`` (codebook questions), ``format``, ``colonnes``, ``colonne_territoire`` (the
    file's territory column, for :func:`rencontres_lib.referentiels.territory_matches`).
    """
    book = _as_codebook(codebook)
    if fmt is not None and fmt not in FORMATS:
        raise SourceError(
            f"format « {fmt} » inconnu ; formats attendus : {', '.join(FORMATS)}.", file=path
        )
    job = _Load(
        read_columns(path, sheet, infer=lambda names: code_columns(names, book)), book, fmt, rules
    )
    colmap = job.match_columns()
    used_cols = {c for c in colmap.values() if c}
    answered = {
        colmap[q.colonne] for q in book.questions if q.type != "ignore" and colmap[q.colonne]
    }
    meta = meta_columns(job.fmt, job.columns, answered)
    if book.identifiant:
        meta["id"] = book.identifiant if book.identifiant in job.columns else None
        if meta["id"] is None:
            msg = f"colonne d'identifiant « {book.identifiant} » (clé « identifiant » du codebook) absente du fichier : réponses numérotées dans l'ordre du fichier"
            job.note("erreur", msg, column=book.identifiant)
    tech = technical_columns(job.fmt, job.columns) | set(meta.values())
    if extra := [c for c in job.columns if c not in used_cols and c not in tech]:
        shown = ", ".join(f"« {c} »" for c in extra[:15]) + (" …" if len(extra) > 15 else "")
        job.note(
            "info",
            f"{fmt_count(len(extra), 'colonne du fichier absente du codebook, non utilisée', 'colonnes du fichier absentes du codebook, non utilisées')} : {shown}",
            count=len(extra),
        )
    n = len(job.data)
    if n == 0:
        job.note(
            "erreur",
            "aucune réponse : le fichier ne contient que la ligne d'en-tête (au moins une ligne de réponse était attendue)",
        )
    used, ids, complete = job.select_rows(meta)
    skip = ("profil", "territoire", "ignore")
    qids = list(dict.fromkeys(q.id for q in book.questions if q.type not in skip))
    uses = Counter(colmap[q.colonne] for qid in qids for q in book.by_id[qid] if colmap[q.colonne])
    needed = {meta["email"]} | {colmap[q.colonne] for q in book.of_type("profil")}
    needed |= {colmap[q.colonne] for q in book.of_type("territoire")}
    # findings keep their order (respondents', dates', answers') although the work is reordered:
    # the dates first, so that a million date texts are freed before the table is allocated
    mark = len(job.findings)
    dates = job.dates(used, meta)
    if meta["date"] and not uses[meta["date"]] and meta["date"] not in needed:
        job.data.drop(meta["date"])
    date_findings = job.findings[mark:]
    del job.findings[mark:]
    for qpos, qid in enumerate(qids):
        for q in book.by_id[qid]:
            if column := colmap[q.colonne]:
                job.answers(q, qpos, column, used)
                uses[column] -= 1
                if not uses[column] and column not in needed:
                    job.data.drop(column)  # a million-row column is no longer needed
    answer_findings = job.findings[mark:]
    del job.findings[mark:]
    release_memory()  # before the table, the largest allocation
    table = AnswerTable(job.parts, len(used), qids)  # allocated: filled once the store is freed
    respondents = job.respondents(used, ids, complete, colmap, dates)
    job.findings.extend(date_findings + answer_findings)
    private = None
    if meta["email"]:
        private = pd.DataFrame(
            {"respondent_id": ids[used], "email": strip(job.data.values(meta["email"], used))}
        )
    job.data = job.raw.store = ids = None  # the file's cells are no longer needed: freed
    release_memory()
    table = table.frame(respondents["respondent_id"])
    release_memory()  # the filling's temporaries: not resident while the scores are made
    extra_out = {
        "respondents": respondents,
        "questions": book.questions_frame(),
        "format": job.fmt,
        "colonnes": colmap,
        "colonne_territoire": next(
            (colmap[q.colonne] for q in book.of_type("territoire") if colmap[q.colonne]), None
        ),
    }
    result = LoadResult(
        str(job.raw.path),
        "questionnaire",
        table,
        job.findings,
        rows_read=n,
        rows_used=len(used),
        rows_rejected=n - len(used),
        sha256=job.raw.digest(),
        private=private,
        extra=extra_out,
    )
    return result.check()
