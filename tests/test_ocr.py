"""Reading scanned letters into text: real Tesseract (French) on the sample scans of data/samples/scans.

Each sample is read once per session (cached) and several tests look at the result, so the whole
file OCRs about eight pages. The geometry measure and the error paths need no OCR and run fast.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from tests.conftest import SAMPLES
from triage.errors import OcrError
from triage.sources import deskew
from triage.sources.ocr import ScanText, read_text
from triage.sources.tesseract import OcrEngineMissing, Recognition, Tesseract

SCANS = SAMPLES / "scans"


def norm(text: str) -> str:
    """Lower case, no accents, single spaces: OCR output compares on words, not typography."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(ascii_text.lower().replace("\u2019", "'").split())


class CountingTesseract(Tesseract):
    """The real engine, counting the `tesseract` processes it starts."""

    def __init__(self) -> None:
        super().__init__("fra")
        self.processes = 0

    def _run(self, args: list[str], pages: int = 1) -> str:
        self.processes += 1
        return super()._run(args, pages)


@functools.cache
def read_counted(name: str) -> tuple[ScanText, int]:
    path = SCANS / name
    engine = CountingTesseract()
    return read_text(path.read_bytes(), source=path, engine=engine), engine.processes


def read_sample(name: str) -> ScanText:
    return read_counted(name)[0]


def assert_words(text: str, *words: str) -> None:
    found = norm(text)
    missing = [w for w in words if norm(w) not in found]
    assert not missing, f"missing {missing} in: {found[:400]}"


# --------------------------------------------------------------------------- every sample type

SAMPLE_WORDS = {
    "scan-01-cmi-refus.png": ["carte mobilité inclusion", "stationnement", "Saint-Égrève", "neurologue"],
    "scan-09-voisinage-fortement-incline.jpg": ["pompe à chaleur", "mitoyen", "cadastral", "Crémieu"],
    "scan-08-titre-de-sejour-retourne-180.png": [
        "titre de séjour",
        "préfecture",
        "cuisinier",
        "Ibrahima Diop",
    ],
}


@pytest.mark.ocr
@pytest.mark.parametrize("name", sorted(SAMPLE_WORDS))
def test_image_scan_is_read_in_french(name: str) -> None:
    result = read_sample(name)
    assert result.method == "ocr"
    assert result.mean_confidence is not None and result.mean_confidence > 80
    assert_words(result.text, *SAMPLE_WORDS[name])


@pytest.mark.ocr
def test_upright_page_costs_a_single_tesseract_process() -> None:
    result, processes = read_counted("scan-01-cmi-refus.png")
    assert processes == 1  # no orientation detection on a page that reads well
    assert result.pages[0].rotated_degrees == 0


@pytest.mark.ocr
def test_upside_down_page_is_turned_and_read() -> None:
    result, processes = read_counted("scan-08-titre-de-sejour-retourne-180.png")
    assert result.rotated_degrees == 180
    assert processes == 3  # first pass, orientation detection, second pass


@pytest.mark.ocr
def test_strongly_skewed_page_is_straightened_before_reading() -> None:
    page = read_sample("scan-09-voisinage-fortement-incline.jpg").pages[0]
    assert page.deskewed_degrees == pytest.approx(5.2, abs=0.3)
    assert page.passes == 1


@pytest.mark.ocr
def test_quarter_turned_page_is_detected_and_read(tmp_path: Path) -> None:
    # the samples have no sideways page: turn one a quarter clockwise, as a sheet fed sideways
    image = Image.open(SCANS / "scan-04-rsa-indu-personne-agee.jpg")
    turned = image.transpose(Image.Transpose.ROTATE_270)
    buf = io.BytesIO()
    turned.save(buf, "PNG", dpi=(200, 200))
    result = read_text(buf.getvalue())
    assert result.rotated_degrees == 270  # a quarter clockwise is undone by three quarters clockwise
    assert_words(result.text, "Beaurepaire", "pension", "Maison du Departement")


@pytest.mark.ocr
def test_multi_page_tiff_gives_every_page() -> None:
    result, processes = read_counted("scan-05-fsl-energie-2-pages.tif")
    assert processes == 1  # both pages in one process: the French model is loaded once
    assert [p.number for p in result.pages] == [1, 2]
    assert all(p.method == "ocr" for p in result.pages)
    assert_words(result.pages[0].text, "Fonds de solidarité logement", "Boukhari", "1 890,45")
    assert_words(result.pages[1].text, "agent d'entretien", "temps partiel")


