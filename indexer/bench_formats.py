"""Reading benchmark: ``python -m indexer.bench_formats`` (part of ``make bench``).

PDF text pages per second (the seed documents typeset as PDFs), OCR pages per second (scanned
pages drawn with a CJK font), and the time from a 20-page PDF arriving to being indexed in an
existing index (parse + incremental build). Needs the dev extras (reportlab) and a CJK font for OCR.
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def seed_pdf(max_pages: int | None = None) -> tuple[bytes, int]:
    """The seed documents typeset as one A4 PDF (reportlab's built-in CJK font)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    y, pages = height - 72, 1
    c.setFont("STSong-Light", 11)
    for path in sorted((REPO_ROOT / "corpus").glob("00[1-4]_*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            while line:
                part, line = line[:38], line[38:]
                if y < 72:
                    if max_pages and pages >= max_pages:
                        c.showPage()
                        c.save()
                        return buf.getvalue(), pages
                    c.showPage()
                    c.setFont("STSong-Light", 11)
                    y, pages = height - 72, pages + 1
                c.drawString(72, y, part)
                y -= 17
    c.showPage()
    c.save()
    return buf.getvalue(), pages


def scanned_pdf(n: int) -> bytes | None:
    """``n`` image-only pages of Chinese text (None without a CJK font)."""
    if not NOTO.is_file():
        return None
    from PIL import Image, ImageDraw, ImageFont

    text = (REPO_ROOT / "corpus" / "003_f5b1b6779f8b2705.txt").read_text(encoding="utf-8").replace("\n", "")
    font = ImageFont.truetype(str(NOTO), 30)
    images = []
    for p in range(n):
        img = Image.new("L", (1240, 1754), 255)
        draw = ImageDraw.Draw(img)
        for i in range(24):
            start = (p * 24 + i) * 34
            draw.text((120, 120 + 62 * i), text[start : start + 34], font=font, fill=0)
        images.append(img)
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m indexer.bench_formats", description=__doc__.splitlines()[0])
    p.add_argument("--ocr-pages", type=int, default=3)
    args = p.parse_args(argv)
    from .readers.pdf import read_pdf

    data, pages = seed_pdf()
    t0 = time.perf_counter()
    read_pdf(data)
    text_s = time.perf_counter() - t0
    print(f"PDF text layer: {pages} pages in {text_s:.2f}s → {pages / text_s:.0f} pages/s")

    scan = scanned_pdf(args.ocr_pages)
    if scan is None:
        print(f"OCR: skipped (no CJK font at {NOTO})")
    else:
        t0 = time.perf_counter()
        r = read_pdf(scan)
        ocr_s = time.perf_counter() - t0
        print(f"OCR: {len(r.ocr_pages)} scanned pages in {ocr_s:.1f}s → {len(r.ocr_pages) / ocr_s:.2f} pages/s")

    from .index import build_index
    from .settings import Settings

    with tempfile.TemporaryDirectory(prefix="pqa-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        (corpus / "notice.md").write_text("# 通知\n\n第一条 为了规范管理，制定本规定。\n", encoding="utf-8")
        settings = Settings(corpus_dir=corpus, index_dir=Path(tmp) / "index", cache_dir=Path(tmp) / "cache")
        build_index(settings, show_progress=False)
        pdf20, n20 = seed_pdf(max_pages=20)
        (corpus / "plan.pdf").write_bytes(pdf20)
        t0 = time.perf_counter()
        report = build_index(settings, show_progress=False)
        took = time.perf_counter() - t0
        print(f"a {n20}-page PDF arriving to indexed (parse + embed {report.embedded} clauses + swap): {took:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
