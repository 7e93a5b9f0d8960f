"""Who incoming mail may be trusted as (issue 12 findings 3, 5, 13; issue 10 item 5): forged form
robots, encoded display names, spam verdicts and failed authentication, automatic messages that are
requests. Each test is the attack or the bad input first."""

from __future__ import annotations

from sqlalchemy import select

from tests.mailfactory import mail
from tests.test_pipeline import RecordingNotifier
from triage.config import ParsingSettings, Settings
from triage.parse.message import parse_message
from triage.pipeline import Pipeline
from triage.records import Extraction, IngestOutcome, MessageKind, RawMessage
from triage.runtime import Runtime
from triage.store.models import Dossier, Message

SETTINGS = Settings()
ROBOT = "Département de l'Isère <ne-pas-repondre@isere.example>"
FORM_BODY = """Civilité : Madame
Nom : VIAL
Prénom : Christiane
Courriel : christiane.vial@exemple.example
Code postal : 38160
Commune : Saint-Marcellin
Démarches déjà effectuées :
 j'ai écrit à la MDPH en mars, sans réponse
Objet de la demande :

Diminution du plan d'aide APA

Message : Le plan d'aide de mon mari a baissé.
"""


def _form(
    sender: str = ROBOT,
    subject: str = "[Formulaire médiation] Nouvelle demande n° 2026-004817",
    body: str = FORM_BODY,
    **headers: str,
) -> bytes:
    base = {"Reply-To": "Christiane Vial <christiane.vial@exemple.example>"}
    base.update(headers)
    return mail(body, sender=sender, subject=subject, headers={k: v for k, v in base.items() if v})


def _ingest(runtime: Runtime, data: bytes) -> tuple[IngestOutcome, RecordingNotifier, Pipeline]:
    notifier = RecordingNotifier()
    pipeline = Pipeline(runtime, notifier=notifier)
    outcome = pipeline.ingest_raw(RawMessage("eml", "test", data))
    return outcome.outcome, notifier, pipeline


# --------------------------------------------------------------------------- finding 3: the form robot


def test_form_from_a_robot_address_on_another_domain_is_set_aside_not_opened(sqlite_runtime: Runtime) -> None:
    attack = _form(
        sender="Département <ne-pas-repondre@pirate.example>", **{"Reply-To": "victime@exemple.example"}
    )
    parsed = parse_message(attack, SETTINGS)
    assert parsed.form is None and "usurpation" in parsed.set_aside
    outcome, notifier, _ = _ingest(sqlite_runtime, attack)
    assert outcome is IngestOutcome.FLAGGED and notifier.calls == []
    with sqlite_runtime.sessions() as session:
        assert session.scalar(select(Dossier.id)) is None
        row = session.scalars(select(Message)).one()
        assert row.needs_review and "usurpation" in row.flag_reason


def test_form_from_the_configured_address_opens_a_dossier_for_its_reply_to(sqlite_runtime: Runtime) -> None:
    outcome, notifier, _ = _ingest(sqlite_runtime, _form())
    assert outcome is IngestOutcome.OPENED and len(notifier.calls) == 1
    with sqlite_runtime.sessions() as session:
        assert session.scalars(select(Dossier.requester_email)).one() == "christiane.vial@exemple.example"


def test_form_values_standing_below_their_label_are_read() -> None:
    form = parse_message(_form(), SETTINGS).form
    assert form is not None
    assert form.prior_steps == "j'ai écrit à la MDPH en mars, sans réponse"
    assert form.subject == "Diminution du plan d'aide APA"
    assert form.commune == "Saint-Marcellin" and form.message == "Le plan d'aide de mon mari a baissé."


def _trusting(**changes: object) -> Settings:
    settings = Settings()
    settings.parsing = ParsingSettings(trusted_authserv_ids=["mx.isere.example"], **changes)  # type: ignore[arg-type]
    return settings


def test_form_needs_a_passing_authentication_when_the_receiving_server_reports_one() -> None:
    settings = _trusting()
    failed = _form(
        **{"Authentication-Results": "mx.isere.example; spf=softfail smtp.mailfrom=isere.example; dkim=none"}
    )
    parsed = parse_message(failed, settings)
    assert parsed.form is None and "confirmé" in parsed.set_aside
    passed = _form(**{"Authentication-Results": "mx.isere.example; dkim=pass header.d=isere.example"})
    assert parse_message(passed, settings).form is not None


