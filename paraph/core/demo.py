"""The sandbox's demo people, customer file and agent: plain data, read by
the ``paraph demo`` command (:mod:`paraph.web.management.commands.demo`)
and by the sandboxes that give the demo people their cards and identities."""

from typing import Any

DEMO_PEOPLE = [
    {
        "email": "anne.martin@demo.paraph.be",
        "first_name": "Anne",
        "last_name": "Martin",
        "phone": "+32470123456",
        "national_number": "85073003328",
        "language": "fr",
        # Registered with the sandbox itsme (high assurance): she represents
        # the demo company (paraph/companies/demo).
        "registration_method": "itsme",
    },
    {
        "email": "jan.peeters@demo.paraph.be",
        "first_name": "Jan",
        "last_name": "Peeters",
        "phone": "+32470654321",
        # Check digits corrected (…713 failed the mod-97 check): registration validates it.
        "national_number": "90020199704",
        "language": "nl",
        # Registered with the sandbox eID card: a user of the demo company.
        "registration_method": "eid",
    },
]
# The customer file (paraph.identity.CustomerRecord) for the demo: the two
# demo people, two people of the sandbox itsme who have not registered yet:
# Marie (found by her national number) and Pieter (no national number in
# the file: found by his address or his client reference 12/3456-789), and
# Sanne, the sandbox IDnow's Dutch passport holder (IDnow proves no Belgian
# national number: found by her address in Amsterdam or her client
# reference 40/5060-708). Léa, the
# sandbox itsme's fifth identity, is deliberately not in the file (three
# wrong tries send her to the contact centre, RG-5; or she registers as a
# new customer).
DEMO_CUSTOMERS: list[dict[str, Any]] = [
    {
        "external_id": "C-1001",
        "national_number": "85073003328",
        "first_name": "Anne",
        "last_name": "Martin",
        "birth_date": "1985-07-30",
        "street": "Rue de la Loi",
        "house_number": "16",
        "box": "3",
        "postal_code": "1000",
        "municipality": "Bruxelles",
        "references": ("10/2030-405",),
    },
    {
        "external_id": "C-1002",
        "national_number": "90020199704",
        "first_name": "Jan",
        "last_name": "Peeters",
        "birth_date": "1990-02-01",
        "street": "Meir",
        "house_number": "50",
        "postal_code": "2000",
        "municipality": "Antwerpen",
        "references": ("20.3040.506",),
    },
    {
        "external_id": "C-1003",
        "national_number": "90021400227",
        "first_name": "Marie",
        "last_name": "Dubois",
        "birth_date": "1990-02-14",
        "street": "Rue Haute",
        "house_number": "120",
        "postal_code": "1000",
        "municipality": "Bruxelles",
        "references": ("30/4050-607",),
    },
    {
        "external_id": "C-1004",
        "national_number": "",
        "first_name": "Pieter",
        "last_name": "Claes",
        "birth_date": "1988-04-12",
        "street": "Kerkstraat",
        "house_number": "12",
        "box": "3",
        "postal_code": "9000",
        "municipality": "Gent",
        "references": ("12/3456-789",),
    },
    {
        # paraph.identity.providers.idnow.sandbox.DEMO_IDENTITY
        "external_id": "C-2001",
        "national_number": "",
        "first_name": "Sanne",
        "last_name": "de Vries",
        "birth_date": "1991-04-18",
        "street": "Prinsengracht",
        "house_number": "263",
        "postal_code": "1016 GV",
        "municipality": "Amsterdam",
        "country": "NL",
        "references": ("40/5060-708",),
    },
]
# How to try each registration path in the sandbox (printed by the command).
DEMO_PATHS = (
    "Register at /register/ (codes and e-mails land in the sandbox inbox, /sandbox/inbox/):",
    "  itsme, found by national number: Marie Dubois.",
    "  itsme, found by address: Pieter Claes (type 'bte 3' and 'Gand' if you like).",
    "  itsme, found by client reference: Pieter Claes, 123456789 or 12.3456.789.",
    "  itsme, not in the file: Léa Wouters (new customer; or three wrong"
    " references: the contact centre).",
    "  IDnow (sandbox): Sanne de Vries, Dutch passport, then her address"
    " (Prinsengracht 263, 1016 GV Amsterdam) or reference 405060708.",
    "  eID card (virtual reader, PIN 1234): register as Marie Dubois (found by"
    " national number) or Pieter Claes (then his address or client reference);"
    " Anne Martin and Jan Peeters are registered: log in with the card, or change"
    " phone at /register/new-phone/.",
)
DEMO_AGENT = {
    "email": "agent@demo.paraph.be",
    "first_name": "Camille",
    "last_name": "Agent",
    "phone": "+32470000111",
}
DEMO_AGENT_PASSWORD = "demo-agent-password"
