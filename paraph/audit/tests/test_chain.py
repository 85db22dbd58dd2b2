import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from paraph.audit.models import AuditEvent, AuditLogIsAppendOnly
from paraph.audit.services import audit_record, audit_verify_chain

pytestmark = pytest.mark.django_db


def _three_events(person):
    return [
        audit_record(name="accounts.login.succeeded", actor=person, subject=person, data={"n": i})
        for i in range(3)
    ]


def test_each_event_links_to_the_one_before(person):
    first, second, third = _three_events(person)
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert audit_verify_chain() is None


def test_an_unregistered_event_name_is_refused(person):
    with pytest.raises(ValueError, match="unregistered"):
        audit_record(name="accounts.login.typo", actor=person)


def test_events_cannot_be_changed_or_deleted_through_the_model(person):
    event, *_ = _three_events(person)
    event.data = {"n": 99}
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()


def test_a_row_edited_in_the_database_is_named_by_audit_verify(person, capsys):
    _first, second, _third = _three_events(person)
    AuditEvent.objects.filter(pk=second.pk).update(data={"n": 42})
    with pytest.raises(CommandError, match=f"broken at event {second.pk}: its content"):
        call_command("audit-verify")


def test_a_deleted_row_is_named_by_audit_verify(person):
    _first, second, third = _three_events(person)
    AuditEvent.objects.filter(pk=second.pk)._raw_delete(AuditEvent.objects.db)
    with pytest.raises(CommandError, match=f"broken at event {third.pk}: its link"):
        call_command("audit-verify")


def test_removing_the_newest_event_is_detected(person):
    *_, third = _three_events(person)
    AuditEvent.objects.filter(pk=third.pk)._raw_delete(AuditEvent.objects.db)
    broken = audit_verify_chain()
    assert broken is not None and broken.event_id == third.pk


def test_an_intact_chain_passes(person, capsys):
    _three_events(person)
    call_command("audit-verify")
    assert "audit chain intact: 3 events" in capsys.readouterr().out
