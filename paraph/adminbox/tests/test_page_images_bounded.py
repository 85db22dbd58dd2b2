"""Page images have a bounded size whatever the page box says (issue 9):
a page 100 pt wide and 14,400 pt tall is drawn thin and tall within
``MAX_PAGE_PIXELS``, a tiny page is not blown up, and a page that cannot be
drawn shows a placeholder, never an error. A page the document lacks stays
a 404."""

from __future__ import annotations

import struct
import zlib

import pytest

from paraph.adminbox import rendering
from paraph.contracts.samplepdf import pdf_file

pytestmark = pytest.mark.django_db

# A black square in the page's bottom-left corner, 50 pt a side.
_MARK = b"0 g 0 0 50 50 re f"


def _pdf(*boxes: bytes, kids: bytes | None = None, extra: list[bytes] | None = None) -> bytes:
    """A PDF with one page per media box (each with the black mark);
    ``kids`` and ``extra`` write a damaged page tree instead."""
    count = len(boxes)
    first_page = 3 + len(extra or [])
    refs = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids or refs, count + len(extra or [])),
        *(extra or []),
    ]
    for i, box in enumerate(boxes):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [%s] /Contents %d 0 R >>"
            % (box, first_page + 2 * i + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(_MARK) + _MARK + b"\nendstream")
    return pdf_file(objects)


