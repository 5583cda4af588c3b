"""The scales: `--full` (the issue's numbers, `make bench`), `--quick` (the same scenarios,
smaller), `--scale million` (`make bench-scale`: a million people, its own command) and `tiny`
(every piece once, in seconds: the smoke test and a dry run of every path).

`pairs`: how many interleaved pairs a ratio is measured from — at least `least`, and more while
the verdict is unresolved, up to `most` (bench/method.py). A scenario may set its own.
"""

GOOGLE = {"latency_ms": 150, "qpm": 2_400, "concurrent_limit": 10}  # Google's, per account
FAULTS = {"503": 0.02, "429": 0.01, "timeout": 0.005}  # issue 17: 2% 503s, 1% 429s, 0.5% timeouts

FULL = {
    "name": "full",
    "pairs": {"least": 3, "most": 7},
    # the directory of scenarios 1-4 (first sync, re-sync, incremental, people list)
    "main": {"users": 100_000, "groups": 5_000, "members_per_group": 60},
    "incremental": {"edit_pct": 1.0, "remove_pct": 0.5, "group_pct": 1.0},
    "people_list": {
        "clients": 8,
        "min_samples": 200,
        "web_workers": 3,  # the Procfile's default (WEB_CONCURRENCY)
        "idle_repeats": 10,
        # the sync that writes while the list is measured: a first sync of this directory
        "writer": {"users": 50_000, "groups": 2_500, "members_per_group": 60},
    },
    "sandbox_page": {"users": 100_000, "page_size": 500},
    "memory": {
        # first syncs of same-shaped directories (groups = users / 20, 60 members each); the
        # main directory's first syncs (scenario 1) are the 100,000 point
        "curve_users": [10_000, 25_000, 50_000, 300_000],
        "flat_from": 25_000,
        "statements": {"small_users": 1_000, "large_users": 5_000},
    },
    # the quota binds: 7,338 calls, 3.06 minutes of Google's 2,400/min
    "google_like": {"users": 50_000, "groups": 7_200, "members_per_group": 20, **GOOGLE},
    "faults": {
        "users": 20_000,
        "groups": 1_000,
        "members_per_group": 60,
        "error_rates": FAULTS,
        "seed": 17,
        # Hearth's default client timeout; the sandbox hangs longer, so the client's fires
        "client_timeout_seconds": 30,
        "sandbox_timeout_seconds": 35,
    },
    "naive": {"sizes": [5_000, 20_000], "members_per_group": 60},
    "many_orgs": {
        "organizations": 200,
        "users": 500,
        "groups": 5,
        "members_per_group": 20,
        "large": {"users": 100_000, "groups": 5_000, "members_per_group": 60},
        "workers": 2,
        "interval_minutes": 5,
        "observe_intervals": 3,
        **GOOGLE,
    },
    "propagation": {
        # the web, workers, beat and sandbox as separate processes; Google's limits
        "users": 20_000,
        "groups": 1_000,
        "members_per_group": 20,
        **GOOGLE,
        "reports_lag_seconds": 10,  # sandbox faults --reports-lag-seconds: part of the target
        "workers": 2,
        "web_workers": 3,
        "changes": 100,  # renames, and as many members added, over the window
        "window_seconds": 600,
        "during_reconcile": 30,  # of each kind, while a full sync runs
        "burst": 500,
        "burst_seconds": 10,
    },
    "cost": {
        # issue 14: one 100,000-person organization; 200 organizations of 500 people
        "large": {"users": 100_000, "groups": 5_000, "members_per_group": 60},
        "small": {"organizations": 200, "users": 500, "groups": 5, "members_per_group": 20},
        "change_pct": 1.0,  # people renamed over the day
        "group_pct": 1.0,  # groups with a member added over the day
        "signin_pct": 30.0,  # people signing in over the day
        # today's schedule: every 8th scheduled full sync real, the others fetch-only
        # (bench/scenarios/cost.py says why)
        "baseline_real_every": 8,
    },
}

