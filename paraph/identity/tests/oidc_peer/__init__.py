"""The itsme test peer: npm's ``oidc-provider`` configured like itsme
(``server.js``), started on loopback by the ``itsme_peer`` fixture
(``peer.py``)."""
