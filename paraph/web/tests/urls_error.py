"""The project's URLs plus a page that fails, to see the 500 page."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from paraph.urls import handler400, handler403, handler404, handler500, urlpatterns


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("database password is hunter2")


urlpatterns = [path("fail/", fail), *urlpatterns]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
