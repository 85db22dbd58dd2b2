"""The sender back office at ``/sender/`` and the "interested? contact us"
page (ES-14): the pages of a sender's staff (contracts sent one by one or in
bulk, their state, evidence and downloads; the team, API keys and webhook
endpoints).

A floor above ``contracts`` and ``senders`` (docs/architecture.md,
"Floors"): these pages call contracts' services, while ``senders`` (the
organisations, their staff, keys and webhooks) sits below ``contracts``,
which announces its events through it. Templates and static files stay in
the ``senders`` app (``senders/templates/senders/``); URL names keep the
``senders`` namespace.
"""