QUICK = {
    "name": "quick",
    "pairs": {"least": 3, "most": 5},
    "main": {"users": 5_000, "groups": 250, "members_per_group": 60},
    "incremental": FULL["incremental"],
    "people_list": {
        "clients": 8,
        "min_samples": 200,
        "web_workers": 3,
        "idle_repeats": 5,
        "writer": {"users": 10_000, "groups": 500, "members_per_group": 60},
    },
    "sandbox_page": {"users": 5_000, "page_size": 500},
    "memory": {
        "curve_users": [1_250, 2_500, 15_000],
        "flat_from": 2_500,
        "statements": {"small_users": 1_000, "large_users": 3_000},
    },
    # 157 calls at 100/min: the quota binds for one extra minute
    "google_like": {
        "users": 2_000,
        "groups": 150,
        "members_per_group": 10,
        **GOOGLE,
        "qpm": 100,
        "pairs": {"least": 1, "most": 2},
    },
    "faults": {
        "users": 2_000,
        "groups": 100,
        "members_per_group": 20,
        "error_rates": FAULTS,
        "seed": 17,
        "client_timeout_seconds": 5,
        "sandbox_timeout_seconds": 8,
        "pairs": {"least": 2, "most": 3},
    },
    "naive": {"sizes": [1_000, 2_000], "members_per_group": 60},
    "many_orgs": {
        "organizations": 10,
        "users": 100,
        "groups": 3,
        "members_per_group": 10,
        "large": {"users": 5_000, "groups": 250, "members_per_group": 60},
        "workers": 2,
        "interval_minutes": 1,
        "observe_intervals": 3,
        **GOOGLE,
    },
    "propagation": {
        "users": 5_000,
        "groups": 250,
        "members_per_group": 20,
        **GOOGLE,
        "reports_lag_seconds": 10,
        "workers": 2,
        "web_workers": 2,
        "changes": 20,
        "window_seconds": 120,
        "during_reconcile": 10,
        "burst": 500,
        "burst_seconds": 10,
    },
    "cost": {
        "large": {"users": 5_000, "groups": 250, "members_per_group": 60},
        # 500 people each as at full scale (a poll costs the same whatever the size), fewer
        "small": {"organizations": 5, "users": 500, "groups": 5, "members_per_group": 20},
        "change_pct": 1.0,
        "group_pct": 1.0,
        "signin_pct": 30.0,
        "baseline_real_every": 4,
    },
}

TINY = {  # every piece once, in seconds
    "name": "tiny",
    "pairs": {"least": 2, "most": 3},
    "main": {"users": 120, "groups": 6, "members_per_group": 10},
    "incremental": FULL["incremental"],
    "people_list": {
        "clients": 8,
        "min_samples": 20,
        "web_workers": 2,
        "idle_repeats": 1,
        "writer": {"users": 1_000, "groups": 20, "members_per_group": 10},
    },
    "sandbox_page": {"users": 600, "page_size": 500},
    "memory": {
        "curve_users": [60, 240],
        "flat_from": 60,
        "statements": {"small_users": 100, "large_users": 300},
    },
    "google_like": {
        "users": 60,
        "groups": 3,
        "members_per_group": 5,
        "latency_ms": 20,
        "qpm": 2_400,
        "concurrent_limit": 10,
        "pairs": {"least": 1, "most": 1},
    },
    "faults": {
        "users": 200,
        "groups": 10,
        "members_per_group": 5,
        "error_rates": {"503": 0.1, "429": 0.05, "timeout": 0.02},
        "seed": 17,
        "client_timeout_seconds": 2,
        "sandbox_timeout_seconds": 3,
        "pairs": {"least": 1, "most": 1},
    },
    "naive": {"sizes": [60, 120], "members_per_group": 10},
    "many_orgs": {
        "organizations": 3,
        "users": 10,
        "groups": 2,
        "members_per_group": 5,
        "large": {"users": 200, "groups": 10, "members_per_group": 10},
        "workers": 2,
        "interval_minutes": 1,
        "observe_intervals": 1.5,
        **GOOGLE,
        "latency_ms": 20,
    },
    "propagation": {
        "users": 300,
        "groups": 15,
        "members_per_group": 5,
        **GOOGLE,
        "latency_ms": 20,
        "reports_lag_seconds": 5,
        "workers": 2,
        "web_workers": 2,
        "changes": 3,
        "window_seconds": 10,
        "during_reconcile": 2,
        "burst": 30,
        "burst_seconds": 3,
    },
    "cost": {
        "large": {"users": 200, "groups": 10, "members_per_group": 10},
        "small": {"organizations": 3, "users": 50, "groups": 2, "members_per_group": 5},
        "change_pct": 1.0,
        "group_pct": 1.0,
        "signin_pct": 30.0,
        "baseline_real_every": 4,
    },
}

TINY["million"] = {  # the million's path at a tiny size (a dry run of make bench-scale)
    "users": 300,
    "groups": 15,
    "members_per_group": 10,
    "people_list": TINY["people_list"],
}

MILLION = {  # make bench-scale: its own command, up to two hours; one pair per ratio
    "name": "million",
    "pairs": {"least": 1, "most": 1},
    "million": {
        "users": 1_000_000,
        "groups": 50_000,
        "members_per_group": 60,
        "people_list": FULL["people_list"],
    },
}

SCALES = {"full": FULL, "quick": QUICK, "tiny": TINY, "million": MILLION}
