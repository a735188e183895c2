"""``samenwerkingsim explore``: what it says without the extra or with bad input, and a real
server process that serves the page's front-end files from this machine and stops cleanly."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from samenwerkingsim import explore
from samenwerkingsim.cli import main
from samenwerkingsim.explore import missing_requirement
from samenwerkingsim.explore.server import HOST, PortUnavailable, bind

ROOT = Path(__file__).resolve().parents[2]
KEMPEN = ROOT / "scenarios" / "kempengemeenten.toml"


def test_without_the_extra_it_says_what_to_install(monkeypatch, capsys):
    real = explore.importlib.util.find_spec
    monkeypatch.setattr(explore.importlib.util, "find_spec",
                        lambda name, *a: None if name == "solara" else real(name, *a))
    assert main(["explore", str(KEMPEN)]) == 2
    err = capsys.readouterr().err
    assert "the explorer needs the explore extra, and solara is not installed" in err
    assert 'pip install -e ".[explore]"' in err


def test_a_bad_scenario_is_reported_before_serving(tmp_path, capsys):
    if missing_requirement():
        pytest.skip(missing_requirement())
    bad = tmp_path / "bad.toml"
    bad.write_text(KEMPEN.read_text().replace("has_committees = true", "has_comittees = true"))
    assert main(["explore", str(bad), "--port", "0"]) == 2
    assert "did you mean 'has_committees'" in capsys.readouterr().err


def test_a_port_in_use_is_reported(capsys):
    if missing_requirement():
        pytest.skip(missing_requirement())
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["explore", str(KEMPEN), "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}: it is in use" in capsys.readouterr().err


def test_it_listens_on_this_machine_only():
    sock = bind(0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()
    with pytest.raises(PortUnavailable, match=r"0\.\.65535"):
        bind(70000)


def explore_command() -> list[str]:
    script = shutil.which("samenwerkingsim")
    return [script] if script else [sys.executable, "-m", "samenwerkingsim"]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_server_serves_its_front_end_offline_and_stops(tmp_path, stop):
    """Every front-end file the page asks for comes from this machine (the solara-assets
    package), so the page is not blank without internet; Ctrl-C and SIGTERM stop it (0)."""
    if missing_requirement():
        pytest.skip(missing_requirement())
    with (tmp_path / "err.log").open("w") as err:
        process = subprocess.Popen([*explore_command(), "explore", str(KEMPEN), "--port", "0"],
                                   cwd=tmp_path, stdout=subprocess.PIPE, stderr=err, text=True,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            lines: list[str] = []
            found = threading.Event()

            def read():
                for line in process.stdout:
                    lines.append(line)
                    if "http://" in line:
                        found.set()

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            assert found.wait(timeout=40), (lines, (tmp_path / "err.log").read_text())
            url = re.search(r"http://127\.0\.0\.1:\d+/", "".join(lines)).group(0)
            with urllib.request.urlopen(url, timeout=20) as response:
                page = response.read().decode()
            assets = sorted(set(re.findall(r"(?:\./|/)_solara/cdn/[^\"'\s)]+", page)))
            assert any("solara-vuetify-app" in a for a in assets), page[:2000]
            for asset in assets:
                with urllib.request.urlopen(url + asset.lstrip("./"), timeout=20) as response:
                    assert response.status == 200, asset
                    assert response.read(), asset
            process.send_signal(stop)
            assert process.wait(timeout=15) == 0
            reader.join(timeout=5)
            assert "explore: stopped" in "".join(lines)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
