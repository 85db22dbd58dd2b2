from django.utils.translation import gettext_lazy as _

EVENTS = {
    "identity.registration.started": _("A registration started"),
    # Registration flow and regaining access (services.py)
    "identity.registration.identified": _("A person proved who they are to register"),
    "identity.registration.already_registered": _(
        "A person who is already registered tried to register again"
    ),
    "identity.registration.matched": _("A registration was matched to the customer file"),
    "identity.registration.match_failed": _(
        "An address or client reference did not match the customer file"
    ),
    "identity.registration.blocked": _(
        "A registration was sent to the contact centre after failed matching"
    ),
    "identity.registration.cancelled": _("A registration was cancelled"),
    "identity.registration.phone_code_sent": _("A phone verification code was sent"),
    "identity.registration.phone_verified": _("A phone number was verified for a registration"),
    "identity.registration.email_code_sent": _("An e-mail verification code was sent"),
    "identity.registration.email_verified": _("An e-mail address was verified for a registration"),
    "identity.registration.code_failed": _("A registration verification code was wrong"),
    "identity.itsme.registered": _("A person registered with itsme"),
    "identity.itsme.keys_rotated": _("Paraph's itsme signing and encryption keys were rotated"),
    "identity.eid.registered": _("A person registered with their eID card"),
    "identity.idnow.registered": _("A person registered with IDnow"),
    # IDnow identifications (idnow_services.py)
    "identity.idnow.started": _("An IDnow identification started"),
    "identity.idnow.pending": _("An IDnow identification is being checked"),
    "identity.idnow.succeeded": _(
        "An IDnow identification succeeded and its document passed the checks"
    ),
    "identity.idnow.refused": _(
        "An IDnow identification succeeded but its document failed Paraph's checks"
    ),
    "identity.idnow.failed": _("An IDnow identification failed"),
    "identity.idnow.document_blocked": _(
        "An identity document was blocked after IDnow confirmed a fraud with it"
    ),
    "identity.idnow.document_unblocked": _(
        "A staff member lifted the block on an identity document"
    ),
    "identity.idnow.conflict": _(
        "IDnow sent another final result for a decided identification (ignored)"
    ),
    "identity.eid.certificate_recorded": _("A new eID card certificate was recorded"),
    "identity.link.rebound": _("A person's identity at a provider was linked anew"),
    "identity.stepup.succeeded": _("A person confirmed who they are with a high assurance"),
    "identity.customers.imported": _("The customer file was imported"),
}
