"""Contracts addressed to a company (ADR 35): sent by enterprise number,
seen in the company's adminbox only, signed with the password under the
signer's own mandate by its representative or a user allowed to sign, the
signature, stamp and evidence saying for which company and who signed; and
each refusal, with nothing half-written."""

from __future__ import annotations

import io
import shutil
import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone, translation
from pyhanko.pdf_utils.reader import PdfFileReader

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.companies import services as companies
from paraph.companies.demo import DEMO_KBO_DIR
from paraph.companies.models import CompanyUser, RegisteredCompany
from paraph.companies.tests.conftest import read_csv, write_csv
from paraph.contracts.evidence import contract_evidence_pdf
from paraph.contracts.inputs import ContractIn
from paraph.contracts.models import Contract
from paraph.contracts.selectors import (
    contract_evidence,
    contract_get_for_person,
    contract_list_for_person,
)
from paraph.contracts.services import (
    ContractAccessDenied,
    ContractData,
    ContractInvalid,
    ContractNotSignable,
    contract_create,
    contract_open,
    contract_sign_record,
    contract_webhook_data,
)
from paraph.contracts.tests.companies import LABEL, stamp_text
from paraph.contracts.tests.fixtures import contract_fields, signed_version
from paraph.core.tests.typeset import pdf_text
from paraph.mandates import services
from paraph.mandates.tests.conftest import PASSWORD, verified
from paraph.signing.appearance import SignedWith, appearance_lines
from paraph.signing.selectors import signature_report

pytestmark = pytest.mark.django_db

DUPONT = "0812345603"


def _person(person_factory: Any, first: str, last: str, email: str, nn: str) -> Any:
    return verified(
        person_factory(
            first_name=first,
            last_name=last,
            email=email,
            national_number=nn,
            assurance_level=AssuranceLevel.HIGH,
            registration_method=RegistrationMethod.ITSME,
            language="en",
        )
    )


@pytest.fixture
def kbo() -> None:
    companies.kbo_import(directory=DEMO_KBO_DIR)


@pytest.fixture
def anne(person_factory: Any) -> Any:
    return _person(person_factory, "Anne", "Martin", "anne.martin@example.be", "85073003328")


@pytest.fixture
def jan(person_factory: Any) -> Any:
    return _person(person_factory, "Jan", "Peeters", "jan.peeters@example.be", "90020199704")


@pytest.fixture
def luc(person_factory: Any) -> Any:
    return _person(person_factory, "Luc", "Janssens", "luc.janssens@example.be", "93051822361")


@pytest.fixture
def dupont(kbo: None, anne: Any, jan: Any, luc: Any) -> RegisteredCompany:
    """Boulangerie Dupont: Anne its representative, Jan a user who may sign,
    Luc a user who may not."""
    company, _ = companies.company_register(person=anne, number=DUPONT, language="fr")
    now = timezone.now()
    CompanyUser.objects.create(company=company, person=jan, can_sign=True, added_at=now)
    CompanyUser.objects.create(company=company, person=luc, can_sign=False, added_at=now)
    return company


def _send(sender: Any, pdf: bytes, number: str = "BE 0812.345.603", **company: Any) -> Contract:
    fields = contract_fields()
    fields.pop("recipient")
    fields["company"] = {"enterprise_number": number, "email": "compta@dupont.be", **company}
    data = ContractData.from_input(ContractIn.model_validate(fields))
    with translation.override("en"):
        return contract_create(sender=sender, data=data, pdf=pdf)


