"""The two scales: `--full` (the issue's numbers) and `--quick` (the same scenarios, smaller,
so that the whole run stays under 10 minutes on a 2-core machine)."""

FULL = {
    "name": "full",
    # 1 + 2: full sync and re-sync; memory is also measured at `memory_users` to show it flat
    "full_sync": {
        "users": 100_000,
        "groups": 5_000,
        "members_per_group": 60,
        "memory_users": 25_000,
        # the naive reference writes row by row (hours at 100,000): it runs on a same-shaped
        # directory of this size, beside Hearth on that same size, and is extrapolated linearly
        "naive_users": 5_000,
        # more points of the size curve (sync time and peak memory against directory size)
        "curve_users": [10_000, 50_000],
    },
    # statements per page of users: marginal count between two users-only directories
    "statements": {"small_users": 1_000, "large_users": 5_000},
    # 3: Google's latency and quota
    "google_like": {
        "users": 20_000,
        "groups": 1_000,
        "members_per_group": 60,
        "latency_ms": 150,
        "qpm": 2_400,
    },
    # 4: many organizations polled by the schedule, two worker processes
    "many_orgs": {"organizations": 200, "users": 500, "workers": 2, "interval_seconds": 300},
    # 5: the people list
    "people_list": {"people": 100_000, "repeats": 20},
    # 6: the sandbox's users.list page
    "sandbox_page": {"users": 100_000, "page_size": 500},
}

QUICK = {
    "name": "quick",
    "full_sync": {
        "users": 5_000,
        "groups": 250,
        "members_per_group": 60,
        "memory_users": 1_250,
        "naive_users": 1_000,
    },
    "statements": {"small_users": 1_000, "large_users": 3_000},
    "google_like": {
        "users": 2_000,
        "groups": 100,
        "members_per_group": 60,
        "latency_ms": 150,
        "qpm": 2_400,
    },
    "many_orgs": {"organizations": 20, "users": 100, "workers": 2, "interval_seconds": 300},
    "people_list": {"people": 20_000, "repeats": 10},
    "sandbox_page": {"users": 20_000, "page_size": 500},
}

TINY = {  # the smoke test (tests/bench): every piece once, in seconds
    "name": "tiny",
    "full_sync": {
        "users": 120,
        "groups": 6,
        "members_per_group": 10,
        "memory_users": 60,
        "naive_users": 60,
    },
    "statements": {"small_users": 100, "large_users": 300},
    "google_like": {
        "users": 60,
        "groups": 3,
        "members_per_group": 5,
        "latency_ms": 20,
        "qpm": 2_400,
    },
    "many_orgs": {"organizations": 3, "users": 10, "workers": 2, "interval_seconds": 300},
    "people_list": {"people": 200, "repeats": 1},
    "sandbox_page": {"users": 600, "page_size": 500},
}

SCALES = {"full": FULL, "quick": QUICK, "tiny": TINY}
