"""The readable table on stdout and bench/results.json."""

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"
SHORT_VALUE = 28  # characters


def verdict(ok: bool, target: str) -> str:
    return f"target {target}: {'met' if ok else 'NOT met'}"


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
    write("")


def results_write(results: dict, path: Path = RESULTS) -> Path:
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    return path
