"""The README's quickstart, as a new user runs it: the printed summary is what the README
shows (all but the wall time)."""

from __future__ import annotations

import re
from pathlib import Path

from samenwerkingsim.cli import main

ROOT = Path(__file__).resolve().parents[2]


def quickstart_output() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme.split("The run prints a summary table", 1)[1]
    block = after.split("```\n", 2)[1]
    return block.rstrip("\n").splitlines()


def without_wall_time(lines: list[str]) -> list[str]:
    return [re.sub(r", \d+(\.\d+)? s\)", ", _ s)", line.rstrip()) for line in lines]


def test_the_quickstart_prints_what_the_readme_shows(tmp_path, capsys, monkeypatch):
    # the README's command, into results/ of a scratch folder rather than of the checkout
    monkeypatch.chdir(tmp_path)
    scenario = ROOT / "scenarios" / "kempengemeenten.toml"
    assert main(["run", str(scenario)]) == 0
    printed = capsys.readouterr().out.rstrip("\n").splitlines()
    assert without_wall_time(printed) == without_wall_time(quickstart_output())
