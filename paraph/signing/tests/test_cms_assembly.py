"""The engine assembles a signature's CMS from DER encoded once per key
(signed attributes, SignedData) instead of pyHanko's asn1crypto structures,
for speed: the bytes must be pyHanko's, byte for byte, for the same inputs."""

from __future__ import annotations

import hashlib

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
    signer = engine._signer(_person_key(pki))
    digest = hashlib.sha256(b"a document").digest()

    ours = engine._run(signer.signed_attrs(digest, "sha256", use_pades=True))
    theirs = engine._run(signers.Signer.signed_attrs(signer, digest, "sha256", use_pades=True))

    assert ours.dump() == theirs.dump()
    assert [a["type"].native for a in ours] == [
        "content_type",
        "message_digest",
        "signing_certificate_v2",
    ]
    assert ours[1]["values"][0].native == digest


def test_the_signed_data_is_pyhankos(pki):
    signer = engine._signer(_person_key(pki))
    digest = hashlib.sha256(b"a document").digest()
    attrs = engine._run(signer.signed_attrs(digest, "sha256", use_pades=True))
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
