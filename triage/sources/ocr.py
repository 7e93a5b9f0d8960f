"""A scanned letter (PDF, PNG, JPEG, TIFF bytes) turned into text, page by page.

- PDF page with a text layer -> its text, read with pypdfium2; no OCR.
- PDF page without one -> rendered with pypdfium2 at 300 dpi -> OCR.
- PNG, JPEG, TIFF (every page of a multi-page TIFF) -> OCR.

OCR is Tesseract in the configured language (``scans.ocr_language``, French by default), one
`tesseract` process per page (see triage.sources.tesseract: why not ocrmypdf, why not through pytesseract).
Each page goes through:

1. a projection-profile measure (triage.sources.deskew, ~15 ms): skew angle and text direction;
2. a page whose lines run top to bottom gets Tesseract's orientation detection (OSD) on a
   half-size copy, then the quarter turn it says; a page skewed by 1 degree or more is straightened;
3. one Tesseract pass, in one process for all the pages of the document (the French model is
   loaded once). Only when a page reads badly (mean word confidence under 60, or almost no
   words) does OSD run on it; when OSD finds it upside down or sideways, it is turned and read
   again, and the better of the two readings is kept.

An upright, straight page (nearly every letter) thus costs one Tesseract pass; a single-page
image is given to Tesseract as it is, without re-encoding. Only pages that need it pay for OSD or
a second pass.
"""

from __future__ import annotations

import io
import struct
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import magic
import pypdfium2 as pdfium
from PIL import Image, ImageFile, ImageOps, ImageSequence

from triage.errors import OcrError
from triage.sources import deskew
from triage.sources.tesseract import OcrEngine, Recognition, Tesseract

CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "tiff": "image/tiff"}
RENDER_DPI = 300
# A PDF page rendered bigger than this is rendered at a lower resolution (a poster, not a letter).
_MAX_RENDER_PIXELS = 40_000_000
# A page is straightened from this skew on: below it Tesseract's own line finding copes. Measured on
# sample scan-02: as scanned (1.3 deg clockwise) 232 words; turned to 2 deg clockwise only 156, and to
# 3 deg 102, while the mean confidence stayed above 92 -- so confidence cannot be the trigger.
SKEW_THRESHOLD = 1.0
# A first pass under this mean word confidence, or with fewer words, is checked for orientation.
LOW_CONFIDENCE = 60.0
FEW_WORDS = 3
# A PDF page "has a text layer" when it gives at least this many letters or digits.
_TEXT_LAYER_MIN_CHARS = 30


@dataclass(frozen=True)
class PageText:
    """The text of one page and how it was obtained."""

    number: int  # 1-based
    text: str
    method: str  # "text-layer" or "ocr"
    confidence: float | None
    words: int
    rotated_degrees: int = 0  # clockwise quarter turn applied before OCR
    deskewed_degrees: float = 0.0  # counter-clockwise correction applied before OCR
    passes: int = 0  # Tesseract passes spent on the page (OCR and OSD)


@dataclass(frozen=True)
class ScanText:
    """All pages of one scanned document."""

    content_type: str
    pages: tuple[PageText, ...]

    @property
    def text(self) -> str:
        """Page texts separated by a form feed, so page boundaries survive."""
        return "\n\f\n".join(p.text for p in self.pages).strip()

    @property
    def method(self) -> str:
        """'text-layer' when no page needed OCR, else 'ocr'."""
        return "ocr" if any(p.method == "ocr" for p in self.pages) else "text-layer"

    @property
    def mean_confidence(self) -> float | None:
        """Mean word confidence over the OCR'd pages (weighted by words), None without OCR."""
        ocr = [p for p in self.pages if p.method == "ocr" and p.confidence is not None and p.words]
        total = sum(p.words for p in ocr)
        if not total:
            return None
        return round(sum(p.confidence * p.words for p in ocr if p.confidence is not None) / total, 1)

    @property
    def rotated_degrees(self) -> int:
        """The quarter turn applied to the first turned page (0 when none was)."""
        return next((p.rotated_degrees for p in self.pages if p.rotated_degrees), 0)


