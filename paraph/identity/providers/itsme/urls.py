"""itsme's page on Paraph's side, added to the "identity" namespace (mounted
at the site's root) by ``paraph.identity.urls``."""

from django.urls import URLPattern, path

from paraph.identity.providers.itsme import views as itsme_views

urlpatterns: list[URLPattern] = [
    path(".well-known/jwks.json", itsme_views.jwks, name="itsme_jwks"),
]
