"""How many CPU threads llama.cpp uses, chosen for the machine and adapted while it runs.

Reading a prompt is compute-bound: every core helps. Writing the answer is bound by memory
bandwidth: a thread more gains little, and on a machine where another program is busy, one
thread more than there are free cores makes every token wait at llama.cpp's barriers for the
thread that was not scheduled. Measured on a 2-core machine with one core busy elsewhere
(SmolLM2 135M): 45 tok/s on 2 threads, 127 on 1; quiet, 2 threads give 126 and 1 gives 104.
No fixed count is right for both, so the engine measures each token (`ThreadTuner`) and tries
a count next to the one in use from time to time, keeping whichever is faster.

`default_threads` gives the counts to start from: every performance core, for both (where the
platform tells performance from efficiency cores; every physical core elsewhere).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from app.core.engine.hardware import physical_cores

_CPU_SYS = Path("/sys/devices/system/cpu")


@dataclass(frozen=True)
class ThreadCounts:
    """Threads for writing the answer (`generation`) and for reading the prompt (`batch`)."""

    generation: int
    batch: int


def performance_cores() -> int:
    """Physical cores of the fastest kind: Apple's performance cores (`hw.perflevel0`), the
    cores of the highest capacity on Linux (big.LITTLE, Intel's P-cores where the kernel rates
    them), else every physical core."""
    if sys.platform == "darwin":
        try:
            found = subprocess.run(["sysctl", "-n", "hw.perflevel0.physicalcpu"],
                                   capture_output=True, text=True, timeout=2, check=False)
            if found.returncode == 0 and found.stdout.strip().isdigit():
                return max(1, int(found.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    elif sys.platform.startswith("linux"):
        counted = _linux_fastest_cores(_CPU_SYS)
        if counted:
            return counted
    return physical_cores()


def _linux_fastest_cores(root: Path) -> int | None:
    """Physical cores whose `cpu_capacity` is the highest, when the kernel rates cores
    differently; None when it does not (every core the same, or no ratings)."""
    capacity: dict[tuple[str, str], int] = {}
    for cpu in root.glob("cpu[0-9]*"):
        try:
            rating = int((cpu / "cpu_capacity").read_text().strip())
            package = (cpu / "topology" / "physical_package_id").read_text().strip()
            core = (cpu / "topology" / "core_id").read_text().strip()
        except (OSError, ValueError):
            return None
        capacity[package, core] = max(rating, capacity.get((package, core), 0))
    if not capacity or len(set(capacity.values())) < 2:
        return None
    best = max(capacity.values())
    return sum(1 for rating in capacity.values() if rating == best)


def default_threads() -> ThreadCounts:
    """Where both counts start: one thread per performance core (the tuner lowers the
    answer's when the machine is busy)."""
    fast = performance_cores()
    return ThreadCounts(generation=fast, batch=fast)


class ThreadTuner:
    """Chooses a thread count from measured times, one `add` per unit of work (a token, or a
    prompt batch's time per token).

    It measures `window` units at the count in use and keeps their median. Every so often
    (after `first_probe` units, then twice as long after each probe that found nothing better,
    at most `longest_wait`) it tries a neighbouring count for one window: fewer threads first,
    then more. A probe that is faster by more than `margin` is kept; otherwise the count goes
    back. When the count in use gets much slower than it was (another program started), it
    probes at once. The first unit after a change is not counted: llama.cpp's threads are
    still being woken or parked. `add` returns the count to switch to, or None."""

    def __init__(self, most: int, *, least: int = 1, start: int | None = None,
                 window: int = 6, margin: float = 0.06, first_probe: int = 24,
                 longest_wait: int = 768, slower: float = 1.4) -> None:
        self.most = max(1, most)
        self.least = max(1, min(least, self.most))
        self.current = min(self.most, max(self.least, start or self.most))
        self.window, self.margin, self.slower = max(1, window), margin, slower
        self.first_probe, self.longest_wait = first_probe, longest_wait
        self._times: list[float] = []
        self._skip = 0
        self._wait = first_probe
        self._since = 0
        self._down = True  # the next probe's direction
        self._probe_from: int | None = None
        self._base = 0.0  # the median at the count a probe left
        self._seen: dict[int, float] = {}  # the last median at each count
        self.switches = 0

    @property
    def fixed(self) -> bool:
        return self.most == self.least

    def add(self, seconds: float) -> int | None:
        median = self._measure(seconds)
        if median is None:
            return None
        if self._probe_from is not None:
            return self._judge_probe(median)
        before = self._seen.get(self.current)
        self._seen[self.current] = median
        if before is not None and median > before * self.slower:
            self._wait, self._since = self.first_probe, self.first_probe  # busy now: probe
        if self._since < self._wait:
            return None
        target = self._neighbour()
        if target is None:
            self._since = 0
            return None
        self._probe_from, self._base = self.current, median
        return self._switch(target)

    def _measure(self, seconds: float) -> float | None:
        """The median of a window once it is full; None before (and for a fixed count)."""
        if self.fixed or seconds <= 0:
            return None
        if self._skip:
            self._skip -= 1
            return None
        self._times.append(seconds)
        self._since += 1
        if len(self._times) < self.window:
            return None
        median = statistics.median(self._times)
        self._times.clear()
        return median

    def _judge_probe(self, median: float) -> int | None:
        origin, self._probe_from = self._probe_from, None
        assert origin is not None
        self._since = 0
        if median < self._base * (1 - self.margin):  # faster: keep it, look again soon
            self._seen[self.current] = median
            self._wait = self.first_probe
            return None
        self._wait = min(self._wait * 2, self.longest_wait)
        self._down = not self._down
        return self._switch(origin)

    def _neighbour(self) -> int | None:
        down = self.current - 1 if self.current > self.least else None
        up = self.current + 1 if self.current < self.most else None
        first, second = (down, up) if self._down else (up, down)
        return first if first is not None else second

    def _switch(self, count: int) -> int:
        self.current = count
        self._skip = 1
        self.switches += 1
        return count