def sniff(data: bytes) -> str | None:
    """The supported type of a file from its first bytes ("pdf", "png", "jpeg", "tiff"), else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if b"%PDF-" in data[:1024]:  # the PDF specification tolerates junk before the header
        return "pdf"
    return None


def _describe_type(data: bytes) -> str:
    try:
        return str(magic.from_buffer(data[:65536], mime=True))
    except (OSError, magic.MagicException):  # libmagic confused: the message stays useful without it
        return "type inconnu"


def _readable_size(size: int) -> str:
    return f"{size / 1_000_000:.1f} Mo".replace(".", ",")


def too_large_reason(size: int, limit: int) -> str:
    """The French reason given for a file over the size limit."""
    return f"fichier trop volumineux ({_readable_size(size)} ; maximum {_readable_size(limit)})"


def _has_letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


@dataclass(frozen=True)
class _Prepared:
    """A page made ready for Tesseract: turned and straightened when needed, written to a file."""

    number: int
    path: Path  # the original file when it needed nothing, else a written copy
    dpi: int | None
    rotated_degrees: int
    deskewed_degrees: float
    passes: int  # orientation detections spent getting here


class _PageReader:
    """OCR of page images with the orientation and skew handling described in the module docstring."""

    def __init__(self, engine: OcrEngine, workdir: Path) -> None:
        self.engine = engine
        self.workdir = workdir
        self._count = 0

    def _write(self, image: Image.Image, dpi: int | None) -> Path:
        # uncompressed TIFF: written in milliseconds, read by Tesseract without decoding cost;
        # the resolution travels inside the file
        self._count += 1
        path = self.workdir / f"page-{self._count}.tif"
        options: dict[str, Any] = {"compression": "raw"}  # never inherit the source's (Group 4 needs 1-bit)
        if dpi:
            options["dpi"] = (dpi, dpi)
        image.save(path, format="TIFF", **options)
        return path

    def _osd(self, image: Image.Image, dpi: int | None) -> int | None:
        half = image.reduce(2)  # OSD needs far fewer pixels than reading: half the cost
        return self.engine.rotation(self._write(half, dpi // 2 if dpi else None))

    def prepare(self, number: int, image: Image.Image, dpi: int | None, original: Path | None) -> _Prepared:
        """Measure, turn and straighten one page; `original` is the file Tesseract may read as it is."""
        passes = 0
        grey = _to_grey(image)
        geometry = deskew.measure(grey)
        rotation = 0
        if geometry.vertical:
            rotation = self._osd(grey, dpi) or 0
            passes += 1
            if rotation:
                grey = _turn(grey, rotation)
                geometry = deskew.measure(grey)
        skew = geometry.skew if abs(geometry.skew) >= SKEW_THRESHOLD else 0.0
        if skew:
            grey = _straighten(grey, skew)
        path = original if original is not None and not rotation and not skew else self._write(grey, dpi)
        return _Prepared(number, path, dpi, rotation, skew, passes)

    def read(self, prepared: list[_Prepared]) -> list[PageText]:
        """One Tesseract process for all pages, then a second look only at pages that read badly."""
        if not prepared:
            return []
        results = self.engine.recognise_pages([p.path for p in prepared], self.workdir)
        return [self._check(page, result) for page, result in zip(prepared, results, strict=True)]

    def _check(self, page: _Prepared, result: Recognition) -> PageText:
        passes, rotation = page.passes + 1, page.rotated_degrees
        if _looks_wrong(result) and not rotation:
            with Image.open(page.path) as opened:
                grey = _to_grey(opened)
                turn = self._osd(grey, page.dpi)
                passes += 1
                if turn:
                    second = self.engine.recognise(self._write(_turn(grey, turn), page.dpi))
                    passes += 1
                    if _better(second, result):
                        result, rotation = second, turn
        return PageText(
            number=page.number,
            text=result.text,
            method="ocr",
            confidence=result.confidence,
            words=result.words,
            rotated_degrees=rotation,
            deskewed_degrees=page.deskewed_degrees,
            passes=passes,
        )


def _to_grey(image: Image.Image) -> Image.Image:
    if image.mode in ("L", "1"):
        return image
    if "A" in image.getbands():  # transparent areas are paper, not ink
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return image.convert("L")


def _turn(image: Image.Image, clockwise: int) -> Image.Image:
    # transpose is exact and instant; ROTATE_90 is counter-clockwise, hence the mapping
    method = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    return image.transpose(method[clockwise])


def _straighten(image: Image.Image, degrees: float) -> Image.Image:
    grey = image.convert("L") if image.mode != "L" else image
    return grey.rotate(degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)


def _looks_wrong(result: Recognition) -> bool:
    return result.words < FEW_WORDS or (result.confidence or 0.0) < LOW_CONFIDENCE


def _better(candidate: Recognition, current: Recognition) -> bool:
    return (candidate.confidence or 0.0) * min(candidate.words, 50) > (current.confidence or 0.0) * min(
        current.words, 50
    )


def _image_dpi(image: Image.Image) -> int | None:
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    # 72 or 96 dpi on a page-sized image is a default written by software, not a scan resolution
    return value if value >= 100 else None


_DECODING = threading.Lock()


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Pillow refusing truncated files while we decode, whatever another library set; warnings kept quiet.

    WeasyPrint (the letters) sets ``ImageFile.LOAD_TRUNCATED_IMAGES = True`` for the whole process
    when imported; a half-written or damaged scan would then decode silently, padded with grey.
    """
    with _DECODING, warnings.catch_warnings(record=True):
        # Pillow's warnings on odd metadata ("Corrupt EXIF data") are not failures: damaged pixel
        # data raises; an image over Pillow's pixel limit is treated as hostile, not as a warning
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


# what Pillow's decoders raise on damaged files besides OSError (found by tests/test_fuzz.py: a cut
# TIFF directory gives KeyError or TypeError « Missing dimensions »)
_DECODER_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    TypeError,
    KeyError,
    IndexError,
    struct.error,
    ZeroDivisionError,
)


