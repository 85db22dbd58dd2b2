"""A PDF that already carries signatures (an ordinary signature, not a
certification) can still be sent: Paraph's seal is then an approval
signature (a certification must be the first signature), the recipient's
field is added, and the earlier signatures stay intact. A PDF certified by
its author is refused with what is true about it, and a field that already
has the name Paraph gives the recipient's does not stop the upload."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields

from paraph.contracts.inputs import ContractIn
from paraph.contracts.services import ContractData, ContractInvalid, contract_create
from paraph.contracts.tests.fixtures import contract_fields
from paraph.signing import conf, engine
from paraph.signing.providers.keys import SoftwareKey
from paraph.signing.selectors import signature_report
from paraph.signing.tests.outsiders import outside_key
from paraph.signing.tests.pdfs import contract_pdf

pytestmark = pytest.mark.django_db


def _outside_key(name: str = "Director of Interim Demo") -> SoftwareKey:
    """A signer from outside Paraph (a certificate Paraph does not trust)."""
    return outside_key(name, days=365)


def _create(sender, pdf: bytes):
    data = ContractData.from_input(ContractIn.model_validate(contract_fields()))
    return contract_create(sender=sender, data=data, pdf=pdf, actor=None, send=True)


def test_a_pdf_signed_by_the_sender_is_sealed_and_its_signature_kept(sender):
    signed = engine.sign_pdf(
        contract_pdf(pages=2),
        key=_outside_key(),
        config=conf.engine_config(),
        options=engine.SignOptions(field_name="Director", level=engine.Level.B_T),
    )

    contract = _create(sender, signed)

    with contract.document_pdf.open("rb") as handle:
        sealed = handle.read()
    report = signature_report(sealed)
    director, seal = [s for s in report.signatures if s.kind == "signature"]
    assert director.signer == "Director of Interim Demo"
    assert director.intact and director.changes_allowed is not False
    assert seal.signer == engine.common_name(conf.seal_key().certificate)
    assert seal.valid and not seal.certification, "an approval seal: it cannot certify"
    assert contract.signature_field


def test_a_pdf_certified_by_its_author_is_refused_for_what_it_is(sender):
    certified = engine.sign_pdf(
        contract_pdf(pages=2),
        key=_outside_key(),
        config=conf.engine_config(),
        options=engine.SignOptions(
            certify=True, docmdp=engine.DocMdp.FILL_FORMS, level=engine.Level.B_T
        ),
    )

    with pytest.raises(ContractInvalid) as caught, translation.override("en"):
        _create(sender, certified)

    error = caught.value.errors[0]
    assert error.field == "pdf" and error.code == "certified"
    assert "certified by its author" in error.message
    assert "already carries a signature" not in error.message


def test_a_field_already_named_as_paraphs_recipient_field_does_not_stop_the_upload(sender):
    writer = IncrementalPdfFileWriter(io.BytesIO(contract_pdf(pages=2)))
    fields.append_signature_field(
        writer, fields.SigFieldSpec("Paraph-Recipient", on_page=0, box=(50, 50, 200, 100))
    )
    out = io.BytesIO()
    writer.write(out)

    contract = _create(sender, out.getvalue())

    assert contract.signature_field and contract.signature_field != "Paraph-Recipient"
