"""The documentation stays in step with the code: the parameter reference is generated from the
dataclass metadata, every parameter is documented, and the ODD names every behavioural
parameter."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from samenwerkingsim.docs import parameter_reference_markdown
from samenwerkingsim.model.params import Behaviour, Levers

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

def _fields(*classes):
    return [pytest.param(cls, f, id=f"{cls.__name__}.{f.name}")
            for cls in classes for f in dataclasses.fields(cls)]


def test_parameter_reference_is_up_to_date():
    expected = parameter_reference_markdown()
    actual = (DOCS / "parameters.md").read_text(encoding="utf-8")
    assert actual == expected, (
        "docs/parameters.md is out of date with the metadata in params.py; regenerate it with\n"
        "    python -m samenwerkingsim.docs > docs/parameters.md")


@pytest.mark.parametrize(("cls", "f"), _fields(Levers, Behaviour))
def test_every_parameter_has_a_unit_and_a_doc(cls, f):
    assert f.metadata.get("unit"), f"{cls.__name__}.{f.name} has no unit"
    assert f.metadata.get("doc", "").strip(), f"{cls.__name__}.{f.name} has no documentation"


@pytest.fixture(scope="module")
def odd_text() -> str:
    return (DOCS / "ODD.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("cls", "f"), _fields(Behaviour, Levers))
def test_odd_names_every_parameter(cls, f, odd_text):
    # a whole identifier, so that e.g. exit_logit is not found inside exit_logit_extra
    pattern = rf"(?<![A-Za-z0-9_]){re.escape(f.name)}(?![A-Za-z0-9_])"
    assert re.search(pattern, odd_text), (
        f"docs/ODD.md does not mention {cls.__name__}.{f.name}: describe where it enters the "
        "model")


def test_the_figures_in_docs_come_from_the_current_experiments():
    # each PNG carries the fingerprint of the experiment that drew it: rerun the experiment
    # (samenwerkingsim sweep / sensitivity experiments/NAME.toml) and copy its figure again
    # after changing the experiment, its scenarios or the default parameters
    from PIL import Image

    from samenwerkingsim.experiments.spec import load_experiment

    figures = sorted((ROOT / "docs" / "figures").glob("*.png"))
    assert figures
    for figure in figures:
        with Image.open(figure) as image:
            description = image.info["Description"]
        name, fingerprint = re.search(r"experiment (\w+); fingerprint ([0-9a-f]{16})",
                                      description).groups()
        current = load_experiment(ROOT / "experiments" / f"{name}.toml").digest()
        assert fingerprint == current, f"{figure.name} was drawn by an older {name}"