def _open_image(data: bytes, kind: str) -> Image.Image:
    try:
        with _strict_decoding():
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise OcrError("image trop grande (nombre de pixels excessif)") from err
    except _DECODER_ERRORS as err:
        raise OcrError(f"fichier {kind.upper()} illisible ou endommagé") from err
    return image


def _image_pages(image: Image.Image, kind: str) -> Iterator[Image.Image]:
    # one frame at a time: a long multi-page TIFF never sits whole in memory
    try:
        for frame in ImageSequence.Iterator(image):
            with _strict_decoding():
                page = frame.copy()
            if kind == "jpeg" and image.getexif().get(0x0112, 1) != 1:
                page = ImageOps.exif_transpose(page)  # phones and some scanners only tag the rotation
                page.info["exif_turned"] = True
            page.info.setdefault("dpi", image.info.get("dpi"))
            yield page
    except _DECODER_ERRORS as err:
        raise OcrError(f"fichier {kind.upper()} illisible ou endommagé (page suivante)") from err


def _plain_image_name(source: Path | None) -> bool:
    # Tesseract takes a "*.txt" input for a list of images: only image-looking names go to it as they are
    return source is not None and source.suffix.lower() in {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def _layer_is_usable(text: str) -> bool:
    letters = _has_letters(text)
    if letters < _TEXT_LAYER_MIN_CHARS:
        return False
    # fonts without a Unicode map give replacement or private-use characters: OCR the page instead
    garbage = sum(ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff" for ch in text)
    return garbage < letters * 0.2


def _pdf_pages(data: bytes, reader: _PageReader) -> list[PageText]:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        if "password" in str(err).lower():
            raise OcrError("PDF protégé par un mot de passe") from err
        raise OcrError("fichier PDF illisible ou endommagé") from err
    layers: list[PageText] = []
    to_read: list[_Prepared] = []
    try:
        if len(pdf) == 0:
            raise OcrError("PDF sans aucune page")
        for index in range(len(pdf)):
            try:
                page = pdf[index]
            except pdfium.PdfiumError as err:  # a page object the PDF announces but cannot give
                raise OcrError(f"page {index + 1} du PDF illisible") from err
            try:
                textpage = page.get_textpage()
                layer = textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n").strip()
                textpage.close()
                if _layer_is_usable(layer):
                    words = len(layer.split())
                    layers.append(PageText(index + 1, layer, "text-layer", confidence=None, words=words))
                    continue
                width, height = page.get_size()
                scale = RENDER_DPI / 72
                pixels = width * height * scale * scale
                if pixels > _MAX_RENDER_PIXELS:
                    scale *= (_MAX_RENDER_PIXELS / pixels) ** 0.5
                image = page.render(scale=scale, grayscale=True).to_pil()
            except pdfium.PdfiumError as err:
                raise OcrError(f"page {index + 1} du PDF illisible") from err
            finally:
                page.close()
            # prepared (and written) now, read later in one Tesseract process with the other scanned pages
            to_read.append(reader.prepare(index + 1, image, round(72 * scale), None))
    finally:
        pdf.close()
    return sorted(layers + reader.read(to_read), key=lambda p: p.number)


def read_text(
    data: bytes,
    *,
    language: str = "fra",
    max_bytes: int | None = None,
    source: Path | None = None,
    engine: OcrEngine | None = None,
) -> ScanText:
    """Text of a scanned document; raises OcrError with a French reason when it cannot be read.

    `source` is the file the bytes came from: a single-page image is then given to Tesseract
    as it is, without being re-encoded.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise OcrError(too_large_reason(len(data), max_bytes))
    if not data:
        raise OcrError("fichier vide")
    kind = sniff(data)
    if kind is None:
        raise OcrError(
            f"type de fichier non pris en charge ({_describe_type(data)}) : "
            "formats acceptés PDF, PNG, JPEG, TIFF"
        )
    engine = engine or Tesseract(language)
    with tempfile.TemporaryDirectory(prefix="mediature-ocr-") as tmp:
        reader = _PageReader(engine, Path(tmp))
        if kind == "pdf":
            pages = tuple(_pdf_pages(data, reader))
        else:
            image = _open_image(data, kind)
            try:
                with _strict_decoding():  # counting a TIFF's frames reads every frame's directory
                    single = getattr(image, "n_frames", 1) == 1
            except _DECODER_ERRORS as err:
                raise OcrError(f"fichier {kind.upper()} illisible ou endommagé") from err
            prepared: list[_Prepared] = []
            for number, page in enumerate(_image_pages(image, kind), start=1):
                # Tesseract reads a single-page image file as it is, unless EXIF says to turn it first
                untouched = single and "exif_turned" not in page.info and _plain_image_name(source)
                prepared.append(reader.prepare(number, page, _image_dpi(page), source if untouched else None))
            pages = tuple(reader.read(prepared))
    result = ScanText(content_type=CONTENT_TYPES[kind], pages=pages)
    if _has_letters(result.text) < 3:
        raise OcrError(
            "aucun texte lisible dans le document (page blanche, numérisation trop pâle ou illisible ?)"
        )
    return result
