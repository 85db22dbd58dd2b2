"""One eID trust (paraph.identity.trust): the same card is accepted both
to log in (Web eID, its authentication certificate) and to sign (its
signature certificate), or refused by both, from one set of settings:
the test PKI's cards, and the sandbox's virtual cards."""

# The fixtures imported from webeid_support are used as test arguments.
# ruff: noqa: F811

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from paraph.core.checks import deprecated_settings_check
from paraph.core.env import env_list_renamed
from paraph.identity.providers.eid import sandbox as virtual
from paraph.identity.providers.eid import webeid
from paraph.identity.providers.eid.provider import eid_config
from paraph.identity.tests.webeid_support import (
    HOLDERS,
    ORIGIN,
    card_token,
    eid_sandbox,  # noqa: F401 - fixture
    eid_sandbox_template,  # noqa: F401 - fixture
    forged_certificate,
    new_challenge,
    sign_token,
)
from paraph.signing import services
from paraph.signing.exceptions import CertificateRejected

pytestmark = pytest.mark.django_db

REFUSED_POLICY = "2.16.56.99.1.1"


@pytest.fixture
def eid_settings(signing_settings: Any, pki: Any) -> Any:
    """Only the one eID trust names the Belgian CAs: none is in the
    signing settings."""
    signing_settings.BASE_URL = ORIGIN
    signing_settings.SIGNING_TRUST_ROOTS = [str(pki.pem_path("paraph-root"))]
    signing_settings.EID_ROOTS = [str(pki.pem_path("belgium-root"))]
    signing_settings.EID_CAS = [str(pki.pem_path("citizen-ca")), str(pki.pem_path("foreigner-ca"))]
    signing_settings.EID_OCSP_URL = ""
    signing_settings.EID_DISALLOWED_POLICIES = []
    return signing_settings


def _log_in(token: dict[str, str], challenge: str) -> str:
    """``accepted``, or the code log-in refuses the card with."""
    try:
        webeid.token_validate(token, challenge=challenge, config=eid_config())
    except webeid.WebEidError as exc:
        return exc.code
    return "accepted"


def _sign(person: Any, certificate: bytes, document: bytes) -> str:
    """``accepted``, or the code signing refuses the certificate with."""
    try:
        services.eid_signature_prepare(
            person=person, document=document, document_ref="contract:1", certificate=certificate
        )
    except CertificateRejected as exc:
        return exc.code
    return "accepted"


def _card(pki: Any, person_factory: Any, contract: bytes, holder: str) -> tuple[str, str]:
    first, last, national_number = HOLDERS[holder]
    person = person_factory(first_name=first, last_name=last, national_number=national_number)
    challenge = new_challenge()
    logged_in = _log_in(card_token(pki, holder, challenge=challenge), challenge)
    return logged_in, _sign(person, pki.cert_der(f"{holder}-sign"), contract)


def test_a_good_card_logs_in_and_signs(eid_settings, pki, person_factory, contract):
    assert _card(pki, person_factory, contract, "jan") == ("accepted", "accepted")


def test_an_expired_card_neither_logs_in_nor_signs(eid_settings, pki, person_factory, contract):
    assert _card(pki, person_factory, contract, "sofie") == ("certificate_expired", "expired")


def test_a_revoked_card_neither_logs_in_nor_signs(eid_settings, pki, person_factory, contract):
    assert _card(pki, person_factory, contract, "luc") == ("certificate_revoked", "revoked")


def test_a_card_of_a_ca_not_configured_neither_logs_in_nor_signs(
    eid_settings, pki, person_factory, contract
):
    eid_settings.EID_CAS = [str(pki.pem_path("citizen-ca"))]  # no Foreigner CA

    assert _card(pki, person_factory, contract, "ahmed") == ("certificate_untrusted", "untrusted")


