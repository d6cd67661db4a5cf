"""Prometheus metrics, on a registry of the app's own (two apps in one process never share counters)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("guard_requests", "HTTP requests by route and status", ["route", "status"],
                                registry=self.registry)  # fmt: skip
        self.suppressions = Counter("guard_suppressions", "answers suppressed (blocked or redacted) by item",
                                    ["item", "action"], registry=self.registry)  # fmt: skip
        self.latency = Histogram("guard_request_seconds", "time to the response's headers (streams: first event)",
                                 ["route"], buckets=_BUCKETS, registry=self.registry)  # fmt: skip
        self.stream_seconds = Histogram("guard_stream_seconds", "time to the end of a stream", ["route"],
                                        buckets=_BUCKETS, registry=self.registry)  # fmt: skip
        self.upstream_errors = Counter("guard_upstream_errors", "upstream failures answered with an error", ["code"],
                                       registry=self.registry)  # fmt: skip

    def text(self) -> bytes:
        return generate_latest(self.registry)
