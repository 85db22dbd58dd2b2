"""An IDnow result as Paraph reads it (:class:`IdnowPayload`), and Paraph's
own checks of its identity document (:func:`idnow_document_check`):
document accepted for its country (RG-12), not expired, MRZ check digits
(ICAO 9303) when IDnow returns the MRZ, and the names, birth date, number
and expiry the MRZ carries equal to what IDnow identified. Also the keyed
hash that names a document blocked after a confirmed fraud, and what the
person reads for each refusal."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from paraph.identity.models import IdnowResult
from paraph.identity.providers.idnow.documents import accepted_documents
from paraph.identity.providers.idnow.mrz import Mrz, MrzError, mrz_parse, mrz_transliterate

# What the person reads when their identification did not succeed.
REFUSAL_MESSAGES = {
    "incomplete_data": _(
        "IDnow did not return all the data we need (names, birth date, document). Please try again."
    ),
    "document_not_accepted": _(
        "This identity document is not on the list of accepted documents. "
        "Please try again with an accepted document."
    ),
    "document_expired": _(
        "Your identity document has expired. Please try again with a valid document."
    ),
    "mrz_invalid": _(
        "The machine-readable zone of your document could not be verified. "
        "Please try again, or call the contact centre."
    ),
    "name_mismatch": _(
        "The name on your document does not match the name that was identified. "
        "Please call the contact centre."
    ),
    "birth_date_mismatch": _(
        "The birth date on your document does not match the one that was identified. "
        "Please call the contact centre."
    ),
    "document_number_mismatch": _(
        "The document number could not be confirmed. Please call the contact centre."
    ),
    "expiry_mismatch": _(
        "The expiry date of your document could not be confirmed. Please call the contact centre."
    ),
    IdnowResult.FRAUD_SUSPICION_CONFIRMED: _(
        "IDnow could not confirm your identity. Please call the contact centre."
    ),
    # True, and no help to whoever tries a document found fraudulent: it
    # says neither why nor since when.
    "document_blocked": _(
        "This identity document cannot be used to register online. Please call the contact centre."
    ),
    IdnowResult.CANCELED: _("The identification was cancelled before it ended. You can try again."),
    IdnowResult.ABORTED: _(
        "The identification was interrupted before it ended. You can try again."
    ),
}
# The refusals a new attempt may fix; the others need the contact centre.
RETRY_HELPS = frozenset(
    {"incomplete_data", "document_not_accepted", "document_expired", "mrz_invalid"}
    | {IdnowResult.CANCELED, IdnowResult.ABORTED}
)


class IdnowPayloadError(ValueError):
    """A result that is not IDnow's JSON, or misses what identifies it."""


# --- The result payload --------------------------------------------------------


def _value(data: Any, *keys: str) -> str:
    """IDnow wraps values: ``{"firstname": {"value": "Anna", "status": "MATCH"}}``."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    if isinstance(data, dict):
        data = data.get("value")
    return "" if data is None else str(data).strip()


@dataclass(frozen=True)
class IdnowPayload:
    """What Paraph reads of IDnow's result JSON."""

    result: str
    transaction_number: str
    ident_id: str
    company_id: str
    reason: str
    firstname: str
    lastname: str
    birthday: str
    nationality: str
    document_type: str
    document_number: str
    document_country: str
    valid_until: str
    mrz: tuple[str, ...]
    email: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, data: Any) -> IdnowPayload:
        """Refuses (:class:`IdnowPayloadError`) anything without an
        ``identificationprocess`` naming a known result and a transaction."""
        if not isinstance(data, dict) or not isinstance(data.get("identificationprocess"), dict):
            raise IdnowPayloadError("no identificationprocess in the result")
        process = data["identificationprocess"]
        result = str(process.get("result") or "").strip().upper()
        if result not in IdnowResult.values or result == IdnowResult.CREATED:
            raise IdnowPayloadError(f"unknown result {result[:40]!r}")
        txn = str(process.get("transactionnumber") or "").strip()
        if not txn or len(txn) > 64:
            raise IdnowPayloadError("no transaction number in the result")
        document = data.get("identificationdocument") or {}
        mrz = document.get("mrz") if isinstance(document, dict) else None
        if isinstance(mrz, dict):
            mrz = mrz.get("value")
        if isinstance(mrz, str):
            lines = tuple(line for line in mrz.splitlines() if line.strip())
        elif isinstance(mrz, list):
            lines = tuple(str(line) for line in mrz if str(line).strip())
        else:
            lines = ()
        return cls(
            result=result,
            transaction_number=txn,
            ident_id=str(process.get("id") or "").strip()[:64],
            company_id=str(process.get("companyid") or "").strip(),
            reason=str(process.get("reason") or "").strip()[:200],
            firstname=_value(data, "userdata", "firstname"),
            lastname=_value(data, "userdata", "lastname"),
            birthday=_value(data, "userdata", "birthday"),
            nationality=_value(data, "userdata", "nationality").upper(),
            document_type=_value(document, "type"),
            document_number=_value(document, "number"),
            document_country=_value(document, "country").upper(),
            valid_until=_value(document, "validuntil"),
            mrz=lines,
            email=_value(data, "contactdata", "email"),
            raw=data,
        )


