"""The adminbox's pages, under /adminbox/ (namespace ``adminbox``).

Card signing (``eid_urls``) and merging adminboxes and evidence
(``merge_urls``) live in modules of their own and share the namespace."""

from django.urls import path

from paraph.adminbox import eid_urls, merge_urls, views

app_name = "adminbox"

urlpatterns: list = [
    path("", views.tasks, name="tasks"),
    path("documents/", views.documents, name="documents"),
    path("preferences/", views.preferences, name="preferences"),
    # The two links of a contract's e-mail (contracts.services.access_link_url).
    path("activate/<str:token>/", views.activate, name="activate"),
    path("contracts/<str:token>/", views.contract_link, name="contract_link"),
    path("activation/phone/", views.activation_phone, name="activation_phone"),
    path("activation/code/", views.activation_code, name="activation_code"),
    path("activation/code/resend/", views.activation_resend, name="activation_resend"),
    path("contract/<uuid:public_id>/", views.contract_view, name="contract"),
    path(
        "contract/<uuid:public_id>/page/<int:number>.png",
        views.contract_page_image,
        name="page",
    ),
    path("contract/<uuid:public_id>/download/", views.download, name="download"),
    path("contract/<uuid:public_id>/report/", views.report, name="report"),
    path("contract/<uuid:public_id>/refuse/", views.refuse, name="refuse"),
]
urlpatterns += eid_urls.urlpatterns
urlpatterns += merge_urls.urlpatterns
