"""The back office's base admin class: every staff action is in the audit log.

Django's admin keeps its own history (``LogEntry``), which staff with the
right permission can edit or delete. :class:`AuditedModelAdmin` writes the
same actions to Paraph's append-only, hash-chained audit log as well:
``backoffice.object.added``, ``backoffice.object.changed`` (with the changed
fields, and their old and new values unless the field is secret) and
``backoffice.object.deleted``, naming the staff member and the object, in
the transaction that makes the change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.db import models, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from paraph.audit.registry import register_events
from paraph.audit.services import audit_record
from paraph.core.context import Context

# Registered here rather than from an AppConfig: these events exist exactly
# when the admin is loaded, and Django's admin imports this module at start.
BACKOFFICE_EVENTS = {
    "backoffice.object.added": _("A staff member added an object in the back office"),
    "backoffice.object.changed": _("A staff member changed an object in the back office"),
    "backoffice.object.deleted": _("A staff member deleted an object in the back office"),
}
register_events(BACKOFFICE_EVENTS)

_ModelT = TypeVar("_ModelT", bound=models.Model)

# Never written to the audit log by value, whatever the model.
ALWAYS_SECRET_FIELDS = frozenset({"password", "code_hash", "secret", "token", "session_data"})
# The attribute on a saved object that holds its form's changes until the admin
# logs them; an app's admin that audits a change itself reads it too.
CHANGES_ATTR = "_paraph_backoffice_changes"


def _loggable(value: Any) -> Any:
    """A value as the audit log's JSON can hold it, readable by a person."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _loggable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_loggable(v) for v in value]
    if isinstance(value, QuerySet | set | frozenset):
        return sorted(str(_loggable(v)) for v in value)
    return str(value)


class AuditedModelAdmin(admin.ModelAdmin[_ModelT]):
    """A ``ModelAdmin`` whose additions, changes and deletions are audited.

    ``audit_secret_fields`` names fields whose change is logged by name
    only, never by value.
    """

    audit_secret_fields: frozenset[str] = frozenset()

    def _is_secret(self, name: str) -> bool:
        return name in ALWAYS_SECRET_FIELDS or name in self.audit_secret_fields

    def _form_changes(self, form: forms.BaseForm, *, change: bool) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name in form.changed_data:
            if self._is_secret(name):
                changes[name] = {"secret": True}
                continue
            new = _loggable(form.cleaned_data.get(name))
            if not change:
                changes[name] = {"new": new}
                continue
            old = form.initial.get(name)
            field = form.fields.get(name)
            # A model form's initial value of a foreign key is its primary key.
            if (
                isinstance(field, forms.ModelChoiceField)
                and not isinstance(field, forms.ModelMultipleChoiceField)
                and field.queryset is not None
                and old is not None
                and not isinstance(old, models.Model)
            ):
                old = field.queryset.model._default_manager.filter(pk=old).first() or old
            changes[name] = {"old": _loggable(old), "new": new}
        return changes

    def save_model(self, request: HttpRequest, obj: _ModelT, form: Any, change: bool) -> None:
        # Kept on the instance (one per request), read back by log_addition
        # and log_change, which Django calls after saving.
        setattr(obj, CHANGES_ATTR, self._form_changes(form, change=change))
        super().save_model(request, obj, form, change)

    def _audit(self, request: HttpRequest, name: str, obj: models.Model, **data: Any) -> None:
        audit_record(
            name=name,
            actor=request.user,  # type: ignore[arg-type]
            subject=obj,
            data={"model": obj._meta.label_lower, **data},
            context=Context.from_request(request),
        )

    def log_addition(self, request: HttpRequest, obj: _ModelT, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        changes = getattr(obj, CHANGES_ATTR, {})
        self._audit(
            request, "backoffice.object.added", obj, fields=sorted(changes), changes=changes
        )
        return entry

    def log_change(self, request: HttpRequest, obj: _ModelT, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        changes = getattr(obj, CHANGES_ATTR, None)
        if changes is None:
            # A change made outside the change form: keep Django's own words.
            self._audit(request, "backoffice.object.changed", obj, message=_loggable(message))
        else:
            self._audit(
                request,
                "backoffice.object.changed",
                obj,
                fields=sorted(changes),
                changes=changes,
            )
        return entry

    def log_history(self, request: HttpRequest, obj: _ModelT, message: str) -> None:
        """Note an action in the object's admin history only: for actions
        whose service already wrote their own audit event."""
        admin.ModelAdmin.log_change(self, request, obj, message)

    def delete_model(self, request: HttpRequest, obj: _ModelT) -> None:
        with transaction.atomic(using=router.db_for_write(self.model)):
            self._audit(request, "backoffice.object.deleted", obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[_ModelT]) -> None:
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset:
                self._audit(request, "backoffice.object.deleted", obj)
            super().delete_queryset(request, queryset)
