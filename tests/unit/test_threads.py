"""The thread tuner on a simulated machine: token times as measured on the 2-core machine
(SmolLM2: quiet 126 tok/s on 2 threads, 104 on 1; one core busy elsewhere 45 on 2, 127 on 1),
with noise, and the counts it chooses."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.core.engine import threads
from app.core.engine.threads import OtherLoad, ThreadTuner, _linux_fastest_cores

QUIET = {1: 1 / 104, 2: 1 / 126}
BUSY = {1: 1 / 127, 2: 1 / 45}


def run(tuner: ThreadTuner, machine: dict[int, float], tokens: int,
        rng: random.Random) -> float:
    """Seconds the tuner's counts take for `tokens` tokens."""
    total = 0.0
    for _ in range(tokens):
        took = machine[tuner.current] * rng.uniform(0.9, 1.1)
        total += took
        switched = tuner.add(took)
        assert switched is None or tuner.least <= switched <= tuner.most
    return total


def best_fixed(machine: dict[int, float], tokens: int) -> float:
    return min(machine.values()) * tokens


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("machine", "target", "settles_on"), [
    (QUIET, 0.97, 2),  # the target, quiet: every core
    (BUSY, 0.9, 1),  # and busy: a thread fewer
], ids=["quiet", "busy"])
def test_it_keeps_near_the_best_fixed_count(machine: dict[int, float], target: float,
                                            settles_on: int, seed: int) -> None:
    tuner = ThreadTuner(2)
    took = run(tuner, machine, 2000, random.Random(seed))
    assert best_fixed(machine, 2000) / took >= target
    assert tuner.current == settles_on


@pytest.mark.parametrize("seed", range(3))
def test_it_follows_the_machine_getting_busy_and_quiet_again(seed: int) -> None:
    rng = random.Random(seed)
    tuner = ThreadTuner(2)
    run(tuner, QUIET, 300, rng)
    assert tuner.current == 2
    run(tuner, BUSY, 300, rng)
    assert tuner.current == 1  # soon after the other program started
    run(tuner, QUIET, 1500, rng)
    assert tuner.current == 2  # and back, within a bounded wait


def test_many_cores_settle_on_the_best_count() -> None:
    """Eight cores, three busy elsewhere: five threads are the fastest; more wait at the
    barriers, fewer do less."""
    machine = {n: 1 / (20 * n if n <= 5 else 100 - 25 * (n - 5)) for n in range(1, 9)}
    rng = random.Random(1)
    tuner = ThreadTuner(8)
    took = run(tuner, machine, 4000, rng)
    assert tuner.current == 5
    assert best_fixed(machine, 4000) / took >= 0.85


def test_a_fixed_count_is_never_changed() -> None:
    tuner = ThreadTuner(1)
    assert all(tuner.add(0.01) is None for _ in range(100)) and tuner.current == 1


def test_cores_of_the_highest_capacity_are_the_performance_cores(tmp_path: Path) -> None:
    def cpu(n: int, core: int, capacity: int) -> None:
        folder = tmp_path / f"cpu{n}"
        (folder / "topology").mkdir(parents=True)
        (folder / "cpu_capacity").write_text(f"{capacity}\n")
        (folder / "topology" / "physical_package_id").write_text("0\n")
        (folder / "topology" / "core_id").write_text(f"{core}\n")

    for n, core in enumerate((0, 0, 1, 1)):  # two P-cores with hyperthreads
        cpu(n, core, 1024)
    for n, core in enumerate((8, 9, 10, 11), start=4):  # four E-cores
        cpu(n, core, 512)
    assert _linux_fastest_cores(tmp_path) == 2
    for n in range(4, 8):
        (tmp_path / f"cpu{n}" / "cpu_capacity").write_text("1024\n")
    assert _linux_fastest_cores(tmp_path) is None  # all alike: the caller counts them all


class Load:
    """Cores other programs keep busy, as the test sets them."""

    def __init__(self) -> None:
        self.cores = 0.0

    def __call__(self) -> float:
        return self.cores


def test_cores_busy_elsewhere_cap_the_count_at_once_and_quiet_lifts_it() -> None:
    """Beside one busy core of two, the count drops to 1 on the next token, and no probe takes
    it back to 2 however fast 2 looks (timings beside busy programs are that noisy); quiet
    again, it is back at 2 on the next token."""
    load, rng = Load(), random.Random(1)
    tuner = ThreadTuner(2, other_load=load)
    run(tuner, QUIET, 100, rng)
    assert tuner.current == 2
    load.cores = 1.0
    assert tuner.add(QUIET[2]) == 1
    run(tuner, QUIET, 2000, rng)  # 2 would be faster here; the ceiling holds anyway
    assert tuner.current == 1
    load.cores = 0.2  # a daemon's crumbs are no busy core
    assert tuner.add(QUIET[1]) == 2
    run(tuner, QUIET, 500, rng)
    assert tuner.current == 2


def test_below_the_ceiling_timing_still_chooses() -> None:
    """Eight cores, two busy elsewhere: at most six threads, and timing may choose fewer."""
    load = Load()
    load.cores = 2.0
    machine = {n: 1 / (10 * n) if n <= 4 else 0.025 * (1 + 0.5 * (n - 4)) for n in range(1, 9)}
    tuner = ThreadTuner(8, other_load=load)
    tuner.add(0.01)
    assert tuner.current == 6
    run(tuner, machine, 3000, random.Random(2))
    assert tuner.current == 4


def test_other_load_is_the_systems_busy_time_less_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    busy, ours = [100.0], [10.0]
    monkeypatch.setattr(threads, "_busy_seconds", lambda: busy[0])
    monkeypatch.setattr(threads.psutil, "Process",
                        lambda: SimpleNamespace(cpu_times=lambda: (ours[0], 0.0)))
    load = OtherLoad(interval=0.5, clock=lambda: clock[0], first_interval=0.1)  # from here
    assert load() == 0.0  # nothing to compare with yet
    clock[0], busy[0], ours[0] = 0.1, 100.2, 10.1  # the first reading comes soon: 1 core
    assert load() == pytest.approx(1.0)
    clock[0], busy[0] = 0.2, 150.0  # then half a second apart: the last value meanwhile
    assert load() == pytest.approx(1.0)
    clock[0], busy[0], ours[0] = 1.1, 102.7, 11.1  # 2.5 cores busy in all, 1 of them ours
    assert load() == pytest.approx(1.5)
    # Counted at other moments, ours may seem more than the system's: never below 0.
    clock[0], busy[0], ours[0] = 2.1, 103.2, 12.1
    assert load() == 0.0


def test_without_probes_it_follows_the_free_cores_alone() -> None:
    """The prompt's tuner: all the free cores, whatever the times say."""
    load = Load()
    tuner = ThreadTuner(2, other_load=load, probes=False)
    run(tuner, {1: 0.001, 2: 0.01}, 500, random.Random(3))  # 1 "faster": not looked for
    assert tuner.current == 2 and tuner.switches == 0
    load.cores = 1.0
    assert tuner.add(0.01) == 1
    load.cores = 0.0
    assert tuner.add(0.01) == 2


def test_follow_load_alone_moves_to_the_free_cores_before_any_work() -> None:
    """The prompt's batches ask before they start: a batch can take seconds."""
    load = Load()
    tuner = ThreadTuner(4, other_load=load, probes=False)
    assert tuner.follow_load() is None
    load.cores = 3.0
    assert tuner.follow_load() == 1 and tuner.current == 1
    load.cores = 1.0
    assert tuner.follow_load() == 3
