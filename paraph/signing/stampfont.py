"""The font of a visible signature's stamp when it must be embedded (a
PDF/A document, or a name Helvetica cannot show): Paraph's own DejaVu Sans,
cut to the scripts of European names, and embedded in each document as a
subset of the glyphs its stamp uses.

pyHanko's ``GlyphAccumulator`` parses the font again for every stamp (its
glyph table: a fifth of a seal) and makes and compiles a new subset for
every document (another fifth). Here the parsed font is made once per
process and shared, and the compiled subset is remembered by the set of
glyphs it holds: a batch sealed with the same words (a sender's name, the
date's digits) reuses it. Only HarfBuzz shaping and fontTools' lazy glyph
reading touch the shared font, under a lock."""

from __future__ import annotations

import functools
import io
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngine
from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator

from paraph.core.typesetting import FONTS_DIR

# The scripts of European names (Latin with its extensions, Greek,
# Cyrillic), punctuation and the euro sign.
_UNICODE_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x24F),
    (0x370, 0x3FF),
    (0x400, 0x52F),
    (0x1E00, 0x1EFF),
    (0x2010, 0x2027),
    (0x2030, 0x205E),
    (0x20AC, 0x20AC),
)

# Shaping and glyph reading on the shared fonts, one thread at a time.
LOCK = threading.Lock()


@functools.cache
def font_program(bold: bool) -> bytes:
    """Paraph's DejaVu Sans cut once per process to the scripts of European
    names and without the tables a stamp does not need (hinting, kerning,
    contextual forms), so that a subset of it is made in milliseconds."""
    from fontTools import subset, ttLib

    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.glyph_names = False
    options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "kern", "hdmx", "VDMX", "LTSH"]
    font = ttLib.TTFont(FONTS_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[u for a, b in _UNICODE_RANGES for u in range(a, b + 1)])
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class _SharedFont:
    """What ``GlyphAccumulator.__init__`` parses, parsed once."""

    hb_font: Any
    tt: Any
    glyph_set: Any
    ps_name: str
    units_per_em: int
    reverse_cmap: dict[str, set[int]]


@functools.cache
def _shared(bold: bool) -> _SharedFont:
    import uharfbuzz as hb
    from fontTools import ttLib
    from pyhanko.pdf_utils.font.opentype import _read_ps_name

    program = font_program(bold)
    tt = ttLib.TTFont(io.BytesIO(program))
    for table in ("head", "hhea", "OS/2", "post", "name", "cmap", "hmtx", "loca", "glyf"):
        tt[table]  # read now, not lazily by whichever thread comes first
    return _SharedFont(
        hb_font=hb.Font(hb.Face(program)),
        tt=tt,
        glyph_set=tt.getGlyphSet(preferCFF=True),
        ps_name=_read_ps_name(tt),
        units_per_em=tt["head"].unitsPerEm,
        reverse_cmap=tt["cmap"].buildReversed(),
    )


# Compiled, compressed subsets by (bold, glyph ids); a few hundred KB at most.
_SUBSETS: OrderedDict[tuple[bool, frozenset[int]], bytes] = OrderedDict()
_SUBSETS_KEPT = 64


def _subset_program(bold: bool, glyphs: frozenset[int]) -> bytes:
    """The font program holding ``glyphs`` (glyph ids kept, as pyHanko's
    CIDToGIDMap /Identity needs), compiled and Flate-compressed."""
    key = (bold, glyphs)
    with LOCK:
        cached = _SUBSETS.get(key)
        if cached is not None:
            _SUBSETS.move_to_end(key)
            return cached
    from fontTools import subset, ttLib

    # pyHanko's subsetting options, on a copy of the font (it is destructive)
    options = subset.Options(layout_closure=False)
    options.drop_tables += ["GPOS", "GDEF", "GSUB"]
    options.retain_gids = True
    font = ttLib.TTFont(io.BytesIO(font_program(bold)))
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(gids=sorted(glyphs))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    program = zlib.compress(out.getvalue())
    with LOCK:
        _SUBSETS[key] = program
        while len(_SUBSETS) > _SUBSETS_KEPT:
            _SUBSETS.popitem(last=False)
    return program


class _SubsetFont(CIDFontType2):
    """pyHanko's CID font, embedding a program made beforehand."""

    program: bytes = b""

    def set_font_file(self, writer: Any) -> generic.IndirectObject:
        stream = generic.StreamObject(
            {generic.NameObject("/Filter"): generic.NameObject("/FlateDecode")},
            encoded_data=self.program,
        )
        ref: generic.IndirectObject = writer.add_object(stream)
        self._font_descriptor[generic.NameObject("/FontFile2")] = ref
        return ref


class StampGlyphs(GlyphAccumulator):
    """pyHanko's ``GlyphAccumulator`` over the shared stamp font: the same
    state as its constructor sets (pinned below pyHanko 0.39; the stamp
    tests check the embedded fonts with pdffonts), without parsing the font,
    and a subset from :func:`_subset_program`."""

    def __init__(self, writer: Any, *, bold: bool, font_size: float) -> None:
        shared = _shared(bold)
        FontEngine.__init__(self, writer, shared.ps_name, embedded_subset=True, font_size=10)
        self.font_size = font_size  # type: ignore[assignment]  # pyHanko types it int
        self._bold = bold
        self.hb_font = shared.hb_font
        self.tt = shared.tt
        self._font_ref = writer.allocate_placeholder()
        self.cff_charset = None
        self.use_raw_gids = True
        self.cidfont_obj = _SubsetFont(shared.tt, shared.ps_name, self.subset_prefix)
        self.features = None
        self.units_per_em = shared.units_per_em
        self._glyphs = {}
        self._glyph_set = shared.glyph_set
        self._cid_to_unicode = {}
        self._GlyphAccumulator__reverse_cmap = shared.reverse_cmap  # read only
        self.ot_language_tag = None
        self.ot_script_tag = None
        self.writing_direction = None
        self.bcp47_lang_code = None
        self._subset_created = self._write_prepared = False

    def _extract_subset(self, options: Any = None) -> None:
        program = _subset_program(self._bold, frozenset(self._glyphs))
        assert isinstance(self.cidfont_obj, _SubsetFont)
        self.cidfont_obj.program = program