def without_images(data: Any) -> Any:
    """The result as kept: no attachments, no long blobs (images, PDFs)."""
    if isinstance(data, dict):
        return {
            key: without_images(value)
            for key, value in data.items()
            if key not in {"attachments", "documents", "images"}
        }
    if isinstance(data, list):
        return [without_images(value) for value in data]
    if isinstance(data, str) and len(data) > 2000:
        return "[removed: too long]"
    return data


# --- Checks of the document ----------------------------------------------------


@dataclass(frozen=True)
class DocumentCheck:
    """``code`` is empty when every check passed; ``reason`` says which
    check failed and why, in English, for the audit log and staff."""

    ok: bool
    code: str
    reason: str
    data: dict[str, Any]


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _spellings(value: str) -> tuple[str, ...]:
    """A name as written, and spelt out the German and Nordic way (Müller
    -> Mueller), since an MRZ may use either."""
    spelt = value
    for letter, spelling in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("å", "aa"), ("ø", "oe")):
        spelt = spelt.replace(letter, spelling).replace(letter.upper(), spelling.upper())
    return (value, spelt)


def _words(value: str) -> list[str]:
    return [word for word in mrz_transliterate(value).split("<") if word]


def _names_agree(zone_value: str, identified: str, *, truncated: bool, given: bool) -> bool:
    """The MRZ's surname (or given names) against IDnow's, compared the
    way the MRZ writes names (accents dropped, fillers ignored). A full
    name field may have cut the names short; for given names, one list
    may stop early (IDnow's first given name, the MRZ's all of them), but
    the words they share must be the same."""
    zone_words = zone_value.split()
    zone = "".join(zone_words)
    if not zone and not given:
        return False  # a zone without a surname proves nothing
    for spelling in _spellings(identified):
        words = _words(spelling)
        joined = "".join(words)
        if zone == joined or (truncated and joined.startswith(zone)):
            return True
        shortest = min(len(words), len(zone_words))
        if given and shortest and words[:shortest] == zone_words[:shortest]:
            return True
    return False


def _payload_problem(
    payload: IdnowPayload,
    documents: Any,
    doc_type: str,
    birthday: dt.date | None,
    valid_until: dt.date | None,
) -> tuple[str, str] | None:
    """What is missing or refused in IDnow's data itself, as (code, reason)."""
    if not (payload.firstname or payload.lastname) or birthday is None:
        return "incomplete_data", "IDnow returned no name or no valid birth date"
    if not payload.document_country or not payload.document_type:
        return "incomplete_data", "IDnow returned no document type or country"
    if not documents.accepts(payload.document_country, doc_type):
        return (
            "document_not_accepted",
            f"{payload.document_type} from {payload.document_country} is not on the list "
            "of accepted documents",
        )
    if payload.valid_until and valid_until is None:
        return "incomplete_data", f"the expiry date {payload.valid_until[:20]!r} is not a date"
    return None


