"""Regaining access in a real browser, with the sandbox's virtual eID
card: a new mobile number bound after proving who one is with the card
(LG-4: the old number and the e-mail address are told), and a new card
that logs in at once and is recorded next to the old one (LG-5), as the
back office shows."""

# The fixtures imported from webeid_support are used as test arguments.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.accounts.tests.backoffice import staff_login
from paraph.audit.models import AuditEvent
from paraph.identity.models import EidCertificate, IdentityLink
from paraph.identity.tests.registration_support import (
    inbox_code,
    inbox_text,
    no_sideways_scroll,
    read_virtual_card,
)
from paraph.identity.tests.webeid_support import (  # noqa: F401 - fixtures
    eid_sandbox,
    eid_sandbox_template,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANNE = "85073003328"  # the first demo person; her virtual card is "card1" (RSA-2048)
OLD_PHONE = "+32470123456"
NEW_PHONE = "+32470556677"
EMAIL = "anne.martin@example.be"


@pytest.fixture
def site(eid_sandbox, live_server, settings):
    settings.BASE_URL = live_server.url  # the origin the card signs for
    settings.EMAIL_BACKEND = "paraph.notifications.backends.SandboxEmailBackend"
    return live_server


@pytest.fixture
def anne(person_factory):
    """Anne, registered with her eID card."""
    return person_factory(
        first_name="Anne",
        last_name="Martin",
        email=EMAIL,
        phone=OLD_PHONE,
        language="en",
        national_number=ANNE,
        assurance_level=AssuranceLevel.HIGH,
        registration_method=RegistrationMethod.EID,
        registered_at=timezone.now(),
        email_verified_at=timezone.now(),
    )


def renew_card(sandbox: Path, card_id: str) -> None:
    """The municipality hands out a new card: a new key and authentication
    certificate for the same holder (same subject, so the same national
    number), issued by the sandbox citizen CA, in the virtual reader's
    slot ``card_id``."""
    folder = sandbox / "cards" / card_id
    old = x509.load_pem_x509_certificate((folder / "auth.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((sandbox / "citizen-ca.key.pem").read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    digest: hashes.HashAlgorithm
    if isinstance(old.public_key(), rsa.RSAPublicKey):
        key, digest = rsa.generate_private_key(65537, 2048), hashes.SHA256()
    else:
        key, digest = ec.generate_private_key(ec.SECP384R1()), hashes.SHA384()
    now = datetime.now(tz=UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(old.issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * 10))
    )
    for extension in old.extensions:  # key usage, OCSP address, CA key id
        builder = builder.add_extension(extension.value, extension.critical)
    certificate = builder.sign(ca_key, digest)
    (folder / "auth.key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / "auth.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _log_in_with_the_card(page) -> None:
    page.goto("/account/login/")
    page.get_by_test_id("login-eid").click()
    page.wait_for_url("**/identity/eid/")
    assert "Log in with your eID card" in page.get_by_role("heading", level=1).inner_text()
    read_virtual_card(page, "Anne Martin")
    page.wait_for_url("**/adminbox/")


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_anne_binds_a_new_phone_number_with_her_eid_card(
    page, page_factory, site, console_errors, anne
):
    page.goto("/account/login/")
    page.get_by_role("link", name="Changed your mobile number?").click()
    page.wait_for_url("**/register/new-phone/")
    no_sideways_scroll(page)
    page.get_by_test_id("new-phone-eid").click()
    page.wait_for_url("**/identity/eid/")
    read_virtual_card(page, "Anne Martin")

    page.wait_for_url("**/register/new-phone/number/")
    assert "+32 *** ** 34 56" in page.locator(".lead").inner_text()  # the old number, masked
    page.get_by_label("Mobile phone number").fill("0470 55 66 77")
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/register/new-phone/code/")
    page.get_by_label("Code", exact=True).fill(inbox_code(page_factory, NEW_PHONE))
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url("**/adminbox/")
    assert "now receives your log-in codes" in page.content()
    no_sideways_scroll(page)
    anne.refresh_from_db()
    assert anne.phone == NEW_PHONE

    # The old number and the e-mail address are told, in the sandbox inbox.
    sms = inbox_text(page_factory, OLD_PHONE)
    assert "your log-in codes now go to another number" in sms
    assert django_settings.CONTACT_PHONE in sms
    mail = inbox_text(
        page_factory, EMAIL, subject="The mobile phone number of your Paraph account was changed"
    )
    assert "After you confirmed who you are with your eID card" in mail
    assert "no longer receives them" in mail
    event = AuditEvent.objects.get(name="accounts.phone.changed")
    assert event.data["method"] == "eid" and event.data["new"] == NEW_PHONE

    # From now on the log-in code goes to the new number.
    page.context.clear_cookies()
    page.goto("/account/login/")
    page.get_by_label("Mobile phone number or e-mail address").fill(EMAIL)
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/account/login/code/")
    page.get_by_label("Code", exact=True).fill(inbox_code(page_factory, NEW_PHONE))
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url("**/adminbox/")
    assert console_errors == []


@pytest.mark.browser(viewport=(360, 740), locale="en-GB")
def test_a_new_card_logs_in_at_once_and_sits_next_to_the_old_one(
    page, page_factory, site, eid_sandbox, console_errors, anne, person_factory
):
    page.goto("/account/login/")
    assert "Registered with IDnow? Log in with the code we send by SMS" in (
        page.get_by_test_id("login-idnow-note").inner_text()
    )
    no_sideways_scroll(page)
    page.screenshot(path="/tmp/paraph-login-with-card-360.png", full_page=True)
    _log_in_with_the_card(page)
    (old,) = EidCertificate.objects.filter(person=anne)

    renew_card(eid_sandbox, "card1")
    page.context.clear_cookies()
    _log_in_with_the_card(page)

    certificates = EidCertificate.objects.filter(person=anne)
    assert certificates.count() == 2
    new = certificates.exclude(pk=old.pk).get()
    assert new.subject == old.subject and new.fingerprint != old.fingerprint
    new_der = bytes(new.certificate_der)
    assert new.fingerprint == hashlib.sha256(new_der).hexdigest()
    event = AuditEvent.objects.get(
        name="identity.eid.certificate_recorded", data__fingerprint=new.fingerprint
    )
    assert event.data["known_certificates"] == 2
    assert IdentityLink.objects.filter(person=anne, method="eid").count() == 2
    assert console_errors == []

    # The contact centre sees both cards from Anne's page in the back office.
    # (a transactional test's database has lost the agents' group, made by a
    # migration: a superuser stands in for the agent)
    agent = person_factory(
        email="agent@example.be", is_staff=True, is_superuser=True, language="en"
    )
    back_office = page_factory(viewport=(1280, 800), locale="en-GB")
    client = staff_login(Client(), agent)
    back_office.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": site.url,
            }
        ]
    )
    back_office.goto(f"/backoffice/accounts/person/{anne.pk}/change/")
    back_office.get_by_role("link", name="eID cards (2)").click()
    rows = back_office.locator("#result_list tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2
    assert "Anne Martin (Authentication)" in rows.first.inner_text()
