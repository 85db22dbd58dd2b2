"""Memory and time to draw one hostile page as the contract page's image.

    .venv/bin/python bench/page_render.py

Each page below is drawn by ``paraph.adminbox.rendering.page_png`` (the
function behind ``/adminbox/contract/<id>/page/<n>.png``) in a fresh
Python process, with Django set up on a throw-away data folder and no
image kept yet. The child reports its peak resident memory (``VmHWM``:
the interpreter, Django, PDFium and the page together, which is what a
server worker would pay), the time to draw, and the image's size.

Hostile page boxes: an A4 page (the baseline), a page 100 x 14,400 pt
(the small file of issue 9 that took 2.1 GB), 14,400 pt square,
14,400 x 100 pt and 3 x 3 pt. They end with
``page_render_peak_mb_worst=<mb>`` (aim: under 200) and
``worst_over_a4=<x>``, the worst page's peak over the A4 page's.

Then, apart, a dense page: the 100 x 14,400 pt page covered by a picture of
random colours at the image's own resolution (a 20 MB PDF, nothing for the
PNG to compress), printed as ``page_render_peak_mb_dense=<mb>``. Its peak
is mostly PDFium decoding the picture, which grows with the file (up to
the upload limit), not with the page box; it is shown so that cost is
known, not hidden in the worst page box's.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# name: (width, height) in points, and whether the page is covered by noise
BOXES = {
    "a4": (595, 842, False),
    "100x14400": (100, 14400, False),
    "14400x14400": (14400, 14400, False),
    "14400x100": (14400, 100, False),
    "3x3": (3, 3, False),
}
DENSE = {"100x14400-noise": (100, 14400, True)}
PAGES = {**BOXES, **DENSE}
AIM_MB = 200


def _pdf(width: int, height: int, noise: bool) -> bytes:
    """One page of that box with a line of text, or covered by noise."""
    from paraph.adminbox import rendering
    from paraph.contracts.samplepdf import pdf_file

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << "
        b"/Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> /Contents 4 0 R >>" % (width, height),
    ]
    content = b"BT /F1 10 Tf 2 2 Td (Article 1.) Tj ET"
    image = b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
    image += b"/BitsPerComponent 8 /Length 1 >>\nstream\n\x00\nendstream"
    if noise:
        # As many image pixels as the page image will have: none repeats.
        scale = rendering.page_scale(width, height)
        w, h = round(width * scale), round(height * scale)
        data = os.urandom(w * h * 3)
        image = (
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Length %d >>\nstream\n"
            % (w, h, len(data))
            + data
            + b"\nendstream"
        )
        content = b"q %d 0 0 %d 0 0 cm /Im1 Do Q " % (width, height) + content
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(image)
    return pdf_file(objects)


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc/self/status (Linux only)")


def child(name: str, path: str) -> None:
    """Draw the one page of the PDF at ``path`` in this (fresh) process and
    print what it cost, as JSON. The file is read inside ``page_png``, as
    the view does, so its bytes count in the peak."""
    with tempfile.TemporaryDirectory(prefix="paraph-bench-") as data_dir:
        os.environ.update(
            PARAPH_DATA_DIR=data_dir,
            PARAPH_SANDBOX="true",
            PARAPH_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="paraph.settings",
        )
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        from paraph.adminbox import rendering

        document = Path(path)
        before = _peak_mb()
        began = time.perf_counter()
        png = rendering.page_png(load=document.read_bytes, sha256=name.encode().hex(), number=1)
        seconds = time.perf_counter() - began
    image_width, image_height = struct.unpack(">II", png[16:24])
    result = {
        "peak_mb": _peak_mb(),
        "before_mb": before,
        "seconds": seconds,
        "image": [image_width, image_height],
        "pdf_bytes": document.stat().st_size,
        "png_bytes": len(png),
    }
    print(json.dumps(result))


def main() -> None:
    from paraph.adminbox import rendering

    print(
        f"one page per fresh process, page_png; bounds: {rendering.PAGE_WIDTH_PX} px wide, "
        f"{rendering.MAX_PAGE_PIXELS:,} px, {rendering.MAX_SIDE_PX:,} px a side"
    )
    results = {}
    folder = Path(tempfile.mkdtemp(prefix="paraph-bench-pdfs-"))
    for name in PAGES:
        path = folder / f"{name}.pdf"
        path.write_bytes(_pdf(*PAGES[name]))
        done = subprocess.run(
            [sys.executable, __file__, "--child", name, str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{name}: the child failed\n{done.stderr}")
        path.unlink()
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results[name] = result
        width, height = result["image"]
        print(
            f"{name:<16} pdf {result['pdf_bytes']:>10,} B   image {width:>5} x {height:<6} "
            f"({width * height / 1e6:5.2f} Mpx, png {result['png_bytes']:>10,} B)   "
            f"{result['seconds'] * 1000:8.1f} ms   peak {result['peak_mb']:6.1f} MB "
            f"(before drawing {result['before_mb']:5.1f} MB)"
        )
    folder.rmdir()
    worst_name = max(BOXES, key=lambda n: results[n]["peak_mb"])
    worst = results[worst_name]["peak_mb"]
    print(f"worst page box: {worst_name} (aim: under {AIM_MB} MB)")
    print(f"page_render_peak_mb_worst={worst:.1f}")
    print(f"worst_over_a4={worst / results['a4']['peak_mb']:.4f}")
    dense = max(results[name]["peak_mb"] for name in DENSE)
    print(f"page_render_peak_mb_dense={dense:.1f}")
    if worst >= AIM_MB:
        raise SystemExit(f"peak {worst:.1f} MB is over {AIM_MB} MB")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
