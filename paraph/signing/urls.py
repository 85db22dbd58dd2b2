"""The public signature verification page (mounted at /verify/)."""

from django.urls import path

from paraph.signing import views

app_name = "signing"
urlpatterns = [
    path("", views.verify, name="verify"),
]
