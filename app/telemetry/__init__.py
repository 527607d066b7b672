"""Health, readiness, metrics and the request id of log lines (SPEC §14)."""
