from paraph.contracts.tests.fixtures import *  # noqa: F403
