"""The engine finds the page a signature goes on by reading only the page
tree nodes on the way (from the nearer end), not every page before it as
pyHanko does. Over any shape of page tree, it must find the same page, with
the same inherited resources, as pyHanko's own walk; and where it cannot
follow a damaged tree, pyHanko's walk decides, as before."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import PdfHandler

from paraph.contracts.samplepdf import pdf_file
from paraph.signing import engine
from paraph.signing.tests import hostilepdfs

# A page tree: an int is a run of that many pages, a list is a /Pages node.
trees = st.recursive(
    st.integers(min_value=1, max_value=3),
    lambda kids: st.lists(kids, min_size=1, max_size=4),
    max_leaves=12,
)


def _tree_pdf(tree: list | int, inherit: set[int]) -> tuple[bytes, int]:
    """A PDF whose page tree has the shape of ``tree``; the /Pages nodes whose
    number is in ``inherit`` carry their own /Resources, which their pages
    inherit. Each page's content names its number."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    page_number = 0

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def node(shape: list | int, number: int, parent: int | None) -> int:
        nonlocal page_number
        kids: list[int] = []
        items = [shape] if isinstance(shape, int) else shape
        for item in items:
            if isinstance(item, int):
                for _ in range(item):
                    page_number += 1
                    kids.append(
                        add(
                            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 %d] >>"
                            % (number, 100 + page_number)
                        )
                    )
            else:
                child = add(b"")
                node(item, child, number)
                kids.append(child)
        count = sum(_pages(k) for k in items)
        resources = (
            b" /Resources << /ProcSet [/PDF] /Node %d >>" % number if number in inherit else b""
        )
        parent_entry = b" /Parent %d 0 R" % parent if parent else b""
        objects[number - 1] = b"<< /Type /Pages%s /Kids [%s] /Count %d%s >>" % (
            parent_entry,
            b" ".join(b"%d 0 R" % k for k in kids),
            count,
            resources,
        )
        return count

    total = node(tree, 2, None)
    return pdf_file(objects), total


def _pages(shape: list | int) -> int:
    return shape if isinstance(shape, int) else sum(_pages(k) for k in shape)


def _same(found: tuple, expected: tuple) -> None:
    (page, resources), (their_page, their_resources) = found, expected
    assert page.reference == their_page.reference
    assert resources == their_resources


@settings(max_examples=150, deadline=None)
@given(tree=trees, inherit=st.sets(st.integers(min_value=2, max_value=40)))
def test_the_page_found_is_pyhankos_page_with_its_inherited_resources(tree, inherit):
    data, count = _tree_pdf(tree, inherit)
    reader = PdfFileReader(io.BytesIO(data))
    for index in [*range(count), *range(-count, 0)]:
        fresh = PdfFileReader(io.BytesIO(data))
        found = engine.writer._find_page_from_nearer_end(fresh, index)  # no fallback here
        _same(found, PdfHandler.find_page_for_modification(reader, index))


def test_a_damaged_tree_is_left_to_pyhankos_walk():
    # the second page's node names its own parent again: walking from the
    # end meets the loop, pyHanko's walk from the start finds the page
    data = hostilepdfs.page_tree_cycle()
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    reader = PdfFileReader(io.BytesIO(data))

    _same(engine.writer.find_page(writer, -1), PdfHandler.find_page_for_modification(reader, -1))
