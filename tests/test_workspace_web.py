"""The mediation workspace in-process: who may see what, CSRF, login lockout, audit, the main actions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.workspace_data import (
    PASSWORD,
    add_attachment,
    add_request,
    add_service,
    add_users,
    fast_argon2,
    form_token,
    login,
)
from triage.runtime import Runtime
from triage.store.models import (
    AuditEntry,
    Dossier,
    Event,
    LabelledExample,
    OutboxItem,
    PrintJob,
    StoredAttachment,
    SuggestionRow,
    WebSession,
)
from triage.web.app import create_app

__all__ = ["fast_argon2"]


@pytest.fixture
def rt(sqlite_runtime: Runtime, fast_argon2: None) -> Runtime:
    sqlite_runtime.settings.web.secure_cookies = False  # TestClient speaks plain http
    add_users(sqlite_runtime)
    with sqlite_runtime.sessions.begin() as s:
        d, _ = add_request(s, "MED-2026-00001")
        add_attachment(s, d, "avis.pdf", b"%PDF-1.4 not really", "application/pdf")
        s.add(PrintJob(dossier_id=d.id, kind="acknowledgement", idempotency_key="k1", pdf=b"%PDF-1.4"))
    return sqlite_runtime


def attachment_id(rt: Runtime) -> int:
    """The one attachment the fixture stored."""
    with rt.sessions() as s:
        return int(s.scalars(select(StoredAttachment.id)).one())


@pytest.fixture
def app(rt: Runtime):  # type: ignore[no-untyped-def]
    return create_app(rt)


def client_for(app, role: str | None) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    if role:
        assert login(client, role).status_code == 303
    return client


def _concrete(path: str, rt: Runtime) -> str:
    values = {
        "reference": "MED-2026-00001",
        "attachment_id": str(attachment_id(rt)),
        "job_id": "1",
        "message_id": "1",
        "user_id": "1",
        "item_id": "1",
        "year": "2026",
        "recommendation_id": "1",
        "rec_id": "1",
        "draft_id": "1",
        "template_id": "1",
        "contact_id": "1",
        "number": "1",
    }
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


def workspace_routes(app, prefix: str) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, concrete path) of every route under `prefix`: a new route is checked without being listed."""
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith(prefix):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, route.path


