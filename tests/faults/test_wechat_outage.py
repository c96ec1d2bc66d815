"""WeChat slow or down: a login that needs it answers 503 `wechat_unavailable` within
WECHAT_TIMEOUT (1.5 s in this stack), more such logins than the API has threads leave no worker
stuck — a resident's balance still answers meanwhile — and logins work again once it is back."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("faults")]
THREADS = 2 * 4  # GUNICORN_WORKERS × GUNICORN_THREADS in tests/faults/processes.py
TIMEOUT = 1.5  # WECHAT_TIMEOUT there
STUCK = 20.0  # what a call without a timeout would wait (the emulator's delay)
IN_TIME = 2 * TIMEOUT + 3  # the timeout, a turn in the queue behind full threads, a busy CPU


def login(stack, identity: str) -> tuple[int, str | None, float]:
    started = time.monotonic()
    resp = requests.post(stack.url("/auth/wechat-login"), timeout=30,
                         json={"code": f"{identity}.{uuid.uuid4().hex[:8]}"})  # fmt: skip
    code = resp.json()["error"]["code"] if resp.status_code >= 400 else None
    return resp.status_code, code, time.monotonic() - started


def test_wechat_slow_answers_503_in_time_and_leaves_no_worker_stuck(stack):
    resident = stack.login("resident-13")
    # For exactly the logins below (a reset would also void the app's access token, which
    # later tests' content checks use).
    stack.emulator.fault("jscode2session", delay=STUCK, times=THREADS + 4)
    balances: list[tuple[int, float]] = []
    done = threading.Event()

    def meanwhile():
        while not done.is_set():
            started = time.monotonic()
            resp = requests.get(stack.url("/points/balance"), headers=resident, timeout=30)
            balances.append((resp.status_code, time.monotonic() - started))

    watcher = threading.Thread(target=meanwhile)
    watcher.start()
    with ThreadPoolExecutor(THREADS + 4) as pool:
        answers = list(pool.map(lambda n: login(stack, f"resident-{n}"), range(1, THREADS + 5)))
    done.set()
    watcher.join()

    assert {(status, code) for status, code, _ in answers} == {(503, "wechat_unavailable")}
    assert max(took for *_, took in answers) < IN_TIME, answers
    assert balances and {status for status, _ in balances} == {200}, balances
    assert max(took for _, took in balances) < IN_TIME, balances
    assert login(stack, "resident-13")[0] == 200


def test_wechat_down_answers_503_at_once_and_recovers(stack):
    stack.emulator.stop()
    try:
        answers = [login(stack, "resident-14") for _ in range(3)]
    finally:
        stack.emulator.start()
    assert {(status, code) for status, code, _ in answers} == {(503, "wechat_unavailable")}
    assert max(took for *_, took in answers) < TIMEOUT + 0.5, answers
    assert login(stack, "resident-14")[0] == 200
