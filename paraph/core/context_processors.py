from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, object]:
    """What every page needs to know about the platform itself: whether it
    runs as a sandbox (then every page says so) and its languages."""
    return {"sandbox": settings.SANDBOX, "platform_name": settings.PLATFORM_NAME}
