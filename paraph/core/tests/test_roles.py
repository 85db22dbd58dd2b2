"""The back office's roles are declared once (core/roles.py) and synced
after every migrate and flush: every database, a test database emptied
between transactional tests included, holds the same groups with the same
permissions, and a permission added to a role by hand does not stay."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from paraph.core.roles import AGENTS, OPERATORS, ROLES, roles_sync


def _codenames(name: str) -> set[tuple[str, str]]:
    return {
        (p.content_type.app_label, p.codename)
        for p in Group.objects.get(name=name).permissions.select_related("content_type")
    }


def _declared(name: str) -> set[tuple[str, str]]:
    return {
        (label, f"{action}_{model}")
        for (label, model), actions in ROLES[name].items()
        for action in actions
    }


@pytest.mark.django_db(transaction=True)
def test_a_flushed_test_database_has_the_roles_as_declared():
    # a transactional test's database was flushed before it: the roles came
    # back with the post_migrate sync, not with the migrations
    for name in (AGENTS, OPERATORS):
        assert _codenames(name) == _declared(name)
    assert ("identity", "view_customerrecord") in _codenames(AGENTS)
    assert ("notifications", "requeue_outboundmessage") in _codenames(OPERATORS)


@pytest.mark.django_db
def test_a_permission_given_to_a_role_by_hand_is_taken_back_at_the_next_sync():
    agents = Group.objects.get(name=AGENTS)
    agents.permissions.add(Permission.objects.get(codename="delete_person"))
    Group.objects.filter(name=OPERATORS).delete()

    roles_sync()

    assert _codenames(AGENTS) == _declared(AGENTS)
    assert ("accounts", "delete_person") not in _codenames(AGENTS)
    assert _codenames(OPERATORS) == _declared(OPERATORS)
