"""OCR cost per page: Médiature's read path against a bare `tesseract IMG - -l fra` on the same page.

    .venv/bin/python benchmarks/ocr.py [FILE...] [--repeats 3] [--json]

For every sample scan (data/samples/scans by default) the two are timed alternately, `--repeats`
times, so that a busy machine slows both alike:

- bare: `tesseract FILE - -l fra` for PNG, JPEG and TIFF (all pages of a multi-page TIFF in one
  call, as a person would run it); for an image-only PDF, which Tesseract cannot open, the pages are
  first rendered to PNG at 300 dpi (not timed) and each is given to `tesseract`;
- ours: `triage.ocr.read_text(bytes, source=path)`: sniffing, PDF rendering, the geometry measure,
  Tesseract through pytesseract (TSV output), orientation checks when needed.

Per file it prints the median seconds per page of each and their ratio; then the median of the
per-page ratios over all OCR'd pages. Target: at most 1.2. A PDF with a text layer is listed
(its read time) but has no OCR to compare. Rotated pages are expected above the target: they pay
for orientation detection and a second pass by design; the target is about the median page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from triage.ocr import RENDER_DPI, read_text, sniff

SAMPLES = REPO / "data" / "samples" / "scans"
SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def bare_inputs(path: Path, workdir: Path) -> list[Path]:
    """What a person would give `tesseract` for this file (PDF pages rendered to PNG first)."""
    if sniff(path.read_bytes()) != "pdf":
        return [path]
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    pages = []
    for index in range(len(pdf)):
        image = pdf[index].render(scale=RENDER_DPI / 72, grayscale=True).to_pil()
        out = workdir / f"{path.stem}-{index + 1}.png"
        image.save(out, dpi=(RENDER_DPI, RENDER_DPI))
        pages.append(out)
    pdf.close()
    return pages


def time_bare(inputs: list[Path], language: str) -> float:
    """Seconds for bare tesseract calls on every input."""
    start = time.perf_counter()
    for item in inputs:
        subprocess.run(
            ["tesseract", str(item), "-", "-l", language],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    return time.perf_counter() - start


def time_ours(path: Path, language: str) -> tuple[float, int, str, list[int]]:
    """Seconds for Médiature's read path, pages, method, passes per page."""
    start = time.perf_counter()
    result = read_text(path.read_bytes(), language=language, source=path)
    elapsed = time.perf_counter() - start
    return elapsed, len(result.pages), result.method, [p.passes for p in result.pages]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--language", default="fra")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    files = args.files or sorted(p for p in SAMPLES.iterdir() if p.suffix.lower() in SUFFIXES)
    rows = []
    page_ratios: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            ours_runs: list[float] = []
            bare_runs: list[float] = []
            pages, method, passes = 0, "", []
            inputs = bare_inputs(path, Path(tmp))
            for _ in range(args.repeats):
                elapsed, pages, method, passes = time_ours(path, args.language)
                ours_runs.append(elapsed)
                if method == "ocr":
                    bare_runs.append(time_bare(inputs, args.language))
            ours = statistics.median(ours_runs) / pages
            row = {"file": path.name, "pages": pages, "method": method, "passes": passes,
                   "ours_s_per_page": round(ours, 3)}
            if bare_runs:
                bare = statistics.median(bare_runs) / pages
                row["bare_s_per_page"] = round(bare, 3)
                row["ratio"] = round(ours / bare, 3)
                page_ratios += [ours / bare] * pages
            rows.append(row)
            if not args.json:
                print(
                    f"{path.name:40} {pages:>2} p. {method:10} passes={passes!s:12} "
                    f"ours {ours:6.2f} s/p  bare {row.get('bare_s_per_page', float('nan')):6.2f} s/p  "
                    f"ratio {row.get('ratio', float('nan')):.2f}",
                    flush=True,
                )
    summary = {"median_ratio_per_page": round(statistics.median(page_ratios), 3) if page_ratios else None,
               "ocr_pages": len(page_ratios), "repeats": args.repeats, "target": 1.2}
    if args.json:
        print(json.dumps({"files": rows, **summary}, ensure_ascii=False, indent=2))
    else:
        print(f"\nmedian ratio per OCR'd page: {summary['median_ratio_per_page']} "
              f"over {len(page_ratios)} pages (target <= 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
