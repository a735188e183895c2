"""The explorer's web page: Mesa's SolaraViz around one running replication of a scenario.

SolaraViz gives the frame Mesa's users know: the title bar, and in the sidebar Play, Step and
Reset, the speed, and the Mesa model parameter (which replication to watch). Around it the page
adds the controls for the scenario's levers and main behavioural parameters, the views of the
running replication, the Monte Carlo panel and saving the settings as a scenario file.

As in Mesa, changed settings take effect when Reset starts a new run; until then the page says
that the run shown uses other settings. The Monte Carlo panel and Save use the settings of
the controls.

Start it with ``samenwerkingsim explore SCENARIO`` (see :mod:`.server`); :func:`configure`
says which scenario the page shows.
"""

from __future__ import annotations

import dataclasses
import html
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import solara
import solara.lab

with warnings.catch_warnings():
    # Mesa 3.3's ComponentsView returns before its hooks when it has no components (fixed in
    # Mesa 3.4), and solara's check of the rules of hooks warns about it when Mesa's
    # visualisation is imported. This page never gives it components, so its hooks run the
    # same way on every render.
    warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite "
                            "early return", category=UserWarning)
    from mesa.visualization import SolaraViz
    from mesa.visualization.utils import update_counter

from ..model.params import RunSettings, field_specs
from ..scenarios import ScenarioError
from .figures import (
    NODE_COLOURINGS,
    indicators_figure,
    monte_carlo_figure,
    network_caption,
    network_figure,
    png,
    status_text,
    timeline_figure,
)
from .montecarlo import Outcomes, Stopped, compare_outcomes, run_replications
from .state import (
    MAX_REPLICATIONS,
    BaseScenario,
    Control,
    Design,
    ExplorerModel,
    Settings,
    default_save_path,
    save_scenario,
    timeline,
)

#: Months a Step (and a frame of Play) advances, to begin with; the sidebar changes it.
DEFAULT_MONTHS_PER_STEP = 3
#: Replications the Monte Carlo panel offers to begin with.
DEFAULT_REPLICATIONS = 1000
#: Events listed under the timeline, most recent first.
LISTED_EVENTS = 40
#: The seeds a scenario file allows (run.seed).
SEED_RANGE = (field_specs(RunSettings)["seed"].metadata["low"],
              field_specs(RunSettings)["seed"].metadata["high"])


@dataclass(frozen=True, eq=False)
class ExplorerConfig:
    """What one explorer serves: a scenario file, the Monte Carlo workers, and the folder in
    which saved scenarios are written."""

    base: BaseScenario
    jobs: int
    folder: Path
    _file_runs: dict
    _lock: threading.Lock

    def file_outcomes(self, replications: int, seed: int, progress, should_stop) -> Outcomes:
        """The scenario file's own Monte Carlo outcomes, run once per size and seed."""
        key = (replications, seed)
        with self._lock:
            cached = self._file_runs.get(key)
        if cached is not None:
            progress(1.0)
            return cached
        result = run_replications(self.base.scenario, replications, seed, jobs=self.jobs,
                                  progress=progress, should_stop=should_stop)
        outcomes = Outcomes.of(result)
        with self._lock:
            if len(self._file_runs) >= 8:
                self._file_runs.pop(next(iter(self._file_runs)))
            self._file_runs[key] = outcomes
        return outcomes


_config: ExplorerConfig | None = None


def configure(scenario: str | Path | BaseScenario, *, jobs: int = 1,
              folder: str | Path | None = None) -> ExplorerConfig:
    """Say which scenario the page shows (the server does this before it starts).

    Parameters
    ----------
    scenario : path or BaseScenario
        The scenario file (validated as ``samenwerkingsim run`` does).
    jobs : int
        Worker processes of the Monte Carlo panel.
    folder : path, optional
        Where saved scenario files go by default (the current folder).
    """
    global _config
    base = scenario if isinstance(scenario, BaseScenario) else BaseScenario.load(scenario)
    _config = ExplorerConfig(base, jobs, Path.cwd() if folder is None else Path(folder), {},
                             threading.Lock())
    return _config


def current_config() -> ExplorerConfig:
    if _config is None:
        raise RuntimeError("no scenario to explore: start the page with samenwerkingsim "
                           "explore SCENARIO (or call samenwerkingsim.explore.app.configure)")
    return _config


# --------------------------------------------------------------------------------------------
# The page


@solara.component
def Page():
    """The page solara serves."""
    Explorer(current_config())


