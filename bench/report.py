"""The readable table on stdout, the closing summary and bench/results.json.

The closing summary lists every target of the run with its verdict, from the `verdict_*` keys
the scenarios wrote; *unresolved* counts as not met.
"""

import json
from pathlib import Path

from . import method

RESULTS = Path(__file__).resolve().parent / "results.json"
SHORT_VALUE = 34  # characters


def summary(results: dict) -> dict:
    """{"targets": [{scenario, name, verdict, value, target}], "counts": {...}}"""
    targets = []
    for key, entry in results["scenarios"].items():
        if entry.get("error"):
            targets.append(
                {
                    "scenario": key,
                    "name": "(scenario)",
                    "verdict": method.NOT_MEASURED,
                    "value": None,
                    "target": None,
                }
            )
            continue
        figures = entry.get("figures", {})
        for name, result in figures.items():
            if not name.startswith("verdict_"):
                continue
            short = name[len("verdict_") :]
            if result == method.NO_TARGET:
                continue
            targets.append(
                {
                    "scenario": key,
                    "name": short,
                    "verdict": result,
                    "value": figures.get(f"ratio_{short}"),
                    "target": figures.get(f"target_{short}"),
                }
            )
    counts: dict[str, int] = {}
    for target in targets:
        counts[target["verdict"]] = counts.get(target["verdict"], 0) + 1
    not_met = counts.get(method.NOT_MET, 0) + counts.get(method.UNRESOLVED, 0)
    return {"targets": targets, "counts": counts, "not_met_including_unresolved": not_met}


def table_print(results: dict, modules: list, write=print) -> None:
    machine = results["machine"]
    versions = results["versions"]
    write("")
    write(
        f"Hearth benchmark — scale {results['scale']} — {results['date']}\n"
        f"{machine['cpu_model']}, {machine['cores']} cores, {machine['memory_gb']} GB; "
        f"Python {versions['python']}, Django {versions['django']}, "
        f"PostgreSQL {versions['postgres']}"
    )
    if results.get("profiled"):
        write("PROFILED RUN (--profile): the figures locate costs; they are not the benchmark's")
    for module in modules:
        entry = results["scenarios"].get(module.KEY)
        if entry is None:
            continue
        write("")
        write(f"{module.TITLE}  ({entry.get('seconds', 0):.0f} s)")
        if entry.get("error"):
            write(f"  NOT MEASURED: {entry['error']}")
            continue
        rows = module.table(entry["figures"])
        width = max((len(label) for label, _, _ in rows), default=0)
        # a long value (the size curve) is not allowed to push every other column right
        value_width = max((len(v) for _, v, _ in rows if len(v) <= SHORT_VALUE), default=0)
        for label, value, target in rows:
            write(f"  {label:<{width}}  {value:>{value_width}}  {target}".rstrip())
    closing = results.get("summary")
    if closing:
        write("")
        write("Targets (unresolved counts as not met)")
        width = max((len(f"{t['scenario']}.{t['name']}") for t in closing["targets"]), default=0)
        for t in closing["targets"]:
            value = "" if t["value"] is None else f"{t['value']:g}"
            target = f"target {t['target']}" if t["target"] else ""
            write(
                f"  {t['scenario'] + '.' + t['name']:<{width}}  {t['verdict']:<13} "
                f"{value:>8}  {target}".rstrip()
            )
        counts = ", ".join(f"{k} {v}" for k, v in sorted(closing["counts"].items()))
        write(f"  — {counts}")
    write("")


def results_write(results: dict, path: Path = RESULTS) -> Path:
    path.write_text(json.dumps(results, indent=2, sort_keys=False, default=str) + "\n")
    return path
