"""Text of a message: lying and missing charsets, encoded words, quoted history and signatures."""

from __future__ import annotations

import pytest

from tests.mailfactory import raw
from triage.config import Settings
from triage.parse.charsets import clean_text, decode_bytes, decode_header_value
from triage.parse.message import parse_message
from triage.parse.quotes import split_reply

# --------------------------------------------------------------------------- charsets


def test_windows_1252_declared_as_latin1_is_decoded_as_windows_1252() -> None:
    text, note = decode_bytes("L’indu de 3 412,57 € « trop-perçu » — sœur…".encode("cp1252"), "iso-8859-1")
    assert text == "L’indu de 3 412,57 € « trop-perçu » — sœur…"
    assert note and "windows-1252" in note


def test_utf8_declared_as_latin1_is_decoded_as_utf8() -> None:
    text, note = decode_bytes("Réclamation à Échirolles".encode(), "ISO-8859-1")
    assert text == "Réclamation à Échirolles"
    assert note and "utf-8" in note


def test_honest_latin1_is_left_alone() -> None:
    assert decode_bytes("très été où ça".encode("latin-1"), "iso-8859-1") == ("très été où ça", None)


def test_undeclared_8bit_french_is_read_as_windows_1252_not_a_central_european_page() -> None:
    text, note = decode_bytes("Ma fille a été refusée à l'école.".encode("cp1252"), None)
    assert text == "Ma fille a été refusée à l'école."
    assert note == "jeu de caractères absent, cp1252 utilisé"


def test_undeclared_utf8_is_read_as_utf8() -> None:
    assert decode_bytes("électricité reçue".encode(), None)[0] == "électricité reçue"


def test_unknown_charset_name_falls_back_to_detection() -> None:
    text, note = decode_bytes("Priorität".encode(), "x-unknown")
    assert text == "Priorität"
    assert note and "inconnu" in note


def test_gb2312_declared_for_gbk_text_uses_the_superset() -> None:
    sample = "绩效管理，究竟谁错了？镕"  # 镕 is in GBK, not in GB2312
    assert decode_bytes(sample.encode("gbk"), "gb2312")[0] == sample


def test_utf7_and_iso_2022_jp_are_decoded_although_they_are_plain_ascii_bytes() -> None:
    assert decode_bytes("Übermittlung".encode("utf-7"), "unicode-1-1-utf-7")[0] == "Übermittlung"
    assert decode_bytes("ツール".encode("iso-2022-jp"), "iso-2022-jp")[0] == "ツール"


def test_folded_encoded_word_with_an_unknown_charset_alias_is_decoded() -> None:
    value = (
        "Benachrichtung  \n\tzum  \n\t=?unicode-1-1-utf-7?Q?+ANw-bermittlungsstatus  \n\t(Fehlgeschlagen)?="
    )
    assert decode_header_value(value).startswith("Benachrichtung zum Übermittlungsstatus")


def test_adjacent_encoded_words_join_without_the_space_between_them() -> None:
    assert decode_header_value("=?utf-8?q?R=C3=A9clamation?= =?iso-8859-1?q?_=E9t=E9?=") == "Réclamation été"


def test_raw_8bit_header_is_repaired() -> None:
    assert decode_header_value("caf\udcc3\udca9 cr\udcc3\udca8me") == "café crème"


def test_text_for_the_store_has_no_nul_or_surrogates() -> None:
    assert clean_text("a\x00b\r\nc\udcff") == "ab\ncÿ"


def test_undeclared_8bit_body_without_mime_headers_is_repaired() -> None:
    message = raw(
        "From: josiane@exemple.example\nTo: mediation@isere.example\nSubject: APL\n"
        "Message-ID: <a1@exemple.example>",
        "Je suis retraitée, mon dossier est « en cours de traitement ».\r\n".encode("latin-1"),
    )
    parsed = parse_message(message, Settings())
    assert parsed.text == "Je suis retraitée, mon dossier est « en cours de traitement »."
    assert any("absent" in d for d in parsed.defects)


# --------------------------------------------------------------------------- quotes and signatures


