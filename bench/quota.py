"""The floor a quota and a concurrency limit allow: how fast any client could make N calls.

The sandbox (googlesandbox/faults.py), like Google, holds each call in one of the account's
`limit` concurrent slots for its latency, and then lets it pass only while fewer than `qpm`
calls passed in the last 60 seconds (a strict sliding window, no initial burst beyond it).

- `window_floor`: the N-th call cannot pass before ⌊(N-1)/qpm⌋ whole windows have gone by,
  plus one latency for the first call to get there.
- `concurrency_floor`: N calls of `latency` seconds through `limit` slots.
- `floor` (issue 17's definition): the larger of the two.
- `schedule_floor`: the exact best schedule under both at once — every call started as early
  as both constraints allow (with equal call times, starting each call at its earliest moment
  is optimal). It is never below `floor`; the difference is the time the concurrency limit
  costs inside each window.
"""

import heapq

WINDOW_SECONDS = 60.0


def window_floor(calls: int, *, qpm: int, latency: float) -> float:
    if calls <= 0:
        return 0.0
    return WINDOW_SECONDS * ((calls - 1) // qpm) + latency


def concurrency_floor(calls: int, *, latency: float, limit: int) -> float:
    if not limit:
        return latency if calls else 0.0
    return calls * latency / limit


def floor(calls: int, *, qpm: int, latency: float, limit: int) -> float:
    return max(
        window_floor(calls, qpm=qpm, latency=latency),
        concurrency_floor(calls, latency=latency, limit=limit),
    )


def schedule_floor(calls: int, *, qpm: int, latency: float, limit: int) -> float:
    if calls <= 0:
        return 0.0
    slots = [0.0] * (limit or calls)
    heapq.heapify(slots)
    passed: list[float] = []  # when each call passed the window (start + latency)
    end = 0.0
    for index in range(calls):
        start = heapq.heappop(slots)
        if index >= qpm:
            start = max(start, passed[index - qpm] + WINDOW_SECONDS - latency)
        passed.append(start + latency)
        end = max(end, start + latency)
        heapq.heappush(slots, start + latency)
    return end


def bound(calls: int, *, qpm: int) -> bool:
    """Whether a strict window of `qpm` can delay `calls` calls at all."""
    return calls > qpm
