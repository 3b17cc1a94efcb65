"""The ``rencontres`` command: build, check, codebook, audit, new (messages in French)."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import os
import re
import sys
import tempfile
import traceback
from pathlib import Path

from tqdm import tqdm

from . import __version__
from .errors import RencontresError
from .formats import fmt_count

DESCRIPTION = """Rapports des rencontres territoriales de l'ICPC (participation citoyenne, 2026).

Commandes :
  build      construit tous les rapports HTML dans reports/ (un par territoire + la synthèse)
  check      vérifie les paramètres et les fichiers sources d'une rencontre
  codebook   propose un codebook (YAML) à partir d'un export de questionnaire
  audit      cherche des données personnelles ou des ressources externes dans les rapports
  new        crée le fichier de paramètres d'un nouveau territoire
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rencontres",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"rencontres {__version__}")
    p.add_argument(
        "--racine",
        type=Path,
        default=None,
        help="racine du projet (par défaut : détectée depuis le dossier courant)",
    )
    sub = p.add_subparsers(dest="commande", metavar="COMMANDE")

    b = sub.add_parser(
        "build",
        help="construire tous les rapports",
        description="Exécute un carnet par fichier parameters/*.yaml, puis la synthèse, publie le HTML dans reports/ et lance l'audit.",
    )
    b.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        help="carnets exécutés en parallèle (par défaut : nombre de cœurs)",
    )
    b.add_argument(
        "--force", action="store_true", help="tout reconstruire, même ce qui n'a pas changé"
    )
    b.add_argument(
        "--autonome",
        action="store_true",
        help="inclure plotly.js dans chaque page (fichiers autonomes, plus lourds)",
    )
    b.add_argument(
        "--publication",
        action="store_true",
        help="version pour le site : les textes manquants de l'équipe organisatrice ne laissent pas de "
        "marque « À rédiger » (par défaut : brouillon)",
    )
    b.add_argument(
        "--sans-documents",
        action="store_true",
        help="pages HTML et tableaux seulement : ni DOCX/ODT, ni diaporamas, ni PDF des feuilles"
        " d'émargement (un « rencontres build » ensuite les ajoute sans réexécuter les carnets)",
    )
    b.add_argument(
        "--sans-audit",
        action="store_true",
        help="ne pas lancer l'audit de confidentialité à la fin",
    )
    b.add_argument(
        "--cluster",
        metavar="ADRESSE",
        default=None,
        help="exécuter les carnets sur une grappe Dask (adresse du planificateur, ex."
        " tcp://10.0.0.5:8786) ; les machines doivent voir le projet au même chemin",
    )

    c = sub.add_parser(
        "check",
        help="vérifier une rencontre",
        description="Charge toutes les sources d'une rencontre et affiche les constats par source. Code de sortie 1 en cas d'erreur.",
    )
    c.add_argument(
        "parametres",
        type=Path,
        nargs="+",
        help="un ou plusieurs fichiers parameters/<territoire>.yaml",
    )

    k = sub.add_parser(
        "codebook",
        help="proposer un codebook",
        description="Rédige un brouillon de codebook YAML à partir d'un export (CSV, XLSX, ODS). Les décisions incertaines sont marquées « # À vérifier ».",
    )
    k.add_argument("fichier", type=Path, help="export du questionnaire")
    k.add_argument(
        "-o",
        "--sortie",
        type=Path,
        default=None,
        help="fichier YAML à écrire (par défaut : affiché à l'écran)",
    )
    k.add_argument("--feuille", default=None, help="nom de la feuille (XLSX/ODS)")

    a = sub.add_parser(
        "audit",
        help="auditer les rapports publiés",
        description="Lit tous les fichiers publiés (HTML, CSV, XLSX, PDF, DOCX…) et cherche courriels, téléphones, noms de personnes inscrites, scripts et gestionnaires d'événements non prévus, cadres, redirections, ressources externes et effectifs sous le seuil ; les noms d'autres personnes et les adresses sont des avertissements. Code de sortie 1 si une erreur est trouvée.",
    )
    a.add_argument(
        "chemins", type=Path, nargs="*", help="fichiers ou dossiers (par défaut : reports/)"
    )

    n = sub.add_parser(
        "new",
        help="créer un territoire",
        description="Écrit parameters/<slug>.yaml avec chaque clé commentée. Demande les valeurs au terminal, ou les prend en options (sans terminal, ne pose aucune question).",
    )
    n.add_argument(
        "slug", help="identifiant du territoire (minuscules, chiffres, tirets), ex. « rennes »"
    )
    n.add_argument("--territoire", help="nom affiché, ex. « Rennes Métropole »")
    n.add_argument("--date", help="date de la rencontre, AAAA-MM-JJ")
    n.add_argument("--lieu", help="lieu de la rencontre")
    n.add_argument("--capacite", type=int, help="nombre de places")
    n.add_argument(
        "--phase",
        choices=["cadrage", "compte_rendu"],
        default=None,
        help="cadrage (avant) ou compte_rendu (après)",
    )
    n.add_argument(
        "--filtre",
        help="valeur de la colonne territoire du questionnaire (par défaut : le nom affiché)",
    )
    for src in (
        "questionnaire",
        "codebook",
        "inscriptions",
        "entretiens",
        "entretiens-attributs",
        "contributions",
        "evaluation",
    ):
        n.add_argument(
            f"--{src}",
            help=f"chemin du fichier {'d’évaluation (facultatif, après la rencontre)' if src == 'evaluation' else src.replace('-', ' ')} (relatif à la racine du projet)",
        )
    return p


