"""Benchmark: replications per second of the two engines, parallel speed-up, peak memory.

    python benchmarks/bench_run.py            # the full set of figures (about three minutes)
    python benchmarks/bench_run.py --quick    # smaller counts, for a smoke check

Prints, for scenarios/kempengemeenten.toml with a 40-year horizon: replications per second of
the ensemble engine and of the Mesa model on one core, their ratio, the speed-up of --jobs 2
over --jobs 1 on 10,000 replications, the time of --jobs 64 against --jobs 2 (more jobs than
cores must not split the work into more chunks than can run), and the peak memory of a
100,000-replication run.
Each figure is measured in a fresh Python process, as a command-line run would be, and
timings are the best of a few repeats since the machine may be shared. They are
measurements, not tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "kempengemeenten.toml"
HORIZON_YEARS = 40

CHILD = """
import dataclasses, json, resource, sys, time
from samenwerkingsim.experiments.runner import run_scenario
from samenwerkingsim.model.params import RunSettings
from samenwerkingsim.scenarios import load_scenario

replications, repeats, engine, jobs = {replications}, {repeats}, {engine!r}, {jobs}
scenario = load_scenario({scenario!r})
scenario = dataclasses.replace(scenario, run=RunSettings(
    replications=replications, horizon_years={horizon}, seed=scenario.run.seed))
best = float("inf")
for _ in range(repeats):
    started = time.perf_counter()
    result = run_scenario(scenario, engine=engine, jobs=jobs)
    result.curves(), result.trajectories.table()
    best = min(best, time.perf_counter() - started)
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"rate": replications / best, "peak_mb": peak_mb}}))
"""


def measure(replications: int, repeats: int = 1, engine: str = "ensemble",
            jobs: int = 1) -> dict:
    """Replications per second (best of ``repeats``) and peak memory, in a fresh process."""
    code = CHILD.format(replications=replications, repeats=repeats, engine=engine, jobs=jobs,
                        scenario=str(SCENARIO), horizon=HORIZON_YEARS)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, a smoke check")
    args = parser.parse_args()
    n_ensemble, n_mesa, n_parallel, n_memory, repeats = (
        (500, 4, 2000, 5000, 1) if args.quick else (4000, 20, 10_000, 100_000, 3))

    ensemble = measure(n_ensemble, repeats)["rate"]
    mesa = measure(n_mesa, repeats, engine="mesa")["rate"]
    serial = measure(n_parallel, 2, jobs=1)["rate"]
    parallel = measure(n_parallel, 2, jobs=2)["rate"]
    oversubscribed = measure(n_parallel, 2, jobs=64)["rate"]
    memory = measure(n_memory)["peak_mb"]
    figures = {
        "scenario": SCENARIO.name, "horizon_years": HORIZON_YEARS,
        "ensemble_replications_per_second_1_core": round(ensemble, 1),
        "mesa_replications_per_second_1_core": round(mesa, 2),
        "ensemble_over_mesa": round(ensemble / mesa, 1),
        f"jobs2_over_jobs1_on_{n_parallel}": round(parallel / serial, 2),
        f"jobs64_time_over_jobs2_time_on_{n_parallel}": round(parallel / oversubscribed, 2),
        f"peak_memory_mb_{n_memory}_replications": round(memory, 1),
    }
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
