from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Paraph — back office")
admin.site.site_title = _("Paraph back office")

urlpatterns = [
    path("", include("paraph.web.urls")),
    path("account/", include("paraph.accounts.urls")),
    path("messages/", include("paraph.notifications.urls")),
    path("support/", include("paraph.support.urls")),
    # A person's companies: registration, corrections (CO-1, CO-2)
    path("company/", include("paraph.companies.urls")),
    # /register/... and /identity/... (registration, identity providers)
    path("", include("paraph.identity.urls")),
    path("verify/", include("paraph.signing.urls")),
    path("pki/", include("paraph.signing.pki_urls")),
    path("sender/", include("paraph.senderdesk.urls")),
    # The person's adminbox (ES-5) and their mandate for password signing (ES-7)
    path("adminbox/", include("paraph.mandates.urls")),
    path("adminbox/", include("paraph.adminbox.urls")),
    path("api/", include("paraph.api.urls")),
    # Outgoing messages and webhook deliveries, one page (before the admin's
    # own URLs, which would take /backoffice/outgoing/ for an app's index)
    path("backoffice/outgoing/", include("paraph.operations.urls")),
    path("backoffice/", admin.site.urls),
]
if settings.SANDBOX:
    urlpatterns.append(path("sandbox/", include("paraph.notifications.sandbox_urls")))
else:
    # The page names stay resolvable so templates render; the pages answer 404.
    urlpatterns.append(path("sandbox/", include("paraph.notifications.urls_disabled")))

handler400 = "paraph.web.views.bad_request"
handler403 = "paraph.web.views.permission_denied"
handler404 = "paraph.web.views.page_not_found"
handler500 = "paraph.web.views.server_error"