@solara.component
def Explorer(config: ExplorerConfig):
    base = config.base
    settings = solara.use_reactive(base.default_settings())
    # Mesa's Reset builds the model again from its parameters: a callable hands it the
    # settings the controls hold when Reset is pressed
    design_source = solara.use_memo(lambda: (lambda: Design(base, settings.value)), [])
    first_model = solara.use_memo(lambda: ExplorerModel(design_source), [])
    model = solara.use_reactive(first_model)

    solara.Title(f"samenwerkingsim explorer: {base.name}")
    solara.Style(_CSS)
    # SolaraViz and the sidebar put their content in the app bar and the sidebar; what they
    # leave in the page itself (empty placeholders) stays out of sight
    with solara.Div(style={"display": "none"}):
        SolaraViz(
            model,
            components=[],  # the views below are laid out by this page, not in Mesa's grid
            model_params={
                "design": design_source,
                "replication": {"type": "SliderInt", "value": 0, "min": 0, "max": 99,
                                "step": 1, "label": "Replication to watch (of the same seed)"},
            },
            name=f"samenwerkingsim explorer: {base.name}",
            play_interval=50,
            render_interval=DEFAULT_MONTHS_PER_STEP,
        )
        SettingsSidebar(base, settings)
    with solara.Column(classes=["sws-main"]):
        RunHeader(model, base, settings)
        with solara.Columns([1, 1]):
            NetworkCard(model)
            IndicatorsCard(model)
        TimelineCard(model)
        MonteCarloCard(config, settings)
        SaveCard(config, settings)


_CSS = """
.sws-main { padding: 4px 8px; }
.sws-help { color: #555; font-size: 0.82em; line-height: 1.25; margin: 0 0 10px 0; }
.sws-label { font-size: 0.9em; font-weight: 500; margin-top: 6px; }
.sws-changed { color: #b45f06; font-weight: 400; }
.sws-events { max-height: 260px; overflow-y: auto; font-size: 0.88em; }
.sws-events td { padding: 1px 10px 1px 0; vertical-align: top; }
.sws-events td:first-child { white-space: nowrap; }
.sws-status { font-size: 1.05em; }
"""


# --------------------------------------------------------------------------------------------
# Controls


@solara.component
def SettingsSidebar(base: BaseScenario, settings: solara.Reactive[Settings]):
    """The levers, the main behavioural parameters and the seed, in the sidebar, below Mesa's
    cards: solara orders the sidebar by how deep in the page a component puts things there,
    and these go one level deeper than SolaraViz's."""
    SidebarCards(base, settings)


@solara.component
def SidebarCards(base: BaseScenario, settings: solara.Reactive[Settings]):
    with solara.Sidebar():
        with solara.Card("Governance levers"):
            solara.HTML(tag="p", classes=["sws-help"], unsafe_innerHTML=html.escape(
                "The design of the arrangement (units and ranges from the parameter "
                "reference). Changes apply when you press RESET above."
                + (" In this population scenario "
                   + ", ".join(base.sampled_levers) + " are drawn per replication."
                   if base.sampled_levers else "")
                + (" The scenario's dated changes still apply on their dates: "
                   + "; ".join(_dated_change(change) for change in base.scenario.timeline)
                   + "." if base.scenario.timeline else "")))
            for control in base.controls:
                if control.section == "levers":
                    ControlInput(control, settings, base)
        with solara.Card("Behavioural parameters"):
            solara.HTML(tag="p", classes=["sws-help"], unsafe_innerHTML=(
                "One set for every scenario, estimated by the calibration (docs/calibration); "
                "change them to study the model's "
                "sensitivity, not to fit a case."))
            for control in base.controls:
                if control.section == "behaviour":
                    ControlInput(control, settings, base)
        with solara.Card("Seed"):
            low, high = SEED_RANGE
            solara.InputInt("Seed of the random streams (a whole number, 0 or more)",
                            value=settings.value.seed, continuous_update=False,
                            on_value=lambda seed: settings.set(dataclasses.replace(
                                settings.value, seed=min(max(int(seed), low), high))))
            solara.HTML(tag="p", classes=["sws-help"], unsafe_innerHTML=(
                "The same seed gives the same history; replication r of the run you watch is "
                "replication r of the Monte Carlo panel."))
            solara.Button("Back to the scenario file's settings", text=True,
                          on_click=lambda: settings.set(base.default_settings()))


