"""Reserve and verify over HTTP, measured against /healthz in the same run.

    python -m bench.redemption_bench [--database-url URL] [--duration 10] [--concurrency 8]

Starts the API under gunicorn (gunicorn.conf.py) on a throwaway database (a temporary SQLite
file unless --database-url names an empty PostgreSQL database), seeds the demo community plus
bench residents with points, then drives three phases with the same thread-pool load generator:
GET /healthz (the ceiling), POST /redemptions (reserve) and POST /merchant/verify (verify the
reservations just made, each with a fresh signed code). Absolute req/s swing with the machine;
the ratio to /healthz is what to compare. Targets: verify p99 < 100 ms, ratio >= 0.3.

`run(...)` returns the numbers as a dict so scripts/bench can fold them into its report.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
TARGET_VERIFY_P99_MS = 100.0
TARGET_RATIO = 0.3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def drive(make_request, duration: float, concurrency: int) -> dict:
    """Call make_request(session, i) from `concurrency` threads for `duration` seconds."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + duration
    exhausted = threading.Event()

    def worker(n):
        session = requests.Session()
        while time.perf_counter() < stop_at and not exhausted.is_set():
            with lock:
                i = next(counter)
            started = time.perf_counter()
            status = make_request(session, i)
            if status is None:  # no more work prepared for this phase
                exhausted.set()
                break
            latencies[n].append(time.perf_counter() - started)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = [x for per in latencies for x in per]
    return {
        "requests": len(flat),
        "seconds": round(elapsed, 3),
        "rps": round(len(flat) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(_percentile(flat, 0.50) * 1000, 2),
        "p99_ms": round(_percentile(flat, 0.99) * 1000, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def prepare(database_url: str, residents: int, env: dict) -> dict:
    """Migrate, seed, and make bench residents with points, an offer and bearer tokens."""
    os.environ.update(env)
    from flask_migrate import upgrade
    from sqlalchemy import select

    from server import create_app
    from server.auth.models import User
    from server.auth.tokens import issue_access_token
    from server.community.models import Community, Membership
    from server.extensions import db
    from server.points import ledger
    from server.rewards.models import Merchant, Offer
    from server.seed import seed_demo
    from server.wechat.emulator import stable_id

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade(revision="heads")
        seed_demo()
        community = db.session.scalar(select(Community).where(Community.code == "demo"))
        market = db.session.scalar(select(Merchant).where(Merchant.kind == "supermarket"))
        offer = Offer(
            community_id=community.id,
            merchant_id=market.id,
            title="压测商品",
            points_cost=1,
            stock=1_000_000,
            limit_per_person=None,
        )
        db.session.add(offer)
        users = []
        for n in range(residents):
            user = User(openid=f"bench-{n}", real_name=f"压测{n}")
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, community_id=community.id))
            users.append(user.id)
        db.session.commit()
        for uid in users:
            ledger.credit(
                ledger.account_for_user(community.id, uid),
                1_000_000,
                reason="压测积分",
                idempotency_key=f"bench:{uid}",
                cause_type="adjustment",
                cause_id=uid,
            )
        db.session.commit()
        staff_openid = stable_id(app.config["WECHAT_APPID"], "merchant-1", "openid")
        staff = db.session.scalar(select(User).where(User.openid == staff_openid))
        tokens = [issue_access_token(uid)[0] for uid in users]
        staff_token = issue_access_token(staff.id)[0]
        offer_id = offer.id
        db.session.remove()
    return {"app": app, "offer_id": offer_id, "tokens": tokens, "staff_token": staff_token}


def _start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    server_env = {
        **os.environ,
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "-c", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=server_env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    _stop(proc)
    raise RuntimeError("the API did not start")


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _forget_keys(redis_url: str, prefix: str) -> None:
    """Delete the Redis keys this run created (its prefix is unique to the run)."""
    from redis import Redis

    client = Redis.from_url(redis_url)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


def run(
    database_url: str | None = None,
    *,
    duration: float = 10.0,
    concurrency: int = 8,
    residents: int = 50,
    workers: int = 2,
    redis_url: str | None = None,
) -> dict:
    """Run the three phases and return their numbers with ratios and target checks."""
    tmp = None
    if database_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="rp-bench-")
        database_url = f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-" + os.urandom(16).hex(),
        "REDEMPTION_VERIFY_RATE_LIMIT": "1000000 per minute",
        "REDIS_URL": redis_url or "",
        "REDIS_PREFIX": f"rp-bench-{os.getpid()}:",
    }
    prepared = prepare(database_url, residents, env)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start_server(env, port, workers)
    try:
        healthz = drive(lambda s, i: s.get(f"{base}/healthz").status_code, duration, concurrency)

        made: list[int] = []
        made_lock = threading.Lock()
        tokens = prepared["tokens"]

        def reserve(session, i):
            resp = session.post(
                f"{base}/api/v1/redemptions",
                json={"offer_id": prepared["offer_id"]},
                headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
            )
            if resp.status_code == 201:
                with made_lock:
                    made.append(resp.json()["id"])
            return resp.status_code

        reserved = drive(reserve, duration, concurrency)

        from server.rewards.codes import sign_code

        with prepared["app"].app_context():
            # Signed just before the phase: each code lives REDEMPTION_CODE_TTL seconds.
            codes = [sign_code(rid)["token"] for rid in made]
        staff = {"Authorization": f"Bearer {prepared['staff_token']}"}

        def verify(session, i):
            if i >= len(codes):
                return None
            resp = session.post(
                f"{base}/api/v1/merchant/verify", json={"token": codes[i]}, headers=staff
            )
            return resp.status_code

        verified = drive(verify, min(duration, 50.0), concurrency)
    finally:
        _stop(proc)
        if tmp is not None:
            tmp.cleanup()
        if redis_url:
            _forget_keys(redis_url, env["REDIS_PREFIX"])

    ceiling = healthz["rps"] or 1.0
    reserved["ratio_to_healthz"] = round(reserved["rps"] / ceiling, 3)
    verified["ratio_to_healthz"] = round(verified["rps"] / ceiling, 3)
    return {
        "database": database_url.split(":", 1)[0],
        "concurrency": concurrency,
        "workers": workers,
        "healthz": healthz,
        "reserve": reserved,
        "verify": verified,
        "targets": {
            "verify_p99_ms": TARGET_VERIFY_P99_MS,
            "ratio": TARGET_RATIO,
            "verify_p99_met": verified["p99_ms"] < TARGET_VERIFY_P99_MS,
            "verify_ratio_met": verified["ratio_to_healthz"] >= TARGET_RATIO,
            "reserve_ratio_met": reserved["ratio_to_healthz"] >= TARGET_RATIO,
        },
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    parser.add_argument("--redis-url")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    result = run(
        args.database_url,
        duration=args.duration,
        concurrency=args.concurrency,
        residents=args.residents,
        workers=args.workers,
        redis_url=args.redis_url,
    )
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