def main(argv: list[str] | None = None) -> int:
    from .config import use_project_root

    parser = _parser()
    args = parser.parse_args(argv)
    if args.racine:
        use_project_root(args.racine)
    if not args.commande:
        parser.print_help()
        return 2
    try:
        return {
            "build": cmd_build,
            "check": cmd_check,
            "codebook": cmd_codebook,
            "audit": cmd_audit,
            "new": cmd_new,
        }[args.commande](args)
    except RencontresError as exc:
        print(f"Erreur : {exc.french()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "\nInterrompu : les fichiers publiés sont restés dans leur version précédente ou nouvelle, jamais à moitié écrits.",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: never a traceback on screen
        journal = _write_traceback(args)
        where = (
            f"Le détail technique est dans « {journal} » (privé, hors dépôt) : joignez-le à"
            " votre signalement."
            if journal
            else "Le détail technique n'a pas pu être enregistré."
        )
        print(
            f"Erreur inattendue ({type(exc).__name__}) pendant « rencontres {args.commande} ». {where}",
            file=sys.stderr,
        )
        return 1


def _write_traceback(args) -> Path | None:
    """Save the current exception's traceback under the git-ignored prive/journaux/."""
    from .config import project_root

    text = traceback.format_exc()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"erreur-{stamp}-{os.getpid()}.log"
    for folder in (project_root() / "prive" / "journaux", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f"rencontres {__version__} — commande : {args.commande}\n{text}")
            return path
        except OSError:
            continue
    return None


def cmd_build(args) -> int:
    from .config import project_root
    from .service import start_for_build

    # spaCy starts loading in the text-analysis service before the build's own imports
    analyser = start_for_build(
        project_root(), jobs=args.jobs, force=args.force, cluster=args.cluster
    )
    from .build import build

    gc.freeze()  # the imported modules stay: the build's collections no longer scan them
    _progress_on_screen()
    report = build(
        analyser=analyser,
        jobs=args.jobs,
        force=args.force,
        autonome=args.autonome,
        audit=not args.sans_audit,
        publication=args.publication,
        documents=not args.sans_documents,
        cluster=args.cluster,
        log=None,  # progress lines come through the rencontres_lib loggers
    )
    secs = f"{report.seconds:.1f}".replace(".", ",")
    print(
        f"{fmt_count(report.executed, 'carnet exécuté', 'carnets exécutés')}, "
        f"{fmt_count(len(report.outcomes) - report.executed - len(report.failures), 'réutilisé')}, en {secs} s."
    )
    if report.failures:
        print(f"{fmt_count(len(report.failures), 'rapport')} en échec :", file=sys.stderr)
        for o in report.failures:
            print(f"  - {o.title} : {o.detail or o.error}", file=sys.stderr)
    if report.audit_hits:
        print(
            f"L'audit de confidentialité a trouvé {fmt_count(report.audit_hits, 'problème')} : ne publiez pas ces rapports.",
            file=sys.stderr,
        )
    if report.exit_code == 0:
        print("Rapports à jour dans reports/ (ouvrir reports/index.html).")
    return report.exit_code


class _ProgressHandler(logging.Handler):
    """The library's progress lines on standard output through ``tqdm.write``, under one tqdm
    bar over the notebooks when the output is a terminal (records carrying ``done``/``total``,
    see ``build._sayer``); plain lines otherwise (pipes, logs, tests)."""

    _rencontres = True

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))
        self.bar: tqdm | None = None

    def emit(self, record: logging.LogRecord) -> None:
        done, total = getattr(record, "done", None), getattr(record, "total", None)
        if total and self.bar is None and sys.stdout.isatty():
            self.bar = tqdm(total=total, unit="carnet", leave=False, file=sys.stdout)
        tqdm.write(self.format(record), file=sys.stdout)
        if self.bar is not None and done:
            self.bar.update(done - self.bar.n)
            if done >= self.bar.total:
                self.bar.close()
                self.bar = None


