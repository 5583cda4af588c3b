"""Scenario 6 — the sandbox: time to serve one `users.list` page of 500 at 100,000 users.

Flow: seed a domain of N users, mint an admin token directly, then walk every page of 500 in
order over HTTP (requests, keep-alive) against the sandbox *server process* the other scenarios
use, timing each request from the client side. The first request is a warm-up and not counted.
Target: p95 ≤ 30 ms, so that the emulator is never what the sync figures measure.
"""

import time

import requests

from ..directory import access_token, domain_seed
from ..measure import summary_ms
from ..report import verdict

KEY = "sandbox_page"
TITLE = "6. Sandbox: users.list page of 500"
TARGET_MS = 30.0


def run(ctx) -> dict:
    scale = ctx.scale[KEY]
    domain = domain_seed("page.bench.example", users=scale["users"])
    ctx.env.sandbox_start()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {access_token(domain.name)}"
    url = f"{ctx.env.sandbox_url}/admin/directory/v1/users"
    base = {"customer": "my_customer", "maxResults": scale["page_size"]}
    session.get(url, params=base, timeout=60).raise_for_status()  # warm-up
    timings, users, token = [], 0, None
    while True:
        params = dict(base, pageToken=token) if token else base
        started = time.perf_counter()
        answer = session.get(url, params=params, timeout=60)
        timings.append(time.perf_counter() - started)
        answer.raise_for_status()
        body = answer.json()
        users += len(body.get("users", []))
        token = body.get("nextPageToken")
        if not token:
            break
    figures = {
        "users": domain.users,
        "page_size": scale["page_size"],
        "pages": len(timings),
        "users_listed": users,
        "seed_seconds": domain.seed_seconds,
        **{f"page_{k}": v for k, v in summary_ms(timings).items() if k != "n"},
        "target_p95_ms": TARGET_MS,
    }
    figures["ratio_p95_to_target"] = round(figures["page_p95_ms"] / TARGET_MS, 3)
    return figures


def table(f: dict) -> list[tuple[str, str, str]]:
    return [
        ("users in domain / pages walked", f"{f['users']:,} / {f['pages']}", ""),
        ("page time p50", f"{f['page_p50_ms']:.1f} ms", ""),
        (
            "page time p95",
            f"{f['page_p95_ms']:.1f} ms",
            verdict(f["page_p95_ms"] <= TARGET_MS, "≤ 30 ms"),
        ),
        ("page time max", f"{f['page_max_ms']:.1f} ms", ""),
    ]
