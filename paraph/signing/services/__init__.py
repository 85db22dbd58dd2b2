"""Every write of the signing app: one function, one transaction, one
audit event each. The cryptography is in :mod:`paraph.signing.engine`
(PDF signatures) and :mod:`paraph.signing.passwordkeys` (people's keys).
One module per concern: ``eid`` (the card's two steps), ``seal``,
``keys`` (people's keys under a mandate), ``crl``, ``passwords``
(signatures with the password), ``common`` (what they share)."""

from paraph.signing.services.common import (
    CRL_PATH,
    CRL_REFRESH_AFTER,
    CRL_VALIDITY,
    PASSWORD_FAILURES_PER_DAY,
    PASSWORD_LOCKOUT,
    PASSWORD_MAX_FAILURES,
    PASSWORD_RATE_SCOPE,
    crl_url,
    signature_for_company,
    visible_signature,
)
from paraph.signing.services.crl import crl_due, crl_publish, signing_crl_refresh
from paraph.signing.services.eid import (
    EidSigningRequest,
    eid_signature_complete,
    eid_signature_finish,
    eid_signature_prepare,
    eid_signature_record,
    prepared_eid_signatures_purge,
)
from paraph.signing.services.keys import signing_key_issue, signing_key_retire, signing_key_revoke
from paraph.signing.services.passwords import (
    PasswordSigned,
    password_signature_complete,
    password_signature_make,
    password_signature_record,
    person_signing_key_unlock,
)
from paraph.signing.services.seal import document_archive_renew, seal_apply

__all__ = [
    "CRL_PATH",
    "CRL_REFRESH_AFTER",
    "CRL_VALIDITY",
    "PASSWORD_FAILURES_PER_DAY",
    "PASSWORD_LOCKOUT",
    "PASSWORD_MAX_FAILURES",
    "PASSWORD_RATE_SCOPE",
    "EidSigningRequest",
    "PasswordSigned",
    "crl_due",
    "crl_publish",
    "crl_url",
    "document_archive_renew",
    "eid_signature_complete",
    "eid_signature_finish",
    "eid_signature_prepare",
    "eid_signature_record",
    "password_signature_complete",
    "password_signature_make",
    "password_signature_record",
    "person_signing_key_unlock",
    "prepared_eid_signatures_purge",
    "seal_apply",
    "signature_for_company",
    "signing_crl_refresh",
    "signing_key_issue",
    "signing_key_retire",
    "signing_key_revoke",
    "visible_signature",
]
