"""The engine assembles a signature's CMS from DER encoded once per key
(signed attributes, SignedData) instead of pyHanko's asn1crypto structures,
for speed: the bytes must be pyHanko's, byte for byte, for the same inputs."""

from __future__ import annotations

import hashlib
import re

import pytest
from asn1crypto import cms
from pyhanko.sign import signers

from paraph.signing import engine
from paraph.signing.providers.keys import SoftwareKey


def _person_key(pki) -> SoftwareKey:
    return SoftwareKey(
        certificate=pki.cert_der("jan-sign"),
        chain=(pki.cert_der("citizen-ca"), pki.cert_der("belgium-root")),
        private_key=pki.private_key("jan-sign"),
    )


def test_the_signed_attributes_are_pyhankos(pki):
    signer = engine.cms.cached_signer(_person_key(pki))
    digest = hashlib.sha256(b"a document").digest()

    ours = engine.runtime.run(signer.signed_attrs(digest, "sha256", use_pades=True))
    theirs = engine.runtime.run(
        signers.Signer.signed_attrs(signer, digest, "sha256", use_pades=True)
    )

    assert ours.dump() == theirs.dump()
    assert [a["type"].native for a in ours] == [
        "content_type",
        "message_digest",
        "signing_certificate_v2",
    ]
    assert ours[1]["values"][0].native == digest


def test_the_signed_data_is_pyhankos(pki):
    signer = engine.cms.cached_signer(_person_key(pki))
    digest = hashlib.sha256(b"a document").digest()
    attrs = engine.runtime.run(signer.signed_attrs(digest, "sha256", use_pades=True))
    token = cms.CMSAttributes(
        [{"type": "signing_time", "values": [cms.Time(name="utc_time", value="261204120000Z")]}]
    )
    parts = dict(
        digest_algorithm="sha256",
        cms_version="v1",
        signed_attrs=attrs,
        signature=b"\x01" * 256,
        encap_content_info=None,
    )

    for unsigned in (None, token):
        ours = signer._package_signature(**parts, unsigned_attrs=unsigned)
        theirs = signers.Signer._package_signature(signer, **parts, unsigned_attrs=unsigned)
        # pyHanko puts its certificates in a set, in no fixed order
        ours_data, theirs_data = ours["content"], theirs["content"]
        assert {c.dump() for c in ours_data["certificates"]} == {
            c.dump() for c in theirs_data["certificates"]
        }
        for field in ("version", "digest_algorithms", "encap_content_info", "signer_infos"):
            assert ours_data[field].dump() == theirs_data[field].dump(), field


def _masked(revision: bytes) -> bytes:
    """A revision without what changes from one signing to the next: times,
    the CMS and time-stamp hex, the time-stamp field's name, offsets, the
    file identifier and the VRI key (a hash of the signature)."""
    for pattern, mask in (
        (rb"<[0-9A-Fa-f]{200,}>", b"<HEX>"),
        (rb"\(D\\072[^)]*\)|\(D:[^)]*\)", b"(DATE)"),
        (rb"/T \([^)]*\)", b"/T (NAME)"),
        (rb"/ByteRange \[[^\]]*\]", b"/ByteRange []"),
        (rb"\d{10} 00000 n", b"OFFSET"),
        (rb"startxref\n\d+", b"startxref"),
        (rb"/Prev \d+", b"/Prev"),
        (rb"<[0-9a-f]{32}>", b"<ID>"),
        (rb"/[0-9A-F]{40} ", b"/VRI "),
    ):
        revision = re.sub(pattern, mask, revision)
    return revision


@pytest.mark.parametrize("pages", [1, 3])
def test_the_time_stamp_revision_is_the_same_with_the_objects_carried_over(
    signing_settings, monkeypatch, pages, pki, db
):
    # the document time-stamp's revision reads the objects the signature has
    # just written from its writer (engine.longterm._seed) rather than parsing them:
    # the revision written must be the one written after parsing them
    from paraph.signing import conf
    from paraph.signing.tests.pdfs import contract_pdf

    document = contract_pdf(pages=pages)
    config = conf.engine_config()
    options = engine.SignOptions(
        level=engine.Level.B_LTA,
        appearance=engine.Appearance(
            lines=("Jan Peeters", "Signed"),
            placement=engine.Placement(page=0, box=(36, 36, 294, 92)),
        ),
    )
    key = _person_key(pki)
    carried = engine.sign_pdf(document, key=key, config=config, options=options)
    monkeypatch.setattr(engine.longterm, "_seed", lambda reader, writer: None)
    parsed = engine.sign_pdf(document, key=key, config=config, options=options)

    assert _masked(carried[len(document) :]) == _masked(parsed[len(document) :])
    assert engine.validate_pdf(carried, trust=config.trust).valid
