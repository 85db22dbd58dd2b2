"""``paraph check --deploy`` opens every key file and reaches the TSA, the SMS
gateway and SMTP, and names what fails (paraph/operations/deploy_checks.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from paraph.notifications.tests.conftest import free_port
from paraph.signing.tests.conftest import P12_PASSWORD

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def deployed(settings, pki, smtp_server, http_gateway):
    """Settings as docs/operations.md's example has them, every part real
    and on loopback: the test PKI's keys and TSA, an SMTP server, an SMS
    gateway."""
    settings.SIGNING_KEY_STORE = "file"
    settings.SIGNING_SEAL_PKCS12 = str(
        pki.pkcs12_path("paraph-seal", chain=("paraph-root",), password=P12_PASSWORD)
    )
    settings.SIGNING_SEAL_PKCS12_PASSWORD = P12_PASSWORD
    settings.SIGNING_CA_PKCS12 = str(
        pki.pkcs12_path("paraph-signing-ca", chain=("paraph-root",), password=P12_PASSWORD)
    )
    settings.SIGNING_CA_PKCS12_PASSWORD = P12_PASSWORD
    settings.SIGNING_TRUST_ROOTS = [str(pki.pem_path("belgium-root"))]
    settings.EID_CAS = [str(pki.pem_path("citizen-ca"))]
    settings.SIGNING_TSA = "http"
    settings.SIGNING_TSA_URL = pki.url("tsa/sandbox-tsa")
    settings.SMS_GATEWAY = "http"
    settings.SMS_HTTP_URL = http_gateway.url
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port
    return settings


def deploy_check() -> str:
    """What ``paraph check --deploy`` says of Paraph's own checks ("" when
    nothing fails)."""
    try:
        call_command("check", "--deploy", "--tag", "paraph")
    except SystemCheckError as exc:
        return str(exc)
    return ""


def test_a_complete_deployment_passes(deployed):
    assert deploy_check() == ""


def test_a_missing_seal_file_is_named(deployed, tmp_path):
    deployed.SIGNING_SEAL_PKCS12 = str(tmp_path / "seal.p12")

    said = deploy_check()

    assert "operations.E001" in said
    assert f"PARAPH_SIGNING_SEAL_PKCS12: {tmp_path / 'seal.p12'} cannot be read" in said
    assert "PARAPH_SIGNING_CA_PKCS12" not in said


def test_a_wrong_key_password_is_named(deployed):
    deployed.SIGNING_CA_PKCS12_PASSWORD = "not the password"

    said = deploy_check()

    assert "PARAPH_SIGNING_CA_PKCS12" in said and "its password is wrong" in said


def test_a_tsa_on_a_closed_port_is_named(deployed):
    deployed.SIGNING_TSA_URL = f"http://127.0.0.1:{free_port()}/tsa"

    said = deploy_check()

    assert "operations.E003" in said
    assert f"The time-stamp authority at {deployed.SIGNING_TSA_URL}" in said
    assert "does not answer" in said
    # only the TSA: the rest answers
    assert "E004" not in said and "E005" not in said and "E001" not in said


def test_an_sms_gateway_and_smtp_server_that_do_not_answer_are_named(deployed):
    closed = free_port()
    deployed.SMS_HTTP_URL = f"http://127.0.0.1:{closed}/send"
    deployed.EMAIL_PORT = closed

    said = deploy_check()

    assert f"The SMS gateway at 127.0.0.1:{closed} (PARAPH_SMS_HTTP_URL)" in said
    assert f"The SMTP server 127.0.0.1:{closed} (EMAIL_HOST, EMAIL_PORT)" in said


def test_a_certificate_file_that_is_not_one_is_named(deployed, tmp_path):
    broken = tmp_path / "root.pem"
    broken.write_text("not a certificate")
    deployed.SIGNING_TRUST_ROOTS = [str(broken)]

    said = deploy_check()

    assert f"PARAPH_SIGNING_TRUST_ROOTS: {broken} holds no certificate" in said


def test_the_checks_run_only_with_deploy():
    from django.core.checks.registry import registry

    from paraph.operations.deploy_checks import key_files_check, services_check

    # a start-up's checks open no file and reach nothing
    assert not {key_files_check, services_check} & set(registry.get_checks(False))
    assert {key_files_check, services_check} <= set(registry.get_checks(True))