@pytest.mark.ocr
def test_image_only_pdf_is_rendered_and_read_page_by_page() -> None:
    result = read_sample("scan-06-nid-de-poule-rd1085-image-seule.pdf")
    assert result.content_type == "application/pdf"
    assert result.method == "ocr"
    assert len(result.pages) == 2
    assert_words(result.pages[0].text, "RD 1085", "Laffrey", "indemnisation")
    assert_words(result.pages[1].text, "balisage", "Achard")
    assert "\f" in result.text  # page boundary kept in the document text


class _NoOcr:
    """An engine that fails the test if called: proves no page went through Tesseract."""

    def recognise(self, image: Path) -> Recognition:
        raise AssertionError("a page was sent to OCR")

    def recognise_pages(self, images: Sequence[Path], workdir: Path) -> list[Recognition]:
        raise AssertionError("a page was sent to OCR")

    def rotation(self, image: Path) -> int | None:
        raise AssertionError("a page was sent to OCR")


def test_pdf_text_layer_is_read_without_ocr() -> None:
    data = (SCANS / "scan-07-avocat-oblige-alimentaire-texte.pdf").read_bytes()
    result = read_text(data, engine=_NoOcr())
    assert result.method == "text-layer"
    assert result.mean_confidence is None
    assert len(result.pages) == 2
    assert_words(result.pages[0].text, "obligation alimentaire", "Sophie Lacroix", "pendante")
    assert_words(result.pages[1].text, "France Travail")


# --------------------------------------------------------------------------- geometry, no OCR


def test_skew_measure_finds_the_scanner_angle() -> None:
    image = Image.open(SCANS / "scan-09-voisinage-fortement-incline.jpg")
    geometry = deskew.measure(image)
    assert not geometry.vertical
    assert geometry.skew == pytest.approx(5.2, abs=0.3)
    straightened = image.convert("L").rotate(geometry.skew, expand=True, fillcolor=255)
    assert abs(deskew.measure(straightened).skew) <= 0.3


def test_sideways_page_is_seen_as_vertical_text() -> None:
    image = Image.open(SCANS / "scan-01-cmi-refus.png").transpose(Image.Transpose.ROTATE_90)
    assert deskew.measure(image).vertical


def test_blank_page_has_no_geometry_to_measure() -> None:
    geometry = deskew.measure(Image.new("L", (800, 1100), 250))
    assert geometry.ink_points == 0 and geometry.skew == 0.0


# --------------------------------------------------------------------------- refusals, in French


def test_truncated_image_is_refused_as_damaged() -> None:
    data = (SCANS / "scan-01-cmi-refus.png").read_bytes()[:20_000]
    with pytest.raises(OcrError, match="PNG illisible ou endommagé"):
        read_text(data)


def test_truncated_image_is_refused_even_where_weasyprint_allows_truncated_images(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # importing WeasyPrint (the letters) sets this for the whole worker process
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = (SCANS / "scan-05-fsl-energie-2-pages.tif").read_bytes()[:300_000]
    with pytest.raises(OcrError, match="TIFF illisible ou endommagé"):
        read_text(data, engine=_NoOcr())
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the other library's choice is left as it was


def test_truncated_pdf_is_refused_as_damaged() -> None:
    data = (SCANS / "scan-07-avocat-oblige-alimentaire-texte.pdf").read_bytes()[:3_000]
    with pytest.raises(OcrError, match="PDF illisible ou endommagé"):
        read_text(data)


def test_unsupported_file_type_is_refused_with_its_type() -> None:
    with pytest.raises(OcrError, match=r"type de fichier non pris en charge \(text/plain\)"):
        read_text(b"Bonjour, ceci est un simple texte.\n")


def test_file_over_the_size_limit_is_refused_before_reading() -> None:
    data = (SCANS / "scan-01-cmi-refus.png").read_bytes()
    with pytest.raises(OcrError, match="fichier trop volumineux"):
        read_text(data, max_bytes=100_000, engine=_NoOcr())


def test_empty_file_is_refused() -> None:
    with pytest.raises(OcrError, match="fichier vide"):
        read_text(b"")


@pytest.mark.ocr
def test_blank_page_is_refused_for_lack_of_text() -> None:
    buf = io.BytesIO()
    Image.new("L", (827, 1169), 250).save(buf, "PNG", dpi=(100, 100))
    with pytest.raises(OcrError, match="aucun texte lisible"):
        read_text(buf.getvalue())


@pytest.mark.ocr
def test_missing_language_data_is_an_installation_error_not_a_bad_scan() -> None:
    data = (SCANS / "scan-04-rsa-indu-personne-agee.jpg").read_bytes()
    with pytest.raises(OcrEngineMissing, match="tesseract-ocr"):
        read_text(data, engine=Tesseract("zzz"))
