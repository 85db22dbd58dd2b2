from django.utils.functional import Promise

EVENTS: dict[str, Promise | str] = {}
