"""OCR cost per page: Médiature's read path against a bare `tesseract IMG - -l fra` on the same page.

    .venv/bin/python benchmarks/ocr.py [FILE...] [--repeats 3] [--json]

For every sample scan (data/samples/scans by default) they are timed alternately, `--repeats`
times, so that a busy machine slows all alike:

- bare: `tesseract FILE - -l fra` for PNG, JPEG and TIFF (all pages of a multi-page TIFF in one
  call, as a person would run it); for an image-only PDF, which Tesseract cannot open, the pages are
  first rendered to PNG at 300 dpi (not timed) and each is given to `tesseract`. It runs twice: in
  the environment as it is (OpenMP threads: Tesseract's default) and with OMP_THREAD_LIMIT=1, the
  setting our read path gives Tesseract (see triage/sources/tesseract.py);
- ours: `triage.sources.ocr.read_text(bytes, source=path)`: sniffing, PDF rendering, the geometry measure,
  Tesseract (TSV output), orientation checks when needed.

Both wall time and CPU time (user + system, this process and its children) are measured: on a
shared machine wall time swings with the neighbours' load, CPU time much less. Per file it prints
medians per page and the ratios; then the median of the per-page ratios over all OCR'd pages.
Target: wall-time ratio at most 1.2. A PDF with a text layer is listed (its read time) but has no
OCR to compare. Rotated pages are above the target by design (orientation detection and a second
pass); the target is about the median page.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from triage.sources.ocr import RENDER_DPI, read_text, sniff  # noqa: E402  (after the sys.path line: run as a script)

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


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def time_bare(inputs: list[Path], language: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds for bare tesseract calls on every input."""
    start, cpu = time.perf_counter(), _cpu()
    for item in inputs:
        subprocess.run(
            ["tesseract", str(item), "-", "-l", language],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    return time.perf_counter() - start, _cpu() - cpu


def time_ours(path: Path, language: str) -> tuple[float, float, int, str, list[int]]:
    """Wall and CPU seconds for Médiature's read path, pages, method, passes per page."""
    start, cpu = time.perf_counter(), _cpu()
    result = read_text(path.read_bytes(), language=language, source=path)
    return (
        time.perf_counter() - start,
        _cpu() - cpu,
        len(result.pages),
        result.method,
        [p.passes for p in result.pages],
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (or JSON)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--language", default="fra")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    files = args.files or sorted(p for p in SAMPLES.iterdir() if p.suffix.lower() in SUFFIXES)
    default_env = dict(os.environ)
    single_env = {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")}
    rows = []
    ratios: dict[str, list[float]] = {"wall": [], "wall_same_env": [], "cpu_same_env": []}
    med = statistics.median
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            runs: dict[str, list[float]] = {k: [] for k in ("ours", "ours_cpu", "bare", "bare1", "bare1_cpu")}
            pages, method, passes = 0, "", []
            inputs = bare_inputs(path, Path(tmp))
            for _ in range(args.repeats):
                wall, cpu, pages, method, passes = time_ours(path, args.language)
                runs["ours"].append(wall)
                runs["ours_cpu"].append(cpu)
                if method == "ocr":
                    runs["bare"].append(time_bare(inputs, args.language, default_env)[0])
                    wall, cpu = time_bare(inputs, args.language, single_env)
                    runs["bare1"].append(wall)
                    runs["bare1_cpu"].append(cpu)
            row: dict[str, object] = {
                "file": path.name,
                "pages": pages,
                "method": method,
                "passes": passes,
                "ours_wall": round(med(runs["ours"]) / pages, 3),
                "ours_cpu": round(med(runs["ours_cpu"]) / pages, 3),
            }
            if runs["bare"]:
                per_page = {k: med(v) / pages for k, v in runs.items()}
                row.update(
                    {
                        "bare_wall": round(per_page["bare"], 3),
                        "bare_wall_same_env": round(per_page["bare1"], 3),
                        "bare_cpu_same_env": round(per_page["bare1_cpu"], 3),
                        "ratio_wall": round(per_page["ours"] / per_page["bare"], 3),
                        "ratio_wall_same_env": round(per_page["ours"] / per_page["bare1"], 3),
                        "ratio_cpu_same_env": round(per_page["ours_cpu"] / per_page["bare1_cpu"], 3),
                    }
                )
                ratios["wall"] += [per_page["ours"] / per_page["bare"]] * pages
                ratios["wall_same_env"] += [per_page["ours"] / per_page["bare1"]] * pages
                ratios["cpu_same_env"] += [per_page["ours_cpu"] / per_page["bare1_cpu"]] * pages
            rows.append(row)
            if not args.json:
                nan = float("nan")
                print(
                    f"{path.name:45} {pages} p. {method:10} passes={passes!s:7} "
                    f"ours {row['ours_wall']:6.2f} s ({row['ours_cpu']:5.2f} cpu) | "
                    f"bare {row.get('bare_wall', nan):6.2f} s, OMP=1 {row.get('bare_wall_same_env', nan):6.2f} s "
                    f"({row.get('bare_cpu_same_env', nan):5.2f} cpu) | ratio {row.get('ratio_wall', nan):.2f}, "
                    f"OMP=1 {row.get('ratio_wall_same_env', nan):.2f}, cpu {row.get('ratio_cpu_same_env', nan):.2f}",
                    flush=True,
                )
    summary = {f"median_ratio_{k}": (round(med(v), 3) if v else None) for k, v in ratios.items()}
    summary.update(
        {
            "ocr_pages": len(ratios["wall"]),
            "repeats": args.repeats,
            "target": 1.2,
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
    )
    if args.json:
        print(json.dumps({"files": rows, **summary}, ensure_ascii=False, indent=2))
    else:
        print(
            f"\nmedian per-page ratio over {summary['ocr_pages']} OCR'd pages (target <= 1.2): "
            f"wall {summary['median_ratio_wall']} (bare in the default environment), "
            f"wall {summary['median_ratio_wall_same_env']} and CPU {summary['median_ratio_cpu_same_env']} "
            f"(bare with OMP_THREAD_LIMIT=1, as ours); load average {summary['load_average']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
