"""Where the chunks of an experiment run: this process, local worker processes, or a Dask
cluster. The model does not know which (EMA Workbench's swappable evaluators).

Every executor takes a function and a list of tasks and yields ``(task, result)`` pairs as
tasks finish, in whatever order; the caller saves each result at once. The results do not
depend on the executor, the number of workers or the order of completion, because every
replication draws from its own stream and the caller aggregates in point order.

Dask is an optional extra (``pip install -e ".[cluster]"``); without it, asking for a cluster
gives a clear error that says what to install.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool

from .workers import usable_cores, worker_pool

__all__ = ["ClusterUnavailable", "DaskExecutor", "LocalExecutor", "executor_for"]

# a worker process killed from outside (OOM killer, kill -9) breaks the pool: start a new one
# and submit the unfinished tasks again, but not for ever
MAX_POOL_RESTARTS = 3
# tasks in flight per worker: enough to keep every worker busy, few enough that an
# interruption loses little and memory stays bounded
IN_FLIGHT_PER_WORKER = 2


class ClusterUnavailable(Exception):
    """Dask is not installed, or the scheduler cannot be reached (bad input, exit code 2)."""


class LocalExecutor:
    """This process (``jobs = 1``) or a pool of local worker processes."""

    def __init__(self, jobs: int = 1):
        self.workers = max(1, min(jobs, usable_cores()))
        self.description = ("this process" if self.workers == 1
                            else f"{self.workers} local worker processes")

    def run(self, function: Callable, tasks: Sequence) -> Iterator[tuple]:
        if self.workers == 1:
            for task in tasks:
                yield task, function(task)
            return
        pending = list(tasks)
        restarts = 0
        while pending:
            try:
                yield from self._run_pool(function, pending)
                return
            except BrokenProcessPool:
                restarts += 1
                if restarts > MAX_POOL_RESTARTS:
                    raise
            # _run_pool removed what it finished from ``pending``; go on with the rest

    def _run_pool(self, function, pending: list) -> Iterator[tuple]:
        limit = self.workers * IN_FLIGHT_PER_WORKER
        with worker_pool(self.workers) as pool:
            queue = list(pending)
            running = {}
            while queue or running:
                while queue and len(running) < limit:
                    task = queue.pop(0)
                    running[pool.submit(function, task)] = task
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    task = running.pop(future)
                    result = future.result()  # BrokenProcessPool if a worker was killed
                    pending.remove(task)
                    yield task, result

    def close(self) -> None:
        """Nothing to release: the pool lives only while :meth:`run` runs."""


class DaskExecutor:
    """A Dask cluster: a new ``LocalCluster`` on 127.0.0.1 (``local:N``) or an existing
    scheduler at an address. A cluster this executor started is torn down by :meth:`close`."""

    def __init__(self, *, local_workers: int | None = None, scheduler: str | None = None):
        distributed = _import_distributed()
        client_class, cluster_class = distributed.Client, distributed.LocalCluster
        self.cluster = None
        try:
            if scheduler is not None:
                self.client = client_class(scheduler, timeout="10s")
                where = f"the Dask scheduler at {scheduler}"
            else:
                # processes, one thread each: the model is numpy code that holds the GIL
                self.cluster = cluster_class(n_workers=local_workers, threads_per_worker=1,
                                             processes=True, host="127.0.0.1",
                                             dashboard_address=None)
                self.client = client_class(self.cluster)
                where = f"a local Dask cluster of {local_workers} workers on 127.0.0.1"
        except OSError as error:  # no scheduler there, or it does not answer
            self.close()
            raise ClusterUnavailable(f"cannot reach {scheduler}: {error}") from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self.description = where

    def run(self, function: Callable, tasks: Sequence) -> Iterator[tuple]:
        from distributed import as_completed

        pending = {}
        for task in tasks:
            future = self.client.submit(function, task, pure=False)
            pending[future.key] = (future, task)
        # as_completed lets go of each future once it has been yielded; so do we, so that a
        # result is held no longer than it takes to save it
        for future, result in as_completed([f for f, _ in pending.values()],
                                           with_results=True):
            _, task = pending.pop(future.key)
            yield task, result

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if getattr(self, "client", None) is not None:
                self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


def executor_for(jobs: int = 1, cluster: str | None = None, scheduler: str | None = None, *,
                 check_only: bool = False):
    """The executor the command line asks for: ``--jobs``, ``--cluster local:N`` or
    ``--scheduler ADDRESS``. With ``check_only``, only check the request (that Dask is
    installed, that local:N reads) and return None: a mistake is found before any work."""
    if cluster is not None and scheduler is not None:
        raise ClusterUnavailable("give --cluster or --scheduler, not both")
    if cluster is not None:
        kind, _, count = cluster.partition(":")
        if kind != "local" or not (count.isascii() and count.isdigit()) or int(count) < 1:
            raise ClusterUnavailable(f"--cluster {cluster}: expected local:N with N >= 1 "
                                     "workers, e.g. --cluster local:2")
    if (cluster is not None or scheduler is not None) and check_only:
        _import_distributed()
        return None
    if scheduler is not None:
        return DaskExecutor(scheduler=scheduler)
    if cluster is not None:
        return DaskExecutor(local_workers=int(cluster.partition(":")[2]))
    return LocalExecutor(jobs)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterUnavailable(
            "running on a Dask cluster needs Dask's distributed scheduler, which is not "
            'installed; install the extra with: pip install -e ".[cluster]"') from None
    return distributed
