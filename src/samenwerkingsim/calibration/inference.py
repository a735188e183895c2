"""How far a simulated output is from its target, allowing for Monte Carlo error.

Every output of a calibration is a proportion estimated from ``n`` replications, all followed
past the target's year, so its Monte Carlo variance is ``p (1 - p) / n`` (floored at
``0.5 / n`` squared, so that a proportion of exactly 0 or 1 still has an error).

- **Implausibility** (history matching; Craig et al. 1997, Vernon et al. 2010): for a band
  ``[low, high]``, read as the empirical estimate ``(low + high) / 2`` with a standard deviation
  of a quarter of its width (the band as a 95% interval), ``I = |y - centre| / sqrt(sd_band**2
  + var_MC)``; for a one-sided target (at least / at most a threshold) only the Monte Carlo
  error counts: ``I = max(0, threshold - y) / sd_MC`` (or ``y - threshold``). A parameter
  point is not implausible while every ``I`` stays below the wave's cutoff.
- **ABC acceptance** (rejection ABC; Beaumont et al. 2002): a point is accepted when every
  output lies inside its band up to ``tolerance`` Monte Carlo standard deviations.
"""

from __future__ import annotations

import numpy as np

from .spec import Target

__all__ = ["exceedance", "implausibility", "monte_carlo_sd"]


def monte_carlo_sd(p: np.ndarray, n: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    floor = 0.5 / n
    return np.sqrt(np.maximum(p * (1.0 - p), floor * floor * n) / n)


def implausibility(target: Target, y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """History-matching implausibility of outputs ``y`` estimated from ``n`` replications."""
    sd = monte_carlo_sd(y, n)
    if target.kind == "band":
        centre = 0.5 * (target.low + target.high)
        band_sd = 0.25 * (target.high - target.low)
        return np.abs(y - centre) / np.sqrt(band_sd**2 + sd**2)
    if target.kind == "at_least":
        return np.maximum(0.0, target.low - y) / sd
    return np.maximum(0.0, y - target.high) / sd


def exceedance(target: Target, y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """How far outputs lie outside the band, in Monte Carlo standard deviations (0 inside)."""
    sd = monte_carlo_sd(y, n)
    outside = np.maximum(target.low - y, 0.0) + np.maximum(y - target.high, 0.0)
    return outside / sd
