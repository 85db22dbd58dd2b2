"""Fixtures shared by every app's tests, and the CI rule that a skipped test
fails the run (a missing component must never pass silently)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

# A task queue that cannot be reached (Redis down), for every app's tests.
from paraph.core.tests.queues import kept_queue, unreachable_queue  # noqa: F401
from paraph.signing.tests.network import outside_calls  # noqa: F401

# Property tests judge results, not speed: a loaded machine (two test
# workers, a CI runner) must not fail them on hypothesis's 200 ms deadline.
hypothesis_settings.register_profile("paraph", deadline=None)
hypothesis_settings.load_profile("paraph")

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # An expected failure (xfail) is reported as skipped too; it is not a skip.
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI", "").lower() == "true" and _skipped:
        print(f"\nCI=true: {len(_skipped)} test(s) were skipped, which fails the run:")
        for nodeid in _skipped:
            print(f"  {nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def person_factory(db: Any) -> Any:
    """Make people: ``person_factory(phone="+32470000001")``."""
    from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod

    counter = iter(range(1, 1_000_000))

    def make(**fields: Any) -> Person:
        n = next(counter)
        values: dict[str, Any] = {
            "first_name": "Anne",
            "last_name": f"Martin{n}",
            "email": f"person{n}@example.be",
            "phone": f"+3247{n:07d}",
            "language": "fr",
            "assurance_level": AssuranceLevel.LOW,
            "registration_method": RegistrationMethod.BACKOFFICE,
        }
        values.update(fields)
        email = values.pop("email")
        person = Person.objects.create_user(email, **values)
        if person.phone and "phone_verified_at" not in fields:
            from django.utils import timezone

            person.phone_verified_at = timezone.now()
            person.save(update_fields=["phone_verified_at"])
        return person

    return make


@pytest.fixture
def person(person_factory: Any) -> Any:
    return person_factory()


@pytest.fixture
def deliver(django_capture_on_commit_callbacks: Any) -> Any:
    """``with deliver(): email_send(...)``: what the block queued for "after
    commit" (task enqueues, so message delivery) runs when the block ends, as
    it would when the caller's transaction commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings: Any) -> None:
    """Every test gets an empty cache of its own: a fresh key prefix, so rate
    limits and cached values never leak between tests, and test runs that
    share one Redis database (parallel workers, several checkouts) never see
    each other's keys. ``cache.clear()`` would empty everyone's Redis."""
    import uuid

    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX', '')}test-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }


# --- Browser tests: Playwright driving Debian's Chromium ---------------------
#
# Playwright's own browser download does not work on our machines; the tests
# use Debian's package (`make test` installs it in CI). Mark browser tests
# with ``@pytest.mark.browser``; ``@pytest.mark.browser(viewport=(360, 740),
# locale="nl-BE")`` sets the page's window and language.

CHROMIUM = os.environ.get("PARAPH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole run (per test process)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"browser test: Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser test: the playwright package is not installed (make install)")
    # The sync API keeps an event loop in this thread, and Django then refuses
    # database access from the test's own code as "async unsafe".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page_factory(browser: Any, live_server: Any) -> Iterator[Any]:
    """Open pages on the live server, each in a fresh browser context (its
    own cookies): ``page_factory(viewport=(360, 740), locale="de-BE")``."""
    contexts: list[Any] = []

    def make(*, viewport: tuple[int, int] = (1280, 800), locale: str = "fr-BE") -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            viewport={"width": viewport[0], "height": viewport[1]},
            timezone_id="Europe/Brussels",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(page_factory: Any, request: pytest.FixtureRequest) -> Any:
    """A page on the live server; options come from the ``browser`` marker."""
    marker = request.node.get_closest_marker("browser")
    return page_factory(**(marker.kwargs if marker else {}))


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    """What the page reported as errors (a script error, a request refused by
    the Content-Security-Policy): a test asserts this list stays empty."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``redis`` belong to the PostgreSQL + Redis run: without
    REDIS_URL (the embedded default's run) they are left out, not skipped,
    since nothing is missing there that should be."""
    if os.environ.get("REDIS_URL"):
        return
    kept = [item for item in items if item.get_closest_marker("redis") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture
def sandbox_email(settings: Any) -> None:
    """E-mails land in the sandbox inbox, as in ``make run`` (pytest-django
    otherwise swaps in Django's in-memory backend, ``mail.outbox``)."""
    settings.EMAIL_BACKEND = "paraph.notifications.backends.SandboxEmailBackend"


@pytest.fixture(autouse=True)
def _default_language(settings: Any) -> Iterator[None]:
    """Every test starts in the default language, whatever an earlier test's
    request activated in this process."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _nothing_fetched_yet() -> Iterator[None]:
    """Every test fetches revocation answers afresh: the OCSP answers and
    CRLs a signature fetched are kept a minute for the next signatures
    (:mod:`paraph.signing.fetching`), and a test that revokes a certificate
    must not see the answer an earlier test fetched."""
    from paraph.signing import fetching

    fetching.forget_everywhere()
    yield
    fetching.forget_everywhere()


# --- Document storage: a real S3-compatible server (SeaweedFS) on loopback -----


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[Any]:
    """The SeaweedFS the run's settings started (``PARAPH_TEST_STORAGE=s3``),
    else one of this test process's own, on free ports, stopped at the end.
    Without the ``weed`` binary: a failure in CI, a skip elsewhere."""
    from paraph.core.tests import seaweedfs as weed

    if os.environ.get("PARAPH_S3_ENDPOINT_URL") and os.environ.get("PARAPH_S3_BUCKET"):
        yield weed.SeaweedFS(
            process=None,
            folder="",
            endpoint_url=os.environ["PARAPH_S3_ENDPOINT_URL"],
            access_key=os.environ.get("PARAPH_S3_ACCESS_KEY_ID", ""),
            secret_key=os.environ.get("PARAPH_S3_SECRET_ACCESS_KEY", ""),
            bucket=os.environ["PARAPH_S3_BUCKET"],
        )
        return
    try:
        server = weed.start()
    except weed.SeaweedFSMissing as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture
def s3_storage(seaweedfs: Any, settings: Any) -> Any:
    """Documents go to SeaweedFS for this test, under a prefix of its own;
    returns ``(client, bucket, prefix)`` to look at (or tamper with) the
    objects behind Paraph's back."""
    import uuid

    prefix = f"test-{uuid.uuid4().hex}"
    options = {
        **settings.DOCUMENT_STORAGES["s3"]["OPTIONS"],
        "endpoint_url": seaweedfs.endpoint_url,
        "access_key": seaweedfs.access_key,
        "secret_key": seaweedfs.secret_key,
        "bucket_name": seaweedfs.bucket,
        "region_name": "us-east-1",
        "location": prefix,
    }
    s3 = {**settings.DOCUMENT_STORAGES["s3"], "OPTIONS": options}
    settings.DOCUMENT_STORAGES = {**settings.DOCUMENT_STORAGES, "s3": s3}
    settings.STORAGES = {**settings.STORAGES, "default": s3}
    return seaweedfs.client(), seaweedfs.bucket, prefix
