"""What a visitor's browser receives on every page: security headers, CSRF
protection on forms, and friendly error pages that never show internals."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

# The pages' text is checked in English; the language is Accept-Language's.
EN = {"accept-language": "en"}
INTERNALS = ("Traceback", "hunter2", "django.", "CSRF verification failed", "Using the URLconf")


def assert_friendly(response, title: str) -> None:
    body = response.content.decode()
    assert title in body
    assert 'class="skip-link"' in body  # the site's own layout, not Django's
    for leak in INTERNALS:
        assert leak not in body


@pytest.mark.parametrize("path", ["/", "/no-such-page/", "/backoffice/login/"])
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)

    csp = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_a_form_posted_without_its_csrf_token_is_refused_with_a_friendly_page():
    browser = Client(enforce_csrf_checks=True, headers=EN)

    response = browser.post(reverse("web:set_language"), {"language": "nl", "next": "/"})

    assert response.status_code == 403
    assert_friendly(response, "This form has expired")
    assert "paraph_language" not in response.cookies


def test_the_same_form_with_its_csrf_token_goes_through():
    browser = Client(enforce_csrf_checks=True, headers=EN)
    browser.get(reverse("web:home"))
    token = browser.cookies["paraph_csrf"].value

    response = browser.post(
        reverse("web:set_language"), {"language": "nl", "next": "/", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert response.cookies["paraph_language"].value == "nl"


def test_an_unknown_page_answers_404_with_the_friendly_page():
    response = Client(headers=EN).get("/no-such-page/")

    assert response.status_code == 404
    assert_friendly(response, "Page not found")


def test_an_unknown_host_answers_400_with_the_friendly_page():
    response = Client(headers=EN).get("/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert_friendly(response, "Bad request")


@pytest.mark.urls("paraph.web.tests.urls_error")
def test_a_failing_page_answers_500_with_the_friendly_page_and_no_internals():
    browser = Client(raise_request_exception=False, headers=EN)

    response = browser.get("/fail/")

    assert response.status_code == 500
    assert_friendly(response, "Something went wrong")


@pytest.mark.django_db
@pytest.mark.urls("paraph.web.tests.urls_error")
def test_the_500_page_does_not_offer_a_logged_in_person_to_log_in(person_factory):
    browser = Client(raise_request_exception=False, headers=EN)
    browser.force_login(person_factory(language="en"))

    response = browser.get("/fail/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert ">Log in<" not in page


@pytest.mark.urls("paraph.web.tests.urls_error")
def test_when_even_the_error_page_fails_a_plain_500_page_answers(monkeypatch):
    def broken_render(*args, **kwargs):
        raise RuntimeError("template engine is down")

    monkeypatch.setattr("paraph.web.views.render", broken_render)
    browser = Client(raise_request_exception=False, headers=EN)

    response = browser.get("/fail/")

    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "Traceback" not in body and "hunter2" not in body
