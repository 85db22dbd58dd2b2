from django.utils.translation import gettext_lazy as _

EVENTS = {
    "accounts.person.created": _("A person was created"),
    "accounts.person.language_changed": _("A person changed their language"),
    "accounts.email.changed": _("An e-mail address was changed"),
    "accounts.phone.changed": _("A phone number was changed"),
    "accounts.login.code_sent": _("A log-in code was sent"),
    "accounts.login.succeeded": _("A person logged in"),
    "accounts.login.failed": _("A log-in code was wrong"),
    "accounts.login.locked": _("An account was locked after repeated failures"),
    "accounts.login.unlocked": _("An account was unlocked"),
    "accounts.logout.done": _("A person logged out"),
    "accounts.logout.everywhere": _("A person logged out on every device"),
    "accounts.code.sent": _("A one-time code was sent"),
    "accounts.staff.login_succeeded": _("A staff member logged in to the back office"),
    "accounts.agent.bootstrapped": _("The first back-office agent was created"),
}