def test_every_mediation_route_refuses_anonymous_mail_service_and_admin(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    routes = list(workspace_routes(app, "/mediation"))
    assert len(routes) >= 15 and ("GET", "/mediation/pieces-jointes/{attachment_id:id}") in routes
    anonymous = client_for(app, None)
    clients = {role: client_for(app, role) for role in ("courrier", "admin")}
    for method, path in routes:
        url = _concrete(path, rt)
        anon = anonymous.request(method, url, data={"csrf": "x"}, follow_redirects=False)
        assert anon.status_code in (303, 403), (method, url, anon.status_code)
        if anon.status_code == 303:
            assert anon.headers["location"].startswith("/connexion")
        assert b"Sylvie" not in anon.content and b"%PDF" not in anon.content
        for role, client in clients.items():
            token = form_token(client.get("/courrier/" if role == "courrier" else "/admin/").text)
            answer = client.request(method, url, data={"csrf": token}, follow_redirects=False)
            assert answer.status_code == 403, (role, method, url, answer.status_code)
            assert b"Sylvie" not in answer.content and b"%PDF" not in answer.content


def test_mail_service_pages_refuse_anonymous_and_admin_pages_refuse_mail_service(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    anonymous, courrier = client_for(app, None), client_for(app, "courrier")
    for method, path in workspace_routes(app, "/courrier"):
        answer = anonymous.request(method, _concrete(path, rt), data={"csrf": "x"}, follow_redirects=False)
        assert answer.status_code in (303, 403)
    for method, path in workspace_routes(app, "/admin"):
        token = form_token(courrier.get("/courrier/").text)
        answer = courrier.request(method, _concrete(path, rt), data={"csrf": token}, follow_redirects=False)
        assert answer.status_code == 403, (method, path)


def test_mail_service_sees_print_queue_but_no_dossier_content(app) -> None:  # type: ignore[no-untyped-def]
    courrier = client_for(app, "courrier")
    page = courrier.get("/courrier/")
    assert page.status_code == 200 and "File d'impression" in page.text and "MED-2026-00001" in page.text
    assert "Sylvie" not in page.text and "carte mobilité" not in page.text
    pdf = courrier.get("/courrier/impressions/1")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment")


def test_post_without_or_with_a_wrong_csrf_token_changes_nothing(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app, "mediatrice")
    for data in ({}, {"csrf": "forged-token"}):
        answer = client.post("/mediation/tri/MED-2026-00001/accepter", data=data, follow_redirects=False)
        assert answer.status_code == 403 and "Jeton de sécurité" in answer.text
    login_page = TestClient(app).post(
        "/connexion", data={"identifiant": "mediatrice", "mot_de_passe": PASSWORD}
    )
    assert login_page.status_code == 403  # the login form has its own token too
    with rt.sessions() as s:
        assert (
            s.scalar(select(Dossier.triage_status).where(Dossier.reference == "MED-2026-00001")) == "pending"
        )
        assert s.scalar(select(func.count()).select_from(LabelledExample)) == 0


def test_session_cookie_is_httponly_samesite_strict_and_secure_when_configured(rt: Runtime) -> None:
    answer = login(TestClient(create_app(rt)), "mediatrice")
    cookie = answer.headers["set-cookie"].lower()
    assert (
        "httponly" in cookie
        and "samesite=strict" in cookie
        and "secure" not in cookie.split("mediature_login")[0]
    )
    rt.settings.web.secure_cookies = True
    secure = TestClient(create_app(rt), base_url="https://testserver")
    answer = login(secure, "mediatrice")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("__Host-mediature=") and "Secure" in cookie and "HttpOnly" in cookie
    with rt.sessions() as s:  # the table keeps a hash, never the cookie value
        value = cookie.split(";")[0].split("=", 1)[1]
        assert value not in {row.id_hash for row in s.scalars(select(WebSession))}


def test_logout_ends_the_server_side_session(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app, "mediatrice")
    token = form_token(client.get("/mediation/").text)
    assert client.post("/deconnexion", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/mediation/", follow_redirects=False).status_code == 303


def test_reading_a_dossier_and_downloading_a_file_are_audited(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app, "mediatrice")
    assert client.get("/mediation/dossiers/MED-2026-00001").status_code == 200
    download = client.get(f"/mediation/pieces-jointes/{attachment_id(rt)}")
    assert download.status_code == 200 and download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith('attachment; filename="avis.pdf"')
    with rt.sessions() as s:
        actions = [
            (e.action, e.actor)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.dossier_id.is_not(None)))
        ]
    assert ("dossier.view", "mediatrice") in actions and ("dossier.attachment", "mediatrice") in actions


def test_accept_then_close_updates_the_tracking_page_and_stores_a_labelled_example(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app, "mediatrice")
    queue = client.get("/mediation/")
    assert '<mark class="m-domain">carte mobilité inclusion</mark>' in queue.text
    token = form_token(queue.text)
    assert (
        client.post(
            "/mediation/tri/MED-2026-00001/accepter", data={"csrf": token}, follow_redirects=False
        ).status_code
        == 303
    )
    answer = client.post(
        "/mediation/dossiers/MED-2026-00001/statut",
        data={"csrf": token, "statut": "cloturee", "issue": "resolution_partielle"},
    )
    # closing leads to the form of the dated end-of-mediation notice
    assert answer.status_code == 200 and "Dossier clôturé. Envoyez maintenant" in answer.text
    assert '<h3 id="titre-courrier">Avis daté de fin de médiation</h3>' in answer.text
    with rt.sessions() as s:
        example = s.scalar(select(LabelledExample))
        assert example is not None and not example.corrected and example.domain == "autonomie_handicap"
        public = [
            e.summary for e in s.scalars(select(Event).where(Event.public.is_(True)).order_by(Event.id))
        ]
    assert public[-2:] == ["En cours d'examen", "Clôturée : résolution partielle"]


def test_an_action_the_process_refuses_shows_why_and_changes_nothing(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app, "mediatrice")
    token = form_token(client.get("/mediation/").text)
    answer = client.post(
        "/mediation/dossiers/MED-2026-00001/statut", data={"csrf": token, "statut": "cloturee"}
    )
    assert answer.status_code == 409 and "issue" in answer.text
    assert 'id="form-statut"' in answer.text  # shown in the form, on the dossier page
    with rt.sessions() as s:
        assert s.scalar(select(Dossier.status)) == "recue"


def test_unknown_dossier_attachment_or_letter_is_404_with_the_french_error_page(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app, "mediatrice")
    for path, said in (
        ("/mediation/dossiers/MED-2099-99999", "Dossier introuvable"),
        ("/mediation/pieces-jointes/999999", "Pièce jointe introuvable"),
        ("/mediation/courriers/999999", "Courrier introuvable"),
    ):
        answer = client.get(path)
        assert answer.status_code == 404, (path, answer.status_code)
        assert "<h1>Introuvable</h1>" in answer.text and said in answer.text, path
        assert 'lang="fr"' in answer.text and "Rien n'a été modifié" in answer.text
    token = form_token(client.get("/mediation/").text)
    post = client.post(
        "/mediation/dossiers/MED-2099-99999/statut", data={"csrf": token, "statut": "cloturee"}
    )
    assert post.status_code == 404 and "Dossier introuvable" in post.text
    refused = client.post(
        "/mediation/dossiers/MED-2026-00001/statut", data={"csrf": token, "statut": "cloturee"}
    )
    # a refusal on the dossier page is shown inside the form, the page kept (still 409: nothing was done)
    assert refused.status_code == 409 and "<h1>Action impossible</h1>" not in refused.text
    assert "Choisissez l&#39;issue du dossier pour le clôturer" in refused.text


def test_letter_by_email_goes_to_the_outbox(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app, "mediatrice")
    token = form_token(client.get("/mediation/").text)
    data = {
        "csrf": token,
        "modele": "pieces",
        "envoi": "courriel",
        "nonce": "n1",
        "pieces": "Notification de refus\nAvis d'imposition",
        "action": "envoyer",
    }
    assert (
        client.post(
            "/mediation/dossiers/MED-2026-00001/courrier", data=data, follow_redirects=False
        ).status_code
        == 303
    )
    client.post("/mediation/dossiers/MED-2026-00001/courrier", data=data)  # double click: same nonce
    with rt.sessions() as s:
        items = s.scalars(select(OutboxItem).where(OutboxItem.kind == "letter_pieces")).all()
    assert len(items) == 1 and items[0].to_address == "sylvie.martin@example.org"
    assert (
        b"Avis d'imposition" in items[0].raw
        or b"Avis d=E2=80=99imposition" in items[0].raw
        or b"Avis d" in items[0].raw
    )


def _pdf_letter(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def test_mail_service_uploads_a_scan_and_sees_only_its_reference(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    courrier = client_for(app, "courrier")
    token = form_token(courrier.get("/courrier/").text)
    letter = _pdf_letter(
        "Madame la mediatrice, ma prestation de compensation du handicap a ete refusee. "
        "Recours gracieux sans reponse depuis trois mois. Lucienne Fabre, 5 rue du Lac, 38000 Grenoble"
    )
    answer = courrier.post(
        "/courrier/numerisations",
        data={"csrf": token},
        files=[("fichiers", ("courrier-fabre.pdf", letter, "application/pdf"))],
    )
    assert answer.status_code == 200 and "dossier ouvert" in answer.text, re.sub(r"\s+", " ", answer.text)[
        -2500:
    ]
    assert "Lucienne" not in answer.text and "compensation" not in answer.text
    with rt.sessions() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.channel == "courrier"))
        assert dossier is not None and dossier.reference in answer.text
        actions = s.scalars(select(AuditEntry.action)).all()
    assert "scans.upload" in actions
    # the mediator finds it in the queue, with a preview of the scanned page
    mediatrice = client_for(app, "mediatrice")
    page = mediatrice.get(f"/mediation/dossiers/{dossier.reference}")
    match = re.search(r'src="(/mediation/pieces-jointes/\d+/apercu\?page=1)"', page.text)
    assert match, "no scan preview on the dossier page"
    preview = mediatrice.get(match.group(1))
    assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")


def test_mail_service_opens_a_request_at_a_permanence_and_gets_the_tracking_code(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    courrier = client_for(app, "courrier")
    token = form_token(courrier.get("/courrier/demande").text)
    answer = courrier.post(
        "/courrier/demande",
        data={
            "csrf": token,
            "canal": "permanence",
            "origine": "agent",
            "nom_origine": "Accueil MDD Voironnais",
            "nom": "Paul Girard",
            "courriel": "paul.girard@example.org",
            "resume": "Monsieur Girard conteste le montant de son APA, recours sans réponse depuis 3 mois.",
        },
    )
    assert answer.status_code == 200 and "Code de suivi" in answer.text and "par courriel" in answer.text
    assert "APA" not in answer.text  # the mail service does not read the request back
    with rt.sessions() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.channel == "permanence"))
        assert dossier is not None and dossier.referred_by == "agent" and dossier.first_contact_at is None
        assert (
            s.scalar(select(OutboxItem.kind).where(OutboxItem.dossier_id == dossier.id)) == "acknowledgement"
        )