def _decode(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of a PNG as ``rendering`` writes them
    (one IHDR, one IDAT, filter 0 on every row), checked on the way."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (depth, colour) == (8, 2)
    length = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT"
    (crc,) = struct.unpack(">I", png[41 + length : 45 + length])
    assert crc == zlib.crc32(png[37 : 41 + length])  # a browser checks it too
    raw = zlib.decompress(png[41 : 41 + length])
    row = 1 + 3 * width
    assert len(raw) == height * row
    assert all(raw[y * row] == 0 for y in range(height))
    return width, height, [raw[y * row + 1 : (y + 1) * row] for y in range(height)]


def _png(box: bytes, number: int = 1) -> bytes:
    data = _pdf(box)
    return rendering.page_png(load=lambda: data, sha256=box.hex(), number=number)


@pytest.fixture
def anne(person_factory, activated):
    return activated(person_factory(email="anne@example.be", phone="+32470123456"))


@pytest.fixture
def client(anne, logged_in):
    return logged_in(anne)


@pytest.fixture
def contract_of(make_contract, anne, clock):
    """``contract_of(pdf)``: a contract sent to Anne with that document,
    through the normal upload (sealed on the way in)."""

    def make(pdf: bytes):
        return make_contract(recipient={"email": "anne@example.be"}, pdf_bytes=pdf)

    return make


def _page(contract, number=1):
    return f"/adminbox/contract/{contract.public_id}/page/{number}.png"


def test_a_page_100_pt_wide_and_14400_tall_is_a_thin_tall_image_within_the_bound(
    contract_of, client
):
    contract = contract_of(_pdf(b"0 0 100 14400"))

    response = client.get(_page(contract))

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "max-age" in response["Cache-Control"]  # a real page, kept
    width, height, rows = _decode(response.content)
    assert width * height <= rendering.MAX_PAGE_PIXELS
    # Not squeezed into a square: the page's shape, to the pixel.
    assert (width - 1) / height <= 100 / 14400 <= width / (height - 1)
    assert width > 100  # readable: more than a pixel a point
    # The mark is drawn at the bottom left, the rest of the page is white.
    assert rows[-1][:3] == b"\x00\x00\x00" and rows[0][:3] == b"\xff\xff\xff"


@pytest.mark.parametrize(
    ("box", "page"),
    [
        (b"0 0 100 14400", (100, 14400)),
        (b"0 0 14400 14400", (14400, 14400)),
        (b"0 0 14400 100", (14400, 100)),
        (b"0 0 1 1000000", (1, 1000000)),
        (b"0 0 595 842", (595, 842)),
    ],
)
def test_every_page_box_gives_an_image_within_the_bounds_and_of_its_shape(box, page):
    width, height, _rows = _decode(_png(box))

    assert width * height <= rendering.MAX_PAGE_PIXELS
    assert width <= rendering.PAGE_WIDTH_PX and height <= rendering.MAX_SIDE_PX
    assert (width - 1) / height <= page[0] / page[1] <= width / max(1, height - 1)


def test_an_a4_page_keeps_its_full_width():
    width, height, rows = _decode(_png(b"0 0 595 842"))

    assert (width, height) == (rendering.PAGE_WIDTH_PX, 1557)
    # 50 pt of 595 at 1100 px: the mark covers the first 92 pixels.
    assert rows[-1][: 3 * 90] == b"\x00" * 270 and rows[-1][3 * 95 :][:3] == b"\xff\xff\xff"


def test_a_tiny_page_is_not_blown_up_to_the_full_width():
    width, height, _rows = _decode(_png(b"0 0 3 3"))

    assert width == height == 3 * rendering.MAX_SCALE


def test_a_page_too_large_to_draw_legibly_shows_the_placeholder(contract_of, client, caplog):
    contract = contract_of(_pdf(b"0 0 1000000 1000000"))

    response = client.get(_page(contract))
    again = client.get(_page(contract))

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content == rendering.placeholder_png() == again.content
    assert response["Cache-Control"] == "private, no-store"
    assert "not rendered" in caplog.text and str(contract.public_id) in caplog.text
    width, height, rows = _decode(response.content)
    assert width * height <= rendering.MAX_PAGE_PIXELS
    assert len(set(rows)) > 2  # it says something, it is not a blank
    # The contract page still lists the page; a page the document lacks is a 404.
    assert client.get(_page(contract, 2)).status_code == 404


def test_pdfium_failing_to_draw_a_page_shows_the_placeholder_not_an_error(
    contract_of, client, monkeypatch
):
    import pypdfium2

    contract = contract_of(_pdf(b"0 0 595 842"))

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(pypdfium2.PdfPage, "render", out_of_memory)
    response = client.get(_page(contract))

    assert response.status_code == 200
    assert response.content == rendering.placeholder_png()
    monkeypatch.undo()
    # Nothing was kept: once PDFium draws the page, the person sees it.
    healed = client.get(_page(contract))
    assert healed.content != rendering.placeholder_png()
    assert _decode(healed.content)[0] == rendering.PAGE_WIDTH_PX


def test_a_page_pdfium_cannot_load_is_not_rendered_and_the_others_are():
    # The page tree's first kid is not a page: PDFium counts two pages and
    # cannot load the first. (The upload's sealing refuses such a file, so
    # this reaches the renderer directly.)
    data = _pdf(b"0 0 595 842", kids=b"3 0 R 4 0 R", extra=[b"<< /Type /Font >>"])

    def page(number):
        return rendering.page_png(load=lambda: data, sha256="ab" * 32, number=number)

    with pytest.raises(rendering.PageNotRendered):
        page(1)
    assert _decode(page(2))[0] == rendering.PAGE_WIDTH_PX
    with pytest.raises(rendering.PageNotFound):
        page(3)


def test_the_contract_page_gives_each_image_the_size_it_will_have(contract_of, client):
    """The browser keeps each page's room before its image arrives (the
    pages below the first load lazily): nothing jumps while one reads."""
    import re

    contract = contract_of(_pdf(b"0 0 595 842", b"0 0 842 595", b"0 0 1000000 1000000"))

    html = client.get(f"/adminbox/contract/{contract.public_id}/").content.decode()
    announced = [
        (int(w), int(h))
        for w, h in re.findall(r'<img [^>]*width="(\d+)" height="(\d+)"[^>]*class="pdf-page"', html)
    ]
    served = [_decode(client.get(_page(contract, n)).content)[:2] for n in (1, 2, 3)]

    assert announced == served
    assert announced[0] == (rendering.PAGE_WIDTH_PX, 1557)  # A4, upright
    assert announced[1][0] > announced[1][1]  # landscape
    assert served[2] == _decode(rendering.placeholder_png())[:2]  # cannot be drawn
