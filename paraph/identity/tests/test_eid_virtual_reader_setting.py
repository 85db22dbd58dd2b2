"""Whether the sandbox's virtual card reader is offered is one setting,
``EID_VIRTUAL_READER`` (``PARAPH_EID_VIRTUAL_READER``), as a fresh process
reads it from the environment it is started with."""

from __future__ import annotations

from pathlib import Path

import pytest

from paraph.core.tests.sites import settings_read


def _reader_offered(tmp_path: Path, **environment: str) -> bool:
    shown = settings_read(tmp_path, "settings.EID_VIRTUAL_READER", **environment)
    return {"True": True, "False": False}[shown]


@pytest.mark.parametrize(
    ("environment", "offered"),
    [
        ({"PARAPH_SANDBOX": "true"}, True),
        # real CAs configured, for log-in or for signing: only real cards work
        ({"PARAPH_SANDBOX": "true", "PARAPH_EID_TRUSTED_CA_FILES": "ca.pem"}, False),
        ({"PARAPH_SANDBOX": "true", "PARAPH_SIGNING_EID_CAS": "ca.pem"}, False),
        # the operator's word wins in sandbox mode...
        ({"PARAPH_SANDBOX": "true", "PARAPH_EID_VIRTUAL_READER": "false"}, False),
        (
            {
                "PARAPH_SANDBOX": "true",
                "PARAPH_SIGNING_EID_CAS": "ca.pem",
                "PARAPH_EID_VIRTUAL_READER": "true",
            },
            True,
        ),
        # ...and never outside it
        ({"PARAPH_SANDBOX": "false", "PARAPH_EID_VIRTUAL_READER": "true"}, False),
    ],
)
def test_one_setting_says_whether_the_virtual_reader_is_offered(tmp_path, environment, offered):
    assert _reader_offered(tmp_path, **environment) is offered
