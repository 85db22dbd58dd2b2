from django.utils.translation import gettext_lazy as _

EVENTS = {
    "contracts.contract.created": _("A contract was created"),
    "contracts.contract.sent": _("A contract was sent to its recipient"),
    "contracts.contract.opened": _("A contract was opened by its recipient"),
    "contracts.contract.signed": _("A contract was signed"),
    "contracts.contract.refused": _("A recipient refused to sign a contract"),
    "contracts.contract.revoked": _("A sender revoked a contract"),
    "contracts.contract.expired": _("A contract's signing deadline passed: not signed"),
    "contracts.contract.superseded": _("A contract was replaced by a new version"),
    "contracts.contract.reoffered": _(
        "A refused or expired contract was offered again as a new version"
    ),
    "contracts.contract.evidence_added": _("A step of a contract's signing was recorded"),
    "contracts.contract.downloaded": _("A contract's document or evidence was downloaded"),
    "contracts.document.refused": _(
        "A stored contract document was missing or altered and was not served"
    ),
    "contracts.contract.archive_renewed": _(
        "A signed contract received a new document time-stamp (archive renewal)"
    ),
    "contracts.recipient.created": _("A person was created as the recipient of a contract"),
    "contracts.link.used": _("A link from a contract e-mail was used"),
    "contracts.alias.added": _("An e-mail address was attached to a person as an alias"),
    "contracts.recipient.moved": _("A person's contracts were moved to another person"),
    "contracts.adminbox.merge_requested": _(
        "A person asked to merge another address's adminbox into theirs"
    ),
    "contracts.adminbox.merged": _("Two adminboxes of one person were merged into one"),
    "contracts.batch.created": _("A sender started a bulk send"),
    "contracts.batch.finished": _("A bulk send finished"),
}
