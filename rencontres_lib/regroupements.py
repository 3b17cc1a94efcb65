"""The organiser's grouping of proposals: ``parameters/synthese/regroupements.yaml``, merged.

It lives in a sub-folder: every ``parameters/*.yaml`` is a territory's parameters file.

The file lists every consolidated idea (``groupes``: ``id``, ``libelle``, optional
``formulation``, ``propositions`` as keys ``<slug>:<proposition id>``), the proposals added
automatically since the organiser last looked (``a_verifier``) and, regenerated at every
build, each proposal's closest candidates (``proches``).

Rules (:func:`merge_review_file`):

* the file wins: a proposal already listed stays in the group where the file puts it, with
  the group's ``libelle`` and ``formulation`` as written — so merging (moving keys into one
  group), splitting (a new group with some keys), renaming and setting the wording are kept
  across rebuilds;
* a proposal not yet in the file joins the file group of its most similar already-listed
  member of its automatic group (:mod:`rencontres_lib.consolidation`); without one, it forms a
  new group with the other new members of its automatic group, or alone; once the file
  exists, every such proposal is added to ``a_verifier`` (the organiser removes it after
  review);
* keys of proposals absent from this build (a territory that failed, a proposal withdrawn)
  stay in the file, unused;
* the file is read and written with ruamel.yaml (round trip): the organiser's comments and
  order are kept; it is rewritten only when its content changes, atomically. An unreadable
  file is never rewritten: the automatic groups are used and a warning is returned.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .consolidation import Consolidation
from .exports import atomic_write_text, fmt_float
from .formats import fmt_count

FILE_NAME = "regroupements.yaml"
RELATIVE_PATH = Path("parameters") / "synthese" / FILE_NAME  # from the project root
HEADER = """\
Regroupements des propositions d'ateliers — fichier de l'équipe organisatrice.

Rencontres l'écrit à la construction de la synthèse et le relit à chaque construction : vos
choix l'emportent toujours sur le regroupement automatique et ne sont jamais écrasés.

Chaque groupe est une idée de la synthèse :
  id           identifiant de l'idée (colonne « groupe » de synthese_propositions.csv) ;
  libelle      titre court de l'idée dans la synthèse (modifiable : renommer) ;
  formulation  la proposition telle que le rapport la formule (à rédiger ; facultatif) ;
  propositions les propositions regroupées, « territoire:identifiant » (le commentaire
               donne leur titre, leur territoire et leurs soutiens).

- Fusionner deux groupes : déplacez les propositions de l'un dans l'autre, puis supprimez
  le groupe vidé.
- Séparer : créez un groupe (nouvel id, par exemple idee-900) et déplacez-y des propositions.
- Renommer : changez « libelle » ; fixer la formulation : remplissez « formulation ».
- a_verifier : propositions nouvelles placées automatiquement ; vérifiez leur groupe (voir
  « proches »), puis retirez-les de cette liste.
- proches : pour chaque proposition, les trois propositions les plus proches (similarité de
  0 à 1) ; cette partie est réécrite à chaque construction, ne la modifiez pas.
