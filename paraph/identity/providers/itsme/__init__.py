"""itsme (OpenID Connect): the provider (``provider.py``), its sandbox
(``sandbox.py``), Paraph's client keys and JWKS (``jwks.py``), and the JWKS
page (``views.py``, ``urls.py``)."""

from paraph.identity.providers.itsme.provider import ItsmeProvider

__all__ = ["ItsmeProvider"]
