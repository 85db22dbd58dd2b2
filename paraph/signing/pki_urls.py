"""Paraph's public PKI addresses (mounted at /pki/): the signing CA's CRL,
whose address is written into every person certificate, so it must never
move."""

from django.urls import path

from paraph.signing import views

app_name = "pki"
urlpatterns = [
    path("signing-ca.crl", views.signing_ca_crl, name="signing_ca_crl"),
]
