"""Scenario 5 — the people list at 100,000 people: server time p50/p95 and queries per page.

Flow: one organization with N people inserted in bulk straight into the user table (the list's
cost does not depend on how people arrived; 90% active, 5% deactivated, 5% archived, spread
over org units when the model has them), VACUUM ANALYZE, then Django's test Client inside this
process, signed in as the organization's admin, requests each variant `repeats` times after one
warm-up: the main list (first page and a page deep in the middle), a search, and two filters. The
time is the whole Django request (middleware, session, queries, template), without any network.
Queries per page are captured on a separate, untimed request (capturing costs time).

A filter whose parameter the view does not know would silently return the main list and make
a meaningless figure, so each variant also reports `applied`: whether the people it shows
differ from those of the main list.
"""

import random
import re
import time

from ..measure import summary_ms
from ..report import verdict

KEY = "people_list"
TITLE = "5. People list (server time)"
TARGET_P95_MS = 150.0
PER_PAGE_GUESS = 50

GIVEN = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Margaret",
    "Dennis",
    "Radia",
    "Linus",
    "Guido",
    "Anita",
    "Tim",
    "Sophie",
    "John",
    "Mary",
    "Ivan",
    "Hedy",
    "Claude",
    "Katherine",
    "Niklaus",
    "Leslie",
    "Shafi",
    "Whitfield",
    "Jean",
)
FAMILY = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Torvalds",
    "Rossum",
    "Borg",
    "Berners",
    "Wilson",
    "McCarthy",
    "Shaw",
    "Sutherland",
    "Lamarr",
    "Shannon",
    "Johnson",
    "Wirth",
    "Lamport",
    "Goldwasser",
    "Diffie",
    "Sammet",
    "Kay",
    "Backus",
    "Engelbart",
    "Cerf",
    "Kahn",
)
ORG_UNITS = ("/", "/Engineering", "/Sales", "/Marketing", "/Support", "/Operations")


def variants(people: int) -> dict[str, dict]:
    middle = max(1, people // PER_PAGE_GUESS // 2)
    return {
        "main": {},
        "main_deep_page": {"page": str(middle)},
        "search": {"q": "hopper"},
        "filter_status": {"status": "deactivated"},
        "filter_org_unit": {"org_unit": "/Sales"},
    }


def people_seed(count: int):
    from organizations.models import Organization
    from usermanagement.models import User

    organization = Organization.objects.create(
        name="People Bench",
        slug="people-bench",
        primary_domain="people.bench.example",
        seats_purchased=count,
    )
    admin = User.objects.create_user(
        "admin@people.bench.example",
        password=None,
        organization=organization,
        role=User.Role.ADMIN,
        first_name="Admin",
        last_name="Bench",
    )
    fields = {f.name for f in User._meta.get_fields()}
    rng = random.Random(5)
    rows = []
    for index in range(count):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        roll = rng.random()
        status = (
            User.Status.ACTIVE
            if roll < 0.90
            else User.Status.DEACTIVATED
            if roll < 0.95
            else User.Status.ARCHIVED
        )
        person = User(
            organization=organization,
            email=f"{given}.{family}.{index}@people.bench.example".lower(),
            first_name=given,
            last_name=family,
            status=status,
            password="!",
        )
        if "org_unit_path" in fields:
            person.org_unit_path = rng.choice(ORG_UNITS)
        elif "org_unit" in fields and not User._meta.get_field("org_unit").is_relation:
            person.org_unit = rng.choice(ORG_UNITS)
        rows.append(person)
        if len(rows) == 5_000:
            User.objects.bulk_create(rows)
            rows = []
    if rows:
        User.objects.bulk_create(rows)
    from django.db import connection

    with connection.cursor() as cursor:
        # VACUUM as well: a live table is vacuumed by autovacuum after bulk inserts (which sets
        # the visibility map and makes counts index-only scans); the bench server may run with
        # autovacuum off, and without this the list would be measured on a never-vacuumed table.
        cursor.execute(f"VACUUM (ANALYZE) {User._meta.db_table}")
    return organization, admin


def run(ctx) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    scale = ctx.scale[KEY]
    started = time.perf_counter()
    _, admin = people_seed(scale["people"])
    seed_seconds = time.perf_counter() - started
    client = Client()
    client.force_login(admin)
    try:
        url = reverse("usermanagement:person_list")
    except NoReverseMatch:
        url = reverse("person_list")
    figures = {
        "people": scale["people"],
        "seed_seconds": round(seed_seconds, 2),
        "target_p95_ms": TARGET_P95_MS,
        "variants": {},
    }
    main_shown = None
    for name, params in variants(scale["people"]).items():
        answer = client.get(url, params)  # warm-up
        if answer.status_code != 200:
            raise RuntimeError(f"{url} {params} answered {answer.status_code}")
        timings = []
        for _ in range(scale["repeats"]):
            t0 = time.perf_counter()
            client.get(url, params)
            timings.append(time.perf_counter() - t0)
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(url, params)
        body = answer.content
        shown = re.findall(rb"[\w.+-]+@people\.bench\.example", body)
        if name == "main":
            main_shown = shown
        figures["variants"][name] = {
            "params": params,
            **summary_ms(timings),
            "queries": len(queries.captured_queries),
            "bytes": len(body),
            "people_shown": len(set(shown)),
            # the people shown differ from the main list's: the view understood the parameter
            "applied": name == "main" or shown != main_shown,
        }
    worst = max(v["p95_ms"] for v in figures["variants"].values())
    figures["worst_p95_ms"] = worst
    figures["ratio_worst_p95_to_target"] = round(worst / TARGET_P95_MS, 3)
    counts = {v["queries"] for v in figures["variants"].values()}
    figures["queries_per_page_max"] = max(counts)
    return figures


def table(f: dict) -> list[tuple[str, str, str]]:
    rows = [("people in the organization", f"{f['people']:,}", "")]
    for name, v in f["variants"].items():
        note = "" if v["applied"] else "  (parameter ignored by the view)"
        rows.append(
            (
                f"{name} {_query(v['params'])}".strip(),
                f"p50 {v['p50_ms']:.0f} ms, p95 {v['p95_ms']:.0f} ms, {v['queries']} queries",
                verdict(v["p95_ms"] <= TARGET_P95_MS, "p95 ≤ 150 ms") + note,
            )
        )
    return rows


def _query(params: dict) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
