"""IDnow's pages, added to the "identity" namespace by ``identity/urls.py``."""

from django.urls import URLPattern, path

from paraph.identity.providers.idnow import views

urlpatterns: list[URLPattern] = [
    path("register/idnow/documents/", views.idnow_documents, name="idnow_documents"),
    path("register/idnow/start/", views.idnow_start, name="idnow_start"),
    path("register/idnow/return/", views.idnow_return, name="idnow_return"),
    path("register/idnow/status/", views.idnow_status, name="idnow_status"),
    path("register/idnow/status.json", views.idnow_status_json, name="idnow_status_json"),
    path("register/idnow/continue/", views.idnow_continue, name="idnow_continue"),
    path("register/idnow/webhook/", views.idnow_webhook, name="idnow_webhook"),
    # The sandbox IDnow (answers 404 outside sandbox mode)
    path("register/idnow/sandbox/", views.idnow_sandbox, name="idnow_sandbox"),
    path("register/idnow/sandbox/decide/", views.idnow_sandbox_decide, name="idnow_sandbox_decide"),
]
