"""Expired prepared eID signatures are purged, by the task and by
``paraph signing-purge`` (for cron)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from paraph.audit.models import AuditEvent
from paraph.signing import services
from paraph.signing.models import PreparedEidSignature
from paraph.signing.tasks import prepared_eid_signatures_purge_task
from paraph.signing.tests.cards import card_sign

NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)


@pytest.fixture
def jan(person_factory, signing_settings):
    return person_factory(first_name="Jan", last_name="Peeters", national_number="85073003328")


def _prepare(pki, jan, contract, ref):
    return services.eid_signature_prepare(
        person=jan, document=contract, document_ref=ref, certificate=pki.cert_der("jan-sign")
    )


def test_task_deletes_only_expired_prepared_signatures(pki, jan, contract):
    with time_machine.travel(NOW, tick=False):
        old = _prepare(pki, jan, contract, "c1")
        finished = _prepare(pki, jan, contract, "c2")
        value = card_sign(pki.private_key("jan-sign"), finished.digest, finished.hash_function)
        services.eid_signature_finish(
            person=jan, prepared_id=finished.prepared_id, document_ref="c2", signature_value=value
        )
    with time_machine.travel(NOW + timedelta(minutes=9), tick=False):
        fresh = _prepare(pki, jan, contract, "c3")

    with time_machine.travel(NOW + timedelta(minutes=10, seconds=1), tick=False):
        deleted = prepared_eid_signatures_purge_task.call()

    assert deleted == 2
    remaining = {str(pk) for pk in PreparedEidSignature.objects.values_list("pk", flat=True)}
    assert remaining == {fresh.prepared_id}
    assert old.prepared_id not in remaining
    assert AuditEvent.objects.get(name="signing.eid.purged").data == {"deleted": 2}


def test_command_for_cron(pki, jan, contract, capsys):
    with time_machine.travel(NOW, tick=False):
        _prepare(pki, jan, contract, "c1")
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        call_command("signing-purge")
        assert "deleted 1 expired" in capsys.readouterr().out
        call_command("signing-purge")  # nothing left: nothing recorded
        assert "deleted 0 expired" in capsys.readouterr().out
    assert not PreparedEidSignature.objects.exists()
    assert AuditEvent.objects.filter(name="signing.eid.purged").count() == 1
