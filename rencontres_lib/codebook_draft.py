"""Draft a codebook from a questionnaire export (``rencontres codebook FICHIER``).

Heuristics, all marked « # À vérifier » in the YAML when uncertain: French answer scales
(accord, fréquence, satisfaction, qualité, importance, intensité, effet, oui/non nuancé),
numeric 1–4 / 1–5 / 0–10 scales, multi-selects (``a, b`` cells, or one 0/1 / Oui column per
option with ``Q[option]`` or ``q/option`` headings), profile and territory columns (heading
words or known profile labels), personal data (ignored), free text and single choices.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString as DQ

from . import DIMENSIONS
from .codebook import normalize_label, parse_codebook
from .errors import ConfigError
from .formats import fmt_count, plural
from .io import read_table
from .loaders.questionnaire_formats import (
    FALSE_MARKS,
    NO_ANSWER_MARKS,
    TRUE_MARKS,
    detect_format,
    loose_key,
    meta_columns,
    technical_columns,
)
from .referentiels import classify_profile, load_profile_rules
from .vocabulary import DIMENSION_WORDS

# Scale models, most negative level first; variants of a level separated by « | ».
TEMPLATES: dict[str, list[str]] = {
    "accord": [
        "Pas du tout d'accord|Totalement pas d'accord|Totalement en désaccord|Fortement en désaccord|Tout à fait en désaccord",
        "Plutôt pas d'accord|Pas d'accord|Plutôt en désaccord|En désaccord",
        "Ni d'accord ni pas d'accord|Ni d'accord, ni pas d'accord|Ni en accord ni en désaccord|Neutre",
        "Plutôt d'accord|D'accord|Assez d'accord",
        "Tout à fait d'accord|Totalement d'accord|Fortement d'accord|Entièrement d'accord",
    ],
    "frequence": [
        "Jamais",
        "Rarement|Très rarement",
        "Parfois|De temps en temps|De temps à l'autre|D'un temps à l'autre|Quelquefois|Occasionnellement",
        "Souvent|Fréquemment|Fréquement|Régulièrement",
        "Toujours|Très souvent|Systématiquement|Tout le temps",
    ],
    "satisfaction": [
        "Pas du tout satisfait|Très insatisfait|Pas satisfait du tout",
        "Peu satisfait|Plutôt pas satisfait|Insatisfait|Plutôt insatisfait|Pas satisfait",
        "Ni satisfait ni insatisfait|Moyennement satisfait",
        "Plutôt satisfait|Satisfait|Assez satisfait",
        "Très satisfait|Tout à fait satisfait",
    ],
    "qualite": [
        "Très mauvais|Très mauvaise|Très insuffisant",
        "Mauvais|Mauvaise|Insuffisant|Médiocre",
        "Moyen|Moyenne|Passable|Correct",
        "Bon|Bonne|Bien|Satisfaisant",
        "Très bon|Très bonne|Très bien|Excellent|Excellente",
    ],
    "importance": [
        "Pas du tout important|Pas important",
        "Peu important",
        "Moyennement important",
        "Important|Assez important|Plutôt important",
        "Très important|Essentiel|Primordial",
    ],
    "intensite": [
        "Pas du tout",
        "Peu|Un peu",
        "Moyennement|Indifférent|Assez",
        "Beaucoup",
        "Énormément|Intensément|Extrêmement|Passionnément",
    ],
    "effet": [
        "Très négativement|Très mal|Très négatif|Très négative",
        "Négativement|Mal|Négatif|Négative",
        "Neutre|Pas de différence|Sans effet|Ni positif ni négatif",
        "Positivement|Mieux|Positif|Positive",
        "Très positivement|Beaucoup mieux|Très positif|Très positive",
    ],
    "oui_non": [
        "Non|Non, pas du tout",
        "Plutôt non|Plutôt pas",
        "Plutôt oui",
        "Oui|Oui, tout à fait",
    ],
}
HORS_ECHELLE = {
    loose_key(x)
    for x in "Sans avis|Ne sais pas|Je ne sais pas|NSP|Ne se prononce pas|Sans opinion|Non concerné|"
    "Non concernée|Pas concerné|Sans objet|Ne souhaite pas répondre|Je ne souhaite pas répondre|"
    "Non applicable|Je ne peux pas répondre".split("|")
}
PROFIL_HEAD = re.compile(
    r"\bprofil|vous etes|\bstatut\b|\bqualite\b|\bfonction\b|categorie|\brole\b"
)
TERRITOIRE_HEAD = re.compile(
    r"territoire|\brencontres?\b|\bville\b|\bcommune\b|\blieu\b|departement|\bregion\b|metropole"
)
TEXT_HEAD = re.compile(
    r"\b(quel(le)?s?|pourquoi|comment|commentaires?|remarques?|precisez|avancees|freins|pistes|suggestions?|idees)\b"
)
PERSONAL_HEAD = re.compile(
    r"\bnom\b|prenom|e-?mail|courriel|telephone|\btel\b|portable|adresse postale"
)
TODO = "# À vérifier :"


@dataclass
class _Question:
    colonne: str
    id: str
    type: str
    keys: list[tuple[str, object]] = field(default_factory=list)  # (key, value)
    notes: list[str] = field(default_factory=list)
    eol: dict[str, str] = field(default_factory=dict)  # key → end-of-line comment


def _q(text: object) -> DQ:
    """A string written between double quotes (labels, headings: never read as a number)."""
    return DQ(str(text))


def _flow(items: list[str]) -> CommentedSeq:
    seq = CommentedSeq([_q(x) for x in items])
    seq.fa.set_flow_style()
    return seq


def _flow_map(pairs: dict) -> CommentedMap:
    out = CommentedMap((_q(k), v if isinstance(v, DQ) else v) for k, v in pairs.items())
    out.fa.set_flow_style()
    return out


def _slug(text: str, taken: set[str]) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", loose_key(_unnumbered(text))).split() or ["question"]
    base = words[0]
    for w in words[1:]:
        if len(base) + len(w) >= 32:
            break
        base += "_" + w
    base = f"q_{base}" if base[0].isdigit() else base
    slug, i = base, 2
    while slug in taken:
        slug, i = f"{base}_{i}", i + 1
    taken.add(slug)
    return slug


def _unnumbered(heading: str) -> str:
    """Heading without a Decidim-style « 3. » number."""
    return re.sub(r"^\d+\.\s+", "", heading)


def justified_options(counts: pd.Series) -> tuple[list[str], list[str]]:
    """Options of a multi-select in one cell that the data justify, and the cells they leave
    unexplained. Never splits a cell to invent an option: an option is a whole cell that
    recurs — chosen alone by two respondents or more, or chosen alone once and found again
    inside another cell (between « , » boundaries). A cell is explained when it is a sequence
    of options joined by « , » (options may themselves contain commas)."""
    whole = {str(v).strip(): int(n) for v, n in counts.items() if str(v).strip()}
    cells = list(whole)
    order = {c: i for i, c in enumerate(cells)}
    inside: set[str] = set()  # « , »-bounded runs of parts found inside a longer cell
    for cell in cells:
        parts = cell.split(", ")
        for start in range(len(parts)):
            for end in range(start + 1, len(parts) + 1):
                if end - start < len(parts):
                    inside.add(", ".join(parts[start:end]))
    recurring = [v for v in cells if whole[v] >= 2 or v in inside]
    known: set[str] = set()

    def explained(cell: str, least: int = 1) -> bool:
        """The cell is ``least`` or more known options joined by « , »."""
        parts = cell.split(", ")
        reach = [0] + [-1] * len(parts)  # reach[i]: most options covering the first i parts
        for end in range(1, len(parts) + 1):
            for start in range(end):
                if reach[start] >= 0 and ", ".join(parts[start:end]) in known:
                    reach[end] = max(reach[end], reach[start] + 1)
        return reach[-1] >= least

    options = []
    for v in sorted(recurring, key=lambda c: (c.count(", "), order[c])):
        if not explained(v, least=2):  # two options often chosen together stay two options
            options.append(v)
            known.add(v)
    options.sort(key=order.__getitem__)
    unexplained = [v for v in cells if not explained(v)]
    return options, unexplained


def _match_template(
    counts: pd.Series,
) -> tuple[str, dict[int, dict[str, int]], dict[str, int], dict[str, int]] | None:
    """Best scale model for a column's value counts: (name, level → variants, hors, unknown)."""
    best = None
    for name, levels in TEMPLATES.items():
        index = {loose_key(v): i for i, level in enumerate(levels) for v in level.split("|")}
        seen: dict[int, dict[str, int]] = {}
        hors, unknown = {}, {}
        for value, n in counts.items():
            key = loose_key(value)
            if key in index:
                seen.setdefault(index[key], {})[value] = int(n)
            elif key in HORS_ECHELLE:
                hors[value] = int(n)
            else:
                unknown[value] = int(n)
        covered = 1 - sum(unknown.values()) / max(int(counts.sum()), 1)
        enough = len(seen) >= (3 if name == "oui_non" else 2)
        if enough and covered >= 0.8 and (best is None or (covered, len(seen)) > best[0]):
            best = ((covered, len(seen)), (name, seen, hors, unknown))
    return best[1] if best else None


