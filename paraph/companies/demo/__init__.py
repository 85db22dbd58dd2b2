"""A small sample of the KBO open-data export (a full extract in the
published format: 16 enterprises with their names in French, Dutch, German
and English, addresses and establishments), loaded by ``paraph demo``."""

from pathlib import Path
from typing import Any

DEMO_KBO_DIR = Path(__file__).resolve().parent / "kbo"

# The demo company registered on Paraph (``paraph demo``): Boulangerie Dupont,
# represented by Anne Martin (registered with the sandbox itsme), with Jan
# Peeters (sandbox eID card) as a user who may sign. People by national number.
DEMO_COMPANY: dict[str, Any] = {
    "number": "0812345603",
    "representative": "85073003328",
    "users": ("90020199704",),
}
# Whom to designate to try the representative change (CO-5): Marie Dubois,
# a person of the sandbox itsme who has not registered yet.
DEMO_NEW_REPRESENTATIVE = {
    "name": "Marie Dubois",
    "email": "marie.dubois@example.be",
    "national_number": "90.02.14-002.27",
}
