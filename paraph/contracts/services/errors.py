"""What the contract services refuse: :class:`ContractError` and its kinds,
each with a stable ``code`` (for programs and tests) and a message for
people; :class:`FieldError` names one problem with one field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, named as in the API's JSON
    (``recipient.phone``, ``pdf``, ``signature.box``)."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class ContractError(Exception):
    """A refused request; ``code`` is stable (for programs and tests), the
    message is for people."""

    code = "contract_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ContractInvalid(ContractError):
    """The request's data is wrong: ``errors`` lists every problem found.
    Nothing was written."""

    code = "invalid"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class ContractStateError(ContractError):
    """The contract's state does not allow this (``already_signed``,
    ``final``, ``not_sent``...); nothing changed."""

    code = "state"


class ContractNotSignable(ContractStateError):
    """The recipient cannot sign this contract (now): ``already_signed``,
    ``deadline_passed``, ``revoked``, ``superseded``, ``not_signed``,
    ``refused``, ``not_sent``, ``wrong_person``, ``other_national_number``."""

    code = "not_signable"


class ContractAccessDenied(ContractError):
    """The person is not this contract's recipient (show a 404)."""

    code = "not_found"


class ContractUnavailable(ContractError):
    """A service Paraph needs (its seal, the time-stamp authority) did not
    answer; nothing was written, try again later."""

    code = "unavailable"


class AccessLinkInvalid(ContractError):
    """A link that is ``unknown``, ``expired``, ``used`` (an activation link
    works once), ``merged`` (an activation link of a merged adminbox) or for
    another ``purpose``."""

    code = "link_invalid"


class ShortLinkRateLimited(ContractError):
    """Too many short links followed (or guessed) from one address."""

    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many short links followed", code="rate_limited")
        self.retry_after = retry_after


class BulkItemTaken(ContractError):
    """This item of a batch was already processed (by a worker whose lease
    ended but which was still alive); nothing was written."""

    code = "bulk_item_taken"
