"""Output folders as a user relies on them: replaced as a whole set or not at all, one run at a
time, checked before any simulation, and left intact by Ctrl-C, SIGTERM and SIGKILL.

The signal and concurrency tests run the real command in child processes. To interrupt a run
*while it writes*, the child slows down one write (it patches ``io.write_json`` before calling
``main``) and says on stdout when it has got there.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from samenwerkingsim import cli
from samenwerkingsim.cli import main
from samenwerkingsim.output import files as io
from samenwerkingsim.output.folders import OutputFolderError, OutputSet, foreign_entries

ROOT = Path(__file__).resolve().parents[2]
NOABERKRACHT = ROOT / "scenarios" / "noaberkracht.toml"
QUICK = ["-n", "20", "--quiet", "--set", "run.horizon_years=3"]

# a child that runs `samenwerkingsim run` and pauses inside the writing of the outputs
SLOW_WRITER = textwrap.dedent("""
    import sys, time
    import samenwerkingsim.output.files as io
    original = io.write_json
    def paused(path, data):
        written = original(path, data)
        print("WRITING", flush=True)
        time.sleep(60)
        return written
    io.write_json = paused
    from samenwerkingsim.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(parent: Path) -> list[str]:
    """Hidden files and folders of samenwerkingsim: staging folders, locks, temporary files."""
    found = [p.name for p in parent.iterdir() if p.name.startswith(".")]
    found += [f"{p.parent.name}/{p.name}" for p in parent.glob("*/.*")]
    return sorted(found)


def start_slow_run(out: Path, *extra: str) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, "run", str(NOABERKRACHT), *QUICK, "--out", str(out),
         *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    assert line.strip() == "WRITING", child.stderr.read()
    return child


@pytest.fixture
def previous_set(tmp_path) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path / "out"
    assert main(["run", str(NOABERKRACHT), *QUICK, "--seed", "1", "--out", str(out)]) == 0
    return out, snapshot(out)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_writing_leaves_the_previous_set_whole_and_no_temporary_files(
        previous_set, signum, code):
    out, before = previous_set
    child = start_slow_run(out)
    child.send_signal(signum)
    _, err = child.communicate(timeout=30)
    assert child.returncode == code
    assert f"stopped by {signal.Signals(signum).name}" in err and "is unchanged" in err
    assert "Traceback" not in err
    assert snapshot(out) == before
    assert leftovers(out.parent) == []


def test_sigkill_during_writing_leaves_the_previous_set_whole_and_the_next_run_cleans_up(
        previous_set):
    out, before = previous_set
    child = start_slow_run(out)
    child.kill()
    child.communicate(timeout=30)
    assert snapshot(out) == before  # nothing of the killed run got in
    assert leftovers(out) == []     # and nothing hidden inside the folder itself
    # the killed run could not remove its staging folder; the next run into the folder does
    assert main(["run", str(NOABERKRACHT), *QUICK, "--out", str(out)]) == 0
    assert leftovers(out.parent) == []