class _Drafter:
    def __init__(self, frame: pd.DataFrame, fmt: str, tech: set[str]) -> None:
        self.frame, self.fmt, self.tech = frame, fmt, tech
        self.ids: set[str] = set()
        self.scales: dict[str, dict] = {}  # template/numeric key → pooled observations
        self.has_profil = self.has_territoire = False

    def families(self) -> dict[str, tuple[str, str]]:
        """Per-option multi-select columns (``Q[option]``, ``q/option``, ``Q : option``; Oui/Y/1/X)."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for c in self.frame.columns:
            m = (
                re.match(r"^(.*?)\s*\[([^\]]+)\]$", c)
                or re.match(r"^(.+)/([^/]+)$", c)
                or re.match(r"^(.+?)\s+:\s+(.+)$", c)
            )
            if c not in self.tech and m:
                groups.setdefault(m.group(1).strip(), []).append((c, m.group(2).strip()))
        out = {}
        for prefix, members in groups.items():
            marks = (
                TRUE_MARKS | FALSE_MARKS | (NO_ANSWER_MARKS if self.fmt == "limesurvey" else set())
            )
            binary = [
                (c, o)
                for c, o in members
                if {normalize_label(v) for v in self.frame[c].unique()} <= marks
            ]
            ticked = any(
                normalize_label(v) in TRUE_MARKS - {""}
                for c, _ in binary
                for v in self.frame[c].unique()
            )
            if len(members) >= 2 and binary and ticked:
                out.update({c: (prefix, o) for c, o in binary})
        return out

    def question(self, name: str) -> _Question:
        values = self.frame[name].str.strip()
        nonempty = values[values != ""]
        counts = nonempty.value_counts()
        head, taken = loose_key(name), self.ids
        q = _Question(name, "", "ignore")
        words = len(name.split())
        if words >= 3:
            m = re.search(r"\[([^\]]+)\]$", name)
            statement = m.group(1) if m and len(m.group(1).split()) >= 3 else _unnumbered(name)
            q.keys.append(("texte", _q(statement)))
        if nonempty.empty:
            q.id, q.notes = _slug(name, taken), ["colonne vide dans cet export : ignorée"]
            return q
        if PERSONAL_HEAD.search(head) or nonempty.str.contains("@", regex=False).mean() > 0.5:
            q.id, q.notes = (
                _slug(name, taken),
                ["données personnelles probables : colonne ignorée (jamais publiée)"],
            )
            return q
        lengths = nonempty.str.len()
        distinct = len(counts)
        long_text = distinct >= max(3, 0.5 * len(nonempty)) and (
            lengths.mean() >= 25 or lengths.max() >= 60
        )
        rules = load_profile_rules()
        profile_of = {v: classify_profile(v, rules) for v in counts.index}
        known = nonempty.map(lambda v: profile_of[v] not in (None, "autre", "non_renseigne")).mean()
        if (
            not self.has_profil
            and not long_text
            and distinct <= 30
            and (PROFIL_HEAD.search(head) or known >= 0.6)
        ):
            self.has_profil = True
            q.id, q.type = "profil", "profil"
            unknown = [v for v in counts.index if profile_of[v] is None]
            if unknown:
                q.keys.append(("synonymes", _flow_map(dict.fromkeys(unknown, "autre"))))
                q.notes.append(
                    "libellés que les règles de profils (data/profils.yaml) ne reconnaissent pas, rangés en « autre » : "
                    "remplacez « autre » par le bon profil (elu, association, …) ou ajoutez une règle dans sources.profils"
                )
            return q
        if (
            not self.has_territoire
            and not long_text
            and distinct <= 30
            and TERRITOIRE_HEAD.search(head)
        ):
            self.has_territoire = True
            q.id, q.type = "territoire", "territoire"
            return q
        q.id = _slug(re.sub(r"\[([^\]]+)\]", r"_\1", name) if words < 3 else name, taken)
        if (match := _match_template(counts)) is not None:
            return self._likert(q, head, match[0], match)
        if nonempty.str.fullmatch(r"-?\d+(\.0+)?").all():
            ints = sorted({int(float(v)) for v in counts.index})
            lo, hi = ints[0], ints[-1]
            if len(ints) >= 3 and lo >= 1 and hi <= 5:
                return self._likert(q, head, f"numerique_1_{max(hi, 4)}", None)
            if len(ints) >= 3 and lo == 0 and hi <= 10:
                return self._likert(q, head, "numerique_0_10", None)
            q.type = "choix"
            q.notes.append(
                f'codes numériques de {lo} à {hi} : donnez leurs libellés avec options: {{{lo}: "…"}} (ou type: ignore)'
            )
            return q
        digits = nonempty.str.split(", ", regex=False).explode().str.strip()
        if nonempty.str.contains(", ", regex=False).any() and digits.str.fullmatch(r"\d+").all():
            if digits.nunique() <= 25:
                q.type = "choix_multiple"
                q.keys.append(("separateur", _q(", ")))
                q.notes.append(
                    f'options codées {", ".join(sorted(set(digits), key=int))} : donnez leurs libellés avec options: {{1: "…"}}'
                )
                return q
        elif nonempty.str.contains(", ", regex=False).any() and not long_text:
            options, unexplained = justified_options(counts)
            if options:
                q.type = "choix_multiple"
                q.keys.append(("separateur", _q(", ")))
                q.keys.append(("options", _flow_map({o: _q(o) for o in options})))
                why = (
                    f"options retenues : les réponses entières qui reviennent ({len(options)}) ; "
                    "une option peut contenir une virgule, aucune n'a été inventée en coupant les réponses"
                )
                q.notes.append(why)
                if unexplained:
                    shown = ", ".join(f"« {v} »" for v in unexplained[:5])
                    more = " …" if len(unexplained) > 5 else ""
                    q.notes.append(
                        f"{fmt_count(len(unexplained), 'réponse')} que ces options n'expliquent pas : {shown}{more} "
                        "— ajoutez les options manquantes (libellé exact), sinon ces cellules seront signalées"
                    )
                return q
        spaced = nonempty.str.split().explode()
        if (
            self.fmt == "kobo"
            and nonempty.str.contains(" ").any()
            and spaced.str.fullmatch(r"[\w-]+").all()
            and spaced.nunique() <= 25
        ):
            q.type = "choix_multiple"
            q.keys.append(("separateur", _q(" ")))
            return q
        texty = long_text or distinct > 20 or lengths.mean() >= 25 or bool(TEXT_HEAD.search(head))
        q.type = "texte" if texty else "choix"
        if q.type == "texte" and not long_text and not TEXT_HEAD.search(head):
            q.notes.append(
                "texte libre ou choix parmi quelques réponses ? (peu de réponses différentes)"
            )
        elif q.type == "choix" and distinct > 10:
            q.notes.append(f"{distinct} valeurs différentes : choix ou texte libre ?")
        elif q.type == "choix" and distinct >= 3 and nonempty.str.fullmatch(r"[a-z0-9_]+").all():
            q.notes.append(
                "réponses codées (noms Kobo ?) : si c'est une échelle ordonnée, déclarez-la dans"
                " « echelles » avec codes: {nom: libellé} et mettez type: likert"
            )
        return q

    def _likert(self, q: _Question, head: str, scale: str, match: tuple | None) -> _Question:
        q.type = "likert"
        pooled = self.scales.setdefault(
            scale, {"levels": {}, "hors": {}, "unknown": {}, "template": match is not None}
        )
        if match:
            for level, variants in match[1].items():
                for v, n in variants.items():
                    pooled["levels"].setdefault(level, {})[v] = (
                        pooled["levels"].get(level, {}).get(v, 0) + n
                    )
            for key in ("hors", "unknown"):
                for v, n in match[2 if key == "hors" else 3].items():
                    pooled[key][v] = pooled[key].get(v, 0) + n
        q.keys.append(("echelle", scale))
        dims = [d for d, rx in DIMENSION_WORDS.items() if re.search(rx, head)]
        if len(dims) == 1:
            q.keys.append(("dimension", dims[0]))
            q.notes.append(f"dimension « {dims[0]} » devinée d'après l'intitulé")
        else:
            q.eol["echelle"] = f"dimension : {' | '.join(DIMENSIONS)} (à choisir, ou rien)"
        if not match:
            msg = f"codes lus comme une échelle ordonnée ({scale}) : si ce sont des catégories, mettez type: choix"
            q.notes.append(msg)
        q.keys.append(("inverse", False))
        return q

    def scale_node(self, name: str) -> tuple[CommentedMap, list[str]]:
        """The scale's YAML mapping and its « À vérifier » notes."""
        pooled, notes = self.scales[name], []
        if not pooled["template"]:
            lo, hi = (int(x) for x in name.split("_")[1:])
            labels = [str(i) for i in range(lo, hi + 1)]
            notes.append(
                f"échelle numérique {lo}–{hi} sans libellés ; si {lo} est la réponse la plus favorable"
                f" (ex. {lo} = « Tout à fait d'accord »), inversez l'ordre des libellés ou mettez inverse: true"
            )
            synonyms, hors = {}, []
        else:
            levels = TEMPLATES[name].copy()
            k, seen = len(levels), pooled["levels"]
            middle = k // 2 if k % 2 else None
            labels, synonyms = [], {}
            for i, level in enumerate(levels):
                if i not in seen:
                    if i == middle:
                        notes.append(
                            f"niveau neutre « {level.split('|')[0]} » jamais choisi : retiré (échelle paire ?)"
                        )
                        continue
                    notes.append(
                        f"niveau « {level.split('|')[0]} » jamais choisi : ajouté d'après le modèle"
                    )
                    labels.append(level.split("|")[0])
                    continue
                ranked = sorted(seen[i], key=lambda v: -seen[i][v])
                labels.append(ranked[0])
                synonyms.update({v: ranked[0] for v in ranked[1:]})
            hors = list(pooled["hors"])
            if pooled["unknown"]:
                shown = ", ".join(f"« {v} »" for v in list(pooled["unknown"])[:8])
                notes.append(
                    f"libellés non reconnus (ajoutez-les aux synonymes ou à hors_echelle) : {shown}"
                )
            notes.append("libellés rangés du plus défavorable au plus favorable : vérifiez l'ordre")
        node = CommentedMap()
        node["libelles"] = _flow(labels)
        if hors:
            node["hors_echelle"] = _flow(hors)
        if synonyms:
            node["synonymes"] = _flow_map({a: _q(b) for a, b in synonyms.items()})
        return node, notes


