"""Logistics: sign-in sheet of exactly the registered people, waitlist, contacts; never in reports/."""

from __future__ import annotations

import csv
import io
import shutil

import pandas as pd
import pytest

from rencontres_lib import metrics
from rencontres_lib.logistique import (
    contacts,
    print_pdfs,
    sheets_without_pdf,
    sign_in_html,
    sign_in_table,
    write_private_outputs,
)
from rencontres_lib.rencontre import load_rencontre


def test_sign_in_sheet_lists_exactly_the_registered_people(project):
    r = load_rencontre(project / "parameters/lyon.yaml")
    raw = pd.read_csv(
        project / "data/exemple/inscriptions_lyon.csv",
        sep=";",
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
    )
    valid = raw[raw["Statut de la commande"] == "Validé"]
    expected = set(valid["Email"].str.strip().str.lower())
    table = sign_in_table(r)
    assert len(table) == len(expected)  # one line per person, duplicates merged, cancellations out
    listed = r.prive[
        r.prive["participant_id"].isin(
            metrics.active_registrations(r.inscriptions)["participant_id"]
        )
    ]
    assert set(listed["email"].str.strip().str.lower()) == expected
    assert sorted(table["Nom"]) == sorted(listed["nom"].str.upper())
    keys = list(zip(table["Nom"].str.casefold(), table["Prénom"].str.casefold(), strict=True))
    assert keys == sorted(keys)  # alphabetical
    page = sign_in_html(r)
    assert (
        page.count('<td class="signature"></td>') == len(table) + 20
    )  # + blank lines for walk-ins
    assert "Personnes non inscrites" in page and "@page { size: A4" in page


def test_private_outputs_go_to_prive_never_reports(project):
    r = load_rencontre(project / "parameters/nantes.yaml")
    written = write_private_outputs(r, pdf=False)
    assert written and all("prive" in p.parts and "reports" not in p.parts for p in written)
    assert not list((project / "reports").rglob("emargement*"))
    sheet = project / "prive/nantes/emargement.csv"
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert len(rows) == len(sign_in_table(r)) and "Présence" in rows[0]


def test_contacts_only_consenting_and_formula_safe(project):
    p = project / "data/exemple/inscriptions_grenoble.csv"
    with open(p, encoding="utf-8-sig", newline="") as fh:
        lines = fh.read().split("\r\n")
    cols = lines[0].split(";")
    fields = lines[1].split(";")
    fields[cols.index("Structure")] = '=HYPERLINK("http://evil.example")'
    fields[cols.index("J'accepte d'être recontacté·e par les partenaires")] = "Oui"
    fields[cols.index("Statut de la commande")] = "Validé"
    lines[1] = ";".join(fields)
    p.write_bytes(("\ufeff" + "\r\n".join(lines)).encode("utf-8"))
    r = load_rencontre(project / "parameters/grenoble.yaml")
    c = contacts(r)
    active = metrics.active_registrations(r.inscriptions)
    assert len(c) == int(active["consentement"].fillna(False).astype(bool).sum())
    write_private_outputs(r, pdf=False)
    out = (project / "prive/grenoble/contacts_partenaires.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in out and "\n=HYPERLINK" not in out and ";=HYPERLINK" not in out


def test_waitlist_on_example_data_with_more_registrations_than_capacity(project):
    r = load_rencontre(project / "parameters/lyon.yaml")
    split = metrics.waitlist_split(r.inscriptions, r.params.capacite)
    active = metrics.active_registrations(r.inscriptions)
    assert len(active) > r.params.capacite
    assert (split["place"] == "confirmé").sum() == r.params.capacite
    assert (split["place"] == "liste d'attente").sum() == len(active) - r.params.capacite
    # the latest registrants wait
    last_in = split.loc[split["place"] == "confirmé", "date_inscription"].max()
    first_waiting = split.loc[split["place"] == "liste d'attente", "date_inscription"].min()
    assert last_in <= first_waiting


def test_filled_sign_in_sheet_is_read_back_as_the_attendance_source(project):
    from rencontres_lib.loaders.inscriptions import load_inscriptions
    from rencontres_lib.rencontre import salt

    r = load_rencontre(project / "parameters/nantes.yaml")
    write_private_outputs(r, pdf=False)
    sheet = project / "prive/nantes/emargement.csv"
    rows = list(csv.reader(io.StringIO(sheet.read_text(encoding="utf-8-sig")), delimiter=";"))
    head, body = rows[0], rows[1:]
    col = head.index("Présence")
    for i, row in enumerate(body):  # the organiser ticks: every third person absent
        row[col] = "absent" if i % 3 == 0 else "présent"
    filled = project / "prive/nantes/emargement_rempli.csv"
    filled.write_text(
        "\n".join(";".join(f'"{c}"' for c in row) for row in [head, *body]), encoding="utf-8"
    )
    back = load_inscriptions(filled, salt=salt(project))
    assert back.rows_read == len(body) and back.rows_rejected == 0
    assert (back.table["statut"] == "absent").sum() == len(range(0, len(body), 3))
    assert (back.table["statut"] == "present").sum() == len(body) - len(range(0, len(body), 3))
    # same people, same pseudonyms as the original registrations
    active = metrics.active_registrations(r.inscriptions)
    assert set(back.table["participant_id"]) == set(active["participant_id"])
    assert set(back.table["profil"]) <= set(active["profil"])


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium absent")
def test_print_pdfs_prints_every_sheet_in_one_browser(project, tmp_path):
    """Two sheets (one of them two pages long) printed by one browser: both PDFs are A4 and
    the long sheet keeps its two pages (a PDF per sheet, none left missing)."""
    from pypdf import PdfReader

    r = load_rencontre(project / "parameters/nantes.yaml")
    write_private_outputs(r, pdf=False)
    sheets = sheets_without_pdf([project / "prive" / "nantes"])
    assert [s.name for s, _ in sheets] == ["emargement.html", "badges.html"]
    short = tmp_path / "court.html"
    short.write_text(
        "<!doctype html><style>@page { size: A4 }</style><p>une page</p>"
        '<p style="break-before: page">deux pages</p>',
        encoding="utf-8",
    )
    pages = [*sheets, (short, tmp_path / "court.pdf")]
    written = print_pdfs(pages)
    assert written == [pdf for _, pdf in pages]
    for pdf in written:
        box = PdfReader(pdf).pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert len(PdfReader(tmp_path / "court.pdf").pages) == 2
    assert sheets_without_pdf([project / "prive" / "nantes"]) == []  # nothing left to print
