from django.utils.translation import gettext_lazy as _

EVENTS = {
    "senders.sender.created": _("A sender organisation was created"),
    "senders.member.added": _("A person was given access to a sender's back office"),
    "senders.member.removed": _("A person's access to a sender's back office was removed"),
    "senders.apikey.created": _("A sender created an API key"),
    "senders.apikey.revoked": _("A sender revoked an API key"),
    "senders.webhook.created": _("A sender added a webhook endpoint"),
    "senders.webhook.disabled": _("A sender disabled a webhook endpoint"),
    "senders.webhook.enabled": _("A sender enabled a webhook endpoint"),
    "senders.webhook.pinged": _("A sender sent a test event to a webhook endpoint"),
    "senders.webhook.replayed": _("A sender replayed a webhook delivery"),
    "senders.webhook.secret_rotated": _("A sender replaced its webhook signing secret"),
    "senders.webhook.failed": _("A webhook could not be delivered after every retry"),
    "senders.webhook.requeued": _("A staff member requeued a webhook delivery"),
}
