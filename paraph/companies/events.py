from django.utils.translation import gettext_lazy as _

EVENTS = {
    "companies.kbo.imported": _("The company register (KBO/BCE open data) was imported"),
    "companies.kbo.import_failed": _(
        "An import of the company register (KBO/BCE open data) was refused"
    ),
}
