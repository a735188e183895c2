"""Benchmark: replications per second of the two engines, parallel speed-up, peak memory.

    python benchmarks/bench_run.py            # the full set of figures (a few minutes)
    python benchmarks/bench_run.py --quick    # smaller counts, for a smoke check

Prints, for scenarios/kempengemeenten.toml with a 40-year horizon: replications per second of
the ensemble engine and of the Mesa model on one core, their ratio, the speed-up of --jobs 2
over --jobs 1 on 10,000 replications, and the peak memory of a 100,000-replication run
(measured in a child process). Timings are the best of a few repeats, since this machine is
shared; they are measurements, not tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from samenwerkingsim.experiment import run_scenario
from samenwerkingsim.params import RunSettings
from samenwerkingsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "kempengemeenten.toml"
HORIZON_YEARS = 40


def scenario_with_horizon():
    scenario = load_scenario(SCENARIO)
    run = RunSettings(replications=scenario.run.replications, horizon_years=HORIZON_YEARS,
                      seed=scenario.run.seed)
    return dataclasses.replace(scenario, run=run)


def best_rate(scenario, replications: int, repeats: int, **options) -> float:
    """Replications per second, best of ``repeats``."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run_scenario(scenario, replications=replications, **options)
        best = min(best, time.perf_counter() - started)
    return replications / best


def peak_memory_mb(replications: int) -> float:
    """Peak resident memory of a child process that runs ``replications`` and summarises."""
    code = (
        "import dataclasses, sys\n"
        "from samenwerkingsim.experiment import run_scenario\n"
        "from samenwerkingsim.params import RunSettings\n"
        "from samenwerkingsim.scenario import load_scenario\n"
        f"s = load_scenario({str(SCENARIO)!r})\n"
        f"s = dataclasses.replace(s, run=RunSettings(replications={replications}, "
        f"horizon_years={HORIZON_YEARS}, seed=s.run.seed))\n"
        "r = run_scenario(s)\n"
        "r.curves(); r.trajectories.table()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, a smoke check")
    args = parser.parse_args()
    scenario = scenario_with_horizon()
    n_ensemble, n_mesa, n_parallel, n_memory, repeats = (
        (500, 4, 2000, 5000, 1) if args.quick else (4000, 20, 10_000, 100_000, 3))

    ensemble = best_rate(scenario, n_ensemble, repeats, engine="ensemble")
    mesa = best_rate(scenario, n_mesa, repeats, engine="mesa")
    serial = best_rate(scenario, n_parallel, 1, engine="ensemble", jobs=1)
    parallel = best_rate(scenario, n_parallel, 1, engine="ensemble", jobs=2)
    memory = peak_memory_mb(n_memory)
    figures = {
        "scenario": SCENARIO.name, "horizon_years": HORIZON_YEARS,
        "ensemble_replications_per_second_1_core": round(ensemble, 1),
        "mesa_replications_per_second_1_core": round(mesa, 2),
        "ensemble_over_mesa": round(ensemble / mesa, 1),
        f"jobs2_over_jobs1_on_{n_parallel}": round(parallel / serial, 2),
        f"peak_memory_mb_{n_memory}_replications": round(memory, 1),
    }
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
