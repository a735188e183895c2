"""Worker processes: how many may run, and a pool that stops at once when told to.

Kept apart from the experiment runner so that the command line can check ``--jobs`` before
importing anything heavy.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

__all__ = ["usable_cores", "worker_pool"]


def usable_cores() -> int:
    """The number of cores this process may run on (its CPU affinity, where known)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _watch_parent(parent_pid: int) -> None:
    """Set up a worker process: the parent handles Ctrl-C and SIGTERM, and the worker exits
    when the parent is gone (killed with SIGKILL, say) instead of computing for no one."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)

    def watch():
        while os.getppid() == parent_pid:
            threading.Event().wait(1.0)
        os._exit(1)

    if os.getppid() != parent_pid:  # the parent died before the watch began
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


@contextlib.contextmanager
def worker_pool(jobs: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``jobs`` worker processes that is torn down at once when the caller is
    interrupted (Ctrl-C, SIGTERM): the workers are terminated rather than left to finish."""
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_watch_parent,
                               initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        # concurrent.futures has no public way to stop running tasks before Python 3.14
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(OSError):
                process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
