"""Merging adminboxes (ES-12), the short links of SMS announcements (ES-9)
and the evidence PDF; included by ``paraph.adminbox.urls`` (namespace
``adminbox``)."""

from django.urls import path

from paraph.adminbox import evidence_views, merge_views

urlpatterns: list = [
    path("merge/", merge_views.merge_request, name="merge_request"),
    path("merge/done/", merge_views.merge_done, name="merge_done"),
    path("merge/<str:token>/", merge_views.merge_link, name="merge_link"),
    path("l/<str:code>/", merge_views.short_link, name="short"),
    path(
        "contract/<uuid:public_id>/evidence.pdf",
        evidence_views.evidence_pdf,
        name="evidence",
    ),
]
