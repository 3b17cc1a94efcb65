"""Security of the published reports: hostile inputs never become personal data, script or lost work.

One payload-laden copy of the example project is built for real once per module (papermill +
nbconvert, ~35 s); every check then reads that build. Fault and interruption tests use a
stand-in executor (as ``tests/test_build.py`` does) so they cost about a second each.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import unicodedata
import zipfile
from pathlib import Path

import nbformat
import openpyxl
import pytest
from conftest import copy_project

from rencontres_lib import build as build_mod
from rencontres_lib import exports as exports_mod
from rencontres_lib.audit import audit_paths

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
EVIL_HOST = "evil.example"

# --------------------------------------------------------------------------- payloads

XSS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=2">',
    '<svg onload="window.__pwned=3">',
    "[clic](javascript:window.__pwned=4)",
    "<a href=\"javascript:document.title='pwned'\">x</a>",
    '"><iframe src=javascript:window.__pwned=5>',
    "![x](http://evil.example/x.png)",
    "{{7*7}}",
    "${7*7}",
]
FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "+33 6 00 00 00 00",
    "@SUM(1+1)",
    "-2+3",
    "+cmd|' /C calc'!A0",
    "\t=1+1",
    "=1+1\r",
]
CONTROL = "contrôle" + "".join(chr(c) for c in range(0x00, 0x09)) + "\x1b[31mrouge\x1b[0m fin"
EMOJI = "Bravo 👏🏽 pour le budget participatif 🌍"
RTL = "مشاركة المواطنين في الميزانية — השתתפות אזרחית — \u202etxet esrever\u202c retour"
RLO = "\u202e"
BIG_CELL_BYTES = 10 * 2**20
BIG_SLUG = "lyon-grande-cellule"
THEME_WORDS = "le budget participatif manque de moyens et il faut un retour aux participants"
# the chosen Chercheur·e respondents of Lille (suppression test): exactly 3
SMALL_PROFILE, SMALL_TERRITORY, SMALL_COUNT = "Chercheur·e", "Lille", 3


# --------------------------------------------------------------------------- CSV helpers


def _read_csv(path: Path, sep: str, encoding: str = "utf-8") -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.reader(fh, delimiter=sep))


def _write_csv(
    path: Path,
    rows: list[list[str]],
    sep: str,
    *,
    encoding: str = "utf-8",
    quoting: int = csv.QUOTE_MINIMAL,
    newline: str = "\n",
) -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, quoting=quoting, lineterminator=newline).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _phone_forms(digits: str) -> list[str]:
    pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
    return [digits, " ".join(pairs), ".".join(pairs), "+33 " + digits[1] + " " + " ".join(pairs[1:])]


# --------------------------------------------------------------------------- the generator


def inject_payloads(root: Path) -> dict:
    """Put hostile text into the COPY of data/exemple under ``root``; returns what was planted.

    Lyon gets every payload in every free-text field (questionnaire open answers, interview
    excerpts, proposals, registration Structure/Profil), plus registrants' names, e-mails and
    phones in open answers; Lille gets exactly 3 « Chercheur·e » respondents.
    """
    data = root / "data" / "exemple"
    planted: dict = {"registrants": [], "payloads": XSS + FORMULAS}

    # registrations (HelloAsso: UTF-8 BOM, ';', CRLF): pick real registrants of the copy
    ins_path = data / "inscriptions_lyon.csv"
    ins = _read_csv(ins_path, ";", "utf-8-sig")
    head = ins[0]
    c_nom, c_prenom = head.index("Nom participant"), head.index("Prénom participant")
    c_mail, c_tel = head.index("Email"), head.index("Téléphone")
    c_struct, c_profil = head.index("Structure"), head.index("Profil")
    people = [r for r in ins[1:] if r[c_tel].strip().isdigit() and len(r[c_tel].strip()) == 10]
    # a plain name, an accented/compound one when available
    chosen = [people[0]]
    chosen += [r for r in people[1:] if not r[c_nom].isascii() or " " in r[c_nom]][:2]
    for r in chosen:
        planted["registrants"].append(
            {"prenom": r[c_prenom], "nom": r[c_nom], "email": r[c_mail], "tel": r[c_tel].strip()}
        )
    hostile_fields = XSS + [FORMULAS[0], FORMULAS[2], CONTROL, EMOJI, RTL]
    for i, row in enumerate(ins[1 : 1 + len(hostile_fields)]):
        row[c_struct] = hostile_fields[i]
        row[c_profil] = hostile_fields[-1 - i]
    _write_csv(ins_path, ins, ";", encoding="utf-8-sig", newline="\r\n")

    def mention(p: dict, k: int) -> str:
        tel = _phone_forms(p["tel"])[k % 4]
        return [
            f"merci à {p['prenom']} {p['nom']} ({p['email']}, {tel}) pour le budget participatif",
            f"{p['nom'].upper()} {p['prenom']} a fait un retour aux participants, joindre {tel}",
            f"voir avec {p['prenom']} {p['nom']} : {p['email']} pour le budget",
        ][k % 3]

    # questionnaire (LimeSurvey: ',' and every field quoted)
    q_path = data / "questionnaire.csv"
    q = _read_csv(q_path, ",")
    qh = q[0]
    c_terr, c_prof, c_sub = qh.index("TERRITOIRE"), qh.index("PROFIL"), qh.index("submitdate")
    texts = [qh.index(c) for c in ("AVANCEES", "FREINS", "PISTES")]
    lyon = [r for r in q[1:] if r[c_terr] == "Lyon" and r[c_sub]]
    hostile_answers = XSS + FORMULAS + [CONTROL, EMOJI, RTL]
    for k, row in enumerate(lyon[:60]):
        for j, c in enumerate(texts):
            payload = hostile_answers[(k + j) % len(hostile_answers)]
            row[c] = f"{payload} {THEME_WORDS} {payload}"
    for k, row in enumerate(lyon[60:69]):  # registrants named in open answers
        p = planted["registrants"][k % len(planted["registrants"])]
        for j, c in enumerate(texts):
            row[c] = mention(p, k + j) + " et un retour aux participants."
    lille_cherch = [r for r in q[1:] if r[c_terr] == SMALL_TERRITORY and r[c_prof] == SMALL_PROFILE]
    for row in lille_cherch[SMALL_COUNT:]:
        row[c_prof] = "Citoyen·ne"
    _write_csv(q_path, q, ",", quoting=csv.QUOTE_ALL)
    # the 10 MB cell: in a copy of the questionnaire read by one extra territory only, so
    # that a loader failing on it cannot take the other reports down with it
    big = ("budget participatif " * (BIG_CELL_BYTES // 20 + 1))[:BIG_CELL_BYTES]
    lyon[69][texts[0]] = big
    _write_csv(data / "questionnaire_grande_cellule.csv", q, ",", quoting=csv.QUOTE_ALL)
    lyon_yaml = (root / "parameters" / "lyon.yaml").read_text(encoding="utf-8")
    big_yaml = (
        lyon_yaml.replace("slug: lyon", f"slug: {BIG_SLUG}")
        .replace("territoire: Métropole de Lyon", "territoire: Métropole de Lyon (cellule de 10 Mo)")
        .replace("data/exemple/questionnaire.csv", "data/exemple/questionnaire_grande_cellule.csv")
    )
    assert big_yaml.count(BIG_SLUG) == 1 and "questionnaire_grande_cellule" in big_yaml
    (root / "parameters" / f"{BIG_SLUG}.yaml").write_text(big_yaml, encoding="utf-8")

    # interviews (Taguette: id,document,tag,content; CRLF)
    e_path = data / "entretiens.csv"
    e = _read_csv(e_path, ",")
    lyon_e = [r for r in e[1:] if "Lyon" in r[1]]
    for k, row in enumerate(lyon_e):
        payload = hostile_answers[k % len(hostile_answers)]
        row[3] = f"{payload} {row[3]} {payload}"
    p = planted["registrants"][0]
    lyon_e[-1][3] = mention(p, 0)
    _write_csv(e_path, e, ",", newline="\r\n")

    # proposals (Decidim: ';', title/fr and body/fr); new rows ranked first by supports
    pr_path = data / "propositions_lyon.csv"
    pr = _read_csv(pr_path, ";")
    ph = pr[0]
    c_id, c_title, c_body = ph.index("id"), ph.index("title/fr"), ph.index("body/fr")
    c_sup = ph.index("supports")
    titles = XSS + FORMULAS + [CONTROL, EMOJI, RTL, "&lt;img src=x onerror=window.__pwned=6&gt;"]
    for k, title in enumerate(titles):
        row = list(pr[1])
        row[c_id] = str(90000 + k)
        row[c_title] = title
        row[c_body] = f"<p>{titles[-1 - k]}</p><script>window.__pwned=7</script> {mention(p, k)}"
        row[c_sup] = str(1000 - k)
        pr.append(row)
    _write_csv(pr_path, pr, ";")
    planted["formula_titles"] = [t for t in titles if t.lstrip()[:1] in "=+-@"]
    return planted


def _inputs(root: Path) -> list[Path]:
    return sorted([*(root / "data").rglob("*"), *(root / "parameters").rglob("*")])
