"""Paraph's public JWK Set for itsme, at /.well-known/jwks.json (routed by
``itsme_urls``). itsme's callback needs no page of its own: it is the
registration flow's ``identity:itsme_callback`` (``views.complete``), which
calls :meth:`ItsmeProvider.complete`."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from paraph.identity.providers.itsme import jwks as client_keys


@require_GET
@cache_control(public=True, max_age=300)
def jwks(request: HttpRequest) -> JsonResponse:
    """Paraph's public keys for itsme: one signing and one encryption key
    (and, after a rotation, the retired ones until their grace period ends)."""
    return JsonResponse(client_keys.public_jwks(), content_type="application/jwk-set+json")
