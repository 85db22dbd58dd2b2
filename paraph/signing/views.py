"""Public pages of the signing app: the signature verification page
(/verify/) and the signing CA's CRL (/pki/signing-ca.crl)."""

from __future__ import annotations

import io
import logging
import math
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.http import http_date
from django.utils.translation import gettext, ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from paraph.core.context import Context
from paraph.core.http import client_ip
from paraph.core.ratelimit import ratelimit_hit
from paraph.signing.exceptions import DocumentRejected, SigningError
from paraph.signing.forms import VerifyForm
from paraph.signing.selectors import signature_report, signing_crl_current
from paraph.signing.services import crl_due, signing_crl_refresh

log = logging.getLogger(__name__)

# Checks per client address and hour: enough for a person or a sender,
# not for using Paraph as a free validation service.
VERIFY_RATE_LIMIT = 30
VERIFY_RATE_WINDOW_SECONDS = 3600


class _InMemoryUpload(FileUploadHandler):
    """Keeps the uploaded file in memory, never on disk, and stops reading
    at ``limit`` bytes (``too_large`` is then set)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large = False
        self._buffer = io.BytesIO()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        self._buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self._buffer.seek(0)
        return InMemoryUploadedFile(
            file=self._buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def _refused(field: str | None, message: str) -> VerifyForm:
    """An empty form carrying only ``message`` (the upload was not read)."""
    form = VerifyForm(data={}, files=MultiValueDict())
    form.is_valid()
    form.errors.clear()
    form.add_error(field, message)
    return form


def _limit_mb() -> str:
    return f"{settings.SIGNING_MAX_PDF_BYTES / (1024 * 1024):g}"


def _rejection(exc: DocumentRejected) -> str:
    """What a person reads when their file cannot be checked."""
    messages = {
        "empty": gettext("The file is empty (0 bytes): choose the signed PDF document."),
        "too_large": gettext(
            "The file is larger than %(limit)s MB, the largest document this page checks."
        )
        % {"limit": _limit_mb()},
        "not_pdf": gettext(
            "This file is not a PDF document. Only PDF documents can carry the signatures "
            "this page checks."
        ),
        "truncated": gettext(
            "This PDF is incomplete: it was probably cut off while it was downloaded or "
            "copied. Choose the complete file."
        ),
        "encrypted": gettext(
            "This PDF is protected with a password, so its signatures cannot be checked. "
            "Choose a copy without password protection."
        ),
    }
    return messages.get(
        exc.code, gettext("This PDF is damaged and cannot be read, so it cannot be checked.")
    )


@csrf_exempt  # the upload handler must be set before CSRF reads the body...
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone uploads a PDF and reads the report on its signatures. Nothing
    uploaded is stored: the file is read in memory and dropped."""
    request.upload_handlers = [_InMemoryUpload(request, settings.SIGNING_MAX_PDF_BYTES)]
    return _verify(request)


@csrf_protect  # ...and CSRF is checked here, as for every form
def _verify(request: HttpRequest) -> HttpResponse:
    status = 200
    report = None
    if request.method != "POST":
        form = VerifyForm()
    else:
        form = VerifyForm(request.POST, request.FILES)
        upload = request.upload_handlers[0]
        limit = ratelimit_hit(
            scope="signing.verify.ip",
            key=client_ip(request) or "unknown",
            limit=VERIFY_RATE_LIMIT,
            window_seconds=VERIFY_RATE_WINDOW_SECONDS,
        )
        if not limit.allowed:
            minutes = max(1, math.ceil(limit.retry_after / 60))
            form = _refused(
                None,
                ngettext(
                    "You have checked many documents in a short time. Please try again "
                    "in %(minutes)d minute.",
                    "You have checked many documents in a short time. Please try again "
                    "in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
            )
            status = 429
        elif isinstance(upload, _InMemoryUpload) and upload.too_large:
            form = _refused("document", _rejection(DocumentRejected("", code="too_large")))
            status = 413
        elif form.is_valid():
            try:
                report = signature_report(form.cleaned_data["document"].read())
            except DocumentRejected as exc:
                form.add_error("document", _rejection(exc))
                status = 422
        else:
            status = 422
    return render(
        request,
        "signing/verify.html",
        {"form": form, "report": report, "limit_mb": _limit_mb()},
        status=status,
    )


@require_safe
def signing_ca_crl(request: HttpRequest) -> HttpResponse:
    """The current CRL (DER), published anew when it is a day old."""
    crl = signing_crl_current()
    if crl is None or crl_due(crl, timezone.now()):
        try:
            crl = signing_crl_refresh(context=Context.from_request(request))
        except SigningError:
            log.exception("the signing CA's CRL cannot be published")
            if crl is None or crl.next_update <= timezone.now():
                return HttpResponse(
                    "The revocation list is unavailable.", status=503, content_type="text/plain"
                )
    response = HttpResponse(bytes(crl.der), content_type="application/pkix-crl")
    response["Content-Disposition"] = 'inline; filename="signing-ca.crl"'
    response["Last-Modified"] = http_date(crl.this_update.timestamp())
    # Short: a retired key must be seen revoked soon, by validators that cache.
    response["Cache-Control"] = "public, max-age=300"
    return response
