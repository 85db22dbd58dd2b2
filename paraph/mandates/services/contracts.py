"""Contracts signed with the password under the mandate: one at a time, or
several at once (each in its own transaction, the batch's outcome per
contract)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from paraph.accounts.models import Person
from paraph.contracts.models import Contract
from paraph.contracts.services import (
    ContractError,
    contract_check_signable,
    contract_sign_record,
    contract_signing_input,
)
from paraph.core.context import SYSTEM, Context
from paraph.mandates.selectors import mandate_current
from paraph.mandates.services.common import BATCH_MAX, MandateError
from paraph.signing.exceptions import KeyUnavailable, SigningError
from paraph.signing.services import (
    password_signature_complete,
    password_signature_record,
)

# --- Signing contracts with the password ----------------------------------------------


def contract_sign_with_password(
    *,
    contract: Contract,
    person: Person,
    password: str,
    context: Context = SYSTEM,
    batch: bool = False,
) -> Contract:
    """Sign ``contract`` with ``person``'s password under their active
    mandate (ES-10): checked signable, signed by the signing engine in the
    field the seal prepared, recorded with the mandate's reference. Raises
    :class:`MandateError` ``no_mandate`` (start one first),
    ``KeyUnavailable`` (``wrong_password``: counted; ``locked`` with
    ``locked_until``; ``expired``), ``ContractNotSignable``
    (``already_signed`` when two signatures race, ``deadline_passed``,
    ``revoked``...), ``ContractError`` and ``SigningError``."""
    mandate = mandate_current(person)
    if mandate is None:
        raise MandateError(
            gettext("Signing with a password needs an active mandate: sign one first."),
            code="no_mandate",
        )
    contract_check_signable(contract=contract, person=person)
    signing_input = contract_signing_input(contract=contract)
    done = password_signature_complete(
        person=person,
        document=signing_input.document,
        password=password,
        field_name=signing_input.field_name,
        placement=signing_input.placement,
        for_company=signing_input.for_company,
        context=context,
    )
    # the contract signed and the signature in the audit log, or neither
    return contract_sign_record(
        contract=contract,
        person=person,
        signed_pdf=done.signed,
        also=lambda: password_signature_record(
            person=person, done=done, document_ref=signing_input.document_ref, context=context
        ),
        method="password",
        mandate_ref=mandate.reference,
        evidence={
            "mandate": mandate.reference,
            "mandate_valid_until": mandate.valid_until.isoformat() if mandate.valid_until else None,
            "unlocked_with": "password",
            "batch": batch,
        },
        context=context,
    )


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one contract of a batch: ``signed``, or the reason
    it was not (``code`` and ``message`` for the person)."""

    contract: Contract
    signed: bool
    code: str = ""
    message: str = ""


def contracts_sign_with_password(
    *,
    contracts: list[Contract],
    person: Person,
    password: str,
    context: Context = SYSTEM,
) -> list[BatchOutcome]:
    """Sign several contracts with one password entry, each with a
    signature of its own. A wrong password (or a locked or missing key)
    raises at the first contract and nothing is signed; a contract that
    cannot be signed (already signed, deadline passed...) is reported and
    the others go on."""
    if len(contracts) > BATCH_MAX:
        raise MandateError(
            gettext("Sign at most %(count)d contracts at once.") % {"count": BATCH_MAX},
            code="too_many",
        )
    outcomes: list[BatchOutcome] = []
    for index, contract in enumerate(contracts):
        try:
            signed = contract_sign_with_password(
                contract=contract, person=person, password=password, context=context, batch=True
            )
        except KeyUnavailable as exc:
            if not any(o.signed for o in outcomes):
                raise
            for rest in contracts[index:]:
                outcomes.append(BatchOutcome(rest, False, exc.code, str(exc)))
            break
        except MandateError as exc:
            if not outcomes:
                raise
            outcomes.append(BatchOutcome(contract, False, exc.code, str(exc)))
        except ContractError as exc:
            outcomes.append(BatchOutcome(contract, False, exc.code, str(exc)))
        except SigningError as exc:
            outcomes.append(
                BatchOutcome(
                    contract,
                    False,
                    exc.code,
                    gettext("Paraph could not sign this contract just now. Try it again later."),
                )
            )
        else:
            outcomes.append(BatchOutcome(signed, True))
    return outcomes
