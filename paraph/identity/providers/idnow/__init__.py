"""IDnow (video or photo identification, asynchronous): the provider
(``provider.py``) and its sandbox (``sandbox.py``), the HTTP client
(``client.py``), the identification's states and results (``services.py``),
the polling that backs up the webhook (``tasks.py``), the accepted documents
(``documents.py``), the machine-readable zone (``mrz.py``), and its pages
(``views.py``, ``urls.py``)."""

from paraph.identity.providers.idnow.provider import IdnowProvider

__all__ = ["IdnowProvider"]
