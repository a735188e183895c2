"""Benchmark of sweeps: how much the runner and the store cost, parallel speed-up, resume
time and peak memory.

    python benchmarks/bench_sweep.py            # the full set (about ten minutes on 2 cores)
    python benchmarks/bench_sweep.py --quick    # small counts, a smoke check

Prints, for the national ensemble (scenarios/national.toml, 20 years):

- the ensemble engine's raw rate (replications per second, one core, ``run_scenario``);
- a sweep's rate on one core over points of the same size, and its ratio to the raw rate
  (target: at least 0.8);
- the speed-up of ``sweep --jobs 2`` over ``--jobs 1`` (target: at least 1.7);
- the wall time of resuming a finished sweep from the command line (target: under 2 s);
- the peak memory (largest resident set of the parent and of one worker) of a sweep of 500
  points x 2,000 replications with ``--jobs 2``.

Each figure is measured in a fresh process; timings are the best of a few repeats, since the
machine may be shared. They are measurements, not tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NATIONAL = (ROOT / "scenarios" / "national.toml").as_posix()

RAW = """
import dataclasses, json, time
from samenwerkingsim.experiments.runner import run_scenario
from samenwerkingsim.model.params import RunSettings
from samenwerkingsim.scenarios import load_scenario
scenario = load_scenario({scenario!r})
scenario = dataclasses.replace(scenario, run=RunSettings(replications={n}, horizon_years=20,
                                                         seed=scenario.run.seed))
best = float("inf")
for _ in range({repeats}):
    started = time.perf_counter()
    run_scenario(scenario).curves()
    best = min(best, time.perf_counter() - started)
print(json.dumps({{"rate": {n} / best}}))
"""


SWEEP = """
import json, sys, time
import samenwerkingsim as sws
import samenwerkingsim.experiments.sweep, samenwerkingsim.output.experiments  # imports first
import samenwerkingsim.plotting.sweeps
experiment = sws.load_experiment({path!r})
started = time.perf_counter()
sws.sweep(experiment, out={out!r}, jobs={jobs})
print(json.dumps({{"seconds": time.perf_counter() - started}}))
"""


def experiment_file(folder: Path, points: int, replications: int) -> Path:
    """A sweep over the national ensemble's trust gain, ``points`` values."""
    values = [round(0.02 + 0.02 * i / max(points - 1, 1), 6) for i in range(points)]
    path = folder / f"bench_{points}x{replications}.toml"
    path.write_text(f"""schema_version = 1
name = "bench_{points}x{replications}"
scenario = "{NATIONAL}"
[run]
replications = {replications}
seed = 1
[[factors]]
key = "behaviour.trust_gain_per_success"
values = {values}
""")
    return path


def sweep(path: Path, out: Path, *extra: str) -> float:
    """Wall time of one ``samenwerkingsim sweep`` in a fresh process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "samenwerkingsim", "sweep", str(path), "--out",
                    str(out), "--quiet", *extra], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def best_sweep_rate(path: Path, folder: Path, replications: int, repeats: int,
                    jobs: int = 1) -> float:
    """Replications per second of the sweep itself (the store, the points table and the
    figures included; starting Python and importing the package not), best of ``repeats``."""
    best = float("inf")
    for _ in range(repeats):
        out = Path(tempfile.mkdtemp(dir=folder)) / "sweep"  # a new sweep every time
        child = subprocess.run([sys.executable, "-c", SWEEP.format(path=str(path), out=str(out),
                                                                   jobs=jobs)],
                               check=True, capture_output=True, text=True)
        best = min(best, json.loads(child.stdout.strip().splitlines()[-1])["seconds"])
    return replications / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, a smoke check")
    args = parser.parse_args()
    raw_n, points, per_point, parallel_points, memory_points, repeats = (
        (1000, 4, 500, 4, 20, 1) if args.quick else (4000, 10, 2000, 20, 500, 2))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = json.loads(subprocess.run(
            [sys.executable, "-c", RAW.format(scenario=NATIONAL, n=raw_n, repeats=repeats + 1)],
            check=True, capture_output=True, text=True).stdout)["rate"]
        one = experiment_file(folder, points, per_point)
        # the wall time of a command: starting Python and writing the figures included
        sweep_rate = best_sweep_rate(one, folder, points * per_point, repeats)
        two = experiment_file(folder, parallel_points, per_point)
        serial = best_sweep_rate(two, folder, parallel_points * per_point, repeats, jobs=1)
        parallel = best_sweep_rate(two, folder, parallel_points * per_point, repeats, jobs=2)
        # resume a finished sweep with the command a user would type (starting Python included)
        finished = folder / "finished"
        sweep(two, finished, "--jobs", "2")
        resume = min(sweep(two, finished) for _ in range(3))
        big = experiment_file(folder, memory_points, 2000)
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", (
            "import resource, subprocess, sys, json;"
            f"subprocess.run([sys.executable, '-m', 'samenwerkingsim', 'sweep', {str(big)!r}, "
            f"'--out', {str(folder / 'big')!r}, '--quiet', '--jobs', '2'], check=True, "
            "stdout=subprocess.DEVNULL);"
            "print(json.dumps(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))")],
            check=True, capture_output=True, text=True)
        big_seconds = time.perf_counter() - started
        largest_process_mb = json.loads(child.stdout) / 1024
    figures = {
        "scenario": "national.toml", "horizon_years": 20,
        "raw_engine_replications_per_second_1_core": round(raw, 1),
        f"sweep_replications_per_second_1_core_{points}x{per_point}": round(sweep_rate, 1),
        "sweep_over_raw": round(sweep_rate / raw, 2),
        f"sweep_jobs2_over_jobs1_{parallel_points}x{per_point}": round(parallel / serial, 2),
        "resume_of_a_finished_sweep_seconds": round(resume, 2),
        f"sweep_{memory_points}x2000_jobs2_seconds": round(big_seconds, 1),
        f"sweep_{memory_points}x2000_largest_process_mb": round(largest_process_mb, 1),
    }
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
