"""The mail service's pages at /courrier/: scan upload, ingestion status, print queue, requests at a
permanence. Nothing here shows the content of a dossier: references, dates, counts and file names."""

from __future__ import annotations

import io
import secrets
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pypdfium2 as pdfium
from sqlalchemy import func, select
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.dossiers.tracking import initials
from triage.errors import DossierError, NotFoundError, OcrError
from triage.files import open_private, private_dir
from triage.sources.scans import read_scan_file, safe_name
from triage.store.audit import record
from triage.store.models import Dossier, Message, OutboxItem, PrintJob, QuarantineItem, ScanFile
from triage.store.transcriptions import messages_to_check
from triage.web.mediation.common import Ctx, endpoint, page_context, redirect, render
from triage.web.mediation.dossier_routes import new_form_page, new_form_submit
from triage.web.mediation.file_routes import download, print_job_pdf
from triage.web.security import BodyLimit

OUTCOME_LABELS = {
    "dossiers_opened": "dossier ouvert",
    "attached_to_existing": "joint à un dossier",
    "flagged": "mis de côté",
    "duplicates": "déjà reçu",
    "quarantined": "en quarantaine",
    "not_requests": "pas une demande",
}


@dataclass(frozen=True)
class UploadResult:
    """What happened to one uploaded file (no content: a name, an outcome, a reference)."""

    filename: str
    outcome: str
    reference: str
    reason: str = ""  # why it went to quarantine, in French (what the mail service can act on)


def home_page(request: Request, ctx: Ctx) -> Response:
    """Upload form, ingestion status, print queue."""
    s = ctx.session
    since = ctx.runtime.clock() - timedelta(days=7)
    scans = s.execute(
        select(
            ScanFile.filename,
            ScanFile.outcome,
            ScanFile.processed_at,
            ScanFile.message_row_id,
            Dossier.reference,
        )
        .outerjoin(Message, Message.id == ScanFile.message_row_id)
        .outerjoin(Dossier, Dossier.id == Message.dossier_id)
        .where(ScanFile.processed_at >= since)
        .order_by(ScanFile.processed_at.desc())
        .limit(50)
    ).all()
    jobs = s.execute(
        select(
            PrintJob.id,
            PrintJob.kind,
            PrintJob.status,
            PrintJob.created_at,
            Dossier.reference,
            Dossier.requester_name,
            Dossier.requester_postcode,
            Dossier.requester_commune,
        )
        .outerjoin(Dossier, Dossier.id == PrintJob.dossier_id)
        .where(PrintJob.status == "pending")
        .order_by(PrintJob.created_at)
    ).all()
    status = {
        "outbox_pending": s.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "pending")
        ),
        "outbox_failed": s.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "failed")
        ),
        "quarantine": s.scalar(
            select(func.count()).select_from(QuarantineItem).where(QuarantineItem.resolved_at.is_(None))
        ),
        "scans_week": len(scans),
    }
    # the addressee as initials and town: enough to match letter and envelope, no name on this page
    addressees = {
        j.id: " — ".join(
            x
            for x in (
                initials(j.requester_name or ""),
                f"{j.requester_postcode or ''} {j.requester_commune or ''}".strip(),
            )
            if x
        )
        for j in jobs
    }
    return render(
        request,
        "courrier.html",
        page_context(
            ctx,
            scans=scans,
            jobs=jobs,
            addressees=addressees,
            status=status,
            outcomes=OUTCOME_LABELS,
            active="courrier",
            results=ctx.extra.get("results", []),
            to_check=messages_to_check(
                s,
                ctx.runtime.settings.scans.transcription_check_below,
                [r.message_row_id for r in scans if r.message_row_id],
            ),
            max_mb=ctx.runtime.settings.scans.max_file_bytes // (1024 * 1024),
        ),
    )


def _ingest_upload(ctx: Ctx, upload: UploadFile) -> UploadResult:
    settings = ctx.runtime.settings
    name = safe_name(upload.filename or "scan")
    folder = settings.paths.home / "scans" / "televersements" / secrets.token_hex(8)
    private_dir(folder)
    path = folder / name
    try:
        with open_private(path) as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        pipeline = ctx.pipeline.get()
        try:
            doc = read_scan_file(path, settings)
        except OcrError as err:
            pipeline.quarantine_bytes(
                "scan", f"televersement:{name}", path.read_bytes(), err.message, "OcrError"
            )
            return UploadResult(name, "quarantined", "", err.message)
        outcome = pipeline.ingest_scan(doc, Path(doc.path).read_bytes())
        reason = outcome.detail if outcome.outcome.value == "quarantined" else ""
        return UploadResult(name, outcome.outcome.value, outcome.reference or "", reason)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@endpoint("scans.upload", transactional=False)
