"""Scenario 4 — the people list under load: gunicorn, 8 clients, while a sync writes.

Flow:
1. Data written by a real sync: the main world's organization after its first sync (people,
   groups, memberships and seats as Hearth wrote them). A second directory (`writer`) is seeded
   and connected: its first sync is the sync that writes during the measurement.
2. The web server as in production: gunicorn with the Procfile's workers (bench.settings,
   DEBUG off), signed in as the organization's admin (a session in the database, as a browser
   would hold it).
3. Queries per page, per variant (main list, a deep page, a search, filters by status, org unit,
   seat, group): one request through Django's test Client in this process, its queries
   captured. Idle: one client, `idle_repeats` requests per variant over HTTP; a variant whose
   page shows the same people as the main list is flagged "parameter ignored" (`applied`).
4. Under load: the writer's first sync starts in its own measured process; `clients` threads
   (keep-alive HTTP) request the variants in turn, back to back, until it ends. The figure is
   the time from request to full response seen by the client, for the requests made while the
   sync ran; at least `min_samples` of them.

Target: p95 ≤ 150 ms under load (all variants together; each variant reported too).
"""

import re
import threading
import time

import requests

from .. import hearth, method, worlds
from ..directory import domain_seed
from ..measure import summary_ms

KEY = "people_list"
TITLE = "4. People list under load (gunicorn, 8 clients, a sync writing)"
TARGET_P95_MS = 150.0
PER_PAGE = 50
WRITER_DOMAIN = "writer.bench.example"
WRITER_SLUG = "writer-bench"


