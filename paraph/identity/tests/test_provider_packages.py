"""Each identity provider is a package behind the Protocol that fits it
(ADR 38): its pages are included by name, so every route it declares is
served; IDnow is the asynchronous one; the sandboxes' former dotted paths
still name them."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

from paraph.identity.providers import (
    AsynchronousProvider,
    IdentityError,
    get_asynchronous_provider,
    get_identity_provider,
)
from paraph.identity.providers.eid import urls as eid_urls
from paraph.identity.providers.idnow import urls as idnow_urls
from paraph.identity.providers.itsme import urls as itsme_urls


@pytest.mark.parametrize(
    "module", [itsme_urls, eid_urls, idnow_urls], ids=["itsme", "eid", "idnow"]
)
def test_every_page_a_provider_declares_is_served(module):
    for pattern in module.urlpatterns:
        path = reverse(f"identity:{pattern.name}")
        assert resolve(path).func == pattern.callback, pattern.name


def test_idnow_is_asynchronous_and_the_redirect_providers_are_not(settings):
    idnow = get_asynchronous_provider("idnow")
    assert isinstance(idnow, AsynchronousProvider)
    assert idnow.method == "idnow"
    for method in ("itsme", "eid"):
        assert get_identity_provider(method).method == method
        with pytest.raises(IdentityError):
            get_asynchronous_provider(method)


@pytest.mark.parametrize(
    ("method", "old", "new"),
    [
        (
            "itsme",
            "paraph.identity.providers.itsme_sandbox.SandboxItsmeProvider",
            "paraph.identity.providers.itsme.sandbox.SandboxItsmeProvider",
        ),
        (
            "idnow",
            "paraph.identity.providers.idnow_sandbox.SandboxIdnowProvider",
            "paraph.identity.providers.idnow.sandbox.SandboxIdnowProvider",
        ),
    ],
)
def test_a_sandbox_named_by_its_former_path_still_serves(settings, method, old, new):
    settings.IDENTITY_PROVIDERS = {**settings.IDENTITY_PROVIDERS, method: old}

    provider = get_identity_provider(method)

    assert f"{type(provider).__module__}.{type(provider).__name__}" == new


def test_the_real_providers_keep_their_dotted_paths():
    from django.utils.module_loading import import_string

    for path in (
        "paraph.identity.providers.itsme.ItsmeProvider",
        "paraph.identity.providers.eid.EidProvider",
        "paraph.identity.providers.idnow.IdnowProvider",
    ):
        assert import_string(path).__name__ == path.rsplit(".", 1)[1]
