"""Run independent jobs (studies, or the default runs of ``notebooks/``) up to N at once.

Each job runs in a process of its own (forked, so it starts at once with what is already
imported); one job at a time runs here, in this process, when N is 1. Jobs report their
progress on standard error, since a process cannot call back into this one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def count_jobs(jobs: int | None, tasks: int) -> int:
    """The number of jobs to run at once: ``jobs`` (default: the number of cores), at most
    the number of ``tasks``, at least 1.

    Examples
    --------
    >>> count_jobs(8, 3), count_jobs(2, 0), count_jobs(1, 5)
    (3, 1, 1)
    """
    return max(1, min(jobs or os.cpu_count() or 1, tasks or 1))


def run_jobs(
    calls: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]],
    jobs: int,
    *,
    expected: tuple[type[Exception], ...],
    initializer: Callable[[], Any] | None = None,
) -> tuple[dict[str, Any], Exception | None]:
    """Call each ``function(*args)`` of ``calls`` (by key), up to ``jobs`` at once.

    Returns the results of those that finished, by key in the order of ``calls``, and the
    first of the ``expected`` exceptions raised. One at a time, the first failure stops
    the rest; at once, the jobs under way finish. Other exceptions propagate. Each process
    that runs jobs calls ``initializer`` first (not this one, when ``jobs`` is 1).

    Examples
    --------
    >>> run_jobs({"a": (divmod, (7, 2)), "b": (divmod, (1, 0))}, 1, expected=(ZeroDivisionError,))
    ({'a': (3, 1)}, ZeroDivisionError('integer division or modulo by zero'))
    """
    results: dict[str, Any] = {}
    if jobs == 1:
        for key, (function, args) in calls.items():
            try:
                results[key] = function(*args)
            except expected as exc:
                return results, exc
        return results, None
    import concurrent.futures
    import multiprocessing

    failure: Exception | None = None
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=initializer) as pool:
        futures = {pool.submit(function, *args): key for key, (function, args) in calls.items()}
        for future in concurrent.futures.as_completed(futures):
            try:
                results[futures[future]] = future.result()
            except expected as exc:
                failure = failure or exc
    return {key: results[key] for key in calls if key in results}, failure
