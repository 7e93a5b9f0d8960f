"""Files of a dossier: attachment downloads, scan previews, original messages, printed letters.

Downloads are always `Content-Disposition: attachment` as application/octet-stream with nosniff, so a
hostile file can never render in the workspace's origin. Previews are PNG images we draw ourselves.
"""

from __future__ import annotations

import io
import re
import unicodedata
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.errors import NotFoundError
from triage.parse.charsets import safe_filename
from triage.store.audit import record
from triage.store.models import Message, PrintJob, RawBlob, StoredAttachment
from triage.web.mediation.common import Ctx, endpoint

MAX_PREVIEW_PAGES = 20
PREVIEW_WIDTH = 1100


def content_disposition(filename: str, fallback: str) -> str:
    """An attachment header safe for any name (ASCII fallback plus RFC 5987 UTF-8 form)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\\"';]+", "_", safe_filename(filename or "")).strip(" .") or fallback
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or fallback
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]+", "_", ascii_name)[:150]
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name[:150])}"


def download(data: bytes, filename: str, fallback: str) -> Response:
    """A forced download that the browser never interprets."""
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(filename, fallback),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def _attachment(ctx: Ctx, attachment_id: int) -> tuple[StoredAttachment, Message, bytes]:
    att = ctx.session.get(StoredAttachment, attachment_id)
    if att is None or att.blob_id is None:
        raise NotFoundError("pièce jointe introuvable ou non conservée (trop volumineuse)")
    message = ctx.session.get(Message, att.message_id)
    blob = ctx.session.get(RawBlob, att.blob_id)
    if message is None or blob is None:
        raise NotFoundError("pièce jointe introuvable")
    return att, message, blob.data


@endpoint("dossiers.read")
def attachment_download(request: Request, ctx: Ctx) -> Response:
    """Download an attachment (audited)."""
    att, message, data = _attachment(ctx, request.path_params["attachment_id"])
    record(
        ctx.session,
        ctx.actor,
        "dossier.attachment",
        dossier_id=message.dossier_id,
        details={"attachment_id": att.id},
    )
    return download(data, att.filename, f"piece-jointe-{att.id}")


def render_preview(data: bytes, content_type: str, page: int) -> bytes | None:
    """Page `page` (from 1) of a PDF or image as PNG, or None when it cannot be drawn."""
    from PIL import Image

    try:
        if content_type == "application/pdf" or data[:5] == b"%PDF-":
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(data)
            try:
                if not 1 <= page <= min(len(pdf), MAX_PREVIEW_PAGES):
                    return None
                pdf_page = pdf[page - 1]
                scale = PREVIEW_WIDTH / max(pdf_page.get_width(), 1)
                image = pdf_page.render(scale=min(scale, 3.0)).to_pil()
            finally:
                pdf.close()
        else:
            with Image.open(io.BytesIO(data)) as original:
                if not 1 <= page <= min(getattr(original, "n_frames", 1), MAX_PREVIEW_PAGES):
                    return None
                original.seek(page - 1)  # the pages of a multi-page TIFF
                image = original.convert("RGB")
        image.thumbnail((PREVIEW_WIDTH, PREVIEW_WIDTH * 2))
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    except Exception:  # noqa: BLE001  (any unreadable file: no preview, the download stays available)
        return None


@endpoint("dossiers.read")
def attachment_preview(request: Request, ctx: Ctx) -> Response:
    """A PNG preview of a scanned page or an image attachment (audited)."""
    att, message, data = _attachment(ctx, request.path_params["attachment_id"])
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        page = 1
    png = render_preview(data, att.content_type, page)
    if png is None:
        return Response("Aperçu indisponible.", status_code=404, media_type="text/plain; charset=utf-8")
    record(
        ctx.session,
        ctx.actor,
        "dossier.scan_preview",
        dossier_id=message.dossier_id,
        details={"attachment_id": att.id, "page": page},
    )
    return Response(png, media_type="image/png", headers={"X-Content-Type-Options": "nosniff"})


@endpoint("dossiers.read")
def original_message(request: Request, ctx: Ctx) -> Response:
    """The raw message as received (.eml), for the record (audited)."""
    message = ctx.session.get(Message, request.path_params["message_id"])
    if message is None or message.raw_blob_id is None:
        raise NotFoundError("original introuvable")
    blob = ctx.session.get(RawBlob, message.raw_blob_id)
    if blob is None:
        raise NotFoundError("original introuvable")
    record(
        ctx.session,
        ctx.actor,
        "dossier.original",
        dossier_id=message.dossier_id,
        details={"message_id": message.id},
    )
    extension = "eml" if message.channel in ("email", "formulaire") else "bin"
    return download(blob.data, f"message-{message.id}.{extension}", f"message-{message.id}")


def print_job_pdf(ctx: Ctx, job_id: int, action: str) -> Response:
    """A letter of the print queue as a PDF download (audited)."""
    job = ctx.session.get(PrintJob, job_id)
    if job is None:
        raise NotFoundError("courrier introuvable")
    record(ctx.session, ctx.actor, action, dossier_id=job.dossier_id, details={"print_job_id": job.id})
    return download(job.pdf, f"courrier-{job.id}-{job.kind}.pdf", f"courrier-{job.id}.pdf")


@endpoint("dossiers.read")
def letter_pdf(request: Request, ctx: Ctx) -> Response:
    """A printed letter of a dossier."""
    return print_job_pdf(ctx, request.path_params["job_id"], "dossier.letter_pdf")


def routes() -> list[Route]:
    """File routes of the mediator."""
    return [
        Route("/mediation/pieces-jointes/{attachment_id:id}", attachment_download, methods=["GET"]),
        Route("/mediation/pieces-jointes/{attachment_id:id}/apercu", attachment_preview, methods=["GET"]),
        Route("/mediation/messages/{message_id:id}/original", original_message, methods=["GET"]),
        Route("/mediation/courriers/{job_id:id}", letter_pdf, methods=["GET"]),
    ]