def test_admin_creates_an_account_and_cannot_read_dossiers(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    admin = client_for(app, "admin")
    token = form_token(admin.get("/admin/").text)
    created = admin.post(
        "/admin/utilisateurs",
        data={
            "csrf": token,
            "identifiant": "nouvelle",
            "role": "courrier",
            "mot_de_passe": PASSWORD,
            "confirmation": PASSWORD,
        },
    )
    assert created.status_code == 200 and "Compte créé" in created.text
    mismatch = admin.post(
        "/admin/utilisateurs",
        data={
            "csrf": token,
            "identifiant": "autre",
            "role": "courrier",
            "mot_de_passe": PASSWORD,
            "confirmation": "different",
        },
    )
    assert mismatch.status_code == 403 and "identiques" in mismatch.text
    assert login(TestClient(app), "nouvelle").status_code == 303
    journal = admin.get("/admin/journal")
    assert journal.status_code == 200 and "users.create" in journal.text and "Sylvie" not in journal.text
    assert admin.get("/mediation/dossiers/MED-2026-00001").status_code == 403


def test_flagged_reply_is_attached_from_the_queue(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    from triage.store.models import Message

    with rt.sessions.begin() as s:
        s.add(
            Message(
                channel="email",
                kind="request",
                role="flagged",
                source="eml",
                dedupe_key="f" * 64,
                content_hash="f" * 64,
                body_text="Suite à votre message, voici mon avis d'imposition.",
                from_address="fille.martin@example.org",
                needs_review=True,
                flag_reason="Message qui se rattache au dossier MED-2026-00001 (la référence dans l'objet)",
            )
        )
    client = client_for(app, "mediatrice")
    queue = client.get("/mediation/")
    assert "Messages mis de côté" in queue.text and 'value="MED-2026-00001"' in queue.text
    message_id = re.search(r"/mediation/messages/(\d+)/rattacher", queue.text).group(1)  # type: ignore[union-attr]
    answer = client.post(
        f"/mediation/messages/{message_id}/rattacher",
        data={"csrf": form_token(queue.text), "cible": "MED-2026-00001"},
    )
    assert answer.status_code == 200 and "avis d&#39;imposition" in answer.text
    assert "Messages mis de côté" not in client.get("/mediation/").text


def test_the_root_leads_each_person_to_their_page_and_citizens_to_tracking(app) -> None:  # type: ignore[no-untyped-def]
    for role, home in (
        (None, "/suivi"),
        ("mediatrice", "/mediation/"),
        ("courrier", "/courrier/"),
        ("admin", "/admin/"),
    ):
        answer = client_for(app, role).get("/", follow_redirects=False)
        assert answer.status_code in (302, 303) and answer.headers["location"] == home, role


def test_the_dossier_page_speaks_french_about_sends_and_extracted_facts(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    with rt.sessions.begin() as s:
        row = s.scalar(select(SuggestionRow))
        row.extracted = {
            "prior_recourse": {
                "found": True,
                "kinds": ["RAPO"],
                "sent_on": "2026-07-28",
                "answered": False,
                "outcome": "sans réponse",
                "months_elapsed": 4.2,
            }
        }
    page = client_for(app, "mediatrice").get("/mediation/dossiers/MED-2026-00001").text
    assert "Accusé de réception" in page and "acknowledgement" not in page
    assert (
        "Démarche préalable repérée (RAPO), faite le 28 juillet 2026 (il y a 4 mois), sans réponse." in page
    )
    assert "found :" not in page and "months_elapsed" not in page


def _pdf(pages: int) -> bytes:
    import io

    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument.new()
    for _ in range(pages):
        doc.new_page(595, 842)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_mail_service_prints_and_marks_the_listed_letters_at_once(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    import io

    import pypdfium2 as pdfium

    with rt.sessions.begin() as s:
        s.execute(PrintJob.__table__.delete())
        dossier = s.scalar(select(Dossier))
        for n, pages in ((1, 1), (2, 2)):
            s.add(
                PrintJob(
                    dossier_id=dossier.id, kind="acknowledgement", idempotency_key=f"lot-{n}", pdf=_pdf(pages)
                )
            )
    client = client_for(app, "courrier")
    page = client.get("/courrier/").text
    assert "Tout imprimer (2 courrier(s) en un PDF)" in page and "<td>S. M." in page and "Sylvie" not in page
    ids = re.findall(r'name="n" value="(\d+)"', page)[:2]
    token = form_token(page)
    merged = client.post("/courrier/impressions/tout", data={"csrf": token, "n": ids})
    assert merged.status_code == 200 and len(pdfium.PdfDocument(io.BytesIO(merged.content))) == 3
    done = client.post(
        "/courrier/impressions/tout/imprime", data={"csrf": token, "n": ids}, follow_redirects=True
    )
    assert "2 courrier(s) marqué(s) comme imprimé(s)" in done.text and "Rien à imprimer" in done.text
    with rt.sessions() as s:
        assert set(s.scalars(select(PrintJob.status))) == {"exported"}


def test_a_quarantined_upload_is_not_reported_green_and_says_why(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app, "courrier")
    token = form_token(client.get("/courrier/").text)
    answer = client.post(
        "/courrier/numerisations",
        data={"csrf": token},
        files={"fichiers": ("lettre.pdf", b"ceci n'est pas un PDF", "application/pdf")},
    )
    html = answer.text
    assert "1 fichier(s) mis en quarantaine" in html
    alert = html.split('class="alerte"', 1)[1].split("</div>", 1)[0]
    assert "lettre.pdf : " in alert and "lettre.pdf : illisible" not in alert


def test_a_refused_merge_is_explained_in_its_form_with_what_was_typed(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app, "mediatrice")
    token = form_token(client.get("/mediation/").text)
    answer = client.post(
        "/mediation/tri/MED-2026-00001/joindre", data={"csrf": token, "cible": "med-2026-09999"}
    )
    assert answer.status_code == 422
    form = answer.text.split('<details id="joindre" open>', 1)[1].split("</details>", 1)[0]
    assert 'role="alert"' in form and "introuvable" in form and 'value="MED-2026-09999"' in form
    assert "Action impossible" not in answer.text
    empty = client.post("/mediation/tri/MED-2026-00001/ecarter", data={"csrf": token, "motif": " "})
    assert empty.status_code == 422 and "indiquez le motif que lira l&#39;expéditeur" in empty.text


def test_triage_stays_in_the_chosen_ownership_filter(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app, "mediatrice")
    page = client.get("/mediation/?attribution=aucun").text
    assert '<input type="hidden" name="attribution" value="aucun">' in page
    answer = client.post(
        "/mediation/tri/MED-2026-00001/accepter",
        follow_redirects=False,
        data={"csrf": form_token(page), "attribution": "aucun", "suivante": ""},
    )
    assert answer.headers["location"] == "/mediation/?fait=accepte&attribution=aucun"


def test_a_transmission_step_proposes_its_letter_with_the_service_from_the_directory(
    app, rt: Runtime
) -> None:  # type: ignore[no-untyped-def]
    with rt.sessions.begin() as s:
        add_service(s)
    client = client_for(app, "mediatrice")
    token = form_token(client.get("/mediation/").text)
    answer = client.post(
        "/mediation/dossiers/MED-2026-00001/statut",
        data={
            "csrf": token,
            "statut": "transmise_service",
            "service": "Maison départementale de l'autonomie",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("?fait=statut&modele=transmission#courriers")
    page = client.get(answer.headers["location"]).text
    assert '<h3 id="titre-courrier">Transmission au service du Département' in page
    assert re.search(r'<option value="\d+" selected>Maison départementale de l&#39;autonomie', page)


def test_the_deadlines_page_counts_the_days_on_the_clock_the_runtime_carries(rt: Runtime) -> None:
    with rt.sessions() as s:
        received = s.scalar(select(Dossier.received_at).where(Dossier.reference == "MED-2026-00001"))
    assert received is not None
    days = rt.settings.deadlines.first_contact_days

    def deadlines_on(moment: datetime) -> str:
        app = create_app(replace(rt, clock=lambda: moment))  # login, session and page all read this hour
        return client_for(app, "mediatrice").get("/mediation/echeances").text

    assert "MED-2026-00001" not in deadlines_on(received + timedelta(days=days - 1))
    late = deadlines_on(received + timedelta(days=days + 3))
    assert f">MED-2026-00001</a> : reçue il y a {days + 3} jours" in late
