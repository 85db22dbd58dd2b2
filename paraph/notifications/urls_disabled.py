"""Outside sandbox mode the sandbox pages do not exist; their names still
resolve (templates link to them only in sandbox mode) and answer 404."""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path


def _gone(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


app_name = "sandbox"
urlpatterns = [
    path("inbox/", _gone, name="inbox"),
    path("inbox/<int:message_id>/", _gone, name="message"),
    path("inbox/<int:message_id>/html/", _gone, name="message_html"),
]
