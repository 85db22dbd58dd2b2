"""Contracts, from a sender's PDF to a signed document with its evidence.

The states and their rules are in docs/contracts.md (after FLOWS.md,
"Contract"); every transition is one service of
:mod:`paraph.contracts.services` that writes one :class:`ContractEvent`
(the evidence trail) and one audit event.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from paraph.core.belgium import enterprise_number_format
from paraph.core.moments import moment_stamp


class ContractStatus(models.TextChoices):
    # Not the "created" of a date column ("créé le"): a state of its own.
    CREATED = "created", pgettext_lazy("contract status", "created")
    SENT = "sent", _("sent")
    OPENED = "opened", _("opened")
    SIGNED = "signed", _("signed")
    REFUSED = "refused", _("refused")
    REVOKED = "revoked", _("revoked")
    NOT_SIGNED = "not_signed", _("not signed in time")
    SUPERSEDED = "superseded", _("replaced by a new version")


# Which state may follow which (FLOWS.md, "Contract"). A state not listed
# as a key is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    ContractStatus.CREATED: frozenset(
        {
            ContractStatus.SENT,
            ContractStatus.REVOKED,
            ContractStatus.SUPERSEDED,
            ContractStatus.NOT_SIGNED,
        }
    ),
    ContractStatus.SENT: frozenset(
        {
            ContractStatus.OPENED,
            ContractStatus.SIGNED,
            ContractStatus.REFUSED,
            ContractStatus.REVOKED,
            ContractStatus.NOT_SIGNED,
            ContractStatus.SUPERSEDED,
        }
    ),
    ContractStatus.OPENED: frozenset(
        {
            ContractStatus.SIGNED,
            ContractStatus.REFUSED,
            ContractStatus.REVOKED,
            ContractStatus.NOT_SIGNED,
            ContractStatus.SUPERSEDED,
        }
    ),
}
# The recipient may still sign in these states (before the deadline).
SIGNABLE = frozenset({ContractStatus.SENT, ContractStatus.OPENED})
FINAL = frozenset(set(ContractStatus.values) - set(TRANSITIONS))


class SigningMethod(models.TextChoices):
    EID = "eid", _("eID card")
    PASSWORD = "password", _("password under a mandate")


def _upload_to(instance: Contract, filename: str) -> str:
    return f"contracts/{instance.sender_id}/{instance.public_id}/{filename}"


class Contract(models.Model):
    """One version of a contract for one recipient.

    ``original_pdf`` is what the sender uploaded; ``document_pdf`` is what
    the recipient signs (the original certified by Paraph's seal, with an
    empty signature field ``signature_field`` at the sender's placement; the
    original itself when sealing is off); ``signed_pdf`` is the document
    signed by the recipient. Each file's SHA-256 is kept beside it. The
    recipient's data is kept as the sender sent it, whatever the person's
    account says later."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sender = models.ForeignKey(
        "senders.Sender",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("sender"),
    )
    # A person's contract: that person. A company's contract (ADR 35): None,
    # and the company's enterprise number below; its adminbox shows it.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("recipient"),
    )
    recipient_company_number = models.CharField(
        _("recipient company's enterprise number"), max_length=10, blank=True, default=""
    )
    recipient_company_name = models.CharField(
        _("recipient company's name"), max_length=320, blank=True, default=""
    )
    title = models.CharField(_("title"), max_length=200)
    external_reference = models.CharField(_("sender's reference"), max_length=100, blank=True)
    # The recipient as the sender described them.
    recipient_first_name = models.CharField(_("recipient's first name"), max_length=150)
    recipient_last_name = models.CharField(_("recipient's last name"), max_length=150)
    recipient_email = models.EmailField(_("recipient's e-mail address"), max_length=254)
    recipient_phone = models.CharField(_("recipient's mobile phone"), max_length=20, blank=True)
    recipient_national_number = models.CharField(  # noqa: DJ001 - NULL when not given
        _("recipient's national register number"), max_length=11, null=True, blank=True
    )
    language = models.CharField(_("language of the messages"), max_length=2)

    original_pdf = models.FileField(_("original PDF"), upload_to=_upload_to, max_length=300)
    original_sha256 = models.CharField(_("SHA-256 of the original"), max_length=64)
    original_size = models.PositiveBigIntegerField(_("size of the original (bytes)"))
    document_pdf = models.FileField(_("document to sign"), upload_to=_upload_to, max_length=300)
    document_sha256 = models.CharField(_("SHA-256 of the document to sign"), max_length=64)
    sealed = models.BooleanField(_("sealed by Paraph"), default=False)
    signature_field = models.CharField(_("signature field"), max_length=100, blank=True)
    placement_page = models.SmallIntegerField(_("signature page"), default=-1)
    placement_box = models.JSONField(_("signature box"), null=True, blank=True)

    start_of_work = models.DateTimeField(_("start of work"))
    deadline = models.DateTimeField(_("signing deadline"), db_index=True)

    version = models.PositiveIntegerField(_("version"), default=1)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("replaces"),
    )

    status = models.CharField(
        _("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.CREATED
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    signed_pdf = models.FileField(_("signed PDF"), upload_to=_upload_to, max_length=300, blank=True)
    signed_sha256 = models.CharField(_("SHA-256 of the signed PDF"), max_length=64, blank=True)
    # When the certificate of the signed PDF's newest document time-stamp
    # ends: archive renewal is due before then (None: not known yet, or no
    # document time-stamp; the daily run reads the file once and says).
    archive_expires_at = models.DateTimeField(
        _("newest document time-stamp ends"), null=True, blank=True
    )
    signing_method = models.CharField(
        _("signing method"), max_length=10, choices=SigningMethod.choices, blank=True
    )
    mandate_ref = models.CharField(  # noqa: DJ001 - NULL until a password signature
        _("mandate"), max_length=100, null=True, blank=True
    )
    # Who signed (the recipient, or the person who signed for the company)
    # and, for a company, their role at that moment.
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signed by"),
    )
    signer_role = models.CharField(_("role of the signer"), max_length=20, blank=True, default="")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    api_key = models.ForeignKey(
        "senders.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created with API key"),
    )
    batch = models.ForeignKey(
        "contracts.BulkBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
        verbose_name=_("bulk send"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [
            models.Index(fields=["sender", "-created_at"], name="contract_sender_created"),
            models.Index(fields=["sender", "status"], name="contract_sender_status"),
            models.Index(fields=["sender", "external_reference"], name="contract_sender_ref"),
            models.Index(fields=["recipient", "status"], name="contract_recipient_status"),
            models.Index(fields=["status", "deadline"], name="contract_status_deadline"),
            # the daily archive renewal: the signed contracts due, not all
            models.Index(fields=["status", "archive_expires_at"], name="contract_archive_due"),
            # the metrics: the contracts that ended in each state lately
            models.Index(fields=["status", "status_changed_at"], name="contract_status_changed"),
            models.Index(
                fields=["recipient_company_number", "status"], name="contract_company_status"
            ),
        ]
        constraints = [
            # A person or a company, never both, never neither.
            models.CheckConstraint(
                condition=(Q(recipient__isnull=False) & Q(recipient_company_number=""))
                | (Q(recipient__isnull=True) & ~Q(recipient_company_number="")),
                name="contract_person_or_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version}, {self.public_id})"

    @property
    def for_company(self) -> bool:
        return bool(self.recipient_company_number)

    @property
    def recipient_name(self) -> str:
        """The person's name, or the company's with its enterprise number."""
        if self.recipient_company_number:
            return gettext("%(company)s (enterprise number %(number)s)") % {
                "company": self.recipient_company_name,
                "number": enterprise_number_format(self.recipient_company_number),
            }
        return f"{self.recipient_first_name} {self.recipient_last_name}".strip()

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    def deadline_passed(self, now: object = None) -> bool:
        return (now or timezone.now()) >= self.deadline  # type: ignore[operator]

    @property
    def document_ref(self) -> str:
        """How the signing engine's records name this contract's document."""
        return f"contract:{self.public_id}"


def event_names() -> dict[str, str]:
    """Each evidence step's name in words, in the active language: the
    evidence report, the sender's contract history."""
    return {
        "created": gettext("Created by the sender"),
        "sent": gettext("Sent to the recipient"),
        "link_used": gettext("Link in the message followed"),
        "opened": gettext("Opened by the recipient"),
        "viewed": gettext("Contract shown to the recipient"),
        "code_sent": gettext("One-time code sent"),
        "code_verified": gettext("One-time code verified"),
        "code_failed": gettext("Wrong one-time code typed"),
        "eid_certificate_checked": gettext("eID card certificate checked"),
        "signature_prepared": gettext("Signature prepared"),
        "signed": gettext("Signed"),
        "refused": gettext("Refused by the recipient"),
        "revoked": gettext("Withdrawn by the sender"),
        "expired": gettext("Deadline passed: not signed"),
        "superseded": gettext("Replaced by a new version"),
        "reoffered": gettext("Offered again as a new version"),
        "recipient_moved": gettext("Moved into the recipient's merged adminbox"),
        "downloaded_by_recipient": gettext("Downloaded by the recipient"),
        "archive_renewed": gettext("New document time-stamp added (archive renewal)"),
    }


class ContractEvent(models.Model):
    """One step in a contract's life, as evidence: what, when, who (a person,
    an API key, or Paraph itself), from which address and browser."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="events", verbose_name=_("contract")
    )
    name = models.CharField(_("event"), max_length=40)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("person"),
    )
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    @property
    def label(self) -> str:
        """The step in words (its code when Paraph has no words for it)."""
        return event_names().get(self.name, self.name)

    @property
    def reason(self) -> str:
        """The reason given with a refusal or a revocation ("" if none)."""
        if self.name not in ("refused", "revoked"):
            return ""
        return str((self.data or {}).get("reason") or "")

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("contract event")
        verbose_name_plural = _("contract events")

    def __str__(self) -> str:
        return f"{self.name} at {moment_stamp(self.at)}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Evidence is added, never rewritten.
        if not self._state.adding:
            raise ValueError("contract events are never changed")
        super().save(*args, **kwargs)


class RecipientAlias(models.Model):
    """Another e-mail address of a person: contracts sent to it reach that
    person's adminbox (set when two adminboxes are merged, ES-12)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recipient_aliases",
        verbose_name=_("person"),
    )
    email = models.EmailField(_("e-mail address"), max_length=254)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("recipient alias")
        verbose_name_plural = _("recipient aliases")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="recipient_alias_email_unique_ci")
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.person_id}"


class LinkPurpose(models.TextChoices):
    ACTIVATE = "activate", _("activate the adminbox")
    OPEN_CONTRACT = "open_contract", _("open the contract")
    # The short link of an SMS (ES-9): a shorter token, resolved only by the
    # rate-limited short-link route, that leads to the contract behind log-in.
    SHORT_CONTRACT = "short_contract", _("open the contract (short link)")
    # Merging two adminboxes (ES-12): sent to the other address, confirmed
    # from the adminbox that asked.
    MERGE = "merge", _("merge two adminboxes")


# Links that work once.
SINGLE_USE = frozenset({LinkPurpose.ACTIVATE, LinkPurpose.MERGE})


class AccessLink(models.Model):
    """A link sent by e-mail or SMS: one purpose, bound to one person (and,
    for a contract link, one contract; for a merge link, the ``other_person``
    whose adminbox would be merged into ``person``'s; for an activation
    link, once its adminbox was merged, the ``other_person`` it was for),
    expiring. Only an HMAC
    of its token is stored. Activation and merge links work once; a contract
    link works until it expires (the person may click it again)."""

    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=LinkPurpose.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="access_links",
        verbose_name=_("person"),
    )
    contract = models.ForeignKey(
        Contract,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_links",
        verbose_name=_("contract"),
    )
    other_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("other adminbox (merge)"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    use_count = models.PositiveIntegerField(_("times used"), default=0)

    class Meta:
        verbose_name = _("access link")
        verbose_name_plural = _("access links")
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=["activate", "merge"]) | Q(contract__isnull=False),
                name="access_link_contract_needs_contract",
            ),
            models.CheckConstraint(
                condition=~Q(purpose="merge") | Q(other_person__isnull=False),
                name="access_link_merge_needs_other_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} link for person {self.person_id}"

    @property
    def single_use(self) -> bool:
        return self.purpose in SINGLE_USE


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    RUNNING = "running", _("in progress")
    DONE = "done", _("finished")


class BulkBatch(models.Model):
    """Many contracts sent in one request or one upload, created one by one
    by a task; ``processed`` of ``total`` is the progress senders watch."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sender = models.ForeignKey(
        "senders.Sender", on_delete=models.CASCADE, related_name="batches", verbose_name=_("sender")
    )
    source = models.CharField(_("source"), max_length=10)  # "api" or "csv"
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    total = models.PositiveIntegerField(_("contracts"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    succeeded = models.PositiveIntegerField(_("created"), default=0)
    failed = models.PositiveIntegerField(_("refused"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    api_key = models.ForeignKey(
        "senders.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # While "running": until when the worker that claimed it holds it
    # (renewed after each contract); then another worker resumes it.
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("bulk send")
        verbose_name_plural = _("bulk sends")
        # The sweeper's look-ups every minute: waiting batches by age,
        # running ones by lease; the finished ones, nearly all, unread.
        indexes = [
            models.Index(fields=["status", "created_at"], name="bulk_batch_waiting_idx"),
            models.Index(fields=["status", "lease_until"], name="bulk_batch_lease_idx"),
        ]

    def __str__(self) -> str:
        return f"batch {self.public_id} ({self.processed}/{self.total})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.processed * 100 / self.total)


class BulkItemStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    CREATED = "created", _("created")
    FAILED = "failed", _("refused")


def _staging_to(instance: BulkItem, filename: str) -> str:
    return f"bulk/{instance.batch.public_id}/{filename}"


class BulkItem(models.Model):
    """One contract of a batch: its fields as received, its PDF (kept until
    the contract is made from it), and then the contract or the errors."""

    batch = models.ForeignKey(BulkBatch, on_delete=models.CASCADE, related_name="items")
    index = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    pdf = models.FileField(upload_to=_staging_to, max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=BulkItemStatus.choices, default=BulkItemStatus.PENDING
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    errors = models.JSONField(default=list, blank=True)
    # While pending: the worker that took it in a chunk (its claim) holds it
    # until then; several workers share a batch this way, each item made once.
    claim = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "index"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "index"], name="bulk_item_index_unique")
        ]

    def __str__(self) -> str:
        return f"item {self.index} of {self.batch_id}"
