"""Registrations (inscriptions): HelloAsso (events and memberships), Eventbrite, Decidim
meeting registrations, generic sheets — one :class:`~rencontres_lib.loaders.registry.Adapter`
per format in :data:`REGISTRY`.

The public ``table`` holds no identifying field: each person gets a pseudonym
(first 12 hex digits of HMAC-SHA256(salt, normalised e-mail)); names, e-mails and phones go to
``private`` only. Duplicates (same e-mail and same name) are merged into one row; two people
who differ by surname or by e-mail are never merged. A single full-name column (« Nom
complet ») is split into ``prenom`` / ``nom`` (« NOM Prénom » when the first words are
capitals, otherwise first word / rest). Payers, buyers and members who are not the
participant are names to mask too: ``extra["autres_noms"]`` lists them as (prénom, nom);
:func:`names_to_mask` gives every name of a result.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, Finding, LoadResult
from ..referentiels import clean_postcode, departement_from_code5, normalize_profiles
from .common import (
    DATE_FORMS,
    EMAIL_RE,
    blank_records,
    cells,
    finish,
    fold,
    match_columns,
    missing_columns_error,
    one_line,
    parse_dates,
    reject_misaligned,
    report,
    report_unknown_profiles,
)
from .registry import Adapter, Registry

COLUMNS = [
    "participant_id", "organisation", "profil", "profil_saisi", "code_postal", "departement",
    "date_inscription", "statut", "consentement", "source_format",
]  # fmt: skip
SINGLE_LINE = ("prenom", "nom", "nom_complet", "prenom_payeur", "nom_payeur", "nom_complet_payeur",
               "organisation", "raison_sociale", "profil", "telephone")  # fmt: skip
PRIVATE_COLUMNS = ["participant_id", "nom", "prenom", "email", "telephone", "organisation"]

ALIASES: dict[str, list[str]] = {
    "email_payeur": ["email payeur", "courriel payeur", "email acheteur", "buyer email", "e-mail de l'acheteur",
                     "adresse email payeur", "email du payeur", "e-mail payeur"],
    "prenom_payeur": ["prénom payeur", "prénom acheteur", "buyer first name", "prénom du payeur", "prénom de l'acheteur"],
    "nom_payeur": ["nom payeur", "nom acheteur", "buyer last name", "nom du payeur", "nom de l'acheteur"],
    "nom_complet_payeur": ["payeur", "acheteur", "buyer name", "nom complet payeur"],
    "email": ["email", "e-mail", "mail", "courriel", "adresse mail", "adresse email", "adresse e-mail",
              "adresse électronique", "email participant", "courriel participant", "user/email",
              "attendee email", "~email", "~e-mail", "~courriel", "~mail"],
    "prenom": ["prénom", "prénom participant", "first name", "firstname", "prénom du participant",
               "prénom adhérent", "prénom de l'adhérent", "prénom membre", "prénom du membre",
               "prénom bénéficiaire", "~prénom"],
    "nom": ["nom", "nom participant", "last name", "lastname", "nom de famille", "nom du participant",
            "surname", "nom adhérent", "nom de l'adhérent", "nom membre", "nom du membre",
            "nom bénéficiaire"],
    "nom_complet": ["nom complet", "nom et prénom", "prénom et nom", "nom prénom", "prénom nom",
                    "participant", "user/name", "name", "full name", "identité", "adhérent", "membre",
                    "nom complet du participant", "prénom nom du participant"],
    "telephone": ["téléphone", "tel", "tél", "portable", "mobile", "numéro de téléphone", "phone",
                  "cell phone", "téléphone participant", "~téléphone", "~phone"],
    "organisation": ["structure", "organisation", "organisme", "structure d'appartenance", "nom de la structure",
                     "company", "société", "entreprise", "employeur", "collectivité", "établissement",
                     "user/user_group", "~structure", "~organisation", "~organisme", "~collectivité", "~company"],
    "raison_sociale": ["raison sociale", "~raison sociale"],
    "profil": ["profil", "fonction", "vous êtes", "vous êtes ?", "qualité", "job title", "intitulé du poste",
               "poste", "profession", "métier", "titre du poste", "type de participant",
               "~profil", "~fonction", "~vous êtes", "~job title", "~profession"],
    "code_postal": ["code postal", "cp", "zip code", "zip", "postal code", "code postal participant",
                    "~code postal", "~zip", "~postal"],
    "date": ["date de la commande", "date de commande", "date d'inscription", "date inscription",
             "order date", "date", "created at", "registration date", "horodateur", "horodatage",
             "timestamp", "date de création", "~date d'inscription", "~date de la commande"],
    "statut_commande": ["statut de la commande", "statut commande", "statut du paiement", "statut paiement",
                        "order status", "payment status"],
    "statut": ["statut", "status", "attendee status", "statut du participant", "statut participant",
               "état", "statut de l'inscription", "statut inscription", "~statut du participant"],
    "presence": ["présence", "présent", "présent ?", "émargement", "checked in", "check in", "pointage",
                 "~présence", "~émargement"],
    "consentement": ["consentement", "rgpd", "opt in", "optin", "~recontacté", "~consentement",
                     "~j'accepte", "~rgpd", "~partenaires"],
}  # fmt: skip

_STATUS = {
    "annule": ["annule", "annulee", "annulation", "rembourse", "remboursee", "refunded", "refund",
               "cancelled", "canceled", "cancel", "deleted", "supprime", "supprimee", "refuse", "refusee",
               "abandonne", "abandonnee", "expire", "expiree", "desinscrit", "desinscrite",
               "not attending", "ne participe pas", "non participant"],
    "present": ["present", "presente", "venu", "venue", "emarge", "emargee", "checked in", "check in",
                "a participe"],
    "absent": ["absent", "absente", "excuse", "excusee", "no show", "non venu", "non venue"],
    "liste_attente": ["waitlist", "waitlisted", "attente", "liste d'attente", "en liste d'attente",
                      "wait list", "en attente"],
    "inscrit": ["inscrit", "inscrite", "registered", "attending", "confirme", "confirmee", "valide",
                "validee", "paye", "payee", "paid", "processed", "autorise", "autorisee", "complete",
                "completed", "ok", "participe", "participant", "enregistre", "enregistree", "en cours",
                "a venir"],
}  # fmt: skip
STATUS_VALUES = {word: status for status, words in _STATUS.items() for word in words}
PRESENCE_VALUES = {
    **dict.fromkeys("present presente oui yes x 1 true vrai o y ✓ ✔ venu venue emarge emargee".split(), "present"),
    **dict.fromkeys("absent absente non no 0 false faux n excuse excusee".split(), "absent"),
    "checked in": "present", "no show": "absent", "non venu": "absent",
}  # fmt: skip
CONSENT_VALUES = {
    **dict.fromkeys("oui yes 1 x true vrai o y ✓ ✔ accepte coche d'accord".split(), True),
    **dict.fromkeys("non no 0 false faux n refuse".split(), False),
    "j'accepte": True, "je refuse": False,
}  # fmt: skip
PRIORITY = {"present": 5, "absent": 4, "inscrit": 3, "liste_attente": 2, "annule": 1}
EXPECTED_STATUS = (
    "Validé, Annulé, Remboursé, Inscrit, Présent, Absent, Liste d'attente, Attending, Checked In…"
)


def _helloasso(h: set[str]) -> bool:
    order = {
        "numero de commande",
        "reference commande",
        "statut de la commande",
        "date de la commande",
    }
    people = {"nom participant", "prenom participant", "email payeur", "nom payeur", "nom adherent",
              "prenom adherent"}  # fmt: skip
    return bool(order & h) and bool(people & h)


REGISTRY = Registry(
    "inscriptions",
    Adapter("generique", "tableau générique (Nom, Prénom, Courriel…)"),
)
REGISTRY.register(
    Adapter(
        "decidim",
        "Decidim (inscriptions à une rencontre)",
        detect=lambda h: (
            bool({"user/email", "user/name"} & h)
            or any(c.startswith("registration form answers/") for c in h)
        ),
        aliases={"nom_complet": ["user/name"], "email": ["user/email"]},
    )
)
REGISTRY.register(
    Adapter(
        "helloasso",
        "HelloAsso (billetterie ou adhésions)",
        detect=_helloasso,
        aliases={"date": ["date de la commande", "date du paiement"]},
    )
)
REGISTRY.register(
    Adapter(
        "eventbrite",
        "Eventbrite",
        detect=lambda h: bool(
            {
                "order #",
                "attendee #",
                "attendee status",
                "ticket type",
                "statut du participant",
                "type de billet",
            }
            & h  # fmt: skip
        ),
        aliases={"nom_complet_payeur": ["buyer name", "acheteur"]},
    )
)
FORMATS = REGISTRY.names


def detect_format(columns: list[str]) -> str:
    """Guess the export format from the folded header names (:data:`REGISTRY`)."""
    return REGISTRY.detect(columns).name


def split_full_name(text: str) -> tuple[str, str]:
    """(prénom, nom) of a full name: « NOM Prénom » when the first words are capitals
    (« DUPRÉ Camille », « LE GALL Anne-Marie »), otherwise first word / rest (« Sophie
    Exemple » → Sophie / Exemple); a single word is a surname."""
    words = str(text or "").split()
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]
    caps = 0
    for w in words:
        letters = [c for c in w if c.isalpha()]
        if len(letters) >= 2 and all(c.isupper() for c in letters):
            caps += 1
        else:
            break
    if 0 < caps < len(words):
        return " ".join(words[caps:]), " ".join(words[:caps])
    return words[0], " ".join(words[1:])


def names_to_mask(result: LoadResult) -> list[tuple[str, str]]:
    """Every (prénom, nom) of a registrations result: participants, then payers and members
    who are not participants (``extra["autres_noms"]``); blanks skipped, no repeats."""
    people: list[tuple[str, str]] = []
    if result.private is not None:
        people += zip(
            result.private["prenom"].fillna("").astype(str),
            result.private["nom"].fillna("").astype(str),
            strict=True,
        )
    people += [tuple(p) for p in result.extra.get("autres_noms", [])]
    return [p for p in dict.fromkeys(people) if p[1].strip()]


def pseudonym(salt: str, key: str) -> str:
    """Pseudonymous id of a person: first 12 hex digits of HMAC-SHA256(salt, key).

    ``key`` is the normalised e-mail (or ``nom:<prénom nom>|<organisation>`` without one);
    ``salt`` is the project's secret (``prive/``). A keyed hash (RFC 2104) rather than
    ``sha256(salt + key)``: the standard way to derive an id from a secret.
    """
    return hmac.new(salt.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def normalize_email(text: str) -> str:
    """Strip and lower-case an e-mail; the first address found when the cell holds more."""
    s = str(text or "").strip()
    m = EMAIL_RE.search(s)
    return (m.group(0) if m else s).strip().lower()


def _lookup(value: str, table: dict) -> object:
    key = fold(value).strip(" .!;:")
    if not key:
        return None
    return table.get(key, "?")


def load_inscriptions(
    path: str | Path,
    *,
    salt: str,
    rules: str | Path | None = None,
    fmt: str | None = None,
) -> LoadResult:
    """Load a registrations export into a pseudonymous table (see module docstring)."""
    if not salt:
        raise ConfigError(
            "le sel de pseudonymisation est vide.",
            hint="Renseignez un sel secret dans les paramètres.",
        )
    path, raw, adapter = REGISTRY.read(path, fmt)
    name, findings = raw.name, list(raw.findings)
    fmt = adapter.name
    col = match_columns(list(raw.frame.columns), REGISTRY.aliases(adapter, ALIASES))
    if not any(col[k] for k in ("email", "email_payeur", "nom", "prenom", "nom_complet")):
        raise missing_columns_error(
            raw,
            "une colonne de courriel (« Email », « Courriel », « E-mail »…) ou de nom "
            "(« Nom », « Prénom », « Nom participant », « Nom complet »…)",
            "de courriel ou de nom",
        )
    n = len(raw.frame)
    lines = [raw.line_of(i) for i in range(n)]
    c = {k: cells(raw, v) for k, v in col.items()}
    for k in SINGLE_LINE:
        c[k] = c[k].map(one_line)

    prenom, nom, emails, others = _people(c, n)
    org = [o or r for o, r in zip(c["organisation"], c["raison_sociale"], strict=True)]
    email_col = col["email"] or col["email_payeur"]
    report(
        findings,
        "avertissement",
        name,
        "courriel mal formé (une adresse du type nom@domaine.fr était attendue) : gardé tel quel",
        [lines[i] for i, e in enumerate(emails) if e and not EMAIL_RE.fullmatch(e)],
        email_col,
    )

    misaligned = reject_misaligned(raw, findings, name)
    empty = blank_records(raw) - misaligned
    no_id = {
        i
        for i in range(n)
        if i not in empty and i not in misaligned and not emails[i] and not (prenom[i] or nom[i])
    }
    report(findings, "info", name, "ligne vide ignorée", [lines[i] for i in empty])
    report(
        findings,
        "avertissement",
        name,
        "ni courriel ni nom : inscription écartée (un courriel ou un nom était attendu)",
        [lines[i] for i in no_id],
        email_col,
    )
    skip = empty | no_id | misaligned
    by_name = [i for i in range(n) if i not in skip and not emails[i]]
    report(
        findings,
        "avertissement",
        name,
        "courriel absent : pseudonyme calculé à partir du nom et de l'organisation",
        [lines[i] for i in by_name],
        email_col,
    )
    keys = _identity_keys(emails, prenom, nom, org, skip)
    ids = [pseudonym(salt, k[1]) for k in keys]

    # Status, dates, consent, postcodes, profiles
    statut = _statuses(c, col, lines, findings, name)
    dates, bad_dates = parse_dates(c["date"])
    report(
        findings,
        "avertissement",
        name,
        f"date illisible (attendu : {DATE_FORMS}) : laissée vide",
        [lines[i] for i in bad_dates if i not in skip],
        col["date"],
    )
    consent = [_lookup(v, CONSENT_VALUES) for v in c["consentement"]]
    report(
        findings,
        "avertissement",
        name,
        "consentement non reconnu (attendu : Oui/Non) : laissé vide",
        [lines[i] for i, v in enumerate(consent) if v == "?" and i not in skip],
        col["consentement"],
    )
    consent = [v if isinstance(v, bool) else None for v in consent]
    kept = [i for i in range(n) if i not in skip]
    postcodes = _postcodes(c, col, lines, findings, name, skip, kept)
    profil_ids, unmatched = normalize_profiles([c["profil"].iat[i] for i in kept], rules)
    report_unknown_profiles(
        findings,
        name,
        unmatched,
        [c["profil"].iat[i] for i in kept],
        [lines[i] for i in kept],
        col["profil"],
    )
    profil = dict(zip(kept, profil_ids, strict=True))

    rows = {
        i: {
            "participant_id": ids[i],
            "organisation": org[i],
            "profil": profil[i],
            "profil_saisi": c["profil"].iat[i],
            "code_postal": postcodes[i][0],
            "departement": departement_from_code5(postcodes[i][0]) if postcodes[i][0] else "",
            "date_inscription": dates.iat[i],
            "statut": statut[i],
            "consentement": consent[i],
            "source_format": fmt,
            "_private": {
                "participant_id": ids[i],
                "nom": nom[i],
                "prenom": prenom[i],
                "email": emails[i],
                "telephone": c["telephone"].iat[i],
                "organisation": org[i],
            },
        }
        for i in kept
    }
    merged, dropped = _merge_duplicates(rows, keys, lines, findings, name, email_col)
    table = pd.DataFrame(
        [{k: v for k, v in r.items() if k != "_private"} for r in merged], columns=COLUMNS
    )
    table["date_inscription"] = pd.to_datetime(table["date_inscription"]).astype("datetime64[ns]")
    table["consentement"] = pd.array(table["consentement"].tolist(), dtype="boolean")
    for text_col in COLUMNS:
        if text_col not in ("date_inscription", "consentement"):
            table[text_col] = table[text_col].astype(object)
    private = pd.DataFrame([r["_private"] for r in merged], columns=PRIVATE_COLUMNS)
    return finish(
        "inscriptions",
        path,
        raw,
        table,
        findings,
        read=n,
        rejected=len(skip) + dropped,
        private=private,
        extra={
            "format": fmt,
            "colonnes": {k: v for k, v in col.items() if v},
            "autres_noms": [p for p in dict.fromkeys(others) if p[1].strip()],
        },
    )


def _postcodes(
    c: dict[str, pd.Series],
    col: dict[str, str | None],
    lines: list[int],
    findings: list[Finding],
    name: str,
    skip: set[int],
    kept: list[int],
) -> list[tuple[str, str]]:
    """Postcode step: (five-digit code, issue) of every row, issues reported for kept rows."""
    postcodes = [clean_postcode(v) for v in c["code_postal"]]
    for issue, message in (
        ("complete", "code postal à 4 chiffres complété par un zéro initial (5 chiffres attendus, ex. « 1000 » → « 01000 »)"),
        ("invalide", "code postal invalide (5 chiffres attendus, ex. « 69003 ») : département laissé vide"),
    ):  # fmt: skip
        rows = [lines[i] for i, (_, got) in enumerate(postcodes) if got == issue and i not in skip]
        report(findings, "avertissement", name, message, rows, col["code_postal"])
    if col["code_postal"]:
        report(
            findings,
            "info",
            name,
            "code postal absent : département laissé vide",
            [lines[i] for i in kept if not c["code_postal"].iat[i]],
            col["code_postal"],
        )
    return postcodes


def _people(
    c: dict[str, pd.Series], n: int
) -> tuple[list[str], list[str], list[str], list[tuple[str, str]]]:
    """Identity step shared by every format: (prénoms, noms, e-mails, other names to mask).

    The participant's names, or a full name split (:func:`split_full_name`); the participant's
    e-mail, or the payer's when the payer is the participant (same names, or no participant
    name) — never a payer's address for someone else. Payers and buyers who are not the
    participant are returned as other names to mask."""
    prenom, nom = c["prenom"].tolist(), c["nom"].tolist()
    payer_first, payer_last = c["prenom_payeur"].tolist(), c["nom_payeur"].tolist()
    for i in range(n):
        if not prenom[i] and not nom[i] and c["nom_complet"].iat[i]:
            prenom[i], nom[i] = split_full_name(c["nom_complet"].iat[i])
        if not payer_first[i] and not payer_last[i] and c["nom_complet_payeur"].iat[i]:
            payer_first[i], payer_last[i] = split_full_name(c["nom_complet_payeur"].iat[i])
    emails = [normalize_email(e) for e in c["email"]]
    others: list[tuple[str, str]] = []
    for i in range(n):
        payer = normalize_email(c["email_payeur"].iat[i])
        has_name = bool(prenom[i] or nom[i])
        payer_named = bool(payer_first[i] or payer_last[i])
        same = (
            not has_name
            or not payer_named
            or fold(prenom[i] + " " + nom[i]) == fold(payer_first[i] + " " + payer_last[i])
        )
        if payer_named and not same:
            others.append((payer_first[i], payer_last[i]))
        if not emails[i] and payer and same:
            emails[i] = payer
            if not has_name:
                prenom[i], nom[i] = payer_first[i], payer_last[i]
    return prenom, nom, emails, others


def _identity_keys(
    emails: list[str], prenom: list[str], nom: list[str], org: list[str], skip: set[int]
) -> list[tuple[str, str]]:
    """Merge key of each row: its e-mail; e-mail + name when one address is shared by people
    whose names differ (a family paying with one address: different surnames, or first names
    that are neither equal nor an initial of one another); name + organisation without e-mail."""
    firsts = [fold(p).rstrip(".") for p in prenom]
    lasts = [fold(n) for n in nom]
    names = [f"{f} {n}".strip() for f, n in zip(firsts, lasts, strict=True)]
    people: dict[str, list[int]] = {}  # e-mail → row of each distinct person using it
    person_of: dict[int, int] = {}
    for i, e in enumerate(emails):
        if not e or i in skip or not names[i]:
            continue
        reps = people.setdefault(e, [])
        match = next((r for r in reps if _same_person(firsts, lasts, r, i)), None)
        if match is None:
            reps.append(i)
            match = i
        person_of[i] = match
    keys = []
    for i, e in enumerate(emails):
        if not e:
            keys.append(("nom", f"nom:{names[i]}|{fold(org[i])}"))
        elif len(people.get(e, ())) > 1 and i in person_of:
            rep = person_of[i]
            keys.append(("email", f"{e}|{names[rep]}" if rep != people[e][0] else e))
        else:
            keys.append(("email", e))
    return keys


def _same_person(firsts: list[str], lasts: list[str], a: int, b: int) -> bool:
    """Same surname (or one missing) and first names equal, missing, or one the initial of the other."""
    if lasts[a] and lasts[b] and lasts[a] != lasts[b]:
        return False
    fa, fb = firsts[a], firsts[b]
    return not fa or not fb or fa == fb or fa.startswith(fb) or fb.startswith(fa)


def _statuses(
    c: dict, col: dict, lines: list[int], findings: list[Finding], name: str
) -> list[str]:
    order = [_lookup(v, STATUS_VALUES) for v in c["statut_commande"]]
    order = [
        "inscrit" if fold(v) == "en attente" else o
        for v, o in zip(c["statut_commande"], order, strict=True)
    ]
    stat = [_lookup(v, STATUS_VALUES) for v in c["statut"]]
    pres = [_lookup(v, PRESENCE_VALUES) for v in c["presence"]]
    for values, raw_values, key, label in (
        (order, c["statut_commande"], "statut_commande", EXPECTED_STATUS),
        (stat, c["statut"], "statut", EXPECTED_STATUS),
        (pres, c["presence"], "presence", "Présent, Absent, Oui, Non, x, 1, 0 ou vide"),
    ):
        bad = [i for i, v in enumerate(values) if v == "?"]
        if bad:
            seen = ", ".join(sorted({f"« {raw_values.iat[i]} »" for i in bad}))
            report(
                findings,
                "avertissement",
                name,
                f"statut inconnu {seen} (attendu : {label}) : valeur ignorée, l'inscription est gardée",
                [lines[i] for i in bad],
                col[key],
            )
    out = []
    for o, s, p in zip(order, stat, pres, strict=True):
        if p == "present" or s == "present":
            out.append("present")
        elif "annule" in (o, s):
            out.append("annule")
        elif p == "absent" or s == "absent":
            out.append("absent")
        elif "liste_attente" in (o, s):
            out.append("liste_attente")
        else:
            out.append("inscrit")
    return out


def _merge_duplicates(
    rows: dict[int, dict],
    keys: list,
    lines: list[int],
    findings: list[Finding],
    name: str,
    column: str | None,
) -> tuple[list[dict], int]:
    groups: dict[str, list[int]] = {}
    for i, row in rows.items():
        groups.setdefault(row["participant_id"], []).append(i)
    merged, dropped = [], {"email": [], "nom": []}
    for members in groups.values():
        if len(members) == 1:
            merged.append(rows[members[0]])
            continue
        members.sort(key=lambda i: _date_order(rows[i]["date_inscription"], i))
        base = dict(rows[members[0]])
        base["_private"] = dict(base["_private"])
        base["statut"] = max((rows[i]["statut"] for i in members), key=PRIORITY.__getitem__)
        for i in members[1:]:
            other = rows[i]
            for k in ("organisation", "profil_saisi", "code_postal", "departement"):
                if not base[k] and other[k]:
                    base[k] = other[k]
                    if k == "profil_saisi":
                        base["profil"] = other["profil"]
            if base["consentement"] is None:
                base["consentement"] = other["consentement"]
            for k, v in other["_private"].items():
                if not base["_private"][k] and v:
                    base["_private"][k] = v
        merged.append(base)
        dropped[keys[members[0]][0]].extend(lines[i] for i in members[1:])
    merged.sort(key=lambda r: min(i for i in groups[r["participant_id"]]))
    for kind, label, col in (
        ("email", "même courriel", column),
        ("nom", "même nom et organisation", None),
    ):
        if dropped[kind]:
            n_dup = len(dropped[kind])
            report(
                findings,
                "info",
                name,
                f"{n_dup} doublons ({label}) fusionnés avec une autre ligne : l'inscription la plus "
                "ancienne est gardée, « présent » l'emporte sur « absent » et une inscription active "
                "sur une annulation",
                dropped[kind],
                col,
            )
    return merged, sum(len(m) - 1 for m in groups.values())


def _date_order(date: object, index: int) -> tuple[int, int, int]:
    """Sort key: dated rows first (earliest first), then file order."""
    if pd.isna(date):
        return (1, 0, index)
    return (0, pd.Timestamp(date).value, index)
