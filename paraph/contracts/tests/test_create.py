"""Creating a contract: the recipient (found, created, refused by RG-3),
the deadline the law on temporary work sets, the PDF checked and sealed,
and nothing written when anything is wrong."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.utils import translation
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from paraph.accounts.models import Person
from paraph.contracts.inputs import ContractIn
from paraph.contracts.models import Contract, ContractEvent, RecipientAlias
from paraph.contracts.services import ContractData, ContractInvalid, contract_create
from paraph.contracts.tests.badpdfs import KINDS, bad_pdf
from paraph.contracts.tests.fixtures import START, T0, contract_fields
from paraph.core.storage import stored_names
from paraph.signing.selectors import signature_report

pytestmark = pytest.mark.django_db


def _data(**overrides):
    return ContractData.from_input(ContractIn.model_validate(contract_fields(**overrides)))


def _media_files() -> list[str]:
    return stored_names(default_storage)


def test_a_new_address_gets_a_person_with_nothing_verified_yet(make_contract, clock):
    contract = make_contract(recipient={"email": "New.Person@Example.be", "language": "nl"})

    person = contract.recipient
    assert person.email == "New.Person@example.be"
    assert person.registration_method == "adminbox"
    assert person.email_verified_at is None and person.phone_verified_at is None
    assert person.phone == "+32470123456"
    assert person.language == "nl"
    assert contract.recipient_phone == "+32470123456"
    assert contract.status == "sent"
    assert contract.events.first().data["recipient_created"] is True


def test_a_known_address_is_found_whatever_its_case(make_contract, person_factory, clock):
    anne = person_factory(email="anne.martin@example.be", phone="+32470999999")

    contract = make_contract(recipient={"email": "ANNE.MARTIN@example.be"})

    assert contract.recipient == anne
    assert Person.objects.filter(email__iexact="anne.martin@example.be").count() == 1
    # The contract keeps the data as the sender sent it.
    assert contract.recipient_email == "ANNE.MARTIN@example.be"


def test_an_alias_of_a_merged_adminbox_reaches_its_person(make_contract, person_factory, clock):
    anne = person_factory(email="anne@example.be")
    RecipientAlias.objects.create(person=anne, email="Anne.Old@example.be")

    contract = make_contract(recipient={"email": "anne.old@EXAMPLE.be"})

    assert contract.recipient == anne


def test_a_phone_that_belongs_to_someone_else_stays_on_the_contract_only(
    make_contract, person_factory, clock
):
    person_factory(email="other@example.be", phone="+32470123456")

    contract = make_contract(recipient={"email": "new@example.be", "phone": "0470123456"})

    assert contract.recipient.phone == ""
    assert contract.recipient_phone == "+32470123456"


def test_rg3_a_national_number_of_someone_with_another_address_is_refused(
    make_contract, person_factory, clock
):
    person_factory(email="jan@example.be", national_number="85073003328")
    make_contract(recipient={"email": "jan@example.be"})  # the sender knows Jan

    with pytest.raises(ContractInvalid) as refused, translation.override("en"):
        make_contract(
            recipient={"email": "shared@example.be", "national_number": "85.07.30-033.28"}
        )

    (error,) = refused.value.errors
    assert error.field == "recipient.national_number"
    assert error.code == "belongs_to_another_address"
    assert "strictly personal" in error.message
    assert Contract.objects.count() == 1  # the earlier one only
    assert not Person.objects.filter(email="shared@example.be").exists()


def test_rg3_an_address_whose_person_has_another_national_number_is_refused(
    make_contract, person_factory, clock
):
    person_factory(email="jan@example.be", national_number="85073003328")
    make_contract(recipient={"email": "jan@example.be"})  # the sender knows Jan

    with pytest.raises(ContractInvalid) as refused:
        make_contract(recipient={"email": "jan@example.be", "national_number": "93051822361"})

    assert [e.code for e in refused.value.errors] == ["belongs_to_another_person"]


def test_rg3_tells_a_sender_nothing_about_a_person_it_never_sent_to(
    make_contract, person_factory, sender_factory, clock
):
    # Whether a national number or an address belongs to someone is not told
    # to a sender without a contract with them: the answer is the one for a
    # number nobody has; RG-3 then holds when signing.
    from paraph.contracts.services import ContractNotSignable, contract_check_signable

    jan = person_factory(email="jan@example.be", national_number="85073003328")
    other = sender_factory(name="Another agency")
    make_contract(recipient={"email": "jan@example.be"}, sender=other)  # not this sender

    unknown = make_contract(
        recipient={"email": "someone@example.be", "national_number": "93051822361"}
    )
    holders = make_contract(
        recipient={"email": "shared@example.be", "national_number": "85073003328"}
    )
    jans_address = make_contract(
        recipient={"email": "jan@example.be", "national_number": "93051822361"}
    )

    assert unknown.status == holders.status == jans_address.status == "sent"
    assert holders.recipient != jan and not holders.recipient.national_number
    assert holders.recipient_national_number == "85073003328"
    # Jan reads a contract naming someone else's number, and cannot sign it.
    assert jans_address.recipient == jan
    with pytest.raises(ContractNotSignable) as refused, translation.override("en"):
        contract_check_signable(contract=jans_address, person=jan)
    assert refused.value.code == "other_national_number"
    assert "another national register number than yours" in str(refused.value)


def test_the_same_national_number_and_address_are_accepted(make_contract, person_factory, clock):
    jan = person_factory(email="jan@example.be", national_number="85073003328")

    contract = make_contract(
        recipient={"email": "jan@example.be", "national_number": "85073003328"}
    )

    assert contract.recipient == jan
    assert contract.recipient_national_number == "85073003328"


def test_the_deadline_defaults_to_the_start_of_work_in_brussels(make_contract, clock):
    contract = make_contract(start_of_work="2026-12-03T08:00:00")  # no zone: Brussels

    assert contract.start_of_work == dt.datetime(2026, 12, 3, 7, 0, tzinfo=dt.UTC)
    assert contract.deadline == contract.start_of_work


def test_every_problem_is_reported_at_once_and_nothing_is_written(sender, pdf, clock):
    data = _data(
        recipient={
            "email": "not-an-address",
            "phone": "+32 2 664 13 60",
            "national_number": "12345",
        },
        start_of_work=START.isoformat(),
        signing_deadline=(START + dt.timedelta(hours=1)).isoformat(),
    )

    with pytest.raises(ContractInvalid) as refused:
        contract_create(sender=sender, data=data, pdf=pdf)

    fields = {e.field: e.code for e in refused.value.errors}
    assert fields == {
        "recipient.email": "invalid",
        "recipient.phone": "not_mobile",
        "recipient.national_number": "length",
        "signing_deadline": "after_start",
    }
    assert not Contract.objects.exists()
    assert not _media_files()


def test_a_deadline_that_passed_is_refused(sender, pdf, clock):
    data = _data(start_of_work=(T0 - dt.timedelta(minutes=1)).isoformat())

    with pytest.raises(ContractInvalid) as refused:
        contract_create(sender=sender, data=data, pdf=pdf)

    assert [(e.field, e.code) for e in refused.value.errors] == [("start_of_work", "past")]


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_pdf_is_refused_with_its_reason_and_nothing_is_written(
    sender, tmp_path, clock, settings, kind
):
    settings.SIGNING_MAX_PDF_BYTES = 64 * 1024
    data = bad_pdf(kind, tmp_path, settings.SIGNING_MAX_PDF_BYTES)

    with pytest.raises(ContractInvalid) as refused:
        contract_create(sender=sender, data=_data(), pdf=data)

    (error,) = refused.value.errors
    assert (error.field, error.code) == ("pdf", kind)
    assert error.message
    assert not Contract.objects.exists()
    assert not Person.objects.filter(email="anne.martin@example.be").exists()
    assert not ContractEvent.objects.exists()
    assert not _media_files()


def test_a_signature_box_outside_the_page_is_refused(sender, pdf, clock):
    data = _data(signature={"page": 1, "box": [500, 700, 900, 760]})

    with pytest.raises(ContractInvalid) as refused:
        contract_create(sender=sender, data=data, pdf=pdf)

    assert [(e.field, e.code) for e in refused.value.errors] == [("signature", "placement")]


def test_a_signature_on_a_page_the_document_lacks_is_refused(sender, pdf, clock):
    with pytest.raises(ContractInvalid) as refused:
        contract_create(sender=sender, data=_data(signature={"page": 9}), pdf=pdf)

    assert refused.value.errors[0].code == "placement"


def test_the_document_is_the_original_certified_by_paraphs_seal(make_contract, pdf, clock):
    contract = make_contract(signature={"page": 1, "box": [300, 100, 500, 160]})

    with contract.original_pdf.open("rb") as handle:
        assert handle.read() == pdf
    with contract.document_pdf.open("rb") as handle:
        document = handle.read()
    # An incremental update of the original: the sender's bytes are intact.
    assert document.startswith(pdf)
    report = signature_report(document)
    (seal,) = report.signed
    assert seal.intact and seal.unchanged_since
    assert seal.certification == "fill_forms"
    assert contract.sealed and contract.signature_field == "Paraph-Recipient"
    fields = {
        name: filled
        for name, filled, _ref in enumerate_sig_fields(PdfFileReader(io.BytesIO(document)))
    }
    # The recipient's field waits, empty, for their signature.
    assert fields["Paraph-Recipient"] is None
    assert contract.placement_page == 0 and contract.placement_box == [300, 100, 500, 160]


def test_without_the_seal_the_original_itself_is_signed(make_contract, pdf, clock, settings):
    settings.CONTRACT_SEAL = False

    contract = make_contract()

    assert not contract.sealed and contract.signature_field == ""
    assert contract.document_sha256 == contract.original_sha256