def variants(organization, people: int) -> dict[str, dict]:
    from googlesandbox import operations
    from usermanagement.models import Group

    family = operations.FAMILY_NAMES[len(operations.FAMILY_NAMES) // 3].lower()
    group = Group.objects.filter(organization=organization).order_by("pk").first()
    found = {
        "main": {},
        "main_deep_page": {"page": str(max(2, people // PER_PAGE // 2))},
        "search": {"q": family},
        "filter_status": {"status": "deactivated"},
        "filter_org_unit": {"org_unit": "/Sales"},
        "filter_license": {"license": "licensed"},
    }
    if group is not None:
        found["filter_group"] = {"group": str(group.pk)}
    return found


def _people_url() -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("usermanagement:person_list")
    except NoReverseMatch:
        return reverse("person_list")


def _session_cookie(admin) -> tuple[str, str]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(admin)
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value


def _queries(url: str, admin, all_variants: dict) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(admin)
    counts = {}
    for name, params in all_variants.items():
        client.get(url, params)  # warm
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(url, params)
        if answer.status_code != 200:
            raise RuntimeError(f"{url} {params} answered {answer.status_code}")
        counts[name] = len(queries.captured_queries)
    return counts


def measure(ctx, *, organization, admin, domain: str, people: int, params: dict) -> dict:
    """The whole measurement on `organization`; the writer organization must be connected."""
    env = ctx.env
    web = env.gunicorn_start(workers=params["web_workers"])
    url = web.url + _people_url()
    cookie_name, cookie = _session_cookie(admin)
    all_variants = variants(organization, people)
    queries = _queries(_people_url(), admin, all_variants)
    shown_pattern = re.compile(rb"[\w.+-]+@" + re.escape(domain.encode()))

    session = requests.Session()
    session.cookies.set(cookie_name, cookie)
    idle: dict[str, dict] = {}
    main_shown = None
    for name, query in all_variants.items():
        answer = session.get(url, params=query, timeout=60)  # warm-up
        if answer.status_code != 200 or b"<html" not in answer.content[:2000].lower():
            raise RuntimeError(f"gunicorn answered {answer.status_code} for {query}")
        timings = []
        for _ in range(params["idle_repeats"]):
            started = time.perf_counter()
            answer = session.get(url, params=query, timeout=60)
            timings.append(time.perf_counter() - started)
        shown = shown_pattern.findall(answer.content)
        if name == "main":
            main_shown = shown
        idle[name] = {
            "params": query,
            **summary_ms(timings),
            "queries": queries[name],
            "people_shown": len(set(shown)),
            # the people shown differ from the main list's: the view understood the parameter
            "applied": name == "main" or shown != main_shown,
        }

    samples: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    writing = threading.Event()
    writing.set()
    names = list(all_variants)

    def client(index: int) -> None:
        own = requests.Session()
        own.cookies.set(cookie_name, cookie)
        turn = index
        while writing.is_set():
            name = names[turn % len(names)]
            turn += 1
            started = time.perf_counter()
            try:
                status = own.get(url, params=all_variants[name], timeout=60).status_code
            except requests.RequestException:
                status = 0
            elapsed = time.perf_counter() - started
            if writing.is_set():
                with lock:
                    samples.append((name, elapsed, status))

    threads = [
        threading.Thread(target=client, args=(i,), daemon=True) for i in range(params["clients"])
    ]
    writer_result: dict = {}

    def writer() -> None:
        try:
            writer_result["run"] = hearth.sync(env, WRITER_SLUG, quota=hearth.UNLIMITED)
        except Exception as exc:  # noqa: BLE001 — reported as the scenario's error below
            writer_result["error"] = exc
        finally:
            writing.clear()

    writer_thread = threading.Thread(target=writer, daemon=True)
    env.checkpoint()
    writer_thread.start()
    time.sleep(1.0)  # the writer's interpreter and Django start before it writes anything
    for thread in threads:
        thread.start()
    writer_thread.join()
    for thread in threads:
        thread.join(70)
    if "error" in writer_result:
        raise writer_result["error"]
    writer_run = writer_result["run"]
    env.stop(web)

    ok = [s for s in samples if s[2] == 200]
    overall = summary_ms([s[1] for s in ok])
    by_variant = {name: summary_ms([s[1] for s in ok if s[0] == name]) for name in all_variants}
    enough = len(ok) >= params["min_samples"]
    figures = {
        "people": people,
        "web_workers": params["web_workers"],
        "clients": params["clients"],
        "queries_per_page": queries,
        "queries_per_page_max": max(queries.values()),
        "idle": idle,
        "under_load": {
            **overall,
            "errors": len(samples) - len(ok),
            "by_variant": by_variant,
            "writer_seconds": round(writer_run.command_seconds, 2),
            "writer_rows_written": writer_run.summary()["rows_written"]["data"],
        },
        "target_samples": params["min_samples"],
    }
    if enough and overall["p95_ms"] is not None:
        figures.update(
            method.comparison(
                "under_load_p95_to_150ms", [overall["p95_ms"] / TARGET_P95_MS], method.Target(1.0)
            )
        )
    else:
        figures.update(
            method.not_measured(
                "under_load_p95_to_150ms",
                method.Target(1.0),
                f"{len(ok)} samples while the sync wrote, fewer than {params['min_samples']}",
            )
        )
    figures.update(method.check("under_load_errors", len(ok) == len(samples)))
    return figures


def run(ctx) -> dict:
    from usermanagement.models import User

    world = worlds.main_world(ctx, synced=True)
    params = ctx.scale[KEY]
    writer = params["writer"]
    domain_seed(
        WRITER_DOMAIN,
        users=writer["users"],
        groups=writer["groups"],
        members_per_group=writer["members_per_group"],
        env=ctx.env,
    )
    hearth.organization_connect(ctx.env, WRITER_DOMAIN, slug=WRITER_SLUG)
    admin = User.objects.get(email=f"admin@{world.domain.name}")
    people = User.objects.filter(organization=world.organization).count()
    return measure(
        ctx,
        organization=world.organization,
        admin=admin,
        domain=world.domain.name,
        people=people,
        params=params,
    )


def table(f: dict) -> list[tuple[str, str, str]]:
    load = f["under_load"]
    rows = [
        ("people in the organization", f"{f['people']:,}", ""),
        (
            f"under load: {f['clients']} clients, gunicorn x {f['web_workers']}",
            f"p50 {load['p50_ms'] or 0:.0f} ms, p95 {load['p95_ms'] or 0:.0f} ms (n={load['n']})",
            method.target_text(f, "under_load_p95_to_150ms", label="p95 ≤ 150 ms"),
        ),
        (
            "… while the sync wrote",
            f"{load['writer_rows_written']:,} rows in {load['writer_seconds']:.1f} s",
            f"errors {load['errors']}",
        ),
    ]
    for name, v in f["idle"].items():
        note = "" if v["applied"] else "  (parameter ignored by the view)"
        under = load["by_variant"].get(name, {})
        rows.append(
            (
                f"{name} {_query(v['params'])}".strip(),
                f"idle p95 {v['p95_ms'] or 0:.0f} ms, loaded p95 {under.get('p95_ms') or 0:.0f} ms",
                f"{v['queries']} queries{note}",
            )
        )
    return rows


def _query(params: dict) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