def test_a_contract_to_a_company_lands_in_its_adminbox_only(dupont, anne, sender, pdf, deliver):
    with deliver():
        contract = _send(sender, pdf, number="0812 345 603")

    assert contract.recipient is None
    assert contract.recipient_company_number == DUPONT
    assert contract.recipient_company_name == "Boulangerie Dupont"
    assert contract.status == "sent"
    # the company's adminbox, for whoever acts for it; never a person's own
    assert list(contract_list_for_person(person=anne, company_number=DUPONT)) == [contract]
    assert not contract_list_for_person(person=anne).exists()
    with pytest.raises(Contract.DoesNotExist):
        contract_get_for_person(person=anne, public_id=contract.public_id)
    # and the reverse: a person's own contract is not in the company's list
    own = contract_create(
        sender=sender,
        data=ContractData.from_input(
            ContractIn.model_validate(contract_fields(recipient={"email": anne.email}))
        ),
        pdf=pdf,
    )
    assert list(contract_list_for_person(person=anne)) == [own]
    assert list(contract_list_for_person(person=anne, company_number=DUPONT)) == [contract]
    # the e-mail names the company and leads to its adminbox behind log-in
    message = next(m for m in mail.outbox if m.to == ["compta@dupont.be"])
    assert "Boulangerie Dupont" in message.subject
    assert f"/adminbox/contract/{contract.public_id}/" in message.body.replace("%2F", "/")


def test_the_representative_signs_with_the_password_for_the_company(
    dupont, anne, sender, pdf, mandate_for
):
    mandate_for(anne)
    contract = _send(sender, pdf)
    contract_open(contract=contract, person=anne)

    signed = services.contract_sign_with_password(contract=contract, person=anne, password=PASSWORD)

    assert signed.status == "signed"
    assert signed.signed_by == anne
    assert signed.signer_role == "representative"
    event = signed.events.get(name="signed")
    assert event.data["for_company"] == {"number": DUPONT, "name": "Boulangerie Dupont"}
    assert event.data["signer"] == {
        "person": anne.pk,
        "name": "Anne Martin",
        "role": "representative",
    }
    with signed.signed_pdf.open("rb") as handle:
        data = handle.read()
    # the signature says for which company, and it validates
    signature = PdfFileReader(io.BytesIO(data)).embedded_regular_signatures[-1]
    assert signature.sig_object["/Reason"] == f"Signed for {LABEL}"
    stamp = stamp_text(data)
    assert stamp.startswith(f"Anne Martin / for {LABEL} / Signed with a password under mandate")
    report = signature_report(data)
    assert report.valid, report
    assert report.signed[-1].signer.startswith("Anne Martin")
    # the evidence records the company, the person and their role then
    evidence = contract_evidence(contract=signed)
    assert evidence["recipient_as_sent"]["company"] == {
        "enterprise_number": DUPONT,
        "name": "Boulangerie Dupont",
    }
    assert evidence["signature"]["for_company"]["name"] == "Boulangerie Dupont"
    assert evidence["signature"]["signed_by"]["role"] == "representative"
    text = pdf_text(contract_evidence_pdf(contract=signed, language="en"))
    assert LABEL in " ".join(text.split())
    assert "Anne Martin, its digital representative" in " ".join(text.split())
    # the sender's webhooks say the same
    hook = contract_webhook_data(signed)["contract"]["company"]
    assert hook == {
        "enterprise_number": "0812.345.603",
        "name": "Boulangerie Dupont",
        "signed_by": {"name": "Anne Martin", "role": "representative"},
    }


def test_the_stamp_says_for_which_company():
    lines = appearance_lines(
        signer_name="Jan Peeters",
        signed_with=SignedWith.PASSWORD,
        when=timezone.now(),
        language="en",
        mandate_ref="M-1",
        for_company=("Boulangerie Dupont", DUPONT),
    )

    assert lines[0] == "Jan Peeters"
    assert lines[1] == f"for {LABEL}"
    assert len(lines) == 4


def test_a_user_allowed_to_sign_signs_as_a_user(dupont, jan, sender, pdf, mandate_for):
    mandate_for(jan)
    contract = _send(sender, pdf)

    signed = services.contract_sign_with_password(contract=contract, person=jan, password=PASSWORD)

    assert signed.signer_role == "user"
    assert signed.events.get(name="signed").data["signer"]["role"] == "user"


def test_a_user_not_allowed_to_sign_sees_it_and_is_told_why(dupont, luc, sender, pdf):
    contract = _send(sender, pdf)

    opened = contract_open(contract=contract, person=luc)
    assert opened.status == "opened"
    with translation.override("en"), pytest.raises(ContractNotSignable) as refused:
        contract_sign_record(
            contract=contract,
            person=luc,
            signed_pdf=signed_version(_document(contract)),
            method="eid",
        )

    assert refused.value.code == "may_not_sign"
    assert "Ask Anne Martin to let you sign" in str(refused.value)


