from django.conf import settings
from django.http import HttpRequest


def identity_methods(request: HttpRequest) -> dict[str, object]:
    """The registration methods offered (PARAPH_IDENTITY_METHODS): a page
    shows only these."""
    return {"identity_methods": list(settings.IDENTITY_METHODS)}
