from typing import Any

import pytest


@pytest.fixture(autouse=True)
def sandbox_email(settings: Any) -> None:
    """E-mails land in the sandbox inbox (pytest-django would otherwise
    swap in Django's in-memory backend)."""
    settings.EMAIL_BACKEND = "paraph.notifications.backends.SandboxEmailBackend"
