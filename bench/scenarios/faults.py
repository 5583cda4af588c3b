"""Scenario 8 — a first sync under faults: time against the fault-free run, retries per call,
and nothing wrongly changed.

Flow, in a world of its own:
1. A directory (20,000 people at full scale) and an organization connected to it; the database
   is snapshotted.
2. Pairs: the snapshot restored, a fault-free first sync; the snapshot restored again, the
   sandbox's seeded random faults set (2% 503s, 1% 429s, 0.5% timeouts — the sandbox hangs
   past Hearth's HTTP timeout, so the client's own timeout fires), a first sync under them.
   With the seed set again before each faulted run, the same calls meet the same faults every
   time (googlesandbox/faults.py): the pairs differ only by the machine's noise.
3. After each sync the organization's state (people, groups, memberships, seats) is read row
   by row (bench/state.py) and the faulted run's compared with the fault-free run's of the
   same pair: every missing, extra or different row is a wrongful change.
4. Retries per call: the faulted run's calls (every attempt the client made, by outcome) over
   the fault-free run's, minus one.

Targets: 0 wrongful changes (and the faulted run succeeds); the time ratio is reported.
"""

import statistics

from .. import hearth, method
from ..directory import domain_seed, faults_set
from ..measure import ProcessRun, counts_merge
from ..state import state_compare, state_dump

KEY = "faults"
TITLE = "8. First sync under faults (503, 429, timeouts)"
SLUG = "faults-bench"


def run(ctx) -> dict:
    env, scale = ctx.env, ctx.scale[KEY]
    ctx.world(KEY)
    domain = domain_seed(
        "faults.bench.example",
        users=scale["users"],
        groups=scale["groups"],
        members_per_group=scale["members_per_group"],
        env=env,
    )
    organization = hearth.organization_connect(env, domain.name, slug=SLUG)
    env.snapshot_take()
    timeout = {"GOOGLE_HTTP_TIMEOUT_SECONDS": str(scale["client_timeout_seconds"])}
    clean_runs: list[ProcessRun] = []
    faulted_runs: list[ProcessRun] = []
    comparisons: list[dict] = []

    def pair() -> float:
        env.snapshot_restore(warm=domain.name)
        clean = hearth.timed(
            env, lambda: hearth.sync(env, SLUG, quota=hearth.UNLIMITED, extra_env=timeout)
        )
        expected = state_dump(organization)
        env.snapshot_restore(warm=domain.name)
        faults_set(
            domain.name,
            error_rates=scale["error_rates"],
            seed=scale["seed"],
            timeout_seconds=scale["sandbox_timeout_seconds"],
        )
        faulted = hearth.timed(
            env,
            lambda: hearth.sync(
                env, SLUG, quota=hearth.UNLIMITED, extra_env=timeout, must_succeed=False
            ),
        )
        comparison = state_compare(expected, state_dump(organization))
        comparison["status"] = faulted.json().get("status")
        comparisons.append(comparison)
        clean_runs.append(clean)
        faulted_runs.append(faulted)
        return faulted.command_seconds / clean.command_seconds

    least, most = ctx.pairs(KEY)
    ratios = method.sample(pair, target=None, least=least, most=most)
    wrongful = max(c["differences"] for c in comparisons)
    statuses = [c["status"] for c in comparisons]
    clean_calls = statistics.median(r.api_calls for r in clean_runs)
    faulted_calls = statistics.median(r.api_calls for r in faulted_runs)
    outcomes = counts_merge(*(r.google_calls for r in faulted_runs))
    return {
        "users": domain.users,
        "groups": domain.groups,
        "memberships": domain.members,
        "error_rates": scale["error_rates"],
        "fault_seed": scale["seed"],
        "client_timeout_seconds": scale["client_timeout_seconds"],
        "fault_free_seconds_each": [round(r.command_seconds, 2) for r in clean_runs],
        "faulted_seconds_each": [round(r.command_seconds, 2) for r in faulted_runs],
        **method.comparison("faulted_to_fault_free", ratios, None),
        "faulted_status_each": statuses,
        "api_calls_fault_free": clean_calls,
        "api_calls_faulted": faulted_calls,
        "retries_per_call": round(faulted_calls / clean_calls - 1, 4) if clean_calls else None,
        "faulted_calls_by_outcome": outcomes,
        "wrongful_changes": wrongful,
        "comparisons": comparisons,
        **method.check(
            "wrongful_changes", wrongful == 0 and all(s == "succeeded" for s in statuses)
        ),
    }


def table(f: dict) -> list[tuple[str, str, str]]:
    errors = ", ".join(f"{float(r) * 100:g}% {k}" for k, r in f["error_rates"].items())
    return [
        (
            "directory",
            f"{f['users']:,} users / {f['groups']:,} groups / {f['memberships']:,} members",
            "",
        ),
        ("faults (seeded)", errors, f"client timeout {f['client_timeout_seconds']} s"),
        (
            "first sync fault-free / faulted",
            f"{statistics.median(f['fault_free_seconds_each']):.1f} s / "
            f"{statistics.median(f['faulted_seconds_each']):.1f} s",
            f"ratio {method.describe(f, 'faulted_to_fault_free')}",
        ),
        (
            "calls fault-free / faulted",
            f"{f['api_calls_fault_free']:,.0f} / {f['api_calls_faulted']:,.0f}",
            f"retries per call {f['retries_per_call']}",
        ),
        (
            "wrongful changes (row by row)",
            f"{f['wrongful_changes']}",
            method.target_text(f, "wrongful_changes", label="0, run succeeded"),
        ),
    ]
