"""Every write about contracts: one function per transition, each in one
transaction with the contract's row locked, writing one
:class:`~paraph.contracts.models.ContractEvent` (the evidence) and one audit
event, and telling the sender's webhooks once the transaction commits.

The states (FLOWS.md, "Contract"; docs/contracts.md)::

    created ─send─▶ sent ─open─▶ opened ─sign─▶ signed
    created | sent | opened ─revoke─▶ revoked          (sender; until signed)
    created | sent | opened ─deadline─▶ not_signed     (archived, sender told)
    sent | opened ─refuse─▶ refused                    (the recipient declines)
    created | sent | opened ─re-offer─▶ superseded     (a new version is sent)

What the adminbox calls, in order: :func:`access_link_resolve` and
:func:`access_link_use` (the links of the e-mail), :func:`contract_open`
when the person views the contract, :func:`contract_check_signable` and
:func:`contract_signing_input` before asking the signing engine for a
signature, and :func:`contract_sign_record` with the signed PDF it returns.
:func:`recipient_alias_add` and :func:`contracts_move` serve the merging of
two adminboxes (ES-12).

One module per concern (import the names from this package):

- ``lifecycle``: create, send, re-offer, open, refuse, revoke, expire;
- ``signing``: whether a contract can be signed, the signing input, the
  signature recorded (by card: :func:`contract_sign_with_eid`), evidence;
- ``links``: the e-mail's access links and the SMS's short links;
- ``recipients``: the recipient found or created, aliases, contracts moved;
- ``batches``: bulk sending;
- ``documents``: the document prepared, sealed and checked, files saved;
- ``data``, ``errors``: what a request carries and what the services refuse;
- ``common``: the row lock, the transition (evidence, audit, webhook) and
  what the others share.
"""

from __future__ import annotations

from paraph.contracts.services.batches import (
    BulkEntry,
    batch_create,
    batch_process,
    batches_sweep,
)
from paraph.contracts.services.common import (
    contract_company_data,
    contract_webhook_data,
)
from paraph.contracts.services.creating import (
    REOFFERABLE_CLOSED,
    contract_can_reoffer,
    contract_create,
    contract_reoffer,
)
from paraph.contracts.services.data import (
    ContractData,
    RecipientData,
    SignaturePlacement,
    contract_body_problems,
    pdf_from_base64,
    person_or_company_error,
    pydantic_errors,
)
from paraph.contracts.services.documents import (
    SIGNATURE_FIELD,
)
from paraph.contracts.services.errors import (
    AccessLinkInvalid,
    BulkItemTaken,
    ContractAccessDenied,
    ContractError,
    ContractInvalid,
    ContractNotSignable,
    ContractStateError,
    ContractUnavailable,
    FieldError,
    ShortLinkRateLimited,
)
from paraph.contracts.services.lifecycle import (
    contract_download_record,
    contract_expire,
    contract_open,
    contract_refuse,
    contract_revoke,
    contracts_expire_due,
)
from paraph.contracts.services.links import (
    SHORT_ALPHABET,
    SHORT_FAILURE_RATE,
    SHORT_LENGTH,
    SHORT_RATE,
    access_link_create,
    access_link_resolve,
    access_link_url,
    access_link_use,
    link_create,
    short_link_create,
    short_link_follow,
    short_link_url,
)
from paraph.contracts.services.recipients import (
    alias_clean,
    contracts_move,
    contracts_move_locked,
    recipient_alias_add,
)
from paraph.contracts.services.sending import (
    contract_send,
)
from paraph.contracts.services.signing import (
    EVIDENCE_STEPS,
    SigningInput,
    contract_check_signable,
    contract_eid_prepare,
    contract_evidence_add,
    contract_sign_record,
    contract_sign_with_eid,
    contract_signed_for,
    contract_signing_input,
)

__all__ = [
    "EVIDENCE_STEPS",
    "REOFFERABLE_CLOSED",
    "SHORT_ALPHABET",
    "SHORT_FAILURE_RATE",
    "SHORT_LENGTH",
    "SHORT_RATE",
    "SIGNATURE_FIELD",
    "AccessLinkInvalid",
    "BulkEntry",
    "BulkItemTaken",
    "ContractAccessDenied",
    "ContractData",
    "ContractError",
    "ContractInvalid",
    "ContractNotSignable",
    "ContractStateError",
    "ContractUnavailable",
    "FieldError",
    "RecipientData",
    "ShortLinkRateLimited",
    "SignaturePlacement",
    "SigningInput",
    "access_link_create",
    "access_link_resolve",
    "access_link_url",
    "access_link_use",
    "alias_clean",
    "batch_create",
    "batch_process",
    "batches_sweep",
    "contract_body_problems",
    "contract_can_reoffer",
    "contract_check_signable",
    "contract_company_data",
    "contract_create",
    "contract_download_record",
    "contract_eid_prepare",
    "contract_evidence_add",
    "contract_expire",
    "contract_open",
    "contract_refuse",
    "contract_reoffer",
    "contract_revoke",
    "contract_send",
    "contract_sign_record",
    "contract_sign_with_eid",
    "contract_signed_for",
    "contract_signing_input",
    "contract_webhook_data",
    "contracts_expire_due",
    "contracts_move",
    "contracts_move_locked",
    "link_create",
    "pdf_from_base64",
    "person_or_company_error",
    "pydantic_errors",
    "recipient_alias_add",
    "short_link_create",
    "short_link_follow",
    "short_link_url",
]
