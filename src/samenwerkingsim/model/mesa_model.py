"""The Mesa model: one replication, with municipalities, wethouders and a director as agents.

The model runs the month of :func:`samenwerkingsim.engine.advance_month` on a state of one
replication; its agents are views on that state that a user can inspect (and that Mesa's tools
can collect). The shared organisation is the model itself. Because it draws from the same
replication stream in the same blocks, it reproduces the ensemble engine exactly.

Example
-------
>>> from samenwerkingsim.scenarios import load_scenario
>>> model = SharedServiceModel(load_scenario("scenarios/noaberkracht.toml"), seed=1)
>>> model.run_until_end()
>>> [m.name for m in model.municipalities]
['Dinkelland', 'Tubbergen']
"""

from __future__ import annotations

import mesa
import numpy as np

from .engine import OUTCOME_NAMES, Context, advance_month, initial_state, observe
from .params import PORTFOLIOS, Scenario
from .rules import ABSENT, LEAVING, LEFT, MEMBER, MERGED
from .seeding import ReplicationStreams, replication_seed

STATUS_NAMES = {MEMBER: "member", LEAVING: "leaving", LEFT: "left", MERGED: "merged",
                ABSENT: "absent"}


class Municipality(mesa.Agent):
    """A member municipality: its council's attitudes, ownership and judgement."""

    def __init__(self, model: SharedServiceModel, slot: int, name: str):
        super().__init__(model)
        self.slot = slot
        self.name = name

    def _get(self, attribute: str):
        return getattr(self.model.state, attribute)[0, self.slot]

    population = property(lambda self: float(self._get("population")))
    ownership = property(lambda self: float(self._get("ownership")))
    value = property(lambda self: float(self._get("value")))
    smoothed_value = property(lambda self: float(self._get("smoothed_value")))
    autonomy_preference = property(lambda self: float(self._get("autonomy_preference")))
    control_demand = property(lambda self: float(self._get("control_demand")))
    merger_support = property(lambda self: float(self._get("merger_support")))
    merger_position = property(lambda self: {1: "yes", -1: "no", 0: "none"}[
        int(self._get("merger_position"))])
    burden = property(lambda self: float(self._get("burden")))
    council_scepticism = property(lambda self: float(self._get("council_scepticism")))
    frustration = property(lambda self: float(self._get("frustration")))
    agenda = property(lambda self: tuple(self._get("agenda").tolist()))
    status = property(lambda self: STATUS_NAMES[int(self._get("status"))])

    def trust_in(self, other: Municipality) -> float:
        """Trust between this municipality and ``other`` (symmetric)."""
        return float(self.model.state.municipal_trust[0, self.model.pair_index(self.slot,
                                                                                other.slot)])

    def __repr__(self) -> str:
        return f"Municipality({self.name!r}, status={self.status!r})"


class Wethouder(mesa.Agent):
    """The portfolio holder of one portfolio in one municipality's college."""

    def __init__(self, model: SharedServiceModel, municipality: Municipality, portfolio: int):
        super().__init__(model)
        self.municipality = municipality
        self.portfolio_index = portfolio
        self.portfolio = PORTFOLIOS[portfolio]

    stance = property(lambda self: float(
        self.model.state.stance[0, self.portfolio_index, self.municipality.slot]))
    tenure_months = property(lambda self: self.model.state.month - int(
        self.model.state.appointed_month[0, self.portfolio_index, self.municipality.slot]))

    def trust_in(self, counterpart: Wethouder) -> float:
        """Personal trust in the counterpart wethouder of the same portfolio elsewhere."""
        if counterpart.portfolio_index != self.portfolio_index:
            raise ValueError("wethouders meet their counterparts of the same portfolio; "
                             f"{self.portfolio!r} and {counterpart.portfolio!r} differ")
        k = self.model.pair_index(self.municipality.slot, counterpart.municipality.slot)
        return float(self.model.state.personal_trust[0, self.portfolio_index, k])

    def __repr__(self) -> str:
        return f"Wethouder({self.municipality.name!r}, {self.portfolio!r})"


class Director(mesa.Agent):
    """The director of the shared organisation."""

    is_separate = property(lambda self: bool(self.model.state.levers.separate_director[0]))
    competence = property(lambda self: float(self.model.state.competence[0]))
    bias = property(lambda self: float(self.model.state.bias[0]))
    effort = property(lambda self: float(self.model.state.effort[0]))


class SharedServiceModel(mesa.Model):
    """One shared civil-service organisation (ambtelijke fusie), stepped month by month.

    Parameters
    ----------
    scenario : Scenario
        The arrangement, its governance and the behavioural parameters.
    seed : int
        Root seed of the experiment.
    point, replication : int
        Which stream to draw from: ``SeedSequence(seed, spawn_key=(point, replication))``.
    """

    def __init__(self, scenario: Scenario, seed: int, point: int = 0, replication: int = 0):
        # Mesa's own generators get a seed derived from the same sequence; the rules draw only
        # from the replication stream, exactly as the ensemble engine does.
        mesa_seed = int(replication_seed(seed, point, replication).generate_state(1)[0])
        super().__init__(rng=mesa_seed)
        # not ``self.scenario``: Mesa >= 3.5 reserves that name for its own scenario objects
        self.parameters = scenario
        self.replication = replication
        self.horizon_months = scenario.run.horizon_months
        self.streams = ReplicationStreams(seed, point, [replication], scenario.max_members)
        self.state = initial_state(scenario, self.streams.setup())
        self.context = Context.for_scenario(scenario)
        self._pairs = {(int(i), int(j)): k for k, (i, j) in
                       enumerate(zip(self.context.first, self.context.second, strict=True))}
        self.municipalities = [Municipality(self, slot, name)
                               for slot, name in enumerate(scenario.member_names)
                               if self.state.status[0, slot] != ABSENT]
        self.wethouders = [Wethouder(self, m, p) for m in self.municipalities
                           for p in range(len(PORTFOLIOS))]
        self.director = Director(self)
        self.observations: list[dict[str, float]] = []

    def pair_index(self, slot_a: int, slot_b: int) -> int:
        if slot_a == slot_b:
            raise ValueError("trust is defined between two different members")
        return self._pairs[(min(slot_a, slot_b), max(slot_a, slot_b))]

    # the shared organisation's state, read from the model
    maturity = property(lambda self: float(self.state.maturity[0]))
    quality = property(lambda self: float(self.state.quality[0]))
    incident_load = property(lambda self: float(self.state.incident_load[0]))
    month = property(lambda self: self.state.month)
    outcome = property(lambda self: OUTCOME_NAMES[int(self.state.outcome[0])])

    def step(self) -> None:
        """One month."""
        advance_month(self.state, self.streams.month(self.state.month), self.context)
        if self.state.running[0]:
            self.observations.append({k: float(v[0])
                                      for k, v in observe(self.state, self.context).items()})
        if not self.state.running[0] or self.state.month >= self.horizon_months:
            self.running = False

    def run_until_end(self) -> None:
        """Step until the arrangement ends or the horizon is reached."""
        while self.running:
            self.step()

    def observation_array(self) -> np.ndarray:
        """Monthly observations ``(metrics, horizon)`` with NaN once the arrangement ended."""
        out = np.full((4, self.horizon_months), np.nan)
        for t, row in enumerate(self.observations):
            out[:, t] = list(row.values())
        return out
