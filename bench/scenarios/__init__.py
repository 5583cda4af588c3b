"""The benchmark's scenarios, in order. Each module exposes `KEY`, `TITLE`, `run(ctx) -> dict`
(every figure; ratios as ratio_* with verdict_* beside each, bench/method.py) and
`table(figures) -> rows` where a row is (figure, value, target and verdict or "").

`make bench` / `make bench-quick` run ALL; `make bench-scale` runs SCALE_ONLY (the million).
"""

from . import (
    cost,
    faults,
    full_sync,
    google_like,
    incremental,
    many_orgs,
    memory,
    million,
    naive,
    people_list,
    propagation,
    resync,
    sandbox_page,
)

ALL = [
    full_sync,
    resync,
    incremental,
    people_list,
    sandbox_page,
    memory,
    google_like,
    faults,
    naive,
    many_orgs,
    propagation,
    cost,
]
SCALE_ONLY = [million]
BY_KEY = {module.KEY: module for module in ALL + SCALE_ONLY}


# the scale key a scenario reads its parameters from, where it is not its own KEY
PARAMETERS = {"full_sync": "main", "resync": "main"}


def for_scale(scale: dict) -> list:
    """The scenarios a scale runs: those it has parameters for, in order."""
    return [m for m in ALL + SCALE_ONLY if PARAMETERS.get(m.KEY, m.KEY) in scale]
