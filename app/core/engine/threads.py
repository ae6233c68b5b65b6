"""How many CPU threads llama.cpp uses, chosen for the machine and adapted while it runs.

Reading a prompt is compute-bound: every core helps. Writing the answer is bound by memory
bandwidth: a thread more gains little, and on a machine where another program is busy, one
thread more than there are free cores makes every token wait at llama.cpp's barriers for the
thread that was not scheduled. Measured on a 2-core machine with one core busy elsewhere
(SmolLM2 135M): 45 tok/s on 2 threads, 127 on 1; quiet, 2 threads give 126 and 1 gives 104.
No fixed count is right for both, so the engine measures each token (`ThreadTuner`) and tries
a count next to the one in use from time to time, keeping whichever is faster.

Timing alone reacts slowly where it matters most: beside busy programs the times per token
scatter so widely that a lucky probe of too many threads can be kept for hundreds of tokens
(measured: 0.60× the best fixed count beside two busy processes on two cores). So the tuner
also reads how many cores other programs keep busy (`OtherLoad`: the system's busy CPU time
less this process's own, every half second) and never uses more threads than the cores left
free; timing chooses below that ceiling.

`default_threads` gives the counts to start from: every performance core, for both (where the
platform tells performance from efficiency cores; every physical core elsewhere).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

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


class OtherLoad:
    """How many cores other programs keep busy (a float; 0.0 quiet), from the system's busy
    CPU time less this process's own over the last `interval` seconds. Called per token, it
    reads the counters at most once an interval and otherwise returns the last value. Stolen
    time (a virtual machine's host busy elsewhere) counts as busy: those cores are not ours.
    It counts from when it is made, and its first reading takes only `first_interval`: made
    before a model loads (a small one loads in 0.3 s), it has a reading by the first token."""

    def __init__(self, interval: float = 0.5, clock: Callable[[], float] = time.monotonic,
                 first_interval: float = 0.15) -> None:
        self.interval, self.first_interval, self._clock = interval, first_interval, clock
        self._process = psutil.Process()
        self._last: tuple[float, float, float] | None = None
        self._readings = 0
        self.value = 0.0
        self()

    def __call__(self) -> float:
        now = self._clock()
        wait = self.interval if self._readings > 1 else self.first_interval
        if self._last is not None and now - self._last[0] < wait:
            return self.value
        try:
            busy, ours = _busy_seconds(), sum(self._process.cpu_times()[:2])
        except (OSError, psutil.Error):
            return self.value
        if self._last is not None:
            then, busy_then, ours_then = self._last
            other = ((busy - busy_then) - (ours - ours_then)) / max(now - then, 1e-6)
            self.value = max(0.0, other)
        self._last = now, busy, ours
        self._readings += 1
        return self.value


def _busy_seconds() -> float:
    """CPU seconds spent busy by the whole system (every logical CPU), as psutil's own
    cpu_percent counts them: all but idle and I/O wait, guests not twice."""
    times = psutil.cpu_times()
    total = sum(times)
    for spare in ("idle", "iowait", "guest", "guest_nice"):
        total -= getattr(times, spare, 0.0)
    return total


class ThreadTuner:
    """Chooses a thread count from measured times, one `add` per unit of work (a token, or a
    prompt batch's time per token).

    It measures `window` units at the count in use and keeps their median. Every so often
    (after `first_probe` units, then twice as long after each probe that found nothing better,
    at most `longest_wait`) it tries a neighbouring count for one window: fewer threads first,
    then more. A probe that is faster by more than `margin` is kept; otherwise the count goes
    back. When the count in use gets much slower than it was (another program started), it
    probes at once. The first unit after a change is not counted: llama.cpp's threads are
    still being woken or parked. `add` returns the count to switch to, or None.

    With `other_load` (cores other programs keep busy, e.g. `OtherLoad`), the count never
    exceeds the cores left free (`most` less the busy cores, rounded): it drops to that ceiling
    at once, and goes back up to it when the machine is quiet again, if it was the ceiling
    that held it down. With `probes` False it follows the ceiling alone (a prompt's batches:
    compute-bound, every free core helps, and too few of them to time without being fooled
    by noise: probing them kept 1 thread of 2 on a quiet machine, 0.78-0.87x)."""

    def __init__(self, most: int, *, least: int = 1, start: int | None = None,
                 window: int = 6, margin: float = 0.1, first_probe: int = 24,
                 longest_wait: int = 768, slower: float = 1.4,
                 other_load: Callable[[], float] | None = None, probes: bool = True) -> None:
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
        self._other_load = other_load
        self._ceiling = self.most
        self._held = False  # the ceiling lowered the count
        self.probes = probes
        self.switches = 0

    @property
    def fixed(self) -> bool:
        return self.most == self.least

    def add(self, seconds: float) -> int | None:
        moved = self.follow_load()
        if moved is not None or not self.probes:
            return moved
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

    def follow_load(self) -> int | None:
        """Down to the cores left free at once; back up when they come back, if the ceiling
        was what held the count down: the count to switch to, or None. (`add` does this too;
        call it alone before work that should start on the free cores.)"""
        if self.fixed or self._other_load is None:
            return None
        free = self.most - round(self._other_load())
        before, self._ceiling = self._ceiling, max(self.least, min(self.most, free))
        if self.current > self._ceiling:
            self._held = True
            return self._restart(self._ceiling)
        if self._held and self._ceiling > before and self.current < self._ceiling:
            self._held = self._ceiling < self.most
            return self._restart(self._ceiling)
        return None

    def _restart(self, count: int) -> int:
        """Switch outside a probe: a probe under way is dropped, measuring starts afresh."""
        self._probe_from = None
        self._times.clear()
        self._since, self._wait = 0, self.first_probe
        return self._switch(count)

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
        up = self.current + 1 if self.current < self._ceiling else None
        first, second = (down, up) if self._down else (up, down)
        return first if first is not None else second

    def _switch(self, count: int) -> int:
        self.current = count
        self._skip = 1
        self.switches += 1
        return count

