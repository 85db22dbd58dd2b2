from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from paraph.core.hours import opening_hours


def contact_centre(request: HttpRequest) -> dict[str, object]:
    """The contact centre's number, hours and whether it is open now, for every page's footer (SU-2)."""
    hours = opening_hours()
    now = timezone.now()
    is_open = hours.is_open(now)
    return {
        "contact_phone": settings.CONTACT_PHONE,
        "contact_hours": hours,
        "contact_open_now": is_open,
        "contact_next_opening": None if is_open else hours.next_opening(now),
    }
