"""Every Redis key of a site starts with ``PARAPH_CACHE_PREFIX``: the
cache's, and RQ's queues, jobs, registries, workers and scheduler, so two
sites can share one Redis without seeing each other's work."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, django
django.setup()
import django_rq
from django.core.checks import run_checks
from django.core.cache import cache
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.scheduler import RQScheduler
from rq.worker import Worker

queue = django_rq.get_queue("notifications")
print(json.dumps({
    "queue": queue.key,
    "queues": queue.redis_queues_keys,
    "job": Job.redis_job_namespace_prefix,
    "worker": Worker.redis_worker_namespace_prefix,
    "scheduled": ScheduledJobRegistry(queue=queue).key,
    "started": StartedJobRegistry(queue=queue).key,
    "failed": FailedJobRegistry(queue=queue).key,
    "scheduler_lock": RQScheduler.get_locking_key("notifications"),
    "cache": cache.make_key("x"),
    "checks": [m.id for m in run_checks() if m.id == "core.W001"],
}))
"""


def rq_keys(**env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if k != "RQ_KEY_PREFIX"}
    environ.update(
        DJANGO_SETTINGS_MODULE="paraph.settings",
        PARAPH_TASK_BACKEND="rq",
        REDIS_URL="redis://127.0.0.1:9/0",  # never reached: keys only
        **env,
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_rq_key_carries_the_sites_prefix():
    keys = rq_keys(PARAPH_CACHE_PREFIX="site-a")

    assert keys.pop("checks") == []
    assert keys.pop("cache") == "site-a:1:x"
    assert keys["queue"] == "site-a:rq:queue:notifications"
    for name, key in keys.items():
        assert str(key).startswith("site-a:rq:"), (name, key)


def test_two_sites_on_one_redis_have_different_queues():
    first = rq_keys(PARAPH_CACHE_PREFIX="paraph-test")
    second = rq_keys(PARAPH_CACHE_PREFIX="paraph-acceptance")
    assert first["queue"] != second["queue"]
    assert first["job"] != second["job"]


def test_a_prefix_rq_cannot_use_is_refused_at_start():
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "paraph.settings"}
    environ["PARAPH_CACHE_PREFIX"] = "my site"
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "PARAPH_CACHE_PREFIX may hold only" in done.stderr


@pytest.mark.redis  # with REDIS_URL only: a real Redis
def test_a_task_queued_in_redis_leaves_only_prefixed_keys():
    """Enqueue through the production backend in a process of its own, then
    find where its job landed (other tests may share this Redis meanwhile:
    only this job's keys are judged)."""
    import redis

    prefix = f"paraph-prefix-test-{os.getpid()}"
    code = """
import django
django.setup()
from paraph.notifications.tasks import deliver_message
print(deliver_message.enqueue(1, "sealed").id)
"""
    environ = {k: v for k, v in os.environ.items() if k != "RQ_KEY_PREFIX"}
    environ.update(
        DJANGO_SETTINGS_MODULE="paraph.test_settings",
        PARAPH_TASK_BACKEND="rq",
        PARAPH_CACHE_PREFIX=prefix,
    )
    client = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        job_id = done.stdout.strip().splitlines()[-1]

        assert client.lrange(f"{prefix}:rq:queue:notifications", 0, -1) == [job_id]
        assert client.exists(f"{prefix}:rq:job:{job_id}")
        assert job_id not in client.lrange("rq:queue:notifications", 0, -1)
        for key in client.scan_iter(match=f"*{job_id}*"):
            assert key.startswith(f"{prefix}:rq:"), key
    finally:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