def test_text_above_a_french_attribution_line_is_the_new_text() -> None:
    split = split_reply(
        "Merci, voici le courrier.\n\nBien cordialement,\nGérard\n\n"
        "Le 05/10/2026 à 11:32, Médiation départementale de l'Isère a écrit :\n"
        "> Madame, Monsieur,\n> Nous accusons"
    )
    assert split.text == "Merci, voici le courrier.\n\nBien cordialement,\nGérard"
    assert split.quoted.startswith("Le 05/10/2026 à 11:32")
    assert split.signature == ""


def test_gmail_attribution_wrapped_over_two_lines_is_recognised() -> None:
    split = split_reply(
        "Nouvelle annulation de la visite.\n\nLe jeu. 8 oct. 2026 à 09:12, Médiation départementale <\n"
        "mediation@isere.example> a écrit :\n\n> Madame,"
    )
    assert split.text == "Nouvelle annulation de la visite."
    assert "a écrit" in split.quoted


def test_outlook_header_block_starts_the_quoted_history() -> None:
    split = split_reply(
        "Voici les pièces.\n\nCordialement,\nNathalie Guillot\n06 39 98 11 22\n\n"
        "De : Médiation <mediation@isere.example>\nEnvoyé : lundi 19 octobre 2026 10:12\n"
        "À : Nathalie Guillot\nObjet : Dossier MED-2026-00003\n\nMadame,"
    )
    assert split.text.endswith("Nathalie Guillot\n06 39 98 11 22")
    assert split.quoted.startswith("De : Médiation")


def test_message_d_origine_separator_starts_the_quoted_history() -> None:
    split = split_reply("Réponse.\n\n-----Message d'origine-----\nDe: X\nObjet: Y\n\nTexte ancien")
    assert split.text == "Réponse."
    assert split.quoted.startswith("-----Message d'origine-----")


def test_cordialement_and_the_name_after_it_stay_in_the_text() -> None:
    body = "Je conteste la décision.\n\nCordialement,\nJeanne Martin\n12 rue des Alpes, 38000 Grenoble"
    split = split_reply(body)
    assert split.text == body
    assert split.signature == ""


def test_rfc3676_delimiter_starts_the_signature() -> None:
    split = split_reply("Merci de votre aide.\n\n-- \nGérard Pellissier\n06 39 98 14 27")
    assert split.text == "Merci de votre aide."
    assert split.signature == "-- \nGérard Pellissier\n06 39 98 14 27"


def test_mobile_footer_is_a_signature_only_at_the_end() -> None:
    split = split_reply("Je n'ai pas reçu le RSA.\n\nSamira\n\nEnvoyé de mon iPhone")
    assert split.text == "Je n'ai pas reçu le RSA.\n\nSamira"
    assert split.signature == "Envoyé de mon iPhone"
    mid = split_reply("Envoyé de mon iPhone hier, ce message a été perdu.\nJe réécris donc.\nMerci.\nA.\nB.")
    assert mid.signature == ""


def test_inline_answers_between_quoted_lines_stay_in_the_new_text() -> None:
    split = split_reply(
        "Bonjour,\n\nLe 3 oct. 2026 à 10:00, Médiation a écrit :\n> Avez-vous fait un recours ?\n"
        "Oui, le 12 juillet.\n> Avez-vous eu une réponse ?\nNon, aucune."
    )
    assert "Oui, le 12 juillet." in split.text and "Non, aucune." in split.text
    assert "> Avez-vous fait un recours ?" in split.quoted


def test_bare_forward_keeps_the_forwarded_text_as_the_text() -> None:
    split = split_reply(
        "---------- Forwarded message ---------\nDe : CAF <caf@exemple.example>\n\nVotre droit est suspendu."
    )
    assert "Votre droit est suspendu." in split.text


@pytest.mark.parametrize(
    "line",
    ["Le maire m'a écrit : il refuse.", "Le service social a écrit :", "Objet : ma demande", "De : moi"],
)
def test_ordinary_sentences_are_not_mistaken_for_quote_headers(line: str) -> None:
    body = f"Bonjour,\n{line}\nSuite du message."
    assert split_reply(body).text == body
