"""« Vérifier la transcription » of a scanned letter, for the mediator and the mail service: each page's
image beside its text in an editable field; saving keeps the corrected text (the OCR text stays) and
re-runs the triage suggestion (triage.workspace.transcription).

Page images are drawn from the original kept in the database, never cached by the browser
(``Cache-Control: no-store``), and each view is audited.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.errors import DossierError, NotFoundError
from triage.store import transcriptions
from triage.store.audit import record
from triage.web.mediation.common import Ctx, endpoint, page_context, redirect, render
from triage.web.mediation.file_routes import render_preview
from triage.workspace.transcription import save_corrected_transcription

CAPABILITY = "scans.verify"


def page_url(message_id: int) -> str:
    """Where the verification page of a scanned letter is."""
    return f"/courrier/transcriptions/{message_id}"


@endpoint(CAPABILITY)
def transcription_page(request: Request, ctx: Ctx) -> Response:
    """The pages of a scanned letter, each image beside its text to correct."""
    message_id = request.path_params["message_id"]
    threshold = ctx.runtime.settings.scans.transcription_check_below
    scan = transcriptions.load_transcription(ctx.session, message_id, threshold)
    record(
        ctx.session,
        ctx.actor,
        "scan.transcription_view",
        dossier_id=scan.dossier_id,
        details={"message_id": message_id},
    )
    back = (
        f"/mediation/dossiers/{scan.reference}"
        if scan.reference and ctx.user.can("dossiers.read")
        else ("/courrier/" if ctx.user.can("ingestion.view") else "/mediation/")
    )
    return render(
        request,
        "transcription.html",
        page_context(
            ctx,
            scan=scan,
            action=page_url(message_id),
            back=back,
            threshold=threshold,
            active="dossiers" if ctx.user.can("dossiers.read") else "courrier",
        ),
    )


@endpoint(CAPABILITY)
def page_image(request: Request, ctx: Ctx) -> Response:
    """One page of the scanned original as PNG (audited, never stored by the browser)."""
    message_id, number = request.path_params["message_id"], request.path_params["number"]
    data, content_type = transcriptions.scan_original(ctx.session, message_id)
    png = render_preview(data, content_type, number)
    if png is None:
        raise NotFoundError("image de la page indisponible")
    record(
        ctx.session,
        ctx.actor,
        "scan.page_image",
        details={"message_id": message_id, "page": number},
    )
    # Cache-Control: no-store comes with every answer under /courrier (triage.web.security)
    return Response(png, media_type="image/png", headers={"X-Content-Type-Options": "nosniff"})


@endpoint(CAPABILITY, transactional=False)
def save(request: Request, ctx: Ctx) -> Response:
    """Keep the verified texts and re-run the suggestion; back to the dossier (or the mail service's page)."""
    message_id = request.path_params["message_id"]
    texts: dict[int, str] = {}
    for key, value in ctx.form.multi_items() if ctx.form else []:
        if key.startswith("page-") and key[5:].isdigit() and isinstance(value, str):
            texts[int(key[5:])] = value
    if not texts:
        raise DossierError("aucun texte de page reçu")
    outcome = save_corrected_transcription(ctx.runtime, ctx.pipeline.get(), message_id, texts, ctx.actor)
    if outcome.reference and ctx.user.can("dossiers.read"):
        return redirect(f"/mediation/dossiers/{outcome.reference}?fait=transcription")
    if ctx.user.can("ingestion.view"):
        return redirect("/courrier/?fait=transcription")
    return redirect(page_url(message_id))


def routes() -> list[Route]:
    """Transcription routes."""
    base = "/courrier/transcriptions/{message_id:id}"
    return [
        Route(base, transcription_page, methods=["GET"]),
        Route(base, save, methods=["POST"]),
        Route(f"{base}/pages/{{number:id}}", page_image, methods=["GET"]),
    ]
