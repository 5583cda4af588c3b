"""`python -m bench.plot [RESULTS] [OUT.png]`: the size curve of scenario 1 as a picture.

Reads bench/results.json (`memory.curve`: first full syncs of same-shaped directories of
growing size) and draws sync time and peak memory against the number of users,
with the 300 MB target. Needs matplotlib, which is not a dependency of Hearth: `make bench`
installs it (requirements/bench.txt) and draws the picture after the full run.
"""

import json
import sys
from pathlib import Path

from .report import RESULTS

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks-size-curve.png"


def plot(results: dict, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = results["scenarios"]["memory"]["figures"]["curve"]
    users = curve["users"]
    figure, time_axis = plt.subplots(figsize=(7, 4), dpi=120)
    time_axis.plot(users, curve["sync_seconds"], "o-", color="#1f6feb", label="first full sync (s)")
    time_axis.set_xlabel("users in the directory")
    time_axis.set_ylabel("seconds", color="#1f6feb")
    time_axis.set_ylim(bottom=0)
    memory_axis = time_axis.twinx()
    memory_axis.plot(users, curve["peak_rss_mb"], "s--", color="#bf3989", label="peak memory (MB)")
    memory_axis.axhline(300, color="#bf3989", linewidth=0.8, linestyle=":")
    memory_axis.set_ylabel("MB (target ≤ 300)", color="#bf3989")
    memory_axis.set_ylim(0, max(320, max(curve["peak_rss_mb"]) * 1.1))
    machine = results["machine"]
    time_axis.set_title(
        f"Hearth first full sync — {results['scale']} scale, {machine['cores']} cores "
        f"({results['date'][:10]})",
        fontsize=10,
    )
    figure.legend(loc="lower right", bbox_to_anchor=(0.86, 0.2), fontsize=8)
    figure.tight_layout()
    figure.savefig(out)
    return out


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else RESULTS
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError:
        print("matplotlib is not installed: `pip install -r requirements/bench.txt` to draw it.")
        return 1
    print(f"Wrote {plot(json.loads(source.read_text()), out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
