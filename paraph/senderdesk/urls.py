"""The sender back office, mounted at /sender/, and the ES-14 contact page."""

from django.urls import path

from paraph.senderdesk import views

app_name = "senders"
urlpatterns = [
    path("", views.home, name="home"),
    path("choose/", views.choose, name="choose"),
    path("contact/", views.contact, name="contact"),
    path("contact/sent/", views.contact_sent, name="contact_sent"),
    path("contracts/new/", views.contract_new, name="contract_new"),
    path("contracts/<uuid:contract_id>/", views.contract_detail, name="contract_detail"),
    path(
        "contracts/<uuid:contract_id>/revoke/",
        views.contract_revoke_view,
        name="contract_revoke",
    ),
    path(
        "contracts/<uuid:contract_id>/reoffer/",
        views.contract_reoffer_view,
        name="contract_reoffer",
    ),
    path(
        "contracts/<uuid:contract_id>/evidence.json",
        views.contract_evidence_view,
        name="contract_evidence",
    ),
    path(
        "contracts/<uuid:contract_id>/evidence.pdf",
        views.contract_evidence_pdf_view,
        name="contract_evidence_pdf",
    ),
    path(
        "contracts/<uuid:contract_id>/<slug:what>.pdf",
        views.contract_file,
        name="contract_file",
    ),
    path("bulk/", views.bulk_new, name="bulk"),
    path("bulk/<uuid:batch_id>/", views.bulk_detail, name="bulk_detail"),
    path("bulk/<uuid:batch_id>/progress.json", views.bulk_progress, name="bulk_progress"),
    path("keys/", views.keys, name="keys"),
    path("keys/<int:key_id>/revoke/", views.key_revoke, name="key_revoke"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<uuid:endpoint_id>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<uuid:endpoint_id>/ping/", views.webhook_ping, name="webhook_ping"),
    path("webhooks/<uuid:endpoint_id>/toggle/", views.webhook_toggle, name="webhook_toggle"),
    path(
        "webhooks/deliveries/<uuid:delivery_id>/replay/",
        views.webhook_replay,
        name="webhook_replay",
    ),
]
