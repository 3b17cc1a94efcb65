"""Registrations loader, profile rules and postcode → département (hand-computed values)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pandas as pd
import pytest

from rencontres_lib.errors import ConfigError, SourceError
from rencontres_lib.io import read_table
from rencontres_lib.loaders.inscriptions import COLUMNS, load_inscriptions
from rencontres_lib.referentiels import (
    departement_from_postcode,
    load_profile_rules,
    normalize_profile,
    normalize_profiles,
)

FIX = Path(__file__).resolve().parent / "fixtures" / "inscriptions"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
EXEMPLE = Path(__file__).resolve().parents[1] / "data" / "exemple"
SALT = "sel-de-test"


def sha12(salt: str, key: str) -> str:
    """HMAC-SHA256 (RFC 2104) of the key with the salt as secret, first 12 hex digits."""
    return hmac.new(salt.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def only(findings, fragment: str):
    hits = [f for f in findings if fragment in f.message]
    assert len(hits) == 1, [f.french() for f in findings]
    return hits[0]


# --------------------------------------------------------------------------- HelloAsso


@pytest.fixture(scope="module")
def helloasso():
    return load_inscriptions(FIX / "helloasso_lyon.csv", salt=SALT)


def test_helloasso_counts_and_columns(helloasso):
    r = helloasso
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (8, 8, 0)
    assert r.kind == "inscriptions"
    assert list(r.table.columns) == COLUMNS
    assert set(r.table["source_format"]) == {"helloasso"}


def test_helloasso_values(helloasso):
    t = helloasso.table
    assert t["statut"].tolist() == [
        "present", "absent", "annule", "present", "annule", "present", "absent", "inscrit",
    ]  # fmt: skip
    assert t["profil"].tolist() == [
        "agent_territorial", "association", "elu", "chercheur",
        "consultant", "citoyen", "agent_etat", "citoyen",
    ]  # fmt: skip
    assert t["departement"].tolist() == ["69", "69", "69", "69", "75", "69", "69", "69"]
    assert t["code_postal"].tolist()[4] == "75011"
    assert t["consentement"].tolist() == [True, False, True, True, False, pd.NA, True, False]
    assert str(t["consentement"].dtype) == "boolean"
    assert t["date_inscription"].iloc[0] == pd.Timestamp("2025-01-14 10:32")
    assert str(t["date_inscription"].dtype) == "datetime64[ns]"
    # multi-line cell (lines 5–6 of the file) collapsed to one line
    assert t["organisation"].iloc[3] == "Université Lumière Lyon 2"
    assert t["profil_saisi"].iloc[0] == "Chargée de mission participation"


def test_pseudonym_is_hmac_of_normalised_email(helloasso):
    # the cell is "Claire.Martin@ville-lyon.fr " (capitals, trailing space)
    assert helloasso.table["participant_id"].iloc[0] == sha12(SALT, "claire.martin@ville-lyon.fr")
    other = load_inscriptions(FIX / "helloasso_lyon.csv", salt="un-autre-sel")
    assert other.table["participant_id"].iloc[0] == sha12(
        "un-autre-sel", "claire.martin@ville-lyon.fr"
    )
    assert set(other.table["participant_id"]).isdisjoint(helloasso.table["participant_id"])


def test_payer_is_not_participant_gives_name_pseudonym(helloasso):
    # line 10: participant Inès Roux, no e-mail, paid by Jean Roux → name + organisation
    expected = sha12(SALT, "nom:ines roux|conseil citoyen mermoz")
    assert helloasso.table["participant_id"].iloc[7] == expected
    f = only(helloasso.findings, "courriel absent")
    assert (f.level, f.row, f.column, f.file) == (
        "avertissement",
        10,
        "Email",
        "helloasso_lyon.csv",
    )
    assert "ligne 10" in f.message


def test_private_holds_names_table_holds_none(helloasso):
    private, table = helloasso.private, helloasso.table
    assert list(private.columns) == [
        "participant_id",
        "nom",
        "prenom",
        "email",
        "telephone",
        "organisation",
    ]
    assert private["nom"].tolist()[:2] == ["Martin", "Nguyen"]
    assert private["email"].iloc[0] == "claire.martin@ville-lyon.fr"
    assert private["telephone"].iloc[0] == "06 12 34 56 78"
    assert private["participant_id"].tolist() == table["participant_id"].tolist()
    values = {str(v) for v in table.astype(str).to_numpy().ravel()}
    for secret in [*private["nom"], *private["prenom"], *private["email"], "06 12 34 56 78"]:
        if secret:
            assert secret not in values
    assert not any("@" in v for v in values)


# --------------------------------------------------------------------------- other formats


def test_eventbrite_english():
    r = load_inscriptions(FIX / "eventbrite_en.csv", salt=SALT)
    t = r.table
    assert (r.rows_read, r.rows_used, r.extra["format"]) == (5, 5, "eventbrite")
    assert t["statut"].tolist() == ["present", "inscrit", "annule", "inscrit", "liste_attente"]
    assert t["profil"].tolist() == [
        "agent_territorial",
        "association",
        "agent_etat",
        "chercheur",
        "citoyen",
    ]
    assert t["date_inscription"].iloc[0] == pd.Timestamp("2025-02-03 14:22:31")
    assert t["departement"].tolist() == ["38"] * 5
    assert t["consentement"].isna().all()


def test_eventbrite_french_and_french_dates():
    r = load_inscriptions(FIX / "eventbrite_fr.csv", salt=SALT)
    t = r.table
    assert r.extra["format"] == "eventbrite"
    assert t["date_inscription"].tolist() == [
        pd.Timestamp("2025-03-14 10:32"),  # « 14 mars 2025 à 10h32 »
        pd.Timestamp("2025-03-14"),  # « vendredi 14 mars 2025 »
        pd.Timestamp("2025-03-14 10:32"),  # « 2025-03-14T10:32:00Z »
    ]
    assert t["statut"].tolist() == ["inscrit", "annule", "inscrit"]
    assert t["profil"].tolist() == ["agent_territorial", "consultant", "elu"]


def test_decidim_registrations():
    r = load_inscriptions(FIX / "decidim_inscriptions.csv", salt=SALT)
    t = r.table
    assert r.extra["format"] == "decidim"
    assert t["profil"].tolist() == ["agent_territorial", "association", "citoyen", "elu"]
    assert t["organisation"].tolist() == ["", "Collectif Fives", "", ""]
    assert t["code_postal"].tolist() == ["59000", "59800", "59100", "59650"]
    assert (r.private["prenom"].iloc[0], r.private["nom"].iloc[0]) == ("Lucie", "Marchand")
    assert t["participant_id"].iloc[1] == sha12(SALT, "t.leroy@exemple.fr")


def test_generic_csv_and_user_rules():
    r = load_inscriptions(FIX / "generique.csv", salt=SALT)
    t = r.table
    assert r.extra["format"] == "generique"
    assert t["statut"].tolist() == [
        "present",
        "absent",
        "liste_attente",
        "annule",
        "present",
        "inscrit",
    ]
    assert t["departement"].tolist() == ["59", "75", "13", "59", "2A", "974"]
    assert t["date_inscription"].iloc[0] == pd.Timestamp("2025-03-14")  # « 14-03-2025 »
    assert t["profil"].tolist()[-1] == "autre"
    f = only(r.findings, "profil non reconnu")
    assert (f.row, f.column) == (7, "fonction") and "« Pompier volontaire » (1)" in f.message
    ruled = load_inscriptions(FIX / "generique.csv", salt=SALT, rules=FIX / "profils_regles.yaml")
    assert ruled.table["profil"].tolist()[-1] == "chercheur"
    assert not [f for f in ruled.findings if "profil non reconnu" in f.message]


def test_generic_spreadsheet():
    r = load_inscriptions(FIX / "generique.xlsx", salt=SALT)
    t = r.table
    assert (r.rows_read, r.rows_used) == (3, 3)  # the blank sheet row is skipped by the reader
    assert t["code_postal"].tolist() == ["01000", "69007", "69003"]  # 1000 stored as a number
    assert t["date_inscription"].tolist() == [
        pd.Timestamp("2025-03-14 10:32"),  # Excel date-time cell
        pd.Timestamp("2025-03-15"),
        pd.Timestamp("2025-03-15"),  # text « 15/03/2025 »
    ]
    assert t["statut"].tolist() == ["inscrit", "liste_attente", "present"]
    assert t["profil"].tolist() == ["elu", "association", "agent_territorial"]
    f = only(r.findings, "4 chiffres")
    assert (f.file, f.row, f.column) == ("generique.xlsx", 2, "CP")


# --------------------------------------------------------------------------- broken files


def test_missing_email_and_name_columns():
    with pytest.raises(SourceError) as err:
        load_inscriptions(FIX / "sans_courriel.csv", salt=SALT)
    msg = err.value.french()
    assert "sans_courriel.csv" in msg and "ligne 1" in msg
    assert "courriel" in msg and "« Structure », « Profil », « Code postal »" in msg


def test_unparseable_dates_warning():
    r = load_inscriptions(FIX / "dates_illisibles.csv", salt=SALT)
    f = only(r.findings, "date illisible")
    assert (f.file, f.row, f.column, f.count) == ("dates_illisibles.csv", 3, "date", 2)
    assert "lignes 3 et 4" in f.message and "14/03/2025" in f.message
    assert r.table["date_inscription"].isna().tolist() == [False, True, True, True]


def test_unknown_status_warning():
    r = load_inscriptions(FIX / "statut_inconnu.csv", salt=SALT)
    order = only(r.findings, "« Suspendu »")
    assert (order.row, order.column) == (3, "Statut de la commande") and "Validé" in order.message
    presence = only(r.findings, "« Peut-être »")
    assert (presence.row, presence.column) == (
        4,
        "Présence",
    ) and "Présent, Absent" in presence.message
    assert r.table["statut"].tolist() == ["present", "inscrit", "inscrit"]


def test_four_digit_and_invalid_postcodes():
    r = load_inscriptions(FIX / "cp_4_chiffres.csv", salt=SALT)
    assert r.table["code_postal"].tolist() == ["01000", "07500", "", "06000"]
    assert r.table["departement"].tolist() == ["01", "07", "", "06"]
    padded = only(r.findings, "4 chiffres")
    assert (padded.row, padded.column, padded.count) == (
        2,
        "code postal",
        2,
    ) and "lignes 2 et 3" in padded.message
    bad = only(r.findings, "code postal invalide")
    assert (bad.row, bad.count) == (4, 1) and "5 chiffres attendus" in bad.message


def test_duplicate_emails_with_different_case_are_merged():
    r = load_inscriptions(FIX / "doublons_casse.csv", salt=SALT)
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (4, 2, 2)
    t = r.table
    jean = t[t["participant_id"] == sha12(SALT, "jean.dupont@exemple.fr")].iloc[0]
    assert jean["date_inscription"] == pd.Timestamp("2025-01-12")  # earliest kept (line 4)
    assert jean["statut"] == "present"  # line 5 present wins over absent and cancelled
    assert jean["profil"] == "elu"  # blank on the kept line, filled from the others
    f = only(r.findings, "doublons")
    assert f.level == "info" and f.message.startswith("2 doublons (même courriel) fusionnés")
    assert (f.row, f.column, f.count) == (2, "email", 2) and "lignes 2 et 5" in f.message
    assert len(r.private) == 2


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("vide.csv", "vide (0 octet)"),
        ("entete_seule.csv", "au moins une ligne de données était attendue"),
        (
            "mauvais_separateur.csv",
            "attendu : point-virgule, virgule, tabulation ou barre verticale",
        ),
    ],
)
def test_unusable_files(fixture, expected):
    with pytest.raises(SourceError) as err:
        load_inscriptions(FIX / fixture, salt=SALT)
    msg = err.value.french()
    assert fixture in msg and expected in msg
    if fixture != "vide.csv":
        assert "ligne 1" in msg


def test_bad_arguments():
    with pytest.raises(ConfigError, match="sel"):
        load_inscriptions(FIX / "generique.csv", salt="")
    with pytest.raises(SourceError, match="format « weezevent » inconnu"):
        load_inscriptions(FIX / "generique.csv", salt=SALT, fmt="weezevent")


# --------------------------------------------------------------------------- profiles


@pytest.mark.parametrize(
    ("profil", "texts"),
    [
        ("elu", ["Élue municipale", "élu", "adjointe au maire", "conseillère municipale", "Maire", "Élu·e"]),
        (
            "agent_territorial",
            [
                "DGS", "chargée de mission participation", "Agent territorial", "Chargé de concertation",
                "directrice de la démocratie participative", "agent de la ville", "Agent·e territorial·e",
            ],
        ),
        ("association", ["Association", "bénévole associatif", "Présidente d'association"]),
        ("consultant", ["Consultante", "cabinet conseil", "bureau d'études", "Consultant·e"]),
        ("agent_etat", ["Préfecture", "DDT", "DREAL", "agent de l'État", "sous-préfet", "Agent·e de l’État"]),
        ("chercheur", ["Chercheuse", "doctorant", "universitaire", "enseignant-chercheur", "Chercheur(e)"]),
        ("citoyen", ["Habitant", "citoyenne", "Conseil citoyen", "riverain", "Citoyen·ne"]),
        ("non_renseigne", ["", "   ", "NC"]),
        ("autre", ["Autre", "Pompier volontaire"]),
    ],
)  # fmt: skip
def test_normalize_profile(profil, texts):
    for text in texts:
        assert normalize_profile(text) == profil, text


def test_user_rules_come_first_and_unmatched_are_counted(tmp_path):
    rules = FIX / "profils_regles.yaml"
    assert normalize_profile("Conseil citoyen", rules) == "association"  # user rule before built-in
    assert normalize_profile("Pompier volontaire", rules) == "chercheur"
    assert len(load_profile_rules(rules)) == len(load_profile_rules()) + 2
    ids, unmatched = normalize_profiles(["Pompier", "Pompier", "Élu", "Astronaute"])
    assert ids == ["autre", "autre", "elu", "autre"]
    assert unmatched == {"Pompier": 2, "Astronaute": 1}
    bad = tmp_path / "regles.yaml"
    bad.write_text("regles:\n  - profil: pompier\n    mots: [pompier]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="profil « pompier » inconnu"):
        normalize_profile("x", bad)


# --------------------------------------------------------------------------- postcodes


def test_departement_from_postcode():
    assert departement_from_postcode("69003") == "69"
    assert departement_from_postcode("1000") == "01"
    assert departement_from_postcode("20090") == "2A"
    assert departement_from_postcode("20199") == "2A"
    assert departement_from_postcode("20200") == "2B"
    assert departement_from_postcode("20600") == "2B"
    assert departement_from_postcode("97110") == "971"
    assert departement_from_postcode("97600") == "976"
    for invalid in ["", "abc", "00100", "98000", "690", "690031", "2A004"]:
        assert departement_from_postcode(invalid) == "", invalid


def test_departement_against_real_postcode_table():
    path = REAL / "gdn-questionnaire-meta" / "zip.csv"
    if not path.exists():
        pytest.skip("données réelles absentes (../shared/data/real)")
    frame = read_table(path).frame
    rows = dict(zip(frame["Name"], frame["ZipCode"], strict=True))
    assert rows["L'Abergement-Clémenciat"] == "01400"  # leading zero kept by the reader
    assert departement_from_postcode(rows["L'Abergement-Clémenciat"]) == "01"
    assert departement_from_postcode(rows["Afa"]) == "2A"  # 20167
    assert departement_from_postcode("20200") == "2B"  # Bastia
    codes = frame["ZipCode"]
    assert codes[codes.str.startswith("974")].map(departement_from_postcode).eq("974").all()
    assert (codes.map(departement_from_postcode) != "").all()


# --------------------------------------------------------------------------- example data


@pytest.mark.parametrize("slug", ["lyon", "grenoble", "nantes", "lille"])
def test_example_registrations(slug):
    path = EXEMPLE / f"inscriptions_{slug}.csv"
    if not path.exists():
        pytest.skip(f"données d'exemple absentes ({path.name})")
    r = load_inscriptions(path, salt=SALT)
    assert r.extra["format"] == "helloasso"
    assert r.rows_used > 0 and not r.errors
    assert (r.table["profil"] == "autre").mean() < 0.1
    assert r.table["consentement"].notna().any()


# --------------------------------------------------------------------------- issue 15 / 13


def test_helloasso_membership_export_keeps_two_people_and_their_surnames():
    """Case 1: « Nom adhérent / Prénom adhérent / Email payeur »: two Camille, not one."""
    r = load_inscriptions(FIX / "helloasso_adhesions.csv", salt=SALT)
    assert r.extra["format"] == "helloasso"
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (2, 2, 0)
    assert r.private["nom"].tolist() == ["DUPRE", "MARTIN"]
    assert r.private["prenom"].tolist() == ["Camille", "Camille"]
    assert r.private["email"].tolist() == ["camille.dupre@example.fr", "c.martin@example.fr"]
    assert r.table["participant_id"].tolist() == [
        sha12(SALT, "camille.dupre@example.fr"),
        sha12(SALT, "c.martin@example.fr"),
    ]
    assert r.table["date_inscription"].tolist() == [
        pd.Timestamp("2025-02-08 12:30"),
        pd.Timestamp("2025-02-09 16:45"),
    ]
    assert not [f for f in r.findings if "courriel absent" in f.message or "doublons" in f.message]


def test_full_name_column_feeds_the_names_to_mask():
    from rencontres_lib.loaders.inscriptions import names_to_mask, split_full_name

    r = load_inscriptions(FIX / "nom_complet.csv", salt=SALT)
    assert r.private["prenom"].tolist() == ["Sophie", "Anne-Marie", ""]
    assert r.private["nom"].tolist() == ["Exemple", "LE GALL", "Paul"]
    assert names_to_mask(r) == [("Sophie", "Exemple"), ("Anne-Marie", "LE GALL"), ("", "Paul")]
    assert r.table["profil"].tolist() == ["elu", "agent_territorial", "citoyen"]
    assert split_full_name("DUPRÉ Camille") == ("Camille", "DUPRÉ")
    assert split_full_name("Jean de La Fontaine") == ("Jean", "de La Fontaine")


def test_payers_who_are_not_participants_are_names_to_mask():
    from rencontres_lib.loaders.inscriptions import names_to_mask

    r = load_inscriptions(FIX / "helloasso_payeur_autre.csv", salt=SALT)
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (4, 4, 0)
    # Léa (paid by Marc) has no e-mail of her own: she is never merged with Marc
    assert r.private["prenom"].tolist() == ["Léa", "Marc", "Yasmine", "Emma"]
    assert r.private["email"].tolist() == ["", "marc.riviere@example.fr", "y.benali@example.fr", ""]
    assert r.extra["autres_noms"] == [("Marc", "Rivière"), ("Hugo", "Girard")]
    assert ("Hugo", "Girard") in names_to_mask(r) and ("Léa", "Rivière") in names_to_mask(r)


def test_one_address_shared_by_two_people_is_never_one_person():
    r = load_inscriptions(FIX / "courriel_partage.csv", salt=SALT)
    # Anne and Paul Roux share an address: 2 people; « A. Roux » is Anne again (initial)
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (3, 2, 1)
    assert r.private["prenom"].tolist() == ["Anne", "Paul"]
    assert r.table["participant_id"].iloc[0] == sha12(SALT, "famille.roux@example.fr")
    assert r.table["participant_id"].iloc[1] == sha12(SALT, "famille.roux@example.fr|paul roux")


def test_short_row_is_rejected_with_its_line_never_shifted():
    r = load_inscriptions(FIX / "ligne_courte.csv", salt=SALT)
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (3, 2, 1)
    f = only(r.findings, "moins de champs")
    assert (f.level, f.row, f.file) == ("avertissement", 3, "ligne_courte.csv")
    assert r.private["nom"].tolist() == ["Noël", "Faure"]


def test_registry_knows_every_format_and_refuses_an_unknown_one():
    from rencontres_lib.loaders.inscriptions import FORMATS, REGISTRY

    assert set(FORMATS) == {"helloasso", "eventbrite", "decidim", "generique"}
    assert REGISTRY.detect(["Nom adhérent", "Référence commande"]).name == "helloasso"
    with pytest.raises(SourceError, match="format « weezevent » inconnu"):
        load_inscriptions(FIX / "generique.csv", salt=SALT, fmt="weezevent")


def test_eventbrite_buyers_and_decidim_names_feed_the_names_to_mask():
    from rencontres_lib.loaders.inscriptions import names_to_mask

    r = load_inscriptions(FIX / "eventbrite_acheteurs.csv", salt=SALT)
    assert r.extra["format"] == "eventbrite"
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (3, 3, 0)
    # Léon has no e-mail and is not the buyer: Marie's address is never his
    assert r.private["email"].tolist() == ["nadia.haddad@example.fr", "karim.haddad@example.fr", ""]
    assert r.extra["autres_noms"] == [("Karim", "Haddad"), ("Marie", "Petit")]
    assert set(names_to_mask(r)) == {
        ("Nadia", "Haddad"),
        ("Karim", "Haddad"),
        ("Léon", "Petit"),
        ("Marie", "Petit"),
    }
    d = load_inscriptions(FIX / "decidim_inscriptions.csv", salt=SALT)
    assert ("Lucie", "Marchand") in names_to_mask(d)