def upload(request: Request, ctx: Ctx) -> Response:
    """Take uploaded scans through OCR and the pipeline, one by one (one bad file never stops the others)."""
    files = [
        v for _, v in (ctx.form.multi_items() if ctx.form else []) if isinstance(v, UploadFile) and v.filename
    ]
    if not files:
        raise DossierError("choisissez au moins un fichier numérisé (PDF ou image)")
    results = [_ingest_upload(ctx, f) for f in files]
    with ctx.runtime.sessions.begin() as session:
        record(
            session,
            ctx.actor,
            "scans.upload",
            details={"files": len(results), "outcomes": [r.outcome for r in results]},
        )
        ctx.session = session
        ctx.extra["results"] = results
        return home_page(request, ctx)


@endpoint("print.view")
def print_download(request: Request, ctx: Ctx) -> Response:
    """Download a letter to print (audited: a letter is about a dossier)."""
    return print_job_pdf(ctx, request.path_params["job_id"], "print.download")


def _listed_jobs(ctx: Ctx) -> list[PrintJob]:
    """The pending print jobs the page listed (their ids were in the form: a letter that arrived since is
    neither printed nor marked blindly)."""
    ids = [
        int(v) for _, v in (ctx.form.multi_items() if ctx.form else []) if isinstance(v, str) and v.isdigit()
    ]
    if not ids:
        raise DossierError("aucun courrier à imprimer")
    return list(
        ctx.session.scalars(
            select(PrintJob)
            .where(PrintJob.id.in_(ids[:500]), PrintJob.status == "pending")
            .order_by(PrintJob.created_at, PrintJob.id)
        )
    )


@endpoint("print.view")
def print_all(request: Request, ctx: Ctx) -> Response:
    """« Tout imprimer »: the listed letters as one PDF, in the order of the list (audited)."""
    jobs = _listed_jobs(ctx)
    merged = pdfium.PdfDocument.new()
    for job in jobs:
        merged.import_pages(pdfium.PdfDocument(job.pdf))
    out = io.BytesIO()
    merged.save(out)
    record(ctx.session, ctx.actor, "print.download_all", details={"print_job_ids": [j.id for j in jobs]})
    return download(out.getvalue(), f"courriers-a-imprimer-{len(jobs)}.pdf", "courriers.pdf")


@endpoint("print.view")
def print_all_done(request: Request, ctx: Ctx) -> Response:
    """« Tout marquer comme imprimé » for the listed letters."""
    jobs = _listed_jobs(ctx)
    now = ctx.runtime.clock()
    for job in jobs:
        job.status, job.exported_at = "exported", now
    record(ctx.session, ctx.actor, "print.done_all", details={"print_job_ids": [j.id for j in jobs]})
    return redirect(f"/courrier/?fait=imprime&nombre={len(jobs)}")


@endpoint("print.view")
def print_done(request: Request, ctx: Ctx) -> Response:
    """Mark a letter as printed and posted."""
    job = ctx.session.get(PrintJob, request.path_params["job_id"])
    if job is None:
        raise NotFoundError("courrier introuvable")
    job.status = "exported"
    job.exported_at = ctx.runtime.clock()
    record(ctx.session, ctx.actor, "print.done", dossier_id=job.dossier_id, details={"print_job_id": job.id})
    return redirect("/courrier/?fait=imprime")


home = endpoint("ingestion.view")(home_page)
new_form = endpoint("dossiers.create")(new_form_page)
new_submit = endpoint("dossiers.create")(new_form_submit)


def routes() -> list[Route]:
    """Mail-service routes."""
    return [
        Route("/courrier/", home, methods=["GET"]),
        Route(
            "/courrier/numerisations",
            upload,
            methods=["POST"],
            middleware=[Middleware(BodyLimit, "max_upload_bytes")],
        ),
        Route("/courrier/impressions/tout", print_all, methods=["POST"]),
        Route("/courrier/impressions/tout/imprime", print_all_done, methods=["POST"]),
        Route("/courrier/impressions/{job_id:id}", print_download, methods=["GET"]),
        Route("/courrier/impressions/{job_id:id}/imprime", print_done, methods=["POST"]),
        Route("/courrier/demande", new_form, methods=["GET"]),
        Route("/courrier/demande", new_submit, methods=["POST"]),
    ]
