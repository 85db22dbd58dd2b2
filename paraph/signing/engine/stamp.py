"""Visible signatures: the text stamp drawn with Paraph's embedded font,
and the plan that places each signature box where it overlaps nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import misc as pdf_misc
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.stamp import BaseStamp, BaseStampStyle

from paraph.signing import stamplayout
from paraph.signing.engine.cms import cached_timestamper
from paraph.signing.engine.options import (
    MIN_BOX_HEIGHT,
    MIN_BOX_WIDTH,
    EngineConfig,
    Placement,
    SignOptions,
)
from paraph.signing.engine.writer import (
    find_page,
    incremental_writer,
    signature_field_name,
    signature_metadata,
)
from paraph.signing.exceptions import (
    DocumentRejected,
)

log = logging.getLogger("paraph.signing.engine")


# --- visible signatures -----------------------------------------------------

_BORDER_COLOUR = (0.16, 0.29, 0.55)
_INK = (0.08, 0.08, 0.12)
_SLOT_MARGIN = 36.0  # from the page's left, right and bottom edges
_SLOT_GAP = 8.0
_SLOT_HEIGHT = 56.0


def _font(bold: bool) -> generic.DictionaryObject:
    name = "/Helvetica-Bold" if bold else "/Helvetica"
    return generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject(name),
            generic.NameObject("/Encoding"): generic.NameObject("/WinAnsiEncoding"),
            generic.NameObject("/FirstChar"): generic.NumberObject(32),
            generic.NameObject("/LastChar"): generic.NumberObject(255),
            generic.NameObject("/Widths"): generic.ArrayObject(
                generic.NumberObject(w) for w in stamplayout.widths(bold)
            ),
        }
    )


# Written into each document, built once per process.
_FONTS = {False: _font(False), True: _font(True)}
_FONT_NAMES = {False: b"/PhR", True: b"/PhB"}


class _TextStamp(BaseStamp):
    """A white box with a thin border and the lines, fitted to the box: in
    Helvetica, which every viewer has and which costs nothing to embed, when
    WinAnsiEncoding shows every letter; otherwise, and in a document that
    claims PDF/A (every font embedded), in DejaVu Sans, subset and embedded,
    so that "Łukasz Żółć" or "Άννα" appear as they are."""

    def __init__(
        self,
        writer: Any,
        style: BaseStampStyle,
        box: Any,
        lines: tuple[str, ...],
        *,
        embed_fonts: bool,
    ):
        super().__init__(writer, style, box)
        self._lines = lines
        self._embed = embed_fonts or not stamplayout.winansi_exact(lines)

    def _render_inner_content(self) -> list[bytes]:
        width, height = self.box.width, self.box.height
        ops = [b"1 1 1 rg 0 0 %.2f %.2f re f" % (width, height), b"%g %g %g rg" % _INK]
        if self._embed:
            return ops + self._embedded_lines(width, height)
        for bold in (False, True):
            self.set_resource(
                category=ResourceType.FONT,
                name=generic.NameObject(_FONT_NAMES[bold].decode()),
                value=_FONTS[bold],
            )
        for line in stamplayout.layout(self._lines, width, height):
            ops.append(
                b"BT %s %.2f Tf %.2f %.2f Td <%s> Tj ET"
                % (_FONT_NAMES[line.bold], line.size, line.x, line.y, line.text.hex().encode())
            )
        return ops

    def _embedded_lines(self, width: float, height: float) -> list[bytes]:
        # fontTools and HarfBuzz are big: imported by the first stamp that
        # needs them, not by every process that signs
        from paraph.signing import stampfont

        writer = self.writer
        assert writer is not None
        engines = {
            bold: stampfont.StampGlyphs(writer, bold=bold, font_size=10) for bold in (False, True)
        }
        for bold, engine in engines.items():
            self.set_resource(
                category=ResourceType.FONT,
                name=generic.NameObject(_FONT_NAMES[bold].decode()),
                value=engine.as_resource(),
            )
        ops = []
        with stampfont.LOCK:  # the fonts are shared by the process's threads
            lines = stamplayout.layout_measured(
                [stamplayout.printable(line) for line in self._lines],
                width,
                height,
                measure=lambda text, bold: engines[bold].shape(text).x_advance,
                ellipsis=stamplayout.ELLIPSIS,
            )
            for line in lines:
                engine = engines[line.bold]
                # positions within the line, in points (pyHanko types it int)
                engine.font_size = line.size  # type: ignore[assignment]
                ops.append(
                    b"BT %s %.2f Tf %.2f %.2f Td %s ET"
                    % (
                        _FONT_NAMES[line.bold],
                        line.size,
                        line.x,
                        line.y,
                        engine.shape(line.text).graphics_ops,
                    )
                )
        return ops


@dataclass(frozen=True)
class _TextStampStyle(BaseStampStyle):
    """Paraph's appearance: the lines come with each document (pyHanko's
    ``appearance_text_params``), so one style serves every signature."""

    def create_stamp(self, writer: Any, box: Any, text_params: dict[str, Any]) -> BaseStamp:
        return _TextStamp(
            writer,
            self,
            box,
            tuple(text_params.get("paraph_lines", ())),
            embed_fonts=bool(text_params.get("paraph_embed_fonts")),
        )


_STAMP_STYLE = _TextStampStyle(border_width=1, border_color=_BORDER_COLOUR)


def inherited_value(page: generic.DictionaryObject, key: str) -> Any:
    node: Any = page
    for _depth in range(64):  # page trees are shallow; a loop is damage
        if key in node:
            return node[key]
        if "/Parent" not in node:
            return None
        node = node["/Parent"]
    return None


def _page_box(page: generic.DictionaryObject) -> tuple[float, float, float, float]:
    box = inherited_value(page, "/CropBox") or inherited_value(page, "/MediaBox")
    if box is None or len(box) != 4:
        return (0.0, 0.0, 595.0, 842.0)  # A4, what a viewer assumes
    x1, y1, x2, y2 = (float(v) for v in box)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _signature_rects(page: generic.DictionaryObject) -> list[tuple[float, float, float, float]]:
    """The boxes of the visible signature fields already on ``page``."""
    rects = []
    for ref in page.get("/Annots") or ():
        annot = ref.get_object()
        field_type = annot.get("/FT") or (
            annot["/Parent"].get("/FT") if "/Parent" in annot else None
        )
        rect = annot.get("/Rect")
        if field_type != "/Sig" or rect is None or len(rect) != 4:
            continue
        x1, y1, x2, y2 = (float(v) for v in rect)
        if abs(x2 - x1) > 1 and abs(y2 - y1) > 1:
            rects.append((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))
    return rects


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _free_slot(
    page_box: tuple[float, float, float, float], taken: list[tuple[float, float, float, float]]
) -> tuple[float, float, float, float]:
    """The first slot along the bottom of the page that no signature covers:
    two per row, rows going up; the first slot if the page is full."""
    px1, py1, px2, py2 = page_box
    width = max(MIN_BOX_WIDTH, (px2 - px1 - 2 * _SLOT_MARGIN - _SLOT_GAP) / 2)
    slots = []
    row = 0
    while True:
        y1 = py1 + _SLOT_MARGIN + row * (_SLOT_HEIGHT + _SLOT_GAP)
        if y1 + _SLOT_HEIGHT > py2 - _SLOT_MARGIN or row > 20:
            break
        for col in range(2):
            x1 = px1 + _SLOT_MARGIN + col * (width + _SLOT_GAP)
            if x1 + width <= px2:
                slots.append((x1, y1, x1 + width, y1 + _SLOT_HEIGHT))
        row += 1
    for slot in slots:
        if not any(_overlaps(slot, rect) for rect in taken):
            return slot
    return slots[0] if slots else (px1, py1, px1 + MIN_BOX_WIDTH, py1 + MIN_BOX_HEIGHT)


class _FieldPlanner:
    """Boxes for the new signature fields of one revision, each in the next
    free slot of its page unless the caller chose one."""

    def __init__(self, reader: PdfFileReader) -> None:
        self._reader = reader
        self._taken: dict[int, list[tuple[float, float, float, float]]] = {}
        try:
            self._count = int(reader.root["/Pages"]["/Count"])
        except Exception as exc:
            raise DocumentRejected(
                f"the PDF's pages cannot be read: {exc}", code="damaged"
            ) from exc

    def spec(self, field_name: str, placement: Placement) -> fields.SigFieldSpec:
        """A new visible field at ``placement``, or :class:`DocumentRejected`
        (``placement``) when the page does not exist or the box leaves it."""
        index = placement.page if placement.page >= 0 else self._count + placement.page
        if not 0 <= index < self._count:
            raise DocumentRejected(
                f"the document has {self._count} page(s): a signature cannot go on page "
                f"{placement.page + 1 if placement.page >= 0 else placement.page}",
                code="placement",
            )
        try:
            page_ref, _resources = find_page(self._reader, index)
            page = page_ref.get_object()
            page_box = _page_box(page)
            taken = self._taken.setdefault(index, _signature_rects(page))
        except Exception as exc:  # a damaged page tree
            raise DocumentRejected(
                f"the PDF's page {index + 1} cannot be read to place a signature: {exc}",
                code="damaged",
            ) from exc
        if placement.box is None:
            box = _free_slot(page_box, taken)
        else:
            box = placement.box
            px1, py1, px2, py2 = page_box
            if not (px1 <= box[0] and py1 <= box[1] and box[2] <= px2 and box[3] <= py2):
                raise DocumentRejected(
                    f"the signature box {box} is not inside page {index + 1} {page_box}",
                    code="placement",
                )
        taken.append(box)
        return fields.SigFieldSpec(
            sig_field_name=field_name,
            on_page=index,
            box=tuple(round(v, 2) for v in box),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class _Plan:
    """pyHanko's signer for one document, the text of its appearance
    (``None``: invisible) and the empty fields to add before signing."""

    pdf_signer: signers.PdfSigner
    text_params: dict[str, Any] | None
    empty_fields: tuple[fields.SigFieldSpec, ...]

    def writer(self, reader: PdfFileReader) -> IncrementalPdfFileWriter:
        writer = incremental_writer(reader)
        try:
            for spec in self.empty_fields:
                fields.append_signature_field(writer, spec)
        except Exception as exc:
            raise DocumentRejected(
                f"the empty signature fields cannot be added: {exc}", code="placement"
            ) from exc
        return writer


def claims_pdfa(reader: PdfFileReader) -> bool:
    """Whether the document says it is PDF/A (its XMP metadata names a
    ``pdfaid:part``), as Paraph's own legal PDFs do: every font of an
    appearance added to it is then embedded."""
    try:
        ref = reader.root.get_value_as_reference("/Metadata")
        # read as pyHanko's writer will (it updates a metadata stream it
        # recognises, and replaces one it does not, PDF/A claim included)
        metadata = reader.get_object(ref, as_metadata_stream=True)
        return b"pdfaid:part" in metadata.data
    except (KeyError, generic.IndirectObjectExpected):
        return False
    except (pdf_misc.PdfError, AttributeError, ValueError, TypeError):
        return False  # unreadable metadata claims nothing


def plan_slots(
    reader: PdfFileReader,
    meta: signers.PdfSignatureMetadata,
    options: SignOptions,
    *,
    signer: signers.Signer,
    timestamper: TimeStamper,
    certified: bool,
    archival: bool = False,
) -> _Plan:
    """Where this signature and the empty fields go. In a document that is
    already certified, a new visible field would break the certification
    (ISO 32000 DocMDP; pyHanko and Adobe agree): there the signature fills
    an existing field, or is made invisible, and new empty fields are
    refused. The certifying seal is what creates the fields that follow."""
    field_name = meta.field_name or ""
    existing = {name for name, _, _ in fields.enumerate_sig_fields(reader)}
    for slot in options.slots:
        if slot.field_name in existing or slot.field_name == field_name:
            raise DocumentRejected(
                f"the document already has a signature field named {slot.field_name!r}",
                code="field_name",
            )
    if options.slots and certified:
        raise DocumentRejected(
            "the document is certified by its author: signature fields can no longer be "
            "added to it",
            code="certified",
        )
    planner = _FieldPlanner(reader) if options.appearance or options.slots else None
    kwargs: dict[str, Any] = {}
    text_params = None
    appearance = options.appearance
    if appearance is not None and planner is not None:
        text_params = {"paraph_lines": appearance.lines, "paraph_embed_fonts": archival}
        kwargs["stamp_style"] = _STAMP_STYLE
        if field_name not in existing:
            if certified:
                log.warning(
                    "field %s: the document is certified and has no such field; "
                    "the signature is made invisible so the certification stays valid",
                    field_name,
                )
                kwargs, text_params = {}, None
            else:
                kwargs["new_field_spec"] = planner.spec(field_name, appearance.placement)
    empty = tuple(
        planner.spec(slot.field_name, slot.placement) for slot in options.slots if planner
    )
    return _Plan(
        pdf_signer=signers.PdfSigner(meta, signer=signer, timestamper=timestamper, **kwargs),
        text_params=text_params,
        empty_fields=empty,
    )


def plan_signature(
    reader: PdfFileReader,
    options: SignOptions,
    config: EngineConfig,
    *,
    signer: signers.Signer,
    md_algorithm: str,
    certified: bool,
) -> _Plan:
    """A new signature of ``reader``: its metadata (its field named), and
    where it and the empty fields go (:func:`plan_slots`), time-stamped by
    the configured authority. Both ways of signing start here: with a key
    Paraph holds and with the card's external signature."""
    meta = signature_metadata(
        options, md_algorithm=md_algorithm, field_name=signature_field_name(reader, options)
    )
    return plan_slots(
        reader,
        meta,
        options,
        signer=signer,
        timestamper=cached_timestamper(config.timestamp_authority),
        certified=certified,
        archival=claims_pdfa(reader),
    )
