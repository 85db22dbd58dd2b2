"""The project's URLs plus a page that fails, to see the 500 page."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from paraph import urls
from paraph.urls import handler400, handler403, handler404, handler500


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("database password is hunter2")


urlpatterns: list[URLPattern | URLResolver] = [path("fail/", fail), *urls.urlpatterns]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
