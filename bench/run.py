"""`python -m bench [--quick | --full | --scale million] [--only KEYS] [--keep-db]`.

Flow: build the benchmark's own world (bench/env.py: database hearth_bench created, migrated
and kept as a template, Redis DB 9, a sandbox server process on a free port), run each scenario
of the scale in order (bench/scenarios/) — each in a world of its own or in the main world it
shares with the scenarios that read its directory — print one table and the closing summary
(every target with its verdict), write bench/results.json (machine, versions, date, every
figure; ratios as `ratio_*` with `verdict_*` beside each), stop every process it started and
drop the databases.

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
    def __init__(self, env: BenchEnv, scale: dict, results: dict):
        self.env = env
        self.scale = scale
        self.results = results  # results["scenarios"] so far: later scenarios may read them
        self.shared: dict = {}  # state of the current world (e.g. the main organization)

    def world(self, name: str) -> None:
        """Work in world `name`: kept if it is the current one (its sandbox server started
        again if it died under an earlier scenario), else a fresh database."""
        if self.env.world != name:
            self.env.world_reset(name)
            self.shared = {}
        elif self.env.sandbox is None or self.env.sandbox.poll() is not None:
            self.env.sandbox = None
            self.env.sandbox_start()

    def pairs(self, key: str) -> tuple[int, int]:
        pairs = self.scale.get(key, {}).get("pairs") or self.scale["pairs"]
        return pairs["least"], pairs["most"]

    def figures(self, key: str) -> dict:
        return self.results.get(key, {}).get("figures", {})


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--full", dest="scale", action="store_const", const="full", help="the issue's scale"
    )
    size.add_argument(
        "--quick", dest="scale", action="store_const", const="quick", help="reduced scale"
    )
    size.add_argument(
        "--scale",
        dest="scale",
        choices=sorted(SCALES),
        help="full, quick, million (make bench-scale) or tiny (every path once, in seconds)",
    )
    parser.add_argument("--only", help="comma-separated scenario keys, e.g. people_list")
    parser.add_argument("--keep-db", action="store_true", help="leave the last world's database")
    parser.add_argument("--results", help="where to write results.json")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run every measured process under py-spy and tracemalloc (bench/profile.py): "
        "where the time and memory go; slows them, so the figures are not the benchmark's",
    )
    parser.set_defaults(scale="full")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    from .scenarios import BY_KEY, for_scale

    scale = SCALES[args.scale]
    available = for_scale(scale)
    only = args.only.split(",") if args.only else []
    unknown = set(only) - set(BY_KEY)
    if unknown:
        print(
            f"Unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(BY_KEY)}",
            file=sys.stderr,
        )
        return 2
    wanted = [m for m in available if not only or m.KEY in only]
    if not wanted:
        print(f"No scenario of {', '.join(only)} runs at scale {args.scale}", file=sys.stderr)
        return 2
    # `kill -USR1 <pid>` prints where a stuck run is, without stopping it
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    env = BenchEnv(keep_db=args.keep_db, profile=args.profile)
    print(f"Preparing {env.database_name} and the sandbox on port {env.sandbox_port} …", flush=True)
    try:
        env.prepare()
    except CouldNotMeasure as exc:
        print(f"Could not set up the benchmark: {exc}", file=sys.stderr)
        env.close()
        return 1

    from . import machine, report

    results = {
        "scale": scale["name"],
        "profiled": args.profile,
        **machine.describe(),
        "parameters": scale,
        "scenarios": {},
    }
    ctx = Context(env, scale, results["scenarios"])
    out = Path(args.results) if args.results else report.RESULTS
    failed = False
    run_started = time.perf_counter()
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
            results["seconds"] = round(time.perf_counter() - run_started, 1)
            # written after every scenario too: a long run that is stopped keeps what it measured
            report.results_write(results, out)
    finally:
        env.close()
    results["summary"] = report.summary(results)
    report.table_print(results, wanted)
    path = report.results_write(results, out)
    print(
        f"Wrote {path}"
        + (f"; some scenarios could not be measured (logs in {env.logs})" if failed else "")
    )
    return 1 if failed else 0
