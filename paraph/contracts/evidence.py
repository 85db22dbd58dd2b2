"""The evidence PDF of a contract: what :func:`~paraph.contracts.selectors.contract_evidence`
holds (the contract, the hashes of its three files, every event with its
time, IP address and browser, the e-mail's delivery, the signing method and
mandate, the audit events with their hashes), written for people in the
reader's language and sealed by Paraph (certified, no later change
allowed), so that ``paraph verify`` and any PDF reader show it is intact.

The PDF is written here with the PDF standard fonts (Helvetica, Courier)
and the metrics of :mod:`paraph.signing.stamplayout`: no PDF library and
no font file. Nothing is stored: each download is made from the evidence
as it is at that moment.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from paraph.accounts.models import Language, Person
from paraph.contracts.inputs import BRUSSELS
from paraph.contracts.models import Contract, ContractStatus, SigningMethod
from paraph.contracts.samplepdf import escape_string, pdf_file
from paraph.contracts.selectors import contract_evidence
from paraph.contracts.services import contract_download_record
from paraph.core.belgium import national_number_format
from paraph.senders.models import ApiKey
from paraph.signing import engine, stamplayout

PAGE_WIDTH, PAGE_HEIGHT = 595.0, 842.0  # A4
MARGIN = 56.0
TOP = PAGE_HEIGHT - MARGIN
# Room left at the bottom of every page: the seal is drawn there on the last.
BOTTOM = 112.0
SEAL_BOX = (PAGE_WIDTH - MARGIN - 200.0, 40.0, PAGE_WIDTH - MARGIN, 96.0)
_FONTS = {"regular": b"F1", "bold": b"F2", "mono": b"F3"}


# --- A small PDF writer -----------------------------------------------------------


def _width(encoded: bytes, size: float, font: str) -> float:
    if font == "mono":
        return len(encoded) * 0.6 * size
    return stamplayout.text_width(encoded, size, bold=font == "bold")


def _wrap(text: str, *, font: str, size: float, width: float) -> list[bytes]:
    """``text`` in WinAnsi bytes, cut into lines no wider than ``width``:
    at spaces, and inside a word longer than a line (a hash, a browser)."""
    lines: list[bytes] = []
    for paragraph in (text or "").split("\n"):
        current = b""
        for word in stamplayout.to_winansi(paragraph).split(b" "):
            candidate = current + b" " + word if current else word
            if _width(candidate, size, font) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = b""
            while _width(word, size, font) > width:
                cut = len(word)
                while cut > 1 and _width(word[:cut], size, font) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return lines


@dataclass
class _Page:
    ops: list[bytes]


class TextDocument:
    """Pages of text written top to bottom, a new page when one is full."""

    def __init__(self) -> None:
        self.pages: list[_Page] = []
        self.y = 0.0
        self._new_page()

    def _new_page(self) -> None:
        self.pages.append(_Page(ops=[]))
        self.y = TOP

    def _line(self, raw: bytes, *, font: str, size: float, x: float) -> None:
        if self.y - size < BOTTOM:
            self._new_page()
        self.y -= size * 1.3
        self.pages[-1].ops.append(
            b"BT /%s %.1f Tf %.2f %.2f Td (%s) Tj ET"
            % (_FONTS[font], size, x, self.y, escape_string(raw))
        )

    def text(
        self, text: str, *, font: str = "regular", size: float = 9.5, indent: float = 0.0
    ) -> None:
        x = MARGIN + indent
        for raw in _wrap(text, font=font, size=size, width=PAGE_WIDTH - MARGIN - x):
            self._line(raw, font=font, size=size, x=x)

    def pair(self, label: str, value: str, *, mono: bool = False, indent: float = 0.0) -> None:
        """``label: value``, the value in Courier when ``mono`` (hashes)."""
        if not mono:
            self.text(f"{label}: {value}", indent=indent)
            return
        self.text(f"{label}:", indent=indent)
        self.text(value, font="mono", size=8.0, indent=indent + 12.0)

    def heading(self, text: str) -> None:
        if self.y - 60 < BOTTOM:
            self._new_page()
        self.space(6)
        self.text(text, font="bold", size=12.0)
        self.space(2)

    def space(self, points: float) -> None:
        self.y -= points

    def render(self, footer: str) -> bytes:
        """The PDF: a catalog, the page tree, three fonts, then each page
        and its content stream; ``footer`` (with ``{page}`` and ``{pages}``)
        at the foot of every page."""
        fonts = [
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
            b"/Encoding /WinAnsiEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
        ]
        count = len(self.pages)
        first_page = 3 + len(fonts)  # objects 1: catalog, 2: pages, 3-5: fonts
        kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(count))
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
            *fonts,
        ]
        for number, page in enumerate(self.pages, start=1):
            foot = stamplayout.to_winansi(footer.format(page=number, pages=count))
            ops = [
                *page.ops,
                b"BT /F1 7.5 Tf %.2f 24 Td (%s) Tj ET" % (MARGIN, escape_string(foot)),
            ]
            stream = zlib.compress(b"\n".join(ops))
            content_ref = first_page + 2 * (number - 1) + 1
            objects.append(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
                b"/Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> "
                b"/Contents %d 0 R >>" % (int(PAGE_WIDTH), int(PAGE_HEIGHT), content_ref)
            )
            objects.append(
                b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
                + stream
                + b"\nendstream"
            )
        return pdf_file(objects)


# --- The evidence, in words ------------------------------------------------------------


def _event_names() -> dict[str, str]:
    return {
        "created": gettext("Created by the sender"),
        "sent": gettext("Sent to the recipient"),
        "link_used": gettext("Link in the message followed"),
        "opened": gettext("Opened by the recipient"),
        "viewed": gettext("Contract shown to the recipient"),
        "code_sent": gettext("One-time code sent"),
        "code_verified": gettext("One-time code verified"),
        "code_failed": gettext("Wrong one-time code typed"),
        "eid_certificate_checked": gettext("eID card certificate checked"),
        "signature_prepared": gettext("Signature prepared"),
        "signed": gettext("Signed"),
        "refused": gettext("Refused by the recipient"),
        "revoked": gettext("Withdrawn by the sender"),
        "expired": gettext("Deadline passed: not signed"),
        "superseded": gettext("Replaced by a new version"),
        "recipient_moved": gettext("Moved into the recipient's merged adminbox"),
        "downloaded_by_recipient": gettext("Downloaded by the recipient"),
        "archive_renewed": gettext("New document time-stamp added (archive renewal)"),
    }


def _moment(value: str | dt.datetime | None) -> str:
    if not value:
        return "-"
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return timezone.localtime(moment, BRUSSELS).strftime("%d/%m/%Y %H:%M:%S")


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


def evidence_pdf_render(*, contract: Contract, language: str) -> bytes:
    """The evidence of ``contract`` as an unsealed PDF, in ``language``."""
    if language not in Language.values:
        language = settings.LANGUAGE_CODE
    evidence = contract_evidence(contract=contract)
    doc = TextDocument()
    with translation.override(language):
        c, sender, recipient = (
            evidence["contract"],
            evidence["sender"],
            evidence["recipient_as_sent"],
        )
        doc.text(gettext("Evidence of a contract signed online"), font="bold", size=16.0)
        doc.text(
            gettext("Drawn up by Paraph on %(time)s (Brussels time).")
            % {"time": _moment(evidence["generated_at"])}
        )

        doc.heading(gettext("The contract"))
        doc.pair(gettext("Title"), c["title"])
        doc.pair(gettext("Identifier"), c["id"])
        version = str(c["version"])
        if c["supersedes"]:
            version += " " + gettext("(replaces %(id)s)") % {"id": c["supersedes"]}
        doc.pair(gettext("Version"), version)
        if c["external_reference"]:
            doc.pair(gettext("Sender's reference"), c["external_reference"])
        doc.pair(gettext("Status"), str(ContractStatus(c["status"]).label))
        doc.pair(gettext("Start of work"), _moment(c["start_of_work"]))
        doc.pair(gettext("Signing deadline"), _moment(c["signing_deadline"]))
        doc.pair(
            gettext("Sender"),
            f"{sender['name']} ({gettext('enterprise number')} {sender['enterprise_number']})",
        )
        doc.text(gettext("Recipient, as the sender gave them:"))
        name = f"{recipient['first_name']} {recipient['last_name']}".strip()
        doc.pair(gettext("Name"), name, indent=12.0)
        doc.pair(gettext("E-mail address"), recipient["email"], indent=12.0)
        if recipient["phone"]:
            doc.pair(gettext("Mobile phone"), recipient["phone"], indent=12.0)
        if recipient["national_number"]:
            doc.pair(
                gettext("National register number"),
                national_number_format(recipient["national_number"]),
                indent=12.0,
            )

        doc.heading(gettext("The documents (SHA-256)"))
        documents = evidence["documents"]
        doc.pair(
            gettext("Original sent by the sender (%(bytes)d bytes)")
            % {"bytes": documents["original"]["bytes"]},
            documents["original"]["sha256"],
            mono=True,
        )
        doc.pair(
            gettext("Document to sign, sealed by Paraph")
            if documents["to_sign"]["sealed_by_paraph"]
            else gettext("Document to sign"),
            documents["to_sign"]["sha256"],
            mono=True,
        )
        if documents["signed"]:
            doc.pair(gettext("Signed document"), documents["signed"]["sha256"], mono=True)
        else:
            doc.pair(gettext("Signed document"), gettext("not signed"))

        doc.heading(gettext("The signature"))
        signature = evidence["signature"]
        if signature["method"]:
            doc.pair(gettext("Signed with"), str(SigningMethod(signature["method"]).label))
            doc.pair(gettext("Signed on"), _moment(signature["signed_at"]))
            doc.pair(
                gettext("Mandate"),
                signature["mandate"] or pgettext("mandate", "none (signed with the eID card)"),
            )
        else:
            doc.text(gettext("The contract has not been signed."))

        doc.heading(gettext("What happened (times in Brussels time)"))
        names = _event_names()
        for event in evidence["events"]:
            doc.space(3)
            doc.text(
                f"{_moment(event['at'])}  {names.get(event['event'], event['event'])}",
                font="bold",
                size=9.5,
            )
            who = event["actor"] or "Paraph"
            doc.text(
                gettext("By: %(who)s; IP address: %(ip)s") % {"who": who, "ip": event["ip"] or "-"},
                indent=12.0,
            )
            if event["user_agent"]:
                doc.text(
                    gettext("Browser: %(agent)s") % {"agent": event["user_agent"]},
                    indent=12.0,
                    size=8.5,
                )
            if "email_delivery" in event:
                doc.text(
                    gettext("Message: %(words)s")
                    % {"words": _delivery_words(event["email_delivery"])},
                    indent=12.0,
                )
            details = _details(event["details"])
            if details:
                doc.text(details, font="mono", size=7.5, indent=12.0)

        doc.heading(gettext("The audit chain"))
        doc.text(
            gettext(
                "The same events are in Paraph's hash-chained audit log; `paraph audit-verify` "
                "checks the chain. Each line: number, event, time, hash."
            )
        )
        for entry in evidence["audit_chain"]:
            doc.text(
                f"#{entry['id']} {entry['event']} {_moment(entry['at'])}", size=8.5, indent=12.0
            )
            doc.text(entry["hash"], font="mono", size=7.0, indent=24.0)

        doc.space(8)
        doc.text(
            gettext(
                "This document is sealed by Paraph: any change to it breaks the seal. Check it "
                "at %(url)s or with `paraph verify`."
            )
            % {"url": f"{settings.BASE_URL}/verify/"},
            size=8.5,
        )
        footer = gettext("Paraph - evidence of contract %(id)s - page {page} of {pages}") % {
            "id": c["id"]
        }
    return doc.render(footer)


def contract_evidence_pdf(
    *,
    contract: Contract,
    language: str,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    request: HttpRequest | None = None,
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
        request=request,
    )
    contract_download_record(
        contract=contract, what="evidence_pdf", actor=actor, api_key=api_key, request=request
    )
    return sealed


def evidence_pdf_response(contract: Contract, data: bytes) -> HttpResponse:
    """``data`` as a PDF download named after the contract."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="evidence-{contract.public_id}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
