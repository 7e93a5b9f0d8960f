"""Printable letters (PDF via WeasyPrint) and the print queue for people without email."""

from __future__ import annotations

import base64
import io
from datetime import datetime
from typing import Any

from triage.notify.render import render
from triage.resources import templates_dir
from triage.store.db import Transaction
from triage.store.outbox import QueuedLetter, add_print_job


def qr_data_uri(url: str) -> str:
    """A QR code of `url` as an SVG data URI (segno: no network, no image library)."""
    import segno  # loaded with the first paper letter, not by every command

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=4, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render templates/<template_name> (HTML) to PDF bytes."""
    from weasyprint import HTML  # heavy (Pango, fonts): loaded with the first PDF only

    html = render(template_name, **context)
    return HTML(string=html, base_url=str(templates_dir() / "letters")).write_pdf()


def pdf_pages(pdf: bytes, *, width: int = 820, limit: int = 6) -> tuple[bytes, ...]:
    """The first `limit` pages of a PDF as PNG images `width` pixels wide (the preview of a printed letter)."""
    import pypdfium2 as pdfium  # loaded with the first letter preview only

    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for index in range(min(len(document), limit)):
            page = document[index]
            image = page.render(scale=width / max(page.get_width(), 1)).to_pil()
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
            pages.append(out.getvalue())
        return tuple(pages)
    finally:
        document.close()


def queue_print(
    session: Transaction,
    *,
    dossier_id: int | None,
    kind: str,
    idempotency_key: str,
    pdf: bytes,
    now: datetime,
) -> QueuedLetter:
    """Add a letter to the print queue (once per idempotency key), in the caller's transaction."""
    return add_print_job(
        session,
        dossier_id=dossier_id,
        kind=kind,
        idempotency_key=idempotency_key,
        pdf=pdf,
        created_at=now,
    )
