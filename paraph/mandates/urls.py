"""The mandate and password signing, under /adminbox/ (namespace
``mandates``)."""

from django.urls import path

from paraph.mandates import eid_views, views

app_name = "mandates"

urlpatterns = [
    path("mandate/", views.start, name="start"),
    path("mandate/renew/", views.renew, name="renew"),
    path("mandate/code/", views.code, name="code"),
    path("mandate/code/resend/", views.code_resend, name="code_resend"),
    path("mandate/eid/", eid_views.eid, name="eid"),
    path("mandate/eid/prepare/", eid_views.eid_prepare, name="eid_prepare"),
    path("mandate/eid/finish/", eid_views.eid_finish, name="eid_finish"),
    path("mandate/password/", views.password, name="password"),
    path("mandate/password/check/", views.password_check, name="password_check"),
    path("mandate/done/", views.done, name="done"),
    path("mandate/revoke/", views.revoke, name="revoke"),
    path("mandate/<uuid:public_id>/pdf/", views.document, name="document"),
    path("contract/<uuid:public_id>/sign/password/", views.sign_password, name="sign_password"),
    # the page after a signature, whatever signed (the password or the card)
    path("contract/<uuid:public_id>/signed/", views.signed, name="signed"),
    path("sign/batch/", views.sign_batch, name="sign_batch"),
    path("sign/batch/done/", views.batch_done, name="batch_done"),
]
