"""End to end for citizens: a request by email -> acknowledgement over real SMTP -> its link opened in
headless Chromium shows the right dossier; automatic mail gets nothing; pages pass axe-core."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser import LiveServer, assert_accessible
from tests.smtp import SmtpServer
from triage.notify.sender import deliver_due
from triage.pipeline import Pipeline
from triage.records import IngestOutcome, RawMessage
from triage.runtime import Runtime
from triage.store.models import Dossier, OutboxItem
from triage.web.app import create_app

MAILBOX = Path(__file__).resolve().parent.parent / "data" / "samples" / "mailbox"


def _ingest(rt: Runtime, name: str) -> IngestOutcome:
    raw = RawMessage(source="eml", source_key=name, data=(MAILBOX / name).read_bytes())
    return Pipeline.from_runtime(rt).ingest_raw(raw).outcome


def _link(body: str) -> str:
    match = re.search(r"https?://\S+/suivi/[A-Za-z0-9_-]{32,}", body)
    assert match, "no tracking link in the acknowledgement"
    return match.group(0)


@pytest.mark.browser
def test_acknowledgement_link_opens_the_right_dossier_in_chromium(sqlite_runtime: Runtime, page) -> None:
    rt = sqlite_runtime
    with LiveServer(create_app(rt)) as web, SmtpServer() as smtp:
        rt.settings.web.public_url = web.url("").rstrip("/")
        rt.settings.smtp.url = smtp.url
        assert _ingest(rt, "001-cmi-refus-thunderbird.eml") == IngestOutcome.OPENED
        assert _ingest(rt, "004-ehpad-facturation-outlook.eml") == IngestOutcome.OPENED
        assert deliver_due(rt).sent == 2
        received = smtp.inbox.parsed()
        by_ref = {}
        for msg in received:
            ref = re.search(r"MED-\d{4}-\d{5}", str(msg["Subject"])).group(0)  # type: ignore[union-attr]
            by_ref[ref] = _link(msg.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        with rt.sessions() as s:
            refs = list(s.scalars(select(Dossier.reference).order_by(Dossier.id)))
        assert sorted(by_ref) == sorted(refs)
        for ref, link in by_ref.items():
            page.goto(link)
            assert page.locator("h1").inner_text() == f"Votre demande {ref}"
            assert "Demande reçue" in page.locator(".statut").inner_text()
            other = next(r for r in refs if r != ref)
            assert other not in page.content()
        assert_accessible(page)


@pytest.mark.browser
def test_tracking_form_and_error_pages_are_accessible_and_work_without_javascript(
    sqlite_runtime: Runtime, browser
) -> None:
    rt = sqlite_runtime
    assert _ingest(rt, "001-cmi-refus-thunderbird.eml") == IngestOutcome.OPENED
    with rt.sessions() as s:
        ref, key = s.execute(select(Dossier.reference, Dossier.tracking_key)).one()
    context = browser.new_context(
        java_script_enabled=False, locale="fr-FR", viewport={"width": 390, "height": 844}
    )
    pg = context.new_page()
    try:
        with LiveServer(create_app(rt)) as web:
            pg.goto(web.url("/suivi"))
            pg.fill("#reference", ref)
            pg.fill("#code", "ZZZZ" if key != "ZZZZ" else "YYYY")
            pg.click("button[type=submit]")
            assert "Nous ne trouvons pas de dossier" in pg.locator("[role=alert]").inner_text()
            pg.fill("#reference", ref.lower())
            pg.fill("#code", key)
            pg.click("button[type=submit]")
            assert pg.locator("h1").inner_text() == f"Votre demande {ref}"
            # phone-sized viewport: nothing wider than the screen
            assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        # axe needs script: check the same pages in a script-enabled context
        ctx2 = browser.new_context(locale="fr-FR")
        pg2 = ctx2.new_page()
        with LiveServer(create_app(rt)) as web:
            pg2.goto(web.url("/suivi"))
            assert_accessible(pg2)
            pg2.fill("#reference", ref)
            pg2.fill("#code", "ZZZZ" if key != "ZZZZ" else "YYYY")
            pg2.click("button[type=submit]")
            assert_accessible(pg2)
        ctx2.close()
    finally:
        context.close()


@pytest.mark.parametrize(
    "name",
    [
        "013-absence-auto-submitted-re-MED-2026-00010.eml",
        "018-reponse-automatique-outlook.eml",
        "029-absent-du-bureau-x-autoreply.eml",
        "003-bounce-dsn-accuse-MED-2026-00002.eml",
        "034-bounce-non-dsn-boite-pleine.eml",
        "024-lettre-amct-liste-diffusion.eml",
    ],
)
def test_automatic_mail_bounces_and_lists_trigger_no_message(sqlite_runtime: Runtime, name: str) -> None:
    outcome = _ingest(sqlite_runtime, name)
    assert outcome in (IngestOutcome.NOT_REQUEST, IngestOutcome.ATTACHED, IngestOutcome.FLAGGED)
    with sqlite_runtime.sessions() as s:
        assert s.scalars(select(OutboxItem)).all() == []
