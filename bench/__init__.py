"""Benchmark harness: the API under gunicorn on a throwaway PostgreSQL database, driven by wrk.

Entry point: `scripts/bench` (see `scripts/bench --help` and bench/README.md).
"""
