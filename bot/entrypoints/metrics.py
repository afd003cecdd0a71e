"""Prometheus metrics (``prometheus-client``), one registry per process.

From the database, read at each scrape (any process that serves them gives the same
answer; ``serve`` does, on ``/metrics``):

* ``duebot_outbox_messages{status,channel}``: messages waiting (``queued``) or being
  sent (``sending``): the outbox depth;
* ``duebot_outbox_oldest_due_age_seconds``: how long the oldest due message has waited
  (0 when none is due): a **stuck outbox** (no worker, a channel down) makes it grow;
* ``duebot_job_last_success_timestamp_seconds{job}`` and
  ``duebot_job_last_success_age_seconds{job}``: when each scheduled job (``planning-tick``,
  ``daily-jobs``, ``legal-sweep``) last ran to its end, by whichever scheduler: a
  **missed tick** makes the tick's age exceed its interval;
* ``duebot_database_up``: 1 when the database answered the scrape.

From this process (``worker``, ``scheduler`` and ``receive`` serve them on
``DUEBOT_METRICS_PORT``; ``run`` on its web port):

* ``duebot_sends_total{channel,outcome}``: messages this process's dispatcher handled, by
  outcome (``sent``, ``retried``, ``failed``, ``suppressed``, ``deferred``): **send
  failures**;
* ``duebot_leader{role}``: 1 while this process leads its role (``scheduler``,
  ``receivers``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge
from prometheus_client import generate_latest as _generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.domain.clock import Clock
from bot.domain.messages import ChannelKind
from bot.services.ports import OperationsStore

log = logging.getLogger("duebot.metrics")

CONTENT_TYPE = CONTENT_TYPE_LATEST
OUTCOMES = ("sent", "retried", "failed", "suppressed", "deferred")


class DatabaseCollector(Collector):
    """The gauges read from the database at each scrape; a database that does not
    answer gives ``duebot_database_up 0`` and none of the others (never a failed
    scrape)."""

    def __init__(self, operations: OperationsStore, clock: Clock) -> None:
        self.operations = operations
        self.clock = clock

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily("duebot_database_up",
                               "1 when the database answered this scrape")
        now = self.clock.now()
        try:
            health = self.operations.outbox_health(now)
            jobs = self.operations.jobs_finished()
        except Exception as exc:
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            "duebot_outbox_messages",
            "Outbox messages waiting (queued) or being sent (sending), by channel",
            labels=["status", "channel"])
        keys = {(s, c.value) for s in ("queued", "sending") for c in ChannelKind}
        for status, channel in sorted(keys | set(health.depth)):
            depth.add_metric([status, channel], health.depth.get((status, channel), 0))
        yield depth
        oldest = GaugeMetricFamily(
            "duebot_outbox_oldest_due_age_seconds",
            "How long the oldest due outbox message has waited (0: none is due)")
        oldest.add_metric([], 0.0 if health.oldest_due is None
                          else max(0.0, (now - health.oldest_due).total_seconds()))
        yield oldest
        stamp = GaugeMetricFamily(
            "duebot_job_last_success_timestamp_seconds",
            "When each scheduled job last ran to its end (Unix time)", labels=["job"])
        age = GaugeMetricFamily(
            "duebot_job_last_success_age_seconds",
            "Seconds since each scheduled job last ran to its end", labels=["job"])
        for job, at in sorted(jobs.items()):
            stamp.add_metric([job], at.timestamp())
            age.add_metric([job], max(0.0, (now - at).total_seconds()))
        yield stamp
        yield age


class Metrics:
    """This process's registry: its own counters, and the database gauges when
    ``operations`` is given."""

    def __init__(self, operations: OperationsStore | None = None,
                 clock: Clock | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.sends = Counter("duebot_sends", "Messages this process's dispatcher handled, "
                             "by channel and outcome", ["channel", "outcome"],
                             registry=self.registry)
        self.leader = Gauge("duebot_leader", "1 while this process leads its role",
                            ["role"], registry=self.registry)
        if operations is not None:
            assert clock is not None
            self.registry.register(DatabaseCollector(operations, clock))

    def count_sends(self, listeners: list[Callable[[str, str], None]]) -> None:
        """Count the outcomes a dispatcher reports to ``listeners``."""
        listeners.append(lambda channel, outcome: self.sends.labels(channel, outcome).inc())

    def watch_leadership(self, role: str, on_change: list[Callable[[bool], None]]) -> None:
        gauge = self.leader.labels(role)
        gauge.set(0)
        on_change.append(lambda leading: gauge.set(1 if leading else 0))

    def exposition(self) -> bytes:
        return _generate_latest(self.registry)

    def serve(self, host: str, port: int) -> MetricsServer:
        """Serve ``/metrics`` on ``host:port`` (0: a free port) from a thread."""
        from prometheus_client import start_http_server

        server, thread = start_http_server(port, addr=host, registry=self.registry)
        log.info("metrics on http://%s:%d/metrics", host, server.server_port)
        return MetricsServer(int(server.server_port), server, thread)


@dataclass
class MetricsServer:
    """A running ``/metrics`` server (a thread of this process)."""

    port: int
    _server: Any
    _thread: threading.Thread

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