def dump_yaml(node: CommentedMap) -> str:
    """YAML text of a draft with ruamel.yaml (round-trip: the « # À vérifier » comments are
    attached to their keys, so a tool that edits the draft with ruamel.yaml keeps them)."""
    writer = YAML()
    writer.width = 4096  # one line per value: the notes name their line
    writer.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    writer.dump(node, buffer)
    return buffer.getvalue()


def draft(path: str | Path, sheet: str | int | None = None) -> str:
    """YAML text of a draft codebook for an export (validated before being returned)."""
    raw = read_table(path, sheet)
    shifted = [line for _, line, _ in raw.misaligned]
    frame = raw.frame.drop(index=[i for i, _, _ in raw.misaligned]) if shifted else raw.frame
    cols = list(frame.columns)
    fmt = detect_format(cols)
    tech = technical_columns(fmt, cols) | {c for c in meta_columns(fmt, cols).values() if c}
    d = _Drafter(frame, fmt, tech)
    families = d.families()
    prefixes = {p for p, _ in families.values()}
    questions: list[_Question] = []
    family_ids = {p: _slug(p, d.ids) for p in dict.fromkeys(p for p, _ in families.values())}
    for c in cols:
        if c in tech:
            continue
        if c in families:
            prefix, option = families[c]
            q = _Question(c, family_ids[prefix], "choix_multiple", [("option", _q(option))])
            if not any(x.id == q.id for x in questions):
                members = [o for p, o in families.values() if p == prefix]
                na = (
                    " ; « N/A » (LimeSurvey) y compte comme sans réponse"
                    if fmt == "limesurvey"
                    else ""
                )
                q.notes.append(
                    f"une colonne par option ({len(members)} colonnes « {prefix} […] ») lues comme "
                    f"une seule question à choix multiple, une case cochée par Oui/1/X{na}"
                )
            if len(prefix.split()) >= 3 and not any(x.id == q.id for x in questions):
                q.keys.append(("texte", _q(_unnumbered(prefix))))
            if re.fullmatch(r"[A-Za-z]{0,3}\d+|[a-z0-9_]+", option):
                q.notes.append(
                    f"« {option} » est un code : remplacez-le par le libellé de l'option"
                )
            questions.append(q)
        elif c in prefixes:
            questions.append(
                _Question(
                    c,
                    _slug(c, d.ids),
                    "ignore",
                    notes=[f"doublon des colonnes « {c}/… » (une par option)"],
                )
            )
        else:
            questions.append(d.question(c))
    where = f", feuille « {raw.sheet} »" if raw.sheet else ""
    head = [
        f"Brouillon de codebook rédigé automatiquement depuis « {raw.path.name} »{where}",
        f"({len(frame)} lignes, {len(cols)} colonnes, format reconnu : {fmt}).",
        "Relisez chaque « À vérifier », corrigez, puis supprimez ces commentaires.",
    ]
    if tech:
        head.append(f"Colonnes techniques reconnues, non décrites ici : {', '.join(sorted(tech))}.")
    if shifted:
        shown = ", ".join(str(x) for x in shifted[:10]) + (" …" if len(shifted) > 10 else "")
        head.append(
            f"{TODO[2:]} {fmt_count(len(shifted), 'ligne ignorée', 'lignes ignorées')} au nombre de champs "
            f"différent de l'en-tête ({plural(len(shifted), 'ligne', 'lignes')} {shown}) : guillemet non fermé "
            "ou séparateur en trop ?"
        )
    if d.scales:
        head.append(
            f"{TODO[2:]} items inversés (être d'accord = défavorable) impossibles à deviner : mettez inverse: true."
        )
    root = CommentedMap(version=1, format=fmt, incompletes="exclure")
    root.yaml_set_start_comment("\n".join(head))
    scales = CommentedMap()
    for name in d.scales:
        node, notes = d.scale_node(name)
        scales[name] = node
        if notes:
            node.yaml_set_comment_before_after_key(
                "libelles", before="\n".join(f"{TODO[2:]} {n}" for n in notes), indent=4
            )
    root["echelles"] = scales
    items = CommentedSeq()
    seen_ids: set[str] = set()
    for q in questions:
        item = CommentedMap(colonne=_q(q.colonne), id=q.id, type=q.type)
        if q.type != "ignore" and q.id not in seen_ids and not any(k == "texte" for k, _ in q.keys):
            q.keys.append(("texte", _q("")))
            q.eol.setdefault("texte", "à compléter : intitulé de la question")
        seen_ids.add(q.id)
        for key, value in q.keys:
            item[key] = value
        for key, comment in q.eol.items():
            if key in item:
                item.yaml_add_eol_comment(comment, key)
        items.append(item)
        if q.notes:
            items.yaml_set_comment_before_after_key(
                len(items) - 1, before="\n".join(f"{TODO[2:]} {n}" for n in q.notes), indent=2
            )
    root["questions"] = items
    root.yaml_set_comment_before_after_key("echelles", before="\n")
    root.yaml_set_comment_before_after_key("questions", before="\n")
    text = dump_yaml(root)
    parse_codebook(text, f"brouillon pour {raw.path.name}")
    return text


def draft_codebook(path: str | Path, sheet: str | int | None = None) -> str:
    """YAML text of a draft codebook for an export (every guess marked « À vérifier »).

    Same as :func:`draft`; raises :class:`~rencontres_lib.errors.SourceError` on an unreadable
    export and :class:`~rencontres_lib.errors.ConfigError` if the draft does not validate.
    """
    return draft(path, sheet)


def write_draft(path: str | Path, out: str | Path, sheet: str | int | None = None) -> Path:
    """Write :func:`draft_codebook` to ``out``; refuse to overwrite an existing file."""
    out = Path(out)
    if out.exists():
        raise ConfigError(
            "le fichier de sortie existe déjà : il n'est jamais écrasé.",
            file=out,
            hint="Choisissez un autre nom avec -o, ou supprimez d'abord l'ancien brouillon.",
        )
    text = draft_codebook(path, sheet)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
