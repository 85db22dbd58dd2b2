"""The contracts' and mandates' fixtures (make_contract, mandate_for, ...),
for the metrics that follow a contract through its states; the loopback SMTP
server, SMS gateway and test PKI, for the deployment walk."""

from paraph.contracts.tests.fixtures import *  # noqa: F403
from paraph.core.tests.test_worker import rq_admin_forgotten_afterwards  # noqa: F401
from paraph.mandates.tests.conftest import fixed_code, mandate_for  # noqa: F401
from paraph.notifications.tests.conftest import http_gateway, kept_tasks, smtp_server  # noqa: F401
from paraph.signing.tests.conftest import pki  # noqa: F401
