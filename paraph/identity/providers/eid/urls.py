"""The eID card's own pages, added to the "identity" namespace by
``paraph.identity.urls``. The token is posted to ``identity:eid_authenticate``
(the registration flow's ``complete`` view)."""

from django.urls import URLPattern, path

from paraph.identity.providers.eid import views as eid_views

urlpatterns: list[URLPattern] = [
    path("register/eid/", eid_views.eid_page, name="eid_register_page"),
    path("identity/eid/", eid_views.eid_page, name="eid_page"),
    path("identity/eid/challenge/", eid_views.eid_challenge, name="eid_challenge"),
    # The sandbox's virtual card reader and its CA's OCSP responder (404
    # outside sandbox mode).
    path("identity/sandbox/eid/sign/", eid_views.sandbox_sign, name="eid_sandbox_sign"),
    path(
        "identity/sandbox/eid/signing-certificate/",
        eid_views.sandbox_signing_certificate,
        name="eid_sandbox_signing_certificate",
    ),
    path(
        "identity/sandbox/eid/sign-hash/", eid_views.sandbox_sign_hash, name="eid_sandbox_sign_hash"
    ),
    path("identity/sandbox/eid/unblock/", eid_views.sandbox_unblock, name="eid_sandbox_unblock"),
    path("identity/sandbox/eid/ocsp/", eid_views.sandbox_ocsp, name="eid_sandbox_ocsp"),
]
