"""The "your contract" link of the e-mail: through activation for a new
adminbox (ES-4), through the SMS log-in for an active one (ES-13): the link
alone never logs anyone in."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from paraph.accounts.models import Person
from paraph.accounts.tests.helpers import last_code
from paraph.adminbox.views import ACTIVATION_KEY
from paraph.contracts.models import AccessLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(make_contract, deliver, clock):
    with deliver():
        return make_contract(recipient={"email": "anne@example.be", "language": "en"})


def test_for_an_inactive_adminbox_it_activates_first_then_opens_the_contract(
    contract, en_client, link_for, deliver
):
    response = en_client.get(link_for(contract, "open_contract"))
    assert response["Location"] == "/adminbox/activation/phone/"
    with deliver():
        en_client.post("/adminbox/activation/phone/", {"phone": "0470 12 34 56"})
    response = en_client.post("/adminbox/activation/code/", {"code": last_code("+32470123456")})

    assert response["Location"] == f"/adminbox/contract/{contract.public_id}/"
    person = Person.objects.get(pk=contract.recipient_id)
    assert person.email_verified_at and person.phone_verified_at
    assert en_client.get(response["Location"]).status_code == 200


def test_for_an_active_adminbox_a_visitor_is_sent_to_the_sms_log_in(
    contract, en_client, link_for, activated
):
    activated(contract.recipient)
    response = en_client.get(link_for(contract, "open_contract"))
    target = f"/adminbox/contract/{contract.public_id}/"
    assert response.status_code == 302
    assert response["Location"] == f"/account/login/?next={quote(target, safe='')}"
    assert "_auth_user_id" not in en_client.session


def test_for_an_active_adminbox_its_owner_logged_in_goes_straight_to_the_contract(
    contract, link_for, activated, logged_in
):
    client = logged_in(activated(contract.recipient))
    response = client.get(link_for(contract, "open_contract"))
    assert response["Location"] == f"/adminbox/contract/{contract.public_id}/"
    assert AccessLink.objects.get(purpose="open_contract", use_count=1)


def test_someone_else_logged_in_is_told_the_link_is_for_another_adminbox(
    contract, link_for, activated, logged_in, person_factory
):
    activated(contract.recipient)
    client = logged_in(person_factory())
    response = client.get(link_for(contract, "open_contract"))
    assert response.status_code == 403
    assert "This link is for another adminbox" in response.content.decode()
    assert client.get(f"/adminbox/contract/{contract.public_id}/").status_code == 404


@pytest.mark.parametrize("purpose", ["activate", "open_contract"])
def test_an_activation_link_followed_while_logged_in_as_someone_else_asks_first(
    contract, link_for, logged_in, person_factory, purpose
):
    # The recipient's adminbox is not active yet: the link would start its
    # activation, which must not silently replace the logged-in person.
    someone = person_factory()
    client = logged_in(someone)

    response = client.get(link_for(contract, purpose))

    assert response.status_code == 403
    page = response.content.decode()
    assert "This link is for another adminbox" in page and "Log out" in page
    assert ACTIVATION_KEY not in client.session
    assert client.get("/adminbox/activation/phone/").status_code != 200
    assert int(client.session["_auth_user_id"]) == someone.pk


def test_an_activation_link_does_not_open_a_contract_and_vice_versa(contract, en_client, link_for):
    activation = link_for(contract, "activate")
    token = activation.rstrip("/").rsplit("/", 1)[1]
    response = en_client.get(f"/adminbox/contracts/{token}/")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


def test_the_e_mails_links_only_answer_get_and_are_never_cached(client):
    """A link from an e-mail is followed, never posted to; its answer (a
    page about someone's activation or contract) is never kept by a cache."""
    for path in ("/adminbox/activate/a-token/", "/adminbox/contracts/a-token/"):
        assert client.post(path).status_code == 405, path
        assert "no-cache" in client.get(path).get("Cache-Control", ""), path