@solara.component
def ControlInput(control: Control, settings: solara.Reactive[Settings], base: BaseScenario):
    value = settings.value.value(control)
    own = base.default_settings().value(control)

    def change(new):
        settings.set(settings.value.set(control, new))

    changed = (f' <span class="sws-changed">(file: {html.escape(_shown(own))})</span>'
               if value != own else "")
    if control.kind == "bool":
        solara.Checkbox(label=control.label, value=bool(value), on_value=change)
        if changed:
            solara.HTML(tag="div", classes=["sws-help"], unsafe_innerHTML=changed)
    else:
        solara.HTML(tag="div", classes=["sws-label"],
                    unsafe_innerHTML=html.escape(control.label) + changed)
        if control.kind == "choice":
            solara.Select(label="", values=list(control.choices), value=value,
                          on_value=change)
        elif control.kind == "int":
            solara.SliderInt("", value=int(value), min=int(control.low), max=int(control.high),
                             step=1, on_value=change, tick_labels="end_points")
        else:
            # no tick labels: Solara makes one per step, and a fine step (a calibrated
            # default such as 2.6055 needs 1e-4) makes that a list of a million; the label
            # above already gives the range
            solara.SliderFloat("", value=float(value), min=control.low, max=control.high,
                               step=control.step, on_value=change)
    solara.HTML(tag="p", classes=["sws-help"], unsafe_innerHTML=html.escape(control.doc))


def _dated_change(change) -> str:
    """A governance change of the scenario's timeline in words: 2017-01 separate_director yes."""
    what = ", ".join(f"{name} {_shown(value)}" for name, value in change.changes)
    return f"{change.year:04d}-{change.month:02d} {what}"


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


# --------------------------------------------------------------------------------------------
# Views of the running replication


@solara.component
def RunHeader(model: solara.Reactive[ExplorerModel], base: BaseScenario,
              settings: solara.Reactive[Settings]):
    update_counter.get()
    m = model.value
    with solara.Card(base.name):
        if base.scenario.description:
            solara.Text(base.scenario.description)
        solara.HTML(tag="p", classes=["sws-status"], unsafe_innerHTML=(
            f"<b>{html.escape(status_text(m))}</b>. Watching replication {m.replication} of "
            f"seed {m.design.settings.seed}. A model step is one month; STEP advances the "
            f"Render Interval of the controls ({DEFAULT_MONTHS_PER_STEP} to begin with)."))
        running = m.design.changes
        if settings.value != m.design.settings:
            solara.Warning("The controls differ from the settings of this run. Press RESET "
                           "in the sidebar to start a new run with them.")
        elif running:
            solara.Info("This run differs from the scenario file in: "
                        + "; ".join(str(c) for c in running))


@solara.component
def NetworkCard(model: solara.Reactive[ExplorerModel]):
    update_counter.get()
    m = model.value
    colour_by, set_colour_by = solara.use_state(NODE_COLOURINGS[0])
    image = solara.use_memo(lambda: png(network_figure(m, colour_by)),
                            [id(m), m.month, colour_by])
    with solara.Card("Municipalities, wethouders and director"):
        with solara.Row():
            solara.Text("Colour the municipalities by")
            solara.ToggleButtonsSingle(value=colour_by, values=list(NODE_COLOURINGS),
                                       on_value=set_colour_by)
        solara.Image(image, width="100%")
        solara.HTML(tag="p", classes=["sws-help"],
                    unsafe_innerHTML=html.escape(network_caption(m)))


@solara.component
def IndicatorsCard(model: solara.Reactive[ExplorerModel]):
    update_counter.get()
    m = model.value
    image = solara.use_memo(lambda: png(indicators_figure(m)), [id(m), m.month])
    with solara.Card("Month by month"):
        solara.Image(image, width="100%")
        solara.HTML(tag="p", classes=["sws-help"], unsafe_innerHTML=(
            "Means over the members that take part: trust between the municipalities, their "
            "ownership of the arrangement (0 to 1), the value the councils see in it (their "
            "judgement over about a year; below 0 the costs outweigh the benefits) and the "
            "quality of the shared organisation (0 to 1)."))


@solara.component
def TimelineCard(model: solara.Reactive[ExplorerModel]):
    update_counter.get()
    m = model.value
    entries = timeline(m)
    image = solara.use_memo(lambda: png(timeline_figure(m, entries)), [id(m), m.month])
    with (solara.Card("What happened: elections, incidents, departures, exits, mergers"),
          solara.Columns([3, 2])):
        solara.Image(image, width="100%")
        rows = "".join(f"<tr><td>{e.date}</td><td>{html.escape(e.text)}</td></tr>"
                       for e in reversed(entries[-LISTED_EVENTS:]))
        solara.HTML(tag="div", classes=["sws-events"], unsafe_innerHTML=(
            f"<p><b>{len(entries)} events so far</b>, the latest first:</p>"
            f"<table>{rows}</table>" if entries else "<p>No events yet: press STEP or the "
            "play button in the sidebar.</p>"))


# --------------------------------------------------------------------------------------------
# Monte Carlo


