"""Draws from the calibration's posterior, which the package carries (``data/posterior.csv``,
the accepted points of ``experiments/calibration.toml``): for posterior runs and for experiments
with a ``posterior`` design."""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from importlib.resources import files

import numpy as np

from ..model.params import BEHAVIOUR_NAMES, Scenario

__all__ = ["Posterior", "load_posterior", "posterior_draws", "posterior_scenarios"]


POSTERIOR_FILE = "data/posterior.csv"


@dataclass(frozen=True)
class Posterior:
    names: tuple[str, ...]
    values: np.ndarray   # (points, parameters)
    weights: np.ndarray  # (points,), summing to 1


def load_posterior() -> Posterior:
    """The posterior shipped with the package (the accepted points of the calibration in
    ``experiments/calibration.toml``).

    Raises
    ------
    FileNotFoundError
        When the package carries no posterior.
    """
    text = files("samenwerkingsim").joinpath(POSTERIOR_FILE).read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        raise FileNotFoundError(f"{POSTERIOR_FILE} holds no points")
    names = tuple(n for n in rows[0] if n in BEHAVIOUR_NAMES)
    values = np.array([[float(row[n]) for n in names] for row in rows])
    weights = np.array([float(row["weight"]) for row in rows])
    return Posterior(names, values, weights / weights.sum())


def posterior_draws(posterior: Posterior, n: int, seed: int) -> list[dict[str, float]]:
    """``n`` parameter points drawn from the posterior by weight (seeded)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    picks = rng.choice(len(posterior.weights), size=n, replace=True, p=posterior.weights)
    return [dict(zip(posterior.names, posterior.values[i].tolist(), strict=True))
            for i in picks]


def posterior_scenarios(scenario: Scenario, draws: list[dict]) -> list[Scenario]:
    """The scenario once per draw, with the draw's behavioural parameters."""
    return [dataclasses.replace(scenario, behaviour=scenario.behaviour.with_overrides(**d))
            for d in draws]