def _mrz_problem(
    zone: Mrz,
    payload: IdnowPayload,
    birthday: dt.date | None,
    valid_until: dt.date | None,
    today: dt.date,
) -> tuple[str, str] | None:
    """Where the MRZ disagrees with the date, the person or the document
    IDnow identified, as (code, reason)."""
    if zone.expiry_date is not None and zone.expiry_date < today:
        return "document_expired", f"the MRZ says the document expired on {zone.expiry_date}"
    if valid_until and zone.expiry_date and zone.expiry_date != valid_until:
        return (
            "expiry_mismatch",
            f"the MRZ's expiry {zone.expiry_date} differs from IDnow's {valid_until}",
        )
    if not _names_agree(
        zone.surname, payload.lastname, truncated=zone.names_truncated, given=False
    ):
        return "name_mismatch", "the MRZ's surname differs from the identified one"
    if not _names_agree(
        zone.given_names, payload.firstname, truncated=zone.names_truncated, given=True
    ):
        return "name_mismatch", "the MRZ's given names differ from the identified ones"
    if zone.birth_date is not None and zone.birth_date != birthday:
        return (
            "birth_date_mismatch",
            f"the MRZ's birth date {zone.birth_date} differs from the identified {birthday}",
        )
    number = re.sub(r"[^A-Z0-9]", "", payload.document_number.upper())
    if number and number != zone.document_number:
        return "document_number_mismatch", "the MRZ's document number differs from IDnow's"
    return None


def idnow_document_check(payload: IdnowPayload, *, today: dt.date) -> DocumentCheck:
    """Paraph's checks of a successful identification's document, in this
    order: the data needed is there; the document is accepted for its
    country (RG-12); it has not expired; its MRZ, when IDnow returns one,
    passes every ICAO 9303 check digit, has the format of the document's
    type, and agrees with the identified person (surname, given names,
    birth date) and the document (number, expiry)."""
    documents = accepted_documents()
    doc_type = documents.type_from_idnow(payload.document_type) or ""
    data: dict[str, Any] = {
        "type": doc_type or payload.document_type,
        "number": payload.document_number,
        "country": payload.document_country,
        "valid_until": payload.valid_until,
        "mrz": list(payload.mrz),
    }

    def refuse(code: str, reason: str) -> DocumentCheck:
        return DocumentCheck(False, code, reason, data)

    birthday = _date(payload.birthday)
    valid_until = _date(payload.valid_until)
    problem = _payload_problem(payload, documents, doc_type, birthday, valid_until)
    if problem is not None:
        return refuse(*problem)
    zone: Mrz | None = None
    if payload.mrz:
        try:
            zone = mrz_parse(payload.mrz, today=today)
        except MrzError as exc:
            return refuse("mrz_invalid", f"MRZ, {exc.field}: {exc.message}")
        data["mrz_format"] = zone.format
        if zone.format not in documents.mrz_formats.get(doc_type, ()):
            return refuse(
                "mrz_invalid",
                f"a {zone.format} MRZ does not belong to a {doc_type.replace('_', ' ')}",
            )
    expiry = valid_until or (zone.expiry_date if zone else None)
    if expiry is None:
        return refuse("incomplete_data", "neither IDnow nor the MRZ gives an expiry date")
    if expiry < today:
        return refuse("document_expired", f"the document expired on {expiry.isoformat()}")
    if zone is not None:
        problem = _mrz_problem(zone, payload, birthday, valid_until, today)
        if problem is not None:
            return refuse(*problem)
    return DocumentCheck(True, "", "", data)


# --- Documents blocked after a confirmed fraud ------------------------------------

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def idnow_document_key(
    *, country: str, document_type: str, number: str, secret: str | bytes | None = None
) -> str:
    """The keyed hash (HMAC-SHA256 with the secret key, or ``secret``) that
    stands for an identity document: its country, type and number, upper
    case, without spaces or separators. Empty when the number is unknown."""
    parts = [_NOT_ALNUM.sub("", value.upper()) for value in (country, document_type, number)]
    if not parts[2]:
        return ""
    return salted_hmac(
        "paraph.identity.idnow.document", "|".join(parts), secret=secret, algorithm="sha256"
    ).hexdigest()


def payload_document_key(payload: IdnowPayload, secret: str | bytes | None = None) -> str:
    return idnow_document_key(
        country=payload.document_country,
        document_type=payload.document_type,
        number=payload.document_number,
        secret=secret,
    )
