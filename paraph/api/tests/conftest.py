"""Fixtures: see paraph/contracts/tests/fixtures.py."""

from paraph.contracts.tests.fixtures import *  # noqa: F403
