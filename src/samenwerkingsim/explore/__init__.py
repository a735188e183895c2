"""The explorer: a scenario in the browser, built on Mesa's SolaraViz.

``samenwerkingsim explore SCENARIO`` serves a page on this machine where the levers of the
scenario and its main behavioural parameters can be changed, one replication watched month by
month (the municipalities and their trust, the wethouders, the director, the events), many
replications run on the ensemble engine and compared with the scenario file, and the settings
saved as a new scenario file that ``samenwerkingsim run`` reads.

- :mod:`.state`: controls, settings, the model of one run, its timeline, saving (no Solara);
- :mod:`.montecarlo`: the Monte Carlo panel's runs and curves (no Solara);
- :mod:`.figures`: the figures (matplotlib);
- :mod:`.app`: the Solara page;
- :mod:`.server`: serving it on 127.0.0.1.

It needs the ``explore`` extra (``pip install -e ".[explore]"``); :func:`missing_requirement`
says what is missing without importing any of it. The model never imports the explorer.
"""

from __future__ import annotations

import importlib.util

#: What the page imports, by module name, with the package that provides it.
REQUIREMENTS = {"solara": "solara", "altair": "altair", "ipyvuetify": "ipyvuetify",
                "ipyvue": "ipyvue", "uvicorn": "uvicorn", "solara_assets": "solara-assets"}

INSTALL_HINT = ('pip install -e ".[explore]" in a checkout (or pip install '
                '"samenwerkingsim[explore]")')


def missing_requirement() -> str | None:
    """Why the explorer cannot start, or None: the first package of the ``explore`` extra
    that is not installed (checked without importing it)."""
    for module, package in REQUIREMENTS.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            return (f"the explorer needs the explore extra, and {package} is not installed; "
                    f"install it with: {INSTALL_HINT}")
    return None