def test_a_failed_write_leaves_the_previous_set_whole(previous_set, monkeypatch, capsys):
    out, before = previous_set

    def disk_full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(io, "write_json", disk_full)
    assert main(["run", str(NOABERKRACHT), *QUICK, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "no space left on the disk" in err and "Traceback" not in err
    assert snapshot(out) == before
    assert leftovers(out.parent) == []


def test_a_second_run_into_the_same_folder_refuses_at_once_naming_the_other_process(tmp_path):
    out = tmp_path / "out"
    first = start_slow_run(out)
    try:
        started = time.monotonic()
        second = subprocess.run([sys.executable, "-m", "samenwerkingsim", "run",
                                 str(NOABERKRACHT), *QUICK, "--out", str(out)],
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert str(out) in second.stderr and f"process {first.pid}" in second.stderr
        assert time.monotonic() - started < 30  # refused, not queued behind the first
    finally:
        first.kill()
        first.communicate()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    out = tmp_path / "out"
    (tmp_path / ".out.lock").write_text(json.dumps({"pid": 999999, "host": "gone"}))
    assert main(["run", str(NOABERKRACHT), *QUICK, "--out", str(out)]) == 0
    assert (out / "runs.csv").exists()
    assert leftovers(tmp_path) == []


def test_workers_exit_when_the_parent_is_killed(tmp_path):
    parent = subprocess.Popen([sys.executable, "-m", "samenwerkingsim", "run", str(NOABERKRACHT),
                               "-n", "20000", "--jobs", "2", "--quiet",
                               "--out", str(tmp_path / "out")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers = _children(parent.pid, wait_for=1)
        assert workers, "the run started no worker processes"
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "workers outlived their parent"


def _children(pid: int, wait_for: int) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        if len(found) >= wait_for:
            return found
        time.sleep(0.1)
    return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


# --------------------------------------------------------------------------------------------
# Checked before simulating


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if the command gets as far as simulating."""
    def refuse(*args, **kwargs):
        raise AssertionError("the command simulated before finding the bad output folder")

    monkeypatch.setattr(cli, "_simulate", refuse)


@pytest.mark.parametrize("make_out, message", [
    (lambda tmp: tmp / "file.txt" / "out", "is a file, not a folder"),
    (lambda tmp: tmp / "file.txt", "is a file; give a folder"),
    (lambda tmp: tmp / "notes", "which samenwerkingsim did not write"),
    (lambda tmp: tmp / "dir_as_output", "which samenwerkingsim did not write"),
    (lambda tmp: Path("/proc/samenwerkingsim-cannot-write-here"), "cannot"),
])
def test_an_unusable_output_folder_is_refused_before_simulating(
        make_out, message, tmp_path, capsys, no_simulation):
    (tmp_path / "file.txt").write_text("a file")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "my_notes.txt").write_text("mine")
    (tmp_path / "dir_as_output" / "runs.csv").mkdir(parents=True)
    out = make_out(tmp_path)
    assert main(["run", str(NOABERKRACHT), *QUICK, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert (tmp_path / "notes" / "my_notes.txt").read_text() == "mine"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_parent_is_refused_before_simulating(tmp_path, capsys, no_simulation):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        assert main(["run", str(NOABERKRACHT), *QUICK, "--out", str(parent / "out")]) == 2
    finally:
        parent.chmod(0o700)
    assert "cannot write" in capsys.readouterr().err


def test_an_unwritable_output_folder_fails_fast_as_a_real_process():
    # ten million replications would run for hours: a quick exit 2 shows the check came first
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "samenwerkingsim", "run", str(NOABERKRACHT),
                             "-n", "10000000", "--out", "/proc/samenwerkingsim-no"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "cannot" in result.stderr
    assert time.monotonic() - started < 60


def test_too_little_free_disk_space_is_refused_before_simulating(tmp_path, monkeypatch, capsys,
                                                                 no_simulation):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(1, 1, 1000))
    assert main(["run", str(NOABERKRACHT), *QUICK, "--out", str(tmp_path / "out")]) == 2
    assert "MB free" in capsys.readouterr().err
    assert leftovers(tmp_path) == []


def test_folder_with_only_our_outputs_and_a_stale_temporary_file_is_replaced(previous_set):
    out, _ = previous_set
    (out / ".events.csv.abc123.tmp").write_text("left by samenwerkingsim 0.1")
    assert main(["run", str(NOABERKRACHT), *QUICK, "--seed", "2", "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert leftovers(out.parent) == []


def test_foreign_entries_accepts_an_empty_folder_and_our_own_outputs_only(tmp_path):
    assert foreign_entries(tmp_path) == []
    (tmp_path / "runs.csv").write_text("x")
    assert foreign_entries(tmp_path) == ["runs.csv"]  # without our manifest it is not ours
    (tmp_path / "manifest.json").write_text(json.dumps({"generator": "samenwerkingsim"}))
    assert foreign_entries(tmp_path) == []
    (tmp_path / "thesis.docx").write_text("x")
    assert foreign_entries(tmp_path) == ["thesis.docx"]


def test_output_set_discards_its_staging_folder_when_the_block_raises(tmp_path):
    with pytest.raises(RuntimeError), OutputSet.prepare(tmp_path / "out") as staging:
        (staging / "runs.csv").write_text("half")
        raise RuntimeError("stop")
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


def test_output_set_refuses_an_empty_path():
    with pytest.raises(OutputFolderError, match="--out is empty"):
        OutputSet.prepare("")


def test_default_output_folder_of_a_set_variant_carries_the_scenario_hash(tmp_path,
                                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(NOABERKRACHT), "-n", "20", "--quiet"]) == 0
    assert main(["run", str(NOABERKRACHT), *QUICK]) == 0
    folders = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert len(folders) == 2 and folders[0] == "noaberkracht"
    assert folders[1].startswith("noaberkracht-") and len(folders[1]) == len("noaberkracht-") + 8
