"""The sender back office (/sender/): the staff of a temporary-work agency
or an insurer send contracts, follow them, revoke and re-offer them,
download the signed PDFs and their evidence, manage API keys and webhooks,
and upload bulk sends. Log-in is the usual SMS-code log-in; access needs a
``SenderMembership``. And the public “interested? contact us” page (ES-14).

Views parse, call a service, render; every change is audited by its
service, and so is every download. One module per part: ``access`` (the
decorator and the sender chosen), ``contracts``, ``batches``, ``keys``,
``webhooks``, ``contact``."""

from paraph.senderdesk.views.access import (
    CONTRACTS_PER_PAGE,
    DELIVERIES_PER_PAGE,
    SESSION_SENDER,
    View,
    choose,
    page_context,
    sender_memberships,
    sender_nav,
    sender_required,
)
from paraph.senderdesk.views.batches import bulk_detail, bulk_new, bulk_progress
from paraph.senderdesk.views.contact import SESSION_SALES_TICKET, contact, contact_sent
from paraph.senderdesk.views.contracts import (
    contract_detail,
    contract_evidence_pdf_view,
    contract_evidence_view,
    contract_file,
    contract_new,
    contract_reoffer_view,
    contract_revoke_view,
    home,
)
from paraph.senderdesk.views.keys import key_revoke, keys
from paraph.senderdesk.views.webhooks import (
    webhook_detail,
    webhook_ping,
    webhook_replay,
    webhook_toggle,
    webhooks,
)

__all__ = [
    "CONTRACTS_PER_PAGE",
    "DELIVERIES_PER_PAGE",
    "SESSION_SALES_TICKET",
    "SESSION_SENDER",
    "View",
    "bulk_detail",
    "bulk_new",
    "bulk_progress",
    "choose",
    "contact",
    "contact_sent",
    "contract_detail",
    "contract_evidence_pdf_view",
    "contract_evidence_view",
    "contract_file",
    "contract_new",
    "contract_reoffer_view",
    "contract_revoke_view",
    "home",
    "key_revoke",
    "keys",
    "page_context",
    "sender_memberships",
    "sender_nav",
    "sender_required",
    "webhook_detail",
    "webhook_ping",
    "webhook_replay",
    "webhook_toggle",
    "webhooks",
]
