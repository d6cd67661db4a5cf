"""Route groups: ``openai`` (/v1/...), ``admin`` (/v1/guard/...), ``ops`` (/healthz, /readyz, /metrics)."""
