"""One parallel map for every analysis that solves many models: in this process, on local
worker processes, or on a Dask cluster.

``parallel_map(function, items, shared)`` calls ``function(*shared, item)`` for each
item. ``shared`` (the place, the scenario...) goes to each worker once, not with every
item: to each local process when it starts, to a cluster by one broadcast ``scatter``.
Results come back as they finish (in order for local processes); callers that need an
order sort them by what the item says.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from ..errors import SolverError

# Seconds to wait for a Dask scheduler to answer before saying it cannot be reached.
SCHEDULER_TIMEOUT = 3

_SHARED: dict = {}


def _start(function, shared) -> None:
    _SHARED.update(function=function, shared=shared)


def _call(item):
    return _SHARED["function"](*_SHARED["shared"], item)


def default_workers() -> int:
    return os.cpu_count() or 1


def parallel_map(
    function: Callable,
    items: Iterable,
    shared: tuple = (),
    workers: int | None = None,
    scheduler: str | None = None,
    chunksize: int = 1,
    progress: Callable[[int, int], None] | None = None,
    retries: int = 0,
) -> Iterator:
    """``function(*shared, item)`` for every item; ``progress(done, total)`` after each.

    With ``scheduler`` (a Dask scheduler's address) the items run on that cluster, each
    tried up to ``retries`` more times if it raises (Dask reruns an item whose worker is
    lost on its own), results yielded as they finish; else on ``workers`` local processes
    (all cores by default), or in this process for one worker. ``function`` must be
    importable by name (a module-level function) to run elsewhere.
    """
    items = list(items)
    total = len(items)
    results = _results(function, items, shared, workers, scheduler, chunksize, retries)
    for done, result in enumerate(results, start=1):
        if progress:
            progress(done, total)
        yield result


def _results(function, items, shared, workers, scheduler, chunksize, retries) -> Iterator:
    if scheduler:
        # Dask is an optional dependency (pooling[distributed]), imported only for a cluster.
        from dask.distributed import Client, as_completed

        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, ValueError) as exc:  # unreachable, refused, or not an address
            raise SolverError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
        with client:
            scattered = client.scatter(list(shared), broadcast=True)
            futures = client.map(
                function, *([value] * len(items) for value in scattered), items, pure=False, retries=retries
            )
            for future in as_completed(futures):
                yield future.result()
        return
    workers = workers or default_workers()
    if workers <= 1:
        for item in items:
            yield function(*shared, item)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_start, initargs=(function, shared)) as pool:
        yield from pool.map(_call, items, chunksize=max(1, chunksize))