def test_a_forged_pass_from_another_authserv_id_vouches_for_nothing() -> None:
    forged = _form(**{"Authentication-Results": "mx.pirate.example; dkim=pass header.d=isere.example"})
    parsed = parse_message(forged, _trusting())
    # no header from our server: the address alone decides (as without the setting)
    assert parsed.form is not None
    both = _form(**{"Authentication-Results": "mx.isere.example; spf=softfail smtp.mailfrom=isere.example"})
    both = both.replace(
        b"Authentication-Results:",
        b"Authentication-Results: mx.pirate.example; dkim=pass "
        b"header.d=isere.example\r\nAuthentication-Results:",
        1,
    )
    assert parse_message(both, _trusting()).form is None


def test_forged_from_with_the_dossiers_address_and_failed_dmarc_does_not_join_it(
    sqlite_runtime: Runtime,
) -> None:
    _, _, pipeline = _ingest(sqlite_runtime, mail(sender="Jeanne <jeanne.martin@exemple.example>"))
    with sqlite_runtime.sessions() as session:
        reference = session.scalars(select(Dossier.reference)).one()
    forged = mail(
        sender="Jeanne <jeanne.martin@exemple.example>",
        subject=f"Re: {reference}",
        body="Finalement je retire ma demande.",
        headers={
            "Authentication-Results": "mx.isere.example; spf=fail smtp.mailfrom=exemple.example; "
            "dmarc=fail header.from=exemple.example"
        },
    )
    result = pipeline.ingest_raw(RawMessage("eml", "forged", forged))
    assert result.outcome is IngestOutcome.FLAGGED and result.reference == reference
    with sqlite_runtime.sessions() as session:
        row = session.scalars(select(Message).where(Message.source_key == "forged")).one()
        assert row.dossier_id is None and row.needs_review and "SPF" in row.flag_reason


# --------------------------------------------------------------------------- finding 5: encoded names


def test_encoded_display_name_never_becomes_the_address() -> None:
    attack = (
        b"From: =?utf-8?q?Jean_<x>?= <jean.reel@example.org>\r\nTo: mediation@isere.example\r\n"
        b"Subject: Demande\r\nMessage-ID: <enc-1@example.org>\r\n\r\nJe suis tiers@pirate.example\r\n"
    )
    parsed = parse_message(attack, SETTINGS)
    assert parsed.from_address == "jean.reel@example.org" == parsed.requester_address
    only_encoded = b"From: =?utf-8?q?Jean_=3Cx=40pirate.example=3E?=\r\nSubject: Demande\r\n\r\nBonjour\r\n"
    assert parse_message(only_encoded, SETTINGS).from_address == ""


def test_acknowledgement_never_goes_to_an_address_from_the_body(sqlite_runtime: Runtime) -> None:
    from tests.test_pipeline import FixedSuggester

    attack = (
        b"From: =?utf-8?q?Jean_=3Cx=40pirate.example=3E?=\r\nTo: mediation@isere.example\r\n"
        b"Subject: Demande\r\nMessage-ID: <enc-2@example.org>\r\n\r\nEcrivez-moi : tiers@pirate.example\r\n"
    )
    pipeline = Pipeline(
        sqlite_runtime,
        suggester=FixedSuggester(Extraction(emails=("tiers@pirate.example",))),
        notifier=RecordingNotifier(),
    )
    assert pipeline.ingest_raw(RawMessage("eml", "enc", attack)).outcome is IngestOutcome.OPENED
    with sqlite_runtime.sessions() as session:
        assert session.scalars(select(Dossier.requester_email)).one() == ""


# --------------------------------------------------------------------------- finding 13: backscatter


def test_spam_flag_of_the_receiving_server_is_never_acknowledged(sqlite_runtime: Runtime) -> None:
    for header, value in (
        ("X-Spam-Flag", "YES"),
        ("X-Spam-Status", "Yes, score=9.4 required=5.0"),
        ("X-Rspamd-Action", "add header"),
        ("X-Spamd-Result", "default: True [17.2 / 15.0]"),
    ):
        data = mail(headers={header: value})
        parsed = parse_message(data, SETTINGS)
        assert parsed.probable_spam and header in parsed.set_aside, header
        outcome, notifier, _ = _ingest(sqlite_runtime, data)
        assert outcome is IngestOutcome.FLAGGED and notifier.calls == [], header
    with sqlite_runtime.sessions() as session:
        assert session.scalar(select(Dossier.id)) is None
        assert set(session.scalars(select(Message.role))) == {"spam"}


