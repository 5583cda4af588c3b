"""`python -m bench --profile`: where a pass's time and memory go.

With `--profile` every measured process runs under py-spy (sampling every thread 100 times a
second; it ships with the dev requirements) and with tracemalloc on: the probe keeps the
snapshot of the moment its traced memory peaked. Each pass's summary gains `profile`: the
py-spy file (collapsed stacks, for any flame-graph viewer), the functions most often on the
stack (inclusive) and at its top (self), per thread kind, and the lines that held the most
memory at the peak. Profiling slows the process (tracemalloc by 2-3x): the figures of a profiled
run locate costs; they are not the benchmark's figures (results.json says `profiled: true`).
"""

import re
import shutil
from collections import Counter
from pathlib import Path

FRAME_LINE = re.compile(r":\d+\)$")
# frames on nearly every stack (entry points, thread plumbing): left out of "inclusive"
WRAPPERS = re.compile(
    r"<frozen runpy>|bench/probe\.py|threading\.py|concurrent/futures/thread\.py"
    r"|django/core/management/|<frozen importlib"
)
PROFILER_THREAD = "bench-peak-memory"


def py_spy() -> str | None:
    import sys

    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def wrap(argv: list[str], out: Path) -> list[str]:
    """argv run under py-spy, writing collapsed stacks to `out` (argv unchanged without it)."""
    spy = py_spy()
    if spy is None:
        return argv
    return [
        spy,
        "record",
        "--rate",
        "100",
        "--threads",
        "--format",
        "raw",
        "-o",
        str(out),
        "--",
        *argv,
    ]


def _thread_kind(root: str) -> str:
    # py-spy --threads roots each stack at "thread (TID): NAME" ("thread (TID)" unnamed);
    # numbered threads of one pool ("ThreadPoolExecutor-0_3") count as one kind
    name = root.partition("): ")[2] or "unnamed"
    return re.sub(r"[-_]?\d+(_\d+)?$", "", name) or name


def summarize(path: Path, *, top: int = 15) -> dict:
    """Shares of samples: per thread kind, and the top frames (inclusive and self)."""
    if not path.exists():
        return {"py_spy": None}
    inclusive: Counter = Counter()
    own: Counter = Counter()
    threads: Counter = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = stack.split(";")
        kind = _thread_kind(frames[0])
        if kind == PROFILER_THREAD:  # tracemalloc's own sampling, not the command's work
            continue
        total += samples
        threads[kind] += samples
        seen = set()
        for frame in frames[1:]:
            name = FRAME_LINE.sub(")", frame)
            if WRAPPERS.search(name):
                continue
            if name not in seen:
                seen.add(name)
                inclusive[name] += samples
        if len(frames) > 1:
            own[frames[-1]] += samples

    def shares(counter: Counter) -> list[tuple[str, float]]:
        return [(name, round(n / total, 3)) for name, n in counter.most_common(top)]

    return {
        "py_spy": str(path),
        "samples": total,
        "threads": shares(threads) if total else [],
        "top_inclusive": shares(inclusive) if total else [],
        "top_self": shares(own) if total else [],
    }


class PeakMemory:
    """tracemalloc, and the snapshot of the moment the traced memory was highest (sampled every
    `every` seconds by a thread of its own)."""

    def __init__(self, every: float = 0.5):
        import threading
        import tracemalloc

        self.tracemalloc = tracemalloc
        self.every = every
        self.best = 0
        self.snapshot = None
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="bench-peak-memory", daemon=True)

    def start(self) -> None:
        self.tracemalloc.start(1)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(self.every):
            self._sample()

    def _sample(self) -> None:
        current, _peak = self.tracemalloc.get_traced_memory()
        if current > self.best * 1.02:
            self.best = current
            self.snapshot = self.tracemalloc.take_snapshot()

    def stop(self, *, top: int = 20) -> dict:
        self.stopped.set()
        self.thread.join(5)
        self._sample()
        _current, peak = self.tracemalloc.get_traced_memory()
        lines = []
        if self.snapshot is not None:
            for stat in self.snapshot.statistics("lineno")[:top]:
                frame = stat.traceback[0]
                lines.append(
                    {
                        "where": f"{frame.filename}:{frame.lineno}",
                        "mb": round(stat.size / 2**20, 2),
                        "blocks": stat.count,
                    }
                )
        self.tracemalloc.stop()
        return {
            "traced_peak_mb": round(peak / 2**20, 1),
            "sampled_peak_mb": round(self.best / 2**20, 1),
            "top_lines_at_peak": lines,
        }