@solara.lab.task(prefer_threaded=True)
def monte_carlo(config: ExplorerConfig, design: Design, replications: int):
    """Run the explored settings and the scenario file, each ``replications`` times."""
    seed = design.settings.seed

    def stop() -> bool:
        return not monte_carlo.is_current()

    def explored_progress(share: float) -> None:
        monte_carlo.progress = 50 * share

    def file_progress(share: float) -> None:
        monte_carlo.progress = 50 + 50 * share

    try:
        scenario = design.scenario
        explored = Outcomes.of(run_replications(scenario, replications, seed,
                                                jobs=config.jobs, progress=explored_progress,
                                                should_stop=stop))
        own = config.file_outcomes(replications, seed, file_progress, stop)
    except (ScenarioError, Stopped) as error:
        return error  # shown in the panel; a stop is not a failure
    return compare_outcomes(explored, own, changed=bool(design.changes))


@solara.component
def MonteCarloCard(config: ExplorerConfig, settings: solara.Reactive[Settings]):
    replications = solara.use_reactive(DEFAULT_REPLICATIONS)
    result = monte_carlo.value if monte_carlo.finished else None
    image = solara.use_memo(lambda: png(monte_carlo_figure(result))
                            if result is not None and not isinstance(result, Exception)
                            else None, [result])
    with solara.Card("Monte Carlo: how often does this design hold?"):
        solara.HTML(tag="p", classes=["sws-help"], unsafe_innerHTML=(
            "Runs many replications of the settings in the sidebar on the ensemble engine, and "
            "as many of the scenario file itself with the same seed, and draws how long the "
            "arrangement stands and how long all founding members stay in."))
        with solara.Row(style={"align-items": "center"}):
            solara.InputInt(f"Replications (10 to {MAX_REPLICATIONS})", value=replications,
                            continuous_update=True)
            n = min(max(int(replications.value), 10), MAX_REPLICATIONS)
            solara.Button(f"Run {n} replications", color="primary",
                          disabled=monte_carlo.pending,
                          on_click=lambda: monte_carlo(config, Design(config.base,
                                                                      settings.value), n))
            if monte_carlo.pending:
                solara.Button("Stop", on_click=monte_carlo.cancel, text=True)
        if monte_carlo.pending:
            done = monte_carlo.progress or 0
            solara.ProgressLinear(value=done)
            solara.Text(f"Running: {done:.0f}% done")
        elif monte_carlo.error:
            solara.Error(f"The run failed: {monte_carlo.exception}")
        elif monte_carlo.cancelled:
            solara.Info("Stopped.")
        if isinstance(result, Stopped):
            solara.Info(f"Stopped: {result}")
        elif isinstance(result, Exception):
            solara.Error(str(result))
        elif result is not None:
            solara.Image(image, width="100%")
            solara.HTML(tag="ul", classes=["sws-mc-summary"], unsafe_innerHTML="".join(
                f"<li>{html.escape(line)}</li>" for line in result.summary()))


# --------------------------------------------------------------------------------------------
# Saving


@solara.component
def SaveCard(config: ExplorerConfig, settings: solara.Reactive[Settings]):
    base = config.base
    suggestion = solara.use_memo(lambda: _relative(default_save_path(base, config.folder),
                                                   config.folder), [])
    path_text = solara.use_reactive(suggestion)
    message, set_message = solara.use_state(None)
    design = Design(base, settings.value)
    changes = design.changes

    def save():
        target = Path(path_text.value).expanduser()
        if not target.is_absolute():
            target = config.folder / target
        try:
            saved = save_scenario(design, target)
        except (ValueError, ScenarioError, OSError) as error:
            set_message(("error", f"Not saved: {error}"))
            return
        shown = _relative(saved.path, config.folder)
        set_message(("success", f"Saved {shown} and read it back as samenwerkingsim run does: "
                                f"it is valid (scenario hash {saved.digest}). Run it with: "
                                f"samenwerkingsim run {shown}"))
        path_text.set(_relative(default_save_path(base, config.folder), config.folder))

    with solara.Card("Save these settings as a scenario file"):
        solara.HTML(tag="p", classes=["sws-help"], unsafe_innerHTML=html.escape(
            f"Writes {base.path.name} with the settings of the sidebar, as a new file that "
            f"samenwerkingsim run and compare read. Relative paths are in {config.folder}."))
        if changes:
            solara.HTML(tag="ul", unsafe_innerHTML="".join(
                f"<li>{html.escape(str(c))}</li>" for c in changes))
        else:
            solara.Text("No changes from the scenario file yet.")
        with solara.Row(style={"align-items": "center"}):
            solara.InputText("File to write", value=path_text, continuous_update=True)
            solara.Button("Save as scenario file", color="primary", on_click=save)
        if message is not None:
            kind, text = message
            (solara.Success if kind == "success" else solara.Error)(text)


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)
