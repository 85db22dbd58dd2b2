"""The contracts' and mandates' fixtures (make_contract, mandate_for, ...),
for the metrics that follow a contract through its states."""

from paraph.contracts.tests.fixtures import *  # noqa: F403
from paraph.core.tests.test_worker import rq_admin_forgotten_afterwards  # noqa: F401
from paraph.mandates.tests.conftest import fixed_code, mandate_for  # noqa: F401
