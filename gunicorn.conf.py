"""Production gunicorn settings; every value can be overridden from the environment."""

import gc
import multiprocessing
import os
import sys

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
# WeChat calls time out after WECHAT_TIMEOUT (3 s), so a worker is never stuck this long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
accesslog = None  # the app writes one structured JSON line per request itself
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "server:create_app()"
# Requests gunicorn refuses before the app sees them (docs/api-errors.md). Our longest URL is
# a few hundred bytes and a bearer token about 400, so these only stop abuse. They sit above
# nginx's (deploy/nginx/redpoints.conf: 4 KB per line, 16 KB of headers), so behind nginx the
# refusal is nginx's; alone, gunicorn answers them in the same envelope (write_json_error).
limit_request_line = 8190  # a longer request line: 414 uri_too_long
limit_request_field_size = 8190  # a longer header line: 431 headers_too_large
limit_request_fields = 4000  # more header lines: 431 headers_too_large
# Threads of a worker take turns on the GIL; with Python's default 5 ms turn a short request
# can wait behind several CPU-bound ones. 1 ms turns cut the p99 of GET /me by about a
# quarter in scripts/bench at no measurable throughput cost.
switch_interval = float(os.environ.get("GUNICORN_SWITCH_INTERVAL", 0.001))


def post_worker_init(worker):
    sys.setswitchinterval(switch_interval)
    # The app's modules, models, schemas and routes live as long as the worker, yet every
    # full collection walks them again: about 185k objects, 130-200 ms with every thread of
    # the worker stopped, a few times a minute under load (measured with gc.callbacks in
    # scripts/bench). Frozen objects are never scanned; requests' garbage is collected as usual.
    gc.freeze()
