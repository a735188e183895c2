"""The one seeding rule, and the fixed-shape blocks every replication draws.

Replication ``r`` of parameter point ``p`` draws from its own stream
``numpy.random.SeedSequence(seed, spawn_key=(p, r))`` (DESIGN.md section 6). Each stream is
read in blocks whose shape depends only on the scenario (how many member slots), never on how
many replications run together: first one setup block, then one block of uniforms per five
simulated years. So the Mesa model (one replication) and the ensemble engine (many at once,
any chunking) see exactly the same numbers for the same (seed, p, r).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .params import AGENDA_DIMENSIONS, PORTFOLIOS

N_PORTFOLIOS = len(PORTFOLIOS)
N_AGENDA = len(AGENDA_DIMENSIONS)
MONTHS_PER_BLOCK = 60  # five years a block: fewer, larger draws


def replication_seed(seed: int, point: int, replication: int) -> np.random.SeedSequence:
    """The seed sequence of replication ``replication`` at parameter point ``point``."""
    return np.random.SeedSequence(seed, spawn_key=(point, replication))


@dataclass(frozen=True)
class BlockLayout:
    """Named slices of a flat block of uniforms, each with a fixed shape per replication."""

    shapes: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def size(self) -> int:
        return sum(math.prod(shape) for _, shape in self.shapes)

    def split(self, block: np.ndarray) -> dict[str, np.ndarray]:
        """Views into ``block`` (leading replication axis) by name."""
        views, offset = {}, 0
        lead = block.shape[:-1]
        for name, shape in self.shapes:
            n = math.prod(shape)
            views[name] = block[..., offset:offset + n].reshape(*lead, *shape)
            offset += n
        return views


def setup_layout(n_members: int) -> BlockLayout:
    """Uniforms drawn once per replication before the first month."""
    m, p, d = n_members, N_PORTFOLIOS, N_AGENDA
    return BlockLayout((
        ("director", (3,)),
        ("stance", (p, m)),
        ("sample_arrangement", (24,)),
        ("sample_member", (m, 6)),
        ("sample_agenda_centre", (d,)),
        ("sample_agenda", (m, d)),
    ))


def monthly_layout(n_members: int) -> BlockLayout:
    """Uniforms drawn for every month of every replication."""
    m, p, d = n_members, N_PORTFOLIOS, N_AGENDA
    n_pairs = m * (m - 1) // 2
    return BlockLayout((
        ("turnover", (p, m)),
        # scepticism, autonomy preference, merger support, then each agenda dimension
        ("election_shift", (m, 3 + d)),
        ("meeting", (p, n_pairs)),
        ("incident", ()),
        ("director_turnover", ()),
        ("director_new", (3,)),
        ("exit", (m,)),
        ("merger_initiative", ()),
        ("merger_vote", (m,)),
    ))


class ReplicationStreams:
    """The random streams of a set of replications, read in fixed-shape blocks.

    Parameters
    ----------
    seed : int
        Root seed of the experiment.
    point : int
        Index of the parameter point (0 for a plain run).
    replications : sequence of int
        Replication indices; any subset, in any grouping, gives each the same numbers.
    n_members : int
        Member slots of the scenario (fixes the block shapes).
    """

    def __init__(self, seed: int, point: int, replications: Sequence[int], n_members: int):
        self.generators = [np.random.Generator(np.random.PCG64(replication_seed(seed, point, r)))
                           for r in replications]
        self.setup_layout = setup_layout(n_members)
        self.monthly_layout = monthly_layout(n_members)
        self._block: np.ndarray | None = None
        self._rows: np.ndarray | None = None

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        # single precision: twice as fast to draw, and 2**-24 resolution is ample for the
        # probabilities of the model (the smallest is about 0.001 a month)
        out = np.empty((len(self.generators), *shape), dtype=np.float32)
        for row, generator in zip(out, self.generators, strict=True):
            generator.random(out=row, dtype=np.float32)
        return out

    def setup(self) -> dict[str, np.ndarray]:
        """The setup uniforms, by name; call once, before the first month."""
        block = self._draw((self.setup_layout.size,)).astype(np.float64)
        return self.setup_layout.split(block)

    def keep(self, rows: np.ndarray) -> None:
        """Go on with the replications at positions ``rows`` only (the others have ended)."""
        self.generators = [self.generators[i] for i in rows]
        # rows of the current block to read from until the next block is drawn
        self._rows = rows if self._rows is None else self._rows[rows]

    def month(self, month: int) -> dict[str, np.ndarray]:
        """The uniforms of month ``month`` (0-based, called in order), by name."""
        within = month % MONTHS_PER_BLOCK
        if within == 0:
            self._block = self._draw((MONTHS_PER_BLOCK, self.monthly_layout.size))
            self._rows = None
        uniforms = self._block[:, within, :]
        if self._rows is not None:
            uniforms = uniforms[self._rows]
        return self.monthly_layout.split(uniforms)
