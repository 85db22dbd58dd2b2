"""Settings for the test suite: the embedded default (or PostgreSQL and
Redis when DATABASE_URL / REDIS_URL are set), with tasks run at once."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("PARAPH_TASK_BACKEND", "immediate")
os.environ.setdefault(
    "PARAPH_SECRET_KEY", "test-secret-key-that-is-long-enough-for-paraph-tests-000000"
)
if "PARAPH_DATA_DIR" not in os.environ:
    # One throw-away folder per run, removed at its end; the processes a test
    # run starts (parallel workers, `paraph` commands under test) inherit it.
    _data_dir = tempfile.mkdtemp(prefix="paraph-test-")
    os.environ["PARAPH_DATA_DIR"] = _data_dir
    atexit.register(shutil.rmtree, _data_dir, True)
os.environ.setdefault("PARAPH_SANDBOX", "true")

from paraph.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # staff test passwords only
# Parallel test processes (pytest-xdist) never write each other's files.
MEDIA_ROOT = DATA_DIR / "media" / os.environ.get("PYTEST_XDIST_WORKER", "main")  # noqa: F405
