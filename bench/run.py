"""`python -m bench [--quick | --full] [--only KEYS] [--keep-db]` — Hearth's benchmark.

Flow: build the benchmark's own world (bench/env.py: database hearth_bench recreated and
migrated, Redis DB 9, a sandbox server process on a free port, Celery workers when a scenario
needs them), run each scenario in the issue's order (bench/scenarios/), print one table, write
bench/results.json (machine, versions, date, every figure; comparisons are keys named ratio_*),
stop every process it started and drop the database.

Exit status: 0 when every scenario was measured, 1 when one could not be (a setup failure, a
crash, a missing piece of Hearth) — never because a figure misses its target.
"""

import argparse
import faulthandler
import signal
import sys
import time
import traceback
from pathlib import Path

from .env import BenchEnv, CouldNotMeasure
from .scales import SCALES


class Context:
    def __init__(self, env: BenchEnv, scale: dict):
        self.env = env
        self.scale = scale
        self.shared: dict = {}  # figures one scenario hands to a later one (e.g. fetch-only)


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--full",
        dest="scale",
        action="store_const",
        const="full",
        help="the issue's scale (default)",
    )
    size.add_argument(
        "--quick",
        dest="scale",
        action="store_const",
        const="quick",
        help="reduced scale, under 10 minutes",
    )
    size.add_argument("--scale", dest="scale", choices=sorted(SCALES), help=argparse.SUPPRESS)
    parser.add_argument("--only", help="comma-separated scenario keys, e.g. people_list")
    parser.add_argument("--keep-db", action="store_true", help="leave hearth_bench in place")
    parser.add_argument("--results", help="where to write results.json")
    parser.set_defaults(scale="full")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    from .scenarios import BY_KEY

    unknown = set(args.only.split(",")) - set(BY_KEY) if args.only else set()
    if unknown:
        print(
            f"Unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(BY_KEY)}",
            file=sys.stderr,
        )
        return 2
    # `kill -USR1 <pid>` prints where a stuck run is, without stopping it
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    scale = SCALES[args.scale]
    env = BenchEnv(keep_db=args.keep_db)
    print(f"Preparing {env.database_name} and the sandbox on port {env.sandbox_port} …", flush=True)
    try:
        env.prepare()
    except CouldNotMeasure as exc:
        print(f"Could not set up the benchmark: {exc}", file=sys.stderr)
        env.close()
        return 1

    from . import machine, report
    from .scenarios import ALL

    wanted = [m for m in ALL if not args.only or m.KEY in args.only.split(",")]
    results = {"scale": scale["name"], **machine.describe(), "parameters": scale, "scenarios": {}}
    ctx = Context(env, scale)
    out = Path(args.results) if args.results else report.RESULTS
    failed = False
    try:
        for module in wanted:
            print(f"→ {module.TITLE} …", flush=True)
            started = time.perf_counter()
            entry = {}
            try:
                entry["figures"] = module.run(ctx)
            except Exception as exc:  # noqa: BLE001 — any crash means "could not measure"
                failed = True
                entry["error"] = f"{type(exc).__name__}: {exc}"
                (env.logs / f"{module.KEY}-error.txt").write_text(traceback.format_exc())
                print(f"  could not measure: {entry['error']}", flush=True)
            entry["seconds"] = round(time.perf_counter() - started, 1)
            results["scenarios"][module.KEY] = entry
            # written after every scenario too: a long run that is stopped keeps what it measured
            report.results_write(results, out)
    finally:
        env.close()
    report.table_print(results, wanted)
    path = report.results_write(results, out)
    print(
        f"Wrote {path}"
        + (f"; some scenarios could not be measured (logs in {env.logs})" if failed else "")
    )
    return 1 if failed else 0
