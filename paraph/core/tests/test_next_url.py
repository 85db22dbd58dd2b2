"""One check of every ``next`` a page is given (log-in, the back office's
log-in, mandates, the language switcher): a path on this site, never
another site. The copies it replaced disagreed: log-in took an absolute
address of this host and up to 2,000 characters, mandates only a path and
up to 500; now every page takes a path of up to 2,000 characters."""

import pytest
from django.test import RequestFactory

from paraph.core.http import NEXT_MAX, next_url_safe


@pytest.fixture
def request_():
    return RequestFactory().get("/", HTTP_HOST="testserver")


@pytest.mark.parametrize(
    "candidate",
    ["/account/security/", "/adminbox/?tab=documents&page=2", "/" + "a" * (NEXT_MAX - 1)],
)
def test_a_path_of_this_site_is_kept(request_, candidate):
    assert next_url_safe(request_, candidate) == candidate


@pytest.mark.parametrize(
    "candidate",
    [
        None,
        "",
        "https://evil.example/steal",
        "//evil.example/steal",
        "/\\evil.example/steal",
        "javascript:alert(1)",
        # this host, but written whole: a page never needs it
        "http://testserver/account/security/",
        "account/security/",
        "/" + "a" * NEXT_MAX,
    ],
)
def test_anything_else_is_refused(request_, candidate):
    assert next_url_safe(request_, candidate) == ""
