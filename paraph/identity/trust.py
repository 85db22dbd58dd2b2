"""The one trust for Belgian eID cards: which roots and CAs issue the cards
Paraph accepts, which certificate policies it refuses, and how the card's
OCSP responder is asked. Logging in and registering with the card
(:mod:`paraph.identity.providers.eid`) and signing with it
(:mod:`paraph.signing.conf`) both read it from here, so a card is accepted
by both or refused by both (docs/adr/0036-one-eid-trust.md).

It sits in identity, the lowest app that knows the sandbox's virtual cards
and that signing may import.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from cryptography import x509
from django.conf import settings


@dataclasses.dataclass(frozen=True)
class EidTrust:
    """``roots`` and ``cas``: certificate files (PEM or DER) of the Belgian
    eID roots and of the CAs that issue cards. ``sandbox``: the files are
    the sandbox's virtual cards' (no CA configured, sandbox mode)."""

    roots: tuple[str, ...]
    cas: tuple[str, ...]
    disallowed_policies: frozenset[str]
    ocsp_url: str | None
    ocsp_timeout: float
    ocsp_max_age: timedelta
    ocsp_nonce: bool
    sandbox: bool = False

    def refused_policy(self, certificate_der: bytes) -> str | None:
        """The first of the certificate's policies that is refused, if any."""
        if not self.disallowed_policies:
            return None
        certificate = x509.load_der_x509_certificate(certificate_der)
        try:
            policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies)
        except x509.ExtensionNotFound:
            return None
        for policy in policies.value:
            if policy.policy_identifier.dotted_string in self.disallowed_policies:
                return policy.policy_identifier.dotted_string
        return None


def eid_trust() -> EidTrust:
    """The eID trust from the settings (``EID_ROOTS``, ``EID_CAS``,
    ``EID_DISALLOWED_POLICIES``, ``EID_OCSP_*``); without CAs, in sandbox
    mode, the virtual cards' root and CA. Outside sandbox mode without CAs,
    ``cas`` is empty and no card is accepted."""
    roots = tuple(settings.EID_ROOTS)
    cas = tuple(settings.EID_CAS)
    sandbox = bool(settings.SANDBOX and not cas)
    if sandbox:
        from paraph.identity.providers.eid import sandbox as eid_sandbox

        directory = eid_sandbox.sandbox_dir()
        roots = (str(directory / "root.pem"),)
        cas = (str(directory / "citizen-ca.pem"),)
    return EidTrust(
        roots=roots,
        cas=cas,
        disallowed_policies=frozenset(settings.EID_DISALLOWED_POLICIES),
        ocsp_url=settings.EID_OCSP_URL or None,
        ocsp_timeout=float(settings.EID_OCSP_TIMEOUT),
        ocsp_max_age=timedelta(seconds=settings.EID_OCSP_MAX_AGE_SECONDS),
        ocsp_nonce=settings.EID_OCSP_NONCE,
        sandbox=sandbox,
    )
