"""Placeholder pages; the log-in flow replaces them."""

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST


def login_start(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@login_required
def security(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:home")
