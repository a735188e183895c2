"""The explorer's page, rendered without a browser with Solara's test tools (``solara.render``
and the render context's ``find``): its controls, stepping, Reset, the Monte Carlo panel and
saving."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest

solara = pytest.importorskip("solara", reason="the explore extra is not installed")
v = pytest.importorskip("ipyvuetify")
ipywidgets = pytest.importorskip("ipywidgets")
solara_widgets = pytest.importorskip("solara.widgets")

from samenwerkingsim.explore import app  # noqa: E402
from samenwerkingsim.explore.state import MAX_REPLICATIONS, main_behaviour_names  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KEMPEN = ROOT / "scenarios" / "kempengemeenten.toml"


@pytest.fixture
def rendered(tmp_path):
    """The page for Kempengemeenten in its app layout (which holds the sidebar), and its
    render context; saved files go to ``tmp_path``."""
    app.configure(KEMPEN, jobs=1, folder=tmp_path)
    _box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    yield rc
    rc.close()
    app._config = None


def html_texts(rc, css_class: str) -> list[str]:
    return [h.unsafe_innerHTML for h in rc.find(solara_widgets.HTML).widgets
            if css_class in h.attributes.get("class", "").split()]


def status(rc) -> str:
    (text,) = html_texts(rc, "sws-status")
    return text


def alerts(rc) -> list[str]:
    return [" ".join(map(str, a.children)) for a in rc.find(v.Alert).widgets]


def button(rc, label: str):
    return rc.find(v.Btn, children=[label])


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_the_page_has_mesa_controls_and_one_input_per_setting(rendered):
    base = app.current_config().base
    for label in ("Reset", "▶", "Step"):  # SolaraViz's own
        button(rendered, label).assert_single()
    checkboxes = {c.label for c in rendered.find(v.Checkbox).widgets}
    assert {c.label for c in base.controls if c.kind == "bool"} <= checkboxes
    labels = " ".join(html_texts(rendered, "sws-label"))
    for c in base.controls:
        if c.kind not in ("bool",):
            assert c.label.split(" (")[0] in labels, c.name
    sliders = rendered.find(v.Slider).widgets
    floats = [c for c in base.controls if c.kind in ("float", "int")]
    assert len(sliders) >= len(floats)
    assert len(main_behaviour_names()) == sum(c.section == "behaviour" for c in base.controls)
    # a tick per step of a fine slider made the page take minutes to render
    assert max(len(s.tick_labels or []) for s in sliders) <= 1000
    seed = rendered.find(v.TextField, label="Seed of the random streams (a whole number, 0 or "
                                            "more)")
    seed.assert_single()
    assert "Month 0 of 480" in status(rendered)


def test_step_advances_the_run_and_fills_the_timeline(rendered):
    images = rendered.find(ipywidgets.Image).widgets
    before = [image.value for image in images]
    assert len(before) == 3  # network, month by month, timeline
    assert "No events yet" in " ".join(html_texts(rendered, "sws-events"))
    button(rendered, "Step").widget.click()
    assert "Month 3 of 480 (2010-03)" in status(rendered)
    events = " ".join(html_texts(rendered, "sws-events"))
    assert "Municipal elections:" in events
    assert "events so far" in events
    after = [image.value for image in rendered.find(ipywidgets.Image).widgets]
    assert all(new != old for new, old in zip(after, before, strict=True))


def test_changed_levers_apply_at_reset(rendered):
    (committees,) = [c for c in rendered.find(v.Checkbox).widgets if c.label == "Has committees"]
    button(rendered, "Step").widget.click()
    committees.v_model = False
    assert any("The controls differ from the settings of this run" in a
               for a in alerts(rendered))
    assert "Month 3" in status(rendered)  # the run goes on with the old settings
    button(rendered, "Reset").widget.click()
    assert "Month 0 of 480" in status(rendered)
    assert any("levers.has_committees: true -> false" in a for a in alerts(rendered))


def test_the_seed_box_sets_the_seed_of_the_next_run(rendered):
    seed = rendered.find(v.TextField, label="Seed of the random streams (a whole number, 0 or "
                                            "more)").widget
    seed.v_model = "42"
    seed.fire_event("keyup.enter", None)
    button(rendered, "Reset").widget.click()
    assert "Watching replication 0 of seed 42" in status(rendered)
    seed.v_model = "-5"  # not a seed: the lowest there is
    seed.fire_event("keyup.enter", None)
    button(rendered, "Reset").widget.click()
    assert "of seed 0." in status(rendered)


def test_the_monte_carlo_panel_compares_with_the_file(rendered):
    (committees,) = [c for c in rendered.find(v.Checkbox).widgets if c.label == "Has committees"]
    committees.v_model = False
    field = rendered.find(v.TextField, label=f"Replications (10 to {MAX_REPLICATIONS})").widget
    field.v_model = "60"
    button(rendered, "Run 60 replications").widget.click()
    wait_for(lambda: any("Log-rank test" in t for t in html_texts(rendered, "sws-mc-summary")))
    summary = " ".join(html_texts(rendered, "sws-mc-summary"))
    assert "with the explored settings" in summary and "with the scenario file" in summary


def test_saving_writes_a_scenario_that_validates(rendered, tmp_path):
    (committees,) = [c for c in rendered.find(v.Checkbox).widgets if c.label == "Has committees"]
    committees.v_model = False
    field = rendered.find(v.TextField, label="File to write").widget
    assert field.v_model == "kempengemeenten_explored.toml"
    field.v_model = "no_committees.toml"
    button(rendered, "Save as scenario file").widget.click()
    assert any("Saved no_committees.toml" in a and "it is valid" in a for a in alerts(rendered))
    levers = tomllib.loads((tmp_path / "no_committees.toml").read_text())["levers"]
    assert levers["has_committees"] is False
    button(rendered, "Save as scenario file").widget.click()  # the field now offers a new name
    assert (tmp_path / "kempengemeenten_explored.toml").exists()


def test_the_page_needs_a_scenario():
    app._config = None
    with pytest.raises(RuntimeError, match="samenwerkingsim explore SCENARIO"):
        app.current_config()


def test_a_scenario_timeline_is_named_beside_the_levers(tmp_path):
    app.configure(ROOT / "scenarios" / "kempengemeenten_late_director.toml", folder=tmp_path)
    try:
        _box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
        help_texts = " ".join(html_texts(rc, "sws-help"))
        assert "dated changes still apply on their dates: 2017-01 separate_director yes" in (
            help_texts.replace("&#x27;", "'"))
        rc.close()
    finally:
        app._config = None