def test_someone_else_cannot_open_a_company_contract(dupont, person_factory, sender, pdf):
    contract = _send(sender, pdf)
    stranger = person_factory(email="someone@example.be")

    with pytest.raises(ContractAccessDenied):
        contract_open(contract=contract, person=stranger)


def _document(contract: Contract) -> bytes:
    with contract.document_pdf.open("rb") as handle:
        return handle.read()


@pytest.mark.parametrize("change", ["removed", "right_withdrawn"])
def test_a_signer_who_lost_the_right_between_opening_and_signing_is_refused(
    dupont, jan, sender, pdf, change
):
    contract = _send(sender, pdf)
    contract_open(contract=contract, person=jan)
    member = CompanyUser.objects.get(company=dupont, person=jan)
    if change == "removed":
        companies.company_user_remove(
            company=dupont, person=dupont.representative, user_id=member.pk
        )
    else:
        companies.company_user_set_signer(
            company=dupont, person=dupont.representative, user_id=member.pk, can_sign=False
        )

    with pytest.raises(ContractNotSignable) as refused:
        contract_sign_record(
            contract=contract,
            person=jan,
            signed_pdf=signed_version(_document(contract)),
            method="eid",
        )

    assert refused.value.code == ("not_member" if change == "removed" else "may_not_sign")
    contract.refresh_from_db()
    assert contract.status == "opened"
    assert not contract.signed_pdf and contract.signed_by is None
    assert not contract.events.filter(name="signed").exists()


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("0812.345.604", "checksum"),  # a wrong check number
        ("0403.617.000", "checksum"),  # an impossible one (00)
        ("12345", "format"),
        ("0403.617.097", "unknown"),  # not in the register
        ("", "required"),
    ],
)
def test_a_wrong_enterprise_number_is_refused_with_nothing_written(kbo, sender, pdf, number, code):
    with pytest.raises(ContractInvalid) as refused:
        _send(sender, pdf, number=number)

    error = refused.value.errors[0]
    assert (error.field, error.code) == ("company.enterprise_number", code)
    assert not Contract.objects.exists()
    assert not mail.outbox


def test_a_stopped_company_is_refused(sender, pdf, tmp_path):
    sample_copy = tmp_path / "kbo"
    shutil.copytree(DEMO_KBO_DIR, sample_copy)
    path = sample_copy / "enterprise.csv"
    rows = read_csv(path)
    for row in rows[1:]:
        if row[0] == "0812.345.603":
            row[2] = "012"  # in liquidation
    write_csv(path, rows[0], rows[1:])
    companies.kbo_import(directory=sample_copy)

    with pytest.raises(ContractInvalid) as refused:
        _send(sender, pdf)

    error = refused.value.errors[0]
    assert error.code == "stopped"
    assert "has stopped or is stopping" in error.message
    assert not Contract.objects.exists()


@pytest.mark.parametrize("both", [True, False])
def test_a_person_and_a_company_or_neither_is_refused(kbo, sender, pdf, both):
    fields = contract_fields()
    if both:
        fields["company"] = {"enterprise_number": DUPONT, "email": "compta@dupont.be"}
    else:
        fields.pop("recipient")

    with translation.override("en"), pytest.raises(ContractInvalid) as refused:
        contract_create(
            sender=sender,
            data=ContractData.from_input(ContractIn.model_validate(fields)),
            pdf=pdf,
        )

    assert [(e.field, e.code) for e in refused.value.errors] == [("recipient", "person_or_company")]
    assert not Contract.objects.exists()


