"""Structure of a message: HTML, attachments, what is automatic, web forms, what cannot be read."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from tests.mailfactory import dsn, mail, raw
from triage.config import ParsingSettings, Settings
from triage.errors import ParseError
from triage.parse.message import dedupe_key, parse_message
from triage.parse.webform import is_webform, parse_fields
from triage.records import MessageKind

SETTINGS = Settings()


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return out.getvalue()


# --------------------------------------------------------------------------- HTML and attachments


def test_html_only_message_gives_readable_text_and_sanitised_html() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>trackOpen('crm-tracker')</script></head>"
        "<body onload='x()'><p>Dégâts : <b>700,90 €</b> sur la RD 1532</p>"
        "<img src='https://tracker.example/pixel.gif'><img src='cid:logo'>"
        "<a href='javascript:alert(1)'>clic</a>"
        "<table><tr><td>Pneu</td><td>120 €</td></tr></table></body></html>"
    )
    message = raw(
        "From: f.rey@exemple.example\nTo: mediation@isere.example\nSubject: RD\nMessage-ID: <h1@x.example>\n"
        "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit",
        html.encode("utf-8"),
    )
    parsed = parse_message(message, SETTINGS)
    assert "700,90 €" in parsed.text and "RD 1532" in parsed.text and "Pneu" in parsed.text
    for forbidden in (
        "trackOpen",
        "crm-tracker",
        "<script",
        "<style",
        "onload",
        "javascript:",
        "tracker.example",
    ):
        assert forbidden not in parsed.html
    assert 'src="cid:logo"' in parsed.html


def test_plain_part_is_preferred_over_html_in_an_alternative() -> None:
    parsed = parse_message(mail("Texte brut.", html="<p>Texte <b>riche</b>.</p>"), SETTINGS)
    assert parsed.text == "Texte brut."
    assert "<b>riche</b>" in parsed.html


def test_attachment_type_is_sniffed_from_the_bytes_not_the_name() -> None:
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    parsed = parse_message(mail(attachments=[("contestation.docx", docx, _pdf())]), SETTINGS)
    (att,) = parsed.attachments
    assert att.filename == "contestation.docx"
    assert att.content_type == "application/pdf"
    assert att.declared_type.endswith("wordprocessingml.document")
    assert att.data == _pdf() and not att.too_large


def test_attachment_over_the_limit_is_recorded_without_its_bytes() -> None:
    small = ParsingSettings(max_attachment_bytes=50)
    parsed = parse_message(mail(attachments=[("photo.png", "image/png", _png())]), small)
    (att,) = parsed.attachments
    assert att.too_large and att.data is None
    assert att.size == len(_png()) and att.content_type == "image/png"


def test_attached_message_is_an_attachment_not_the_body() -> None:
    inner = mail("Texte du message joint.", subject="Ancien")
    message = raw(
        "From: a@exemple.example\nTo: mediation@isere.example\nSubject: TR\nMessage-ID: <f1@x.example>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"',
        b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVoir le message joint.\r\n"
        b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--B--\r\n",
    )
    parsed = parse_message(message, SETTINGS)
    assert parsed.text == "Voir le message joint."
    assert [a.filename for a in parsed.attachments] == ["piece-jointe-1.eml"]


def test_spoofed_display_name_never_replaces_the_real_address() -> None:
    encoded = "=?UTF-8?B?" + base64.b64encode("Médiation <mediation@isere.example>".encode()).decode() + "?="
    message = raw(
        f"From: {encoded} <pirate@isere-mail.example>\nTo: mediation@isere.example\nSubject: Alerte\n"
        "Message-ID: <p1@x.example>",
        b"Cliquez ici.\r\n",
    )
    parsed = parse_message(message, SETTINGS)
    assert parsed.from_address == "pirate@isere-mail.example"
    assert parsed.from_name == "Médiation <mediation@isere.example>"


def test_dedupe_key_combines_message_id_and_content() -> None:
    one = parse_message(mail(message_id="<same@x.example>"), SETTINGS)
    other_body = parse_message(mail("Autre texte", message_id="<same@x.example>"), SETTINGS)
    assert one.dedupe_key == dedupe_key("<same@x.example>", one.content_hash)
    assert one.dedupe_key != other_body.dedupe_key


# --------------------------------------------------------------------------- automatic mail


@pytest.mark.parametrize(
    ("headers", "subject", "reason"),
    [
        ({"Auto-Submitted": "auto-replied (vacation)"}, "Re: Votre demande", "Auto-Submitted"),
        ({"X-Autoreply": "yes"}, "Absent du bureau", "X-Autoreply"),
        ({"X-Autorespond": "yes"}, "Bonjour", "X-Autorespond"),
        ({"X-Auto-Response-Suppress": "All"}, "Réponse automatique : Dossier", "X-Auto-Response-Suppress"),
        ({}, "Réponse automatique : votre message", "objet"),
        ({}, "Out of Office: Re: dossier", "objet"),
        ({}, "Absente jusqu'au 2 novembre", "objet"),
    ],
)
def test_auto_replies_are_recognised(headers: dict[str, str], subject: str, reason: str) -> None:
    parsed = parse_message(mail(subject=subject, headers=headers), SETTINGS)
    assert parsed.kind is MessageKind.AUTO_REPLY
    assert reason in parsed.kind_reason


def test_auto_submitted_no_is_a_person() -> None:
    assert parse_message(mail(headers={"Auto-Submitted": "no"}), SETTINGS).kind is MessageKind.REQUEST


@pytest.mark.parametrize("subject", ["Absence de réponse de la CAF", "Absence de mon fils au collège"])
def test_a_citizen_writing_about_an_absence_is_not_an_auto_reply(subject: str) -> None:
    assert parse_message(mail(subject=subject), SETTINGS).kind is MessageKind.REQUEST


@pytest.mark.parametrize(
    "headers",
    [
        {"List-Id": "<lettre.amct.example>"},
        {"List-Unsubscribe": "<mailto:u@x.example>"},
        {"List-Post": "<mailto:l@x.example>"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
    ],
)
def test_list_mail_is_recognised(headers: dict[str, str]) -> None:
    assert parse_message(mail(headers=headers), SETTINGS).kind is MessageKind.LIST


def test_delivery_report_gives_the_original_message_and_failed_recipient() -> None:
    parsed = parse_message(dsn("<ack.1@isere.example>", "jean@exemple.example"), SETTINGS)
    assert parsed.kind is MessageKind.BOUNCE
    assert parsed.bounce is not None
    assert parsed.bounce.original_message_id == "<ack.1@isere.example>"
    assert parsed.bounce.recipient == "jean@exemple.example"
    assert parsed.bounce.permanent is True


def test_delayed_delivery_report_is_temporary() -> None:
    parsed = parse_message(
        dsn("<ack.2@isere.example>", "j@exemple.example", status="4.4.1", action="delayed"), SETTINGS
    )
    assert parsed.bounce is not None and parsed.bounce.permanent is False


def test_plain_text_bounce_from_mailer_daemon_is_read_from_its_text() -> None:
    message = raw(
        "From: MAILER-DAEMON@mx.exemple.example\nTo: mediation@isere.example\nSubject: failure notice\n"
        "Message-ID: <b2@mx.example>",
        b"<jean@exemple.example>:\r\n552 5.2.2 mailbox full\r\n\r\n--- copy\r\n\r\n"
        b"Message-ID: <ack.9@isere.example>\r\nSubject: Votre demande MED-2026-00009\r\n",
    )
    parsed = parse_message(message, SETTINGS)
    assert parsed.kind is MessageKind.BOUNCE and parsed.bounce is not None
    assert parsed.bounce.original_message_id == "<ack.9@isere.example>"
    assert parsed.bounce.recipient == "jean@exemple.example"
    assert "MED-2026-00009" in parsed.bounce.original_subject


def test_out_of_office_with_empty_return_path_is_an_auto_reply_not_a_bounce() -> None:
    parsed = parse_message(
        mail(subject="Absent du bureau", headers={"Return-Path": "<>", "X-Autoreply": "yes"}), SETTINGS
    )
    assert parsed.kind is MessageKind.AUTO_REPLY


def test_x_loop_is_reported() -> None:
    assert parse_message(mail(headers={"X-Loop": "mediature"}), SETTINGS).has_x_loop
    assert not parse_message(mail(), SETTINGS).has_x_loop


# --------------------------------------------------------------------------- web form

FORM_BODY = """Formulaire de saisine de la médiation départementale
Civilité : Madame
Nom : VIAL
Prénom : Christiane
Adresse : 5 chemin des Noyers, bâtiment B
Code postal : 38160
Commune : Saint-Marcellin
Téléphone : 04 65 71 22 09
Courriel : christiane.vial@exemple.example
Service concerné : Direction de l'autonomie
Démarches déjà effectuées : Appels ; courrier du 20 août : sans réponse
Objet de la demande : Diminution du plan d'aide APA
Message :
Bonjour,
Le plan d'aide de mon mari a baissé.
Objet : ceci reste dans le message.
"""


def _form(body: str = FORM_BODY, **headers: str) -> bytes:
    base = {"Reply-To": "Christiane Vial <christiane.vial@exemple.example>", "X-Form-Id": "mediation"}
    base.update(headers)
    return mail(
        body,
        sender="Département de l'Isère <ne-pas-repondre@isere.example>",
        subject="[Formulaire médiation] Nouvelle demande n° 2026-004817",
        headers={k: v for k, v in base.items() if v},
    )


def test_web_form_fields_are_parsed_and_the_citizen_is_the_reply_to() -> None:
    parsed = parse_message(_form(), SETTINGS)
    form = parsed.form
    assert form is not None and parsed.kind is MessageKind.REQUEST
    assert (form.civility, form.last_name, form.first_name) == ("Madame", "VIAL", "Christiane")
    assert form.address == "5 chemin des Noyers, bâtiment B"
    assert (form.postcode, form.commune, form.phone) == ("38160", "Saint-Marcellin", "04 65 71 22 09")
    assert form.prior_steps == "Appels ; courrier du 20 août : sans réponse"
    assert form.subject == "Diminution du plan d'aide APA"
    assert form.message.endswith("Objet : ceci reste dans le message.")
    assert form.form_number == "2026-004817"
    assert parsed.requester_address == "christiane.vial@exemple.example"
    assert parsed.channel.value == "formulaire"


def test_web_form_without_reply_to_uses_the_courriel_field_and_never_the_robot() -> None:
    parsed = parse_message(_form(**{"Reply-To": ""}), SETTINGS)
    assert parsed.requester_address == "christiane.vial@exemple.example"


def test_web_form_with_empty_courriel_has_no_address() -> None:
    body = FORM_BODY.replace("Courriel : christiane.vial@exemple.example", "Courriel :")
    parsed = parse_message(_form(body, **{"Reply-To": ""}), SETTINGS)
    assert parsed.form is not None and parsed.form.email == "" and parsed.requester_address == ""


def test_web_form_auto_submitted_header_does_not_make_it_automatic() -> None:
    parsed = parse_message(_form(**{"Auto-Submitted": "auto-generated", "Precedence": "bulk"}), SETTINGS)
    assert parsed.kind is MessageKind.REQUEST and parsed.form is not None


def test_form_recognition_needs_the_robot_sender() -> None:
    settings = ParsingSettings()
    assert is_webform(settings, sender="ne-pas-repondre@isere.example", subject="x", form_id="mediation")
    assert is_webform(
        settings, sender="ne-pas-repondre@isere.example", subject="[Formulaire médiation] n° 1", form_id=None
    )
    assert not is_webform(
        settings, sender="pirate@exemple.example", subject="[Formulaire médiation] n° 1", form_id="mediation"
    )
    assert not is_webform(settings, sender="ne-pas-repondre@isere.example", subject="Lettre", form_id=None)


def test_text_without_any_form_label_is_not_a_form() -> None:
    assert parse_fields("Bonjour,\nje vous écris.") is None


# --------------------------------------------------------------------------- what cannot be read


def test_empty_bytes_are_refused() -> None:
    with pytest.raises(ParseError, match="vide"):
        parse_message(b"  \r\n", SETTINGS)


def test_binary_junk_is_not_an_email() -> None:
    with pytest.raises(ParseError, match="aucun en-tête"):
        parse_message(bytes(range(256)) * 2, SETTINGS)


def test_declared_boundary_missing_from_the_body_is_refused() -> None:
    message = raw(
        "From: a@exemple.example\nTo: mediation@isere.example\nSubject: x\nMessage-ID: <s1@x.example>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="declared"',
        b"--other\r\nContent-Type: text/plain\r\n\r\nTexte\r\n--other--\r\n",
    )
    with pytest.raises(ParseError, match="frontière"):
        parse_message(message, SETTINGS)


def test_attachment_cut_in_the_middle_of_its_base64_is_refused() -> None:
    big_pdf = b"%PDF-1.4\n" + b"0 0 obj\n" * 1000 + b"%%EOF\n"
    b64 = base64.encodebytes(big_pdf).decode().replace("\n", "\r\n")
    message = raw(
        "From: a@exemple.example\nTo: mediation@isere.example\nSubject: x\nMessage-ID: <t1@x.example>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"',
        (
            "--B\r\nContent-Type: text/plain\r\n\r\nVoir PJ\r\n--B\r\nContent-Type: application/pdf\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64[: len(b64) // 2 - 3] + "\r\n--B--\r\n"
        ).encode(),
    )
    with pytest.raises(ParseError, match="tronqué"):
        parse_message(message, SETTINGS)


def test_unclosed_multipart_with_complete_parts_is_still_read() -> None:
    message = raw(
        "From: a@exemple.example\nTo: mediation@isere.example\nSubject: x\nMessage-ID: <u1@x.example>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"',
        b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTexte complet.\r\n",
    )
    assert parse_message(message, SETTINGS).text == "Texte complet."


def test_header_folded_without_indentation_is_repaired() -> None:
    message = raw(
        "From: Karoline <k@exemple.example>\nX-Tracker: AAAA\nBBBB-continued\nSubject: Reclamation\n"
        "To: mediation@isere.example\nMessage-ID: <r1@x.example>",
        b"Corps du message.\r\n",
    )
    parsed = parse_message(message, SETTINGS)
    assert parsed.from_address == "k@exemple.example" and parsed.subject == "Reclamation"
    assert parsed.text == "Corps du message."


def test_binary_garbage_in_the_header_block_is_refused() -> None:
    message = (
        b"Received: x\r\n\x00\xff\xfe junk line\r\nFrom: a@exemple.example\r\nSubject: x\r\n\r\nCorps\r\n"
    )
    with pytest.raises(ParseError, match="en-têtes corrompus"):
        parse_message(message, SETTINGS)
