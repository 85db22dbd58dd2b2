"""Legal documents typeset as PDF/A-3b: a Django template rendered to HTML,
laid out by WeasyPrint (Pango underneath) on A4 pages that break wherever
the text needs, with Paraph's own DejaVu fonts embedded (ADR 14).

The fonts ship in ``core/static/core/fonts/``, so a document comes out the
same on every machine whatever fonts it has installed, and reads the same in
every European script (Latin, Greek, Cyrillic). A document loads nothing
else: any other address in its HTML or CSS stops the rendering.

WeasyPrint's font configuration is made once per thread and then reused: it
is what makes the first document of a process slow.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.template.loader import render_to_string
from django.utils import translation

FONTS_DIR = Path(__file__).resolve().parent / "static" / "core" / "fonts"
PDF_VARIANT = "pdf/a-3b"


def fonts_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves the files of :data:`FONTS_DIR`
    and refuses every other address (the network, the rest of the file
    system), which stops the rendering: a document shows only what its
    template and context hold."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OwnFontsOnly(URLFetcher):
        def __init__(self) -> None:
            super().__init__(fail_on_errors=True)

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" else None
            if path is None or not path.is_relative_to(FONTS_DIR) or not path.is_file():
                raise ValueError(f"a legal document loads only Paraph's own fonts, not {url}")
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": "font/ttf"})

    return OwnFontsOnly()


class _Tools(threading.local):
    """WeasyPrint's font configuration and Paraph's fetcher, made on a
    thread's first document and kept: the font configuration (fontconfig and
    Pango objects, the fonts read once) is what makes a first document slow,
    and is not shared between threads. WeasyPrint itself is imported then
    too, so that commands which make no PDF start without it."""

    def __init__(self) -> None:
        from weasyprint.text.fonts import FontConfiguration

        self.fonts = FontConfiguration()
        self.fetcher = fonts_only_fetcher()


_tools: _Tools | None = None
_tools_made = threading.Lock()


def _thread_tools() -> _Tools:
    global _tools
    with _tools_made:
        if _tools is None:
            _tools = _Tools()
    return _tools


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string; every character that could end the
    string or the ``<style>`` element around it is escaped."""
    out = []
    for char in text:
        if char.isalnum() or char in " -_.,:;/()#°'":
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return '"' + "".join(out) + '"'


def page_footer(text: str) -> str:
    """The CSS ``content`` of a page footer from ``text``, in which
    ``{page}`` and ``{pages}`` stand for the page's number and the count of
    pages (e.g. ``"page {page} of {pages}"``, translated)."""
    parts: list[str] = []
    rest = text
    while rest:
        at = min((i for i in (rest.find("{page}"), rest.find("{pages}")) if i >= 0), default=-1)
        if at < 0:
            parts.append(css_string(rest))
            break
        if at:
            parts.append(css_string(rest[:at]))
        counter = "pages" if rest.startswith("{pages}", at) else "page"
        parts.append(f"counter({counter})")
        rest = rest[at + len(counter) + 2 :]
    return " ".join(parts) or '""'


def html_typeset(
    *, template: str, context: Mapping[str, Any], language: str, footer: str = ""
) -> str:
    """The HTML that :func:`pdf_typeset` lays out."""
    with translation.override(language):
        return render_to_string(
            template, {**context, "language": language, "footer_css": page_footer(footer)}
        )


def pdf_typeset(
    *, template: str, context: Mapping[str, Any], language: str, footer: str = ""
) -> bytes:
    """``template`` rendered with ``context`` in ``language`` and typeset as
    a PDF/A-3b with its fonts embedded. The template extends
    ``typesetting/document.html``: A4 pages, the fonts, and ``footer`` at
    the foot of every page (``{page}`` and ``{pages}`` in it stand for the
    page's number and the count of pages). Raises WeasyPrint's
    ``FatalURLFetchingError`` when the HTML asks for anything but Paraph's
    fonts."""
    from weasyprint import HTML

    tools = _thread_tools()
    html = html_typeset(template=template, context=context, language=language, footer=footer)
    document = HTML(string=html, base_url=FONTS_DIR.as_uri() + "/", url_fetcher=tools.fetcher)
    pdf: bytes = document.write_pdf(font_config=tools.fonts, pdf_variant=PDF_VARIANT)
    return pdf
