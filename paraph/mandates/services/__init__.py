"""Every write of the mandates app (ES-7, ES-8, ES-10, ES-11), one module
per concern: ``lifecycle`` (one function per transition of the mandate's
state machine, docs/mandates.md, each in one transaction with one audit
event), ``signing`` (the mandate signed with a code or the eID card),
``contracts`` (signing contracts with the password, one at a time or
several at once), ``common`` (what they share)."""

from paraph.mandates.services.common import (
    BATCH_MAX,
    REMINDER_DAYS,
    STARTS_PER_HOUR,
    MandateError,
    mandate_ended,
    mandate_locked,
    mandate_refreshed,
    one_year_after,
)
from paraph.mandates.services.contracts import (
    BatchOutcome,
    contract_sign_with_password,
    contracts_sign_with_password,
)
from paraph.mandates.services.lifecycle import (
    mandate_activate,
    mandate_expire,
    mandate_password_check,
    mandate_reminder_send,
    mandate_reminders_send,
    mandate_renew,
    mandate_revoke,
    mandate_start,
    mandates_expire_due,
    mandates_housekeeping,
)
from paraph.mandates.services.signing import (
    mandate_code_channels,
    mandate_code_resend,
    mandate_code_send,
    mandate_eid_prepare,
    mandate_sign_with_code,
    mandate_sign_with_eid,
)

__all__ = [
    "BATCH_MAX",
    "REMINDER_DAYS",
    "STARTS_PER_HOUR",
    "BatchOutcome",
    "MandateError",
    "contract_sign_with_password",
    "contracts_sign_with_password",
    "mandate_activate",
    "mandate_code_channels",
    "mandate_code_resend",
    "mandate_code_send",
    "mandate_eid_prepare",
    "mandate_ended",
    "mandate_expire",
    "mandate_locked",
    "mandate_password_check",
    "mandate_refreshed",
    "mandate_reminder_send",
    "mandate_reminders_send",
    "mandate_renew",
    "mandate_revoke",
    "mandate_sign_with_code",
    "mandate_sign_with_eid",
    "mandate_start",
    "mandates_expire_due",
    "mandates_housekeeping",
    "one_year_after",
]
