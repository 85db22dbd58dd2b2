"""Signing housekeeping, run by the task worker or from cron through
``paraph signing-purge`` and ``paraph signing-crl`` (both idempotent)."""

from __future__ import annotations

from django_tasks import task

from paraph.signing.services import prepared_eid_signatures_purge, signing_crl_refresh


@task()
def prepared_eid_signatures_purge_task() -> int:
    """Delete expired prepared eID signatures; returns how many."""
    return prepared_eid_signatures_purge()


@task()
def signing_crl_refresh_task() -> int:
    """Publish a new CRL of the signing CA when the current one is a day
    old; returns the number of the CRL now served."""
    return signing_crl_refresh().number
