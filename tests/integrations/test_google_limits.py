"""Hearth's own limits on its Google calls: the strict quota window and the concurrency that
backs off when Google refuses concurrent requests (integrations/google/client.py)."""

import threading
import time

from integrations.google.client import Concurrency, QuotaWindow


def test_no_window_ever_carries_more_calls_than_the_quota():
    window = QuotaWindow(limit=5, window=0.4)
    sent = []
    for _ in range(12):
        window.done(window.take())
        sent.append(time.monotonic())

    for index, started in enumerate(sent):
        in_window = [t for t in sent[index:] if t < started + 0.4 - 0.01]
        assert len(in_window) <= 5
    # the first five go at once (no pacing below the quota), the rest wait for room
    assert sent[4] - sent[0] < 0.05
    assert sent[5] - sent[0] >= 0.39


def test_a_call_keeps_its_place_until_a_window_after_its_answer():
    window = QuotaWindow(limit=1, window=0.3)
    place = window.take()
    time.sleep(0.2)  # a slow answer: Google may have counted the call at any moment until now
    window.done(place)
    started = time.monotonic()
    window.take()
    assert time.monotonic() - started >= 0.29


def test_concurrency_drops_on_refusal_and_grows_back_not_past_the_refused_level():
    limit = Concurrency(16, start=16, recover_after=3, cooldown=0.0, remember_seconds=60)
    for _ in range(16):
        limit.acquire()
    limit.release(refused=True)
    assert limit.limit == 12
    for _ in range(15):
        limit.release()
    for _ in range(60):  # successes in a row
        limit.acquire()
        limit.release()
    assert limit.limit == 15  # grows back to one below the level Google refused, no further


def test_the_limit_starts_low_and_probes_upward_until_refused():
    limit = Concurrency(16, start=4, probe_after=5)
    assert limit.limit == 4
    for _ in range(5 * 6):
        limit.acquire()
        limit.release()
    assert limit.limit == 10
    limit.acquire()
    limit.release(refused=True)
    assert limit.limit == 7


def test_calls_beyond_the_limit_wait_for_a_slot():
    limit = Concurrency(2, start=2)
    in_flight, peak = [0], [0]
    lock = threading.Lock()

    def call():
        limit.acquire()
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.02)
        with lock:
            in_flight[0] -= 1
        limit.release()

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2
