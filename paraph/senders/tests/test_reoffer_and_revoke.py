"""The sender's back office offers what can still be done with a contract:
re-offer a refused or expired one as a new version (as the API's
``/reoffer`` does), and revoke only after a confirmation page that asks
why; the reason is kept in the contract's evidence and audit trail."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from paraph.audit.models import AuditEvent
from paraph.contracts.services import contract_expire, contract_refuse
from paraph.contracts.tests.fixtures import T0
from paraph.signing.tests.pdfs import contract_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, staff, clock):
    staff.language = "en"
    staff.save(update_fields=["language"])
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _new_version(**fields):
    return {
        "pdf": SimpleUploadedFile("v2.pdf", contract_pdf(pages=1), content_type="application/pdf"),
        **fields,
    }


@pytest.fixture
def refused(make_contract):
    contract = make_contract()
    return contract_refuse(contract=contract, person=contract.recipient, reason="wrong wage")


@pytest.fixture
def expired(make_contract, clock):
    contract = make_contract()
    clock.move_to(contract.deadline)
    assert contract_expire(contract=contract)
    clock.move_to(T0)
    contract.refresh_from_db()
    return contract


@pytest.mark.parametrize("kind", ["refused", "expired"])
def test_a_refused_or_expired_contract_can_be_re_offered_from_its_page(
    office, request, kind, staff
):
    old = request.getfixturevalue(kind)
    page = office.get(f"/sender/contracts/{old.public_id}/").content.decode()
    assert "Re-offer a changed contract (new version)" in page
    assert f'action="/sender/contracts/{old.public_id}/reoffer/"' in page
    assert "Revoke this contract" not in page  # closed: nothing to revoke

    response = office.post(f"/sender/contracts/{old.public_id}/reoffer/", _new_version())

    old.refresh_from_db()
    new = old.superseded_by
    assert response.status_code == 302
    assert response["Location"] == f"/sender/contracts/{new.public_id}/"
    assert (new.version, new.status, new.recipient_id) == (2, "sent", old.recipient_id)
    # What happened to the first version stays true, and says what followed.
    assert old.status == ("refused" if kind == "refused" else "not_signed")
    reoffered = old.events.get(name="reoffered")
    assert reoffered.actor == staff and reoffered.data["superseded_by"] == str(new.public_id)
    assert AuditEvent.objects.filter(
        name="contracts.contract.reoffered", subject_id=str(old.pk)
    ).exists()
    page = office.get(f"/sender/contracts/{old.public_id}/").content.decode()
    assert "A new version replaces this contract:" in page
    assert "Offered again as a new version" in page
    assert "Re-offer a changed contract" not in page  # once is enough


def test_a_second_re_offer_of_a_refused_contract_is_refused_with_words(office, refused):
    office.post(f"/sender/contracts/{refused.public_id}/reoffer/", _new_version())

    again = office.post(
        f"/sender/contracts/{refused.public_id}/reoffer/", _new_version(), follow=True
    )

    assert again.redirect_chain == [(f"/sender/contracts/{refused.public_id}/", 302)]
    assert "A new version of this contract was already sent." in again.content.decode()
    assert refused.__class__.objects.filter(supersedes=refused).count() == 1


def test_the_api_re_offers_a_refused_contract_too(api, refused, clock):
    import base64

    response = api.post(
        f"/api/contracts/{refused.public_id}/reoffer",
        {"pdf_base64": base64.b64encode(contract_pdf(pages=1)).decode()},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    old = api.get(f"/api/contracts/{refused.public_id}").json()
    assert old["status"] == "refused" and old["superseded_by"] == response.json()["id"]


def test_revoking_asks_for_a_confirmation_and_a_reason_first(office, make_contract):
    contract = make_contract()
    page = office.get(f"/sender/contracts/{contract.public_id}/").content.decode()
    assert f'href="/sender/contracts/{contract.public_id}/revoke/"' in page

    confirm = office.get(f"/sender/contracts/{contract.public_id}/revoke/")
    without_reason = office.post(f"/sender/contracts/{contract.public_id}/revoke/", {"reason": " "})

    contract.refresh_from_db()
    assert confirm.status_code == 200
    assert "this cannot be undone" in confirm.content.decode()
    assert "Yes, revoke the contract" in confirm.content.decode()
    assert without_reason.status_code == 422
    assert "Say why you revoke this contract." in without_reason.content.decode()
    assert contract.status == "sent"  # nothing happened yet


def test_the_confirmed_revocation_keeps_its_reason_in_the_evidence_and_audit(
    office, make_contract, staff
):
    contract = make_contract()

    response = office.post(
        f"/sender/contracts/{contract.public_id}/revoke/", {"reason": "Mission annulée"}
    )

    contract.refresh_from_db()
    assert response.status_code == 302
    assert contract.status == "revoked"
    event = contract.events.get(name="revoked")
    assert event.actor == staff and event.data["reason"] == "Mission annulée"
    audit = AuditEvent.objects.get(name="contracts.contract.revoked", subject_id=str(contract.pk))
    assert audit.data["reason"] == "Mission annulée"
    page = office.get(f"/sender/contracts/{contract.public_id}/").content.decode()
    assert "Reason: Mission annulée" in page


def test_a_closed_contract_cannot_be_revoked_from_the_confirmation_page(office, refused):
    response = office.get(f"/sender/contracts/{refused.public_id}/revoke/", follow=True)

    assert "This contract can no longer be revoked: it is refused." in response.content.decode()
