"""Shared test settings.

Hypothesis explores new examples on every run by default; in CI (``CI=true``) it replays a
fixed sequence instead, so a green or red run does not depend on luck.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
