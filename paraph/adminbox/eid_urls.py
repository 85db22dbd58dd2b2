"""Signing a contract with the eID card (added to the ``adminbox``
namespace by ``paraph.adminbox.urls``)."""

from django.urls import URLPattern, path

from paraph.adminbox import eid_views

urlpatterns: list[URLPattern] = [
    path("contract/<uuid:public_id>/sign/eid/", eid_views.sign_eid, name="sign_eid"),
    path(
        "contract/<uuid:public_id>/sign/eid/prepare/",
        eid_views.sign_eid_prepare,
        name="sign_eid_prepare",
    ),
    path(
        "contract/<uuid:public_id>/sign/eid/finish/",
        eid_views.sign_eid_finish,
        name="sign_eid_finish",
    ),
]
