"""The back office's roles, declared once: each staff group and the
permissions it holds, by app label and model name (no import of the apps
that own the models: ``core`` is the ground floor).

They are synced after every ``migrate`` and every flush (Django's
``post_migrate`` signal), so a fresh database, an upgraded one and a test
database emptied between transactional tests hold the same roles. The code
is the reference: a permission added to one of these groups by hand in the
back office is taken away at the next sync (give it to a person, or declare
it here). Superusers need no group."""

from __future__ import annotations

from typing import Any

AGENTS = "Contact centre agents"
OPERATORS = "Operators"

ROLES: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    # People, their identities and tickets (RG-2); never delete a person,
    # never grant back-office access (only a superuser does, PersonAdmin).
    AGENTS: {
        ("accounts", "person"): ("view", "add", "change"),
        ("support", "ticket"): ("view", "change"),
        ("audit", "auditevent"): ("view",),
        ("identity", "customerrecord"): ("view", "add", "change"),
        ("identity", "clientreference"): ("view", "add", "change", "delete"),
        ("identity", "identitylink"): ("view",),
        ("identity", "eidcertificate"): ("view",),
        ("identity", "registrationattempt"): ("view",),
        ("identity", "idnowidentification"): ("view",),
        # Lift a document's block after a confirmed IDnow fraud, with a reason.
        ("identity", "idnowdocumentblock"): ("view", "change"),
        ("signing", "personsigningkey"): ("view", "change"),
        # Companies (CO-1, CO-2): decide the correction requests of the
        # companies no intermediary serves; intermediaries (they hold
        # back-office access) are managed by a superuser.
        ("companies", "registeredcompany"): ("view",),
        ("companies", "companyuser"): ("view",),
        ("companies", "correctionrequest"): ("view", "change"),
        ("companies", "intermediary"): ("view",),
        # CO-5: record a company's legal representatives after checking its
        # documents; designate a representative for a company without a
        # reachable one (with a reason), withdraw a designation.
        ("companies", "legalrepresentative"): ("view", "add", "delete"),
        ("companies", "representativechange"): ("view", "add"),
    },
    # Outgoing work: read it, requeue what was given up or is stuck (ADR 25);
    # no person's file.
    OPERATORS: {
        ("notifications", "outboundmessage"): ("view", "requeue"),
        ("senders", "webhookdelivery"): ("view", "requeue"),
        ("scheduling", "scheduledjob"): ("view",),
        ("audit", "auditevent"): ("view",),
    },
}


def roles_sync(*, using: str = "default", **_kwargs: Any) -> None:
    """Each role's group, with exactly the permissions declared above."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    labels = {label for grants in ROLES.values() for label, _model in grants}
    for label in labels:
        create_permissions(apps.get_app_config(label), verbosity=0, using=using)
    for name, grants in ROLES.items():
        wanted = Q(pk__in=[])
        for (label, model), actions in grants.items():
            codenames = [f"{action}_{model}" for action in actions]
            wanted |= Q(content_type__app_label=label, codename__in=codenames)
        permissions = list(Permission.objects.using(using).filter(wanted))
        expected = sum(len(actions) for actions in grants.values())
        if len(permissions) != expected:
            raise LookupError(
                f"role {name!r}: {expected} permissions declared, {len(permissions)} exist"
            )
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(permissions)


def after_migrate(sender: Any, **kwargs: Any) -> None:
    """``post_migrate`` is sent once per app: sync once, after the last."""
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if with_models and sender is with_models[-1]:
        roles_sync(using=kwargs.get("using", "default"))
