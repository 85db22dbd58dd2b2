"""The evidence PDF of a contract: what :func:`~paraph.contracts.selectors.contract_evidence`
holds (the contract, the hashes of its three files, every event with its
time, IP address and browser, the e-mail's delivery, the signing method and
mandate, the audit events with their hashes), written for people in the
reader's language and sealed by Paraph (certified, no later change
allowed), so that ``paraph verify`` and any PDF reader show it is intact.

The words are chosen here; ``contracts/pdf/evidence.html`` lays them out
and :mod:`paraph.core.typesetting` typesets them as a PDF/A-3b, as many
pages as the evidence needs. Nothing is stored: each download is made from
the evidence as it is at that moment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from paraph.accounts.models import Language, Person
from paraph.contracts.companies import company_label
from paraph.contracts.inputs import BRUSSELS
from paraph.contracts.models import Contract, ContractStatus, SigningMethod, event_names
from paraph.contracts.selectors import contract_evidence
from paraph.contracts.services import contract_download_record
from paraph.core.belgium import national_number_format
from paraph.core.context import SYSTEM, Context
from paraph.core.moments import brussels_ambiguous
from paraph.core.typesetting import pdf_typeset
from paraph.senders.models import ApiKey
from paraph.signing import engine

TEMPLATE = "contracts/pdf/evidence.html"
# Where the seal goes on the last page: inside the bottom margin that
# typesetting/document.html leaves free of text (40 mm), above the footer.
SEAL_BOX = (339.0, 40.0, 539.0, 96.0)


# --- The evidence, in words ------------------------------------------------------------


def _company_signer_facts(signature: dict[str, Any]) -> list[dict[str, Any]]:
    """For a company's contract: for whom it was signed, and who signed as
    what at that moment (ADR 35)."""
    company = signature.get("for_company")
    if not company:
        return []
    facts = [
        _fact(
            gettext("Signed for"),
            company_label(name=company["name"], number=company["enterprise_number"]),
        )
    ]
    signer = signature.get("signed_by") or {}
    if signer:
        role = (
            gettext("its digital representative")
            if signer.get("role") == "representative"
            else gettext("a user allowed to sign for it")
        )
        facts.append(
            _fact(
                gettext("Signed by"),
                gettext("%(name)s, %(role)s") % {"name": signer.get("name", ""), "role": role},
            )
        )
    return facts


def _moment(value: str | dt.datetime | None) -> str:
    if not value:
        return "-"
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    local = timezone.localtime(moment, BRUSSELS)
    # The hour repeated when summer time ends says which it is (issue 14).
    zone = f" {local.tzname()}" if brussels_ambiguous(moment) else ""
    return local.strftime("%d/%m/%Y %H:%M:%S") + zone


def _delivery_words(delivery: dict[str, Any]) -> str:
    status = delivery.get("status")
    if status == "sent":
        return gettext("delivered to the mail or SMS provider at %(time)s") % {
            "time": _moment(delivery.get("sent_at"))
        }
    if status == "failed":
        return gettext("could not be delivered")
    return gettext("waiting to be delivered")


def _details(data: dict[str, Any]) -> str:
    shown = []
    for key, value in sorted(data.items()):
        if key in ("message", "evidence") or value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
        shown.append(f"{key}={value}")
    return "; ".join(shown)


def _fact(label: str, value: str, *, mono: bool = False) -> dict[str, Any]:
    """One line of facts: ``label`` (with its colon, as the language writes
    it) and ``value``, the value in the monospaced font when ``mono``."""
    return {
        "label": pgettext("label before a value", "%(label)s:") % {"label": label},
        "value": value,
        "mono": mono,
    }


def evidence_context(*, contract: Contract, language: str) -> dict[str, Any]:
    """What the evidence PDF of ``contract`` says, in ``language`` (one of
    Paraph's, else the site's): the words of ``contracts/pdf/evidence.html``
    and its page footer."""
    if language not in Language.values:
        language = settings.LANGUAGE_CODE
    evidence = contract_evidence(contract=contract)
    checkpoint = evidence["audit_proof"]["checkpoint"]
    proofs = {event["id"]: event for event in evidence["audit_proof"]["events"]}
    with translation.override(language):
        c, sender, recipient = (
            evidence["contract"],
            evidence["sender"],
            evidence["recipient_as_sent"],
        )
        version = str(c["version"])
        if c["supersedes"]:
            version += " " + gettext("(replaces %(id)s)") % {"id": c["supersedes"]}
        contract_facts = [
            _fact(gettext("Title"), c["title"]),
            _fact(gettext("Identifier"), c["id"]),
            _fact(gettext("Version"), version),
        ]
        if c["external_reference"]:
            contract_facts.append(_fact(gettext("Sender's reference"), c["external_reference"]))
        contract_facts += [
            _fact(gettext("Status"), str(ContractStatus(c["status"]).label)),
            _fact(gettext("Start of work"), _moment(c["start_of_work"])),
            _fact(gettext("Signing deadline"), _moment(c["signing_deadline"])),
            _fact(
                gettext("Sender"),
                f"{sender['name']} ({gettext('enterprise number')} {sender['enterprise_number']})",
            ),
        ]
        name = f"{recipient['first_name']} {recipient['last_name']}".strip()
        company = recipient.get("company")
        if company:
            # A company's contract (ADR 35): the company, then the address told.
            recipient_facts = [
                _fact(
                    gettext("Company"),
                    company_label(name=company["name"], number=company["enterprise_number"]),
                ),
                _fact(gettext("E-mail address"), recipient["email"]),
            ]
        else:
            recipient_facts = [
                _fact(gettext("Name"), name),
                _fact(gettext("E-mail address"), recipient["email"]),
            ]
        if recipient["phone"]:
            recipient_facts.append(_fact(gettext("Mobile phone"), recipient["phone"]))
        if recipient["national_number"]:
            recipient_facts.append(
                _fact(
                    gettext("National register number"),
                    national_number_format(recipient["national_number"]),
                )
            )

        documents = evidence["documents"]
        document_facts = [
            _fact(
                gettext("Original sent by the sender (%(bytes)d bytes)")
                % {"bytes": documents["original"]["bytes"]},
                documents["original"]["sha256"],
                mono=True,
            ),
            _fact(
                gettext("Document to sign, sealed by Paraph")
                if documents["to_sign"]["sealed_by_paraph"]
                else gettext("Document to sign"),
                documents["to_sign"]["sha256"],
                mono=True,
            ),
            _fact(gettext("Signed document"), documents["signed"]["sha256"], mono=True)
            if documents["signed"]
            else _fact(gettext("Signed document"), gettext("not signed")),
        ]

        signature = evidence["signature"]
        signature_facts = []
        if signature["method"]:
            signature_facts = [
                *_company_signer_facts(signature),
                _fact(gettext("Signed with"), str(SigningMethod(signature["method"]).label)),
                _fact(gettext("Signed on"), _moment(signature["signed_at"])),
                _fact(
                    gettext("Mandate"),
                    signature["mandate"] or pgettext("mandate", "none (signed with the eID card)"),
                ),
            ]

        names = event_names()
        events = []
        for event in evidence["events"]:
            lines = [
                gettext("By: %(who)s; IP address: %(ip)s")
                % {"who": event["actor"] or "Paraph", "ip": event["ip"] or "-"}
            ]
            if "email_delivery" in event:
                lines.append(
                    gettext("Message: %(words)s")
                    % {"words": _delivery_words(event["email_delivery"])}
                )
            events.append(
                {
                    "at": _moment(event["at"]),
                    "name": names.get(event["event"], event["event"]),
                    "lines": lines,
                    "browser": gettext("Browser: %(agent)s") % {"agent": event["user_agent"]}
                    if event["user_agent"]
                    else "",
                    "details": _details(event["details"]),
                }
            )

        return {
            "language": language,
            "title": gettext("Evidence of a contract signed online"),
            "drawn_up": gettext("Drawn up by Paraph on %(time)s (Brussels time).")
            % {"time": _moment(evidence["generated_at"])},
            "contract_heading": gettext("The contract"),
            "contract_facts": contract_facts,
            "recipient_heading": gettext("Recipient, as the sender gave them:"),
            "recipient_facts": recipient_facts,
            "documents_heading": gettext("The documents (SHA-256)"),
            "document_facts": document_facts,
            "signature_heading": gettext("The signature"),
            "signature_facts": signature_facts,
            "not_signed": gettext("The contract has not been signed."),
            "events_heading": gettext("What happened (times in Brussels time)"),
            "events_columns": (gettext("When"), gettext("Event")),
            "events": events,
            "audit_heading": gettext("The audit log"),
            "audit_intro": gettext(
                "The same events are in Paraph's audit log. Each line: number, event, time, and "
                "the event's hash (SHA-256, RFC 9162 leaf)."
            ),
            "audit_chain": [
                {
                    "number": f"#{entry['id']}",
                    "event": entry["event"],
                    "at": _moment(entry["at"]),
                    "hash": entry["hash"],
                    "place": proofs.get(entry["id"], {}).get("place"),
                    "path": proofs.get(entry["id"], {}).get("proof", {}).get("path", []),
                }
                for entry in evidence["audit_chain"]
            ],
            "checkpoint_intro": (
                gettext(
                    "The log's sealed checkpoint of %(size)s events, time-stamped %(at)s, has the "
                    "Merkle root (RFC 9162) below. Under each event: its place in the tree and "
                    "the hashes that prove it is there (`paraph audit-prove` prints them as JSON; "
                    "`paraph audit-verify` checks the whole log)."
                )
                % {"size": checkpoint["size"], "at": _moment(checkpoint["sealed_at"])}
                if checkpoint
                else gettext(
                    "No sealed checkpoint covers these events yet (one is made every minute or "
                    "so): download this report again later to get their proofs."
                )
            ),
            "checkpoint_root": checkpoint["root"] if checkpoint else "",
            "place_label": gettext("place"),
            "closing": gettext(
                "This document is sealed by Paraph: any change to it breaks the seal. Check it "
                "at %(url)s or with `paraph verify`."
            )
            % {"url": f"{settings.BASE_URL}/verify/"},
            "footer": gettext("Paraph - evidence of contract %(id)s - page {page} of {pages}")
            % {"id": c["id"]},
        }


def evidence_pdf_render(*, contract: Contract, language: str) -> bytes:
    """The evidence of ``contract`` as an unsealed PDF/A-3b, in ``language``
    (one of Paraph's, else the site's), on as many pages as it takes."""
    context = evidence_context(contract=contract, language=language)
    return pdf_typeset(
        template=TEMPLATE,
        context=context,
        language=context["language"],
        footer=context["footer"],
    )


def contract_evidence_pdf(
    *,
    contract: Contract,
    language: str,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
) -> bytes:
    """The evidence PDF of ``contract`` in ``language``, sealed by Paraph
    (certified: no later change allowed), and its download audited. Raises
    :class:`~paraph.signing.exceptions.SigningError` when the seal is
    unavailable."""
    from paraph.signing.services import seal_apply

    document = evidence_pdf_render(contract=contract, language=language)
    sealed = seal_apply(
        document=document,
        document_ref=f"evidence:{contract.public_id}",
        language=language if language in Language.values else None,
        placement=engine.Placement(page=-1, box=SEAL_BOX),
        options=engine.SignOptions(
            certify=True, docmdp=engine.DocMdp.NO_CHANGES, reason="Paraph evidence"
        ),
        context=context,
    )
    contract_download_record(
        contract=contract, what="evidence_pdf", actor=actor, api_key=api_key, context=context
    )
    return sealed


def evidence_pdf_response(contract: Contract, data: bytes) -> HttpResponse:
    """``data`` as a PDF download named after the contract."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="evidence-{contract.public_id}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
