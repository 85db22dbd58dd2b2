"""The mandate pages (``mandate``: start or renew, the code, the password,
done, revoke) and signing contracts with the password, one or several at
once (``signing``), over ``common``. Views parse the input, call one
service and render."""

from paraph.mandates.views.common import (
    BATCH_KEY,
    FLOW_KEY,
    PASSWORD_CHECKS,
    code_resent_answer,
    flow_mandate,
    flow_state,
    mandate_steps,
    tasks_url,
)
from paraph.mandates.views.mandate import (
    code,
    code_resend,
    document,
    done,
    password,
    password_check,
    renew,
    revoke,
    start,
)
from paraph.mandates.views.signing import (
    batch_done,
    sign_batch,
    sign_password,
    signed,
)

__all__ = [
    "BATCH_KEY",
    "FLOW_KEY",
    "PASSWORD_CHECKS",
    "batch_done",
    "code",
    "code_resend",
    "code_resent_answer",
    "document",
    "done",
    "flow_mandate",
    "flow_state",
    "mandate_steps",
    "password",
    "password_check",
    "renew",
    "revoke",
    "sign_batch",
    "sign_password",
    "signed",
    "start",
    "tasks_url",
]