def test_a_company_not_registered_yet_gets_an_invitation_and_the_contract_waits(
    kbo, anne, sender, pdf, mandate_for, deliver
):
    with deliver():
        contract = _send(sender, pdf, language="en")  # the e-mail in the language asked

    assert contract.status == "sent"
    assert contract.recipient_company_name == "Boulangerie Dupont"
    message = next(m for m in mail.outbox if m.to == ["compta@dupont.be"])
    assert "not registered on Paraph yet" in message.body
    assert "/company/registration/" in message.body
    assert contract.events.get(name="sent").data["company_registered"] is False

    # registered later: the contract is in its adminbox, and signs
    companies.company_register(person=anne, number=DUPONT, language="fr")
    assert list(contract_list_for_person(person=anne, company_number=DUPONT)) == [contract]
    mandate_for(anne)
    signed = services.contract_sign_with_password(contract=contract, person=anne, password=PASSWORD)
    assert signed.status == "signed"


def _race(*calls: Any) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Any) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_signers_of_one_company_at_once_make_exactly_one_signature(
    dupont, anne, jan, sender, pdf
):
    contract = _send(sender, pdf)
    document = _document(contract)

    def sign(person: Any, marker: bytes) -> Any:
        return lambda: contract_sign_record(
            contract=Contract.objects.get(pk=contract.pk),
            person=person,
            signed_pdf=document + marker + b"\n%%EOF\n",
            method="eid",
        )

    results = _race(sign(anne, b"% anne"), sign(jan, b"% jan"))

    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], ContractNotSignable) and errors[0].code == "already_signed"
    contract.refresh_from_db()
    assert contract.status == "signed"
    assert contract.events.filter(name="signed").count() == 1
    assert contract.signed_by in (anne, jan)
    signer = contract.events.get(name="signed").data["signer"]
    assert signer["person"] == contract.signed_by_id


def _acting(client: Any, person: Any, number: str) -> Any:
    from paraph.companies.middleware import ACTING_SESSION_KEY

    client.force_login(person)
    session = client.session
    session[ACTING_SESSION_KEY] = number
    session.save()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_adminbox_shows_company_contracts_only_when_acting_for_it(
    client, dupont, anne, sender, pdf, mandate_for
):
    contract = _send(sender, pdf)
    mandate_for(anne)

    own = _acting(client, anne, "")
    assert contract.title not in own.get("/adminbox/documents/").content.decode()
    assert own.get(f"/adminbox/contract/{contract.public_id}/").status_code == 404

    acting = _acting(client, anne, DUPONT)
    tasks = acting.get("/adminbox/").content.decode()
    assert contract.title in tasks
    assert "The adminbox of Boulangerie Dupont" in tasks
    page = acting.get(f"/adminbox/contract/{contract.public_id}/").content.decode()
    assert f"You sign for {LABEL}" in page
    response = acting.post(
        f"/adminbox/contract/{contract.public_id}/sign/password/",
        {"password": PASSWORD, "has_read": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    contract.refresh_from_db()
    assert contract.status == "signed" and contract.signed_by == anne


def test_a_user_who_may_not_sign_reads_why_on_the_contract_page(client, dupont, luc, sender, pdf):
    contract = _send(sender, pdf)

    page = _acting(client, luc, DUPONT).get(f"/adminbox/contract/{contract.public_id}/")

    text = page.content.decode()
    assert page.status_code == 200
    assert "Ask Anne Martin to let you sign" in text
    assert 'id="sign-title"' not in text


def test_a_company_contract_is_reoffered_and_revoked_like_a_person_s(
    dupont, anne, sender, pdf, deliver
):
    from paraph.contracts.services import contract_reoffer, contract_revoke

    first = _send(sender, pdf)
    with translation.override("en"):
        second = contract_reoffer(contract=first, pdf=pdf, title="Avenant")
    first.refresh_from_db()

    assert first.status == "superseded"
    assert (second.recipient_company_number, second.recipient_company_name) == (
        DUPONT,
        "Boulangerie Dupont",
    )
    assert second.recipient is None and second.version == 2
    assert list(
        contract_list_for_person(person=anne, company_number=DUPONT, waiting_only=True)
    ) == [second]
    with deliver():
        contract_revoke(contract=second, reason="plus nécessaire")
    assert [m.to for m in mail.outbox if "Avenant" in m.body][-1] == ["compta@dupont.be"]
