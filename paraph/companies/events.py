from django.utils.translation import gettext_lazy as _

EVENTS = {
    "companies.kbo.imported": _("The company register (KBO/BCE open data) was imported"),
    "companies.kbo.import_failed": _(
        "An import of the company register (KBO/BCE open data) was refused"
    ),
    "companies.company.registered": _("A company was registered by its digital representative"),
    "companies.correction.filed": _("A correction of a company's data was requested"),
    "companies.correction.applied": _("A correction of a company's data was applied"),
    "companies.correction.refused": _("A correction of a company's data was refused"),
    "companies.user.invited": _("A person was invited to act for a company"),
    "companies.user.added": _("A person accepted an invitation to act for a company"),
    "companies.user.removed": _("A company's representative removed a user"),
    "companies.user.signing_changed": _("Whether a company's user may sign for it was changed"),
    "companies.acting.chosen": _("A person chose for whom they act"),
    "companies.representative.designated": _("A new digital representative was designated"),
    "companies.representative.changed": _(
        "A designated person accepted: the company's digital representative changed"
    ),
    "companies.representative.withdrawn": _(
        "The designation of a new digital representative was withdrawn"
    ),
    "companies.representative.expired": _(
        "The designation of a new digital representative expired"
    ),
}
