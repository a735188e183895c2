"""Serving the explorer: Solara's web app under uvicorn, on this machine only (127.0.0.1).

:func:`serve` binds the port first (so a port in use is reported before anything starts),
points Solara at :mod:`samenwerkingsim.explore.app`, runs until Ctrl-C or SIGTERM, and then
stops any Monte Carlo run that is still going. Solara runs in production mode, with its
front-end files from the ``solara-assets`` package and without telemetry, so that the page
needs nothing from the internet.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

#: The only address the explorer listens on: this machine.
HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: Seconds the server waits for open pages to disconnect when it is stopped.
GRACEFUL_SHUTDOWN_SECONDS = 2


class PortUnavailable(OSError):
    """The port cannot be listened on (in use, or not allowed)."""


def bind(port: int) -> socket.socket:
    """A socket bound to ``127.0.0.1:port`` (0: a free port), not yet listening.

    Raises
    ------
    PortUnavailable
        Naming the port and why.
    """
    if not 0 <= port <= 65535:
        raise PortUnavailable(f"--port must be in 0..65535, found {port}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # a port left in TIME_WAIT by a stopped explorer can be taken again at once; a port that
    # another server listens on still cannot
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        reason = ("it is in use (by another explorer or server?); choose another with --port"
                  if error.errno == errno.EADDRINUSE else error.strerror or str(error))
        raise PortUnavailable(f"cannot listen on {HOST}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


def _quiet_solara() -> None:
    """Production mode, no telemetry, front-end files from this machine."""
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_MODE", "production")
    import solara.server.settings as server_settings
    import solara.settings

    # on 127.0.0.1 the page is served over http, and solara says so for every new page; the
    # explorer is not meant to be embedded in another site
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https",
                            category=UserWarning)

    server_settings.main.mode = "production"
    server_settings.telemetry.mixpanel_enable = False
    solara.settings.assets.proxy = True  # serve /_solara/cdn from the solara-assets files


def serve(scenario: str | Path, *, port: int = DEFAULT_PORT, jobs: int = 1,
          folder: str | Path | None = None,
          announce: Callable[[str], None] | None = None,
          sock: socket.socket | None = None) -> None:
    """Serve the explorer for ``scenario`` until stopped (Ctrl-C, SIGTERM).

    Parameters
    ----------
    scenario : path
        The scenario file.
    port : int
        Port on 127.0.0.1 (0: any free port); ignored when ``sock`` is given.
    jobs : int
        Worker processes of the Monte Carlo panel.
    folder : path, optional
        Where saved scenarios go by default (the current folder).
    announce : callable, optional
        Called with the page's address once the server accepts connections.
    sock : socket, optional
        A socket from :func:`bind`, if the caller bound it already.

    Raises
    ------
    PortUnavailable
        When the port cannot be listened on.
    """
    sock = bind(port) if sock is None else sock
    actual_port = sock.getsockname()[1]
    url = f"http://{HOST}:{actual_port}/"
    _quiet_solara()
    # solara reads the app to serve from the environment when its server module is imported
    os.environ["SOLARA_APP"] = "samenwerkingsim.explore.app"
    os.environ["SERVER_NAME"] = HOST
    os.environ["SERVER_PORT"] = str(actual_port)
    from . import app as explorer_app
    from .montecarlo import stop_all_runs

    explorer_app.configure(scenario, jobs=jobs, folder=folder)

    import uvicorn
    from solara.server.starlette import app as solara_app

    config = uvicorn.Config(solara_app, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    server = uvicorn.Server(config)

    def tell_when_started() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started and announce is not None:
            announce(url)

    threading.Thread(target=tell_when_started, name="explorer-announce", daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        stop_all_runs()
        sock.close()
