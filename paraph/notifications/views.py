from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from paraph.notifications.models import SandboxMessage


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


def sandbox_inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"sandbox_messages": SandboxMessage.objects.all()[:50]})