def test_a_refused_policy_neither_logs_in_nor_signs(eid_settings, pki, person_factory, contract):
    eid_settings.EID_DISALLOWED_POLICIES = [REFUSED_POLICY]
    key, certificate = forged_certificate(
        pki,
        key_usage={"digital_signature": True, "content_commitment": True},
        policies=[REFUSED_POLICY],
    )
    person = person_factory(national_number="85073003328")
    challenge = new_challenge()

    logged_in = _log_in(sign_token(key, certificate, challenge=challenge), challenge)

    assert (logged_in, _sign(person, certificate, contract)) == ("certificate_policy", "policy")


@pytest.fixture
def sandbox_site(eid_sandbox, live_server, signing_settings, pki):
    """Sandbox mode, no eID CA configured: the virtual cards, whose OCSP
    responder is Paraph served on loopback."""
    signing_settings.SANDBOX = True
    signing_settings.BASE_URL = live_server.url
    signing_settings.SIGNING_TRUST_ROOTS = [str(pki.pem_path("paraph-root"))]
    signing_settings.EID_ROOTS = []
    signing_settings.EID_CAS = []
    return live_server.url


def _virtual_card(card: str, person_factory: Any, contract: bytes, origin: str) -> tuple[str, str]:
    """The verdicts on one virtual card: its holder logs in, then signs."""
    signing = base64.b64decode(virtual.card_signing_certificate(card)["certificate"])
    holder = x509.load_der_x509_certificate(signing).subject
    person = person_factory(
        national_number=holder.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
    )
    challenge = webeid.challenge_issue({})
    token = virtual.card_authenticate(card_id=card, pin="1234", challenge=challenge, origin=origin)
    return _log_in(token, challenge), _sign(person, signing, contract)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("card", "verdicts"),
    [
        ("card1", ("accepted", "accepted")),
        ("revoked", ("certificate_revoked", "revoked")),
        ("expired", ("certificate_expired", "expired")),
    ],
)
def test_a_virtual_card_gets_the_same_verdict_at_log_in_and_signing(
    sandbox_site, person_factory, contract, card, verdicts
):
    assert _virtual_card(card, person_factory, contract, sandbox_site) == verdicts


def test_a_virtual_card_is_refused_by_both_where_real_cas_are_configured(
    eid_sandbox, pki, person_factory, contract, signing_settings
):
    signing_settings.EID_CAS = [str(pki.pem_path("citizen-ca"))]
    signing_settings.BASE_URL = ORIGIN

    verdicts = _virtual_card("card1", person_factory, contract, ORIGIN)

    assert verdicts == ("certificate_untrusted", "untrusted")


def test_the_old_names_still_count_with_a_warning(monkeypatch, settings):
    monkeypatch.delenv("PARAPH_EID_CAS", raising=False)
    monkeypatch.setenv("PARAPH_EID_TRUSTED_CA_FILES", "citizen.pem,foreigner.pem")
    monkeypatch.setenv("PARAPH_SIGNING_EID_CAS", "citizen.pem")
    notes: list[str] = []

    cas = env_list_renamed(
        "PARAPH_EID_CAS", ("PARAPH_EID_TRUSTED_CA_FILES", "PARAPH_SIGNING_EID_CAS"), notes
    )
    settings.DEPRECATED_SETTINGS = notes

    assert cas == ["citizen.pem", "foreigner.pem"]
    assert [message.msg for message in deprecated_settings_check()] == [
        "PARAPH_EID_TRUSTED_CA_FILES is deprecated: use PARAPH_EID_CAS",
        "PARAPH_SIGNING_EID_CAS is deprecated: use PARAPH_EID_CAS",
    ]


def test_the_new_name_wins_over_the_old(monkeypatch):
    monkeypatch.setenv("PARAPH_EID_CAS", "new.pem")
    monkeypatch.setenv("PARAPH_SIGNING_EID_CAS", "old.pem")
    notes: list[str] = []

    assert env_list_renamed("PARAPH_EID_CAS", ("PARAPH_SIGNING_EID_CAS",), notes) == ["new.pem"]
    assert notes == ["PARAPH_SIGNING_EID_CAS is deprecated: use PARAPH_EID_CAS"]