"""


@dataclass
class Review:
    """Outcome of :func:`merge_review_file`.

    ``groupe``: idea id of each input row (aligned on the proposals frame); ``ideas``: one
    row per idea used by this build (``groupe, libelle, formulation``); ``to_review``: keys
    listed in ``a_verifier``; ``warnings``: French messages; ``written``: whether the file
    was (re)written.
    """

    groupe: list[str]
    ideas: pd.DataFrame
    to_review: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    written: bool = False


def proposal_key(slug: Any, proposition_id: Any, position: int) -> str:
    """``<slug>:<id>``; without an id, ``<slug>:ligne-<position + 1>``."""
    pid = "" if proposition_id is None or pd.isna(proposition_id) else str(proposition_id).strip()
    if pid.endswith(".0") and pid[:-2].isdigit():
        pid = pid[:-2]
    return f"{slug}:{pid or f'ligne-{position + 1}'}"


def _yaml():
    from ruamel.yaml import YAML

    y = YAML()
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _label(row: pd.Series) -> str:
    support = row.get("soutiens")
    n = "" if support is None or pd.isna(support) else f", {fmt_count(int(support), 'soutien')}"
    return f"{row['titre']} ({row['territoire']}{n})"


def merge_review_file(
    path: str | Path, props: pd.DataFrame, cons: Consolidation, *, write: bool = True
) -> Review:
    """Merge the automatic grouping of ``props`` into the organiser's file at ``path``.

    ``props``: one row per proposal, columns ``cle`` (unique key, see :func:`proposal_key`),
    ``titre``, ``territoire``, ``soutiens``; ``cons`` comes from
    :func:`~rencontres_lib.consolidation.consolidate` on the same rows. See the module
    docstring for the rules. Never raises on a bad file: warnings say what was ignored.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    p = Path(path)
    keys = [str(k) for k in props["cle"]]
    position = {k: i for i, k in enumerate(keys)}
    warnings: list[str] = []
    y = _yaml()
    data: Any = None
    existed = p.is_file()
    broken = False
    if existed:
        try:
            data = y.load(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, YAMLError) as exc:
            broken = True
            warnings.append(
                f"Le fichier « {p.name} » est illisible ({type(exc).__name__}) : le "
                "regroupement automatique est utilisé, le fichier n'est pas modifié."
            )
        if not broken and not (data is None or isinstance(data, dict)):
            broken = True
            warnings.append(f"Le fichier « {p.name} » n'a pas la forme attendue : ignoré.")
    if data is None or broken:
        data = CommentedMap()
        data.yaml_set_start_comment(HEADER)
    groups = data.get("groupes")
    if not isinstance(groups, list):
        if groups is not None:
            warnings.append(f"« groupes » doit être une liste dans « {p.name} » : ignoré.")
        groups = CommentedSeq()
        data["groupes"] = groups
    review = data.get("a_verifier")
    if not isinstance(review, list):
        review = CommentedSeq()
        data["a_verifier"] = review

    # what the file says
    group_of: dict[str, str] = {}
    entries: dict[str, Any] = {}
    for n, g in enumerate(groups, start=1):
        if not isinstance(g, dict) or not str(g.get("id") or "").strip():
            warnings.append(f"« {p.name} », groupe n° {n} sans « id » : ignoré.")
            continue
        gid = str(g["id"]).strip()
        if gid in entries:
            warnings.append(
                f"« {p.name} » : l'id « {gid} » apparaît deux fois ; seul le premier compte."
            )
            continue
        entries[gid] = g
        members = g.get("propositions")
        if not isinstance(members, list):
            members = CommentedSeq()
            g["propositions"] = members
        for k in members:
            k = str(k).strip()
            if k in group_of and group_of[k] != gid:
                warnings.append(
                    f"« {p.name} » : la proposition « {k} » est dans « {group_of[k]} » et "
                    f"dans « {gid} » ; seul le premier groupe compte."
                )
                continue
            group_of[k] = gid

    # new proposals
    numbers = [int(g[5:]) for g in entries if g.startswith("idee-") and g[5:].isdigit()]
    next_number = max(numbers, default=0) + 1
    auto = cons.groupe
    new = [k for k in keys if k not in group_of]
    by_auto: dict[int, list[str]] = {}
    for k in new:
        by_auto.setdefault(int(auto[position[k]]), []).append(k)
    support = pd.to_numeric(props["soutiens"], errors="coerce").fillna(0).to_numpy()
    created: list[tuple[Any, list[str]]] = []
    for a, members in by_auto.items():
        known = [k for k in keys if int(auto[position[k]]) == a and k in group_of]
        if known:
            for k in members:
                best = max(known, key=lambda m: cons.similarity[position[k], position[m]])
                gid = group_of[best]
                if entries[gid].fa.flow_style():  # a one-proposal group grows: block style
                    entries[gid].fa.set_block_style()
                    entries[gid]["propositions"].fa.set_block_style()
                entries[gid]["propositions"].append(k)
                _comment(entries[gid]["propositions"], props.iloc[position[k]])
                group_of[k] = gid
        else:
            lead = max(members, key=lambda m: (support[position[m]], -position[m]))
            g = CommentedMap()
            g["id"] = ""
            g["libelle"] = str(props.iloc[position[lead]]["titre"])
            if len(members) > 1:
                g["formulation"] = ""
            g["propositions"] = CommentedSeq(members)
            created.append((g, members))
    created.sort(key=lambda c: (-len(c[1]), -support[[position[m] for m in c[1]]].sum()))
    for g, members in created:
        gid = f"idee-{next_number:02d}"
        next_number += 1
        g["id"] = gid
        if len(members) == 1:
            g.fa.set_flow_style()
        else:
            for i in range(len(members)):
                _comment(g["propositions"], props.iloc[position[members[i]]], i)
        groups.append(g)
        entries[gid] = g
        for k in members:
            group_of[k] = gid
    if existed and not broken:
        listed = {str(k) for k in review}
        review.extend(k for k in new if k not in listed)
    to_review = {str(k) for k in review}

    # closest candidates, regenerated
    close = CommentedMap()
    for i, k in enumerate(keys):
        close[k] = CommentedSeq(
            f"{keys[j]} — {props.iloc[j]['titre']} ({fmt_float(s, 2)}, {group_of[keys[j]]})"
            for j, s in cons.suggestions[i]
        )
    data["proches"] = close

    written = False
    if write and not broken:
        buf = io.StringIO()
        y.dump(data, buf)
        text = buf.getvalue()
        old = p.read_text(encoding="utf-8") if existed else None
        if text != old:
            p.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(p, text)
            written = True

    used = list(dict.fromkeys(group_of[k] for k in keys))
    ideas = pd.DataFrame(
        [
            {
                "groupe": gid,
                "libelle": str(entries[gid].get("libelle") or "").strip(),
                "formulation": str(entries[gid].get("formulation") or "").strip(),
            }
            for gid in used
        ],
        columns=["groupe", "libelle", "formulation"],
    )
    return Review([group_of[k] for k in keys], ideas, to_review, warnings, written)


def _comment(seq: Any, row: pd.Series, index: int | None = None) -> None:
    i = len(seq) - 1 if index is None else index
    if hasattr(seq, "yaml_add_eol_comment") and not seq.fa.flow_style():
        seq.yaml_add_eol_comment(f"# {_label(row)}", i)


def automatic_ideas(props: pd.DataFrame, cons: Consolidation) -> Review:
    """The automatic grouping alone (no file), with ids ``idee-NN`` as :func:`merge_review_file`."""
    return merge_review_file(Path("/nonexistent") / FILE_NAME, props, cons, write=False)
