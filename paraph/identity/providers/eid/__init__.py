"""The Belgian eID card through Web eID: the provider (``provider.py``), the
Web eID token validator (``webeid.py``), the sandbox's virtual cards
(``sandbox.py``), and the card's pages: the challenge, the sandbox reader and
its OCSP responder (``views.py``, ``urls.py``)."""

from paraph.identity.providers.eid.provider import EidProvider

__all__ = ["EidProvider"]
