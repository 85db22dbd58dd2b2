"""Settings for the test suite: the embedded default (or PostgreSQL and
Redis when DATABASE_URL / REDIS_URL are set), with tasks run at once."""

import os
import tempfile

os.environ.setdefault("PARAPH_TASK_BACKEND", "immediate")
os.environ.setdefault(
    "PARAPH_SECRET_KEY", "test-secret-key-that-is-long-enough-for-paraph-tests-000000"
)
os.environ.setdefault("PARAPH_DATA_DIR", tempfile.mkdtemp(prefix="paraph-test-"))
os.environ.setdefault("PARAPH_SANDBOX", "true")

from paraph.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # staff test passwords only
