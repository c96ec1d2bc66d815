"""Production gunicorn settings; every value can be overridden from the environment."""

import gc
import json
import multiprocessing
import os
import sys

import gunicorn.util

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


# gunicorn answers the refusals above, and malformed requests (a control character in a
# header, bad chunked framing), itself with an HTML page. gunicorn has no hook for that page,
# so its writer is replaced: the same status, with the API's error envelope.
FRAMING_ERRORS = {
    400: ("bad_request", "请求格式有误"),
    403: ("forbidden", "您没有权限进行此操作"),
    414: ("uri_too_long", "请求地址过长"),
    417: ("expectation_failed", "不支持该 Expect 请求头"),
    431: ("headers_too_large", "请求头过大或过多"),
    501: ("not_implemented", "不支持该传输编码"),
}


def write_json_error(sock, status_int, reason, mesg):
    """gunicorn.util.write_error's signature; its English `mesg` is left out (gunicorn logs it)."""
    code, message = FRAMING_ERRORS.get(status_int, ("internal_error", "系统繁忙，请稍后重试"))
    error = {"error": {"code": code, "message": message, "details": {}}}
    body = json.dumps(error, ensure_ascii=False).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


gunicorn.util.write_error = write_json_error
