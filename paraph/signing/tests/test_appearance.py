"""Visible signatures: what a person sees on the page, in their language,
and that the signatures under the pictures stay valid."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from paraph.signing import conf, engine, services, stamplayout
from paraph.signing.appearance import SignedWith, appearance_lines
from paraph.signing.exceptions import DocumentRejected
from paraph.signing.tests.cards import card_sign
from paraph.signing.tests.checks import pdftotext_words, qpdf_signature_boxes

WINTER = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)  # 10:30 in Brussels (CET)
SUMMER = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)  # 11:30 in Brussels (CEST)


@pytest.mark.parametrize(
    ("language", "when", "expected_date"),
    [
        ("fr", WINTER, ("15 mars 2026", "10:30")),
        ("nl", SUMMER, ("15 juni 2026", "11:30")),
        ("de", WINTER, ("15. März 2026", "10:30")),
        ("en", SUMMER, ("June 15, 2026", "11:30")),
    ],
)
def test_appearance_words_in_the_signers_language_and_brussels_time(language, when, expected_date):
    name, how, moment = appearance_lines(
        signer_name="Émilie Dubois",
        signed_with=SignedWith.PASSWORD,
        when=when,
        language=language,
        mandate_ref="M-2026-00042",
    )

    assert name == "Émilie Dubois"
    assert "M-2026-00042" in how
    assert all(part in moment for part in expected_date)


def test_unknown_language_falls_back_to_the_sites_default():
    lines = appearance_lines(
        signer_name="A", signed_with=SignedWith.EID, when=WINTER, language="xx"
    )
    assert "15 mars 2026" in lines[2]


def test_long_names_shrink_then_are_cut_inside_the_box():
    short = stamplayout.layout(("Jan Peeters", "Signed with an eID card", "x"), 250, 56)
    long = stamplayout.layout(("W" * 200, "Signed with an eID card", "x"), 250, 56)

    assert short[0].size == stamplayout.MAX_TITLE_SIZE
    assert long[0].size == stamplayout.MIN_SIZE
    assert long[0].text.endswith("…".encode("cp1252"))
    for line in (*short, *long):
        width = stamplayout.text_width(line.text, line.size, bold=line.bold)
        assert line.x + width <= 250 - stamplayout.PADDING + 0.01
        assert line.y > 0 and line.y + line.size < 56


def test_the_standard_fonts_serve_only_names_they_can_show_exactly():
    assert stamplayout.winansi_exact(("Müller-Çelik", "Signé le 15 mars"))
    for name in ("Łukasz Żółć", "Ağaoğlu", "Άννα", "Őrs"):
        assert not stamplayout.winansi_exact((name, "Signed"))


@pytest.mark.parametrize(
    ("name", "embedded"),
    [("Emma Claes", False), ("Łukasz Żółć", True), ("Άννα Ğülşen", True)],
)
def test_a_name_appears_on_the_stamp_as_it_is_written(
    db, signing_settings, contract, tmp_path, name, embedded
):
    from paraph.core.tests.typeset import pdf_fonts, pdf_text

    options = engine.SignOptions(
        appearance=engine.Appearance(
            lines=(name, "Signé avec un mot de passe", "15 mars 2026, 10:30"),
            placement=engine.Placement(page=-1, box=(36, 36, 294, 92)),
        )
    )

    signed = engine.sign_pdf(
        contract, key=conf.seal_key(), config=conf.engine_config(), options=options
    )

    assert engine.validate_pdf(signed, trust=conf.trust()).valid
    assert name in pdf_text(signed)
    before = {f.name for f in pdf_fonts(contract)}
    stamp_fonts = {f.name: f.embedded for f in pdf_fonts(signed) if f.name not in before}
    if embedded:
        assert stamp_fonts and all(stamp_fonts.values()), stamp_fonts
        assert all("DejaVuSans" in font for font in stamp_fonts), stamp_fonts
    else:
        # the standard fonts (the contract uses them too), which cost nothing to embed
        assert stamp_fonts and set(stamp_fonts) <= {"Helvetica", "Helvetica-Bold"}, stamp_fonts


def test_stamps_with_the_same_letters_share_one_font_subset_and_each_shows_its_words(
    db, signing_settings, contract, tmp_path
):
    # the second and third stamps use the letters of the first (the subset
    # made for the first is embedded again), the fourth needs others
    from paraph.core.tests.typeset import pdf_fonts, pdf_text

    def stamped(name: str) -> bytes:
        options = engine.SignOptions(
            appearance=engine.Appearance(
                lines=(name, "Signé le 15 mars 2026"),
                placement=engine.Placement(page=-1, box=(36, 36, 294, 92)),
            )
        )
        return engine.sign_pdf(
            contract, key=conf.seal_key(), config=conf.engine_config(), options=options
        )

    names = ["Łukasz Żółć", "Łukasz Żółć", "Żółć Łukasz", "Ørsted Άννα"]
    signed = [stamped(name) for name in names]

    for n, (name, document) in enumerate(zip(names, signed, strict=True)):
        assert engine.validate_pdf(document, trust=conf.trust()).valid
        assert name in pdf_text(document)
        fonts = [f for f in pdf_fonts(document) if "DejaVuSans" in f.name]
        assert fonts and all(f.embedded for f in fonts)
        path = tmp_path / f"stamped{n}.pdf"
        path.write_bytes(document)
        qpdf = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr
        for used, outlined in _embedded_glyphs(document):
            assert used <= outlined, f"{name}: glyphs drawn but not in the embedded font"


def _embedded_glyphs(document: bytes) -> list[tuple[set[int], set[int]]]:
    """For each embedded TrueType CID font: the glyphs its /W says the page
    uses (but the space), and the glyphs its font program has outlines for."""
    import io

    from fontTools import ttLib
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(document))
    found = []
    for idnum in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(generic.Reference(idnum, 0, reader))
        except Exception:  # a free or compressed number: not a font
            continue
        if not isinstance(obj, generic.DictionaryObject) or obj.get("/Subtype") != "/CIDFontType2":
            continue
        widths, used = list(obj["/W"]), set()
        for first, run in zip(widths[::2], widths[1::2], strict=True):
            used |= set(range(int(first), int(first) + len(run)))
        font = ttLib.TTFont(io.BytesIO(obj["/FontDescriptor"]["/FontFile2"].data))
        order = font.getGlyphOrder()
        space = {order.index(font.getBestCmap()[0x20])} if 0x20 in font.getBestCmap() else set()
        glyf = font["glyf"]
        outlined = {gid for gid, g in enumerate(order) if glyf[g].numberOfContours != 0}
        found.append((used - space, outlined))
    assert found, "no embedded TrueType font"
    return found


def _sign_all_three(pki, person_factory, contract):
    marie = person_factory(
        first_name="Marie", last_name="Dubois", national_number="90021400227", language="fr"
    )
    emma = person_factory(
        first_name="Emma", last_name="Claes", national_number="78092301823", language="de"
    )
    sealed = services.seal_apply(
        document=contract,
        document_ref="c",
        language="nl",
        slots=(engine.SignatureSlot("Marie"), engine.SignatureSlot("Emma")),
    )
    request = services.eid_signature_prepare(
        person=marie,
        document=sealed,
        document_ref="c",
        certificate=pki.cert_der("marie-sign"),
        field_name="Marie",
    )
    value = card_sign(pki.private_key("marie-sign"), request.digest, request.hash_function)
    by_card = services.eid_signature_finish(
        person=marie, prepared_id=request.prepared_id, document_ref="c", signature_value=value
    )
    services.signing_key_issue(
        person=emma,
        password="emma's long password",
        mandate_ref="M-2026-00042",
        valid_until=timezone.now() + timedelta(days=365),
    )
    return services.password_signature_make(
        person=emma,
        document=by_card,
        document_ref="c",
        password="emma's long password",
        field_name="Emma",
    )


def test_seal_card_and_password_signatures_are_visible_side_by_side_and_valid(
    pki, person_factory, signing_settings, contract, independent_check, tmp_path
):
    signed = _sign_all_three(pki, person_factory, contract)

    report = engine.validate_pdf(signed, trust=conf.trust())
    assert report.valid and len(report.signatures) == 3
    independent_check(signed)
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    boxes = qpdf_signature_boxes(path)
    assert [b.page for b in boxes] == [3, 3, 3], "all on the last page"
    for a in boxes:
        for b in boxes:
            if a is not b:
                assert (
                    a.rect[2] <= b.rect[0]
                    or b.rect[2] <= a.rect[0]
                    or (a.rect[3] <= b.rect[1] or b.rect[3] <= a.rect[1])
                ), f"{a.name} and {b.name} overlap"
        assert a.rect[1] < 842 / 4, "at the bottom of the page"
    words = pdftotext_words(path, 3)

    def text_in(box):
        inside = [
            w
            for w in words
            if w.x1 >= box.rect[0] - 0.5
            and w.x2 <= box.rect[2] + 0.5
            and w.y1 >= box.rect[1] - 0.5
            and w.y2 <= box.rect[3] + 0.5
        ]
        return " ".join(w.text for w in inside)

    shown = {b.name: text_in(b) for b in boxes}

    def words_of(name, signed_with, language, mandate=""):
        lines = appearance_lines(
            signer_name=name,
            signed_with=signed_with,
            when=timezone.now(),
            language=language,
            mandate_ref=mandate,
        )
        return f"{lines[0]} {lines[1]} "

    assert shown["Signature1"].startswith(
        words_of("Paraph seal (Paraph test)", SignedWith.SEAL, "nl")
    )
    assert shown["Marie"].startswith(words_of("Marie Dubois", SignedWith.EID, "fr"))
    assert shown["Emma"].startswith(
        words_of("Emma Claes", SignedWith.PASSWORD, "de", "M-2026-00042")
    )
    assert "M-2026-00042" in shown["Emma"]
    for text in shown.values():
        assert timezone.localtime(timezone.now()).strftime("%Y") in text
    # nothing of the appearances spills out of its box onto the page
    stamp_words = {"Signed", "Paraph", "Marie", "Emma", "(Brussels", "time)"}
    for word in words:
        if word.text in stamp_words:
            assert any(b.rect[0] - 0.5 <= word.x1 and word.x2 <= b.rect[2] + 0.5 for b in boxes), (
                f"{word.text!r} is outside every signature box"
            )
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "3", "-l", "3", str(path), str(png)], check=True
    )
    assert (tmp_path / "page-3.png").stat().st_size > 1000


def test_caller_chooses_the_page_and_the_box(signing_settings, contract, tmp_path, db):
    placement = engine.Placement(page=0, box=(300, 700, 560, 760))

    signed = services.seal_apply(document=contract, document_ref="c", placement=placement)

    path = tmp_path / "sealed.pdf"
    path.write_bytes(signed)
    (box,) = qpdf_signature_boxes(path)
    assert box.page == 1 and box.rect == (300, 700, 560, 760)
    assert engine.validate_pdf(signed, trust=conf.trust()).valid


@pytest.mark.parametrize(
    "placement",
    [engine.Placement(page=7), engine.Placement(page=0, box=(500, 10, 700, 80))],
    ids=["no-such-page", "box-off-the-page"],
)
def test_a_placement_outside_the_document_is_refused(signing_settings, contract, db, placement):
    with pytest.raises(DocumentRejected) as caught:
        services.seal_apply(document=contract, document_ref="c", placement=placement)
    assert caught.value.code == "placement"


def test_a_box_too_small_for_legible_text_is_a_programming_error():
    with pytest.raises(ValueError, match="at least"):
        engine.Placement(box=(0, 0, 50, 20))
