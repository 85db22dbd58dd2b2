from django.utils.translation import gettext_lazy as _

EVENTS = {
    "signing.eid.prepared": _("A document was prepared for signing with an eID card"),
    "signing.eid.signed": _("A document was signed with an eID card"),
    "signing.eid.purged": _("Expired prepared eID signatures were deleted"),
    "signing.key.issued": _("A password-signing key and certificate were issued"),
    "signing.key.retired": _("A password-signing key was retired"),
    "signing.key.revoked": _("A compromised password-signing key was revoked"),
    "signing.key.unlock_failed": _("A signing password was wrong"),
    "signing.key.unlocked": _("The contact centre lifted a password-signing lock"),
    "signing.password.signed": _("A document was signed with a password under a mandate"),
    "signing.seal.applied": _("Paraph's seal was applied to a document"),
    "signing.crl.published": _("Paraph's signing CA published a new revocation list"),
}
