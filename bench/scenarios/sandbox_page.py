"""Scenario 5 — the sandbox: time to serve one `users.list` page of 500.

Flow: a domain of N users (the main world's directory when it is at least that large, else a
world of its own), an admin token minted directly, then every page of 500 walked in order over
HTTP (keep-alive) against the sandbox *server process* the other scenarios use, each request
timed from the client side. The first request is a warm-up and not counted.
Target: p95 ≤ 30 ms, so that the emulator is never what the sync figures measure.
"""

import time

import requests

from .. import method
from ..directory import access_token, domain_seed
from ..measure import summary_ms

KEY = "sandbox_page"
TITLE = "5. Sandbox: users.list page of 500"
TARGET_MS = 30.0


def run(ctx) -> dict:
    scale = ctx.scale[KEY]
    main = ctx.shared.get("main") if ctx.env.world == "main" else None
    if main is not None and main.domain.users >= scale["users"]:
        ctx.world("main")
        name, users = main.domain.name, main.domain.users
    else:
        ctx.world("sandbox_page")
        domain = domain_seed("page.bench.example", users=scale["users"], env=ctx.env)
        name, users = domain.name, domain.users
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {access_token(name)}"
    url = f"{ctx.env.sandbox_url}/admin/directory/v1/users"
    base = {"customer": "my_customer", "maxResults": scale["page_size"], "orderBy": "email"}
    session.get(url, params=base, timeout=60).raise_for_status()  # warm-up
    timings, listed, token = [], 0, None
    while True:
        params = dict(base, pageToken=token) if token else base
        started = time.perf_counter()
        answer = session.get(url, params=params, timeout=60)
        timings.append(time.perf_counter() - started)
        answer.raise_for_status()
        body = answer.json()
        listed += len(body.get("users", []))
        token = body.get("nextPageToken")
        if not token:
            break
    figures = {
        "users": users,
        "page_size": scale["page_size"],
        "pages": len(timings),
        "users_listed": listed,
        **{f"page_{k}": v for k, v in summary_ms(timings).items() if k != "n"},
    }
    figures.update(
        method.comparison(
            "page_p95_to_30ms", [figures["page_p95_ms"] / TARGET_MS], method.Target(1.0)
        )
    )
    return figures


def table(f: dict) -> list[tuple[str, str, str]]:
    return [
        ("users in domain / pages walked", f"{f['users']:,} / {f['pages']}", ""),
        ("page time p50", f"{f['page_p50_ms']:.1f} ms", ""),
        (
            "page time p95",
            f"{f['page_p95_ms']:.1f} ms",
            method.target_text(f, "page_p95_to_30ms", label="≤ 30 ms"),
        ),
        ("page time max", f"{f['page_max_ms']:.1f} ms", ""),
    ]
