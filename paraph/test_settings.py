"""Settings for the test suite: the embedded default (or PostgreSQL and
Redis when DATABASE_URL / REDIS_URL are set), with tasks run at once."""

import atexit
import importlib
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
# PARAPH_TEST_STORAGE=s3 (the PostgreSQL + Redis run of `make test`): every
# document goes to a real S3-compatible server, SeaweedFS on loopback,
# started once by the first process that reads these settings (the
# processes it starts inherit its address) and stopped when that one ends.
if os.environ.get("PARAPH_TEST_STORAGE") == "s3":
    os.environ["PARAPH_STORAGE"] = "s3"
    if "PARAPH_S3_ENDPOINT_URL" not in os.environ:
        _seaweedfs = importlib.import_module("paraph.core.tests.seaweedfs").start()
        os.environ.update(_seaweedfs.environment())
        atexit.register(_seaweedfs.stop)

from paraph.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # staff test passwords only
# A worker started by a test ticks the schedule only when the test asks it to.
SCHEDULE_TICK_SECONDS = 0
# Parallel test processes (pytest-xdist) never write each other's files.
MEDIA_ROOT = DATA_DIR / "media" / os.environ.get("PYTEST_XDIST_WORKER", "main")  # noqa: F405
if os.environ.get("PARAPH_TEST_STORAGE") == "s3":
    # ...nor each other's objects: one prefix per process in the bucket.
    STORAGES = {
        **STORAGES,  # noqa: F405
        "default": {
            **DOCUMENT_STORAGES["s3"],  # noqa: F405
            "OPTIONS": {
                **DOCUMENT_STORAGES["s3"]["OPTIONS"],  # noqa: F405
                "location": os.environ.get("PYTEST_XDIST_WORKER", "main"),
            },
        },
    }

# SQLite: the test database is a file in the run's data folder, as the
# embedded default's is, not Django's in-memory database. In memory, SQLite
# shares one cache between the live server's threads and locks whole tables:
# a browser's two requests at once (a password meter's check while the form
# is sent) failed with "database table is locked" instead of waiting, as a
# file in WAL mode does (busy timeout, settings.py).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(DATA_DIR / f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.sqlite3")  # noqa: F405
    }