def test_a_negative_spam_verdict_or_a_disabled_header_changes_nothing() -> None:
    assert not parse_message(
        mail(headers={"X-Spam-Flag": "NO", "X-Spam-Status": "No, score=0.1"}), SETTINGS
    ).set_aside
    settings = Settings()
    settings.parsing = ParsingSettings(spam_verdict_headers=[])
    assert not parse_message(mail(headers={"X-Spam-Flag": "YES"}), settings).set_aside


def test_failed_spf_or_dmarc_in_the_topmost_header_is_set_aside() -> None:
    data = mail(
        headers={"Authentication-Results": "mx.isere.example; dmarc=fail header.from=exemple.example"}
    )
    parsed = parse_message(data, SETTINGS)
    assert parsed.probable_spam and "DMARC" in parsed.set_aside


# --------------------------------------------------------------------------- issue 10.5: never invisible


def test_automatic_form_from_the_trusted_robot_with_another_subject_is_a_request(
    sqlite_runtime: Runtime,
) -> None:
    data = _form(subject="Nouvelle soumission : Contact médiation", **{"Auto-Submitted": "auto-generated"})
    parsed = parse_message(data, SETTINGS)
    assert parsed.kind is MessageKind.REQUEST and parsed.form is not None
    assert parsed.form.prior_steps.startswith("j'ai écrit à la MDPH")
    outcome, notifier, _ = _ingest(sqlite_runtime, data)
    assert outcome is IngestOutcome.OPENED and len(notifier.calls) == 1


def test_automatic_form_from_an_unknown_robot_is_set_aside_never_a_silent_non_request(
    sqlite_runtime: Runtime,
) -> None:
    data = _form(
        sender="Formulaires <robot@formulaires.isere.example>",
        subject="Nouvelle soumission",
        **{"Auto-Submitted": "auto-generated"},
    )
    parsed = parse_message(data, SETTINGS)
    assert parsed.form is None and "formulaire" in parsed.set_aside
    outcome, notifier, _ = _ingest(sqlite_runtime, data)
    assert outcome is IngestOutcome.FLAGGED and notifier.calls == []


def test_automatic_message_with_a_personal_reply_to_is_set_aside() -> None:
    data = mail(
        "Une personne a demandé à être rappelée au sujet de son RSA.",
        sender="robot@crm.example",
        headers={"Auto-Submitted": "auto-generated", "Reply-To": "paul.durand@exemple.example"},
    )
    assert "adresse de réponse personnelle" in parse_message(data, SETTINGS).set_aside


def test_out_of_office_and_list_mail_stay_non_requests() -> None:
    ooo = mail(
        FORM_BODY,
        subject="Réponse automatique : absent",
        headers={"Auto-Submitted": "auto-replied", "Reply-To": "collegue@exemple.example"},
    )
    listed = mail(
        FORM_BODY, headers={"Auto-Submitted": "auto-generated", "List-Id": "<info.exemple.example>"}
    )
    for data in (ooo, listed):
        parsed = parse_message(data, SETTINGS)
        assert parsed.kind is not MessageKind.REQUEST and not parsed.set_aside


def test_forged_form_citing_a_dossier_never_adds_text_to_it(sqlite_runtime: Runtime) -> None:
    _, _, pipeline = _ingest(sqlite_runtime, _form())
    with sqlite_runtime.sessions() as session:
        reference = session.scalars(select(Dossier.reference)).one()
    attack = _form(
        sender="Département <ne-pas-repondre@pirate.example>",
        subject=f"[Formulaire médiation] Re: {reference}",
        body="Message : je retire ma demande.",
    )
    result = pipeline.ingest_raw(RawMessage("eml", "forged-form", attack))
    assert result.outcome is IngestOutcome.FLAGGED and result.reference == reference
    with sqlite_runtime.sessions() as session:
        row = session.scalars(select(Message).where(Message.source_key == "forged-form")).one()
        assert row.dossier_id is None and "usurpation" in row.flag_reason