def _progress_on_screen() -> None:
    """Show the library's progress lines (French, one per notebook) on standard output."""
    lib = logging.getLogger("rencontres_lib")
    if not any(getattr(h, "_rencontres", False) for h in lib.handlers):
        lib.addHandler(_ProgressHandler())
    lib.setLevel(logging.INFO)


def cmd_check(args) -> int:
    from .config import load_parameters
    from .rencontre import load_rencontre

    worst = warned = 0
    for path in args.parametres:
        try:
            params = load_parameters(path)
        except RencontresError as exc:
            print(f"✗ {path} : {_masked(exc.french())}")
            worst = 1
            continue
        print(f"Rencontre « {params.territoire} » ({path})")
        r = load_rencontre(params)
        names = r.names
        for kind, res in r.results.items():
            findings = res.findings + _territory_findings(kind, res, params)
            errors = sum(f.level == "erreur" for f in findings)
            warns = sum(f.level == "avertissement" for f in findings)
            mark = "✗" if errors else "✓"
            print(
                f"  {mark} {kind} — {Path(res.source).name} : {fmt_count(res.rows_read, 'ligne lue', 'lignes lues')}, "
                f"{fmt_count(res.rows_used, 'utilisée')}, {fmt_count(res.rows_rejected, 'rejetée')} ; "
                f"{fmt_count(errors, 'erreur')}, {fmt_count(warns, 'avertissement')}"
            )
            for f in findings:
                print(f"      {_masked(f.french(), names)}")
            if errors:
                worst = 1
            warned += warns
        for kind, msg in r.failures.items():
            print(f"  ✗ {kind} : {_masked(str(msg), names)}")
        if r.has_errors():
            worst = 1
    print(
        "Résultat : utilisable."
        if worst == 0
        else "Résultat : des erreurs empêchent de construire le rapport (voir ci-dessus)."
    )
    if warned:
        print(
            f"{fmt_count(warned, 'avertissement')} : des lignes ou des valeurs ont été écartées ou ignorées ; "
            "lisez-les ci-dessus avant de publier."
        )
    return worst


_QUOTED = re.compile(r"«[\s\u00a0\u202f]*(.*?)[\s\u00a0\u202f]*»", re.S)


def _masked(text: str, names=None) -> str:
    """A message with every value quoted « … » scrubbed (:func:`privacy.scrub_text`: e-mails,
    phones, addresses, links, registrants' names from ``names``, other people's names): the
    terminal may be shared or pasted into a ticket, a cell may hold a name or a phone."""
    from .privacy import scrub_text

    def one(m: re.Match) -> str:
        value = m.group(1)
        clean = scrub_text(value, names, max_chars=None) if value else value
        return m.group(0).replace(value, clean, 1) if clean != value else m.group(0)

    return _QUOTED.sub(one, text)


def _territory_findings(kind: str, res, params) -> list:
    """Near matches of ``filtre.territoire`` in a shared source (questionnaire, entretiens);
    nothing when the loading step already reported them."""
    from .referentiels import territory_matches

    filtre = params.filtre_territoire
    if not filtre or any("filtre.territoire" in f.message for f in res.findings):
        return []
    if kind == "questionnaire" and "respondents" in res.extra:
        values = res.extra["respondents"]["territoire"]
        column = res.extra.get("colonne_territoire")
    elif kind == "entretiens" and "territoire" in res.table:
        values, column = res.table["territoire"], None
    else:
        return []
    return territory_matches(values, filtre, file=Path(res.source).name, column=column)


def cmd_codebook(args) -> int:
    from .codebook_draft import draft_codebook, write_draft

    if args.sortie:
        out = write_draft(args.fichier, args.sortie, sheet=args.feuille)
        print(
            f"Brouillon écrit dans {out}. Relisez les lignes « # À vérifier », puis indiquez-le dans parameters/<territoire>.yaml (sources.codebook)."
        )
    else:
        print(draft_codebook(args.fichier, sheet=args.feuille))
    return 0


def cmd_audit(args) -> int:
    from .audit import main_audit
    from .build import registrant_names
    from .config import project_root

    root = project_root()
    paths = args.chemins or [root / "reports"]
    return main_audit(paths, names=registrant_names(root), root=root)


def cmd_new(args) -> int:
    from .nouveau import create_parameters

    path = create_parameters(args, interactive=sys.stdin.isatty())
    print(f"Fichier créé : {path}")
    print(
        f"Ensuite : complétez les chemins des sources, puis lancez « rencontres check {path} » et « rencontres build »."
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
