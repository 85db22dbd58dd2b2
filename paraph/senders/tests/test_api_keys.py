"""API keys: shown once, stored as a keyed hash, scoped, revocable, with
their last use recorded without a write per request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from paraph.audit.models import AuditEvent
from paraph.senders.models import ApiKey
from paraph.senders.services import api_key_authenticate, api_key_create, api_key_revoke

pytestmark = pytest.mark.django_db


def test_a_key_is_shown_once_and_only_its_hmac_is_kept(sender, staff):
    key, token = api_key_create(sender=sender, name="HR", scopes=["contracts:read"], actor=staff)

    prefix, secret = token.removeprefix("paraph_").split(".")
    assert key.prefix == prefix and key.display_prefix == f"paraph_{prefix}"
    assert len(secret) >= 43  # 256 bits
    stored = ApiKey.objects.get(pk=key.pk)
    assert secret not in stored.secret_hash and len(stored.secret_hash) == 64
    event = AuditEvent.objects.get(name="senders.apikey.created")
    assert token not in str(event.data) and secret not in str(event.data)
    assert api_key_authenticate(token=token) == key


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t.replace("paraph_", "paraph_x", 1),
        lambda t: t.split(".")[0],
        lambda t: "",
        lambda t: "Bearer " + t,
    ],
    ids=["wrong-secret", "wrong-prefix", "no-secret", "empty", "garbage"],
)
def test_anything_but_the_exact_key_is_refused(sender, mangle):
    _key, token = api_key_create(sender=sender, name="HR", scopes=["contracts:read"], actor=None)
    assert api_key_authenticate(token=mangle(token)) is None


def test_a_revoked_key_or_a_key_of_a_deactivated_sender_stops_working(sender, staff):
    key, token = api_key_create(sender=sender, name="HR", scopes=["contracts:read"], actor=None)
    _other, other_token = api_key_create(
        sender=sender, name="B", scopes=["contracts:read"], actor=None
    )

    api_key_revoke(key=key, actor=staff)
    api_key_revoke(key=key, actor=staff)  # twice: one event
    assert api_key_authenticate(token=token) is None
    assert AuditEvent.objects.filter(name="senders.apikey.revoked").count() == 1

    sender.is_active = False
    sender.save(update_fields=["is_active"])
    assert api_key_authenticate(token=other_token) is None


def test_scopes_must_be_known_and_at_least_one(sender):
    with pytest.raises(ValidationError):
        api_key_create(sender=sender, name="HR", scopes=[], actor=None)
    with pytest.raises(ValidationError):
        api_key_create(sender=sender, name="HR", scopes=["contracts:delete"], actor=None)


def test_last_use_is_written_at_most_once_a_minute(sender, clock, django_assert_num_queries):
    key, token = api_key_create(sender=sender, name="HR", scopes=["contracts:read"], actor=None)

    with django_assert_num_queries(2):  # the lookup, and the first use
        api_key_authenticate(token=token)
    clock.shift(30)
    with django_assert_num_queries(1):  # the lookup only
        api_key_authenticate(token=token)
    clock.shift(dt.timedelta(seconds=31))
    with django_assert_num_queries(2):
        api_key_authenticate(token=token)
    key.refresh_from_db()
    assert key.last_used_at is not None
