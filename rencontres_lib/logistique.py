"""Meeting logistics: private outputs only, written under the git-ignored ``prive/<slug>/``.

- the sign-in sheet (feuille d'émargement): printable A4 HTML (+ PDF through Chromium when
  present), alphabetical, with a blank page for walk-ins;
- the waitlist split (who is in, who waits, by registration date);
- the partners' contact export of consenting registrants (CSV, formula-safe);
- name badges: printable A4 sheets of 10 badges (90 × 54 mm, dashed cutting lines) with name,
  structure and profile, plus one sheet of blank badges for walk-ins (HTML + PDF).

After the meeting, the sign-in sheet exported as CSV with a « Présence » column is read back by
the generic registrations loader as the attendance source.
"""

from __future__ import annotations

import html
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from . import PROFILS, metrics
from .documents import chromium
from .exports import atomic_write_text, fmt_date_long, write_csv
from .rencontre import Rencontre

SHEET_CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 10.5pt; color: #000; }
h1 { font-size: 15pt; margin: 0 0 2mm; } p.info { margin: 0 0 4mm; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 1px solid #444; padding: 2.2mm 2mm; text-align: left; vertical-align: middle; }
th { background: #eee; } td.signature { width: 38mm; }
tr { break-inside: avoid; page-break-inside: avoid; }
.saut { break-before: page; page-break-before: always; }
"""


def private_dir(r: Rencontre) -> Path:
    root = r.params.racine or Path.cwd()
    d = root / "prive" / r.params.slug
    d.mkdir(parents=True, exist_ok=True)
    return d


def registered_people(r: Rencontre) -> pd.DataFrame:
    """Non-cancelled registrations joined with their private fields, sorted by name (casefolded)."""
    active = metrics.active_registrations(r.inscriptions)
    people = active.merge(r.prive, on="participant_id", how="left", suffixes=("", "_prive"))
    for col in [c for c in people.columns if c.endswith("_prive")]:  # private outputs: as typed,
        base = col.removesuffix("_prive")  # not the scrubbed public copy
        people[base] = people[col].where(people[col].notna(), people[base])
    keys = people.assign(
        _k=people["nom"].fillna("").str.casefold(), _p=people["prenom"].fillna("").str.casefold()
    )
    return keys.sort_values(["_k", "_p"], kind="stable").drop(columns=["_k", "_p"])


def sign_in_table(r: Rencontre) -> pd.DataFrame:
    """Registered, non-cancelled people, alphabetical: nom, prénom, organisation, profil."""
    if r.inscriptions is None or r.prive is None:
        return pd.DataFrame(columns=["Nom", "Prénom", "Organisation", "Profil"])
    people = registered_people(r)
    return pd.DataFrame(
        {
            "Nom": people["nom"].fillna("").str.upper().to_numpy(),
            "Prénom": people["prenom"].fillna("").to_numpy(),
            "Organisation": people["organisation"].fillna("").to_numpy(),
            "Profil": people["profil"].map(PROFILS).fillna("").to_numpy(),
        }
    )


def attendance_sheet(r: Rencontre) -> pd.DataFrame:
    """The sign-in sheet as a registrations file to fill in after the meeting (« Présence »).

    Pointed to by ``sources.inscriptions`` once filled (présent / absent), it is read by the
    generic registrations loader as the attendance source: same people, same pseudonyms.
    """
    people = registered_people(r)
    consent = (
        people["consentement"].map({True: "Oui", False: "Non"}).fillna("")
        if "consentement" in people
        else ""
    )
    return pd.DataFrame(
        {
            "Nom": people["nom"].fillna("").to_numpy(),
            "Prénom": people["prenom"].fillna("").to_numpy(),
            "Courriel": people["email"].fillna("").to_numpy(),
            "Organisation": people["organisation"].fillna("").to_numpy(),
            "Profil": people["profil"].map(PROFILS).fillna("").to_numpy(),
            "Code postal": people["code_postal"].fillna("").to_numpy(),
            "Date d'inscription": people["date_inscription"]
            .dt.strftime("%d/%m/%Y %H:%M")
            .fillna("")
            .to_numpy(),
            "Consentement": consent.to_numpy() if hasattr(consent, "to_numpy") else consent,
            "Présence": "",
        }
    )


def sign_in_html(r: Rencontre, blank_lines: int = 20) -> str:
    table = sign_in_table(r)
    p = r.params
    head = (
        "<tr><th>Nom</th><th>Prénom</th><th>Organisation</th><th>Profil</th><th>Signature</th></tr>"
    )
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
        + '<td class="signature"></td></tr>'
        for row in table.itertuples(index=False)
    )
    blanks = "".join(
        "<tr>" + "<td>&nbsp;</td>" * 4 + '<td class="signature"></td></tr>'
        for _ in range(blank_lines)
    )
    title = f"Feuille d'émargement — {html.escape(p.territoire)}"
    info = f"{html.escape(fmt_date_long(p.date))}" + (f" — {html.escape(p.lieu)}" if p.lieu else "")
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title><style>{SHEET_CSS}</style></head>
<body><h1>{title}</h1><p class="info">{info} — {len(table)} personnes inscrites. Document confidentiel : ne pas publier.</p>
<table><thead>{head}</thead><tbody>{rows}</tbody></table>
<section class="saut"><h1>Personnes non inscrites</h1><p class="info">{info}</p>
<table><thead>{head}</thead><tbody>{blanks}</tbody></table></section></body></html>"""


BADGE_CSS = """
@page { size: A4; margin: 10mm; }
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; color: #000; margin: 0; }
.planche { display: grid; grid-template-columns: 90mm 90mm; grid-auto-rows: 54mm;
  gap: 0 8mm; justify-content: center; break-after: page; page-break-after: always; }
.planche:last-child { break-after: auto; page-break-after: auto; }
.badge { box-sizing: border-box; border: 0.3mm dashed #888; padding: 5mm 6mm;
  display: flex; flex-direction: column; overflow: hidden; break-inside: avoid; }
.prenom { font-size: 17pt; line-height: 1.1; } .nom { font-size: 19pt; font-weight: bold;
  line-height: 1.15; } .structure { font-size: 10.5pt; margin-top: 2mm; }
.profil { font-size: 9.5pt; margin-top: 1mm; color: #333; }
.rencontre { margin-top: auto; font-size: 8pt; color: #444; border-top: 0.3mm solid #0072B2;
  padding-top: 1.2mm; }
"""
BADGES_PER_SHEET = 10


def badges_html(r: Rencontre, blank: int = BADGES_PER_SHEET) -> str:
    """Printable A4 name badges (name, structure, profile) of the registered people, sorted by
    name, then ``blank`` empty badges for walk-ins; 10 badges of 90 × 54 mm per sheet.

    Private: written under ``prive/<slug>/`` only. Every value is HTML-escaped.
    """
    table = sign_in_table(r)
    p = r.params
    when = html.escape(f"{p.territoire} — {fmt_date_long(p.date)}")
    cards = [
        f'<div class="badge"><div class="prenom">{html.escape(str(prenom))}</div>'
        f'<div class="nom">{html.escape(str(nom))}</div>'
        f'<div class="structure">{html.escape(str(org))}</div>'
        f'<div class="profil">{html.escape(str(profil))}</div>'
        f'<div class="rencontre">{when}</div></div>'
        for nom, prenom, org, profil in table[["Nom", "Prénom", "Organisation", "Profil"]]
        .astype(str)
        .itertuples(index=False)
    ]
    cards += [
        '<div class="badge"><div class="prenom">&nbsp;</div><div class="nom">&nbsp;</div>'
        f'<div class="rencontre">{when}</div></div>'
    ] * blank
    sheets = "".join(
        '<section class="planche">' + "".join(cards[i : i + BADGES_PER_SHEET]) + "</section>"
        for i in range(0, len(cards), BADGES_PER_SHEET)
    )
    title = f"Badges — {html.escape(p.territoire)}"
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title><style>{BADGE_CSS}</style></head>
<body>{sheets}</body></html>"""


def print_pdf(html_path: Path, pdf_path: Path) -> Path | None:
    """A4 PDF through headless Chromium when it is installed; None otherwise."""
    exe = chromium()
    if not exe:
        return None
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf_path}",
            html_path.resolve().as_uri(),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None  # this sheet stays without PDF; the others still print
    return pdf_path if pdf_path.exists() else None


def print_pdfs(pages: list[tuple[Path, Path]]) -> list[Path]:
    """Print many ``(html, pdf)`` pairs as A4 PDFs in ONE headless Chromium (Playwright).

    :func:`print_pdf` starts a browser per page (≈ 2 s each): for 100 territories, 200 sheets
    would take minutes. Playwright drives the system Chromium (``executable_path``), one page
    per sheet, CSS ``@page`` sizes honoured, no header or footer. Falls back to
    :func:`print_pdf` per page when Playwright cannot start. Returns the PDFs written;
    raises nothing (a page that fails to print is simply not in the list).
    """
    exe = chromium()
    if not pages or not exe:
        return []
    written: list[Path] = []
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=exe, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            for sheet, pdf in pages:
                try:
                    page.goto(Path(sheet).resolve().as_uri(), wait_until="load", timeout=120_000)
                    tmp = pdf.with_name(f".{pdf.name}.tmp")
                    page.pdf(path=str(tmp), prefer_css_page_size=True, print_background=True)
                    tmp.replace(pdf)
                    written.append(pdf)
                except Exception:  # noqa: BLE001 - this sheet only; the others still print
                    continue
            browser.close()
        return written
    except Exception:  # noqa: BLE001 - Playwright unusable here: one browser per page
        done = set(written)
        return written + [
            p for sheet, pdf in pages if pdf not in done and (p := print_pdf(sheet, pdf))
        ]


def sheets_without_pdf(folders: list[Path]) -> list[tuple[Path, Path]]:
    """``(html, pdf)`` of the printable sheets in ``folders`` (``prive/<slug>/``) whose PDF is
    missing or older than the page."""
    out = []
    for folder in folders:
        for name in ("emargement", "badges"):
            sheet, pdf = folder / f"{name}.html", folder / f"{name}.pdf"
            if sheet.exists() and (not pdf.exists() or pdf.stat().st_mtime < sheet.stat().st_mtime):
                out.append((sheet, pdf))
    return out


def waitlist(r: Rencontre) -> pd.DataFrame:
    """Who is confirmed and who waits, by registration date (names from the private table)."""
    split = metrics.waitlist_split(r.inscriptions, r.params.capacite)
    if r.prive is not None:
        split = split.merge(
            r.prive[["participant_id", "nom", "prenom"]], on="participant_id", how="left"
        )
    cols = [
        c for c in ["rang", "place", "nom", "prenom", "date_inscription", "profil"] if c in split
    ]
    return split[cols]


def contacts(r: Rencontre) -> pd.DataFrame | None:
    """Consenting registrants only, for the partners; None when the export has no consent column."""
    ins = r.inscriptions
    if (
        ins is None
        or "consentement" not in ins
        or ins["consentement"].isna().all()
        or r.prive is None
    ):
        return None
    ok = ins[ins["consentement"].fillna(False).astype(bool) & ins["statut"].isin(metrics.ACTIVE)]
    out = ok[["participant_id", "profil"]].merge(r.prive, on="participant_id", how="left")
    out["profil"] = out["profil"].map(PROFILS)
    return out[["nom", "prenom", "email", "organisation", "profil"]].rename(
        columns={
            "nom": "Nom",
            "prenom": "Prénom",
            "email": "Courriel",
            "organisation": "Organisation",
            "profil": "Profil",
        }
    )


def pending_pdf(r: Rencontre) -> tuple[Path, Path] | None:
    """(sheet, pdf) when the sign-in sheet has no up-to-date PDF yet."""
    out = (r.params.racine or Path.cwd()) / "prive" / r.params.slug
    sheet, pdf = out / "emargement.html", out / "emargement.pdf"
    return (sheet, pdf) if sheet.exists() and not pdf.exists() else None


def _write_sheet(page: str, sheet: Path, pdf: bool) -> list[Path]:
    """Write a printable sheet (HTML) and its PDF: the PDF is redone only when the page changed
    (Chromium, ≈ 2 s), and an old PDF of another page never stays behind."""
    unchanged = sheet.exists() and sheet.read_text(encoding="utf-8") == page
    if not unchanged:
        atomic_write_text(sheet, page)
    written = [sheet]
    pdf_path = sheet.with_suffix(".pdf")
    if unchanged and pdf_path.exists():
        written.append(pdf_path)
    elif pdf and (p := print_pdf(sheet, pdf_path)):
        written.append(p)
    elif pdf_path.exists():
        pdf_path.unlink()
    return written


def write_private_outputs(r: Rencontre, *, pdf: bool = True) -> list[Path]:
    """Write every logistics file of a meeting under ``prive/<slug>/``; returns the paths."""
    if r.inscriptions is None:
        return []
    out = private_dir(r)
    written = _write_sheet(sign_in_html(r), out / "emargement.html", pdf)
    written += _write_sheet(badges_html(r), out / "badges.html", pdf)
    write_csv(attendance_sheet(r), out / "emargement.csv")
    written.append(out / "emargement.csv")
    if r.params.capacite:
        write_csv(waitlist(r), out / "liste_attente.csv")
        written.append(out / "liste_attente.csv")
    c = contacts(r)
    if c is not None:
        write_csv(c, out / "contacts_partenaires.csv")
        written.append(out / "contacts_partenaires.csv")
    return written
