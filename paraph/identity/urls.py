"""Registration, identity log-in, regaining access; the providers' pages.

Mounted at the site's root (``paraph/urls.py``), so the paths read as
/register/..., /identity/....
"""

from django.urls import URLPattern, URLResolver, path

from paraph.identity import views
from paraph.identity.methods import only_when_enabled
from paraph.identity.providers.eid import urls as eid_urls
from paraph.identity.providers.idnow import urls as idnow_urls
from paraph.identity.providers.itsme import urls as itsme_urls

app_name = "identity"
urlpatterns: list[URLPattern | URLResolver] = [
    # Registration (RG-1 to RG-10)
    path("register/", views.register, name="register"),
    path("register/start/<str:method>/", views.register_start, name="register_start"),
    path("register/match/", views.register_match, name="register_match"),
    path("register/contact-centre/", views.register_blocked, name="register_blocked"),
    path("register/already-registered/", views.register_already, name="register_already"),
    path("register/phone/", views.register_phone, name="register_phone"),
    path("register/phone/code/", views.register_phone_code, name="register_phone_code"),
    path("register/phone/resend/", views.register_phone_resend, name="register_phone_resend"),
    path("register/email/", views.register_email, name="register_email"),
    path("register/email/code/", views.register_email_code, name="register_email_code"),
    path("register/email/resend/", views.register_email_resend, name="register_email_resend"),
    path("register/cancel/", views.register_cancel, name="register_cancel"),
    # A new phone number (LG-4)
    path("register/new-phone/", views.new_phone, name="new_phone"),
    path("register/new-phone/start/<str:method>/", views.new_phone_start, name="new_phone_start"),
    path(
        "register/new-phone/contact-centre/",
        views.new_phone_contact_centre,
        name="new_phone_contact_centre",
    ),
    path("register/new-phone/number/", views.new_phone_number, name="new_phone_number"),
    path("register/new-phone/code/", views.new_phone_code, name="new_phone_code"),
    # Every provider's callback ends here, whatever the flow.
    path("identity/<str:method>/complete/", views.complete, name="complete"),
    # The same view under the names the provider modules reverse.
    path("identity/itsme/callback/", views.complete, {"method": "itsme"}, name="itsme_callback"),
    path("identity/eid/authenticate/", views.complete, {"method": "eid"}, name="eid_authenticate"),
    # Log-in and step-up with a provider; a new e-mail address (LG-3)
    path("identity/login/<str:method>/", views.login_start, name="login_start"),
    path("identity/step-up/<str:method>/", views.step_up_start, name="step_up_start"),
    path("identity/email/", views.email_change, name="email_change"),
    path("identity/email/code/", views.email_change_code, name="email_change_code"),
    # The sandbox itsme (answers 404 outside sandbox mode)
    *only_when_enabled(
        "itsme", [path("identity/sandbox/itsme/", views.sandbox_itsme, name="sandbox_itsme")]
    ),
]

# The provider modules' own pages (the eID challenge and virtual reader,
# itsme's JWKS, IDnow's webhook and document list), in the "identity"
# namespace. Imported by name: a module that goes missing stops the start
# with an ImportError instead of silently dropping its routes.
# A method switched off (PARAPH_IDENTITY_METHODS) answers 404 on its pages;
# the eID's challenge and sandbox reader stay, for signing with the card.
_eid_identity_pages = {"eid_register_page", "eid_page"}
urlpatterns += (
    only_when_enabled("itsme", list(itsme_urls.urlpatterns))
    + only_when_enabled("eid", [p for p in eid_urls.urlpatterns if p.name in _eid_identity_pages])
    + [p for p in eid_urls.urlpatterns if p.name not in _eid_identity_pages]
    + only_when_enabled("idnow", list(idnow_urls.urlpatterns))
)
