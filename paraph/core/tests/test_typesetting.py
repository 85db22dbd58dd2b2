"""What every typeset legal document shares (paraph/core/typesetting.py):
text that looks like HTML or CSS is printed as typed, the footer numbers
the pages, and a document reads nothing but Paraph's own fonts."""

from __future__ import annotations

import pytest
from weasyprint.urls import FatalURLFetchingError, fetch

from paraph.core.tests.typeset import assert_typeset_for_archiving, pdf_text
from paraph.core.typesetting import FONTS_DIR, fonts_only_fetcher, pdf_typeset

TRICKY = [
    '"); } @page { size: A0 } body { display: none } /*',
    '</style><h1>Injected</h1> <img src="file:///etc/passwd"> url(https://example.com/x.ttf)',
    "Łukasz Żółć \\ Ørsted & Άννα",
]


@pytest.mark.parametrize("words", TRICKY)
def test_a_footer_that_looks_like_css_or_html_is_printed_as_typed(words):
    pdf = pdf_typeset(
        template="typesetting/document.html",
        context={"title": words},
        language="en",
        footer=f"{words} - page {{page}} of {{pages}}",
    )

    assert f"{words} - page 1 of 1" in pdf_text(pdf)
    assert_typeset_for_archiving(pdf)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/font.ttf",
        "file:///etc/passwd",
        (FONTS_DIR / ".." / ".." / ".." / "typesetting.py").as_uri(),
        (FONTS_DIR / "missing.ttf").as_uri(),
    ],
)
def test_a_document_reads_nothing_but_paraphs_fonts(url):
    with pytest.raises(FatalURLFetchingError), fetch(fonts_only_fetcher(), url):
        pass


def test_paraphs_fonts_are_served():
    with fetch(fonts_only_fetcher(), (FONTS_DIR / "DejaVuSans.ttf").as_uri()) as response:
        assert response.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
