"""The mediator's day in a real browser (Debian's chromium): login, review, correction, merge, a status
change, a letter; hostile email HTML cannot run; axe-core finds no accessibility violation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser import LiveServer, assert_accessible
from tests.workspace_data import PASSWORD, add_request, add_users, fast_argon2
from triage.records import RawMessage
from triage.runtime import Runtime
from triage.store.models import Dossier, LabelledExample, OutboxItem
from triage.web.app import create_app

pytestmark = pytest.mark.browser
__all__ = ["fast_argon2"]  # a fixture imported for pytest (browser and page come from conftest)

HOSTILE_HTML = """<html><head><meta http-equiv="refresh" content="0;url=https://evil.example/">
<style>body{background:url(https://evil.example/track.png)}</style></head><body>
<p>Bonjour, je conteste le refus de mon <b>APA</b>.</p>
<script>window.top.__pwned = 1; alert('script');</script>
<img src="https://evil.example/pixel.gif" onerror="window.top.__pwned = 2; alert('img')">
<a href="javascript:alert('lien')">cliquez ici</a>
<iframe src="https://evil.example/"></iframe>
<svg onload="alert('svg')"></svg>
<form action="https://evil.example/"><input name="x"><button>Envoyer</button></form>
</body></html>"""


def hostile_email() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Robert Piège <robert.piege@example.org>"
    msg["To"] = "mediation@isere.example"
    msg["Subject"] = "Refus APA de ma mère"
    msg["Message-ID"] = "<hostile-1@example.org>"
    msg["Date"] = "Mon, 02 Nov 2026 09:30:00 +0100"
    msg.set_content("Bonjour, je conteste le refus de mon APA. <script>alert('texte')</script>")
    msg.add_alternative(HOSTILE_HTML, subtype="html")
    return msg.as_bytes()


@pytest.fixture
def server(sqlite_runtime: Runtime, fast_argon2: None) -> Iterator[LiveServer]:
    rt = sqlite_runtime
    rt.settings.web.secure_cookies = False  # plain http on loopback
    add_users(rt)
    with rt.sessions.begin() as s:
        add_request(s, "MED-2026-00001", html="<p>Bonjour, voici ma <b>demande</b>.</p>")
        add_request(
            s,
            "MED-2026-00002",
            email="jean.dupont@example.org",
            name="Jean Dupont",
            text="Mon RSA a été suspendu, je viens de recevoir la décision.",
            suggestion=("insertion_rsa", 0.55, "recevable", 0.5, "none", 0.9),
        )
        add_request(s, "MED-2026-00003", text="Je relance : toujours rien pour ma carte mobilité inclusion.")
    from triage.pipeline import Pipeline

    # received in 2025 so that its reference (from the counter) does not collide with the seeded 2026 ones
    outcome = Pipeline(rt).ingest_raw(
        RawMessage(
            source="eml",
            source_key="hostile.eml",
            data=hostile_email(),
            received_at=datetime(2025, 12, 1, 9, 0, tzinfo=UTC),
        )
    )
    assert outcome.reference == hostile_reference(rt), outcome
    with LiveServer(create_app(rt)) as live:
        yield live


def hostile_reference(rt: Runtime) -> str:
    """The dossier the hostile email opened (the only one received in 2025)."""
    with rt.sessions() as s:
        return str(s.scalars(select(Dossier.reference).where(Dossier.reference.like("MED-2025-%"))).one())


def log_in(page: Any, server: LiveServer) -> None:
    page.goto(server.url("/mediation/"))
    assert "/connexion" in page.url
    page.get_by_label("Identifiant").fill("mediatrice")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(server.url("/mediation/"))


def test_mediator_reviews_corrects_merges_closes_and_writes(
    page: Any, server: LiveServer, sqlite_runtime: Runtime
) -> None:
    rt = sqlite_runtime
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, server)
    assert page.get_by_role("heading", name="Demandes à trier").is_visible()
    # the queue: one line per request, uncertain ones first; the first one is opened
    lines = page.locator("ol.file-tri > li")
    assert lines.count() == 4
    assert "incertaine" in (lines.first.get_attribute("class") or "")
    assert "sure" in (lines.last.get_attribute("class") or "")
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_accessible(page)

    # opening a request keeps the page at its line, highlights its trigger words, focuses "Accepter"
    page.get_by_role("link", name="MED-2026-00001").click()
    page.wait_for_url("**demande=MED-2026-00001")
    assert page.locator("mark.m-domain", has_text="carte mobilité inclusion").first.is_visible()
    assert page.evaluate("() => document.activeElement.innerText").startswith("Accepter la suggestion")
    assert page.get_by_text("Raccourcis clavier").is_visible()

    # review: accept the first suggestion in one action; the next request opens at its line
    page.get_by_role("button", name="Accepter la suggestion pour MED-2026-00001").click()
    page.wait_for_url("**/mediation/?demande=*&fait=accepte")
    assert page.get_by_role("status").inner_text().startswith("Tri accepté")

    # correction: open the second request and pick other labels
    page.get_by_role("link", name="MED-2026-00002").click()
    page.locator("summary", has_text="Corriger les étiquettes").click()
    page.get_by_label("Recevabilité").select_option("prematuree")
    page.get_by_role("button", name="Enregistrer ce tri pour MED-2026-00002").click()
    page.wait_for_url("**fait=corrige**")

    # merge: the third request is the same person's, proposed by the queue
    page.get_by_role("link", name="MED-2026-00003").click()
    page.get_by_role("button", name="Joindre MED-2026-00003 à MED-2026-00001").click()
    assert page.get_by_role(
        "heading", name="Rattacher la demande MED-2026-00003 au dossier MED-2026-00001 ?"
    ).is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer le rattachement").click()
    page.wait_for_url("**fait=joint**")
    page.get_by_role("link", name="Voir le dossier MED-2026-00001").click()
    assert page.get_by_text("Je relance : toujours rien").is_visible()
    assert_accessible(page)

    # a status change along the process, then closing with its outcome
    page.get_by_label("Nouvelle étape").select_option("mediation_en_cours")
    page.get_by_role("button", name="Changer d'étape").click()
    page.wait_for_url("**?fait=statut")
    # closing leads to the dated end-of-mediation notice: outcome, preview, then sent by email
    page.get_by_role("link", name="Clôturer : issue et avis daté de fin de médiation").click()
    page.get_by_label("Issue de la médiation").select_option("resolution_complete")
    page.get_by_label("Par courriel (boîte d'envoi)").check()
    page.get_by_label("Votre texte (facultatif) — paragraphes séparés par une ligne vide").fill(
        "Merci de votre confiance."
    )
    page.get_by_role("button", name="Préparer (aperçu avant envoi)").click()
    assert page.get_by_text("Merci de votre confiance.").is_visible()
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_url("**?fait=courrier#courriers")
    assert page.get_by_role("cell", name="Avis daté de fin de médiation").is_visible()

    with rt.sessions() as s:
        examples = {e.dossier_id: e for e in s.scalars(select(LabelledExample))}
        refs = {ref: did for ref, did in s.execute(select(Dossier.reference, Dossier.id))}
        assert not examples[refs["MED-2026-00001"]].corrected and examples[refs["MED-2026-00002"]].corrected
        assert (
            s.scalar(select(Dossier.merged_into_id).where(Dossier.id == refs["MED-2026-00003"]))
            == refs["MED-2026-00001"]
        )
        assert s.scalar(select(OutboxItem.kind).where(OutboxItem.kind == "letter_fin_mediation")) is not None

    # the citizen's tracking page followed every step
    page.goto(server.url("/suivi"))
    page.get_by_label("Référence du dossier").fill("MED-2026-00001")
    with rt.sessions() as s:
        key = s.scalar(select(Dossier.tracking_key).where(Dossier.reference == "MED-2026-00001"))
    page.get_by_label("Code de suivi").fill(str(key))
    page.get_by_role("button", name="Voir où en est ma demande").click()
    body = page.locator("main").inner_text()
    assert "Clôturée" in body and "Médiation en cours" in body and "En cours d'examen" in body
    assert dialogs == []


def test_hostile_email_html_cannot_run_script_in_the_workspace(
    page: Any, server: LiveServer, sqlite_runtime: Runtime
) -> None:
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    log_in(page, server)
    reference = hostile_reference(sqlite_runtime)
    page.goto(server.url(f"/mediation/dossiers/{reference}"))
    assert page.get_by_text("je conteste le refus de mon APA").first.is_visible()
    page.get_by_text("Voir la version mise en forme").click()
    frame = page.frame_locator("iframe.courriel-html")
    assert "je conteste le refus" in frame.locator("body").inner_text()
    page.wait_for_timeout(500)
    assert dialogs == []
    assert page.evaluate("() => window.__pwned") is None
    assert page.url.startswith(server.url("/mediation/dossiers/"))
    assert not [u for u in requests if "evil.example" in u]
    assert_accessible(page)


def test_other_workspace_pages_pass_axe(page: Any, server: LiveServer) -> None:
    log_in(page, server)
    for path in ("/mediation/dossiers", "/mediation/dossiers/nouveau"):
        page.goto(server.url(path))
        assert_accessible(page)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion")
    assert_accessible(page)
    for username, paths in (
        ("courrier", ("/courrier/", "/courrier/demande")),
        ("admin", ("/admin/", "/admin/journal")),
    ):
        page.get_by_label("Identifiant").fill(username)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(server.url(paths[0]))
        for path in paths:
            page.goto(server.url(path))
            assert_accessible(page)
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url("**/connexion")


def test_queue_is_worked_from_the_keyboard_and_fits_a_phone(page: Any, server: LiveServer) -> None:
    log_in(page, server)
    shortcuts = page.locator("#raccourcis").inner_text()
    assert (
        "a accepter" in shortcuts
        and "j demande suivante" in shortcuts
        and "e ce n'est pas une demande" in shortcuts
    )
    page.goto(
        server.url("/mediation/?demande=MED-2026-00002")
    )  # a request with a suggestion: focus on "Accepter"
    first = page.locator("li.ouverte a.ref").inner_text()
    page.keyboard.press("j")  # next request, opened
    page.wait_for_url("**demande=*")
    second = page.locator("li.ouverte a.ref").inner_text()
    assert second != first
    page.keyboard.press("k")
    page.wait_for_url(f"**demande={first}")
    page.goto(server.url(f"/mediation/?demande={second}"))
    page.keyboard.press("c")  # correct: the lists open, the focus on the first one
    assert page.evaluate("() => document.activeElement.name") == "domain"
    page.goto(server.url(f"/mediation/?demande={second}"))
    page.keyboard.press("a")  # accept: the next one opens with the focus on its "Accepter"
    page.wait_for_url("**fait=accepte")
    assert page.get_by_role("status").inner_text().startswith("Tri accepté")
    assert page.locator("li.ouverte a.ref").inner_text() not in (second,)
    assert page.locator(f"#d-{second}").count() == 0
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url("/mediation/"))
    assert (
        page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        == 0
    )
    assert_accessible(page)
    page.goto(server.url("/mediation/echeances"))
    assert_accessible(page)


def test_trigger_words_are_not_highlighted_in_form_labels() -> None:
    from triage.web.mediation.views import highlight

    html = str(
        highlight(
            "Courriel : jean@example.org\nMon courriel est resté sans réponse.", {"domain": ["courriel"]}
        )
    )
    assert html.startswith("Courriel : jean")
    assert 'Mon <mark class="m-domain">courriel</mark>' in html


def _tracking_text(page: Any, server: LiveServer, rt: Runtime, reference: str) -> str:
    with rt.sessions() as s:
        key = s.scalar(select(Dossier.tracking_key).where(Dossier.reference == reference))
    page.goto(server.url("/suivi"))
    page.get_by_label("Référence du dossier").fill(reference)
    page.get_by_label("Code de suivi").fill(str(key))
    page.get_by_role("button", name="Voir où en est ma demande").click()
    return str(page.locator("main").inner_text())


def test_classer_sans_suite_asks_first_can_be_undone_and_tells_the_sender(
    page: Any, server: LiveServer, sqlite_runtime: Runtime
) -> None:
    rt = sqlite_runtime
    log_in(page, server)
    page.goto(server.url("/mediation/?demande=MED-2026-00002"))
    page.keyboard.press("e")  # the reason field of « classer sans suite » opens, focused
    page.keyboard.type("Simple demande d'information")
    page.keyboard.press("Enter")
    page.wait_for_url("**/mediation/tri/MED-2026-00002/ecarter")
    assert page.get_by_role("heading", name="Classer la demande MED-2026-00002 sans suite ?").is_visible()
    assert page.get_by_text("Motif : Simple demande d'information").is_visible()
    assert_accessible(page)
    page.keyboard.press("Enter")  # « Confirmer » has the focus
    page.wait_for_url("**fait=ecarte**")
    assert page.locator("#d-MED-2026-00002").count() == 0
    page.get_by_role("button", name="Annuler pour MED-2026-00002").click()
    page.wait_for_url("**demande=MED-2026-00002&fait=annule")
    assert page.locator("li.ouverte a.ref").inner_text() == "MED-2026-00002"
    assert "Demande reçue" in _tracking_text(page, server, rt, "MED-2026-00002")

    page.goto(server.url("/mediation/?demande=MED-2026-00002"))
    page.locator("summary", has_text="classer sans suite").click()
    page.get_by_label("Motif, lu par l'expéditeur sur sa page de suivi").fill(
        "Message sans rapport avec la médiation"
    )
    page.get_by_role("button", name="Classer sans suite… (MED-2026-00002)").click()
    page.get_by_role("button", name="Confirmer le classement sans suite").click()
    page.wait_for_url("**fait=ecarte**")
    body = _tracking_text(page, server, rt, "MED-2026-00002")
    assert "Classée sans suite" in body and "Motif : Message sans rapport avec la médiation." in body
    assert "sous 15 jours" not in body
    assert_accessible(page)


def test_report_page_has_no_placeholder_for_readers_and_passes_axe(
    page: Any, server: LiveServer, sqlite_runtime: Runtime
) -> None:
    from triage.report.render import build, render_html

    log_in(page, server)
    page.goto(server.url("/mediation/rapport"))
    assert page.locator("main").count() == 1
    assert_accessible(page)
    published = render_html(build(sqlite_runtime, 2026))  # the HTML/PDF the report command writes
    assert "à rédiger" not in published and "mediature report comment" not in published
