"""What Prometheus reads at ``/metrics`` (docs/operations.md, ADR 18).

Two kinds of numbers:

* **State**, read from the database (and RQ's Redis) at each scrape by
  :class:`StateCollector`: contracts, messages and webhook deliveries
  waiting in each open state, and those that ended in each final state in
  the last 24 hours (never a count over a table that grows without end:
  each is read through an index, ADR 43), tasks waiting per queue, audit
  events, workers. Every node answers the same, however many processes run.
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
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
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


def _open_and_final(values: Iterable[str], open_: Iterable[str]) -> tuple[list[str], list[str]]:
    """``values`` split into the open ones (in ``open_``) and the final ones."""
    waiting = {str(v) for v in open_}
    return [v for v in values if v in waiting], [v for v in values if v not in waiting]


_GaugeSpec = tuple[str, str, QuerySet[Any], list[tuple[str, ...]]]


def _gauges(labels: list[str], fields: tuple[str, ...], *specs: _GaugeSpec) -> Iterator[Metric]:
    """A gauge for each (name, help, rows, label values) of ``specs``: the
    rows counted by ``fields``, every combination of label values listed,
    at zero when no row has it."""
    for name, help_, rows, combinations in specs:
        counted = rows.values(*fields).annotate(n=Count("id"))
        counts = {tuple(str(row[f]) for f in fields): int(row["n"]) for row in counted}
        family = GaugeMetricFamily(name, help_, labels=labels)
        for values in combinations:
            family.add_metric(list(values), counts.get(values, 0))
        yield family


def _day_ago() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=1)


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
        from paraph.contracts.models import TRANSITIONS, Contract, ContractStatus

        # a state that may be followed by another is open, the others final
        open_, final = _open_and_final(ContractStatus.values, TRANSITIONS)
        yield from _gauges(
            ["state"],
            ("status",),
            (
                "paraph_contracts",
                "Contracts (every version) waiting in each open state",
                Contract.objects.filter(status__in=open_),
                [(state,) for state in open_],
            ),
            (
                "paraph_contracts_settled_24h",
                "Contracts (every version) that reached each final state in the last 24 hours",
                Contract.objects.filter(status__in=final, status_changed_at__gte=_day_ago()),
                [(state,) for state in final],
            ),
        )

    def _messages(self) -> Iterator[Metric]:
        from paraph.notifications.models import Channel, OutboundMessage

        statuses = OutboundMessage.Status
        open_, final = _open_and_final(statuses.values, (statuses.QUEUED, statuses.SENDING))
        yield from _gauges(
            ["channel", "status"],
            ("channel", "status"),
            (
                "paraph_messages",
                "Outgoing e-mails and SMS waiting or being sent, by channel and status",
                OutboundMessage.objects.filter(status__in=open_),
                [(channel, status) for channel in Channel.values for status in open_],
            ),
            (
                "paraph_messages_done_24h",
                "Outgoing e-mails and SMS queued in the last 24 hours that were sent "
                "or given up, by channel and status",
                OutboundMessage.objects.filter(status__in=final, created_at__gte=_day_ago()),
                [(channel, status) for channel in Channel.values for status in final],
            ),
        )

    def _webhooks(self) -> Iterator[Metric]:
        from paraph.senders.models import DeliveryStatus, WebhookDelivery

        open_, final = _open_and_final(
            DeliveryStatus.values,
            (DeliveryStatus.PENDING, DeliveryStatus.DELIVERING, DeliveryStatus.RETRYING),
        )
        yield from _gauges(
            ["status"],
            ("status",),
            (
                "paraph_webhook_deliveries",
                "Webhook deliveries waiting, being sent or to be retried, by status",
                WebhookDelivery.objects.filter(status__in=open_),
                [(status,) for status in open_],
            ),
            (
                "paraph_webhook_deliveries_done_24h",
                "Webhook deliveries made in the last 24 hours that succeeded or were "
                "given up, by status",
                WebhookDelivery.objects.filter(status__in=final, created_at__gte=_day_ago()),
                [(status,) for status in final],
            ),
        )

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
        from paraph.audit.models import AuditCheckpoint
        from paraph.audit.selectors import audit_event_count

        events = audit_event_count()
        newest = AuditCheckpoint.objects.order_by("-size").first()
        sealed = newest.size if newest is not None else 0
        yield GaugeMetricFamily("paraph_audit_events", "Events in the audit log", value=events)
        yield GaugeMetricFamily(
            "paraph_audit_events_unsealed",
            "Events no checkpoint seals yet (grows when the checkpoint job stops)",
            value=events - sealed,
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
