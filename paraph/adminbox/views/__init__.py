"""The adminbox's pages: the links of the e-mails (``links``), the
activation (``activation``), the tasks, documents and preferences tabs
(``tabs``, ES-5, ES-9), and the contract page where the person reads a
contract before signing or refusing it (``contract``, ES-10), over
``common``.

Every page about a contract reads it through the person's own contracts:
another person's contract, page image or download is a 404."""

from paraph.adminbox.views.activation import (
    activation_code,
    activation_phone,
    activation_resend,
    activation_start,
)
from paraph.adminbox.views.common import (
    ACTIVATION_KEY,
    link_refused,
    person_of,
)
from paraph.adminbox.views.contract import (
    contract_or_404,
    contract_page_image,
    contract_view,
    download,
    refuse,
    report,
)
from paraph.adminbox.views.links import (
    activate,
    contract_link,
)
from paraph.adminbox.views.tabs import (
    documents,
    preferences,
    tasks,
)

__all__ = [
    "ACTIVATION_KEY",
    "activate",
    "activation_code",
    "activation_phone",
    "activation_resend",
    "activation_start",
    "contract_link",
    "contract_or_404",
    "contract_page_image",
    "contract_view",
    "documents",
    "download",
    "link_refused",
    "person_of",
    "preferences",
    "refuse",
    "report",
    "tasks",
]
