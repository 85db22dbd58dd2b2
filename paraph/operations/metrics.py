"""What Prometheus reads at ``/metrics`` (docs/operations.md, ADR 18).

Two kinds of numbers:

* **State**, read from the database (and RQ's Redis) at each scrape by
  :class:`StateCollector`: contracts by state, messages and webhook
  deliveries by status, tasks waiting per queue, audit events, workers.
  Every node answers the same, however many processes run.
* **Events** counted by the process that saw them: requests and their
  duration per view (here), signatures and their duration
  (``paraph.signing.metrics``). Each process keeps its own; with
  ``PROMETHEUS_MULTIPROC_DIR`` set (one folder per node, emptied at start),
  the processes of a node write there and a scrape adds them up.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "paraph_http_requests",
    "HTTP requests answered, by view (route name), method and status class",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "paraph_http_request_duration_seconds",
    "Time to answer one HTTP request, by view (route name) and method",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_observe(*, view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"
    REQUESTS.labels(view=view, method=method, status=f"{status // 100}xx").inc()
    REQUEST_SECONDS.labels(view=view, method=method).observe(seconds)


def _by(rows: Iterable[dict[str, object]], key: str) -> dict[str, int]:
    return {str(row[key]): int(str(row["n"])) for row in rows}


class StateCollector(Collector):
    """Gauges read from the database when Prometheus scrapes. A part that
    cannot be read is left out and named in ``paraph_scrape_errors``."""

    def describe(self) -> Iterable[Metric]:
        return []  # collected at scrape time only, never at registration

    def collect(self) -> Iterator[Metric]:
        errors = GaugeMetricFamily(
            "paraph_scrape_errors", "1 when that part could not be read", labels=["part"]
        )
        for part, read in (
            ("contracts", self._contracts),
            ("messages", self._messages),
            ("webhooks", self._webhooks),
            ("queues", self._queues),
            ("audit", self._audit),
            ("workers", self._workers),
        ):
            try:
                metrics = list(read())
            except Exception:
                errors.add_metric([part], 1)
                continue
            errors.add_metric([part], 0)
            yield from metrics
        yield errors

    def _contracts(self) -> Iterator[Metric]:
        from paraph.contracts.models import Contract, ContractStatus

        counts = _by(Contract.objects.values("status").annotate(n=Count("id")), "status")
        family = GaugeMetricFamily(
            "paraph_contracts", "Contracts (every version) by state", labels=["state"]
        )
        for state in ContractStatus.values:
            family.add_metric([state], counts.get(state, 0))
        yield family

    def _messages(self) -> Iterator[Metric]:
        from paraph.notifications.models import Channel, OutboundMessage

        rows = OutboundMessage.objects.values("channel", "status").annotate(n=Count("id"))
        counts = {(str(r["channel"]), str(r["status"])): int(r["n"]) for r in rows}
        family = GaugeMetricFamily(
            "paraph_messages",
            "Outgoing e-mails and SMS by channel and status",
            labels=["channel", "status"],
        )
        for channel in Channel.values:
            for status in OutboundMessage.Status.values:
                family.add_metric([channel, status], counts.get((channel, status), 0))
        yield family

    def _webhooks(self) -> Iterator[Metric]:
        from paraph.senders.models import DeliveryStatus, WebhookDelivery

        counts = _by(WebhookDelivery.objects.values("status").annotate(n=Count("id")), "status")
        family = GaugeMetricFamily(
            "paraph_webhook_deliveries", "Webhook deliveries by status", labels=["status"]
        )
        for status in DeliveryStatus.values:
            family.add_metric([status], counts.get(status, 0))
        yield family

    def _queues(self) -> Iterator[Metric]:
        task_settings = settings.TASKS["default"]
        backend = str(task_settings["BACKEND"])
        queues = [str(q) for q in task_settings.get("QUEUES") or ["default"]]
        family = GaugeMetricFamily(
            "paraph_task_queue_depth",
            "Tasks waiting in each queue (due now or deferred to later)",
            labels=["queue"],
        )
        if backend.startswith("django_tasks_db"):
            from django_tasks_db.models import DBTaskResult

            counts = _by(
                DBTaskResult.objects.filter(status="READY")
                .values("queue_name")
                .annotate(n=Count("id")),
                "queue_name",
            )
            for queue in queues:
                family.add_metric([queue], counts.get(queue, 0))
        elif backend.startswith("django_tasks_rq"):
            import django_rq
            from rq.registry import ScheduledJobRegistry

            for name in queues:
                rq_queue = django_rq.get_queue(name)
                scheduled = ScheduledJobRegistry(queue=rq_queue)
                family.add_metric([name], rq_queue.count + scheduled.count)
        yield family

    def _audit(self) -> Iterator[Metric]:
        from paraph.audit.models import AuditEvent

        yield GaugeMetricFamily(
            "paraph_audit_events", "Events in the audit log", value=AuditEvent.objects.count()
        )

    def _workers(self) -> Iterator[Metric]:
        from paraph.core.models import WorkerHeartbeat

        now = timezone.now()
        window = now - dt.timedelta(seconds=settings.WORKER_SEEN_SECONDS)
        yield GaugeMetricFamily(
            "paraph_workers_alive",
            "Task workers whose heartbeat is recent (PARAPH_WORKER_SEEN_SECONDS)",
            value=WorkerHeartbeat.objects.filter(last_seen_at__gte=window).count(),
        )
        newest = WorkerHeartbeat.objects.order_by("-last_seen_at").first()
        if newest is not None:
            yield GaugeMetricFamily(
                "paraph_worker_last_seen_seconds",
                "Seconds since a task worker last wrote its heartbeat",
                value=(now - newest.last_seen_at).total_seconds(),
            )


STATE = CollectorRegistry(auto_describe=False)
STATE.register(StateCollector())


def metrics_text() -> bytes:
    """The exposition text of one scrape: this process's (or, in
    multiprocess mode, this node's) counters, then the shared state."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        events = CollectorRegistry()
        multiprocess.MultiProcessCollector(events)
        counted = generate_latest(events)
    else:
        counted = generate_latest(REGISTRY)
    return counted + generate_latest(STATE)
